"""Loss modules (L1Loss, BCELoss, BCEWithLogitsLoss, HuberLoss, SmoothL1Loss, KLDivLoss,
GaussianNLLLoss), F.kl_div, F.gaussian_nll_loss, the distances (F.cosine_similarity,
F.normalize, F.pairwise_distance) and gradients with respect to cross-entropy class weights:
values and gradients against PyTorch, gradcheck/gradgradcheck in float64, and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import tensors

_RNG = np.random.default_rng(0)
_REDUCTIONS = ("mean", "sum", "none")


def _both(torch, ours, theirs, arrays, grad_of=(0,)):
    """Call ``ours`` and ``theirs`` on float64 copies of ``arrays``; compare the values and
    the gradients of ⟨out, g⟩ with respect to the inputs at ``grad_of``."""
    xs = [tg.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    txs = [torch.tensor(a, requires_grad=i in grad_of) for i, a in enumerate(arrays)]
    out, tout = ours(*xs), theirs(*txs)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = _RNG.standard_normal(out.shape)
    out.backward(tg.tensor(g))
    tout.backward(torch.tensor(g))
    for i in grad_of:
        np.testing.assert_allclose(xs[i].grad.numpy(), txs[i].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", _REDUCTIONS)
def test_pointwise_loss_modules_match_pytorch(reduction, torch):
    x, t = _RNG.standard_normal((4, 5)) * 2, _RNG.standard_normal((4, 5)) * 2
    p, y = _RNG.uniform(0.05, 0.95, (4, 5)), _RNG.uniform(0, 1, (4, 5))
    w = _RNG.uniform(0.5, 2, (4, 5))
    pos_weight = _RNG.uniform(0.5, 3, 5)
    cases = [
        (nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction), (x, t)),
        (nn.HuberLoss(reduction, 0.7), torch.nn.HuberLoss(reduction, 0.7), (x, t)),
        (
            nn.SmoothL1Loss(reduction=reduction, beta=0.5),
            torch.nn.SmoothL1Loss(reduction=reduction, beta=0.5),
            (x, t),
        ),
        (
            nn.BCELoss(tg.tensor(w), reduction=reduction),
            torch.nn.BCELoss(torch.tensor(w), reduction=reduction),
            (p, y),
        ),
        (
            nn.BCEWithLogitsLoss(
                tg.tensor(w), reduction=reduction, pos_weight=tg.tensor(pos_weight)
            ),
            torch.nn.BCEWithLogitsLoss(
                torch.tensor(w), reduction=reduction, pos_weight=torch.tensor(pos_weight)
            ),
            (x, y),
        ),
    ]
    for ours, theirs, arrays in cases:
        assert repr(ours) == repr(theirs)
        _both(torch, ours, theirs, arrays, grad_of=(0, 1))


def test_loss_arguments_as_pytorch():
    assert nn.BCEWithLogitsLoss().reduction == "mean"
    m = nn.BCEWithLogitsLoss(None, None, None, "sum", tg.ones(3))
    assert m.reduction == "sum" and m.pos_weight.shape == (3,)
    assert [n for n, _ in m.named_buffers()] == ["pos_weight"]
    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert nn.SmoothL1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="L1Loss: 'avg' is not a valid value for reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="HuberLoss: 'batchmean' is not a valid value"):
        nn.HuberLoss("batchmean")


# ---------------------------------------------------------------- KL divergence


@pytest.mark.parametrize("reduction", ("mean", "sum", "none", "batchmean"))
@pytest.mark.parametrize("log_target", (False, True))
def test_kl_div_matches_pytorch(reduction, log_target, torch):
    logp = np.log(_RNG.dirichlet(np.ones(5), 4))
    target = _RNG.dirichlet(np.ones(5), 4)
    target[0, 1] = 0.0  # a zero-probability target contributes 0 (and a finite gradient)
    if log_target:
        target = np.log(_RNG.dirichlet(np.ones(5), 4))
    ours = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    theirs = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)
    assert repr(ours) == repr(theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "mean" warns in both
        _both(torch, ours, theirs, (logp, target), grad_of=(0, 1) if log_target else (0,))


def test_kl_div_mean_warns_and_batchmean_is_per_sample():
    logp, t = tg.tensor(np.log(np.full((2, 4), 0.25))), tg.tensor(np.full((2, 4), 0.25))
    with pytest.warns(UserWarning, match="kl_div: reduction='mean' divides"):
        F.kl_div(logp, t)
    assert F.kl_div(logp, t, reduction="batchmean").item() == pytest.approx(0.0, abs=1e-15)
    with pytest.warns(UserWarning, match="kl_div: size_average and reduce are deprecated"):
        assert F.kl_div(logp, t, size_average=False).item() == pytest.approx(0.0, abs=1e-15)


@given(data=st.data(), log_target=st.booleans())
def test_kl_div_gradients(data, log_target):
    x = data.draw(tensors(st.just((3, 4)), min_value=-3, max_value=0))
    t = data.draw(tensors(st.just((3, 4)), min_value=0.1 if not log_target else -3, max_value=1))

    def fn(x, t):
        return F.kl_div(x, t, reduction="batchmean", log_target=log_target)

    assert gradcheck(fn, [x, t])
    assert gradgradcheck(fn, [x, t])


# ---------------------------------------------------------------- Gaussian NLL


@pytest.mark.parametrize("reduction", _REDUCTIONS)
@pytest.mark.parametrize("full", (False, True))
@pytest.mark.parametrize("var_shape", ((4, 3), (4, 1), (4,)))
def test_gaussian_nll_matches_pytorch(reduction, full, var_shape, torch):
    x, t = _RNG.standard_normal((4, 3)), _RNG.standard_normal((4, 3))
    var = _RNG.uniform(0.1, 2.0, var_shape)
    var.flat[0] = 1e-9  # below eps: clamped, with the gradient passed as PyTorch does
    ours = nn.GaussianNLLLoss(full=full, eps=1e-4, reduction=reduction)
    theirs = torch.nn.GaussianNLLLoss(full=full, eps=1e-4, reduction=reduction)
    assert repr(ours) == repr(theirs)
    _both(torch, ours, theirs, (x, t, var), grad_of=(0, 1, 2))


def test_gaussian_nll_number_var_and_errors(torch):
    x, t = _RNG.standard_normal((4, 3)), _RNG.standard_normal((4, 3))
    got = F.gaussian_nll_loss(tg.tensor(x), tg.tensor(t), 0.5).item()
    want = torch.nn.functional.gaussian_nll_loss(torch.tensor(x), torch.tensor(t), 0.5).item()
    assert got == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var is of incorrect size"):
        F.gaussian_nll_loss(tg.ones(4, 3), tg.ones(4, 3), tg.ones(3, 4))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(tg.ones(4, 3), tg.ones(4, 3), -tg.ones(4, 3))
    with pytest.raises(ValueError, match="gaussian_nll_loss: avg is not a valid value"):
        F.gaussian_nll_loss(tg.ones(2), tg.ones(2), tg.ones(2), reduction="avg")


@given(data=st.data())
def test_gaussian_nll_gradients(data):
    x = data.draw(tensors(st.just((3, 2))))
    t = data.draw(tensors(st.just((3, 2))))
    v = data.draw(tensors(st.just((3, 2)), min_value=0.2, max_value=2.0))
    assert gradcheck(F.gaussian_nll_loss, [x, t, v])
    assert gradgradcheck(F.gaussian_nll_loss, [x, t, v])


# ---------------------------------------------------------------- distances


def test_distances_match_pytorch(torch):
    tf = torch.nn.functional
    a, b = _RNG.standard_normal((4, 5)), _RNG.standard_normal((4, 5))
    a[1] = 0.0  # a zero vector: eps keeps everything finite, as in PyTorch
    for dim in (1, 0, -1):
        _both(
            torch,
            lambda x, y, d=dim: F.cosine_similarity(x, y, d),
            lambda x, y, d=dim: tf.cosine_similarity(x, y, d),
            (a, b),
            grad_of=(0, 1),
        )
    _both(torch, F.cosine_similarity, tf.cosine_similarity, (a, b[:1]), grad_of=(0, 1))
    for p in (2.0, 1.0, 3.0):
        _both(
            torch,
            lambda x, p=p: F.normalize(x, p),
            lambda x, p=p: tf.normalize(x, p),
            (a,),
        )
        _both(
            torch,
            lambda x, y, p=p: F.pairwise_distance(x, y, p, keepdim=True),
            lambda x, y, p=p: tf.pairwise_distance(x, y, p, keepdim=True),
            (a, b),
            grad_of=(0, 1),
        )
    _both(torch, F.pairwise_distance, tf.pairwise_distance, (a[0], b[0]), grad_of=(0, 1))
    _both(torch, lambda x: F.normalize(x, dim=0), lambda x: tf.normalize(x, dim=0), (a,))


def test_distance_modules_match_pytorch(torch):
    a, b = _RNG.standard_normal((4, 5)), _RNG.standard_normal((4, 5))
    cases = [
        (nn.CosineSimilarity(), torch.nn.CosineSimilarity()),
        (nn.CosineSimilarity(0, 1e-6), torch.nn.CosineSimilarity(0, 1e-6)),
        (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
        (nn.PairwiseDistance(1.0, 1e-3, True), torch.nn.PairwiseDistance(1.0, 1e-3, True)),
    ]
    for ours, theirs in cases:
        assert repr(ours) == repr(theirs)
        _both(torch, ours, theirs, (a, b), grad_of=(0, 1))


@given(data=st.data())
def test_distance_gradients(data):
    a = data.draw(tensors(st.just((3, 4)), min_value=0.2, max_value=2))
    b = data.draw(tensors(st.just((3, 4)), min_value=-2, max_value=-0.2))
    for fn in (
        F.cosine_similarity,
        F.pairwise_distance,
        lambda x, y: F.normalize(x) * y,
        lambda x, y: F.normalize(x, p=3.0, dim=0) * y,
    ):
        assert gradcheck(fn, [a, b])
        assert gradgradcheck(fn, [a, b])


def test_distance_errors():
    with pytest.raises(RuntimeError, match=r"cosine_similarity: x1 of shape \(2, 3\) and x2"):
        F.cosine_similarity(tg.ones(2, 3), tg.ones(4, 3))
    with pytest.raises(IndexError):
        F.normalize(tg.ones(3), dim=2)


# ---------------------------------------------------------------- class weights


def _torch_weighted_ce(torch, logits, target, weight, smoothing, reduction):
    """PyTorch's weighted cross-entropy written out with differentiable ops (PyTorch's own
    refuses a weight that requires grad)."""
    logp = torch.log_softmax(logits, 1)
    C = logits.shape[1]
    onehot = torch.nn.functional.one_hot(target, C).to(logits.dtype)
    coef = (1 - smoothing) * onehot + smoothing / C
    loss = -(logp * coef * weight).sum(1)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (onehot * weight).sum()


@pytest.mark.parametrize("reduction", _REDUCTIONS)
@pytest.mark.parametrize("smoothing", (0.0, 0.2))
def test_cross_entropy_class_weights_get_gradients(reduction, smoothing, torch):
    logits, target = _RNG.standard_normal((6, 4)), _RNG.integers(0, 4, 6)
    weight = _RNG.uniform(0.5, 2.0, 4)
    x, w = tg.tensor(logits, requires_grad=True), tg.tensor(weight, requires_grad=True)
    loss = F.cross_entropy(
        x, tg.tensor(target), weight=w, reduction=reduction, label_smoothing=smoothing
    )
    tx, tw = torch.tensor(logits, requires_grad=True), torch.tensor(weight, requires_grad=True)
    tloss = _torch_weighted_ce(torch, tx, torch.tensor(target), tw, smoothing, reduction)
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy(), rtol=1e-12)
    # the forward value is PyTorch's own weighted cross-entropy
    with torch.no_grad():
        native = torch.nn.functional.cross_entropy(
            tx, torch.tensor(target), weight=tw, reduction=reduction, label_smoothing=smoothing
        )
    np.testing.assert_allclose(loss.detach().numpy(), native.numpy(), rtol=1e-12)
    g = _RNG.standard_normal(loss.shape)
    loss.backward(tg.tensor(g))
    tloss.backward(torch.tensor(g))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


@given(data=st.data(), reduction=st.sampled_from(_REDUCTIONS), ignore=st.booleans())
def test_cross_entropy_and_nll_weight_gradcheck(data, reduction, ignore):
    x = data.draw(tensors(st.just((5, 3))))
    w = data.draw(tensors(st.just((3,)), min_value=0.5, max_value=2.0))
    target = tg.tensor([0, 2, 1, 2, 0])
    kwargs = {"ignore_index": 2} if ignore else {}

    def ce(x, w):
        return F.cross_entropy(x, target, weight=w, reduction=reduction, **kwargs)

    def nll(x, w):
        return F.nll_loss(x.log_softmax(1), target, weight=w, reduction=reduction, **kwargs)

    for fn in (ce, nll):
        assert gradcheck(fn, [x, w])
        assert gradgradcheck(fn, [x, w])
