"""Matrix multiplication: NumPy's rules (1-D operands, batches, broadcasting of batch axes),
forward values, first- and second-order gradients, and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import broadcastable_shapes, tensors


@st.composite
def matmul_shapes(draw, max_side: int = 3):
    """Shapes (a, b) valid for ``a @ b``: either operand may be 1-D; batch axes broadcast."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=max_side))
    a_1d, b_1d = draw(st.booleans()), draw(st.booleans())
    shape_a = (k,) if a_1d else batch_a + (n, k)
    shape_b = (k,) if b_1d else batch_b + (k, m)
    return shape_a, shape_b


@given(shapes_ab=matmul_shapes(max_side=4), data=st.data())
def test_matmul_forward_matches_numpy(shapes_ab, data):
    a = data.draw(tensors(shapes_ab[0]))
    b = data.draw(tensors(shapes_ab[1]))
    expected = np.matmul(a.numpy(), b.numpy())
    for out in (a @ b, a.matmul(b)):
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@given(shapes_ab=matmul_shapes(), data=st.data())
def test_matmul_gradients(shapes_ab, data):
    a = data.draw(tensors(shapes_ab[0]))
    b = data.draw(tensors(shapes_ab[1]))
    fn = lambda a, b: a @ b  # noqa: E731
    assert gradcheck(fn, [a, b])
    assert gradgradcheck(fn, [a, b])


def test_matmul_with_one_constant_operand_and_numpy_arrays():
    a = tg.Tensor(np.arange(6.0).reshape(2, 3), dtype=tg.float64, requires_grad=True)
    w = np.linspace(-1, 1, 12).reshape(3, 4)
    np.testing.assert_allclose((a @ w).numpy(), a.numpy() @ w)
    np.testing.assert_allclose((w.T @ a.T).numpy(), w.T @ a.numpy().T)  # __rmatmul__
    assert gradcheck(lambda a: a @ w, [a])
    (a @ w).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4)) @ w.T)


def test_vector_dot_gives_a_scalar():
    a = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = a @ a
    assert out.shape == () and out.item() == 14.0
    out.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])


def test_matmul_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"):
        tg.zeros(2, 3) @ tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"at least 1 dimension"):
        tg.zeros(2, 3) @ tg.Tensor(2.0)
    with pytest.raises(RuntimeError, match=r"batch axes of \(2, 2, 3\) and \(3, 3, 4\)"):
        tg.zeros(2, 2, 3) @ tg.zeros(3, 3, 4)


def test_matmul_float32_stays_float32():
    a = tg.randn(4, 5)
    b = tg.randn(5, 2)
    assert (a @ b).dtype == np.float32
