"""Reductions (sum mean max min var std logsumexp, over any axes, with keepdim) and
softmax/log_softmax: forward values against NumPy, first- and second-order gradients."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors


def _np_axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None or axis == ():  # PyTorch: dim=() reduces every axis
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(a % max(ndim, 1) for a in axes) if ndim else ()


def _np_logsumexp(x, axis, keepdims):
    top = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


@dataclass(frozen=True)
class Reduction:
    name: str
    fn: Callable  # (Tensor, axis, keepdim) -> Tensor
    ref: Callable  # (ndarray, axes tuple, keepdims) -> ndarray
    distinct: bool = False  # max/min: no ties
    correction: int = 0  # var/std: at least correction + 1 elements per reduction

    def __str__(self) -> str:
        return self.name


REDUCTIONS = [
    Reduction("sum", lambda x, a, k: x.sum(a, k), lambda x, a, k: np.sum(x, a, keepdims=k)),
    Reduction(
        "sum_dim", lambda x, a, k: x.sum(dim=a, keepdim=k), lambda x, a, k: np.sum(x, a, keepdims=k)
    ),
    Reduction("mean", lambda x, a, k: x.mean(a, k), lambda x, a, k: np.mean(x, a, keepdims=k)),
    Reduction(
        "amax",
        lambda x, a, k: x.amax(a, k),
        lambda x, a, k: np.max(x, a, keepdims=k),
        distinct=True,
    ),
    Reduction(
        "amin",
        lambda x, a, k: x.amin(dim=a, keepdim=k),
        lambda x, a, k: np.min(x, a, keepdims=k),
        distinct=True,
    ),
    Reduction(
        "var",
        lambda x, a, k: x.var(a, keepdim=k),
        lambda x, a, k: np.var(x, a, ddof=1, keepdims=k),
        correction=1,
    ),
    Reduction(
        "var_biased",
        lambda x, a, k: x.var(a, keepdim=k, correction=0),
        lambda x, a, k: np.var(x, a, keepdims=k),
    ),
    Reduction(
        "var_unbiased_false",
        lambda x, a, k: x.var(a, keepdim=k, unbiased=False),
        lambda x, a, k: np.var(x, a, keepdims=k),
    ),
    Reduction(
        "std",
        lambda x, a, k: x.std(a, keepdim=k),
        lambda x, a, k: np.std(x, a, ddof=1, keepdims=k),
        distinct=True,
        correction=1,
    ),
    Reduction("logsumexp", lambda x, a, k: x.logsumexp(a, k), _np_logsumexp),
]


@st.composite
def _axis_spec(draw, ndim: int):
    """None, one axis (maybe negative) or a tuple of distinct axes (maybe negative, any order)."""
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
    return tuple(draw(st.sampled_from([a, a - ndim])) for a in axes)


@st.composite
def _reduction_case(draw, op: Reduction, max_side: int = 3, max_dims: int = 3):
    shape = draw(shapes(max_dims=max_dims, max_side=max_side))
    axis = draw(_axis_spec(len(shape)))
    count = math.prod(shape[a] for a in _np_axes(axis, len(shape)))
    assume(count > op.correction)  # var of one element (unbiased) is NaN, as in PyTorch
    # std: distinct values keep the variance away from 0, where sqrt has its kink
    x = draw(tensors(shape, distinct=op.distinct, margin=0.05))
    keepdim = draw(st.booleans())
    return x, axis, keepdim


@pytest.mark.parametrize("op", REDUCTIONS, ids=str)
@given(data=st.data())
def test_reduction_forward(op: Reduction, data):
    x, axis, keepdim = data.draw(_reduction_case(op, max_side=5, max_dims=4))
    out = op.fn(x, axis, keepdim)
    expected = op.ref(x.numpy(), _np_axes(axis, x.ndim), keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", REDUCTIONS, ids=str)
@given(data=st.data())
def test_reduction_gradients(op: Reduction, data):
    x, axis, keepdim = data.draw(_reduction_case(op))
    fn = lambda x: op.fn(x, axis, keepdim)  # noqa: E731
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


@pytest.mark.parametrize("op", REDUCTIONS, ids=str)
def test_reduction_float32_stays_float32(op: Reduction):
    x = tg.Tensor(np.arange(12.0).reshape(3, 4) / 7, dtype=tg.float32)
    out = op.fn(x, 1, False)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out.numpy(), op.ref(x.numpy().astype(np.float64), (1,), False), rtol=1e-6
    )


def test_reduction_axis_errors_name_the_op():
    x = tg.zeros(2, 3)
    with pytest.raises(IndexError, match=r"sum: dimension out of range \(expected to be in range"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="amax: dim 1 appears multiple times"):
        x.amax((1, -1))


def test_amax_and_amin_share_the_gradient_among_ties():
    x = tg.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=tg.float64, requires_grad=True)
    x.amax(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = tg.Tensor([[1.0, 1.0, 3.0]], requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0.5, 0.5, 0.0]])


def test_var_std_of_one_element_unbiased_is_nan_like_pytorch():
    with np.errstate(all="ignore"):
        assert math.isnan(tg.Tensor([2.0]).var().item())
        assert tg.Tensor([2.0]).var(correction=0).item() == 0.0


@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin(keepdim):
    x_np = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    x = tg.Tensor(x_np)
    for axis in (0, 1, -1):
        got = x.argmax(axis, keepdim=keepdim)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), np.argmax(x_np, axis, keepdims=keepdim))
        np.testing.assert_array_equal(
            x.argmin(dim=axis, keepdim=keepdim).numpy(), np.argmin(x_np, axis, keepdims=keepdim)
        )
    assert x.argmax().item() == 3  # first of the ties, over the flattened tensor


def test_integer_reductions():
    i = tg.Tensor([[1, 2], [3, 4]])
    assert i.sum().dtype == np.int64 and i.sum().item() == 10
    assert i.amax(0).tolist() == [3, 4] and i.min().item() == 1
    np.testing.assert_allclose(i.mean(1).numpy(), [1.5, 3.5])


# ------------------------------------------------------------------------------ softmax
def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_forward_and_gradients(name, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(tensors(shape, min_value=-5.0, max_value=5.0))
    expected = _np_softmax(x.numpy(), axis)
    expected = expected if name == "softmax" else np.log(expected)
    fn = lambda x: getattr(x, name)(axis)  # noqa: E731
    np.testing.assert_allclose(fn(x).numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(getattr(x, name)(dim=axis).numpy(), expected, rtol=1e-10, atol=1e-12)
    # the random projection in gradcheck matters here: softmax(x).sum() has zero gradient
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


@pytest.mark.parametrize("dtype", [tg.float32, tg.float64])
def test_softmax_is_stable_for_huge_logits(dtype):
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, -5e3], [-1e4, -1e4 + 1.0, -1e4]])
    x = tg.Tensor(logits, dtype=dtype, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = x.softmax(-1)
        logp = x.log_softmax(-1)
        lse = x.logsumexp(-1)
    z = 2 + math.e  # the last row is -1e4 + [0, 1, 0]
    np.testing.assert_allclose(
        p.numpy(), [[1, 0, 0], [0.5, 0.5, 0], [1 / z, math.e / z, 1 / z]], atol=1e-6
    )
    np.testing.assert_allclose(
        logp.numpy(),
        [
            [0, -1e4, -2e4],
            [-math.log(2), -math.log(2), -1.5e4 - math.log(2)],
            [-math.log(z), 1 - math.log(z), -math.log(z)],
        ],
        rtol=1e-6,
    )
    np.testing.assert_allclose(lse.numpy(), [1e4, 1e4 + math.log(2), -1e4 + math.log(z)], rtol=1e-7)
    # gradients stay finite too
    (logp * tg.Tensor(np.arange(9.0).reshape(3, 3), dtype=dtype)).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(x.grad.numpy().sum(axis=-1), 0, atol=1e-3)


def test_logsumexp_with_minus_infinity():
    x = tg.Tensor([[0.0, -np.inf], [-np.inf, -np.inf]], dtype=tg.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # the all -inf row: NaN, as torch
        out = x.logsumexp(1).numpy()
        logp = x.log_softmax(1).numpy()
    np.testing.assert_array_equal(out, [0.0, -np.inf])
    np.testing.assert_array_equal(logp[0], [0.0, -np.inf])
