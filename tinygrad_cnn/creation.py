"""Tensor factories. Random ones draw from the global generator (``tg.manual_seed``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import from_dlpack as _array_from_dlpack
from .random import default_rng
from .tensor import Tensor, _shape_arg

__all__ = [
    "tensor",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
    "from_numpy",
    "from_dlpack",
]

_F32 = np.float32


def _make(array: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, dtype=dtype, device=device, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Same as ``Tensor(...)``, with PyTorch's spelling."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros(*shape, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    return _make(np.zeros(_shape_arg(shape), dtype or _F32), None, device, requires_grad)


def ones(*shape, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    return _make(np.ones(_shape_arg(shape), dtype or _F32), None, device, requires_grad)


def full(shape, fill_value, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    shape = _shape_arg((shape,))
    return _make(np.full(shape, fill_value, dtype or _F32), None, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if is_int else _F32
    return _make(np.arange(start, end, step).astype(dtype), None, device, requires_grad)


def linspace(start, end, steps, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    values = np.linspace(start, end, int(steps), dtype=np.float64)
    return _make(values, dtype or _F32, device, requires_grad)


def eye(n, m=None, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    return _make(np.eye(n, m, dtype=dtype or _F32), None, device, requires_grad)


def rand(*shape, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    """Uniform on [0, 1)."""
    return _make(default_rng().random(_shape_arg(shape)), dtype or _F32, device, requires_grad)


def randn(*shape, dtype=_F32, device=None, requires_grad=False) -> Tensor:
    """Standard normal."""
    values = default_rng().standard_normal(_shape_arg(shape))
    return _make(values, dtype or _F32, device, requires_grad)


def randint(low, high=None, size=(), dtype=np.int64, device=None) -> Tensor:
    """Integers in [low, high) (``randint(high, size=...)`` draws from [0, high))."""
    if high is None:
        low, high = 0, low
    return _make(default_rng().integers(low, high, size=_shape_arg((size,))), dtype, device, False)


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


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (dtype kept)."""
    return Tensor(array)


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX, ...)."""
    return Tensor(_array_from_dlpack(obj))
