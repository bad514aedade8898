"""The elementwise math of ``ops/math.py`` and the Tensor methods around it (comparisons,
tests for special values, conversions, ``new_*``) and the ``tg.<name>`` functions: forward
against NumPy formulas and PyTorch, first- and second-order gradients by gradcheck on
hypothesis-drawn float64 inputs, and the errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.backend import erfinv
from tinygrad_cnn.ops.math import Hardtanh
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import arrays, broadcastable_shapes, shapes, tensors

_erf = np.vectorize(math.erf, otypes=[np.float64])
_INTEGERS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
_HALVES = tuple(k + 0.5 for k in range(-4, 4))


@dataclass(frozen=True)
class Unary:
    name: str
    fn: Callable  # Tensor -> Tensor
    ref: Callable  # float64 ndarray -> ndarray
    lo: float = -3.0
    hi: float = 3.0
    kinks: tuple[float, ...] = ()
    torch_fn: Callable | None = None  # (torch module, torch tensor) -> torch tensor

    def __str__(self) -> str:
        return self.name


def _method(name: str, *args, **kwargs):
    return lambda t, x: getattr(x, name)(*args, **kwargs)


UNARY = [
    Unary("log1p", lambda x: x.log1p(), np.log1p, -0.9, 3.0, torch_fn=_method("log1p")),
    Unary("expm1", lambda x: x.expm1(), np.expm1, torch_fn=_method("expm1")),
    Unary("log2", lambda x: x.log2(), np.log2, 0.1, 5.0, torch_fn=_method("log2")),
    Unary("log10", lambda x: x.log10(), np.log10, 0.1, 5.0, torch_fn=_method("log10")),
    Unary("exp2", lambda x: x.exp2(), np.exp2, torch_fn=_method("exp2")),
    Unary(
        "rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), 0.1, 5.0, torch_fn=_method("rsqrt")
    ),
    Unary(
        "reciprocal",
        lambda x: x.reciprocal(),
        lambda x: 1 / x,
        kinks=(0.0,),
        torch_fn=_method("reciprocal"),
    ),
    Unary("tan", lambda x: x.tan(), np.tan, -1.3, 1.3, torch_fn=_method("tan")),
    Unary("asin", lambda x: x.asin(), np.arcsin, -0.9, 0.9, torch_fn=_method("asin")),
    Unary("acos", lambda x: x.acos(), np.arccos, -0.9, 0.9, torch_fn=_method("acos")),
    Unary("atan", lambda x: x.atan(), np.arctan, torch_fn=_method("atan")),
    Unary("arcsin", lambda x: x.arcsin(), np.arcsin, -0.9, 0.9),
    Unary("sinh", lambda x: x.sinh(), np.sinh, torch_fn=_method("sinh")),
    Unary("cosh", lambda x: x.cosh(), np.cosh, torch_fn=_method("cosh")),
    Unary("erf", lambda x: x.erf(), _erf, torch_fn=_method("erf")),
    Unary("erf_tail", lambda x: x.erf(), _erf, 2.5, 6.0, torch_fn=_method("erf")),
    Unary("erfinv", lambda x: x.erfinv(), None, -0.95, 0.95, torch_fn=_method("erfinv")),
    Unary("floor", lambda x: x.floor(), np.floor, kinks=_INTEGERS, torch_fn=_method("floor")),
    Unary("ceil", lambda x: x.ceil(), np.ceil, kinks=_INTEGERS, torch_fn=_method("ceil")),
    Unary("trunc", lambda x: x.trunc(), np.trunc, kinks=_INTEGERS, torch_fn=_method("trunc")),
    Unary("fix", lambda x: x.fix(), np.trunc, kinks=_INTEGERS),
    Unary("round", lambda x: x.round(), np.round, kinks=_HALVES, torch_fn=_method("round")),
    Unary("frac", lambda x: x.frac(), lambda x: x - np.trunc(x), kinks=_INTEGERS),
    Unary("sign", lambda x: x.sign(), np.sign, kinks=(0.0,), torch_fn=_method("sign")),
    Unary("nan_to_num", lambda x: x.nan_to_num(), lambda x: x, torch_fn=_method("nan_to_num")),
    Unary("neg", lambda x: x.neg(), np.negative, torch_fn=_method("neg")),
    Unary(
        "threshold",
        lambda x: tg.threshold(x, 0.5, -2.0),
        lambda x: np.where(x > 0.5, x, -2.0),
        kinks=(0.5,),
        torch_fn=lambda t, x: t.threshold(x, 0.5, -2.0),
    ),
    Unary(
        "hardtanh",
        lambda x: Hardtanh.apply(x, min_val=-1.0, max_val=0.5),
        lambda x: np.clip(x, -1.0, 0.5),
        kinks=(-1.0, 0.5),
        torch_fn=lambda t, x: t.nn.functional.hardtanh(x, -1.0, 0.5),
    ),
    Unary(
        "lerp_scalar_small",
        lambda x: x.lerp(2.5, 0.3),
        lambda x: x + 0.3 * (2.5 - x),
    ),
    Unary(
        "lerp_scalar_large",
        lambda x: x.lerp(2.5, 0.8),
        lambda x: 2.5 - (2.5 - x) * 0.2,
    ),
    Unary("add_alpha", lambda x: x.add(x * x, alpha=-2), lambda x: x - 2 * x * x),
    Unary("sub_alpha", lambda x: x.sub(x * x, alpha=3), lambda x: x - 3 * x * x),
    Unary("pow_method", lambda x: x.pow(3), lambda x: x**3),
    Unary(
        "div_floor",
        lambda x: x.div(0.5, rounding_mode="floor"),
        lambda x: np.floor(x / 0.5),
        kinks=_HALVES + _INTEGERS,
    ),
]


def _unary_input(op: Unary, shape_strategy=None):
    return tensors(
        shape_strategy if shape_strategy is not None else shapes(max_dims=3, max_side=3),
        min_value=op.lo,
        max_value=op.hi,
        kinks=op.kinks,
        margin=0.05,
    )


@pytest.mark.parametrize("op", [op for op in UNARY if op.ref is not None], ids=str)
@given(data=st.data())
def test_unary_forward(op: Unary, data):
    x = data.draw(_unary_input(op, shapes(max_dims=4, max_side=5)))
    out = op.fn(x)
    np.testing.assert_allclose(out.numpy(), op.ref(x.numpy()), rtol=1e-12, atol=1e-12)
    assert out.shape == x.shape and out.dtype == np.float64


@pytest.mark.parametrize("op", UNARY, ids=str)
def test_unary_float32_stays_float32(op: Unary):
    x = tg.Tensor(np.linspace(max(op.lo, -2.0), min(op.hi, 2.0), 7) + 0.013, dtype=tg.float32)
    assert op.fn(x).dtype == np.float32, op.name


@pytest.mark.parametrize("op", UNARY, ids=str)
@given(data=st.data())
def test_unary_gradients(op: Unary, data):
    x = data.draw(_unary_input(op))
    assert gradcheck(op.fn, [x])
    assert gradgradcheck(op.fn, [x])


@pytest.mark.parametrize("op", [op for op in UNARY if op.torch_fn is not None], ids=str)
def test_unary_matches_pytorch(op: Unary, torch):
    rng = np.random.default_rng(0)
    x_np = rng.uniform(op.lo, op.hi, (4, 5))
    if op.kinks:  # off the jumps (their gradient is 0 on both sides anyway)
        x_np = np.where(np.abs(x_np[..., None] - np.array(op.kinks)).min(-1) < 0.05, 0.31, x_np)
    x = tg.Tensor(x_np, requires_grad=True)
    tx = torch.tensor(x_np, requires_grad=True)
    out, t_out = op.fn(x), op.torch_fn(torch, tx)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-13, atol=1e-14)
    v = rng.standard_normal(x_np.shape)
    out.backward(tg.Tensor(v))
    t_out.backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-13)


def test_steps_have_zero_gradient_even_for_nan_upstream():
    x = tg.Tensor([-1.5, 0.0, 0.5, 2.5], dtype=tg.float64, requires_grad=True)
    for fn in (lambda x: x.floor(), lambda x: x.ceil(), lambda x: x.round(), lambda x: x.trunc()):
        x.grad = None
        fn(x).backward(tg.Tensor(np.full(4, np.nan)))
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))
    x.grad = None
    x.sign().backward(tg.Tensor(np.full(4, np.nan)))
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


# ------------------------------------------------------------------------------ special values
def test_erf_erfinv_special_values(torch):
    x = np.array([-1.0, 1.0, 0.0, -0.0, 1.5, -2.0, np.nan, 1 - 2**-53, -1 + 2**-53, 1e-300])
    out = tg.Tensor(x).erfinv().numpy()
    expected = torch.erfinv(torch.tensor(x)).numpy()
    np.testing.assert_allclose(out, expected, rtol=2.3e-16, atol=0)  # 1 ulp; inf/NaN equal
    assert np.signbit(out[3])  # erfinv(−0) = −0
    big = np.array([-np.inf, -30.0, 0.0, 30.0, np.inf, np.nan])
    np.testing.assert_array_equal(tg.Tensor(big).erf().numpy(), torch.erf(torch.tensor(big)))


@given(arrays((40,), min_value=-1.0, max_value=1.0))
def test_erfinv_inverts_erf_to_round_off(x):
    y = erfinv(x)
    # backward error, with the C library's erf: erf(y) is x to about one ulp of 1
    np.testing.assert_allclose(_erf(y), x, rtol=0, atol=1.5 * np.spacing(1.0))


def test_erfinv_tail_keeps_relative_precision(torch):
    # x = ±(1 − 2^−k): 1 − |x| is exact, so erfinv(x) is well defined to full precision
    k = np.arange(1, 54)
    x = np.concatenate([1 - 2.0**-k, -(1 - 2.0**-k), np.linspace(-0.999, 0.999, 2001)])
    expected = torch.erfinv(torch.tensor(x)).numpy()
    np.testing.assert_allclose(erfinv(x), expected, rtol=9e-16, atol=0)  # 4 ulps


def test_sign_and_abs_at_zero_and_nan_follow_pytorch(torch):
    x = np.array([-2.0, -0.0, 0.0, np.nan, np.inf, -np.inf, 3.0])
    np.testing.assert_array_equal(
        tg.Tensor(x).sign().numpy(), torch.sign(torch.tensor(x)).numpy()
    )  # sign(NaN) = 0, unlike NumPy's NaN


def test_round_with_decimals_matches_pytorch(torch):
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-50, 50, 200), [1.2345, 2.5, -0.125, 0.5, 1.5, 25.0, 35.0]])
    for decimals in (-1, 0, 1, 2, 3):
        np.testing.assert_array_equal(
            tg.Tensor(x).round(decimals=decimals).numpy(),
            torch.round(torch.tensor(x), decimals=decimals).numpy(),
        )
    assert tg.round(tg.Tensor([2.5, 3.5]), decimals=0).tolist() == [2.0, 4.0]  # half to even


def test_nan_to_num_values_and_gradient(torch):
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    for kwargs in ({}, {"nan": 2.0, "posinf": 7.0, "neginf": -7.0}):
        np.testing.assert_array_equal(
            tg.Tensor(x).nan_to_num(**kwargs).numpy(),
            torch.tensor(x).nan_to_num(**kwargs).numpy(),
        )
    f32 = tg.Tensor(x.astype(np.float32)).nan_to_num().numpy()
    assert f32[1] == np.finfo(np.float32).max and f32[2] == np.finfo(np.float32).min
    t = tg.Tensor(x, requires_grad=True)
    t.nan_to_num().backward(tg.Tensor([1.0, 1.0, 1.0, 2.0]))
    np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 0.0, 2.0])


def test_integer_inputs_become_float32_in_float_functions(torch):
    i = tg.Tensor([1, 2, 4])
    for name in ("log1p", "expm1", "log2", "log10", "exp2", "rsqrt", "reciprocal", "tan", "erf"):
        out = getattr(i, name)()
        ref = getattr(torch.tensor([1, 2, 4]), name)()
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    # rounding and sign keep integers (and bools), as PyTorch
    for name in ("floor", "ceil", "trunc", "round"):
        assert getattr(i, name)().dtype == np.int64
        np.testing.assert_array_equal(getattr(i, name)().numpy(), [1, 2, 4])
    np.testing.assert_array_equal(tg.Tensor([-3, 0, 5]).sign().numpy(), [-1, 0, 1])
    assert tg.Tensor([True, False]).sign().dtype == np.bool_


# ---------------------------------------------------------------- two and three inputs
@st.composite
def _modulo_inputs(draw):
    """a = b·(k + f) with f in [0.1, 0.9]: a/b stays 0.1 away from every integer, where the
    rounded quotient jumps."""
    shape = draw(shapes(max_dims=2, max_side=3))
    size = math.prod(shape)
    mag = draw(arrays(shape, min_value=0.5, max_value=2.0))
    signs = np.asarray(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=size, max_size=size)))
    b = mag * signs.reshape(shape)
    k = np.asarray(draw(st.lists(st.integers(-3, 3), min_size=size, max_size=size)))
    f = draw(arrays(shape, min_value=0.1, max_value=0.9))
    a = b * (k.reshape(shape) + f)
    return tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)


@pytest.mark.parametrize(
    "name, ref", [("fmod", np.fmod), ("remainder", np.remainder)], ids=["fmod", "remainder"]
)
@given(data=st.data())
def test_modulo_forward_and_gradients(name, ref, data):
    a, b = data.draw(_modulo_inputs())
    fn = lambda a, b: getattr(a, name)(b)  # noqa: E731
    np.testing.assert_allclose(fn(a, b).numpy(), ref(a.numpy(), b.numpy()), rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, [a, b])
    assert gradgradcheck(fn, [a, b])


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_modulo_matches_pytorch_with_broadcasting(name, torch):
    a_np = np.array([[5.0, -5.0, 5.5, -7.25], [0.3, -0.3, 9.0, -9.0]])
    b_np = np.array([3.0, 3.0, -2.0, 2.5])
    a, b = tg.Tensor(a_np, requires_grad=True), tg.Tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    out, t_out = getattr(a, name)(b), getattr(torch, name)(ta, tb)
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())
    # integers stay integers; a zero divisor is an error, as in PyTorch
    np.testing.assert_array_equal(
        getattr(tg.Tensor([-7, 7]), name)(3).numpy(), getattr(torch.tensor([-7, 7]), name)(3)
    )
    with pytest.raises(RuntimeError, match=f"{name}: integer division by zero"):
        getattr(tg.Tensor([1, 2]), name)(tg.Tensor([1, 0]))


@st.composite
def _pairs(draw, lo=-3.0, hi=3.0, kinks_a=(), kinks_b=()):
    shape_a, shape_b = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    a = draw(tensors(shape_a, min_value=lo, max_value=hi, kinks=kinks_a, margin=0.3))
    b = draw(tensors(shape_b, min_value=lo, max_value=hi, kinks=kinks_b, margin=0.3))
    return a, b


@given(_pairs(kinks_a=(0.0,), kinks_b=(0.0,)))  # off the branch cut y = 0, x < 0
def test_atan2_forward_and_gradients(ab):
    a, b = ab
    np.testing.assert_allclose(a.atan2(b).numpy(), np.arctan2(a.numpy(), b.numpy()), rtol=1e-12)
    assert gradcheck(lambda a, b: a.atan2(b), [a, b])
    assert gradgradcheck(lambda a, b: a.atan2(b), [a, b])


@st.composite
def _triples(draw, lo3=-3.0, hi3=3.0, kinks3=()):
    shapes3 = draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    a = draw(tensors(shapes3[0]))
    b = draw(tensors(shapes3[1]))
    c = draw(tensors(shapes3[2], min_value=lo3, max_value=hi3, kinks=kinks3, margin=0.3))
    return a, b, c


TERNARY = {
    "lerp": (lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a), (-0.5, 1.5), ()),
    "addcmul": (
        lambda a, b, c: a.addcmul(b, c, value=0.7),
        lambda a, b, c: a + 0.7 * b * c,
        (-3.0, 3.0),
        (),
    ),
    "addcdiv": (
        lambda a, b, c: a.addcdiv(b, c, value=-2),
        lambda a, b, c: a - 2 * b / c,
        (-3.0, 3.0),
        (0.0,),
    ),
}


@pytest.mark.parametrize("name", TERNARY)
@given(data=st.data())
def test_ternary_forward_and_gradients(name, data):
    fn, ref, (lo, hi), kinks = TERNARY[name]
    a, b, c = data.draw(_triples(lo, hi, kinks))
    np.testing.assert_allclose(
        fn(a, b, c).numpy(), ref(a.numpy(), b.numpy(), c.numpy()), rtol=1e-12, atol=1e-12
    )
    assert gradcheck(fn, [a, b, c])
    assert gradgradcheck(fn, [a, b, c])


@pytest.mark.parametrize("name", TERNARY)
def test_ternary_matches_pytorch(name, torch):
    fn = TERNARY[name][0]
    rng = np.random.default_rng(2)
    arrays_ = [rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (3,)), rng.uniform(0.2, 1.5, (2, 1))]
    ts = [tg.Tensor(x, requires_grad=True) for x in arrays_]
    tts = [torch.tensor(x, requires_grad=True) for x in arrays_]
    out = fn(*ts)
    t_out = {
        "lerp": lambda a, b, w: torch.lerp(a, b, w),
        "addcmul": lambda a, b, c: torch.addcmul(a, b, c, value=0.7),
        "addcdiv": lambda a, b, c: torch.addcdiv(a, b, c, value=-2),
    }[name](*tts)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-14, atol=1e-15)
    out.sum().backward()
    t_out.sum().backward()
    for t, tt in zip(ts, tts):
        np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-13, atol=1e-14)


def test_lerp_at_the_ends_is_exact():
    a, b = tg.Tensor([1e8, -3.0]), tg.Tensor([1.0, 7.0])
    np.testing.assert_array_equal(a.lerp(b, 1.0).numpy(), b.numpy())
    np.testing.assert_array_equal(a.lerp(b, 0.0).numpy(), a.numpy())
    np.testing.assert_array_equal(a.lerp(b, tg.Tensor([1.0, 0.0])).numpy(), [1.0, -3.0])


def test_div_rounding_modes_match_pytorch(torch):
    a_np, b_np = np.array([7.0, -7.0, 7.5, -7.5]), np.array([2.0, 2.0, -2.0, 2.0])
    for mode in (None, "trunc", "floor"):
        np.testing.assert_array_equal(
            tg.Tensor(a_np).div(tg.Tensor(b_np), rounding_mode=mode).numpy(),
            torch.tensor(a_np).div(torch.tensor(b_np), rounding_mode=mode).numpy(),
        )
        i = tg.Tensor([7, -7]).div(2, rounding_mode=mode)
        t_i = torch.tensor([7, -7]).div(2, rounding_mode=mode)
        np.testing.assert_array_equal(i.numpy(), t_i.numpy())
        assert str(i.dtype) == str(t_i.dtype).replace("torch.", "")
    with pytest.raises(RuntimeError, match="div: rounding_mode"):
        tg.Tensor([1.0]).div(2, rounding_mode="round")
    with pytest.raises(RuntimeError, match="div: integer division by zero"):
        tg.Tensor([1]).div(0, rounding_mode="floor")


# ---------------------------------------------------------------- comparisons and tests
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]
ALIASES = {"not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt"}
ALIASES["greater_equal"] = "ge"


@pytest.mark.parametrize("name", COMPARE + list(ALIASES))
@given(shapes_ab=broadcastable_shapes(2, max_side=4), data=st.data())
def test_comparison_methods_and_functions(name, shapes_ab, data):
    ints = st.integers(-2, 2).map(float)
    a_np, b_np = (
        np.asarray(data.draw(st.lists(ints, min_size=math.prod(s), max_size=math.prod(s)))).reshape(
            s
        )
        for s in shapes_ab
    )
    base = ALIASES.get(name, name)
    ref = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal}
    ref |= {"gt": np.greater, "ge": np.greater_equal}
    a = tg.Tensor(a_np, requires_grad=True)
    out = getattr(a, name)(tg.Tensor(b_np))
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), ref[base](a_np, b_np))
    np.testing.assert_array_equal(getattr(tg, name)(a, 0.0).numpy(), ref[base](a_np, 0.0))


def test_tests_for_special_values(torch):
    x_np = np.array([1.0, np.nan, np.inf, -np.inf, -0.0])
    x, tx = tg.Tensor(x_np), torch.tensor(x_np)
    for name in ("isnan", "isinf", "isposinf", "isneginf", "isfinite"):
        np.testing.assert_array_equal(getattr(tg, name)(x).numpy(), getattr(torch, name)(tx))
        np.testing.assert_array_equal(getattr(x, name)().numpy(), getattr(tx, name)())


@given(shape=shapes(min_dims=1, max_dims=3), data=st.data())
def test_all_any_count_nonzero_with_dims(shape, data):
    x_np = data.draw(arrays(shape, min_value=-1.0, max_value=1.0)).round()  # many zeros
    x = tg.Tensor(x_np)
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keep = data.draw(st.booleans())
    for name, ref in (("all", np.all), ("any", np.any)):
        out = getattr(x, name)(dim, keep)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), ref(x_np, axis=dim, keepdims=keep))
        np.testing.assert_array_equal(getattr(tg, name)(x, dim=dim, keepdim=keep).numpy(), out)
    count = x.count_nonzero(dim)
    assert count.dtype == np.int64
    np.testing.assert_array_equal(count.numpy(), np.count_nonzero(x_np, axis=dim))
    np.testing.assert_array_equal(tg.count_nonzero(x, dim).numpy(), count.numpy())


def test_all_any_count_nonzero_match_pytorch_and_check_dims(torch):
    x_np = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
    x, tx = tg.Tensor(x_np), torch.tensor(x_np)
    assert x.count_nonzero().item() == tx.count_nonzero().item() == 3
    np.testing.assert_array_equal(x.count_nonzero((0, 1)).numpy(), tx.count_nonzero((0, 1)))
    np.testing.assert_array_equal(x.all(1).numpy(), tx.all(1))
    np.testing.assert_array_equal(x.any(0, keepdim=True).numpy(), tx.any(0, keepdim=True))
    for name in ("all", "any", "count_nonzero"):
        with pytest.raises(IndexError, match=name):
            getattr(x, name)(2)


def test_isclose_allclose_equal_match_pytorch(torch):
    a_np = np.array([1.0, 1.0 + 1e-6, np.nan, np.inf, 0.0, 1e-9])
    b_np = np.array([1.0, 1.0, np.nan, np.inf, 1e-8, 0.0])
    a, b, ta, tb = tg.Tensor(a_np), tg.Tensor(b_np), torch.tensor(a_np), torch.tensor(b_np)
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 1e-7}):
        np.testing.assert_array_equal(a.isclose(b, **kwargs).numpy(), ta.isclose(tb, **kwargs))
        np.testing.assert_array_equal(tg.isclose(a, b, **kwargs).numpy(), ta.isclose(tb, **kwargs))
        assert a.allclose(b, **kwargs) is torch.allclose(ta, tb, **kwargs)
    assert tg.allclose(a[:2], b[:2]) and not tg.allclose(a[:2], b[:2], rtol=0, atol=0)
    assert tg.equal(a[:2], a[:2]) is True
    assert tg.Tensor([1, 2]).equal(tg.Tensor([1, 2])) and not tg.Tensor([1, 2]).equal(
        tg.Tensor([1])
    )
    assert not tg.equal(a, a)  # NaN ≠ NaN, as in PyTorch
    assert torch.equal(ta, ta) is False


# ------------------------------------------------------------------------------ conversions
def test_dtype_conversions_and_type_names(torch):
    x = tg.Tensor([1.7, -2.2], requires_grad=True)
    cases = {
        "float": np.float32,
        "double": np.float64,
        "half": np.float16,
        "long": np.int64,
        "int": np.int32,
        "bool": np.bool_,
    }
    tx = torch.tensor([1.7, -2.2])
    for name, dtype in cases.items():
        out = getattr(x, name)()
        assert out.dtype == dtype, name
        np.testing.assert_array_equal(out.numpy(), getattr(tx, name)().numpy())
        assert out.element_size() == getattr(tx, name)().element_size()
        assert out.type() == getattr(tx, name)().type().replace("torch.", "tinygrad_cnn.")
        assert out.requires_grad == (out.dtype.kind == "f")
    assert x.type(tg.float64).dtype == np.float64
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.type("tinygrad_cnn.LongTensor").dtype == np.int64
    assert x.type_as(tg.Tensor([1], dtype=tg.int32)).dtype == np.int32
    with pytest.raises(ValueError, match="type: unknown dtype"):
        x.type("torch.FancyTensor")


def test_half_precision_works_on_the_cpu():
    x = tg.Tensor([0.5, 1.5, 2.0], requires_grad=True)
    h = x.half()
    y = (h * h).sum()
    assert y.dtype == np.float16 and y.item() == 6.5
    y.backward()
    assert x.grad.dtype == np.float32  # the cast's backward returns to float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0, 4.0])


@given(data=st.data())
def test_conversion_gradients(data):
    x = data.draw(tensors(shapes(max_dims=2, max_side=3)))
    for fn in (
        lambda x: x.double() * x,
        lambda x: x.type("torch.DoubleTensor"),
        lambda x: x.type_as(x),
    ):
        assert gradcheck(fn, [x])
        assert gradgradcheck(fn, [x])


def test_shape_helpers(torch):
    x = tg.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.dim() == 2 and x.numel() == x.nelement() == 6
    other = tg.zeros(3, 2)
    assert x.view_as(other).shape == (3, 2) and x.reshape_as(other).shape == (3, 2)
    assert gradgradcheck(lambda x: x.view_as(other) * 2, [x.double().detach().requires_grad_()])


def test_contiguous_copies_only_views_and_passes_gradients():
    x = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    assert x.is_contiguous() and x.contiguous() is x
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c._data.flags.c_contiguous
    np.testing.assert_array_equal(c.numpy(), x.numpy().T)
    xd = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    assert gradgradcheck(lambda x: x.T.contiguous() * x.T, [xd])


def test_new_factories(torch):
    x = tg.Tensor([1.0, 2.0], dtype=tg.float64)
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64)
    for name, args in (("new_zeros", (2, 3)), ("new_ones", ((2, 3),)), ("new_empty", (4,))):
        out, ref = getattr(x, name)(*args), getattr(tx, name)(*args)
        assert out.shape == tuple(ref.shape) and out.dtype == np.float64
        if name != "new_empty":
            np.testing.assert_array_equal(out.numpy(), ref.numpy())
    full = x.new_full((2,), 7)
    assert full.dtype == np.float64 and full.tolist() == [7.0, 7.0]
    new = x.new_tensor([1, 2])
    assert new.dtype == np.float64 and tx.new_tensor([1, 2]).dtype == torch.float64
    assert x.new_zeros(2, dtype=tg.int64).dtype == np.int64
    assert x.new_ones(2, requires_grad=True).requires_grad
    source = tg.Tensor([3.0, 4.0])
    copied = x.new_tensor(source)
    copied._data[0] = 0.0
    assert source.tolist() == [3.0, 4.0]  # a copy
    with pytest.raises(RuntimeError, match="new_zeros: negative dimension"):
        x.new_zeros(-1)


# ------------------------------------------------------------------------------ errors
def test_errors():
    with pytest.raises(TypeError, match="exp: expected a Tensor as input, got list"):
        tg.exp([1.0])
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        tg.Tensor([1.0]).round(decimals=1.5)
    with pytest.raises(NotImplementedError, match="frac: needs a floating-point tensor"):
        tg.Tensor([1]).frac()
    with pytest.raises(NotImplementedError, match="round: decimals"):
        tg.Tensor([1]).round(decimals=1)


# ------------------------------------------------------------------------------ tg.<name>
def _sample(name: str):
    """Arguments for ``tg.<name>`` and ``torch.<name>`` (float64, inside each domain)."""
    x = np.array([[0.25, -0.5, 0.75], [0.6, -0.9, 0.1]])
    y = np.array([0.5, 1.5, -2.0])
    unit = {"acos", "arccos", "asin", "arcsin", "erfinv"}
    positive = {"log", "log10", "log1p", "log2", "sqrt", "rsqrt"}
    if name in positive:
        return (np.abs(x) + 0.1,), {}
    if name in unit:
        return (x,), {}
    two = {
        "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
        "atan2", "arctan2", "fmod", "remainder", "maximum", "minimum", "eq", "ne", "lt", "le",
        "gt", "ge", "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose",
        "allclose", "equal",
    }  # fmt: skip
    if name == "pow":
        return (np.abs(x) + 0.1, y), {}
    if name in two:
        return (x, y), {}
    if name in ("addcmul", "addcdiv", "lerp"):
        return (x, y, np.abs(x) + 0.2), {}
    if name in ("clamp", "clip"):
        return (x,), {"min": -0.3, "max": 0.5}
    if name == "where":
        return (x > 0, x, y), {}
    if name == "round":
        return (x * 7,), {"decimals": 1}
    if name == "threshold":
        return (x,), {"threshold": 0.2, "value": -1.0}
    return (x,), {}


_NOT_TENSORS = {"allclose", "equal"}


@pytest.mark.parametrize("name", tg.pointwise.__all__)
def test_every_pointwise_function_matches_pytorch(name, torch):
    args, kwargs = _sample(name)
    ours = getattr(tg, name)(*[tg.Tensor(a) for a in args], **kwargs)
    theirs = getattr(torch, name)(*[torch.tensor(a) for a in args], **kwargs)
    if name in _NOT_TENSORS:
        assert ours is theirs
        return
    assert isinstance(ours, tg.Tensor)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13, atol=1e-15)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_pointwise_functions_are_exported_and_accept_numbers():
    for name in tg.pointwise.__all__:
        assert getattr(tg, name) is getattr(tg.pointwise, name), name
        assert name in tg.__all__
    x = tg.Tensor([1.0, 2.0])
    np.testing.assert_array_equal(tg.pow(2, x).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(tg.add(1, x, alpha=2).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(tg.sub(1, x).numpy(), [0.0, -1.0])
    np.testing.assert_array_equal(tg.mul(3, x).numpy(), [3.0, 6.0])
    np.testing.assert_array_equal(tg.div(1, x).numpy(), [1.0, 0.5])
    np.testing.assert_array_equal(tg.remainder(5.0, x).numpy(), [0.0, 1.0])
