"""Reductions over any axes, with ``keepdim``."""

from __future__ import annotations

from ..function import Function

__all__ = ["normalize_axes", "Sum", "Max"]


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """``None`` → every axis; ints → a sorted tuple of non-negative axes (checked)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axes}")
    return tuple(sorted(out)) if ndim else ()


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    def forward(self, x, *, axis, keepdim=False):
        return self.xp.sum(x, axis=axis, keepdims=keepdim)

    def backward(self, grad_out):
        (x,) = self.inputs
        kept = _kept_shape(x.shape, self.params["axis"])
        return grad_out.reshape(kept).expand(x.shape)


class Max(Function):
    """Maximum over axes; the gradient is shared equally among tied maxima (like ``amax``)."""

    def forward(self, x, *, axis, keepdim=False):
        xp = self.xp
        if x.size == 0:
            raise RuntimeError(f"max: cannot reduce an empty tensor of shape {x.shape}")
        top = xp.max(x, axis=axis, keepdims=True)
        mask = x == top
        self.save_for_backward(mask / xp.sum(mask, axis=axis, keepdims=True, dtype=x.dtype))
        return top if keepdim else xp.squeeze(top, axis=axis)

    def backward(self, grad_out):
        (x,) = self.inputs
        kept = _kept_shape(x.shape, self.params["axis"])
        return grad_out.reshape(kept).expand(x.shape) * self.saved[0]
