"""Loss modules with PyTorch's arguments (``reduction``, and the deprecated ``size_average``/
``reduce`` pair, converted with PyTorch's rule and warning); each calls its function in
``tinygrad_cnn.functional``."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..functional._args import _legacy_reduction
from ..tensor import Tensor
from .layers import _number
from .module import Module

__all__ = [
    "L1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "HuberLoss",
    "SmoothL1Loss",
    "KLDivLoss",
    "GaussianNLLLoss",
]


class _Loss(Module):
    _reductions = ("mean", "sum", "none")

    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        name = type(self).__name__
        reduction = _legacy_reduction(size_average, reduce, reduction, name)
        if reduction not in self._reductions:
            raise ValueError(
                f"{name}: {reduction!r} is not a valid value for reduction "
                f"(one of {', '.join(self._reductions)})"
            )
        self.reduction = reduction


class L1Loss(_Loss):
    """|input − target|, averaged (``"mean"``), summed or per element."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1]; ``weight`` rescales each element."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits (the sigmoid folded in, stable); ``weight`` rescales
    each element, ``pos_weight`` (e.g. one per class, broadcast over the last axis) the
    positive examples."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class HuberLoss(_Loss):
    """½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (``delta`` δ = 1 by default)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = _number(delta, "delta", "HuberLoss")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """½d²/β where |d| < β, |d| − ½β elsewhere (``beta`` = 1 by default; 0 is the L1 loss)."""

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = _number(beta, "beta", "SmoothL1Loss")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(_Loss):
    """KL divergence of the target from log-probabilities ``input``; ``reduction`` may also
    be ``"batchmean"`` (the mathematical KL divergence per sample); ``log_target=True`` for
    log-probability targets."""

    _reductions = ("mean", "sum", "none", "batchmean")

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of the target under N(input, var): ``loss(input, target,
    var)``; ``full`` adds the constant ½·log 2π, ``eps`` clamps the variance from below."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, _number(eps, "eps", "GaussianNLLLoss")

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )
