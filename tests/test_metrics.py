"""roc_curve, auc and roc_auc_score against scikit-learn and the pairwise definition."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.metrics import auc, roc_auc_score, roc_curve


def _scores(seed: int, n: int = 300, ties: bool = True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.normal(size=n) + 0.8 * y
    if ties:
        s = np.round(s, 1)  # many tied scores, across both classes
    return y, s


def _pairwise_auc(y, s) -> float:
    """P(score of a positive > score of a negative) + ½ P(equal), over all pairs."""
    pos, neg = s[y == 1][:, None], s[y == 0][None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [True, False])
def test_auc_is_the_pairwise_probability(seed, ties):
    y, s = _scores(seed, ties=ties)
    assert roc_auc_score(y, s) == pytest.approx(_pairwise_auc(y, s), abs=1e-12)
    fpr, tpr, _ = roc_curve(y, s)  # dropping collinear points keeps the area
    assert auc(fpr, tpr) == pytest.approx(_pairwise_auc(y, s), abs=1e-12)


@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_matches_sklearn(drop):
    metrics = pytest.importorskip("sklearn.metrics")
    for seed in range(4):
        y, s = _scores(seed)
        ours = roc_curve(y, s, drop_intermediate=drop)
        ref = metrics.roc_curve(y, s, drop_intermediate=drop)
        for a, b in zip(ours, ref, strict=True):
            np.testing.assert_allclose(a, b)
        assert roc_auc_score(y, s) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)


def test_roc_curve_by_hand_and_from_tensors():
    y = tg.Tensor(np.array([0, 0, 1, 1]))
    s = tg.Tensor(np.array([0.1, 0.4, 0.35, 0.8]))
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert roc_auc_score(y, s) == pytest.approx(0.75)
    assert roc_auc_score([0, 1], [1.0, 0.0]) == 0.0  # perfectly wrong
    assert auc([1.0, 0.0], [1.0, 1.0]) == pytest.approx(1.0)  # decreasing x is allowed


def test_bad_inputs():
    with pytest.raises(ValueError, match="roc_curve: y_true must contain both classes"):
        roc_curve([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="labels 0 and 1"):
        roc_curve([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="y_true has 2 entries but y_score has 3"):
        roc_curve([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="non-finite"):
        roc_auc_score([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="1-D"):
        roc_curve([[0, 1]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match="auc: x is neither increasing nor decreasing"):
        auc([0, 1, 0.5], [0, 1, 1])
    with pytest.raises(ValueError, match="auc: x and y need the same length"):
        auc([0, 1], [0, 1, 1])
