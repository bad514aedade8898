"""Activations and (log-)softmax, each a thin call of the Tensor method."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd import functional_scope
from ..tensor import Tensor
from ._args import _tensor

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax"]


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
