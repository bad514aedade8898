"""Padding layers with PyTorch's names, arguments and ``repr``: zero, constant, reflection
(mirror without repeating the edge), replication (repeat the edge) and circular (periodic)
padding of signals ``(N, C, L)`` (``*1d``) and images ``(N, C, H, W)`` (``*2d``).

``padding`` is an int (the same on every side) or a tuple ``(left, right)`` for 1-d and
``(left, right, top, bottom)`` for 2-d, stored as that tuple. Zero and constant padding may be
negative (that side is cropped), as in PyTorch.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .layers import _int
from .module import Module

__all__ = [
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "CircularPad1d",
    "CircularPad2d",
]


class _PadNd(Module):
    _dims = 1
    _mode = "constant"

    def __init__(self, padding: int | tuple[int, ...], value: float = 0.0) -> None:
        super().__init__()
        name = type(self).__name__
        n = 2 * self._dims
        if isinstance(padding, (tuple, list)):
            if len(padding) != n:
                raise ValueError(
                    f"{name}: padding must be an int or a {n}-tuple, got {tuple(padding)!r}"
                )
            self.padding = tuple(_int(p, "padding", name, None) for p in padding)
        else:
            self.padding = (_int(padding, "padding", name, None),) * n
        if self._mode != "constant" and min(self.padding) < 0:
            raise ValueError(f"{name}: padding must not be negative, got {self.padding}")
        self.value = value

    def _check_input(self, x: Any) -> None:
        dims = (self._dims + 1, self._dims + 2)
        if not isinstance(x, Tensor) or x.ndim not in dims:
            name = type(self).__name__
            got = getattr(x, "shape", type(x).__name__)
            error = ValueError if self._mode == "circular" else RuntimeError
            raise error(f"{name}: expected a {dims[0]}-D or {dims[1]}-D input, got shape {got}")

    def forward(self, input: Tensor) -> Tensor:
        if self._mode != "constant":
            self._check_input(input)
            return F.pad(input, self.padding, mode=self._mode)
        x = input
        if min(self.padding) < 0:  # crop the sides with negative padding first
            index: list[Any] = [slice(None)] * x.ndim
            for k in range(self._dims):
                lo, hi = self.padding[2 * k], self.padding[2 * k + 1]
                n = x.shape[x.ndim - 1 - k]
                index[x.ndim - 1 - k] = slice(max(-lo, 0), n - max(-hi, 0))
            x = x[tuple(index)]
        pads = tuple(max(p, 0) for p in self.padding)
        return F.pad(x, pads, mode="constant", value=self.value) if any(pads) else x

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last axis with ``value``: ``(*, L)`` → ``(*, left + L + right)``."""

    def __init__(self, padding: int | tuple[int, int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(_PadNd):
    """Pad the last two axes with ``value``: ``(*, H, W)`` → ``(*, top + H + bottom,
    left + W + right)``."""

    _dims = 2

    def __init__(self, padding: int | tuple[int, int, int, int], value: float) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(_PadNd):
    """Pad the last axis with zeros."""

    def __init__(self, padding: int | tuple[int, int]) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pad the last two axes with zeros (what ``Conv2d(padding=...)`` does inside)."""

    _dims = 2

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Mirror ``(N, C, L)`` or ``(C, L)`` at its ends without repeating the edge value
    (each padding smaller than L)."""

    _mode = "reflect"

    def __init__(self, padding: int | tuple[int, int]) -> None:
        super().__init__(padding)


class ReflectionPad2d(_PadNd):
    """Mirror ``(N, C, H, W)`` or ``(C, H, W)`` at its borders without repeating the edge
    (each padding smaller than that axis)."""

    _mode = "reflect"
    _dims = 2

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__(padding)


class ReplicationPad1d(_PadNd):
    """Repeat the end values of ``(N, C, L)`` or ``(C, L)``."""

    _mode = "replicate"

    def __init__(self, padding: int | tuple[int, int]) -> None:
        super().__init__(padding)


class ReplicationPad2d(_PadNd):
    """Repeat the border values of ``(N, C, H, W)`` or ``(C, H, W)``."""

    _mode = "replicate"
    _dims = 2

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__(padding)


class CircularPad1d(_PadNd):
    """Periodic padding of ``(N, C, L)`` or ``(C, L)``: a ring (each padding at most L)."""

    _mode = "circular"

    def __init__(self, padding: int | tuple[int, int]) -> None:
        super().__init__(padding)


class CircularPad2d(_PadNd):
    """Periodic padding of ``(N, C, H, W)`` or ``(C, H, W)``: a torus, as for a periodic
    lattice (each padding at most that axis)."""

    _mode = "circular"
    _dims = 2

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__(padding)
