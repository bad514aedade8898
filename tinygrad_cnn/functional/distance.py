"""Distances and similarities between vectors: ``cosine_similarity``, ``pairwise_distance``
and ``normalize``, composites of Tensor ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.reduce import normalize_dim
from ..tensor import Tensor
from ._args import _tensor

__all__ = ["cosine_similarity", "pairwise_distance", "normalize"]


def _float(x: Any, name: str, op: str) -> Tensor:
    t = _tensor(x, name, op)
    return t if t.dtype.kind == "f" else t.float()


def _broadcast(a: Tensor, b: Tensor, op: str) -> tuple[Tensor, Tensor]:
    try:
        shape = tuple(int(n) for n in np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise RuntimeError(
            f"{op}: x1 of shape {a.shape} and x2 of shape {b.shape} do not broadcast together"
        ) from None
    a = a if a.shape == shape else a.expand(shape)
    b = b if b.shape == shape else b.expand(shape)
    return a, b


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(‖input‖_p, eps) with the norm taken along ``dim`` (default 1)."""
    x = _float(input, "input", "normalize")
    dim = normalize_dim(dim, x.ndim, "normalize")
    return x / x.norm(p, dim, keepdim=True).clip(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along ``dim`` (the inputs broadcast); each
    vector is divided by its norm first, as PyTorch does."""
    op = "cosine_similarity"
    a, b = _broadcast(_float(x1, "x1", op), _float(x2, "x2", op), op)
    dim = normalize_dim(dim, a.ndim, op)
    a = a / a.norm(2, dim, keepdim=True).clip(min=eps)
    b = b / b.norm(2, dim, keepdim=True).clip(min=eps)
    return (a * b).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """‖x1 − x2 + eps‖_p along the last dimension (the inputs broadcast)."""
    op = "pairwise_distance"
    a, b = _broadcast(_float(x1, "x1", op), _float(x2, "x2", op), op)
    if a.ndim == 0:
        return (a - b + eps).abs()
    return (a - b + eps).norm(p, a.ndim - 1, keepdim=keepdim)
