"""Type promotion as PyTorch: ``tg.result_type``/``tg.promote_types``, binary ops, comparisons,
``where``, float functions of integer inputs, factories' inferred dtypes and the default dtype.

The grid (dtype, 0-d or not, Python scalar kind) is drawn by hypothesis and every result dtype
is compared with PyTorch's (skipped where PyTorch is not installed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = {"bool": True, "int": 3, "float": 2.5}


def _operand(kind: str, dtype: str, zero_dim: bool):
    """A tinygrad_cnn operand and a recipe for the PyTorch one."""
    if kind in SCALARS:
        return SCALARS[kind], lambda torch: SCALARS[kind]
    shape = () if zero_dim else (2,)
    value = np.ones(shape, dtype=dtype)
    return tg.Tensor(value), lambda torch: torch.from_numpy(value.copy())


operands = st.one_of(
    st.tuples(st.sampled_from(DTYPES), st.booleans()).map(lambda p: ("tensor", *p)),
    st.sampled_from(sorted(SCALARS)).map(lambda k: (k, "float32", False)),
)


def _torch_dtype_name(d) -> str:
    return str(d).replace("torch.", "")


ALL_OPERANDS = [("tensor", d, z) for d in DTYPES for z in (False, True)] + [
    (k, "float32", False) for k in sorted(SCALARS)
]


def test_result_type_matches_pytorch_for_every_pair_of_the_grid(torch):
    for a in ALL_OPERANDS:
        for b in ALL_OPERANDS:
            if a[0] in SCALARS and b[0] in SCALARS:
                continue
            x, tx = _operand(*a)
            y, ty = _operand(*b)
            want = _torch_dtype_name(torch.result_type(tx(torch), ty(torch)))
            assert str(tg.result_type(x, y)) == want, (a, b)


@given(a=operands, b=operands)
def test_result_type_matches_pytorch_over_the_grid(a, b):
    torch = pytest.importorskip("torch")
    if a[0] in SCALARS and b[0] in SCALARS:
        a = ("tensor", a[1], True)  # torch.result_type needs a tensor among the two
    x, tx = _operand(*a)
    y, ty = _operand(*b)
    want = _torch_dtype_name(torch.result_type(tx(torch), ty(torch)))
    assert str(tg.result_type(x, y)) == want


@given(a=st.tuples(st.sampled_from(DTYPES), st.booleans()), b=operands)
def test_binary_ops_and_comparisons_take_the_promoted_dtype(a, b):
    torch = pytest.importorskip("torch")
    x, tx = _operand("tensor", *a)
    y, ty = _operand(*b)
    tx, ty = tx(torch), ty(torch)
    for op in ("__add__", "__mul__", "__radd__", "__rsub__", "__sub__"):
        if "sub" in op and (
            a[0] == "bool" or b[0] == "bool" or (b[0] == "tensor" and b[1] == "bool")
        ):
            with pytest.raises(RuntimeError, match="sub: subtraction"):
                getattr(x, op)(y)  # PyTorch refuses bool subtraction too
            continue
        got = getattr(x, op)(y)
        want = getattr(tx, op)(ty)
        assert str(got.dtype) == _torch_dtype_name(want.dtype), op
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    got, want = x < y, tx < ty
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    got, want = x / y, tx / ty
    assert str(got.dtype) == _torch_dtype_name(want.dtype)


@given(a=st.tuples(st.sampled_from(DTYPES), st.booleans()), b=operands)
def test_where_takes_the_promoted_dtype(a, b):
    torch = pytest.importorskip("torch")
    x, tx = _operand("tensor", *a)
    y, ty = _operand(*b)
    cond = np.array([True, False])
    got = tg.where(tg.Tensor(cond), x, y)
    want = torch.where(torch.from_numpy(cond), tx(torch), ty(torch))
    assert str(got.dtype) == _torch_dtype_name(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_the_cases_of_the_issue():
    f32 = tg.ones(3)
    assert (f32 + np.array(2.0)).dtype == tg.float32  # a 0-d float64 array does not widen
    assert (f32 + tg.Tensor(np.array(2.0))).dtype == tg.float32
    assert (tg.Tensor(np.array([1, 2], dtype=np.int32)) + 3).dtype == tg.int32
    assert (tg.Tensor([1, 2]) + 2.5).dtype == tg.float32  # a higher category promotes
    assert (tg.Tensor([True, False]) + 1).dtype == tg.int64
    assert (tg.Tensor([True, False]) + 1).tolist() == [2, 1]
    assert tg.Tensor([1, 4]).sigmoid().dtype == tg.float32
    np.testing.assert_allclose(tg.Tensor([1, 4]).sigmoid().numpy(), 1 / (1 + np.exp([-1, -4])))
    assert tg.full((2,), 3).dtype == tg.int64
    assert tg.full((2,), 3.0).dtype == tg.float32
    assert tg.full((2,), True).dtype == tg.bool
    assert tg.arange(5).dtype == tg.int64
    assert tg.arange(0.0, 1.0, 0.1).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True]).dtype == tg.bool
    assert tg.tensor([1.5]).dtype == tg.float32


def test_promote_types():
    assert tg.promote_types(tg.int64, tg.float16) == tg.float16  # NumPy would say float64
    assert tg.promote_types(tg.uint8, tg.int8) == tg.int16
    assert tg.promote_types(tg.bool, tg.uint8) == tg.uint8
    assert tg.promote_types(tg.float32, tg.float64) == tg.float64
    assert tg.promote_types(tg.int32, tg.int32) == tg.int32


def test_promote_types_matches_pytorch_for_every_pair(torch):
    for a in DTYPES:
        for b in DTYPES:
            want = torch.promote_types(getattr(torch, a), getattr(torch, b))
            assert str(tg.promote_types(np.dtype(a), np.dtype(b))) == _torch_dtype_name(want)


FLOAT_FUNCTIONS = {
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "gelu": lambda x: F.gelu(x),
    "softplus": lambda x: F.softplus(x),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.5),
    "mean": lambda x: x.mean(),
    "var": lambda x: x.var(),
    "softmax": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(0),
    "logsumexp": lambda x: x.logsumexp(0),
    "div": lambda x: x / 2,
    "rdiv": lambda x: 2 / x,
    "pow": lambda x: x**0.5,
}
TORCH_FLOAT = {
    "gelu": lambda t, x: t.nn.functional.gelu(x.double()),
    "softplus": lambda t, x: t.nn.functional.softplus(x.double()),
    "leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x.double(), 0.5),
    "mean": lambda t, x: x.double().mean(),
    "var": lambda t, x: x.double().var(),
    "softmax": lambda t, x: x.double().softmax(0),
    "log_softmax": lambda t, x: x.double().log_softmax(0),
}


@pytest.mark.filterwarnings("ignore:divide by zero")  # log(0) and 2/0 for the bool False
@pytest.mark.parametrize("name", sorted(FLOAT_FUNCTIONS))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_float_functions_of_integer_inputs_give_the_default_float(torch, name, dtype):
    values = np.array([1, 4, 2, 1]) if dtype != "bool" else np.array([1, 0, 1, 1])
    values = values.astype(dtype)
    out = FLOAT_FUNCTIONS[name](tg.Tensor(values))
    assert out.dtype == tg.float32, name
    t = torch.from_numpy(values.copy())
    if name in TORCH_FLOAT:  # PyTorch refuses these on integers; compare the float values
        want = TORCH_FLOAT[name](torch, t)
    else:
        want = FLOAT_FUNCTIONS[name](t)
        assert _torch_dtype_name(want.dtype) == "float32"
    np.testing.assert_allclose(out.numpy(), want.double().numpy(), rtol=1e-6, atol=1e-6)


def test_integer_pow_stays_integer_and_refuses_negative_powers():
    x = tg.Tensor([1, 2, 3])
    assert (x**2).dtype == tg.int64 and (x**2).tolist() == [1, 4, 9]
    assert (x**0.5).dtype == tg.float32
    assert (tg.Tensor([True, False]) ** 2).dtype == tg.int64
    with pytest.raises(RuntimeError, match="pow: integers to negative integer powers"):
        x**-1


def test_set_default_dtype_changes_factories_python_floats_and_int_to_float():
    assert tg.get_default_dtype() == tg.float32
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.get_default_dtype() == tg.float64
        assert tg.zeros(2).dtype == tg.float64
        assert tg.randn(2).dtype == tg.float64
        assert tg.full((2,), 1.5).dtype == tg.float64
        assert tg.arange(0.0, 1.0, 0.5).dtype == tg.float64
        assert tg.tensor([1.5]).dtype == tg.float64
        assert tg.Tensor(2.5).dtype == tg.float64
        assert (tg.Tensor([1, 2]) + 0.5).dtype == tg.float64
        assert tg.Tensor([1, 2]).sigmoid().dtype == tg.float64
        assert tg.Tensor([1, 2]).mean().dtype == tg.float64
        assert (tg.ones(2, dtype=tg.float32) + 0.5).dtype == tg.float32  # a scalar never widens
        assert tg.nn.Linear(2, 3).weight.dtype == tg.float64
        assert tg.nn.BatchNorm1d(3).running_var.dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)
    assert tg.zeros(2).dtype == tg.float32
    assert tg.nn.Linear(2, 3).weight.dtype == tg.float32


def test_set_default_dtype_accepts_only_float32_and_float64():
    for bad in (tg.int64, tg.float16, tg.bool):
        with pytest.raises(TypeError, match="set_default_dtype: only float32 and float64"):
            tg.set_default_dtype(bad)
    with pytest.raises(TypeError, match="set_default_dtype: expected a dtype"):
        tg.set_default_dtype("not a dtype")
    assert tg.get_default_dtype() == tg.float32


def test_mixed_float_gradients_keep_each_inputs_dtype():
    a = tg.ones(3, dtype=tg.float32, requires_grad=True)
    b = tg.Tensor(np.array(2.0), requires_grad=True)  # 0-d float64
    out = a * b
    assert out.dtype == tg.float32
    out.sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64
    np.testing.assert_allclose(a.grad.numpy(), [2, 2, 2])
    np.testing.assert_allclose(b.grad.numpy(), 3.0)


def test_cat_and_stack_promote_their_inputs_as_pytorch(torch):
    for a in DTYPES:
        for b in DTYPES:
            x, y = np.ones(2, dtype=a), np.zeros(2, dtype=b)
            want = torch.cat([torch.from_numpy(x), torch.from_numpy(y)])
            got = tg.cat([tg.Tensor(x), tg.Tensor(y)])
            assert str(got.dtype) == _torch_dtype_name(want.dtype), (a, b)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            assert tg.stack([tg.Tensor(x), tg.Tensor(y)]).dtype == got.dtype


def test_cat_of_mixed_float_dtypes_sends_each_gradient_in_its_inputs_dtype():
    a = tg.ones(2, dtype=tg.float32, requires_grad=True)
    b = tg.ones(3, dtype=tg.float64, requires_grad=True)
    out = tg.cat([a, b])
    assert out.dtype == tg.float64
    (out * tg.arange(5.0, dtype=tg.float64)).sum().backward()
    assert a.grad.dtype == tg.float32 and b.grad.dtype == tg.float64
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 3, 4])


def test_clamp_promotes_with_its_bounds_as_pytorch(torch):
    cases = [
        ("int64", dict(min=1.5)),
        ("int32", dict(min=0, max=1)),
        ("float32", dict(min=np.float64(0.5))),
        ("float16", dict(max=2.5)),
        ("uint8", dict(min=1)),
    ]
    for dtype, bounds in cases:
        values = np.array([0, 1, 2, 3], dtype=dtype)
        got = tg.Tensor(values).clamp(**bounds)
        want = torch.from_numpy(values.copy()).clamp(
            **{k: float(v) if isinstance(v, np.floating) else v for k, v in bounds.items()}
        )
        assert str(got.dtype) == _torch_dtype_name(want.dtype), (dtype, bounds)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_numpy_scalars_count_as_python_numbers():
    x = tg.ones(3)
    for s in (np.float64(0.5), np.float32(0.5), np.int64(2)):
        for out in (x * s, s * x, x - s, x / s, s / x, x**s, x.maximum(s), tg.where(x > 0, x, s)):
            assert out.dtype == tg.float32, (type(s), out.dtype)
    i = tg.Tensor(np.array([1, 2], dtype=np.int32))
    assert (i + np.int64(3)).dtype == tg.int32 and (i * np.float64(1.5)).dtype == tg.float32


def test_the_default_dtype_reaches_collated_python_floats():
    from tinygrad_cnn.data import default_collate

    assert default_collate([(1.5, 1), (2.5, 0)])[0].dtype == tg.float32
    tg.set_default_dtype(tg.float64)
    try:
        x, y = default_collate([(1.5, 1), (2.5, 0)])
        assert x.dtype == tg.float64 and y.dtype == tg.int64
    finally:
        tg.set_default_dtype(tg.float32)
