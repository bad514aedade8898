"""Resizing images and signals: ``interpolate`` (what ``nn.Upsample`` calls).

Every mode is separable: resizing (N, C, D1, ..., Dk) resizes each spatial axis in turn, the
last one first. Along one axis of input length n and output length o:

    nearest        out[i] = x[min(floor(i·scale), n − 1)]
    nearest-exact  out[i] = x[min(floor((i + ½)·scale), n − 1)]
    linear         out[i] = (1 − λ)·x[i0] + λ·x[i0 + 1], with the source position
                   s = scale·(i + ½) − ½ clamped at 0 (align_corners=False) or s = scale·i
                   (align_corners=True), i0 = floor(s), λ = s − i0
    area           out[i] = mean of x over the adaptive window of i (as adaptive_avg_pool)

``scale`` is n / o, or 1 / scale_factor when a scale factor is given and not recomputed
(PyTorch's rules, in PyTorch's float precision, so that the chosen source pixels agree also for
non-integer factors); with align_corners it is (n − 1) / (o − 1). Each axis is one or two index
selections and a weighted sum (or one matrix product for ``area``), so the result is
differentiable to any order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import to_device
from ..tensor import Tensor
from ._args import _tensor
from .pool import _adaptive_matrix

__all__ = ["interpolate"]

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "area")


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def _per_axis(value: Any, dim: int, name: str, shape: tuple[int, ...]) -> list:
    """One value per spatial axis (a scalar is repeated); a ValueError for a wrong length."""
    if isinstance(value, (tuple, list)):
        if len(value) != dim:
            raise ValueError(
                f"interpolate: input and {name} must have the same number of spatial "
                f"dimensions, but got input with spatial dimensions of {list(shape[2:])} and "
                f"{name} {value}; give the input as (N, C, d1, ..., dK) and {name} as "
                f"(s1, ..., sK)"
            )
        return list(value)
    return [value] * dim


def _check_mode(mode: str, ndim: int) -> None:
    if mode not in _MODES:
        raise NotImplementedError(
            f"interpolate: mode must be one of {', '.join(_MODES)}, got {mode!r}"
        )
    if ndim not in (3, 4, 5):
        raise NotImplementedError(
            f"interpolate: only 3-D, 4-D and 5-D inputs are supported (got {ndim}-D) for the "
            f"modes {' | '.join(_MODES)} (got {mode})"
        )
    needed = _LINEAR_MODES.get(mode)
    if needed is not None and needed != ndim:
        raise NotImplementedError(
            f"interpolate: got {ndim}-D input, but {mode} mode needs {needed}-D input"
        )


def _sizes_and_scales(x: Tensor, size, scale_factor, recompute_scale_factor, mode):
    """PyTorch's output sizes, and the scale factors the index rules use (None: from sizes)."""
    dim = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                "interpolate: recompute_scale_factor is not meaningful with an explicit size"
            )
        sizes = _per_axis(size, dim, "output size", x.shape)
        if not all(_is_int(n) for n in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of ints, got {size!r}")
        sizes = [int(n) for n in sizes]
        scales: list | None = None
    else:
        scales = _per_axis(scale_factor, dim, "scale_factor", x.shape)
        for s in scales:
            if isinstance(s, bool) or not isinstance(s, (int, float, np.integer, np.floating)):
                raise TypeError(
                    f"interpolate: scale_factor must be a number or a tuple of numbers, got "
                    f"{scale_factor!r}"
                )
        scales = [float(s) for s in scales]
        sizes = [math.floor(n * s) for n, s in zip(x.shape[2:], scales, strict=True)]
        if recompute_scale_factor or mode == "area":
            scales = None
    if min(sizes) < 1:
        raise RuntimeError(
            f"interpolate: input of spatial size {tuple(x.shape[2:])} and output size "
            f"{tuple(sizes)}: output sizes must be positive (size={size!r}, "
            f"scale_factor={scale_factor!r})"
        )
    return sizes, scales or [None] * dim


def _scale_value(n: int, o: int, scale: float | None, ftype) -> np.floating:
    """PyTorch's ``compute_scales_value``: 1/scale_factor when given (and positive), else
    n / o, in the float type ``ftype``."""
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(n) / ftype(o)


def _nearest_index(n: int, o: int, scale: float | None, exact: bool) -> np.ndarray:
    dst = np.arange(o)
    if not exact:
        if o == n:
            return dst
        if o == 2 * n:
            return dst >> 1
    s = _scale_value(n, o, scale, np.float32)  # PyTorch computes nearest indices in float
    if exact:
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n - 1)


def _linear_weights(n: int, o: int, scale: float | None, align_corners: bool, dtype):
    """(i0, i1, λ0, λ1) of the two-tap linear filter along one axis, in the input's float
    type (PyTorch's ``compute_source_index_and_lambda``)."""
    ftype = np.dtype(dtype).type
    dst = np.arange(o).astype(dtype)
    if align_corners:
        s = ftype(n - 1) / ftype(o - 1) if o > 1 else ftype(0)
        real = s * dst
    else:
        s = _scale_value(n, o, scale, ftype)
        real = np.maximum(s * (dst + ftype(0.5)) - ftype(0.5), ftype(0))
    i0 = real.astype(np.int64)
    i1 = i0 + (i0 < n - 1)
    lam1 = np.clip(real - i0.astype(dtype), 0, 1).astype(dtype)
    lam0 = (ftype(1) - lam1).astype(dtype)
    return i0, i1, lam0, lam1


def _along(values: np.ndarray, x: Tensor, axis: int) -> Tensor:
    """A constant per-position factor of an axis, shaped to broadcast against x."""
    shape = (values.shape[0],) + (1,) * (x.ndim - 1 - axis)
    return Tensor(to_device(values.reshape(shape), x.device))


def _resize_axis(x, axis, o, scale, mode, align_corners):
    n = x.shape[axis]
    if mode in ("nearest", "nearest-exact"):
        idx = _nearest_index(n, o, scale, exact=mode == "nearest-exact")
        if o == n and np.array_equal(idx, np.arange(n)):
            return x
        return x.index_select(axis, Tensor(to_device(idx, x.device)))
    if mode == "area":
        if o == n:
            return x
        m = Tensor(to_device(_adaptive_matrix(n, o, x.dtype), x.device))  # (o, n)
        return (x.movedim(axis, -1) @ m.T).movedim(-1, axis)
    if o == n and not align_corners:  # PyTorch copies the input unchanged
        return x
    i0, i1, lam0, lam1 = _linear_weights(n, o, scale, align_corners, x.dtype)
    lo = x.index_select(axis, Tensor(to_device(i0, x.device)))
    hi = x.index_select(axis, Tensor(to_device(i1, x.device)))
    return lo * _along(lam0, x, axis) + hi * _along(lam1, x, axis)


def interpolate(
    input: Tensor,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by ``scale_factor``
    (exactly one of them; each an int/float or one per spatial axis).

    ``mode``: ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"`` (3-D),
    ``"bilinear"`` (4-D), ``"trilinear"`` (5-D) or ``"area"``. ``align_corners`` (linear modes
    only; default False) maps the corner pixels' centres onto each other. With a
    ``scale_factor``, the output size is floor(size·scale_factor) and the index rules use the
    factor itself unless ``recompute_scale_factor=True`` (then they use the size ratio).
    """
    op = "interpolate"
    x = _tensor(input, "input", op)
    _check_mode(mode, x.ndim)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                f"{op}: align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    sizes, scales = _sizes_and_scales(x, size, scale_factor, recompute_scale_factor, mode)
    out = x
    for axis in reversed(range(2, x.ndim)):  # the last axis first, as PyTorch's kernels sum
        o, s = sizes[axis - 2], scales[axis - 2]
        out = _resize_axis(out, axis, o, s, mode, bool(align_corners))
    return out
