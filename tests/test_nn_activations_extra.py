"""The activations added beside relu/gelu/...: ``F.<name>`` and their modules. Forward values
against formulas and PyTorch, first and second order gradients by gradcheck in float64 away
from kinks, PyTorch's gradients at the kinks (also for a NaN upstream gradient), ``repr`` and
the errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors

_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@dataclass(frozen=True)
class Act:
    name: str
    fn: Callable  # Tensor -> Tensor
    ref: Callable  # float64 array -> array
    torch: Callable  # (torch.nn.functional, torch tensor) -> torch tensor
    kinks: tuple[float, ...] = ()
    # PyTorch's float64 hardsigmoid gradient uses 1/6 rounded to float32: compare it at 1e-7
    torch_grad_rtol: float = 1e-12

    def __str__(self) -> str:
        return self.name


ACTS = [
    Act(
        "elu",
        lambda x: F.elu(x, 0.7),
        lambda x: np.where(x > 0, x, 0.7 * np.expm1(x)),
        lambda tf, x: tf.elu(x, 0.7),
        (0.0,),
    ),
    Act(
        "selu",
        F.selu,
        lambda x: _SELU_S * np.where(x > 0, x, _SELU_A * np.expm1(x)),
        lambda tf, x: tf.selu(x),
        (0.0,),
    ),
    Act(
        "celu",
        lambda x: F.celu(x, 2.0),
        lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0)),
        lambda tf, x: tf.celu(x, 2.0),
        (0.0,),
    ),
    Act("silu", F.silu, lambda x: x * _sigmoid(x), lambda tf, x: tf.silu(x)),
    Act("mish", F.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), lambda tf, x: tf.mish(x)),
    Act(
        "hardtanh",
        lambda x: F.hardtanh(x, -0.5, 1.5),
        lambda x: np.clip(x, -0.5, 1.5),
        lambda tf, x: tf.hardtanh(x, -0.5, 1.5),
        (-0.5, 1.5),
    ),
    Act("relu6", F.relu6, lambda x: np.clip(x, 0, 6), lambda tf, x: tf.relu6(x), (0.0, 6.0)),
    Act(
        "hardsigmoid",
        F.hardsigmoid,
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        lambda tf, x: tf.hardsigmoid(x),
        (-3.0, 3.0),
        1e-7,
    ),
    Act(
        "hardswish",
        F.hardswish,
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        lambda tf, x: tf.hardswish(x),
        (-3.0, 3.0),
    ),
    Act(
        "softsign",
        F.softsign,
        lambda x: x / (1 + np.abs(x)),
        lambda tf, x: tf.softsign(x),
        (0.0,),  # |x|: the second derivative jumps at 0
    ),
    Act("tanhshrink", F.tanhshrink, lambda x: x - np.tanh(x), lambda tf, x: tf.tanhshrink(x)),
    Act(
        "logsigmoid",
        F.logsigmoid,
        lambda x: -np.logaddexp(0, -x),
        lambda tf, x: tf.logsigmoid(x),
    ),
    Act(
        "threshold",
        lambda x: F.threshold(x, 0.5, -2.0),
        lambda x: np.where(x > 0.5, x, -2.0),
        lambda tf, x: tf.threshold(x, 0.5, -2.0),
        (0.5,),
    ),
    Act(
        "softplus",
        lambda x: F.softplus(x, 2.0, 3.0),
        lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2),
        lambda tf, x: tf.softplus(x, 2.0, 3.0),
        (1.5,),
    ),
]


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_forward_matches_formula_and_pytorch(act, torch):
    x = np.linspace(-7, 7, 57)  # includes the kinks 0, ±3 and 6 up to rounding
    x = np.concatenate([x, [0.0, -3.0, 3.0, 6.0, -0.5, 1.5, 0.5, 40.0, -40.0]])
    got = act.fn(tg.tensor(x)).numpy()
    np.testing.assert_allclose(got, act.ref(x), rtol=1e-12, atol=1e-12)
    want = act.torch(torch.nn.functional, torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # float32 keeps its dtype
    assert act.fn(tg.tensor(x.astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize("act", ACTS, ids=str)
@given(data=st.data())
def test_gradients_first_and_second_order(act, data):
    x = data.draw(
        tensors(shapes(max_dims=3, max_side=4), min_value=-5, max_value=7, kinks=act.kinks)
    )
    assert gradcheck(act.fn, [x])
    assert gradgradcheck(act.fn, [x])


@pytest.mark.parametrize("act", ACTS, ids=str)
def test_gradient_at_kinks_and_nan_upstream_as_pytorch(act, torch):
    points = np.array([0.0, -3.0, 3.0, 6.0, -0.5, 1.5, 0.5, -50.0, 50.0, -1.0, 2.0])
    for upstream in (np.ones_like(points), np.full_like(points, np.nan)):
        x = tg.tensor(points, requires_grad=True)
        act.fn(x).backward(tg.tensor(upstream))
        tx = torch.tensor(points, requires_grad=True)
        act.torch(torch.nn.functional, tx).backward(torch.tensor(upstream))
        want = tx.grad.numpy()
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=act.torch_grad_rtol, atol=1e-12)


def test_large_inputs_give_finite_gradients():
    x = tg.tensor([800.0, -800.0], requires_grad=True)
    (F.elu(x) + F.selu(x) + F.celu(x) + F.silu(x) + F.mish(x) + F.logsigmoid(x)).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


# ---------------------------------------------------------------- softmin, prelu


@given(data=st.data())
def test_softmin_gradients(data):
    x = data.draw(tensors(shapes(min_dims=1, max_dims=3, max_side=4)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assert gradcheck(lambda t: F.softmin(t, dim), [x])
    assert gradgradcheck(lambda t: F.softmin(t, dim), [x])


def test_softmin_and_softmax2d_match_pytorch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(
        F.softmin(tg.tensor(x), 1).numpy(),
        torch.nn.functional.softmin(torch.tensor(x), 1).numpy(),
        rtol=1e-12,
    )
    for shape in ((2, 3, 4, 5), (3, 4, 5)):
        xs = x.reshape(-1)[: math.prod(shape)].reshape(shape)
        np.testing.assert_allclose(
            nn.Softmax2d()(tg.tensor(xs)).numpy(),
            torch.nn.Softmax2d()(torch.tensor(xs)).numpy(),
            rtol=1e-12,
        )
    with pytest.raises(ValueError, match="Softmax2d: expected a 3-D"):
        nn.Softmax2d()(tg.ones(2, 3))


@given(data=st.data(), shared=st.booleans())
def test_prelu_gradients_in_input_and_weight(data, shared):
    x = data.draw(tensors(st.sampled_from([(2, 3), (2, 3, 4), (1, 3, 2, 2)]), kinks=(0.0,)))
    w = tg.tensor([0.3] if shared else [0.3, -0.2, 1.5], dtype=tg.float64, requires_grad=True)
    assert gradcheck(F.prelu, [x, w])
    assert gradgradcheck(F.prelu, [x, w])


def test_prelu_module_matches_pytorch(torch):
    x = np.random.default_rng(1).standard_normal((4, 3, 5))
    x[0, 0, 0] = 0.0  # the kink: PyTorch gives the input the slope there
    for num in (1, 3):
        m = nn.PReLU(num, init=0.1)
        tm = torch.nn.PReLU(num, init=0.1).double()
        m.double()
        xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        m(xt).sum().backward()
        tm(tx).sum().backward()
        np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-12)
        assert repr(m) == repr(tm)
    assert nn.PReLU().weight.numpy().tolist() == [0.25]
    with pytest.raises(RuntimeError, match="prelu: mismatch in parameter numbers"):
        nn.PReLU(4)(tg.ones(2, 3))


# ---------------------------------------------------------------- modules


def test_module_reprs_match_pytorch(torch):
    tnn = torch.nn
    pairs = [
        (nn.ELU(), tnn.ELU()),
        (nn.ELU(0.5, inplace=True), tnn.ELU(0.5, inplace=True)),
        (nn.SELU(), tnn.SELU()),
        (nn.CELU(2.0), tnn.CELU(2.0)),
        (nn.SiLU(), tnn.SiLU()),
        (nn.Mish(), tnn.Mish()),
        (nn.Hardtanh(), tnn.Hardtanh()),
        (nn.Hardtanh(-2, 3), tnn.Hardtanh(-2, 3)),
        (nn.ReLU6(), tnn.ReLU6()),
        (nn.Hardsigmoid(), tnn.Hardsigmoid()),
        (nn.Hardswish(), tnn.Hardswish()),
        (nn.Softsign(), tnn.Softsign()),
        (nn.Tanhshrink(), tnn.Tanhshrink()),
        (nn.LogSigmoid(), tnn.LogSigmoid()),
        (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)),
        (nn.Softplus(), tnn.Softplus()),
        (nn.Softplus(2, 5), tnn.Softplus(2, 5)),
        (nn.Softmin(1), tnn.Softmin(1)),
        (nn.Softmax2d(), tnn.Softmax2d()),
        (nn.Dropout1d(), tnn.Dropout1d()),
        (nn.Dropout2d(0.2), tnn.Dropout2d(0.2)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        (nn.ELU(0.7), "elu", (0.7,)),
        (nn.CELU(2.0), "celu", (2.0,)),
        (nn.SELU(), "selu", ()),
        (nn.SiLU(), "silu", ()),
        (nn.Mish(), "mish", ()),
        (nn.Hardtanh(-2.0, 3.0), "hardtanh", (-2.0, 3.0)),
        (nn.ReLU6(), "relu6", ()),
        (nn.Hardsigmoid(), "hardsigmoid", ()),
        (nn.Hardswish(), "hardswish", ()),
        (nn.Softsign(), "softsign", ()),
        (nn.Tanhshrink(), "tanhshrink", ()),
        (nn.LogSigmoid(), "logsigmoid", ()),
        (nn.Threshold(0.1, 20.0), "threshold", (0.1, 20.0)),
        (nn.Softplus(2.0, 5.0), "softplus", (2.0, 5.0)),
        (nn.Softmin(1), "softmin", (1,)),
    ],
)
def test_modules_match_pytorch_modules(module, name, args, torch):
    x = np.random.default_rng(2).standard_normal((3, 4)) * 4
    want = getattr(torch.nn.functional, name)(torch.tensor(x), *args).numpy()
    np.testing.assert_allclose(module(tg.tensor(x)).numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_module_both_forms_match_pytorch(approximate, torch):
    x = np.linspace(-6, 6, 49)
    m, tm = nn.GELU(approximate), torch.nn.GELU(approximate)
    assert repr(m) == repr(tm)
    xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(xt), tm(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_channel_dropout_zeroes_whole_channels_and_scales():
    tg.manual_seed(0)
    y = nn.Dropout1d(0.5)(tg.ones(16, 8, 5)).numpy()
    per_channel = y.reshape(16 * 8, 5)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(1) == per_channel.max(1)).all()
    assert 0 < (per_channel[:, 0] == 0).mean() < 1
    y = nn.Dropout1d(0.5)(tg.ones(8, 5)).numpy()  # (C, L)
    assert (y.min(1) == y.max(1)).all()
    m = nn.Dropout2d(0.5).eval()
    x = tg.randn(2, 3, 4, 4)
    assert m(x) is x
    with pytest.raises(RuntimeError, match=r"dropout1d: expected \(N, C, L\) or \(C, L\)"):
        F.dropout1d(tg.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="Dropout1d: dropout probability"):
        nn.Dropout1d(1.5)


def test_errors():
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(tg.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="Hardtanh: max_val"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(RuntimeError, match="celu: alpha must not be 0"):
        F.celu(tg.ones(2), 0.0)
    with pytest.raises(RuntimeError, match="elu: expected a floating point input"):
        F.elu(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match="ELU: alpha must be a number"):
        nn.ELU("1")
