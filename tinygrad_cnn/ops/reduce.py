"""Reductions over any axes, with ``keepdim``."""

from __future__ import annotations

import math
import operator

from ..function import Function

__all__ = [
    "normalize_dim",
    "normalize_axes",
    "check_reducible",
    "kept_shape",
    "Sum",
    "Max",
    "Min",
]


def normalize_dim(dim, ndim: int, op: str, *, new_axis: bool = False) -> int:
    """One axis ``dim`` of a tensor with ``ndim`` axes as a non-negative int, checked as PyTorch
    checks it: valid dims are [-n, n - 1] with n = ``ndim`` (``ndim + 1`` with ``new_axis``, for
    ops that insert an axis: unsqueeze, stack); a 0-d tensor accepts -1 and 0.

    Raises ``TypeError`` for a non-integer and ``IndexError`` out of range, naming ``op``.
    """
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} ({dim!r})")
    dim = operator.index(dim)
    n = max(ndim + int(new_axis), 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim % n


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """``None`` or ``()`` → every axis (as PyTorch's ``dim=()``); an int or a sequence of ints
    → a sorted tuple of non-negative axes, each checked by ``normalize_dim`` (a repeated axis
    is a ``RuntimeError``)."""
    axes = (axis,) if axis is None or not isinstance(axis, (tuple, list)) else tuple(axis)
    if axis is None or not axes:
        return tuple(range(ndim))
    out = [normalize_dim(a, ndim, op) for a in axes]
    for a in out:
        if out.count(a) > 1:
            raise RuntimeError(f"{op}: dim {a} appears multiple times in the list of dims {axes}")
    return tuple(sorted(out)) if ndim else ()


def check_reducible(shape: tuple[int, ...], axes: tuple[int, ...] | None, op: str) -> None:
    """Reductions without an identity (max, min, argmax, median, ...) cannot reduce nothing:
    as PyTorch, an empty reduced axis is an ``IndexError`` and a reduction of a whole empty
    tensor (``axes=None``) a ``RuntimeError``. Axes of size 0 that are kept are fine."""
    if axes is None:
        if math.prod(shape) == 0:
            raise RuntimeError(
                f"{op}: cannot reduce the whole empty tensor of shape {shape}; "
                "specify the reduction dim with the 'dim' argument"
            )
        return
    for a in axes:
        if shape and shape[a] == 0:
            raise IndexError(
                f"{op}: expected reduction dim {a} to have non-zero size (shape {shape})"
            )


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1 (the result of keepdim=True)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, x, *, axis, keepdim=False):
        return self.xp.sum(x, axis=axis, keepdims=keepdim)

    def backward(self, grad_out):
        (x,) = self.inputs
        kept = kept_shape(x.shape, self.params["axis"])
        return grad_out.reshape(kept).expand(x.shape)


class Max(Function):
    """Maximum over axes (``amax``, and ``max()`` without a dim); the gradient is shared
    equally among tied maxima, as PyTorch does for these two (and among the NaNs where the
    result is NaN, as PyTorch's ``max()``). Empty reduced axes are the caller's to reject
    (``check_reducible``)."""

    pick = "max"

    def forward(self, x, *, axis, keepdim=False):
        xp = self.xp
        top = getattr(xp, self.pick)(x, axis=axis, keepdims=True)
        if x.dtype.kind == "f":  # integer and bool results carry no gradient
            mask = (x == top) | (xp.isnan(x) & xp.isnan(top))  # a NaN result: shared by the NaNs
            self.save_for_backward(mask / xp.sum(mask, axis=axis, keepdims=True, dtype=x.dtype))
        return top if keepdim else xp.squeeze(top, axis=axis)

    def backward(self, grad_out):
        (x,) = self.inputs
        kept = kept_shape(x.shape, self.params["axis"])
        return grad_out.reshape(kept).expand(x.shape) * self.saved[0]


class Min(Max):
    """Minimum over axes (``amin``, and ``min()`` without a dim); ties share the gradient."""

    pick = "min"
