"""Core ops against PyTorch (skipped where it is not installed): forward values, gradients and
second-order gradients in float64 on hypothesis-drawn inputs, projected on the same random
directions in both frameworks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing.strategies import arrays, broadcastable_shapes, shapes

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _grad_pairs(outs, inputs, directions, grad_fn, **kwargs):
    """Gradients of Σ⟨outs[k], directions[k]⟩; zeros where an input is unused."""
    pairs = [(o, d) for o, d in zip(outs, directions, strict=True) if o.requires_grad]
    if not pairs:
        return [None] * len(inputs)
    return list(grad_fn([o for o, _ in pairs], list(inputs), [d for _, d in pairs], **kwargs))


def _np(t) -> np.ndarray | None:
    if t is None:
        return None
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else t.numpy()


def _assert_close(ours, theirs, what: str, shape, rtol=1e-9, atol=1e-11):
    ours = np.zeros(shape) if ours is None else ours
    theirs = np.zeros(shape) if theirs is None else theirs
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def check_parity(
    tg_fn: Callable,
    torch_fn: Callable,
    values: list[np.ndarray],
    second_order: bool = True,
    seed: int = 0,
) -> None:
    """Forward, first- and second-order gradients of ``tg_fn`` and ``torch_fn`` agree."""
    xs = [tg.Tensor(v, dtype=tg.float64, requires_grad=True) for v in values]
    ts = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    ours, theirs = tg_fn(*xs), torch_fn(*ts)
    ours = list(ours) if isinstance(ours, (tuple, list)) else [ours]
    theirs = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    assert len(ours) == len(theirs)
    for k, (o, t) in enumerate(zip(ours, theirs, strict=True)):
        assert o.dtype == np.float64
        _assert_close(o.numpy(), _np(t), f"forward output {k}", o.shape)
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in ours]
    g_ours = _grad_pairs(ours, xs, [tg.Tensor(v) for v in vs], _tg_grad, create_graph=True)
    g_theirs = _grad_pairs(
        theirs,
        ts,
        [torch.tensor(v) for v in vs],
        torch.autograd.grad,
        create_graph=True,
        allow_unused=True,
    )
    for i, (a, b) in enumerate(zip(g_ours, g_theirs, strict=True)):
        _assert_close(_np(a), _np(b), f"gradient of input {i}", xs[i].shape)
    if not second_order:
        return
    us = [rng.standard_normal(x.shape) for x in xs]
    h_ours = _grad_pairs(
        [g for g in g_ours if g is not None],
        xs,
        [tg.Tensor(u) for g, u in zip(g_ours, us, strict=True) if g is not None],
        _tg_grad,
    )
    h_theirs = _grad_pairs(
        [g for g in g_theirs if g is not None],
        ts,
        [torch.tensor(u) for g, u in zip(g_theirs, us, strict=True) if g is not None],
        torch.autograd.grad,
        allow_unused=True,
    )
    for i, (a, b) in enumerate(zip(h_ours, h_theirs, strict=True)):
        _assert_close(_np(a), _np(b), f"second-order gradient of input {i}", xs[i].shape)


def _tg_grad(outputs, inputs, grad_outputs, create_graph=False):
    return tg.grad(
        outputs, inputs, grad_outputs=grad_outputs, create_graph=create_graph, allow_unused=True
    )


# ------------------------------------------------------------------------------ unary
@dataclass(frozen=True)
class Op:
    name: str
    ours: Callable
    theirs: Callable
    lo: float = -3.0
    hi: float = 3.0
    kinks: tuple[float, ...] = ()

    def __str__(self) -> str:
        return self.name


UNARY = [
    Op("neg", lambda x: -x, lambda x: -x),
    Op("exp", lambda x: x.exp(), torch.exp),
    Op("log", lambda x: x.log(), torch.log, 0.1, 5.0),
    Op("sqrt", lambda x: x.sqrt(), torch.sqrt, 0.1, 5.0),
    Op("abs", lambda x: x.abs(), torch.abs, kinks=(0.0,)),
    Op("sin", lambda x: x.sin(), torch.sin),
    Op("cos", lambda x: x.cos(), torch.cos),
    Op("tanh", lambda x: x.tanh(), torch.tanh),
    Op("sigmoid", lambda x: x.sigmoid(), torch.sigmoid, -10.0, 10.0),
    Op("relu", lambda x: x.relu(), torch.relu, kinks=(0.0,)),
    Op("leaky_relu", lambda x: x.leaky_relu(0.1), lambda x: F.leaky_relu(x, 0.1), kinks=(0.0,)),
    Op("gelu", lambda x: x.gelu(), F.gelu, -6.0, 6.0),
    Op("gelu_tanh", lambda x: x.gelu("tanh"), lambda x: F.gelu(x, approximate="tanh"), -6, 6),
    Op("softplus", lambda x: x.softplus(), F.softplus, -25.0, 25.0, kinks=(20.0,)),
    Op(
        "softplus_beta",
        lambda x: x.softplus(beta=3.0, threshold=4.0),
        lambda x: F.softplus(x, beta=3.0, threshold=4.0),
        kinks=(4 / 3,),
    ),
    Op("clip", lambda x: x.clip(-1.0, 2.0), lambda x: torch.clamp(x, -1.0, 2.0), kinks=(-1, 2)),
    Op("clip_min", lambda x: x.clamp(min=0.5), lambda x: torch.clamp(x, min=0.5), kinks=(0.5,)),
    Op("pow_3", lambda x: x**3, lambda x: x**3),
    Op("pow_-1.5", lambda x: x**-1.5, lambda x: x**-1.5, 0.2, 4.0),
    Op("rpow", lambda x: 3.0**x, lambda x: 3.0**x),
    Op("rdiv", lambda x: 1.5 / x, lambda x: 1.5 / x, kinks=(0.0,)),
    Op("rsub", lambda x: 1 - x, lambda x: 1 - x),
]


@pytest.mark.parametrize("op", UNARY, ids=str)
@given(data=st.data())
def test_unary_parity(op: Op, data):
    x = data.draw(
        arrays(
            shapes(max_dims=3, max_side=4),
            min_value=op.lo,
            max_value=op.hi,
            kinks=op.kinks,
            margin=0.05,
        )
    )
    check_parity(op.ours, op.theirs, [x])


def test_saturating_functions_at_extremes():
    x = np.array([-1e4, -40.0, -20.5, 0.0, 20.5, 40.0, 1e4])
    for ours, theirs in [
        (lambda x: x.sigmoid(), torch.sigmoid),
        (lambda x: x.softplus(), F.softplus),
        (lambda x: x.tanh(), torch.tanh),
        (lambda x: x.gelu(), F.gelu),
        (lambda x: x.gelu("tanh"), lambda x: F.gelu(x, approximate="tanh")),
    ]:
        check_parity(ours, theirs, [x])


# ------------------------------------------------------------------------------ binary
BINARY = [
    Op("add", lambda a, b: a + b, torch.add),
    Op("sub", lambda a, b: a - b, torch.sub),
    Op("mul", lambda a, b: a * b, torch.mul),
    Op("div", lambda a, b: a / b, torch.div),
    Op("pow", lambda a, b: a**b, torch.pow),
    Op("maximum", lambda a, b: a.maximum(b), torch.maximum),
    Op("minimum", lambda a, b: tg.minimum(a, b), torch.minimum),
]


@pytest.mark.parametrize("op", BINARY, ids=str)
@given(data=st.data())
def test_binary_parity(op: Op, data):
    shape_a, shape_b = data.draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    lo = 0.2 if op.name == "pow" else -3.0
    a = data.draw(arrays(shape_a, min_value=lo, max_value=3.0, distinct=True))
    b = (
        data.draw(
            arrays(shape_b, min_value=-2.0, max_value=2.0, kinks=(0.0,), margin=0.3, distinct=True)
        )
        + 0.01
    )  # never equal to a: no maximum ties
    check_parity(op.ours, op.theirs, [a, b])


def test_ties_split_the_gradient_like_torch():
    a = np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 3.0]])
    b = np.array([[1.0, 0.0, 2.0], [4.0, 3.0, 3.0]])
    check_parity(lambda a, b: a.maximum(b), torch.maximum, [a, b])
    check_parity(lambda a, b: a.minimum(b), torch.minimum, [a, b])
    check_parity(lambda a: a.amax(1), lambda a: torch.amax(a, 1), [a])
    check_parity(lambda a: a.min(), lambda a: torch.amin(a), [a])
    # with a dim, the gradient goes to the one index returned (the first tie)
    check_parity(lambda a: a.max(1).values, lambda a: a.max(1).values, [a])
    check_parity(lambda a: a.min(0).values, lambda a: a.min(0).values, [a])
    check_parity(lambda a: a.max(), lambda a: a.max(), [a])  # full max: ties share, too
    check_parity(lambda a: a.clip(2.0, 3.0), lambda a: torch.clamp(a, 2.0, 3.0), [a])
    check_parity(lambda a: a.relu(), torch.relu, [a - 2.0])
    check_parity(lambda a: a.abs(), torch.abs, [a - 2.0])


@given(data=st.data())
def test_where_parity(data):
    sc, sa, sb = data.draw(broadcastable_shapes(3, max_dims=3, max_side=3))
    cond = np.asarray(data.draw(arrays(sc)) > 0)
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    check_parity(
        lambda a, b: tg.where(cond, a, b),
        lambda a, b: torch.where(torch.from_numpy(cond), a, b),
        [a, b],
    )


@given(data=st.data())
def test_matmul_parity(data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = data.draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    shape_a = (k,) if data.draw(st.booleans()) else batch_a + (n, k)
    shape_b = (k,) if data.draw(st.booleans()) else batch_b + (k, m)
    check_parity(
        lambda a, b: a @ b, torch.matmul, [data.draw(arrays(shape_a)), data.draw(arrays(shape_b))]
    )


# ------------------------------------------------------------------------------ reductions
def _dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    return axis


REDUCTIONS = {
    "sum": (lambda x, a, k: x.sum(a, k), lambda x, a, k: torch.sum(x, _dims(a, x.ndim), k)),
    "mean": (lambda x, a, k: x.mean(a, k), lambda x, a, k: torch.mean(x, _dims(a, x.ndim), k)),
    "amax": (lambda x, a, k: x.amax(a, k), lambda x, a, k: torch.amax(x, _dims(a, x.ndim), k)),
    "amin": (lambda x, a, k: x.amin(a, k), lambda x, a, k: torch.amin(x, _dims(a, x.ndim), k)),
    "var": (
        lambda x, a, k: x.var(a, keepdim=k),
        lambda x, a, k: torch.var(x, _dims(a, x.ndim), keepdim=k),
    ),
    "var0": (
        lambda x, a, k: x.var(a, keepdim=k, correction=0),
        lambda x, a, k: torch.var(x, _dims(a, x.ndim), correction=0, keepdim=k),
    ),
    "std": (
        lambda x, a, k: x.std(a, keepdim=k),
        lambda x, a, k: torch.std(x, _dims(a, x.ndim), keepdim=k),
    ),
    "logsumexp": (
        lambda x, a, k: x.logsumexp(a, k),
        lambda x, a, k: torch.logsumexp(x, _dims(a, x.ndim), k),
    ),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data())
def test_reduction_parity(name, data):
    ours, theirs = REDUCTIONS[name]
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    axis = data.draw(
        st.none()
        | st.integers(-nd, nd - 1)
        | st.lists(st.integers(0, nd - 1), min_size=1, unique=True).map(tuple)
    )
    keepdim = data.draw(st.booleans())
    axes = range(nd) if axis is None else (axis,) if isinstance(axis, int) else axis
    assume(name not in ("var", "std") or np.prod([shape[a] for a in axes]) > 1)
    x = data.draw(arrays(shape, distinct=True))
    check_parity(lambda x: ours(x, axis, keepdim), lambda x: theirs(x, axis, keepdim), [x])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_parity(name, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape, min_value=-10, max_value=10))
    scale = data.draw(st.sampled_from([1.0, 1e3]))  # huge logits too
    check_parity(
        lambda x: getattr(x, name)(axis), lambda x: getattr(torch, name)(x, axis), [x * scale]
    )


# ------------------------------------------------------------------------------ movement
@st.composite
def _movement(draw):
    shape = draw(shapes(min_dims=2, max_dims=3, max_side=3))
    nd = len(shape)
    kind = draw(
        st.sampled_from(
            [
                "reshape",
                "permute",
                "transpose",
                "T",
                "flatten",
                "squeeze",
                "unsqueeze",
                "expand",
                "index",
                "mask",
                "pad",
                "pad_circular",
                "cat",
                "stack",
                "split",
                "chunk",
            ]
        )
    )
    x = draw(arrays(shape))
    if kind == "reshape":
        return (lambda x: x.reshape(-1, shape[-1]), lambda x: x.reshape(-1, shape[-1]), [x])
    if kind == "permute":
        dims = tuple(draw(st.permutations(range(nd))))
        return (lambda x: x.permute(*dims), lambda x: x.permute(*dims), [x])
    if kind == "transpose":
        a, b = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
        return (lambda x: x.transpose(a, b), lambda x: x.transpose(a, b), [x])
    if kind == "T":
        return (lambda x: x.T, lambda x: x.permute(*reversed(range(x.ndim))), [x])
    if kind == "flatten":
        s = draw(st.integers(0, nd - 1))
        return (lambda x: x.flatten(s), lambda x: x.flatten(s), [x])
    if kind == "squeeze":
        y = x.reshape((1,) + shape)
        d = draw(st.integers(0, nd))
        return (lambda x: x.squeeze(d), lambda x: x.squeeze(d), [y])
    if kind == "unsqueeze":
        d = draw(st.integers(-nd - 1, nd))
        return (lambda x: x.unsqueeze(d), lambda x: x.unsqueeze(d), [x])
    if kind == "expand":
        y = x[..., :1]  # a trailing axis of 1 to expand
        target = (2,) + shape[:-1] + (3,)
        return (lambda x: x.expand(*target), lambda x: x.expand(*target), [y])
    if kind == "index":
        rows = np.asarray(
            draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=4))
        )
        return (lambda x: x[rows, ..., 1:], lambda x: x[torch.from_numpy(rows), ..., 1:], [x])
    if kind == "mask":
        mask = draw(arrays(shape[:2])) > 0
        return (lambda x: x[mask], lambda x: x[torch.from_numpy(mask)], [x])
    if kind == "pad":
        pad = tuple(draw(st.lists(st.integers(0, 2), min_size=2, max_size=4)))
        pad = pad[: 2 * (len(pad) // 2)]
        return (lambda x: x.pad(pad, value=0.5), lambda x: F.pad(x, pad, value=0.5), [x])
    if kind == "pad_circular":
        y = x.reshape((1,) + shape) if nd == 2 else x  # torch wants a batch axis
        pad = tuple(draw(st.integers(0, shape[-1])) for _ in range(2))
        pad += tuple(draw(st.integers(0, shape[-2])) for _ in range(2)) if y.ndim == 4 else ()
        return (
            lambda x: x.pad(pad, mode="circular"),
            lambda x: F.pad(x, pad, mode="circular"),
            [y],
        )
    if kind == "cat":
        axis = draw(st.integers(-nd, nd - 1))
        other = draw(arrays(shape))
        return (
            lambda a, b: tg.cat([a, b, a], axis),
            lambda a, b: torch.cat([a, b, a], axis),
            [x, other],
        )
    if kind == "stack":
        axis = draw(st.integers(-nd - 1, nd))
        return (
            lambda a, b: tg.stack([a, b], axis),
            lambda a, b: torch.stack([a, b], axis),
            [x, draw(arrays(shape))],
        )
    if kind == "split":
        size = draw(st.integers(1, shape[-1]))
        return (lambda x: x.split(size, -1), lambda x: torch.split(x, size, -1), [x])
    chunks = draw(st.integers(1, shape[0] + 1))
    return (lambda x: x.chunk(chunks, 0), lambda x: torch.chunk(x, chunks, 0), [x])


@given(case=_movement())
def test_movement_parity(case):
    ours, theirs, values = case
    check_parity(ours, theirs, values)
