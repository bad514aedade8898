"""Primitives for losses. Losses themselves are composites in ``tinygrad_cnn.functional``."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np

from ..function import Function

__all__ = ["BinaryCrossEntropy"]

_FLOOR = -100.0
_BCE_EPS = float(np.float32(1e-12))  # PyTorch's bound on p(1 − p), a float32 constant


class BinaryCrossEntropy(Function):
    """The elementwise loss −(t·log p + (1 − t)·log(1 − p)) with each log clamped at −100,
    and PyTorch's gradients: (p − t)/max(p(1 − p), 10⁻¹²) for p (finite also at p = 0 and 1)
    and log(1 − p) − log p for the target."""

    uses_inputs = True

    def forward(self, p, t):
        xp = self.xp
        errstate = getattr(xp, "errstate", None)
        with errstate(divide="ignore") if errstate is not None else nullcontext():
            log_p = xp.maximum(xp.log(p), p.dtype.type(_FLOOR))
            log_q = xp.maximum(xp.log1p(-p), p.dtype.type(_FLOOR))
        return (t - 1) * log_q - t * log_p

    def backward(self, grad_out):
        p, t = self.inputs
        grad_p = grad_t = None
        if p.requires_grad:
            grad_p = grad_out * (p - t) / ((1 - p) * p).clip(min=_BCE_EPS)
        if t.requires_grad:
            grad_t = grad_out * ((-p).log1p() - p.log())
        return grad_p, grad_t
