"""Losses against NumPy formulas (weighted means, ignore_index, label smoothing, N-d targets),
stability for huge logits, gradients to second order, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.testing import gradcheck, gradgradcheck

seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])


def log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def reference_cross_entropy(x, t, weight, ignore_index, reduction, eps):
    """PyTorch's definition, written out per element: (1 − ε)·nll + ε/C·Σ_c −w_c·logp_c, and
    for "mean" both parts divided by Σ w[target] over non-ignored elements."""
    C = x.shape[1]
    logp = np.moveaxis(log_softmax(x), 1, -1).reshape(-1, C)
    t = t.reshape(-1)
    w = np.ones(C) if weight is None else weight
    losses, total = [], 0.0
    for row, target in zip(logp, t, strict=True):
        if target == ignore_index:
            losses.append(0.0)
            continue
        nll = -w[target] * row[target]
        smooth = -(w * row).sum()
        losses.append((1 - eps) * nll + eps / C * smooth)
        total += w[target]
    losses = np.array(losses)
    if reduction == "none":
        return losses.reshape((x.shape[0],) + x.shape[2:])
    return losses.sum() if reduction == "sum" else losses.sum() / total


@st.composite
def classification(draw):
    rng = np.random.default_rng(draw(seeds))
    N, C = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    extra = draw(st.sampled_from([(), (3,), (2, 2)]))
    x = rng.standard_normal((N, C) + extra) * 3
    t = rng.integers(0, C, (N,) + extra)
    if draw(st.booleans()):  # ignore some targets, but never all of them
        drop = rng.random(t.shape) < 0.3
        drop.flat[0] = False
        t[drop] = -100
    weight = rng.random(C) + 0.2 if draw(st.booleans()) else None
    return x, t, weight


@given(classification(), reductions, st.sampled_from([0.0, 0.1, 0.5]))
def test_cross_entropy_matches_the_definition(case, reduction, eps):
    x, t, weight = case
    w = None if weight is None else tg.Tensor(weight)
    out = F.cross_entropy(
        tg.Tensor(x), tg.Tensor(t), weight=w, reduction=reduction, label_smoothing=eps
    )
    expected = reference_cross_entropy(x, t, weight, -100, reduction, eps)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@given(classification(), reductions, st.sampled_from([0.0, 0.2]))
def test_cross_entropy_gradients_to_second_order(case, reduction, eps):
    x, t, weight = case
    w = None if weight is None else tg.Tensor(weight)
    X = tg.Tensor(x, requires_grad=True)

    def fn(x):
        return F.cross_entropy(x, tg.Tensor(t), w, reduction=reduction, label_smoothing=eps)

    assert gradcheck(fn, [X])
    assert gradgradcheck(fn, [X])


def test_cross_entropy_ignore_index_inside_the_class_range():
    x = np.random.default_rng(0).standard_normal((4, 3))
    t = np.array([0, 1, 2, 1])
    out = F.cross_entropy(tg.Tensor(x), tg.Tensor(t), ignore_index=1)
    expected = reference_cross_entropy(x, t, None, 1, "mean", 0.0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


def test_cross_entropy_huge_logits_stay_finite():
    x = tg.Tensor(
        np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], dtype=np.float32), requires_grad=True
    )
    t = tg.Tensor(np.array([1, 0]))
    loss = F.cross_entropy(x, t)
    loss.backward()
    np.testing.assert_allclose(loss.numpy(), (2e4 + 1e4 + np.log(2)) / 2, rtol=1e-6)
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-6)


def test_cross_entropy_probability_targets_and_unbatched():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    p = rng.random((3, 4))
    p /= p.sum(axis=1, keepdims=True)
    out = F.cross_entropy(tg.Tensor(x), tg.Tensor(p), label_smoothing=0.2)
    q = 0.8 * p + 0.2 / 4
    np.testing.assert_allclose(out.numpy(), -(q * log_softmax(x)).sum(1).mean(), rtol=1e-12)
    single = F.cross_entropy(tg.Tensor(x[0]), tg.Tensor(np.array(2)))
    np.testing.assert_allclose(single.numpy(), -log_softmax(x[:1])[0, 2], rtol=1e-12)


def test_nll_loss_is_cross_entropy_of_log_probabilities():
    rng = np.random.default_rng(2)
    x, t, w = rng.standard_normal((5, 4)), rng.integers(0, 4, 5), rng.random(4) + 0.5
    logp = F.log_softmax(tg.Tensor(x), dim=1)
    a = F.nll_loss(logp, tg.Tensor(t), weight=tg.Tensor(w))
    b = F.cross_entropy(tg.Tensor(x), tg.Tensor(t), weight=tg.Tensor(w))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- regression
pointwise = {
    "mse_loss": (F.mse_loss, lambda d: d * d),
    "l1_loss": (F.l1_loss, np.abs),
    "huber_loss": (
        lambda x, t, **k: F.huber_loss(x, t, delta=0.7, **k),
        lambda d: np.where(np.abs(d) < 0.7, 0.5 * d * d, 0.7 * (np.abs(d) - 0.35)),
    ),
    "smooth_l1_loss": (
        lambda x, t, **k: F.smooth_l1_loss(x, t, beta=0.6, **k),
        lambda d: np.where(np.abs(d) < 0.6, 0.5 * d * d / 0.6, np.abs(d) - 0.3),
    ),
}


def _reduce(a, reduction):
    return {"mean": a.mean(), "sum": a.sum(), "none": a}[reduction]


@given(st.sampled_from(sorted(pointwise)), reductions, seeds)
def test_pointwise_losses(name, reduction, seed):
    fn, formula = pointwise[name]
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    # keep |x − t| away from the kinks (0, delta, beta) for the finite differences
    d = x - t
    d = np.where(np.abs(d) < 0.05, 0.1, d)
    for kink in (0.6, 0.7):
        d = np.where(np.abs(np.abs(d) - kink) < 0.05, d * 1.3, d)
    x = t + d
    out = fn(tg.Tensor(x), tg.Tensor(t), reduction=reduction)
    np.testing.assert_allclose(out.numpy(), _reduce(formula(x - t), reduction), rtol=1e-12)
    X, T = tg.Tensor(x, requires_grad=True), tg.Tensor(t, requires_grad=True)
    assert gradcheck(lambda a, b: fn(a, b, reduction=reduction), [X, T])
    assert gradgradcheck(lambda a, b: fn(a, b, reduction=reduction), [X, T])


def test_smooth_l1_with_zero_beta_is_l1():
    x, t = tg.Tensor([0.5, -2.0, 3.0]), tg.Tensor([0.0, 0.0, 1.0])
    np.testing.assert_allclose(F.smooth_l1_loss(x, t, beta=0.0).numpy(), F.l1_loss(x, t).numpy())


# ----------------------------------------------------------------------------- binary
@given(reductions, seeds, st.booleans())
def test_binary_cross_entropy(reduction, seed, weighted):
    rng = np.random.default_rng(seed)
    p, t = rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4))
    w = rng.random((3, 4)) if weighted else None
    out = F.binary_cross_entropy(
        tg.Tensor(p), tg.Tensor(t), None if w is None else tg.Tensor(w), reduction
    )
    loss = -(t * np.log(p) + (1 - t) * np.log(1 - p)) * (1 if w is None else w)
    np.testing.assert_allclose(out.numpy(), _reduce(loss, reduction), rtol=1e-12)
    P = tg.Tensor(p, requires_grad=True)
    assert gradgradcheck(
        lambda p: F.binary_cross_entropy(p, tg.Tensor(t), reduction=reduction), [P]
    )


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    p = tg.Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    t = tg.Tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad.numpy()))


@given(reductions, seeds, st.booleans())
def test_binary_cross_entropy_with_logits(reduction, seed, pos_weighted):
    rng = np.random.default_rng(seed)
    x, t = rng.standard_normal((3, 4)) * 3, rng.random((3, 4))
    pw = rng.random(4) + 0.5 if pos_weighted else None
    out = F.binary_cross_entropy_with_logits(
        tg.Tensor(x),
        tg.Tensor(t),
        reduction=reduction,
        pos_weight=None if pw is None else tg.Tensor(pw),
    )
    s = 1 / (1 + np.exp(-x))
    loss = -((1 if pw is None else pw) * t * np.log(s) + (1 - t) * np.log(1 - s))
    np.testing.assert_allclose(out.numpy(), _reduce(loss, reduction), rtol=1e-10)
    X = tg.Tensor(x, requires_grad=True)
    kwargs = dict(reduction=reduction, pos_weight=None if pw is None else tg.Tensor(pw))
    assert gradgradcheck(
        lambda x: F.binary_cross_entropy_with_logits(x, tg.Tensor(t), **kwargs), [X]
    )


def test_binary_cross_entropy_with_huge_logits_is_finite_and_exact():
    x = tg.Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32), requires_grad=True)
    t = tg.Tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32))
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


# ----------------------------------------------------------------------------- errors
def test_loss_errors():
    x = tg.zeros(4, 3)
    with pytest.raises(IndexError, match=r"cross_entropy: target 3 is out of bounds for 3"):
        F.cross_entropy(x, tg.Tensor(np.array([0, 1, 3, 2])))
    with pytest.raises(IndexError, match=r"nll_loss: target -1 is out of bounds"):
        F.nll_loss(x, tg.Tensor(np.array([0, -1, 1, 2])))
    with pytest.raises(RuntimeError, match=r"target shape \(3,\) does not match input shape"):
        F.cross_entropy(x, tg.Tensor(np.array([0, 1, 2])))
    with pytest.raises(RuntimeError, match=r"weight must have one entry per class"):
        F.cross_entropy(x, tg.Tensor(np.array([0, 1, 2, 0])), weight=tg.ones(4))
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none'"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(RuntimeError, match=r"mse_loss: input shape \(4, 1\) and target shape"):
        F.mse_loss(tg.zeros(4, 1), tg.zeros(4))
    with pytest.raises(ValueError, match=r"should be between 0 and 1"):
        F.binary_cross_entropy(tg.Tensor([1.5, 0.5]), tg.Tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match=r"targets must be integer class indices"):
        F.nll_loss(x, tg.Tensor(np.zeros(4, dtype=bool)))
