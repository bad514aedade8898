"""Anomaly mode: find where a NaN or an infinity was born, with the line of your code.

    with tg.autograd.detect_anomaly():
        loss = model(x).log().mean()   # every op remembers the line of user code that made it
        loss.backward()                # the first NaN/Inf raises one RuntimeError naming the op

While anomaly mode is on, every op records where it was created (``Function.origin``: file,
line and function of the first frame outside the ``tinygrad_cnn`` package). With
``check_nan`` (the default) the first op whose forward turns finite inputs into a NaN/Inf, or
whose backward turns a finite output gradient into a NaN/Inf input gradient, raises a
``RuntimeError`` naming the op, its input and output shapes and that source line. Values that
arrive already non-finite (an ``-inf`` mask you wrote on purpose) are passed on: only the op
where they appear counts.

When anomaly mode is off it costs one check of a module flag per op.
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Origin",
    "detect_anomaly",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "set_detect_anomaly",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# read by Function.apply and the backward engine: the only cost when anomaly mode is off
_enabled = False
_check_nan = True
_ENGINE_CODE: list[Any] = [None]  # the code object of the backward loop, found when turned on


@dataclass(frozen=True)
class Origin:
    """Where an op was created: the first frame of user code (outside ``tinygrad_cnn``)."""

    file: str
    line: int
    function: str
    code: str  # the source line, stripped ('' when the file cannot be read)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line} in {self.function}"
        return f"{where}: {self.code}" if self.code else where

    @property
    def short(self) -> str:
        """``'train.py:12'``: the file's base name and the line."""
        return f"{os.path.basename(self.file)}:{self.line}"


def is_anomaly_enabled() -> bool:
    """True while anomaly mode records op origins."""
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True while anomaly mode also raises on the first NaN/Inf."""
    return _enabled and _check_nan


def _set(mode: bool, check_nan: bool) -> tuple[bool, bool]:
    global _enabled, _check_nan
    previous = (_enabled, _check_nan)
    if mode and _ENGINE_CODE[0] is None:
        _ENGINE_CODE[0] = _engine_code()
    _enabled, _check_nan = bool(mode), bool(check_nan)
    return previous


class _AnomalyContext:
    def __init__(self) -> None:
        self._previous: list[tuple[bool, bool]] = []

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)

        return wrapper

    def _fresh(self) -> _AnomalyContext:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous.pop())


class detect_anomaly(_AnomalyContext):  # noqa: N801 (PyTorch's name)
    """Turn anomaly mode on inside a ``with`` block or a decorated function.

    ``check_nan``: raise on the first NaN/Inf (default True); False only records origins.
    """

    def __init__(self, check_nan: bool = True) -> None:
        super().__init__()
        self.check_nan = bool(check_nan)

    def _fresh(self) -> detect_anomaly:
        return detect_anomaly(self.check_nan)

    def __enter__(self) -> None:
        self._previous.append(_set(True, self.check_nan))


class set_detect_anomaly(_AnomalyContext):  # noqa: N801 (PyTorch's name)
    """Turn anomaly mode on or off: at once when called (``set_detect_anomaly(True)``), for
    a ``with`` block, or for a decorated function, as PyTorch's ``set_detect_anomaly``."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__()
        self.mode, self.check_nan = bool(mode), bool(check_nan)
        self._previous.append(_set(self.mode, self.check_nan))

    def _fresh(self) -> set_detect_anomaly:
        return set_detect_anomaly(self.mode, self.check_nan)

    def __call__(self, fn: Callable) -> Callable:
        _set(*self._previous[-1])  # decorating does not change the mode; calling does
        return super().__call__(fn)

    def __enter__(self) -> None:
        pass  # the mode was set by the constructor


# ------------------------------------------------------------------------- used by the engine
def user_origin() -> tuple[Origin | None, bool]:
    """The innermost frame on the stack outside the ``tinygrad_cnn`` package, and whether the
    call came from inside the backward engine (an op that a backward is running)."""
    frame = sys._getframe(1)
    in_backward = False
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        in_backward = in_backward or frame.f_code is _ENGINE_CODE[0]
        frame = frame.f_back
    if frame is None:
        return None, in_backward
    file, line = frame.f_code.co_filename, frame.f_lineno
    origin = Origin(file, line, frame.f_code.co_name, linecache.getline(file, line).strip())
    return origin, in_backward


def _engine_code() -> Any:
    from . import autograd

    return autograd._run.__code__


def _finite(array: Any) -> bool:
    kind = getattr(getattr(array, "dtype", None), "kind", "")
    if kind not in ("f", "c"):
        return True
    return bool(_xp(array).isfinite(array).all())


def _xp(array: Any) -> Any:
    from .backend import get_array_module

    return get_array_module(array)


def _shapes(tensors: Any) -> str:
    return ", ".join(str(tuple(t.shape)) for t in tensors) or "none"


def _where(op: Any) -> str:
    origin = op.origin
    if origin is None:
        return "its origin was not recorded (it was created before anomaly mode was turned on)"
    return f"it was created at {origin}"


def _what(array: Any) -> str:
    xp = _xp(array)
    n_nan = int(xp.isnan(array).sum())
    n_inf = int(xp.isinf(array).sum())
    parts = [f"{n_nan} NaN"] if n_nan else []
    parts += [f"{n_inf} Inf"] if n_inf else []
    return " and ".join(parts)


def forward_hook(op: Any, inputs: tuple, out: Any) -> None:
    """Record the op's origin; raise if its output is the first non-finite value."""
    op.origin, in_backward = user_origin()
    if not _check_nan or in_backward or _finite(out._data):
        return  # inside a backward, the op whose backward it is will be named
    if all(_finite(t._data) for t in inputs):
        raise RuntimeError(
            f"detect_anomaly: {op.name} produced {_what(out._data)} values in its forward "
            f"output from finite inputs (input shapes {_shapes(inputs)}, output shape "
            f"{tuple(out.shape)}); {_where(op)}"
        )


def backward_hook(op: Any, grad_out: Any, input_grads: tuple) -> None:
    """Raise if the op's backward turned a finite gradient into a non-finite one."""
    if not _check_nan or not _finite(grad_out._data):
        return
    for i, g in enumerate(input_grads):
        if g is not None and not _finite(g._data):
            raise RuntimeError(
                f"detect_anomaly: {op.name}.backward returned {_what(g._data)} values in the "
                f"gradient of input {i} from a finite output gradient (input shapes "
                f"{_shapes(op.inputs)}, output shape {tuple(grad_out.shape)}); {_where(op)}"
            )
