"""Primitives for losses. Losses themselves are composites in ``tinygrad_cnn.functional``."""

from __future__ import annotations

import math

from ..function import Function
from ..tensor import Tensor, where

__all__ = ["ClampedLog"]

_FLOOR = -100.0
_TINY = math.exp(_FLOOR)


class ClampedLog(Function):
    """max(log x, −100), as PyTorch's binary cross-entropy computes its logarithms: a
    probability of exactly 0 costs 100 instead of ∞. The gradient is 1/x above the clamp and 0
    below it — never inf or NaN, also at second order."""

    uses_inputs = True

    def forward(self, x):
        xp = self.xp
        with_errstate = getattr(xp, "errstate", None)
        if with_errstate is not None:
            with with_errstate(divide="ignore"):
                out = xp.log(x)
        else:  # pragma: no cover - CuPy returns -inf without warnings
            out = xp.log(x)
        return xp.maximum(out, x.dtype.type(_FLOOR))

    def backward(self, grad_out):
        (x,) = self.inputs
        inside = Tensor(x._data > _TINY)
        safe = where(inside, x, 1.0)
        return grad_out * where(inside, 1.0 / safe, 0.0)
