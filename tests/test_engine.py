"""The autograd engine: accumulation, graph shapes, long chains, retain_graph, errors, grad
mode, hooks, ``tg.grad`` and higher-order gradients."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.autograd import current_scope, module_scope
from tinygrad_cnn.function import Function
from tinygrad_cnn.testing import gradcheck, gradgradcheck


def f64(values, requires_grad=True):
    return tg.Tensor(values, dtype=tg.float64, requires_grad=requires_grad)


# ------------------------------------------------------------------------------ the example
def test_the_readme_example_runs_as_written():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    # d/dx Σ_ij (x xᵀ)_ij = 2 · (column sums of x) broadcast: every entry of x xᵀ is positive
    expected = 2 * np.ones((2, 2)) @ np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(x.grad.numpy(), expected)
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 2)
    assert y.item() == 52.0  # x xᵀ = [[5, 11], [11, 25]]


def test_the_create_graph_example_runs_as_written():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y2 = (x * x * x).sum()
    (g,) = tg.grad(y2, [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    assert g.requires_grad
    (h,) = tg.grad(g.sum(), [x])
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy())


# ------------------------------------------------------------------------------ graph shapes
def test_shared_subexpressions_accumulate():
    a = f64([1.0, -2.0, 3.0])
    b = a + a  # a reaches b twice
    c = b * b  # b reaches c twice
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 8 * a.numpy())  # c = 4a², dc/da = 8a


def test_diamond():
    x = f64([0.5, -1.0])
    left, right = x * 2, x.exp()
    z = (left * right).sum()
    z.backward()
    xv = x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(xv) + 2 * xv * np.exp(xv))
    assert gradcheck(lambda x: (x * 2) * x.exp(), [f64([0.5, -1.0])])


def test_same_tensor_as_both_inputs_of_an_op():
    x = f64([3.0])
    (x * x).backward(tg.Tensor([1.0], dtype=tg.float64))
    np.testing.assert_allclose(x.grad.numpy(), [6.0])


def test_toposort_puts_parents_first():
    a, b = f64([1.0]), f64([2.0])
    c = a * b
    d = c + a
    e = d * c
    order = tg.toposort(e)
    position = {id(t): i for i, t in enumerate(order)}
    for t in order:
        for p in t.parents:
            assert position[id(p)] < position[id(t)]
    assert order[-1] is e and {id(a), id(b), id(c), id(d), id(e)} == set(position)


def test_100000_op_chain_needs_no_recursion():
    assert sys.getrecursionlimit() <= 10_000  # the default limit (1000) is not raised anywhere
    x = tg.Tensor([1.0], dtype=tg.float64, requires_grad=True)
    one = tg.Tensor(1.0, dtype=tg.float64)  # one shared constant: a leaner graph to build
    y = x
    for _ in range(100_000):
        y = y + one
    assert len(tg.toposort(y)) == 100_002  # x, one and the 100,000 sums
    y.backward(tg.Tensor([1.0], dtype=tg.float64))
    assert x.grad.item() == 1.0 and y.item() == 100_001.0
    # dropping the chain must not overflow the C stack either
    del y
    gc.collect()


def test_graph_does_not_keep_itself_alive():
    x = f64([1.0, 2.0])
    y = (x * 2).exp()
    op_ref = weakref.ref(y.op)
    del y
    gc.collect()
    assert op_ref() is None


# ------------------------------------------------------------------------------ retain_graph
def test_second_backward_without_retain_graph_is_a_clear_error():
    x = f64([1.0, 2.0])
    y = (x.exp() * 3).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"(Sum|Mul|Exp).*second time.*retain_graph=True"):
        y.backward()


def test_second_backward_is_an_error_even_through_ops_that_save_nothing():
    x = f64([1.0, 2.0])
    y = (x + x).sum()  # Add and Sum keep nothing for backward
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])  # not silently accumulated twice


def test_retain_graph_lets_backward_run_twice_and_grads_add_up():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_saved_values_are_freed_after_backward():
    x = f64(np.ones(1000))
    y = x.exp()
    z = y.sigmoid().relu().sum()
    relu_op = z.parents[0].op
    assert relu_op.saved_nbytes > 0
    z.backward()
    assert relu_op.saved_nbytes == 0 and relu_op.freed


def test_grads_accumulate_into_leaves_across_backward_calls():
    w = f64([1.0, -1.0])
    for k in range(1, 4):
        (w * 5).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), [5.0 * k, 5.0 * k])
    w.grad = None
    (w * 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])


def test_leaf_gradients_are_separate_arrays():
    # Add hands the same gradient to both inputs; in-place updates of one .grad (optimizers,
    # clipping) must not change the other
    a, b = f64([1.0]), f64([2.0])
    (a + b).sum().backward()
    a.grad._data *= 10
    assert b.grad.item() == 1.0
    assert not a.grad.requires_grad and a.grad.is_leaf


# ------------------------------------------------------------------------------ errors
def test_backward_on_a_non_scalar_needs_a_gradient():
    x = f64([1.0, 2.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2,\)"):
        y.backward()
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_gradient_argument_of_the_wrong_shape_is_refused():
    y = f64([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        y.backward(tg.ones(3, dtype=tg.float64))


def test_backward_of_a_tensor_without_graph_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor([1.0]).sum().backward()
    with tg.no_grad():
        y = (f64([1.0]) * 2).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


class WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return grad_out.sum()  # a scalar for a (3,) input


class TooMany(Function):
    def forward(self, x):
        return x + 0

    def backward(self, grad_out):
        return grad_out, grad_out


def test_a_backward_returning_the_wrong_shape_is_named():
    x = f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"WrongShape.*shape \(\).*input of shape \(3,\)"):
        WrongShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match="TooMany.backward returned 2 gradients for 1 inputs"):
        TooMany.apply(x).sum().backward()


def test_custom_function_example_from_the_contract():
    class Scale(Function):
        def forward(self, x, *, factor):
            self.factor = factor
            return x * factor

        def backward(self, grad_out):
            return grad_out * self.factor

    x = f64([1.0, 2.0])
    y = Scale.apply(x, factor=2.0)
    assert y.op.name == "Scale" and y.op.params == {"factor": 2.0}
    assert "op=<Scale>" in repr(y)
    assert gradcheck(lambda x: Scale.apply(x, factor=-3.0), [x])
    assert gradgradcheck(lambda x: Scale.apply(x, factor=-3.0) ** 2, [x])


def test_integer_results_carry_no_graph():
    x = f64([1.5, -2.0])
    idx = x.argmax()
    assert not idx.requires_grad
    mask = x > 0
    assert not mask.requires_grad


# ------------------------------------------------------------------------------ grad mode
def test_no_grad_and_enable_grad_as_context_managers():
    x = f64([1.0])
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            z = x * 2
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.op is None
    assert z.requires_grad and z.op is not None


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), tg.no_grad():
        raise ValueError("boom")
    assert tg.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = f64([1.0])

    @tg.no_grad()
    def frozen(t):
        return t * 2

    @tg.enable_grad()
    def recorded(t):
        return t * 2

    assert not frozen(x).requires_grad
    with tg.no_grad():
        assert recorded(x).requires_grad
    assert frozen.__name__ == "frozen"  # functools.wraps
    with tg.set_grad_enabled(False):
        assert not (x * 1).requires_grad


def test_requires_grad_():
    x = tg.Tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        tg.Tensor([1, 2]).requires_grad_()
    y = f64([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaves"):
        y.requires_grad_(False)


def test_detach_cuts_the_graph_and_shares_memory():
    x = f64([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # d counts as a constant
    e = x.detach()
    e._data[0] = 7.0
    assert x.tolist()[0] == 7.0


# ------------------------------------------------------------------------------ hooks
def test_hook_can_replace_a_gradient_and_be_removed():
    x = f64([1.0, 2.0])
    remove = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_hook_on_an_intermediate_tensor_changes_what_flows_upstream():
    x = f64([1.0, 2.0])
    h = x * 2
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))  # returns None: unchanged
    h.register_hook(lambda g: -g)
    (h * h).sum().backward()
    np.testing.assert_allclose(seen[0], 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), -2 * 2 * h.numpy())


def test_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.Tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_an_intermediate_gradient():
    x = f64([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())


# ------------------------------------------------------------------------------ tg.grad
def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, w = f64([1.0, 2.0]), f64([3.0, -1.0])
    y = (x * w).sum()
    gx, gw = tg.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), w.numpy())
    np.testing.assert_allclose(gw.numpy(), x.numpy())
    assert x.grad is None and w.grad is None
    (gx_only,) = tg.grad((x * x).sum(), x)  # a single tensor works too
    np.testing.assert_allclose(gx_only.numpy(), [2.0, 4.0])


def test_grad_of_a_non_leaf_and_with_grad_outputs():
    x = f64([1.0, 2.0])
    h = x * x
    y = h.exp()
    (gh,) = tg.grad(y, [h], grad_outputs=[tg.Tensor([1.0, 0.5], dtype=tg.float64)])
    np.testing.assert_allclose(gh.numpy(), np.exp(h.numpy()) * [1.0, 0.5])


def test_grad_allow_unused():
    x, unused = f64([1.0]), f64([2.0])
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 1 .* not used.*allow_unused=True"):
        tg.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.grad(y, [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.grad((x * 2).sum(), [tg.Tensor([1.0])])


def test_third_derivative_of_x_to_the_fourth():
    x = f64([0.5, -1.5, 2.0])
    y = (x**4).sum()
    (g1,) = tg.grad(y, [x], create_graph=True)
    (g2,) = tg.grad(g1.sum(), [x], create_graph=True)
    (g3,) = tg.grad(g2.sum(), [x], create_graph=True)
    (g4,) = tg.grad(g3.sum(), [x])
    xv = x.numpy()
    np.testing.assert_allclose(g1.numpy(), 4 * xv**3)
    np.testing.assert_allclose(g2.numpy(), 12 * xv**2)
    np.testing.assert_allclose(g3.numpy(), 24 * xv)
    np.testing.assert_allclose(g4.numpy(), [24.0, 24.0, 24.0])


def test_hessian_vector_product_of_a_small_network():
    x = f64(np.linspace(-1, 1, 6).reshape(2, 3))
    w = f64(np.linspace(0.5, -0.5, 12).reshape(3, 4))
    v = np.linspace(1, 2, 12).reshape(3, 4)

    def loss(w):
        return ((x.detach() @ w).tanh() ** 2).sum()

    (gw,) = tg.grad(loss(w), [w], create_graph=True)
    (hv,) = tg.grad((gw * tg.Tensor(v)).sum(), [w])
    # finite differences of the gradient along v
    eps = 1e-6

    def grad_at(wv):
        t = f64(wv)
        (g,) = tg.grad(loss(t), [t])
        return g.numpy()

    numeric = (grad_at(w.numpy() + eps * v) - grad_at(w.numpy() - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_backward_with_create_graph_gives_a_differentiable_dot_grad():
    x = f64([1.0, 2.0])
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = tg.grad(x.grad.sum(), [x])
    np.testing.assert_allclose(g2.numpy(), 6 * x.numpy())


def test_without_create_graph_the_backward_pass_records_nothing():
    x = f64([1.0, 2.0])
    (g,) = tg.grad((x.sigmoid() * x).sum(), [x])
    assert not g.requires_grad and g.op is None


# ------------------------------------------------------------------------------ scopes
def test_module_scope_is_recorded_on_ops():
    outer, inner = object(), object()
    x = f64([1.0])
    with module_scope(outer):
        a = x * 2
        with module_scope(inner):
            b = a.exp()
            assert current_scope() == (outer, inner)
    c = b + 1
    assert a.op.scope == (outer,)
    assert b.op.scope == (outer, inner)
    assert c.op.scope == ()


# ------------------------------------------------------------------------------ gradcheck itself
class WrongScale(Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return grad_out * 2.1


class SoftmaxZeroGrad(Function):
    """A softmax whose backward returns zeros: a check based on .sum() cannot see it."""

    def forward(self, x):
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    def backward(self, grad_out):
        return grad_out * 0


class SquareConstantBackward(Function):
    """x² with a correct first derivative that is not differentiable again (2x as a constant)."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        return grad_out * tg.Tensor(2 * self.inputs[0]._data)


def test_gradcheck_catches_a_wrong_backward_and_names_the_place():
    x = f64(np.linspace(-1, 1, 6).reshape(2, 3))
    with pytest.raises(AssertionError, match=r"input 0 \(shape \(2, 3\)\) at element \(\d, \d\)"):
        gradcheck(lambda x: WrongScale.apply(x), [x])
    with pytest.raises(AssertionError, match=r"analytic .* vs numerical"):
        gradcheck(lambda x: SoftmaxZeroGrad.apply(x), [x])
    assert gradcheck(lambda x: x.softmax(-1), [x])


def test_gradcheck_full_jacobian_names_the_wrong_entry():
    from tinygrad_cnn.testing import GradcheckError

    x = f64([0.5, -0.25])
    with pytest.raises(
        GradcheckError, match=r"d output element \((\d),\) / d input 0 element \(\1,\)"
    ):
        gradcheck(lambda x: WrongScale.apply(x), [x], full_jacobian=True)
    assert gradcheck(lambda x: x.exp() * x.sum(), [x], full_jacobian=True)


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = f64([0.5, -1.5, 2.0])
    assert gradcheck(lambda x: SquareConstantBackward.apply(x), [x])
    with pytest.raises(AssertionError, match="second order"):
        gradgradcheck(lambda x: SquareConstantBackward.apply(x), [x])
    assert gradgradcheck(lambda x: x * x, [x])


def test_gradcheck_refuses_unsuitable_inputs():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x * 2, [tg.randn(3, requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad=True"):
        gradcheck(lambda x: x * 2, [tg.randn(3, dtype=tg.float64)])
    with pytest.raises(ValueError, match="not a leaf"):
        gradcheck(lambda x: x * 2, [f64([1.0]) * 2])
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda x: x.float(), [f64([1.0])])  # an output that lost precision


def test_gradcheck_leaves_non_contiguous_inputs_intact():
    view = np.arange(12.0).reshape(3, 4).T
    x = tg.Tensor(view, requires_grad=True)
    assert gradcheck(lambda x: (x * x).sum(0), [x])
    assert x._data is view and np.array_equal(view, np.arange(12.0).reshape(3, 4).T)


# ------------------------------------------------------------------------------ the strategies
@settings(max_examples=30)
@given(st.data())
def test_strategies_keep_their_promises(data):
    from tinygrad_cnn.testing import arrays, broadcastable_shapes, tensors

    shapes_ = data.draw(broadcastable_shapes(3))
    np.broadcast_shapes(*shapes_)  # raises if they do not broadcast
    a = data.draw(arrays((3, 4), kinks=(0.0, 1.0), margin=0.1))
    assert np.all(np.abs(a) >= 0.1) and np.all(np.abs(a - 1.0) >= 0.1)
    d = np.sort(data.draw(arrays((4, 5), distinct=True, margin=0.05)).ravel())
    assert np.all(np.diff(d) >= 0.05 - 1e-12)
    t = data.draw(tensors((2, 3), layout="transposed"))
    assert t.requires_grad and t.dtype == np.float64 and not t._data.flags.c_contiguous
    s = data.draw(tensors((2, 3), layout="strided", min_value=1.0, max_value=2.0))
    assert not s._data.flags.c_contiguous and np.all((s.numpy() >= 1) & (s.numpy() <= 2))


def test_mixed_precision_gradients_have_their_inputs_dtype():
    a = tg.Tensor([1.0, 2.0], requires_grad=True)  # float32
    b = tg.Tensor([0.5, 0.25], dtype=tg.float64, requires_grad=True)
    out = tg.cat([a * b, a + b])
    assert out.dtype == np.float64  # NumPy's promotion
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.numpy(), [1.5, 1.25])
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 3.0])
    # the cast back is recorded with create_graph, so second order still works
    (g,) = tg.grad((a * b * b).sum(), [b], create_graph=True)
    (h,) = tg.grad(g.sum(), [a])
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.numpy(), 2 * b.numpy())
