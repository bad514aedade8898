"""Tensor factories. Random ones draw from the global generator (``tg.manual_seed``).

Floating results take the default dtype (``tg.get_default_dtype()``, float32 unless changed);
``full``, ``arange`` and ``tensor`` infer int64 from Python ints and bool from bools, as PyTorch.
Sizes are checked: a negative or non-integer size is an error that names the factory.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import from_dlpack as _array_from_dlpack
from .backend import get_array_module
from .dtypes import get_default_dtype
from .random import numpy_rng
from .tensor import Tensor

__all__ = [
    "tensor",
    "as_tensor",
    "from_numpy",
    "from_dlpack",
    "is_tensor",
    "numel",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "randperm",
    "empty",
    "empty_like",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
]


def _size(shape: tuple, op: str) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` → (2, 3), each a non-negative int."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: size must be a tuple of ints, got {shape!r}")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{op}: sizes must be non-negative, got {tuple(int(n) for n in shape)}")
    return tuple(int(n) for n in shape)


def _dtype(dtype: Any, op: str) -> np.dtype:
    """``dtype`` as a NumPy dtype (None: the default float dtype); a clear error if unknown."""
    if dtype is None:
        return get_default_dtype()
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: unknown dtype {dtype!r} (e.g. tg.float32, tg.int64)") from None


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    """``dtype`` (default: the default dtype) for a factory that only makes floats."""
    d = _dtype(dtype, op)
    if d.kind != "f":
        raise TypeError(f"{op}: needs a floating dtype, got {d}")
    return d


def _number_dtype(value: Any, op: str) -> np.dtype:
    """PyTorch's inference for a fill value: bool → bool, int → int64, float → default."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return get_default_dtype()
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.dtype
    raise TypeError(f"{op}: fill value must be a number, got {type(value).__name__}")


def _make(array: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, dtype=dtype, device=device, requires_grad=requires_grad)


# ---------------------------------------------------------------- from data
def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor with a copy of ``data`` (numbers, nested lists, arrays, tensors), as
    ``torch.tensor``: Python ints give int64, bools bool, floats the default dtype; arrays and
    tensors keep their dtype. Never shares memory with ``data`` (see ``as_tensor``)."""
    if isinstance(data, Tensor):
        data = data._data
    if hasattr(data, "__array__") or hasattr(data, "__cuda_array_interface__"):
        xp = get_array_module(data)
        data = xp.array(data, copy=True)
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (a tensor or an array of the asked
    dtype and device is not copied), as ``torch.as_tensor``."""
    if isinstance(data, Tensor):
        out = data if dtype is None else data.to(dtype)
        return out if device is None else out.to(device)
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``array`` (dtype kept): writes to one show
    in the other, as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: dtype {array.dtype} is not supported")
    return Tensor(array)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX, ...)."""
    return Tensor(_array_from_dlpack(obj))


def is_tensor(obj: Any) -> bool:
    """True for a ``Tensor`` (a ``Parameter`` too)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: expected a Tensor, got {type(input).__name__}")
    return input.numel()


# ---------------------------------------------------------------- filled
def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, d = _size(size, "zeros"), _dtype(dtype, "zeros")
    return _make(np.zeros(shape, d), None, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor to be filled in; here its values are zeros (PyTorch leaves them undefined)."""
    shape, d = _size(size, "empty"), _dtype(dtype, "empty")
    return _make(np.zeros(shape, d), None, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape, d = _size(size, "ones"), _dtype(dtype, "ones")
    return _make(np.ones(shape, d), None, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``size`` filled with ``fill_value``; the dtype is inferred from it (3 → int64, 3.0 → the
    default float, True → bool) unless given."""
    shape = _size((size,), "full")
    d = _dtype(dtype, "full") if dtype is not None else _number_dtype(fill_value, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _make(np.full(shape, fill_value, d), None, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``torch.arange``: values start, start + step, ... below ``end``; int64 when every
    argument is an int, the default float dtype otherwise."""
    if end is None:
        start, end = 0, start
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {v!r}")
        if not math.isfinite(v):
            raise RuntimeError(f"arange: unsupported range {start} -> {end} (step {step})")
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero (start {start}, end {end})")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange: upper bound and lower bound inconsistent with step sign "
            f"(start {start}, end {end}, step {step})"
        )
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else get_default_dtype()
    dtype = _dtype(dtype, "arange")
    return _make(np.arange(start, end, step).astype(dtype), None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace: steps must be an int, got {steps!r}")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    values = np.linspace(start, end, int(steps), dtype=np.float64)
    return _make(values, _float_dtype(dtype, "linspace"), device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    rows, cols = _size((n,) if m is None else (n, m), "eye") * (2 if m is None else 1)
    return _make(np.eye(rows, cols, dtype=_dtype(dtype, "eye")), None, device, requires_grad)


# ---------------------------------------------------------------- random
def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1) (from ``generator``, a ``tg.Generator``, else the global one)."""
    shape, d = _size(size, "rand"), _float_dtype(dtype, "rand")
    return _make(numpy_rng(generator, "rand").random(shape), d, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    shape, d = _size(size, "randn"), _float_dtype(dtype, "randn")
    return _make(numpy_rng(generator, "randn").standard_normal(shape), d, device, requires_grad)


def randint(low, high=None, size=(), generator=None, dtype=np.int64, device=None) -> Tensor:
    """Integers in [low, high) (``randint(high, size=...)`` draws from [0, high))."""
    if high is None:
        low, high = 0, low
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {v!r}")
    if low >= high:
        raise RuntimeError(f"randint: low must be less than high, got low={low} >= high={high}")
    shape = _size((size,), "randint")
    values = numpy_rng(generator, "randint").integers(low, high, size=shape)
    return _make(values, dtype, device, False)


def randperm(n, *, generator=None, dtype=np.int64, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n−1 (int64 unless ``dtype`` says otherwise)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"randperm: n must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    values = numpy_rng(generator, "randperm").permutation(int(n))
    return _make(values, dtype, device, requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def ones_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(
        x.shape,
        fill_value,
        dtype=dtype or x.dtype,
        device=device or x.device,
        requires_grad=requires_grad,
    )


def rand_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def randn_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(
        x.shape, dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad
    )


def empty_like(x: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(x, dtype=dtype, device=device, requires_grad=requires_grad)
