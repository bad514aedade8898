"""Activations and (log-)softmax: thin calls of Tensor methods, composites of Tensor ops, and
the clipped ones (hardtanh, relu6, hardsigmoid, threshold) on their primitives."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..autograd import functional_scope
from ..ops.math import Hardtanh, Threshold
from ..tensor import Tensor, where
from ._args import _tensor

__all__ = [
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softplus",
    "softmax",
    "log_softmax",
    "elu",
    "selu",
    "celu",
    "silu",
    "mish",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "tanhshrink",
    "logsigmoid",
    "threshold",
    "softmin",
    "prelu",
]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _tensor(input, "input", "relu").relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope``·x otherwise."""
    return _tensor(input, "input", "leaky_relu").leaky_relu(negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (``approximate="tanh"`` for the tanh approximation)."""
    return _tensor(input, "input", "gelu").gelu(approximate)


def sigmoid(input: Tensor) -> Tensor:
    return _tensor(input, "input", "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    return _tensor(input, "input", "tanh").tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(β·x))/β, linear where β·x > ``threshold``."""
    return _tensor(input, "input", "softplus").softplus(beta, threshold)


def _softmax_dim(x: Tensor, dim: int | None, op: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"{op}: implicit dimension choice is deprecated (as in PyTorch); pass dim=",
        UserWarning,
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def _with_dtype(x: Tensor, dtype: Any, op: str) -> Tensor:
    """``x`` cast to ``dtype`` first (a floating dtype), as PyTorch's ``dtype=`` argument."""
    if dtype is None:
        return x
    if np.dtype(dtype).kind != "f":
        raise RuntimeError(f"{op}: dtype must be a floating dtype, got {np.dtype(dtype)}")
    return x.to(dtype)


@functional_scope("softmax")
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x)/Σ exp(x) along ``dim`` (computed stably)."""
    x = _with_dtype(_tensor(input, "input", "softmax"), dtype, "softmax")
    return x.softmax(_softmax_dim(x, dim, "softmax"))


@functional_scope("log_softmax")
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x − log Σ exp(x) along ``dim`` (computed stably)."""
    x = _with_dtype(_tensor(input, "input", "log_softmax"), dtype, "log_softmax")
    return x.log_softmax(_softmax_dim(x, dim, "log_softmax"))


# ---------------------------------------------------------------- more activations
# Composites of Tensor ops, except the clipped ones, which use the ``Hardtanh`` and
# ``Threshold`` primitives for PyTorch's gradients at the kinks (0 there, and 0 for an off
# unit even when the upstream gradient is NaN).

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float_input(input: Any, op: str) -> Tensor:
    x = _tensor(input, "input", op)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    return x


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """scale·x for x > 0, scale·alpha·(exp(input_scale·x) − 1) otherwise (PyTorch's elu
    family). The exponential sees min(x, 0), so a large x gives no inf·0 = NaN gradient."""
    negative = (x.clip(max=0.0) * input_scale).expm1() * (scale * alpha)
    return where(x > 0, x * scale, negative)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α·(eˣ − 1) otherwise."""
    return _elu(_float_input(input, "elu"), float(alpha), 1.0, 1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·elu(x, α) with the self-normalising constants α ≈ 1.6733, scale ≈ 1.0507."""
    return _elu(_float_input(input, "selu"), _SELU_ALPHA, _SELU_SCALE, 1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, α·(e^(x/α) − 1)); α must not be 0."""
    if alpha == 0:
        raise RuntimeError("celu: alpha must not be 0 (the input is divided by it)")
    return _elu(_float_input(input, "celu"), float(alpha), 1.0, 1.0 / alpha)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·sigmoid(x) (also called swish)."""
    x = _float_input(input, "silu")
    return x * x.sigmoid()


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    x = _float_input(input, "mish")
    return x * x.softplus(1.0, math.inf).tanh()


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 strictly inside, 0 at the bounds and
    outside."""
    x = _float_input(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    return Hardtanh.apply(x, min_val=float(min_val), max_val=float(max_val))


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    return Hardtanh.apply(_float_input(input, "relu6"), min_val=0.0, max_val=6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 for x ≤ −3, 1 for x ≥ 3, x/6 + 1/2 between (gradient 1/6 strictly inside)."""
    x = _float_input(input, "hardsigmoid")
    return Hardtanh.apply(x / 6 + 0.5, min_val=0.0, max_val=1.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·relu6(x + 3)/6: 0 up to −3, x from 3 on, x·(x + 3)/6 between (so the gradient at
    the kinks is PyTorch's: 0 at −3, 1 at 3)."""
    x = _float_input(input, "hardswish")
    middle = where(x < 3, x * (x + 3) / 6, x)
    return where(x <= -3, x.zeros_like(), middle)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = _float_input(input, "softsign")
    return x / (x.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x − tanh(x)."""
    x = _float_input(input, "tanhshrink")
    return x - x.tanh()


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = −softplus(−x), stable for any x."""
    x = _float_input(input, "logsigmoid")
    return -(-x).softplus(1.0, math.inf)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > ``threshold``, ``value`` elsewhere (gradient 0 there)."""
    x = _tensor(input, "input", "threshold")
    return Threshold.apply(x, threshold=float(threshold), value=float(value))


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """softmax(−x) along ``dim``."""
    x = _with_dtype(_tensor(input, "input", "softmin"), dtype, "softmin")
    return (-x).softmax(_softmax_dim(x, dim, "softmin"))


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight·x otherwise; ``weight`` has one entry (shared) or one per channel
    (dimension 1 of the input)."""
    op = "prelu"
    x = _float_input(input, op)
    w = _tensor(weight, "weight", op)
    n = w.numel()
    if w.ndim > 1:
        raise RuntimeError(f"{op}: weight must be 0-D or 1-D, got shape {w.shape}")
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if n != channels:
            raise RuntimeError(
                f"{op}: mismatch in parameter numbers: weight has {n} entries but the input "
                f"(shape {x.shape}) has {channels} channels in dimension 1"
            )
        w = w.reshape((1, n) + (1,) * (x.ndim - 2))
    elif w.ndim == 1:
        w = w.reshape(())
    return where(x > 0, x, w * x)
