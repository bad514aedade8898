"""A running sum along one axis, and the p-norm over axes.

Cumsum's backward is a reversed Cumsum; PNorm's backward is written with Tensor ops and PNorm
itself, so both differentiate to any order. (Products and running products are composed from
Mul in ``shape_ops``, which keeps their gradients exact where inputs are zero.)
"""

from __future__ import annotations

from ..function import Function
from .movement import GetItem

__all__ = ["Cumsum", "PNorm"]


class Cumsum(Function):
    def forward(self, x, *, axis):
        return self.xp.cumsum(x, axis=axis)

    def backward(self, grad_out):
        # d out_k / d x_i = 1 for i ≤ k: the gradient is the running sum from the end
        axis = self.params["axis"]
        flip = (slice(None),) * axis + (slice(None, None, -1),)
        reverse = Cumsum.apply(GetItem.apply(grad_out, index=flip), axis=axis)
        return GetItem.apply(reverse, index=flip)


class PNorm(Function):
    """(Σ |x|^p)^(1/p) over ``axis`` (a tuple), for a finite p > 0. The gradient is
    sign(x)·|x|^(p−1) / norm^(p−1), and 0 where x or the norm is 0 (as PyTorch)."""

    def forward(self, x, *, p, axis, keepdim=False):
        xp = self.xp
        a = xp.abs(x)
        total = xp.sum(a * a if p == 2 else a**p, axis=axis, keepdims=keepdim)
        return xp.sqrt(total) if p == 2 else total ** (1.0 / p)

    def backward(self, grad_out):
        (x,) = self.inputs
        p, axis = self.params["p"], self.params["axis"]
        Tensor = type(grad_out)
        xp = self.xp
        norm = PNorm.apply(x, p=p, axis=axis, keepdim=True)  # differentiable, for second order
        zero = norm._data == 0
        safe = norm.where(Tensor(~zero), Tensor(xp.ones((), dtype=norm.dtype)))
        kept = tuple(1 if i in axis else n for i, n in enumerate(x.shape))
        g = grad_out.reshape(kept)
        if p == 2:
            grad = g * x / safe
        else:
            # |x|^(p−1) with the zero elements replaced by 1 (their sign makes the term 0),
            # so that p < 1 gives 0 there, as PyTorch, not 0·∞
            nonzero = Tensor(x._data != 0)
            sign = Tensor(xp.sign(x._data))
            x_safe = x.where(nonzero, Tensor(xp.ones((), dtype=x.dtype)))
            grad = g * sign * x_safe.abs() ** (p - 1) / safe ** (p - 1)
        return grad.where(Tensor(~zero), Tensor(xp.zeros((), dtype=x.dtype)))
