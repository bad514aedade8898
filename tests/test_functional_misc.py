"""dropout, dropout2d, linear, flatten, pad modes and the activation pass-throughs of
tinygrad_cnn.functional."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.testing import gradcheck, gradgradcheck

seeds = st.integers(0, 2**32 - 1)


# ----------------------------------------------------------------------------- dropout
def test_dropout_is_inverted_and_seeded():
    x = tg.ones(200, 300)
    tg.manual_seed(0)
    a = F.dropout(x, 0.3).numpy()
    tg.manual_seed(0)
    b = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, b)  # same seed, same mask
    kept = a != 0
    np.testing.assert_allclose(a[kept], 1 / 0.7, rtol=1e-6)  # survivors scaled by 1/(1 − p)
    assert abs(kept.mean() - 0.7) < 0.01  # 60,000 draws: the standard error is 0.002
    assert abs(a.mean() - 1.0) < 0.02  # the expectation is preserved
    assert a.dtype == np.float32


def test_dropout_eval_and_edge_probabilities():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dropout: probability p must be between 0 and 1"):
        F.dropout(x, 1.5)


def test_dropout_gradient_uses_the_same_mask():
    x = tg.Tensor(np.ones((50, 40)), requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # both are mask / (1 − p)


def test_dropout2d_drops_whole_channels():
    tg.manual_seed(1)
    y = F.dropout2d(tg.ones(8, 16, 3, 3), 0.5).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1


# ----------------------------------------------------------------------------- linear etc.
@given(seeds, st.booleans(), st.sampled_from([(4,), (3, 4), (2, 3, 4)]))
def test_linear(seed, bias, shape):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((5, 4)), rng.standard_normal(5)
    out = F.linear(tg.Tensor(x), tg.Tensor(w), tg.Tensor(b) if bias else None)
    np.testing.assert_allclose(out.numpy(), x @ w.T + (b if bias else 0), rtol=1e-12)
    X, Wt, B = (tg.Tensor(a, requires_grad=True) for a in (x, w, b))
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b) ** 2, [X, Wt, B])


def test_linear_errors():
    with pytest.raises(RuntimeError, match=r"linear: input has 3 features but weight expects 4"):
        F.linear(tg.zeros(2, 3), tg.zeros(5, 4))
    with pytest.raises(RuntimeError, match=r"linear: input dtype \(float64\) and weight dtype"):
        F.linear(tg.zeros(2, 4, dtype=tg.float64), tg.zeros(5, 4))
    with pytest.raises(RuntimeError, match=r"linear: bias must have shape \(5,\)"):
        F.linear(tg.zeros(2, 4), tg.zeros(5, 4), tg.zeros(4))


def test_flatten_keeps_the_batch_axis():
    x = tg.Tensor(np.arange(24.0).reshape(2, 3, 2, 2))
    assert F.flatten(x).shape == (2, 12)
    assert F.flatten(x, 0).shape == (24,)
    assert F.flatten(x, 1, 2).shape == (2, 6, 2)


# ----------------------------------------------------------------------------- pad
@given(
    st.sampled_from(["constant", "circular", "reflect", "replicate"]),
    st.lists(st.integers(0, 2), min_size=2, max_size=4).filter(lambda p: len(p) % 2 == 0),
    seeds,
)
def test_pad_modes_match_numpy(mode, pads, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, 4))
    numpy_mode = {
        "constant": "constant",
        "circular": "wrap",
        "reflect": "reflect",
        "replicate": "edge",
    }[mode]
    widths = [(0, 0)] * 3
    for k in range(len(pads) // 2):
        widths[2 - k] = (pads[2 * k], pads[2 * k + 1])
    out = F.pad(tg.Tensor(x), pads, mode=mode)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, widths, mode=numpy_mode))
    X = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.pad(x, pads, mode=mode), [X])


def test_pad_value_and_errors():
    out = F.pad(tg.zeros(1, 2), (1, 1), value=7.0)
    np.testing.assert_array_equal(out.numpy(), [[7.0, 0.0, 0.0, 7.0]])
    with pytest.raises(ValueError, match=r"pad: reflect padding .* smaller than the padded axis"):
        F.pad(tg.zeros(1, 2), (2, 0), mode="reflect")
    with pytest.raises(ValueError, match=r"pad: mode must be"):
        F.pad(tg.zeros(1, 2), (1, 1), mode="mirror")


# ----------------------------------------------------------------------------- activations
activations = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (F.tanh, np.tanh),
    "softplus": (lambda x: F.softplus(x, beta=2.0), lambda x: np.log1p(np.exp(2 * x)) / 2),
    "gelu_tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    ),
    "softmax": (
        lambda x: F.softmax(x, dim=1),
        lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True),
    ),
    "log_softmax": (
        lambda x: F.log_softmax(x, dim=1),
        lambda x: x - np.log(np.exp(x).sum(1, keepdims=True)),
    ),
}


@pytest.mark.parametrize("name", sorted(activations))
def test_activations(name):
    fn, formula = activations[name]
    x = np.random.default_rng(0).standard_normal((3, 4))
    x = np.where(np.abs(x) < 0.05, 0.1, x)  # away from the ReLU kink
    np.testing.assert_allclose(fn(tg.Tensor(x)).numpy(), formula(x), rtol=1e-10, atol=1e-12)
    assert gradgradcheck(fn, [tg.Tensor(x, requires_grad=True)])


def test_softmax_implicit_dim_warns_like_pytorch():
    x = tg.Tensor(np.random.default_rng(1).standard_normal((2, 3)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.softmax(x)
    assert any("implicit dimension" in str(w.message) for w in caught)
    np.testing.assert_allclose(out.numpy().sum(1), 1.0)  # dim 1 for 2-D input, as PyTorch
