"""1-D convolution and pooling layers (signals (N, C, L), e.g. spin chains or time series),
adaptive max pooling and max-unpooling, with PyTorch's names, arguments, defaults,
initialisation and ``repr``.

The 1-D layers call the 1-D functions of ``tinygrad_cnn.functional``, which run the 2-D
primitives on a height-1 image; their gradients are differentiable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .layers import _add_weight_and_bias, _int, _pair, _reset_weight_and_bias
from .module import Module

__all__ = [
    "Conv1d",
    "ConvTranspose1d",
    "MaxPool1d",
    "AvgPool1d",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _single(x: Any, name: str, layer: str, minimum: int = 0) -> tuple[int]:
    """An int or a 1-tuple of ints (≥ ``minimum``) → a 1-tuple, as PyTorch stores them."""
    if isinstance(x, (tuple, list)):
        if len(x) != 1:
            raise ValueError(f"{layer}: {name} must be an int or a 1-tuple, got {x!r}")
        x = x[0]
    return (_int(x, name, layer, minimum),)


class _Conv1dBase(Module):
    """What Conv1d and ConvTranspose1d share: options as 1-tuples, weight and bias with
    PyTorch's init (kaiming-uniform, a=√5), the input check and the repr."""

    _layer_name = ""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int],
        padding: int | tuple[int] | str,
        dilation: int | tuple[int],
        groups: int,
        bias: bool,
        padding_mode: str,
        transposed: bool,
        output_padding: int | tuple[int] = 0,
    ) -> None:
        super().__init__()
        name = self._layer_name
        self.in_channels = _int(in_channels, "in_channels", name)
        self.out_channels = _int(out_channels, "out_channels", name)
        self.groups = _int(groups, "groups", name)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"both be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {', '.join(map(repr, _PADDING_MODES))}, "
                f"got {padding_mode!r}"
            )
        self.kernel_size = _single(kernel_size, "kernel_size", name, 1)
        self.stride = _single(stride, "stride", name, 1)
        self.dilation = _single(dilation, "dilation", name, 1)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{name}: padding must be 'same', 'valid' or an int, got {padding!r}"
                )
            if padding == "same" and self.stride != (1,):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions"
                )
            self.padding: Any = padding
        else:
            self.padding = _single(padding, "padding", name)
        self.output_padding = _single(output_padding, "output_padding", name)
        self.transposed = transposed
        self.padding_mode = padding_mode
        if transposed:  # the adjoint maps input channels to output channels
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        _add_weight_and_bias(self, shape, self.out_channels, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.ndim not in (2, 3) or x.shape[-2] != self.in_channels:
            shape = getattr(x, "shape", type(x).__name__)
            raise RuntimeError(
                f"{self._layer_name}: expected input (N, {self.in_channels}, L) or "
                f"({self.in_channels}, L), got shape {shape} (weight shape {self.weight.shape})"
            )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_Conv1dBase):
    """1-D convolution (cross-correlation) over ``(N, C_in, L)`` (or ``(C_in, L)``) →
    ``(N, C_out, OL)`` with ``OL = floor((L + 2·padding − dilation·(kernel − 1) − 1) / stride)
    + 1``.

    weight ``(out_channels, in_channels / groups, kernel_size)``; bias ``(out_channels,)``.
    ``padding``: int, ``"same"`` or ``"valid"``; ``padding_mode``: ``"zeros"`` (default),
    ``"reflect"``, ``"replicate"`` or ``"circular"`` (a periodic chain)."""

    _layer_name = "Conv1d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] | str = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            transposed=False,
        )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        padding: Any = self.padding
        if self.padding_mode != "zeros" and padding != "valid":
            if padding == "same":
                total = self.dilation[0] * (self.kernel_size[0] - 1)
                pads = (total // 2, total - total // 2)
            else:
                pads = (padding[0], padding[0])
            if any(pads):
                x = F.pad(x, pads, mode=self.padding_mode)
            padding = 0
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose1d(_Conv1dBase):
    """Transposed 1-D convolution (the adjoint of Conv1d; learned upsampling):
    ``(N, C_in, L)`` → ``(N, C_out, OL)`` with
    ``OL = (L − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1``.
    weight ``(in_channels, out_channels / groups, kernel_size)``; bias ``(out_channels,)``."""

    _layer_name = "ConvTranspose1d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] = 0,
        output_padding: int | tuple[int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int] = 1,
        padding_mode: str = "zeros",
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'ConvTranspose1d: only "zeros" padding mode is supported, got {padding_mode!r}'
            )
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose1d: padding must be an int, got {padding!r}")
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            transposed=True,
            output_padding=output_padding,
        )

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return F.conv_transpose1d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


# ---------------------------------------------------------------------------- pooling
class MaxPool1d(Module):
    """Maximum over ``kernel_size`` windows of ``(N, C, L)`` (or ``(C, L)``); ``stride``
    defaults to ``kernel_size``; padding counts as −∞; ``return_indices=True`` also returns
    the position of each maximum along L."""

    def __init__(
        self,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] | None = None,
        padding: int | tuple[int] = 0,
        dilation: int | tuple[int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        _single(kernel_size, "kernel_size", "MaxPool1d", 1)  # checked, kept as given
        if stride is not None:
            _single(stride, "stride", "MaxPool1d", 1)
        _single(padding, "padding", "MaxPool1d", 0)
        _single(dilation, "dilation", "MaxPool1d", 1)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Any:
        return F.max_pool1d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool1d(Module):
    """Mean over ``kernel_size`` windows of ``(N, C, L)`` (or ``(C, L)``); ``stride``
    defaults to ``kernel_size``; zero padding, counted in the divisor when
    ``count_include_pad`` (the default)."""

    def __init__(
        self,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] | None = None,
        padding: int | tuple[int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size, "kernel_size", "AvgPool1d", 1)
        self.stride = (
            self.kernel_size if stride is None else _single(stride, "stride", "AvgPool1d", 1)
        )
        self.padding = _single(padding, "padding", "AvgPool1d", 0)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    _dims = 1

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        name = type(self).__name__
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
        if not 1 <= len(sizes) <= self._dims:
            raise ValueError(
                f"{name}: output_size must be an int or a {self._dims}-tuple, got {output_size!r}"
            )
        for n in sizes:
            if n is not None:
                _int(n, "output_size", name, 1)
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of ``(N, C, L)`` to a fixed length ``output_size`` whatever L is."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(x, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling of ``(N, C, L)`` to a fixed length ``output_size``; ``return_indices=True``
    also returns the position of each maximum."""

    def __init__(self, output_size: int | tuple[int], return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool1d(x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling of ``(N, C, H, W)`` to a fixed ``output_size`` (an int or a pair; None keeps
    that input size); ``return_indices=True`` also returns the flat position (row·W + col) of
    each maximum."""

    _dims = 2

    def __init__(
        self, output_size: int | tuple[int | None, int | None], return_indices: bool = False
    ) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        return F.adaptive_max_pool2d(x, self.output_size, self.return_indices)


class _MaxUnpool(Module):
    """Options stored as PyTorch does (tuples; ``stride`` defaults to ``kernel_size``)."""

    _tuple = staticmethod(_pair)
    _unpool = staticmethod(F.max_unpool2d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = self._tuple(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else self._tuple(stride, "stride", name, 1)
        self.padding = self._tuple(padding, "padding", name, 0)

    def forward(
        self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None
    ) -> Tensor:
        return self._unpool(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpool):
    """The inverse of ``MaxPool2d(..., return_indices=True)``: ``forward(input, indices,
    output_size=None)`` writes each value at its index in a zero output of size
    ``(H − 1)·stride − 2·padding + kernel_size`` per axis (or ``output_size``)."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__(kernel_size, stride, padding)


class MaxUnpool1d(_MaxUnpool):
    """The inverse of ``MaxPool1d(..., return_indices=True)``: ``forward(input, indices,
    output_size=None)`` writes each value at its index in a zero output of length
    ``(L − 1)·stride − 2·padding + kernel_size`` (or ``output_size``)."""

    _tuple = staticmethod(_single)
    _unpool = staticmethod(F.max_unpool1d)

    def __init__(
        self,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] | None = None,
        padding: int | tuple[int] = 0,
    ) -> None:
        super().__init__(kernel_size, stride, padding)
