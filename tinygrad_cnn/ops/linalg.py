"""Matrix multiplication with batched broadcasting (both inputs at least 2-D here;
``Tensor.matmul`` handles 1-D operands by adding and removing an axis)."""

from __future__ import annotations

from ..function import Function
from .elementwise import sum_to

__all__ = ["Matmul"]


class Matmul(Function):
    uses_inputs = True

    def forward(self, a, b):
        return self.xp.matmul(a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = sum_to(grad_out @ b.mT, a.shape) if a.requires_grad else None
        grad_b = sum_to(a.mT @ grad_out, b.shape) if b.requires_grad else None
        return grad_a, grad_b
