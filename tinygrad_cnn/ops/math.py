"""Elementwise math primitives beyond the basic ones in ``elementwise``: logarithms and
exponentials of other bases, reciprocals, inverse and hyperbolic trigonometry, erf/erfinv, the
rounding family (gradient 0, as in PyTorch), fmod/remainder/atan2, nan_to_num, and the masked
square root that ``std`` uses. Each backward is written with Tensor ops (second order works).
"""

from __future__ import annotations

import math

from ..backend import erf, erfinv, ignore_float_errors
from ..function import Function
from .elementwise import Where, mask_grad, sum_to

__all__ = [
    "Log1p",
    "Expm1",
    "Log2",
    "Log10",
    "Exp2",
    "Rsqrt",
    "Reciprocal",
    "Tan",
    "Asin",
    "Acos",
    "Atan",
    "Sinh",
    "Cosh",
    "Erf",
    "Erfinv",
    "Floor",
    "Ceil",
    "Trunc",
    "Round",
    "Sign",
    "Atan2",
    "Fmod",
    "Remainder",
    "NanToNum",
    "Threshold",
    "Hardtanh",
    "StdSqrt",
    "Contiguous",
]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _constant(like, array):
    """A constant Tensor (no graph) holding ``array``."""
    return type(like)(array)


class Log1p(Function):
    """log(1 + x), exact for small x."""

    uses_inputs = True

    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, grad_out):
        return grad_out / (self.inputs[0] + 1)


class Expm1(Function):
    """exp(x) − 1, exact for small x."""

    uses_output = True

    def forward(self, x):
        return self.xp.expm1(x)

    def backward(self, grad_out):
        return grad_out * (self.output + 1)


class Log2(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.log2(x)

    def backward(self, grad_out):
        return grad_out / (self.inputs[0] * _LN2)


class Log10(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.log10(x)

    def backward(self, grad_out):
        return grad_out / (self.inputs[0] * _LN10)


class Exp2(Function):
    uses_output = True

    def forward(self, x):
        return self.xp.exp2(x)

    def backward(self, grad_out):
        return grad_out * self.output * _LN2


class Rsqrt(Function):
    """1/√x; the gradient −y³/2 (inf at 0, as PyTorch)."""

    uses_output = True

    def forward(self, x):
        return (1 / self.xp.sqrt(x)).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        y = self.output
        return grad_out * (y * y * y) * -0.5


class Reciprocal(Function):
    uses_output = True

    def forward(self, x):
        return self.xp.reciprocal(x)

    def backward(self, grad_out):
        y = self.output
        return -grad_out * (y * y)


class Tan(Function):
    uses_output = True

    def forward(self, x):
        return self.xp.tan(x)

    def backward(self, grad_out):
        y = self.output
        return grad_out * (y * y + 1)


class Asin(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.arcsin(x)

    def backward(self, grad_out):
        x = self.inputs[0]
        return grad_out * (1 - x * x).rsqrt()


class Acos(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.arccos(x)

    def backward(self, grad_out):
        x = self.inputs[0]
        return -grad_out * (1 - x * x).rsqrt()


class Atan(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.arctan(x)

    def backward(self, grad_out):
        x = self.inputs[0]
        return grad_out / (x * x + 1)


class Sinh(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.sinh(x)

    def backward(self, grad_out):
        return grad_out * self.inputs[0].cosh()


class Cosh(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.cosh(x)

    def backward(self, grad_out):
        return grad_out * self.inputs[0].sinh()


class Erf(Function):
    uses_inputs = True

    def forward(self, x):
        return erf(x).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        x = self.inputs[0]
        return grad_out * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class Erfinv(Function):
    """The inverse of erf on (−1, 1); ±inf at ±1. Gradient √π/2 · exp(y²)."""

    uses_output = True

    def forward(self, x):
        return erfinv(x).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        y = self.output
        return grad_out * (y * y).exp() * (math.sqrt(math.pi) / 2)


class _Step(Function):
    """A piecewise-constant function: its gradient is 0 everywhere (PyTorch's convention, also
    at the jumps), whatever the upstream gradient holds."""

    def backward(self, grad_out):
        return grad_out.zeros_like()


class Floor(_Step):
    def forward(self, x):
        return self.xp.floor(x)


class Ceil(_Step):
    def forward(self, x):
        return self.xp.ceil(x)


class Trunc(_Step):
    def forward(self, x):
        return self.xp.trunc(x)


class Round(_Step):
    """Round half to even (as PyTorch and NumPy), at ``decimals`` decimal places."""

    def forward(self, x, *, decimals=0):
        if decimals == 0:
            return self.xp.rint(x)
        return self.xp.round(x, decimals)


class Sign(_Step):
    """−1, 0 or 1; 0 for NaN, as in PyTorch (NumPy's sign gives NaN)."""

    def forward(self, x):
        xp = self.xp
        out = xp.sign(x)
        if x.dtype.kind == "f":
            out = xp.where(xp.isnan(x), x.dtype.type(0), out)
        return out


class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y). Gradients x/(x² + y²) and −y/(x² + y²),
    0 at the origin (as PyTorch)."""

    uses_inputs = True

    def forward(self, y, x):
        return self.xp.arctan2(y, x)

    def backward(self, grad_out):
        y, x = self.inputs
        r2 = y * y + x * x
        origin = _constant(r2, r2._data == 0)
        zeros = r2.zeros_like()
        inv = Where.apply(origin, zeros, 1 / Where.apply(origin, zeros + 1, r2))  # 1/r², 0 at 0
        grad_y = sum_to(grad_out * (x * inv), y.shape) if y.requires_grad else None
        grad_x = sum_to(grad_out * (-y * inv), x.shape) if x.requires_grad else None
        return grad_y, grad_x


class _Modulo(Function):
    """a − q·b for a quotient q rounded by ``_round``: the gradient is 1 for a and −q for b
    (q is piecewise constant)."""

    uses_inputs = True
    _round = "trunc"

    def backward(self, grad_out):
        a, b = self.inputs
        xp = self.xp
        grad_a = sum_to(grad_out, a.shape) if a.requires_grad else None
        grad_b = None
        if b.requires_grad:
            with ignore_float_errors(xp):  # b = 0: the quotient is ±inf or NaN, as in PyTorch
                q = getattr(xp, self._round)(a._data / b._data)
            grad_b = sum_to(grad_out * _constant(grad_out, -q.astype(grad_out.dtype)), b.shape)
        return grad_a, grad_b


class Fmod(_Modulo):
    """C's fmod: the result has the sign of the dividend ``a``."""

    _round = "trunc"

    def forward(self, a, b):
        return self.xp.fmod(a, b)


class Remainder(_Modulo):
    """Python's ``%``: the result has the sign of the divisor ``b``."""

    _round = "floor"

    def forward(self, a, b):
        return self.xp.remainder(a, b)


class NanToNum(Function):
    """NaN, +inf and −inf replaced by numbers. The gradient is the upstream gradient times
    isfinite(x) (a product, as PyTorch computes it)."""

    def forward(self, x, *, nan=0.0, posinf=None, neginf=None):
        xp = self.xp
        self.save_for_backward(xp.isfinite(x))
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad_out):
        return grad_out * _constant(grad_out, self.saved[0].astype(grad_out.dtype))


class Threshold(Function):
    """x where x > ``threshold``, else ``value``; the gradient passes where x > threshold and
    is 0 elsewhere, also for a NaN upstream gradient (PyTorch's threshold)."""

    def forward(self, x, *, threshold, value):
        above = x > threshold
        self.save_for_backward(above)
        return self.xp.where(above, x, x.dtype.type(value))

    def backward(self, grad_out):
        return mask_grad(grad_out, self.saved[0])


class Hardtanh(Function):
    """x clipped to [min_val, max_val], with PyTorch's hardtanh gradient: 1 strictly inside,
    0 at the bounds and outside (clamp instead passes the gradient at its bounds)."""

    def forward(self, x, *, min_val=-1.0, max_val=1.0):
        xp = self.xp
        self.save_for_backward(xp.logical_and(x > min_val, x < max_val))
        return xp.clip(x, min_val, max_val)

    def backward(self, grad_out):
        return mask_grad(grad_out, self.saved[0])


class StdSqrt(Function):
    """√v for a variance v, with PyTorch's std gradient: 0 where v = 0 (zero spread) instead
    of inf (which the (x − mean) factor of var's gradient would turn into NaN)."""

    uses_output = True

    def forward(self, v):
        return self.xp.sqrt(v)

    def backward(self, grad_out):
        y = self.output
        zero = _constant(y, y._data == 0)
        safe = Where.apply(zero, y.zeros_like() + 1, y)
        return Where.apply(zero, grad_out.zeros_like(), grad_out / (2 * safe))


class Contiguous(Function):
    """A C-ordered copy of a strided view (the gradient passes unchanged)."""

    def forward(self, x):
        return self.xp.ascontiguousarray(x)

    def backward(self, grad_out):
        return grad_out
