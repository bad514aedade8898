"""``CosineSimilarity`` and ``PairwiseDistance``: the modules of ``F.cosine_similarity`` and
``F.pairwise_distance``."""

from __future__ import annotations

from .. import functional as F
from ..tensor import Tensor
from .layers import _int, _number
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (default 1); norms are
    clamped at ``eps``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = _int(dim, "dim", "CosineSimilarity", minimum=None)
        _number(eps, "eps", "CosineSimilarity")
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x1 − x2 + eps‖_p along the last dimension (default p = 2)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        _number(p, "p", "PairwiseDistance")
        _number(eps, "eps", "PairwiseDistance")
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
