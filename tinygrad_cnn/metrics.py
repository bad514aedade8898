"""Scores of binary classifiers, with scikit-learn's names: ``roc_curve``, ``auc`` and
``roc_auc_score``. Inputs are NumPy arrays, sequences or Tensors; results are NumPy.

    fpr, tpr, thresholds = roc_curve(labels, scores)
    print(auc(fpr, tpr), roc_auc_score(labels, scores))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["roc_curve", "auc", "roc_auc_score"]


def _array(x: Any, name: str, who: str) -> np.ndarray:
    a = x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else np.asarray(x)
    if a.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D, got shape {a.shape}")
    return a


def _binary(y_true: Any, y_score: Any, who: str) -> tuple[np.ndarray, np.ndarray]:
    y = _array(y_true, "y_true", who)
    s = _array(y_score, "y_score", who).astype(np.float64)
    if len(y) != len(s):
        raise ValueError(f"{who}: y_true has {len(y)} entries but y_score has {len(s)}")
    if not np.all(np.isfinite(s)):
        raise ValueError(f"{who}: y_score has non-finite values")
    labels = np.unique(y)
    if not np.all(np.isin(labels, [0, 1])):
        raise ValueError(f"{who}: y_true must hold the labels 0 and 1, got {labels.tolist()}")
    if len(labels) != 2:
        raise ValueError(f"{who}: y_true must contain both classes, got only {labels.tolist()}")
    return y.astype(bool), s


def roc_curve(
    y_true: Any, y_score: Any, *, drop_intermediate: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The receiver operating characteristic of ``y_score`` (higher = more likely class 1).

    Returns ``(fpr, tpr, thresholds)``: at each threshold t (decreasing, the first one +inf),
    the fractions of class-0 and class-1 samples with score ≥ t. ``drop_intermediate`` leaves
    out thresholds on straight segments of the curve (the area is unchanged), as scikit-learn.
    """
    y, s = _binary(y_true, y_score, "roc_curve")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last sample of each tied score
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    thresholds = s[last]
    if drop_intermediate and len(tps) > 2:
        bend = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        tps, fps, thresholds = tps[bend], fps[bend], thresholds[bend]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def auc(x: Any, y: Any) -> float:
    """Area under the curve through the points (x, y) by the trapezoidal rule; x must be
    monotonic (increasing or decreasing)."""
    x, y = _array(x, "x", "auc").astype(np.float64), _array(y, "y", "auc").astype(np.float64)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"auc: x and y need the same length ≥ 2, got {len(x)} and {len(y)}")
    dx = np.diff(x)
    if np.all(dx >= 0):
        sign = 1.0
    elif np.all(dx <= 0):
        sign = -1.0
    else:
        raise ValueError("auc: x is neither increasing nor decreasing")
    return float(sign * np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def roc_auc_score(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve: the probability that a random class-1 sample scores higher
    than a random class-0 one (ties count one half)."""
    fpr, tpr, _ = roc_curve(y_true, y_score, drop_intermediate=False)
    return auc(fpr, tpr)
