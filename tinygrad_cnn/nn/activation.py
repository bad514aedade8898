"""Activation modules with PyTorch's names, arguments and ``repr``; each calls its function
in ``tinygrad_cnn.functional``. ``inplace=True`` is accepted (and shown in ``repr``) but a new
tensor is returned."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..inplace import bump
from ..tensor import Tensor
from .layers import _int, _number
from .module import Module, Parameter

__all__ = [
    "ELU",
    "SELU",
    "CELU",
    "SiLU",
    "Mish",
    "Hardtanh",
    "ReLU6",
    "Hardsigmoid",
    "Hardswish",
    "Softsign",
    "Tanhshrink",
    "LogSigmoid",
    "Threshold",
    "Softplus",
    "Softmin",
    "Softmax2d",
    "PReLU",
    "Dropout1d",
    "Dropout2d",
]


def _inplace(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class _Elementwise(Module):
    """An activation without settings: ``forward`` is ``_fn(x)``."""

    _fn: Any = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class SELU(_Elementwise):
    """scale·elu(x, α) with α ≈ 1.6733, scale ≈ 1.0507 (self-normalising networks)."""

    _fn = staticmethod(F.selu)


class SiLU(_Elementwise):
    """x·sigmoid(x)."""

    _fn = staticmethod(F.silu)


class Mish(_Elementwise):
    """x·tanh(softplus(x))."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_Elementwise):
    """0 below −3, 1 above 3, x/6 + 1/2 between."""

    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Elementwise):
    """x·hardsigmoid(x)."""

    _fn = staticmethod(F.hardswish)


class _NoSettings(Module):
    _fn: Any = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class Softsign(_NoSettings):
    """x / (1 + |x|)."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_NoSettings):
    """x − tanh(x)."""

    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_NoSettings):
    """log(sigmoid(x)), stable."""

    _fn = staticmethod(F.logsigmoid)


class ELU(Module):
    """x for x > 0, α·(eˣ − 1) otherwise (default α = 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        _number(alpha, "alpha", type(self).__name__)
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, α·(e^(x/α) − 1)) (default α = 1)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha)


class Hardtanh(Module):
    """x clipped to [min_val, max_val] (default [−1, 1])."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _number(min_val, "min_val", name)
        _number(max_val, "max_val", name)
        self.min_val, self.max_val = min_val, max_val
        if self.max_val <= self.min_val:
            raise ValueError(
                f"{name}: max_val ({max_val}) must be greater than min_val ({min_val})"
            )
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class Threshold(Module):
    """x where x > ``threshold``, ``value`` elsewhere."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        _number(threshold, "threshold", "Threshold")
        _number(value, "value", "Threshold")
        self.threshold, self.value = threshold, value  # as given: repr shows 2, not 2.0
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class Softplus(Module):
    """log(1 + exp(β·x))/β, linear where β·x > ``threshold`` (defaults β = 1, 20)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        _number(beta, "beta", "Softplus")
        _number(threshold, "threshold", "Softplus")
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmin(Module):
    """softmax(−x) along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None:
            _int(dim, "dim", "Softmin", minimum=None)
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W), at every position."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                f"{input.shape}"
            )
        return F.softmax(input, -3)


class PReLU(Module):
    """x for x > 0, a·x otherwise, with a learned slope ``a``: one shared
    (``num_parameters=1``) or one per channel; every slope starts at ``init`` (0.25)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = _int(num_parameters, "num_parameters", "PReLU")
        self.init = _number(init, "init", "PReLU")
        self.weight = Parameter(np.full(num_parameters, init, dtype=get_default_dtype()))

    def reset_parameters(self) -> None:
        self.weight._data[...] = self.init
        bump(self.weight)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _DropoutNd(Module):
    _fn: Any = None

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if not 0.0 <= _number(p, "p", name) <= 1.0:
            raise ValueError(f"{name}: dropout probability has to be between 0 and 1, got {p}")
        self.p, self.inplace = float(p), inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """In training, zero whole channels of (N, C, L) or (C, L) with probability ``p`` and
    scale the rest by 1/(1 − p); in eval, the identity."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """In training, zero whole feature maps of (N, C, H, W) or (C, H, W) with probability
    ``p`` and scale the rest by 1/(1 − p); in eval, the identity."""

    _fn = staticmethod(F.dropout2d)
