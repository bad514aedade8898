"""Elementwise ops: forward values against NumPy formulas, first- and second-order gradients
with gradcheck/gradgradcheck on hypothesis-drawn (broadcast, non-contiguous) float64 inputs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import arrays, broadcastable_shapes, shapes, tensors

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


@dataclass(frozen=True)
class Unary:
    name: str
    fn: Callable  # Tensor -> Tensor
    ref: Callable  # float64 ndarray -> ndarray
    lo: float = -3.0
    hi: float = 3.0
    kinks: tuple[float, ...] = ()

    def __str__(self) -> str:
        return self.name


UNARY = [
    Unary("neg", lambda x: -x, lambda x: -x),
    Unary("exp", lambda x: x.exp(), np.exp),
    Unary("log", lambda x: x.log(), np.log, 0.1, 5.0),
    Unary("sqrt", lambda x: x.sqrt(), np.sqrt, 0.1, 5.0),
    Unary("abs", lambda x: x.abs(), np.abs, kinks=(0.0,)),
    Unary("sin", lambda x: x.sin(), np.sin),
    Unary("cos", lambda x: x.cos(), np.cos),
    Unary("tanh", lambda x: x.tanh(), np.tanh),
    Unary("sigmoid", lambda x: x.sigmoid(), _sigmoid, -8.0, 8.0),
    Unary("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), kinks=(0.0,)),
    Unary(
        "leaky_relu",
        lambda x: x.leaky_relu(),
        lambda x: np.where(x > 0, x, 0.01 * x),
        kinks=(0.0,),
    ),
    Unary(
        "leaky_relu_0.2",
        lambda x: x.leaky_relu(0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        kinks=(0.0,),
    ),
    Unary("gelu", lambda x: x.gelu(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), -5, 5),
    Unary("gelu_tanh", lambda x: x.gelu(approximate="tanh"), _gelu_tanh, -5, 5),
    Unary("softplus", lambda x: x.softplus(), _softplus, -10, 10),
    Unary(
        "softplus_beta2_threshold3",
        lambda x: x.softplus(beta=2.0, threshold=3.0),
        lambda x: _softplus(x, 2.0, 3.0),
        kinks=(1.5,),  # the switch to the linear branch is not smooth
    ),
    Unary("clip", lambda x: x.clip(-1.0, 0.5), lambda x: np.clip(x, -1.0, 0.5), kinks=(-1, 0.5)),
    Unary("clip_min", lambda x: x.clip(min=0.2), lambda x: np.maximum(x, 0.2), kinks=(0.2,)),
    Unary("clip_max", lambda x: x.clip(max=-0.3), lambda x: np.minimum(x, -0.3), kinks=(-0.3,)),
    Unary("square", lambda x: x**2, lambda x: x**2),
    Unary("cube", lambda x: x**3, lambda x: x**3),
    Unary("pow_half", lambda x: x**0.5, np.sqrt, 0.1, 5.0),
    Unary("pow_neg1", lambda x: x**-1, lambda x: 1 / x, kinks=(0.0,), lo=-3, hi=3),
    Unary("pow_0", lambda x: x**0, np.ones_like),
    Unary("pow_1.5", lambda x: x**1.5, lambda x: x**1.5, 0.1, 4.0),
    Unary("add_scalar", lambda x: x + 3, lambda x: x + 3),
    Unary("radd_scalar", lambda x: 2.5 + x, lambda x: 2.5 + x),
    Unary("rsub_scalar", lambda x: 2 - x, lambda x: 2 - x),
    Unary("rmul_scalar", lambda x: 3 * x, lambda x: 3 * x),
    Unary("div_scalar", lambda x: x / 4, lambda x: x / 4),
    Unary("rdiv_scalar", lambda x: 2 / x, lambda x: 2 / x, kinks=(0.0,)),
    Unary("rpow_scalar", lambda x: 2.0**x, lambda x: 2.0**x),
    Unary("square_method", lambda x: x.square(), np.square),
    Unary("maximum_scalar", lambda x: x.maximum(0.3), lambda x: np.maximum(x, 0.3), kinks=(0.3,)),
    Unary(
        "minimum_scalar",
        lambda x: tg.minimum(x, -0.2),
        lambda x: np.minimum(x, -0.2),
        kinks=(-0.2,),
    ),
]


def _unary_input(op: Unary, shape_strategy=None):
    # margin 0.05 ≫ the 1e-6 finite-difference step: no difference straddles a kink
    return tensors(
        shape_strategy if shape_strategy is not None else shapes(max_dims=3, max_side=3),
        min_value=op.lo,
        max_value=op.hi,
        kinks=op.kinks,
        margin=0.05,
    )


@pytest.mark.parametrize("op", UNARY, ids=str)
@given(data=st.data())
def test_unary_forward(op: Unary, data):
    x = data.draw(_unary_input(op, shapes(max_dims=4, max_side=5)))
    out = op.fn(x)
    np.testing.assert_allclose(out.numpy(), op.ref(x.numpy()), rtol=1e-12, atol=1e-12)
    assert out.shape == x.shape and out.dtype == np.float64
    assert out.requires_grad


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_unary_float32_stays_float32(op: Unary):
    x = tg.Tensor(np.linspace(max(op.lo, -2.0), min(op.hi, 2.0), 7) + 0.013, dtype=tg.float32)
    out = op.fn(x)
    assert out.dtype == np.float32, f"{op.name} turned float32 into {out.dtype}"
    np.testing.assert_allclose(
        out.numpy(), op.ref(x.numpy().astype(np.float64)), rtol=2e-6, atol=2e-6
    )


@pytest.mark.parametrize("op", UNARY, ids=str)
@given(data=st.data())
def test_unary_gradients(op: Unary, data):
    x = data.draw(_unary_input(op))
    assert gradcheck(op.fn, [x])
    assert gradgradcheck(op.fn, [x])


# ------------------------------------------------------------------------------ binary ops
@dataclass(frozen=True)
class Binary:
    name: str
    fn: Callable
    ref: Callable
    a_range: tuple[float, float] = (-3.0, 3.0)
    b_range: tuple[float, float] = (-3.0, 3.0)
    b_kinks: tuple[float, ...] = ()
    distinct: bool = False  # a and b never equal (maximum/minimum ties)

    def __str__(self) -> str:
        return self.name


BINARY = [
    Binary("add", lambda a, b: a + b, np.add),
    Binary("sub", lambda a, b: a - b, np.subtract),
    Binary("mul", lambda a, b: a * b, np.multiply),
    Binary("div", lambda a, b: a / b, np.divide, b_kinks=(0.0,)),
    Binary("pow", lambda a, b: a**b, np.power, (0.2, 3.0), (-2.0, 2.0)),
    Binary("maximum", lambda a, b: a.maximum(b), np.maximum, distinct=True),
    Binary("minimum", lambda a, b: a.minimum(b), np.minimum, distinct=True),
    Binary("tg.maximum", tg.maximum, np.maximum, distinct=True),
    Binary("tg.minimum", tg.minimum, np.minimum, distinct=True),
]


@st.composite
def _binary_inputs(draw, op: Binary, max_side: int = 3):
    shape_a, shape_b = draw(broadcastable_shapes(2, max_dims=3, max_side=max_side))
    if op.distinct:
        # a on a grid of step 0.05, b on the same grid shifted by half a step: never tied
        a = draw(tensors(shape_a, distinct=True, margin=0.05, min_value=-2.0, max_value=2.0))
        b_values = (
            draw(arrays(shape_b, distinct=True, margin=0.05, min_value=-2.0, max_value=2.0)) + 0.025
        )
        b = tg.Tensor(b_values, requires_grad=True)
        return a, b
    a = draw(tensors(shape_a, min_value=op.a_range[0], max_value=op.a_range[1]))
    b = draw(
        tensors(
            shape_b, min_value=op.b_range[0], max_value=op.b_range[1], kinks=op.b_kinks, margin=0.3
        )
    )
    return a, b


@pytest.mark.parametrize("op", BINARY, ids=str)
@given(data=st.data())
def test_binary_forward_broadcasts(op: Binary, data):
    a, b = data.draw(_binary_inputs(op, max_side=5))
    out = op.fn(a, b)
    expected = op.ref(a.numpy(), b.numpy())
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", BINARY, ids=str)
@given(data=st.data())
def test_binary_gradients(op: Binary, data):
    a, b = data.draw(_binary_inputs(op))
    assert gradcheck(op.fn, [a, b])
    assert gradgradcheck(op.fn, [a, b])


@pytest.mark.parametrize("op", BINARY, ids=str)
def test_binary_with_one_constant_operand(op: Binary):
    a = tg.Tensor([[0.5, 1.5, 2.25]], dtype=tg.float64, requires_grad=True)
    b = tg.Tensor([[0.75], [1.25]], dtype=tg.float64)  # no grad: the constant
    assert gradcheck(lambda a: op.fn(a, b), [a])
    assert gradcheck(lambda b_: op.fn(a.detach(), b_), [b.detach().requires_grad_()])


def test_maximum_tie_splits_gradient_like_pytorch():
    a = tg.Tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    b = tg.Tensor([1.0, 1.0, 4.0], dtype=tg.float64, requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0, 1.0])


# ------------------------------------------------------------------------------ where
@st.composite
def _where_inputs(draw):
    shape_c, shape_a, shape_b = draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = draw(arrays(shape_c).map(lambda v: v > 0))
    return cond, draw(tensors(shape_a)), draw(tensors(shape_b))


@given(_where_inputs())
def test_where_forward_and_gradients(inputs):
    cond, a, b = inputs
    out = tg.where(tg.Tensor(cond), a, b)
    np.testing.assert_array_equal(out.numpy(), np.where(cond, a.numpy(), b.numpy()))
    # a method spelling, and a condition given as a NumPy array
    np.testing.assert_array_equal(a.where(cond, b).numpy(), out.numpy())
    fn = lambda a, b: tg.where(cond, a, b)  # noqa: E731
    assert gradcheck(fn, [a, b])
    assert gradgradcheck(fn, [a, b])


def test_where_with_scalars_and_non_bool_condition():
    x = tg.Tensor([-1.0, 2.0, -3.0], requires_grad=True)
    out = tg.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(tg.where(tg.Tensor([0, 3, 0]), 1.0, x).numpy(), [-1, 1, -3])


# ------------------------------------------------------------------------------ comparisons
COMPARISONS = {
    "eq": (lambda a, b: a == b, np.equal),
    "ne": (lambda a, b: a != b, np.not_equal),
    "lt": (lambda a, b: a < b, np.less),
    "le": (lambda a, b: a <= b, np.less_equal),
    "gt": (lambda a, b: a > b, np.greater),
    "ge": (lambda a, b: a >= b, np.greater_equal),
}


@pytest.mark.parametrize("name", COMPARISONS)
@given(shapes_ab=broadcastable_shapes(2, max_side=4), data=st.data())
def test_comparisons_give_bool_without_gradient(name, shapes_ab, data):
    fn, ref = COMPARISONS[name]
    # small integers as floats: plenty of exact ties for == and <=
    ints = st.integers(-2, 2).map(float)
    a_np = data.draw(
        st.lists(ints, min_size=math.prod(shapes_ab[0]), max_size=math.prod(shapes_ab[0]))
    )
    b_np = data.draw(
        st.lists(ints, min_size=math.prod(shapes_ab[1]), max_size=math.prod(shapes_ab[1]))
    )
    a_np = np.asarray(a_np).reshape(shapes_ab[0])
    b_np = np.asarray(b_np).reshape(shapes_ab[1])
    a = tg.Tensor(a_np, requires_grad=True)
    out = fn(a, tg.Tensor(b_np))
    assert out.dtype == np.bool_
    assert not out.requires_grad and out.op is None
    np.testing.assert_array_equal(out.numpy(), ref(a_np, b_np))
    # against a Python number too
    np.testing.assert_array_equal(fn(a, 0.0).numpy(), ref(a_np, 0.0))


def test_bool_ops():
    a = tg.Tensor([True, False, True])
    b = tg.Tensor([True, True, False])
    np.testing.assert_array_equal((a & b).numpy(), [True, False, False])
    np.testing.assert_array_equal((a | b).numpy(), [True, True, True])
    np.testing.assert_array_equal((~a).numpy(), [False, True, False])
    with pytest.raises(TypeError, match="bool"):
        ~tg.Tensor([1.0])


# ------------------------------------------------------------------------------ extremes
def test_sigmoid_and_softplus_are_finite_for_huge_inputs():
    x = tg.Tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=tg.float64, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, no NaN
        s = x.sigmoid()
        p = x.softplus()
    np.testing.assert_allclose(s.numpy(), [0.0, _sigmoid(-50.0), 0.5, 1.0, 1.0], atol=1e-300)
    np.testing.assert_allclose(p.numpy(), [0.0, np.log1p(np.exp(-50.0)), np.log(2), 50, 1e4])
    (s.sum() + p.sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_relu_of_infinities_and_nan():
    x = tg.Tensor([-np.inf, -1.0, 2.0, np.inf, np.nan], dtype=tg.float64)
    out = x.relu().numpy()
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0, np.inf, np.nan])  # NaN propagates
    assert not np.signbit(out[1])  # +0, not -0 (as -1 * False would give)


def test_integer_arithmetic_keeps_integers_and_division_is_true_division():
    i = tg.Tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64 and (i * i).dtype == np.int64
    assert (i / 2).dtype == np.float32
    np.testing.assert_allclose((i / 2).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_allclose((2 / i).numpy(), [2.0, 1.0, 2 / 3], rtol=1e-6)
    # a float number joins an integer tensor as float32
    assert (i + 0.5).dtype == np.float32
    # a float tensor wins over an integer one
    f = tg.Tensor([0.5, 0.5, 0.5], dtype=tg.float64, requires_grad=True)
    out = f * i
    assert out.dtype == np.float64
    out.sum().backward()
    np.testing.assert_array_equal(f.grad.numpy(), [1.0, 2.0, 3.0])


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu"):
        tg.Tensor([1.0]).gelu(approximate="fast")


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        tg.Tensor([1.0]).clip()
