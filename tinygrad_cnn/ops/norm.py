"""Batch normalisation in training mode, fused.

``BatchNorm`` normalises x (N, C, *) per channel with the batch mean and the *biased* batch
variance, then applies the affine map: y = (x − μ)·γ/√(σ² + ε) + β. The batch statistics are
computed once by the caller (who also updates the running statistics) and passed in as inputs,
so that forward makes two passes over x.

Backward uses the one-pass formulas (per channel, over M = N·H·W values):

    x̂ = (x − μ)/√(σ² + ε),   dβ = Σ g,   dγ = Σ g·x̂,
    dx = γ/√(σ² + ε) · (g − dβ/M − x̂·dγ/M)

computed on arrays when no graph is being recorded (ordinary training), and with the same
formulas written in Tensor operations, statistics included, when ``create_graph=True`` asks for
a differentiable gradient. In eval mode batch norm is an affine map and needs no primitive.
"""

from __future__ import annotations

from .. import autograd
from ..function import Function
from ..tensor import Tensor
from .im2col import empty_like

__all__ = ["BatchNorm", "batch_stats", "channel_dot"]

_LETTERS = "nmabdefghijk"


def _axes(ndim: int) -> tuple[int, ...]:
    return (0,) + tuple(range(2, ndim))


def _bshape(ndim: int, C: int) -> tuple[int, ...]:
    return (1, C) + (1,) * (ndim - 2)


def channel_dot(xp, a, b):
    """Σ a·b over every axis but 1 → (C,), without a full-size temporary (einsum)."""
    sub = _LETTERS[0] + "c" + _LETTERS[1 : a.ndim - 1]
    return xp.einsum(f"{sub},{sub}->c", a, b)


def batch_stats(xp, x):
    """Per-channel mean and biased variance of x (N, C, *) → two (C,) arrays."""
    axes = _axes(x.ndim)
    mean = x.mean(axis=axes)
    xc = empty_like(x)
    xp.subtract(x, mean.reshape(_bshape(x.ndim, x.shape[1])), out=xc)
    var = channel_dot(xp, xc, xc) / (x.size // x.shape[1])
    return mean, var.astype(x.dtype, copy=False)


class BatchNorm(Function):
    """y = (x − mean)/√(var + eps)·weight + bias for x (N, C, *), weight/bias/mean/var (C,).

    ``mean`` and ``var`` are the batch statistics of x (biased variance); they get no gradient
    (their dependence on x is part of the formula for dx)."""

    uses_inputs = True

    def forward(self, x, weight, bias, mean, var, *, eps):
        xp = self.xp
        bshape = _bshape(x.ndim, x.shape[1])
        invstd = 1.0 / xp.sqrt(var + eps)  # (C,)
        scale = invstd * weight  # (C,)
        shift = bias - mean * scale
        self.save_for_backward(invstd)
        y = empty_like(x)
        xp.multiply(x, scale.reshape(bshape), out=y)
        y += shift.reshape(bshape)
        return y

    def backward(self, grad_out):
        if autograd.is_grad_enabled():
            return self._backward_graph(grad_out)
        xp = self.xp
        x, weight, _, mean, _ = (t._data for t in self.inputs)
        (invstd,) = self.saved
        g = grad_out._data
        ndim, C = x.ndim, x.shape[1]
        bshape, M = _bshape(ndim, C), x.size // C
        xc = empty_like(x)
        xp.subtract(x, mean.reshape(bshape), out=xc)
        grad_b = g.sum(axis=_axes(ndim))  # Σ g
        grad_w = channel_dot(xp, g, xc) * invstd  # Σ g·x̂
        # dx = a·g + k·(x − μ) + c, per-channel constants a, k, c
        a = weight * invstd
        k = -a * invstd * grad_w / M
        c = -a * grad_b / M
        grad_x = empty_like(x)
        xp.multiply(g, a.reshape(bshape), out=grad_x)
        xc *= k.reshape(bshape)
        grad_x += xc
        grad_x += c.reshape(bshape)
        dtype = x.dtype
        return (
            Tensor(grad_x),
            Tensor(grad_w.astype(dtype, copy=False)),
            Tensor(grad_b.astype(dtype, copy=False)),
            None,
            None,
        )

    def _backward_graph(self, grad_out):
        """The same gradient in Tensor ops, statistics recomputed from x: differentiable."""
        x, weight = self.inputs[0], self.inputs[1]
        eps = self.params["eps"]
        axes, bshape = _axes(x.ndim), _bshape(x.ndim, x.shape[1])
        xc = x - x.mean(axes, keepdim=True)
        invstd = ((xc * xc).mean(axes, keepdim=True) + eps) ** -0.5
        xhat = xc * invstd
        gw = grad_out * weight.reshape(bshape)
        grad_x = invstd * (
            gw - gw.mean(axes, keepdim=True) - xhat * (gw * xhat).mean(axes, keepdim=True)
        )
        grad_w = (grad_out * xhat).sum(axes)
        grad_b = grad_out.sum(axes)
        return grad_x, grad_w, grad_b, None, None
