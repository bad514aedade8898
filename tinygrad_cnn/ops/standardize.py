"""Standardisation along the last axis, fused: the core of layer, group and instance norm.

``Standardize`` maps x (..., M) to x̂ = (x − μ)/√(σ² + ε), with the mean μ and the *biased*
variance σ² of each row of M values. The layers reshape their input so that the values
normalised together form the last axis ((N, G, C/G·H·W) for group norm), and apply their
scale and shift with ordinary Tensor operations.

Backward, per row (g the output gradient, M values):

    dx = (g − mean(g) − x̂·mean(g·x̂)) / √(σ² + ε)

on arrays when no graph is being recorded; with ``create_graph=True`` the same formula in
Tensor operations, the statistics recomputed from x, so that it can be differentiated again.
A composite of Tensor ops computes the same, in about twice the time.
"""

from __future__ import annotations

from .. import autograd
from ..function import Function

__all__ = ["Standardize"]


def _row_dot(xp, a, b):
    """Σ a·b over the last axis, kept as a length-1 axis, without a full-size temporary."""
    return xp.einsum("...m,...m->...", a, b)[..., None]


class Standardize(Function):
    """(x − mean)/√(var + eps) along the last axis of x (..., M), biased variance."""

    uses_inputs = True
    uses_output = True

    def forward(self, x, *, eps):
        xp = self.xp
        M = x.shape[-1]
        xhat = x - x.mean(axis=-1, keepdims=True)  # (..., M), centred
        invstd = 1.0 / xp.sqrt(_row_dot(xp, xhat, xhat) / M + eps)  # (..., 1)
        xhat *= invstd.astype(x.dtype, copy=False)
        self.save_for_backward(invstd.astype(x.dtype, copy=False))
        return xhat

    def backward(self, grad_out):
        if autograd.is_grad_enabled():
            return self._backward_graph(grad_out)
        xp = self.xp
        (invstd,) = self.saved
        xhat, g = self.output._data, grad_out._data
        M = g.shape[-1]
        grad_x = g - g.mean(axis=-1, keepdims=True)
        grad_x -= xhat * (_row_dot(xp, g, xhat) / M)
        grad_x *= invstd
        return type(grad_out)(grad_x)

    def _backward_graph(self, grad_out):
        """The same gradient in Tensor ops, statistics recomputed from x: differentiable."""
        (x,) = self.inputs
        xc = x - x.mean(-1, keepdim=True)
        invstd = ((xc * xc).mean(-1, keepdim=True) + self.params["eps"]).rsqrt()
        xhat = xc * invstd
        g = grad_out
        return invstd * (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True))
