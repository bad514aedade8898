"""Forward values and gradients of every CNN op against PyTorch (skipped without it), over
hypothesis-drawn settings, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.testing.cnn_strategies import (
    conv_settings,
    conv_transpose_settings,
    pool_settings,
    tie_free_images,
)

torch = pytest.importorskip("torch")
TF = torch.nn.functional

seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])


def compare(ours_fn, theirs_fn, arrays, grad_mask=None, rtol=1e-9, atol=1e-10):
    """Run both on the same float64 arrays; compare outputs and the gradients of ⟨out, g⟩
    for a random g (for the inputs marked in ``grad_mask``)."""
    grad_mask = grad_mask or [True] * len(arrays)
    ours_in = [tg.Tensor(a, requires_grad=m) for a, m in zip(arrays, grad_mask, strict=True)]
    theirs_in = [torch.tensor(a, requires_grad=m) for a, m in zip(arrays, grad_mask, strict=True)]
    ours, theirs = ours_fn(*ours_in), theirs_fn(*theirs_in)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    ours.backward(tg.Tensor(g))
    theirs.backward(torch.tensor(g))
    for a, b, m in zip(ours_in, theirs_in, grad_mask, strict=True):
        if m:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


def _rng(seed):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- convolution
@given(conv_settings(max_channels=3, max_size=7), seeds, st.booleans())
def test_conv2d(s, seed, bias):
    rng = _rng(seed)
    arrays = [rng.standard_normal(s.input_shape), rng.standard_normal(s.weight_shape)]
    if bias:
        arrays.append(rng.standard_normal(s.OC))
    compare(lambda *t: F.conv2d(*t, **s.kwargs), lambda *t: TF.conv2d(*t, **s.kwargs), arrays)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own copy
@given(st.integers(1, 5), st.integers(1, 3), seeds)
def test_conv2d_same_padding(kernel, dilation, seed):
    rng = _rng(seed)
    arrays = [rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, kernel, kernel))]
    kw = dict(padding="same", dilation=dilation)
    compare(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw), arrays)


@given(conv_transpose_settings(), seeds)
def test_conv_transpose2d(s, seed):
    rng = _rng(seed)
    arrays = [
        rng.standard_normal(s.input_shape),
        rng.standard_normal(s.transpose_weight_shape),
        rng.standard_normal(s.OC),
    ]
    kw = dict(
        stride=s.stride,
        padding=s.padding,
        output_padding=s.output_padding,
        groups=s.groups,
        dilation=s.dilation,
    )
    compare(
        lambda *t: F.conv_transpose2d(*t, **kw), lambda *t: TF.conv_transpose2d(*t, **kw), arrays
    )


# ----------------------------------------------------------------------------- pooling
@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_max_pool2d_and_indices(case):
    s, x = case
    compare(
        lambda t: F.max_pool2d(t, **s.max_kwargs), lambda t: TF.max_pool2d(t, **s.max_kwargs), [x]
    )
    _, ours = F.max_pool2d(tg.Tensor(x), return_indices=True, **s.max_kwargs)
    _, theirs = TF.max_pool2d(torch.tensor(x), return_indices=True, **s.max_kwargs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@given(st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_max_pool2d_ties(kernel, seed):
    """Integer inputs in a small range: many ties. The gradient goes where PyTorch's goes."""
    x = _rng(seed).integers(0, 3, (2, 2, 6, 6)).astype(np.float64)
    for kw in (dict(kernel_size=2), dict(kernel_size=kernel + 1, stride=1, padding=kernel // 2)):
        compare(
            lambda t, kw=kw: F.max_pool2d(t, **kw), lambda t, kw=kw: TF.max_pool2d(t, **kw), [x]
        )


@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_max_unpool2d(case):
    s, x = case
    if s.dilation != (1, 1):
        return  # PyTorch's max_unpool2d has no dilation argument
    out, idx = TF.max_pool2d(torch.tensor(x), return_indices=True, **s.max_kwargs)
    size = x.shape[2:]
    args = (s.kernel_size, s.stride, s.padding)
    compare(
        lambda t: F.max_unpool2d(t, tg.Tensor(idx.numpy()), *args, output_size=size),
        lambda t: TF.max_unpool2d(t, idx, *args, output_size=size),
        [out.numpy()],
    )


@given(pool_settings(dilation=False), st.booleans(), seeds)
def test_avg_pool2d(s, count_include_pad, seed):
    x = _rng(seed).standard_normal(s.input_shape)
    kw = dict(count_include_pad=count_include_pad, **s.avg_kwargs)
    compare(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x])


@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 5), st.integers(1, 5), seeds)
def test_adaptive_avg_pool2d(H, W, oh, ow, seed):
    x = _rng(seed).standard_normal((2, 3, H, W))
    compare(
        lambda t: F.adaptive_avg_pool2d(t, (oh, ow)),
        lambda t: TF.adaptive_avg_pool2d(t, (oh, ow)),
        [x],
    )


# ----------------------------------------------------------------------------- batch norm
@given(st.sampled_from([(6, 3), (4, 2, 5), (3, 4, 3, 2)]), st.booleans(), st.booleans(), seeds)
def test_batch_norm(shape, training, affine, seed):
    rng = _rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * 2 + 1
    rm0, rv0 = rng.standard_normal(C), rng.random(C) + 0.5
    ours_stats = [tg.Tensor(rm0.copy()), tg.Tensor(rv0.copy())]
    theirs_stats = [torch.tensor(rm0.copy()), torch.tensor(rv0.copy())]
    arrays = [x] + ([rng.standard_normal(C), rng.standard_normal(C)] if affine else [])

    def ours(x, *wb):
        return F.batch_norm(x, *ours_stats, *wb, training=training, momentum=0.3)

    def theirs(x, *wb):
        return TF.batch_norm(x, *theirs_stats, *wb, training=training, momentum=0.3)

    compare(ours, theirs, arrays)
    for a, b in zip(ours_stats, theirs_stats, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- layers
@given(seeds, st.sampled_from([(3, 4), (2, 3, 4)]))
def test_linear(seed, shape):
    rng = _rng(seed)
    arrays = [rng.standard_normal(shape), rng.standard_normal((5, 4)), rng.standard_normal(5)]
    compare(F.linear, TF.linear, arrays)


@given(st.sampled_from(["constant", "reflect", "replicate", "circular"]), seeds)
def test_pad(mode, seed):
    x = _rng(seed).standard_normal((2, 3, 4, 5))
    pads = (1, 2, 2, 0)
    compare(lambda t: F.pad(t, pads, mode), lambda t: TF.pad(t, pads, mode), [x])


# ----------------------------------------------------------------------------- losses
@st.composite
def classification(draw):
    rng = _rng(draw(seeds))
    N, C = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    extra = draw(st.sampled_from([(), (3,), (2, 2)]))
    x = rng.standard_normal((N, C) + extra) * 3
    t = rng.integers(0, C, (N,) + extra)
    t.flat[1:][rng.random(t.size - 1) < 0.25] = -100  # some ignored, never the first
    weight = rng.random(C) + 0.2 if draw(st.booleans()) else None
    return x, t, weight


@given(classification(), reductions, st.sampled_from([0.0, 0.15]))
def test_cross_entropy_and_nll(case, reduction, eps):
    x, t, weight = case
    ours_w = None if weight is None else tg.Tensor(weight)
    theirs_w = None if weight is None else torch.tensor(weight)
    kw = dict(reduction=reduction, label_smoothing=eps)
    compare(
        lambda a: F.cross_entropy(a, tg.Tensor(t), ours_w, **kw),
        lambda a: TF.cross_entropy(a, torch.tensor(t), theirs_w, **kw),
        [x],
    )
    compare(
        lambda a: F.nll_loss(F.log_softmax(a, 1), tg.Tensor(t), ours_w, reduction=reduction),
        lambda a: TF.nll_loss(TF.log_softmax(a, 1), torch.tensor(t), theirs_w, reduction=reduction),
        [x],
    )


def test_cross_entropy_probability_targets():
    rng = _rng(3)
    x, p = rng.standard_normal((4, 5)), rng.random((4, 5))
    p /= p.sum(1, keepdims=True)
    compare(
        lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
        lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1),
        [x, p],
    )


@given(reductions, seeds)
def test_regression_losses(reduction, seed):
    rng = _rng(seed)
    x, t = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    pairs = [
        (F.mse_loss, TF.mse_loss, {}),
        (F.l1_loss, TF.l1_loss, {}),
        (F.huber_loss, TF.huber_loss, dict(delta=0.8)),
        (F.smooth_l1_loss, TF.smooth_l1_loss, dict(beta=0.6)),
    ]
    for ours, theirs, kw in pairs:
        compare(
            lambda a, b, f=ours, kw=kw: f(a, b, reduction=reduction, **kw),
            lambda a, b, f=theirs, kw=kw: f(a, b, reduction=reduction, **kw),
            [x, t],
        )


@given(reductions, seeds, st.booleans())
def test_binary_losses(reduction, seed, weighted):
    rng = _rng(seed)
    x, t = rng.standard_normal((3, 4)) * 4, rng.random((3, 4))
    w, pw = rng.random((3, 4)), rng.random(4) + 0.5
    ow, tw = (tg.Tensor(w), torch.tensor(w)) if weighted else (None, None)
    compare(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, ow, reduction, pos_weight=tg.Tensor(pw)
        ),
        lambda a, b: TF.binary_cross_entropy_with_logits(
            a, b, tw, reduction=reduction, pos_weight=torch.tensor(pw)
        ),
        [x, t],
    )
    compare(
        lambda a, b: F.binary_cross_entropy(F.sigmoid(a), b, ow, reduction),
        lambda a, b: TF.binary_cross_entropy(torch.sigmoid(a), b, tw, reduction=reduction),
        [x, t],
    )


def test_huge_logits_match():
    x = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], dtype=np.float32)
    t = np.array([1, 0])
    ours = tg.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    a, b = F.cross_entropy(ours, tg.Tensor(t)), TF.cross_entropy(theirs, torch.tensor(t))
    a.backward()
    b.backward()
    np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-6)
    y = np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32)
    yt = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(tg.Tensor(y), tg.Tensor(yt)).numpy(),
        TF.binary_cross_entropy_with_logits(torch.tensor(y), torch.tensor(yt)).numpy(),
    )
