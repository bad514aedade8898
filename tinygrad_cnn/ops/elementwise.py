"""Elementwise primitives. Binary ops broadcast like NumPy; their gradients are summed back
to each input's shape (``sum_to``)."""

from __future__ import annotations

import math

import numpy as np

from .. import autograd
from ..backend import erf, masked_select_zero, to_device
from ..function import Function
from .workspace import empty_like

__all__ = [
    "broadcast_axes",
    "sum_to",
    "mask_grad",
    "Clone",
    "Cast",
    "ToDevice",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "PowScalar",
    "Maximum",
    "Neg",
    "Exp",
    "Log",
    "Sqrt",
    "Abs",
    "Sin",
    "Cos",
    "Tanh",
    "Sigmoid",
    "Relu",
    "LeakyRelu",
    "Gelu",
    "Softplus",
    "Clip",
    "Where",
]


def broadcast_axes(big: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``big`` that broadcasting ``shape`` to it added or stretched."""
    lead = len(big) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and big[lead + i] != 1
    )


def sum_to(grad, shape: tuple[int, ...]):
    """Sum a broadcast gradient back to ``shape`` (differentiable: uses Tensor ops)."""
    if grad._data.shape == shape or grad.shape == tuple(shape):
        return grad
    return grad.sum(axis=broadcast_axes(grad.shape, shape), keepdim=True).reshape(shape)


def mask_grad(grad_out, mask):
    """The upstream gradient where the constant bool ``mask`` holds, 0 elsewhere: a select,
    not a product, so an off unit gets 0 even from a NaN or inf upstream gradient (PyTorch's
    rule). On raw arrays when no graph is being built through ``grad_out`` (first order; see
    ``backend.masked_select_zero`` for the fast path), the ``Where`` primitive otherwise."""
    if not grad_out.requires_grad:
        g = grad_out._data
        return type(grad_out)(masked_select_zero(mask, g, out=empty_like(g)))
    return Where.apply(type(grad_out)(mask), grad_out, grad_out.zeros_like())


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, grad_out):
        return grad_out


class Cast(Function):
    def forward(self, x, *, dtype):
        return x.astype(dtype)

    def backward(self, grad_out):
        return grad_out.to(self.inputs[0].dtype)


class ToDevice(Function):
    def forward(self, x, *, device):
        return to_device(x, device)

    def backward(self, grad_out):
        return grad_out.to(self.inputs[0].device)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad_out):
        a, b = self.inputs
        shape = grad_out._data.shape
        if a._data.shape == shape == b._data.shape:  # no broadcasting: the usual case
            return grad_out, grad_out
        return sum_to(grad_out, a.shape), sum_to(grad_out, b.shape)


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad_out):
        a, b = self.inputs
        return sum_to(grad_out, a.shape), sum_to(-grad_out, b.shape)


class Mul(Function):
    uses_inputs = True

    def forward(self, a, b):
        return a * b

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = sum_to(grad_out * b, a.shape) if a.requires_grad else None
        grad_b = sum_to(grad_out * a, b.shape) if b.requires_grad else None
        return grad_a, grad_b


class Div(Function):
    uses_inputs = True

    def forward(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is ±inf or NaN, silently
            return a / b

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = sum_to(grad_out / b, a.shape) if a.requires_grad else None
        grad_b = sum_to(-grad_out * a / (b * b), b.shape) if b.requires_grad else None
        return grad_a, grad_b


class Pow(Function):
    """``a ** b`` with a tensor exponent. PyTorch's gradients at the edges: d/da is 0 where
    b = 0 (also at a = 0), and d/db is 0 where a = 0 and b ≥ 0 (the output does not move)."""

    uses_inputs = True
    uses_output = True

    def forward(self, a, b):
        return a**b

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = grad_b = None
        xp = self.xp
        if a.requires_grad:
            # b·a^(b−1) is 0 at b = 0 anyway, except where a^(−1) is not finite (0·inf = NaN)
            flat = type(b)(xp.logical_and(b._data == 0, ~xp.isfinite(1 / a._data)))
            d = Where.apply(flat, b.zeros_like(), b * a ** (b - 1))
            grad_a = sum_to(grad_out * d, a.shape)
        if b.requires_grad:
            still = type(a)(xp.logical_and(a._data == 0, b._data >= 0))
            safe = Where.apply(still, a.zeros_like() + 1, a)  # log(1) = 0 there; no -inf·0
            d = Where.apply(still, grad_out.zeros_like(), self.output * safe.log())
            grad_b = sum_to(grad_out * d, b.shape)
        return grad_a, grad_b


class PowScalar(Function):
    """``x ** exponent`` with a Python number as exponent; exponent 0 has gradient 0 (also
    for a NaN upstream gradient, as PyTorch)."""

    uses_inputs = True

    def forward(self, x, *, exponent):
        return x**exponent

    def backward(self, grad_out):
        (x,) = self.inputs
        p = self.params["exponent"]
        if p == 0:
            return grad_out.zeros_like()
        return grad_out * p * x ** (p - 1)


class Maximum(Function):
    """Elementwise maximum; on ties each input gets half of the gradient (as PyTorch does)."""

    def forward(self, a, b):
        xp = self.xp
        share = (a > b) + 0.5 * (a == b)  # (broadcast shape) share of the gradient that goes to a
        self.save_for_backward(share.astype(xp.result_type(a, b)))
        return xp.maximum(a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        (share,) = self.saved
        return sum_to(grad_out * share, a.shape), sum_to(grad_out * (1 - share), b.shape)


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad_out):
        return -grad_out


class Exp(Function):
    uses_output = True

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, grad_out):
        return grad_out * self.output


class Log(Function):
    uses_inputs = True

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) = -inf, silently
            return self.xp.log(x)

    def backward(self, grad_out):
        return grad_out / self.inputs[0]


class Sqrt(Function):
    uses_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):  # sqrt(-1) = NaN, silently
            return self.xp.sqrt(x)

    def backward(self, grad_out):
        return grad_out / (2 * self.output)


class Abs(Function):
    """|x|; gradient sign(x), which is 0 at 0 and at NaN (as PyTorch)."""

    def forward(self, x):
        xp = self.xp
        sign = xp.sign(x)
        if x.dtype.kind == "f":
            sign = xp.where(xp.isnan(x), x.dtype.type(0), sign)
        self.save_for_backward(sign)
        return xp.abs(x)

    def backward(self, grad_out):
        return grad_out * self.saved[0]


class Sin(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, grad_out):
        return grad_out * self.inputs[0].cos()


class Cos(Function):
    uses_inputs = True

    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, grad_out):
        return -grad_out * self.inputs[0].sin()


class Tanh(Function):
    uses_output = True

    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, grad_out):
        y = self.output
        return grad_out * (1 - y * y)


class Sigmoid(Function):
    uses_output = True

    def forward(self, x):
        xp = self.xp
        # exp of a non-positive number only: no overflow warnings for large |x|
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        y = self.output
        return grad_out * y * (1 - y)


class Relu(Function):
    def forward(self, x):
        if autograd.records(*self.inputs):  # the mask is for backward only
            self.save_for_backward(x > 0)
        # not x * mask: -inf * 0 is NaN and -1 * 0 is -0.0; maximum keeps NaN and is fastest
        return self.xp.maximum(x, 0, out=empty_like(x))

    def backward(self, grad_out):
        return mask_grad(grad_out, self.saved[0])


class LeakyRelu(Function):
    def forward(self, x, *, negative_slope):
        slope = self.xp.where(x > 0, 1, negative_slope).astype(x.dtype)
        self.save_for_backward(slope)
        return x * slope

    def backward(self, grad_out):
        return grad_out * self.saved[0]


class Gelu(Function):
    """x·Φ(x) with the exact normal CDF (``approximate="none"``) or its tanh approximation."""

    uses_inputs = True

    def forward(self, x, *, approximate):
        xp = self.xp
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return (0.5 * x * (1 + xp.tanh(inner))).astype(x.dtype, copy=False)
        return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        (x,) = self.inputs
        if self.params["approximate"] == "tanh":
            c = math.sqrt(2 / math.pi)
            t = (c * (x + 0.044715 * x**3)).tanh()
            d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            return grad_out * d
        pdf = (-0.5 * x * x).exp() / math.sqrt(2 * math.pi)
        return grad_out * (_normal_cdf(x) + x * pdf)


def _normal_cdf(x):
    """Φ(x) as a differentiable Tensor op (its derivative is the normal pdf)."""
    return NormalCdf.apply(x)


class NormalCdf(Function):
    uses_inputs = True

    name = "NormalCDF"

    def forward(self, x):
        return (0.5 * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        x = self.inputs[0]
        return grad_out * (-0.5 * x * x).exp() / math.sqrt(2 * math.pi)


class Softplus(Function):
    """log(1 + exp(βx))/β, linear above ``threshold`` as in PyTorch."""

    uses_inputs = True

    def forward(self, x, *, beta, threshold):
        xp = self.xp
        z = beta * x
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        (x,) = self.inputs
        z = x * self.params["beta"]
        linear = (z._data > self.params["threshold"]).astype(x.dtype)
        return grad_out * (z.sigmoid() * (1 - linear) + linear)


class Clip(Function):
    def forward(self, x, *, min=None, max=None):
        xp = self.xp
        inside = xp.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        self.save_for_backward(inside)
        return xp.clip(x, min, max)

    def backward(self, grad_out):
        return mask_grad(grad_out, self.saved[0])


class Where(Function):
    """``cond ? a : b`` elementwise with broadcasting; ``cond`` gets no gradient."""

    def forward(self, cond, a, b):
        return self.xp.where(cond, a, b)

    def backward(self, grad_out):
        cond, a, b = self.inputs
        zero = grad_out.zeros_like()
        grad_a = sum_to(Where.apply(cond, grad_out, zero), a.shape) if a.requires_grad else None
        grad_b = sum_to(Where.apply(cond, zero, grad_out), b.shape) if b.requires_grad else None
        return None, grad_a, grad_b
