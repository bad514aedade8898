"""In-place operations and version counters, as PyTorch defines them (see inplace.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck


def f64(values, requires_grad=True):
    return tg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------ the methods, no autograd

# method, arguments, the NumPy formula of the result
UNARY = [
    ("neg_", (), lambda a: -a),
    ("abs_", (), np.abs),
    ("exp_", (), np.exp),
    ("log_", (), np.log),
    ("sqrt_", (), np.sqrt),
    ("relu_", (), lambda a: np.maximum(a, 0)),
    ("sigmoid_", (), lambda a: 1 / (1 + np.exp(-a))),
    ("tanh_", (), np.tanh),
    ("zero_", (), np.zeros_like),
    ("fill_", (2.5,), lambda a: np.full_like(a, 2.5)),
    ("clamp_", (0.3, 0.7), lambda a: np.clip(a, 0.3, 0.7)),
    ("clip_", (None, 0.5), lambda a: np.minimum(a, 0.5)),
    ("add_", (2.0,), lambda a: a + 2),
    ("sub_", (0.5,), lambda a: a - 0.5),
    ("mul_", (3.0,), lambda a: a * 3),
    ("div_", (4.0,), lambda a: a / 4),
    ("pow_", (2,), lambda a: a**2),
]


@pytest.mark.parametrize(("method", "args", "formula"), UNARY, ids=[u[0] for u in UNARY])
def test_each_method_writes_the_storage_and_returns_the_tensor(method, args, formula):
    values = np.random.default_rng(0).uniform(0.1, 0.9, (2, 3))
    x = tg.Tensor(values.copy())
    storage, version = x._data, x._version
    out = getattr(x, method)(*args)
    assert out is x and x._data is storage
    np.testing.assert_allclose(x.numpy(), formula(values))
    assert x._version == version + 1


def test_augmented_assignment_keeps_the_object_and_its_views_see_it():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    x_id, row = id(x), x[0]
    x += 1
    x -= tg.Tensor([0.5, 0.5])
    x *= 2
    x /= 4
    x **= 2
    assert id(x) == x_id
    expected = (((np.array([[1.0, 2.0], [3.0, 4.0]]) + 1 - 0.5) * 2 / 4) ** 2).astype(np.float32)
    np.testing.assert_allclose(x.numpy(), expected)
    np.testing.assert_allclose(row.numpy(), expected[0])  # a view of the same storage
    m = tg.eye(2)
    m @= tg.Tensor([[0.0, 1.0], [1.0, 0.0]])
    assert m.tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_alpha_masked_fill_copy_and_setitem():
    x = tg.zeros(2, 3)
    x.add_(tg.ones(3), alpha=2).sub_(tg.ones(2, 3), alpha=0.5)
    np.testing.assert_allclose(x.numpy(), np.full((2, 3), 1.5))
    x.copy_(tg.Tensor([1, 2, 3]))  # broadcast and cast, as PyTorch
    assert x.dtype == np.float32 and x.tolist() == [[1, 2, 3], [1, 2, 3]]
    x[0, 1:] = 7
    x[1] = tg.Tensor([4.0, 5.0, 6.0])
    assert x.tolist() == [[1, 7, 7], [4, 5, 6]]
    x[tg.Tensor([True, False])] = 0  # a bool mask picks the rows
    assert x.tolist() == [[0, 0, 0], [4, 5, 6]]


def test_random_fills_use_the_seeded_generator():
    tg.manual_seed(3)
    a = tg.empty_like(tg.zeros(1000)) if hasattr(tg, "empty_like") else tg.zeros(1000)
    a.uniform_(-2.0, 3.0)
    assert -2.0 <= float(a.min()) and float(a.max()) <= 3.0 and abs(float(a.mean()) - 0.5) < 0.2
    b = tg.zeros(1000).normal_(1.0, 0.5)
    assert abs(float(b.mean()) - 1.0) < 0.1 and abs(float(b.std()) - 0.5) < 0.1
    c = tg.zeros(1000).bernoulli_(0.25)
    assert set(np.unique(c.numpy())) <= {0.0, 1.0} and abs(float(c.mean()) - 0.25) < 0.06
    tg.manual_seed(3)
    again = tg.zeros(1000).uniform_(-2.0, 3.0)
    np.testing.assert_array_equal(again.numpy(), a.numpy())
    with pytest.raises(RuntimeError, match=r"normal_: expects std >= 0.0, got std=-1"):
        b.normal_(0.0, -1.0)
    with pytest.raises(RuntimeError, match=r"uniform_: expects from <= to"):
        b.uniform_(1.0, 0.0)
    with pytest.raises(RuntimeError, match=r"bernoulli_: expects 0 <= p <= 1"):
        c.bernoulli_(1.5)


def test_pytorch_shape_and_dtype_rules_for_writes():
    i = tg.Tensor([1, 2])
    i += 1  # integers stay integers
    assert i.dtype == np.int64 and i.tolist() == [2, 3]
    with pytest.raises(RuntimeError, match=r"add_: result type float32 can't be cast .* int64"):
        i += 1.5
    assert i.tolist() == [2, 3]  # nothing written
    c = tg.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\) doesn't match the broadcast"):
        c += tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="several elements share one memory location"):
        tg.zeros(1).expand(3).add_(1)
    with pytest.raises(RuntimeError, match=r"fill_: only a 0-d tensor"):
        c.fill_(tg.ones(3))


# ------------------------------------------------------------------ leaves and no_grad


def test_in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    p = tg.ones(3, requires_grad=True)
    for change in (
        lambda: p.add_(1),
        lambda: p.zero_(),
        lambda: p.__isub__(1),
        lambda: p.__setitem__(0, 2.0),
    ):
        with pytest.raises(RuntimeError, match="a leaf tensor that requires grad.*no_grad"):
            change()
    assert p.tolist() == [1.0, 1.0, 1.0] and p.is_leaf
    with pytest.raises(RuntimeError, match="view .* of a tensor that takes part in autograd"):
        p[0].mul_(2)


def test_manual_sgd_step_updates_parameters_in_place():
    model = nn.Linear(3, 1)
    params = list(model.parameters())
    before = [(id(p), p._data, p.numpy().copy()) for p in params]
    loss = (model(tg.ones(2, 3)) ** 2).mean()
    loss.backward()
    with tg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, (pid, storage, old) in zip(model.parameters(), before, strict=True):
        assert id(p) == pid and p._data is storage and p.is_leaf and p.requires_grad
        np.testing.assert_allclose(p.numpy(), old - 0.1 * p.grad.numpy(), rtol=1e-6)


def test_data_is_a_tensor_sharing_storage_and_version():
    p = tg.ones(3, requires_grad=True)
    d = p.data
    assert isinstance(d, tg.Tensor) and not d.requires_grad and d.is_leaf
    p.data -= 0.5  # allowed: .data has no history
    p.data.copy_(p.data * 2)
    assert p.tolist() == [1.0, 1.0, 1.0] and p._version == 2
    p.data.zero_()
    assert p.tolist() == [0.0, 0.0, 0.0]
    p.data = tg.Tensor([5.0, 6.0])  # replaces the storage, as in PyTorch
    assert p.tolist() == [5.0, 6.0] and p.requires_grad


def test_numpy_hands_out_a_read_only_view():
    x = tg.Tensor([1.0, 2.0])
    a = x.numpy()
    assert np.shares_memory(a, x._data) and not a.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 5.0
    b = np.asarray(x)
    assert not b.flags.writeable
    own = x.numpy().copy()
    own[0] = 5.0
    assert x.tolist() == [1.0, 2.0]
    assert np.array(x, copy=True).flags.writeable


# ------------------------------------------------------------------ version counters


def test_a_change_after_forward_is_caught_naming_the_op():
    w = f64([1.0, 2.0])
    x = f64([3.0, 4.0], requires_grad=False)
    loss = (w * x).sum()
    with tg.no_grad():
        x[0] = 10.0
    with pytest.raises(
        RuntimeError,
        match=r"Mul: a tensor its backward needs \(input 1, shape \(2,\), version 0\) was "
        r"modified in place \(now version 1\)",
    ):
        loss.backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    model = nn.Linear(2, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    loss = model(tg.ones(1, 2)).sum()
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match="was modified in place"):
        loss.backward()


def test_an_edit_of_an_output_that_backward_reads_is_caught():
    x = f64([0.5, 1.0])
    y = x.exp()
    y.data.mul_(2)  # through .data: PyTorch would not notice; we do
    with pytest.raises(RuntimeError, match=r"Exp: .*\(output, shape \(2,\), version 0\)"):
        y.sum().backward()


def test_changes_that_backward_does_not_read_are_fine():
    w = f64([1.0, 2.0])
    x = f64([3.0, 4.0], requires_grad=False)
    loss = (w + x).sum()  # Add reads no input
    with tg.no_grad():
        x.add_(1)
    loss.backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_a_stale_view_is_refused():
    x = f64([1.0, 2.0, 3.0])
    y = x * 1
    v = y[:2]
    y.mul_(2)  # recorded: y has a new history; v's recorded history is the old one
    with pytest.raises(RuntimeError, match="view of a tensor that was modified in place"):
        v.sum()


# ------------------------------------------------------------------ recorded in-place ops


def test_in_place_on_a_non_leaf_is_recorded():
    x = f64([0.5, 1.5, -2.0])
    b = f64([2.0, 3.0, 4.0])
    a = x * 1
    a.mul_(b)  # PyTorch: grad_b = x, grad_x = b
    a.add_(1).relu_()
    assert a.grad_fn is not None and not a.is_leaf and a.grad_fn.params["method"] == "relu_"
    a.sum().backward()
    mask = (x.numpy() * b.numpy() + 1) > 0
    np.testing.assert_allclose(x.grad.numpy(), b.numpy() * mask)
    np.testing.assert_allclose(b.grad.numpy(), x.numpy() * mask)


def test_earlier_uses_of_a_tensor_keep_their_gradient():
    x = f64([1.0, 2.0])
    y = x * 1
    z = y + 1  # uses the old y
    y.mul_(3)
    (z + y).sum().backward()  # d/dx = 1 (through z) + 3 (through the new y)
    assert x.grad.tolist() == [4.0, 4.0]


def test_in_place_on_a_constant_with_a_grad_operand_makes_it_a_non_leaf():
    w = f64([1.0, 2.0])
    x = tg.zeros(2, dtype=tg.float64)
    x.add_(w * w)
    assert x.requires_grad and not x.is_leaf
    x.sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_setitem_and_fill_are_differentiable():
    x = f64([1.0, 2.0, 3.0])
    v = f64([10.0])
    y = x * 2
    y[1] = v * 3
    y[2:] = 0.0
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0] and v.grad.tolist() == [3.0]
    z = f64([1.0, 2.0])
    h = z * 2
    h.fill_(5.0)  # its old history gets a zero gradient
    h.sum().backward()
    assert h.tolist() == [5.0, 5.0] and z.grad.tolist() == [0.0, 0.0]


def test_setitem_gradients_numerically_to_second_order():
    def fn(x, v):
        y = x * x
        y[1:, ::2] = v.exp()
        return y

    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    v = tg.randn(2, 2, dtype=tg.float64, requires_grad=True)
    gradcheck(fn, [x, v])
    gradgradcheck(fn, [x, v])


# A chain of ops with in-place steps, drawn by hypothesis. Each step: the in-place form (the same
# lines for both libraries) and the out-of-place PyTorch form it must equal.
STEPS = {
    "add_": (lambda t, o: t.add_(o), lambda t, o: t + o),
    "mul_": (lambda t, o: t.mul_(o), lambda t, o: t * o),
    "sub_": (lambda t, o: t.sub_(o, alpha=0.5), lambda t, o: t - 0.5 * o),
    "tanh_": (lambda t, o: t.tanh_(), lambda t, o: t.tanh()),
    "sigmoid_": (lambda t, o: t.sigmoid_(), lambda t, o: t.sigmoid()),
    "iadd": (lambda t, o: t.__iadd__(o * o), lambda t, o: t + o * o),
    "setitem": (
        lambda t, o: t.__setitem__(0, o[1]),
        lambda t, o: t.index_put((t.new_tensor([0]).long(),), o[1]),
    ),
    "exp": (lambda t, o: t.exp(), lambda t, o: t.exp()),
    "times": (lambda t, o: t * o, lambda t, o: t * o),
}


def _chain(lib, steps, xv, ov, in_place):
    x = lib.tensor(xv, requires_grad=True) if lib is not tg else f64(xv)
    o = lib.tensor(ov, requires_grad=True) if lib is not tg else f64(ov)
    t = x * 1
    for name in steps:
        out = STEPS[name][0 if in_place else 1](t, o)
        t = t if out is None else out
    loss = (t * t).sum()
    grad = torch_or_tg_grad(lib)
    gx, go = grad(loss, [x, o], create_graph=True, allow_unused=True)
    go = go if go is not None else o * 0
    (ggx,) = grad((gx * gx).sum() + (go * go).sum(), [x], allow_unused=True)
    return [a.detach().numpy() if a is not None else None for a in (loss, gx, go, ggx)]


def torch_or_tg_grad(lib):
    return tg.grad if lib is tg else lib.autograd.grad


@given(
    steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_in_place_chains_match_pytorch_at_first_and_second_order(steps, seed):
    """Ours gives the gradient of what was computed (PyTorch's out-of-place chain), to second
    order; where ours refuses (a value backward needs was overwritten), PyTorch refuses too."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    xv, ov = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    expected = _chain(torch, steps, xv, ov, in_place=False)
    try:
        ours = _chain(tg, steps, xv, ov, in_place=True)
    except RuntimeError as error:
        assert "modified in place" in str(error)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            _chain(torch, steps, xv, ov, in_place=True)
        return
    for a, b in zip(ours, expected, strict=True):
        if a is None or b is None:  # unused input (no in-place step reached it)
            assert a is None or not np.any(a)
            continue
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ gradients and hooks


def test_leaf_gradients_are_never_shared():
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0])
    (a + b).sum().backward(create_graph=True)
    assert a.grad is not b.grad and a.grad._data is not b.grad._data
    c, d = f64([1.0, 2.0]), f64([3.0, 4.0])
    s = c + d
    g = tg.ones(2, dtype=tg.float64)
    s.backward(g)
    assert c.grad._data is not d.grad._data and c.grad._data is not g._data


def test_clip_grad_norm_after_create_graph_gives_the_asked_norm():
    a, b = f64([0.1, 0.0]), f64([0.0, 0.1])
    (a.sum() * 10 + b.sum() * 10).backward(create_graph=True)  # both get [10, 10]
    nn.utils.clip_grad_norm_([a, b], 1.0)
    total = np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in (a, b)))
    np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_zero_grad_without_none_zeroes_in_place():
    model = nn.Linear(2, 2)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    model(tg.ones(1, 2)).sum().backward()
    grads = [p.grad for p in model.parameters()]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads, strict=True):
        assert p.grad is g and not g.numpy().any()
    model(tg.ones(1, 2)).sum().backward()  # accumulates into the same tensors
    assert all(p.grad is g for p, g in zip(model.parameters(), grads, strict=True))


def test_a_hook_returning_another_shape_is_refused_naming_both_shapes():
    x = f64([1.0, 2.0, 3.0])

    def truncate(g):
        return g[:2]

    x.register_hook(truncate)
    with pytest.raises(RuntimeError, match=r"hook 'truncate' .* shape \(3,\) returned .*\(2,\)"):
        (x * 2).sum().backward()
    y = f64([1.0, 2.0]) * 2
    y.register_hook(lambda g: g.to(tg.float32))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(2,\) \(float32"):
        y.sum().backward()


def test_retain_grad_grad_fn_and_is_leaf():
    x = f64([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0] and x.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn is y.op and y.grad_fn.name == "Mul"
    with pytest.raises(AttributeError):
        y.grad_fn = None
    with pytest.raises(RuntimeError, match="retain_grad: the tensor .* does not require grad"):
        tg.ones(2).retain_grad()


def test_masked_index_and_scatter_fills_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    xv = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    mask = np.array([[True, False, True], [False, False, True]])
    index = np.array([[0], [2]])
    sv = np.array([[0.5], [-0.25]])

    def run(lib, tensor):
        x = tensor(xv)
        s = tensor(sv)
        y = x * 2
        y.masked_fill_(lib.tensor(mask), 5.0)
        y.index_fill_(1, lib.tensor([1]), -1.0)
        y.scatter_(1, lib.tensor(index), s * 3)
        (y * y).sum().backward()
        return y.detach().numpy(), x.grad.numpy(), s.grad.numpy()

    ours = run(tg, lambda v: tg.tensor(v, requires_grad=True))
    theirs = run(torch, lambda v: torch.tensor(v, requires_grad=True))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
