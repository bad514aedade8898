"""Tensor methods of shape, reduction and softmax as functions with PyTorch's names:
``tg.flatten(x, 1)`` is ``x.flatten(1)``, as ``torch.flatten(x, 1)`` is; likewise ``reshape``,
``squeeze``, ``unsqueeze``, ``transpose``, ``permute``, ``t``, ``ravel``, ``broadcast_to``,
``sum``, ``mean``, ``var``, ``std``, ``logsumexp``, ``softmax``, ``log_softmax``,
``floor_divide``, ``is_floating_point``; ``concat``/``concatenate`` are ``cat``, and ``hstack``
/``vstack`` join along the first or second axis. Each checks that its input is a Tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .pointwise import _input
from .tensor import Tensor, cat

__all__ = [
    "flatten",
    "reshape",
    "squeeze",
    "unsqueeze",
    "transpose",
    "permute",
    "t",
    "ravel",
    "broadcast_to",
    "sum",
    "mean",
    "var",
    "std",
    "logsumexp",
    "softmax",
    "log_softmax",
    "floor_divide",
    "is_floating_point",
    "concat",
    "concatenate",
    "hstack",
    "vstack",
    "Size",
]

# Shapes are plain tuples; ``tg.Size([2, 3])`` makes one, so ``x.size() == tg.Size([2, 3])`` and
# ``isinstance(x.shape, tg.Size)`` read as in PyTorch.
Size = tuple

# ---------------------------------------------------------------- shapes


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _input(input, "flatten").flatten(start_dim, end_dim)


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    return _input(input, "reshape").reshape(shape)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    return _input(input, "squeeze").squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return _input(input, "unsqueeze").unsqueeze(dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _input(input, "transpose").transpose(dim0, dim1)


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    return _input(input, "permute").permute(*dims)


def t(input: Tensor) -> Tensor:
    return _input(input, "t").t()


def ravel(input: Tensor) -> Tensor:
    return _input(input, "ravel").ravel()


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return _input(input, "broadcast_to").broadcast_to(size)


# ---------------------------------------------------------------- reductions and softmax


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    return _input(input, "sum").sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _input(input, "mean").mean(dim, keepdim)


def var(
    input: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    return _input(input, "var").var(dim, unbiased, keepdim, correction=correction)


def std(
    input: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    return _input(input, "std").std(dim, unbiased, keepdim, correction=correction)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return _input(input, "logsumexp").logsumexp(dim, keepdim)


def softmax(input: Tensor, dim: int) -> Tensor:
    return _input(input, "softmax").softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return _input(input, "log_softmax").log_softmax(dim)


# ---------------------------------------------------------------- arithmetic, queries, joining


def floor_divide(input: Tensor, other: Any) -> Tensor:
    return _input(input, "floor_divide").floor_divide(other)


def is_floating_point(input: Tensor) -> bool:
    return _input(input, "is_floating_point").is_floating_point()


concat = concatenate = cat


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along the second axis (the first for 1-d tensors), as ``torch.hstack``."""
    tensors = [_input(x, "hstack") for x in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join along the first axis, 1-d tensors as rows, as ``torch.vstack``."""
    return cat([_input(x, "vstack").reshape(1, -1) if x.ndim < 2 else x for x in tensors], 0)
