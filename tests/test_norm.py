"""batch_norm: training normalisation (biased variance), running statistics (unbiased, PyTorch's
momentum convention), eval as the affine map they imply, gradients to second order, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.testing import gradcheck, gradgradcheck

# (N, C) for BatchNorm1d, (N, C, L) and (N, C, H, W) for BatchNorm2d
norm_shapes = st.sampled_from([(5, 3), (4, 2, 3), (2, 3, 3, 2), (3, 1, 2, 2)])
seeds = st.integers(0, 2**32 - 1)


def _axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _data(shape, seed):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = rng.standard_normal(shape) * 2.0 + rng.standard_normal((1, C) + (1,) * (len(shape) - 2))
    return x, rng.standard_normal(C), rng.standard_normal(C)


@given(norm_shapes, seeds)
def test_training_normalises_with_the_biased_variance(shape, seed):
    x, w, b = _data(shape, seed)
    out = F.batch_norm(tg.Tensor(x), None, None, tg.Tensor(w), tg.Tensor(b), training=True)
    mean = x.mean(axis=_axes(x), keepdims=True)
    var = x.var(axis=_axes(x), keepdims=True)  # ddof=0: biased
    expected = (x - mean) / np.sqrt(var + 1e-5) * w.reshape(_bshape(x)) + b.reshape(_bshape(x))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)


@given(norm_shapes, seeds, st.sampled_from([0.1, 0.5, 1.0]))
def test_running_statistics_follow_pytorch(shape, seed, momentum):
    """running ← (1 − momentum)·running + momentum·batch, with the UNBIASED batch variance."""
    x, _, _ = _data(shape, seed)
    C = shape[1]
    rm0 = np.random.default_rng(seed + 1).standard_normal(C)
    rv0 = np.random.default_rng(seed + 2).random(C) + 0.5
    rm, rv = tg.Tensor(rm0.copy()), tg.Tensor(rv0.copy())
    F.batch_norm(tg.Tensor(x), rm, rv, training=True, momentum=momentum)
    mean = x.mean(axis=_axes(x))
    unbiased = x.var(axis=_axes(x), ddof=1)
    np.testing.assert_allclose(rm.numpy(), (1 - momentum) * rm0 + momentum * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), (1 - momentum) * rv0 + momentum * unbiased, rtol=1e-12)


@given(norm_shapes, seeds)
def test_eval_is_the_affine_map_of_the_running_statistics(shape, seed):
    x, w, b = _data(shape, seed)
    C = shape[1]
    rng = np.random.default_rng(seed)
    rm, rv = rng.standard_normal(C), rng.random(C) + 0.1
    running = tg.Tensor(rm.copy()), tg.Tensor(rv.copy())
    out = F.batch_norm(tg.Tensor(x), *running, tg.Tensor(w), tg.Tensor(b))
    scale = w / np.sqrt(rv + 1e-5)
    shift = b - rm * scale
    expected = x * scale.reshape(_bshape(x)) + shift.reshape(_bshape(x))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    # eval does not touch the running statistics
    np.testing.assert_array_equal(running[0].numpy(), rm)
    np.testing.assert_array_equal(running[1].numpy(), rv)


def test_train_then_eval_consistency():
    """With momentum 1 the running statistics become the batch's (unbiased variance), so eval
    on the same batch differs from training only by the factor √(n/(n − 1)) on x − mean."""
    x, w, b = _data((8, 3, 4, 4), 0)
    rm, rv = tg.zeros(3, dtype=tg.float64), tg.ones(3, dtype=tg.float64)
    args = (tg.Tensor(w), tg.Tensor(b))
    train = F.batch_norm(tg.Tensor(x), rm, rv, *args, training=True, momentum=1.0, eps=0.0)
    ev = F.batch_norm(tg.Tensor(x), rm, rv, *args, training=False, eps=0.0)
    n = 8 * 4 * 4
    bb = b.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(
        (ev.numpy() - bb) * np.sqrt(n / (n - 1)), train.numpy() - bb, rtol=1e-10, atol=1e-10
    )


def test_float32_and_no_affine():
    x = np.random.default_rng(5).standard_normal((16, 4, 5, 5)).astype(np.float32) * 3 + 2
    rm, rv = tg.zeros(4), tg.ones(4)
    out = F.batch_norm(tg.Tensor(x), rm, rv, training=True)
    assert out.dtype == np.float32 and rm.dtype == np.float32 and rv.dtype == np.float32
    np.testing.assert_allclose(out.numpy().mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.numpy().var(axis=(0, 2, 3)), 1, atol=1e-3)


# ----------------------------------------------------------------------------- gradients
@given(norm_shapes, seeds)
def test_training_gradients_to_second_order(shape, seed):
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _data(shape, seed))

    def fn(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    assert gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, [x, w, b])


@given(norm_shapes, seeds)
def test_eval_gradients_to_second_order(shape, seed):
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _data(shape, seed))
    C = shape[1]
    rm, rv = tg.Tensor(np.linspace(-1, 1, C)), tg.Tensor(np.linspace(0.5, 2, C))

    def fn(x, w, b):
        return F.batch_norm(x, rm, rv, w, b) ** 2

    assert gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, [x, w, b])


def test_fused_backward_equals_the_differentiable_one():
    """The array formulas used in ordinary training and the Tensor-op formulas used under
    create_graph give the same first-order gradient."""
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _data((6, 3, 2, 2), 7))
    g = tg.Tensor(np.random.default_rng(8).standard_normal((6, 3, 2, 2)))
    fast = tg.grad(F.batch_norm(x, None, None, w, b, True), [x, w, b], g)
    graph = tg.grad(F.batch_norm(x, None, None, w, b, True), [x, w, b], g, create_graph=True)
    for a, c in zip(fast, graph, strict=True):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


def test_gradient_of_normalised_output_sums_to_zero():
    """Σ_x ∂(Σ y·g)/∂x = 0 per channel: shifting the input does not change the output."""
    x = tg.Tensor(np.random.default_rng(9).standard_normal((5, 2, 3, 3)), requires_grad=True)
    g = tg.Tensor(np.random.default_rng(10).standard_normal((5, 2, 3, 3)))
    F.batch_norm(x, None, None, training=True).backward(g)
    np.testing.assert_allclose(x.grad.numpy().sum(axis=(0, 2, 3)), 0, atol=1e-12)


# ----------------------------------------------------------------------------- errors
def test_batch_norm_errors():
    x = tg.zeros(4, 3, 2, 2)
    with pytest.raises(RuntimeError, match=r"batch_norm: running_mean must have shape \(3,\)"):
        F.batch_norm(x, tg.zeros(2), tg.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm: weight must have shape \(3,\)"):
        F.batch_norm(x, None, None, tg.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"batch_norm: expected an input of shape \(N, C\)"):
        F.batch_norm(tg.zeros(3), None, None, training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel .* \(1, 3\)"):
        F.batch_norm(tg.zeros(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"input dtype \(float64\) and weight dtype \(float32\)"):
        F.batch_norm(x.double(), None, None, tg.ones(3), training=True)
    with pytest.raises(RuntimeError, match=r"running_mean and running_var are needed"):
        F.batch_norm(x, None, None)
