"""LayerNorm, GroupNorm, InstanceNorm1d/2d (and F.layer_norm, F.group_norm,
F.instance_norm), and BatchNorm1d on (N, C, L): forward against NumPy formulas and PyTorch,
first and second order gradients in float64, running statistics, repr and the errors."""

from __future__ import annotations

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


def _standardize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _param(shape, seed):
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape)
    return tg.tensor(values, requires_grad=True)


# ---------------------------------------------------------------- layer norm


@pytest.mark.parametrize(("shape", "normalized"), [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_forward(shape, normalized, torch):
    x = _RNG.standard_normal(shape) * 3 + 1
    w, b = _RNG.standard_normal(normalized), _RNG.standard_normal(normalized)
    axes = tuple(range(len(shape) - len(normalized), len(shape)))
    want = _standardize(x, axes, 1e-5) * w + b
    got = F.layer_norm(tg.tensor(x), normalized, tg.tensor(w), tg.tensor(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    theirs = torch.nn.functional.layer_norm(
        torch.tensor(x), normalized, torch.tensor(w), torch.tensor(b)
    )
    np.testing.assert_allclose(got, theirs.numpy(), rtol=1e-10, atol=1e-12)


@given(data=st.data(), affine=st.booleans())
def test_layer_norm_gradients(data, affine):
    x = data.draw(tensors(st.sampled_from([(3, 4), (2, 2, 3)])))
    inputs = [x, _param((x.shape[-1],), 1), _param((x.shape[-1],), 2)] if affine else [x]

    def fn(x, *wb):
        return F.layer_norm(x, (x.shape[-1],), *wb, eps=1e-3)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_layer_norm_module_matches_pytorch(torch):
    x = _RNG.standard_normal((3, 4, 6)).astype(np.float32)
    for kwargs in ({}, {"bias": False}, {"elementwise_affine": False}, {"eps": 1e-3}):
        ours, theirs = nn.LayerNorm((4, 6), **kwargs), torch.nn.LayerNorm((4, 6), **kwargs)
        assert repr(ours) == repr(theirs)
        names = [n for n, _ in ours.named_parameters()]
        assert names == [n for n, _ in theirs.named_parameters()]
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(xt), theirs(tx)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
        g = _RNG.standard_normal(y.shape).astype(np.float32)
        y.backward(tg.tensor(g))
        ty.backward(torch.tensor(g))
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
        for (_, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert nn.LayerNorm(5).normalized_shape == (5,)


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"layer_norm: given normalized_shape=\[4\]"):
        F.layer_norm(tg.ones(2, 3), (4,))
    with pytest.raises(RuntimeError, match=r"layer_norm: expected weight of shape \(3,\)"):
        F.layer_norm(tg.ones(2, 3), (3,), tg.ones(4))
    with pytest.raises(RuntimeError, match="layer_norm: expected a floating point input"):
        F.layer_norm(tg.tensor([[1, 2]]), (2,))
    with pytest.raises(ValueError, match="LayerNorm: eps must be positive"):
        nn.LayerNorm(3, eps=0)


# ---------------------------------------------------------------- group norm


@pytest.mark.parametrize(("shape", "groups"), [((2, 6), 3), ((2, 4, 5), 2), ((2, 6, 3, 3), 3)])
def test_group_norm_forward(shape, groups, torch):
    x = _RNG.standard_normal(shape) * 2 - 1
    C = shape[1]
    w, b = _RNG.standard_normal(C), _RNG.standard_normal(C)
    grouped = _standardize(x.reshape(shape[0], groups, -1), (2,), 1e-5).reshape(shape)
    bshape = (1, C) + (1,) * (len(shape) - 2)
    want = grouped * w.reshape(bshape) + b.reshape(bshape)
    got = F.group_norm(tg.tensor(x), groups, tg.tensor(w), tg.tensor(b)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    theirs = torch.nn.functional.group_norm(
        torch.tensor(x), groups, torch.tensor(w), torch.tensor(b)
    )
    np.testing.assert_allclose(got, theirs.numpy(), rtol=1e-10, atol=1e-12)


@given(data=st.data(), groups=st.sampled_from([1, 2, 4]))
def test_group_norm_gradients(data, groups):
    x = data.draw(tensors(st.sampled_from([(2, 4, 3), (1, 4, 2, 2)])))
    inputs = [x, _param((4,), 1), _param((4,), 2)]
    fn = lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3)  # noqa: E731
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_group_norm_module_matches_pytorch(torch):
    x = _RNG.standard_normal((2, 6, 4, 4)).astype(np.float32)
    for kwargs in ({}, {"affine": False}, {"bias": False}, {"eps": 1e-2}):
        ours, theirs = nn.GroupNorm(3, 6, **kwargs), torch.nn.GroupNorm(3, 6, **kwargs)
        assert repr(ours) == repr(theirs)
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(xt), theirs(tx)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_group_norm_errors():
    with pytest.raises(RuntimeError, match=r"group_norm: expected the number of channels"):
        F.group_norm(tg.ones(2, 5, 3), 2)
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(5\) must be divisible"):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match=r"group_norm: expected an input of shape \(N, C, \*\)"):
        F.group_norm(tg.ones(4), 2)


# ---------------------------------------------------------------- instance norm


@given(data=st.data())
def test_instance_norm_gradients(data):
    x = data.draw(tensors(st.sampled_from([(2, 3, 4), (1, 3, 2, 3)])))
    inputs = [x, _param((3,), 1), _param((3,), 2)]
    fn = lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3)  # noqa: E731
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize(
    ("ours", "theirs", "shape"),
    [
        ("InstanceNorm1d", "InstanceNorm1d", (4, 3, 7)),
        ("InstanceNorm1d", "InstanceNorm1d", (3, 7)),
        ("InstanceNorm2d", "InstanceNorm2d", (4, 3, 5, 6)),
        ("InstanceNorm2d", "InstanceNorm2d", (3, 5, 6)),
    ],
)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"affine": True},
        {"track_running_stats": True},
        {"affine": True, "momentum": 0.3, "track_running_stats": True},
    ],
)
def test_instance_norm_modules_match_pytorch(ours, theirs, shape, kwargs, torch):
    m, tm = getattr(nn, ours)(3, **kwargs), getattr(torch.nn, theirs)(3, **kwargs)
    assert repr(m) == repr(tm)
    assert sorted(m.state_dict()) == sorted(tm.state_dict())
    if m.affine:  # a non-trivial scale and shift, the same in both
        w, b = (
            _RNG.standard_normal(3).astype(np.float32),
            _RNG.standard_normal(3).astype(np.float32),
        )
        m.load_state_dict({**m.state_dict(), "weight": w, "bias": b})
        with torch.no_grad():
            tm.weight.copy_(torch.tensor(w))
            tm.bias.copy_(torch.tensor(b))
    for step in range(3):
        x = (_RNG.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = m(xt), tm(tx)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        (y * y * y).sum().backward()
        (ty * ty * ty).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-3)
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)
    m.eval()
    tm.eval()
    x = _RNG.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(
        m(tg.tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5
    )


def test_instance_norm_functional_running_stats():
    x = _RNG.standard_normal((4, 2, 6))
    rm, rv = tg.zeros(2, dtype=tg.float64), tg.ones(2, dtype=tg.float64)
    y = F.instance_norm(tg.tensor(x), rm, rv, momentum=0.5)
    np.testing.assert_allclose(y.numpy(), _standardize(x, (2,), 1e-5), rtol=1e-10)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(
        rv.numpy(), 0.5 + 0.5 * x.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12
    )
    y = F.instance_norm(tg.tensor(x), rm, rv, use_input_stats=False)
    want = (x - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)


def test_instance_norm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm1d: expected 2D or 3D input \(got 4D"):
        nn.InstanceNorm1d(3)(tg.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected input's size at dim=1"):
        nn.InstanceNorm2d(3, affine=True)(tg.ones(2, 4, 5, 5))
    with pytest.raises(ValueError, match="instance_norm: expected more than 1 spatial element"):
        F.instance_norm(tg.ones(2, 3, 1))
    with pytest.raises(RuntimeError, match="instance_norm: running_mean and running_var"):
        F.instance_norm(tg.ones(2, 3, 4), use_input_stats=False)


# ---------------------------------------------------------------- batch norm on (N, C, L)


def test_batch_norm_1d_on_sequences_matches_pytorch(torch):
    m, tm = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    for step in range(3):
        x = (_RNG.standard_normal((4, 3, 5)) * (1 + step)).astype(np.float32)
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = m(xt), tm(tx)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        (y * y * y).sum().backward()
        (ty * ty * ty).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-3, atol=1e-3)
    for key, value in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)
    m.eval()
    tm.eval()
    x = _RNG.standard_normal((2, 3, 5)).astype(np.float32)
    np.testing.assert_allclose(
        m(tg.tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


@given(data=st.data())
def test_batch_norm_1d_on_sequences_gradients(data):
    x = data.draw(tensors(st.just((3, 2, 4))))
    w, b = _param((2,), 1), _param((2,), 2)
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)  # noqa: E731
    assert gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, [x, w, b])
