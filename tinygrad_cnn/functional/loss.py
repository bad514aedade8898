"""Losses, each with PyTorch's ``reduction`` (``"mean"``, ``"sum"``, ``"none"``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd import functional_scope
from ..backend import is_host_module, to_device
from ..ops.loss import BinaryCrossEntropy
from ..tensor import Tensor, as_tensor, where
from ._args import _legacy_reduction, _reduce, _tensor

__all__ = [
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "gaussian_nll_loss",
]


@functional_scope("cross_entropy")
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits input (N, C) or (N, C, d1, ...) (or (C,)) with class-index
    targets (N,) / (N, d1, ...), or class probabilities of the input's shape.

    log-softmax is computed stably, so logits of any magnitude give finite losses.
    ``weight`` (C,) weighs classes; ``"mean"`` then divides by the summed weights of the
    targets (PyTorch's weighted mean). Targets equal to ``ignore_index`` contribute nothing.
    ``label_smoothing`` ε mixes the target with the uniform distribution: (1 − ε)·one-hot + ε/C.
    """
    op = "cross_entropy"
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class axis, got a scalar")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if x.ndim == 1:  # a single unbatched example
        x = x.unsqueeze(0)
        t = t.unsqueeze(0)
        unbatched = True
    else:
        unbatched = False
    logp = x.log_softmax(1)
    if t.dtype.kind == "f":
        out = _soft_targets(logp, t, weight, reduction, label_smoothing, op)
    else:
        out = _nll(logp, t, weight, ignore_index, reduction, label_smoothing, op)
    return out.squeeze(0) if unbatched and reduction == "none" else out


def _soft_targets(logp, t, weight, reduction, smoothing, op) -> Tensor:
    if t.shape != logp.shape:
        raise RuntimeError(
            f"{op}: probability targets must have the input's shape {logp.shape}, got {t.shape}"
        )
    C = logp.shape[1]
    t = t.to(logp.dtype)
    if smoothing:
        t = t * (1 - smoothing) + smoothing / C
    if weight is not None:
        t = t * _class_weight(weight, logp, op).reshape((1, C) + (1,) * (logp.ndim - 2))
    return _reduce(-(logp * t).sum(1), reduction, op)


def _class_weight(weight, logp, op) -> Tensor:
    w = _tensor(weight, "weight", op)
    if w.shape != (logp.shape[1],):
        raise RuntimeError(
            f"{op}: weight must have one entry per class, shape ({logp.shape[1]},), got {w.shape}"
        )
    return w.to(logp.dtype)


def _nll(
    logp: Tensor, t: Tensor, weight, ignore_index: int, reduction: str, smoothing: float, op: str
) -> Tensor:
    """Σ over classes of −coef·logp with a constant coefficient array per element:
    (1 − ε)·w[c]·[c = target] + ε/C·w[c] for non-ignored targets, 0 for ignored ones."""
    xp = logp.xp
    N, C = logp.shape[:2]
    rest = logp.shape[2:]
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: targets must be integer class indices, got {t.dtype}")
    if t.shape != (N,) + rest:
        raise RuntimeError(
            f"{op}: target shape {t.shape} does not match input shape {logp.shape} "
            f"(expected {(N,) + rest})"
        )
    target = t._data if t.device == logp.device else to_device(t._data, logp.device)
    if is_host_module(xp) and target.size:  # range check on the host only: no device sync
        valid = target[target != ignore_index]
        if valid.size and (valid.min() < 0 or valid.max() >= C):
            bad = valid[(valid < 0) | (valid >= C)][0]
            raise IndexError(
                f"{op}: target {int(bad)} is out of bounds for {C} classes (input shape "
                f"{logp.shape}, target shape {t.shape})"
            )
    bshape = (1, C) + (1,) * len(rest)
    tt = target.reshape((N, 1) + rest)
    valid = tt != ignore_index  # (N, 1, *rest)
    onehot = ((tt == xp.arange(C).reshape(bshape)) & valid).astype(logp.dtype)  # (N, C, *rest)
    coef = onehot
    if smoothing:
        coef = (1 - smoothing) * onehot + (smoothing / C) * valid.astype(logp.dtype)
    if weight is None:
        loss = -(logp * Tensor(coef)).sum(1)  # (N, *rest)
        total = Tensor(onehot.sum())  # the number of non-ignored targets
    else:
        # the class weights enter as a Tensor, so the loss is differentiable in them too
        wc = _class_weight(weight, logp, op).reshape(bshape)
        loss = -(logp * (Tensor(coef) * wc)).sum(1)  # (N, *rest)
        total = (Tensor(onehot) * wc).sum()  # Σ of the targets' weights
    if reduction == "mean":
        return loss.sum() / total
    return _reduce(loss, reduction, op)


@functional_scope("nll_loss")
def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C) or (N, C, d1, ...) with
    class-index targets (N,) / (N, d1, ...); ``weight`` and ``ignore_index`` as in
    ``cross_entropy``."""
    op = "nll_loss"
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.ndim == 1:
        out = _nll(x.unsqueeze(0), t.unsqueeze(0), weight, ignore_index, reduction, 0.0, op)
        return out.squeeze(0) if reduction == "none" else out
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class axis, got a scalar")
    return _nll(x, t, weight, ignore_index, reduction, 0.0, op)


def _pointwise_args(input: Any, target: Any, op: str) -> tuple[Tensor, Tensor]:
    """input and target of the same shape (a mismatch, e.g. (N, 1) against (N,), is an error:
    broadcasting it silently would compare every input with every target)."""
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.shape != t.shape:
        raise RuntimeError(
            f"{op}: input shape {x.shape} and target shape {t.shape} differ; reshape one "
            "(e.g. target.reshape(input.shape))"
        )
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    return x, t


@functional_scope("mse_loss")
def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input − target)², reduced."""
    x, t = _pointwise_args(input, target, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction, "mse_loss")


@functional_scope("l1_loss")
def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input − target|, reduced."""
    x, t = _pointwise_args(input, target, "l1_loss")
    return _reduce((x - t).abs(), reduction, "l1_loss")


@functional_scope("huber_loss")
def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (d = input − target), reduced."""
    op = "huber_loss"
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    x, t = _pointwise_args(input, target, op)
    d = x - t
    ad = d.abs()
    loss = where(Tensor(ad._data < delta), 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _reduce(loss, reduction, op)


@functional_scope("smooth_l1_loss")
def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """½d²/β where |d| < β, |d| − ½β elsewhere (β = 0 is the L1 loss), reduced."""
    op = "smooth_l1_loss"
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    x, t = _pointwise_args(input, target, op)
    d = x - t
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction, op)
    loss = where(Tensor(ad._data < beta), (0.5 / beta) * d * d, ad - 0.5 * beta)
    return _reduce(loss, reduction, op)


@functional_scope("binary_cross_entropy")
def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """−w·(t·log p + (1 − t)·log(1 − p)) for probabilities p = input in [0, 1]; each log is
    clamped at −100 as in PyTorch, so p = 0 or 1 gives a finite loss and gradient."""
    op = "binary_cross_entropy"
    p, t = _pointwise_args(input, target, op)
    if p.device == "cpu" and p.numel():
        lo, hi = float(p._data.min()), float(p._data.max())
        if lo < 0 or hi > 1 or math.isnan(lo) or math.isnan(hi):
            raise ValueError(
                f"{op}: all elements of input should be between 0 and 1, got values in "
                f"[{lo}, {hi}] (apply sigmoid, or use binary_cross_entropy_with_logits)"
            )
    loss = BinaryCrossEntropy.apply(p, t)
    if weight is not None:
        loss = loss * as_tensor(weight, like=p).to(p.dtype)
    return _reduce(loss, reduction, op)


@functional_scope("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits:
    (1 − t)·x + (1 + (pos_weight − 1)·t)·softplus(−x). ``pos_weight`` (broadcast over the last
    axis, e.g. (C,)) weighs the positive examples; ``weight`` weighs every element."""
    op = "binary_cross_entropy_with_logits"
    x, t = _pointwise_args(input, target, op)
    tail = (-x).softplus()  # log(1 + e^(−x)) without overflow
    if pos_weight is not None:
        pw = as_tensor(pos_weight, like=x).to(x.dtype)
        tail = (1 + (pw - 1) * t) * tail
    loss = (1 - t) * x + tail
    if weight is not None:
        loss = loss * as_tensor(weight, like=x).to(x.dtype)
    return _reduce(loss, reduction, op)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``,
    elementwise: t·(log t − input) (0 where t = 0), or with ``log_target=True``
    eᵗ·(t − input) for log-probability targets. ``reduction="batchmean"`` divides the sum by
    the batch size (the KL divergence per sample); ``"mean"`` divides by the number of
    elements (with PyTorch's warning)."""
    op = "kl_div"
    reduction = _legacy_reduction(size_average, reduce, reduction, op)
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        positive = t > 0
        xlogy = where(positive, t * where(positive, t, t.zeros_like() + 1).log(), t.zeros_like())
        loss = xlogy - t * x
    if reduction == "batchmean":
        total = loss.sum()
        return total / x.shape[0] if x.ndim else total
    if reduction == "mean":
        warnings.warn(
            f"{op}: reduction='mean' divides by the number of elements, not the batch size; "
            "use reduction='batchmean' for the KL divergence per sample (as in PyTorch)",
            UserWarning,
            stacklevel=2,
        )
    return _reduce(loss, reduction, op)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of ``target`` under normal distributions with means ``input``
    and variances ``var``: ½·(log max(var, eps) + (input − target)²/max(var, eps)), plus
    ½·log 2π with ``full=True``. ``var`` has the input's shape, or one dimension fewer at the
    end, or a last dimension of 1 (one variance per sample), or is a number. The clamp at
    ``eps`` does not stop the gradient (PyTorch's rule)."""
    op = "gaussian_nll_loss"
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")
    if isinstance(var, Tensor):
        v = var if var.dtype == x.dtype else var.to(x.dtype)
    else:
        v = x.zeros_like() + float(var)
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            v = v.unsqueeze(-1)
        elif not (x.shape[:-1] == v.shape[:-1] and v.shape[-1:] == (1,)):
            raise ValueError(
                f"{op}: var is of incorrect size: input has shape {x.shape}, var {v.shape}"
            )
    if v.device == "cpu" and v.numel() and bool((v._data < 0).any()):
        raise ValueError(f"{op}: var has negative entry/entries")
    v = v + (v.detach().clip(min=eps) - v.detach())  # clamped values, identity gradient
    d = x - t
    loss = 0.5 * (v.log() + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, op)
