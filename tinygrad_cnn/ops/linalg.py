"""Matrix multiplication with batched broadcasting (both inputs at least 2-D here;
``Tensor.matmul`` handles 1-D operands by adding and removing an axis), and the affine map of
``F.linear`` as one op."""

from __future__ import annotations

from ..function import Function
from .elementwise import sum_to

__all__ = ["Matmul", "Linear"]


class Matmul(Function):
    uses_inputs = True

    def forward(self, a, b):
        return self.xp.matmul(a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = sum_to(grad_out @ b.mT, a.shape) if a.requires_grad else None
        grad_b = sum_to(a.mT @ grad_out, b.shape) if b.requires_grad else None
        return grad_a, grad_b


class Linear(Function):
    """x (..., IN) @ wᵀ [+ b] for w (OUT, IN), b (OUT,): ``F.linear`` as one op, as PyTorch
    records it (addmm), with the bias added in place into the product. Backward: ∂x = ∂out @ w,
    ∂w = ∂outᵀ @ x and ∂b = Σ ∂out over every axis but the last, all Tensor ops (so linear
    differentiates to any order)."""

    uses_inputs = True

    def forward(self, x, w, *bias):
        out = self.xp.matmul(x, w.T)
        if bias:
            out += bias[0]
        return out

    def backward(self, grad_out):
        x, w, *bias = self.inputs
        g2 = grad_out.reshape(-1, w.shape[0])  # every leading axis is a batch axis
        grad_x = grad_out @ w if x.requires_grad else None
        grad_w = g2.mT @ x.reshape(-1, w.shape[1]) if w.requires_grad else None
        if not bias:
            return grad_x, grad_w
        return grad_x, grad_w, (g2.sum(0) if bias[0].requires_grad else None)
