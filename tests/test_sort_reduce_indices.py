"""Reductions with indices: max/min with a dim, sort, argsort, topk, kthvalue, median, mode,
cummax/cummin, argmax/argmin, and the GatherAlong/ScatterAddAlong primitives under them.

Forward values and indices against a plain-Python reference of the documented rules (also on
inputs full of ties), against PyTorch (ties included, where PyTorch's choice is specified),
first- and second-order gradient checks on inputs without ties, the named tuples, NaN, empty
and 0-d inputs, dtypes and errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import backend
from tinygrad_cnn.ops.index import GatherAlong, ScatterAddAlong, gather_along
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors


# ------------------------------------------------------------------------------ reference
def _key(v: float) -> tuple:
    """Sort key of the documented order: NaN above every number."""
    return (1, 0.0) if math.isnan(v) else (0, v)


def _stable_order(row: list[float], descending: bool = False) -> list[int]:
    if descending:
        return sorted(range(len(row)), key=lambda i: (_neg(_key(row[i])), i))
    return sorted(range(len(row)), key=lambda i: (_key(row[i]), i))


def _neg(key: tuple) -> tuple:
    return (-key[0], -key[1])


def _ref_max(row, largest=True):
    best = 0
    for i, v in enumerate(row):
        b = row[best]
        if math.isnan(b):
            break
        if math.isnan(v) or (v > b if largest else v < b):
            best = i
    return [best]


def _ref_median(row):
    if any(math.isnan(v) for v in row):
        return [next(i for i, v in enumerate(row) if math.isnan(v))]
    return [_stable_order(row)[(len(row) - 1) // 2]]


def _ref_mode(row):
    """The longest run of equal values in the stable order (NaN equals nothing); the first
    such run (the smallest value); its last element (the value's last occurrence)."""
    order = _stable_order(row)
    best_length, best_end, i = 0, 0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and row[order[j + 1]] == row[order[i]]:
            j += 1
        if j - i + 1 > best_length:
            best_length, best_end = j - i + 1, j
        i = j + 1
    return [order[best_end]]


def _ref_cumulative(row, largest=True):
    out, best = [], 0
    for i, v in enumerate(row):
        b = row[best]
        if math.isnan(v):
            best = i
        elif not math.isnan(b) and (v >= b if largest else v <= b):
            best = i
        out.append(best)
    return out


@dataclass(frozen=True)
class IndexOp:
    name: str
    ours: Callable  # (Tensor, dim) -> (values, indices)
    row_indices: Callable  # (list of floats along dim) -> list of indices (the reference)
    reduces: bool  # the result has size 1 along dim (squeezed unless keepdim)
    keepdim: bool = False
    torch_fn: Callable | None = None  # (torch.Tensor, dim) -> (values, indices)
    torch_ties: bool = True  # PyTorch's index among ties is specified (and we match it)

    def __str__(self) -> str:
        return self.name


def _k(n: int) -> int:
    return min(2, n)


OPS = [
    IndexOp("max", lambda x, d: x.max(d), _ref_max, True, torch_fn=lambda t, d: t.max(d)),
    IndexOp(
        "max_keepdim",
        lambda x, d: x.max(dim=d, keepdim=True),
        _ref_max,
        True,
        keepdim=True,
        torch_fn=lambda t, d: t.max(d, keepdim=True),
    ),
    IndexOp(
        "min",
        lambda x, d: x.min(d),
        lambda r: _ref_max(r, largest=False),
        True,
        torch_fn=lambda t, d: t.min(d),
    ),
    IndexOp(
        "sort",
        lambda x, d: x.sort(d),
        _stable_order,
        False,
        torch_fn=lambda t, d: t.sort(dim=d, stable=True),
    ),
    IndexOp(
        "sort_descending",
        lambda x, d: x.sort(d, descending=True),
        lambda r: _stable_order(r, descending=True),
        False,
        torch_fn=lambda t, d: t.sort(dim=d, descending=True, stable=True),
    ),
    IndexOp(
        "topk",
        lambda x, d: x.topk(_k(x.shape[d]), d),
        lambda r: _stable_order(r, descending=True)[: _k(len(r))],
        False,
        torch_fn=lambda t, d: t.topk(_k(t.shape[d]), d),
        torch_ties=False,
    ),
    IndexOp(
        "topk_smallest",
        lambda x, d: x.topk(_k(x.shape[d]), d, largest=False),
        lambda r: _stable_order(r)[: _k(len(r))],
        False,
        torch_fn=lambda t, d: t.topk(_k(t.shape[d]), d, largest=False),
        torch_ties=False,
    ),
    IndexOp(
        "kthvalue",
        lambda x, d: x.kthvalue(_k(x.shape[d]), d),
        lambda r: [_stable_order(r)[_k(len(r)) - 1]],
        True,
        torch_fn=lambda t, d: t.kthvalue(_k(t.shape[d]), d),
        torch_ties=False,
    ),
    IndexOp(
        "median",
        lambda x, d: x.median(d),
        _ref_median,
        True,
        torch_fn=lambda t, d: t.median(d),
    ),
    IndexOp(
        "median_keepdim",
        lambda x, d: x.median(d, keepdim=True),
        _ref_median,
        True,
        keepdim=True,
        torch_fn=lambda t, d: t.median(d, keepdim=True),
    ),
    IndexOp("mode", lambda x, d: x.mode(d), _ref_mode, True, torch_fn=lambda t, d: t.mode(d)),
    IndexOp(
        "cummax",
        lambda x, d: x.cummax(d),
        _ref_cumulative,
        False,
        torch_fn=lambda t, d: t.cummax(d),
    ),
    IndexOp(
        "cummin",
        lambda x, d: x.cummin(d),
        lambda r: _ref_cumulative(r, largest=False),
        False,
        torch_fn=lambda t, d: t.cummin(d),
    ),
]


def _reference(op: IndexOp, x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and indices of ``op`` by the plain-Python row rule, row by row along ``dim``."""
    moved = np.moveaxis(x, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    index = np.array([op.row_indices(list(map(float, r))) for r in rows], dtype=np.int64)
    index = index.reshape(moved.shape[:-1] + (index.shape[-1],))
    values = np.take_along_axis(moved, index, axis=-1)
    values, index = np.moveaxis(values, -1, dim), np.moveaxis(index, -1, dim)
    if op.reduces and not op.keepdim:
        values, index = values.squeeze(dim), index.squeeze(dim)
    return values, index


@st.composite
def _case(draw, ties: bool, distinct: bool = False, max_side: int = 4):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=max_side))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    if ties:  # few distinct values: many ties in every row
        size = math.prod(shape)
        values = draw(st.lists(st.integers(0, 2), min_size=size, max_size=size))
        x = tg.Tensor(np.array(values, dtype=np.float64).reshape(shape))
    else:
        x = draw(tensors(shape, distinct=distinct, margin=0.05))
    return x, dim


# ------------------------------------------------------------------------------ forward
@pytest.mark.parametrize("op", OPS, ids=str)
@given(data=st.data())
def test_forward_against_the_reference(op: IndexOp, data):
    x, dim = data.draw(_case(ties=data.draw(st.booleans())))
    values, indices = op.ours(x, dim)
    want_values, want_indices = _reference(op, x.numpy(), dim)
    assert indices.dtype == np.int64 and values.dtype == x.dtype
    assert values.shape == want_values.shape and indices.shape == want_indices.shape
    np.testing.assert_array_equal(indices.numpy(), want_indices)
    np.testing.assert_array_equal(values.numpy(), want_values)


@pytest.mark.parametrize("op", OPS, ids=str)
@given(data=st.data())
def test_forward_and_ties_against_torch(op: IndexOp, data):
    torch = pytest.importorskip("torch")
    # rows of at most 16: PyTorch's CPU sort (behind mode) is stable up to that length
    x, dim = data.draw(_case(ties=data.draw(st.booleans()), max_side=5))
    values, indices = op.ours(x, dim)
    t_values, t_indices = op.torch_fn(torch.from_numpy(x.numpy().copy()), dim)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    if op.torch_ties or len(np.unique(x.numpy())) == x.numel():
        np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    else:  # topk/kthvalue: PyTorch's tied index comes from its selection algorithm
        picked = np.take_along_axis(x.numpy(), _expand_to(indices.numpy(), op, dim), dim)
        np.testing.assert_array_equal(picked, _expand_to(values.numpy(), op, dim))


def _expand_to(a: np.ndarray, op: IndexOp, dim: int) -> np.ndarray:
    return np.expand_dims(a, dim) if op.reduces and not op.keepdim else a


@pytest.mark.parametrize("op", OPS, ids=str)
@given(data=st.data())
def test_gradients(op: IndexOp, data):
    x, dim = data.draw(_case(ties=False, distinct=True, max_side=3))
    fn = lambda x: op.ours(x, dim).values  # noqa: E731
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


def test_tied_gradients_go_where_torch_sends_them(torch):
    a = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 1.0, 0.0, 1.0]])
    cases = [
        lambda x: x.max(1).values,
        lambda x: x.min(1).values,
        lambda x: x.max(0).values,
        lambda x: x.median(1).values,
        lambda x: x.mode(1).values,
        lambda x: x.cummax(1).values,
        lambda x: x.cummin(0).values,
        lambda x: x.sort(dim=1, stable=True).values,
        lambda x: x.max(),  # without a dim: ties share, as torch
        lambda x: x.min(),
        lambda x: x.median(),
        lambda x: x.amax(1),
        lambda x: x.amin((0, 1)),
    ]
    rng = np.random.default_rng(0)
    for fn in cases:
        x = tg.Tensor(a, requires_grad=True)
        t = torch.tensor(a, requires_grad=True)
        out, t_out = fn(x), fn(t)
        v = rng.standard_normal(out.shape)
        (out * tg.Tensor(v)).sum().backward()
        (t_out * torch.from_numpy(v)).sum().backward()
        np.testing.assert_allclose(out.numpy(), t_out.detach().numpy())
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_max_with_a_dim_gives_the_first_index_and_the_whole_gradient_to_it():
    x = tg.Tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    assert indices.tolist() == [1, 0] and values.tolist() == [3.0, 2.0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0, 0], [1, 0, 0, 0]])


def test_amax_splits_tied_gradients_evenly():
    x = tg.Tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]], requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5, 0], [0.25] * 4])


# ------------------------------------------------------------------------------ named tuples
def test_the_course_idiom_for_accuracy():
    out = tg.Tensor([[0.1, 2.0, 0.3], [5.0, 0.0, 1.0]])
    labels = tg.Tensor([1, 0])
    _, pred = out.max(1)
    assert pred.tolist() == [1, 0]
    assert (pred == labels).sum().item() == 2
    assert out.max(1)[1].tolist() == [1, 0]
    assert out.max(dim=1).indices.tolist() == [1, 0]
    assert out.max(1).values.tolist() == [2.0, 5.0]
    assert tg.max(out, 1).indices.tolist() == pred.tolist() == out.argmax(1).tolist()
    batch = tg.Tensor(np.eye(10)[np.arange(64) % 10] + 0.5)  # 64 rows, the hot class first
    _, pred = batch.max(1)
    assert pred.shape == (64,) and pred.tolist() == (np.arange(64) % 10).tolist()


@pytest.mark.parametrize(
    "name, call",
    [
        ("max", lambda x: x.max(0)),
        ("min", lambda x: x.min(0)),
        ("sort", lambda x: x.sort()),
        ("topk", lambda x: x.topk(1)),
        ("kthvalue", lambda x: x.kthvalue(1)),
        ("median", lambda x: x.median(0)),
        ("mode", lambda x: x.mode()),
        ("cummax", lambda x: x.cummax(0)),
        ("cummin", lambda x: x.cummin(0)),
    ],
)
def test_named_tuples(name, call):
    result = call(tg.Tensor([2.0, 1.0, 3.0]))
    assert type(result) is getattr(tg.return_types, name)
    assert isinstance(result, tuple) and len(result) == 2
    values, indices = result
    assert values is result.values is result[0] and indices is result.indices is result[1]
    assert repr(result).startswith(f"tinygrad_cnn.return_types.{name}(\nvalues=Tensor(")


def test_functions_match_the_methods():
    x = tg.Tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    pairs = [
        (tg.max(x, 1), x.max(1)),
        (tg.min(x, 0, True), x.min(0, keepdim=True)),
        (tg.sort(x, 0, descending=True), x.sort(0, descending=True)),
        (tg.topk(x, 2), x.topk(2)),
        (tg.kthvalue(x, 2, 0), x.kthvalue(2, 0)),
        (tg.median(x, 1), x.median(1)),
        (tg.mode(x), x.mode()),
        (tg.cummax(x, 1), x.cummax(1)),
        (tg.cummin(x, 0), x.cummin(0)),
    ]
    for got, want in pairs:
        assert type(got) is type(want)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g.numpy(), w.numpy())
    singles = [
        (tg.max(x), x.max()),
        (tg.min(x), x.min()),
        (tg.amax(x, 1), x.amax(1)),
        (tg.amin(x), x.amin()),
        (tg.argmax(x, 1), x.argmax(1)),
        (tg.argmin(x), x.argmin()),
        (tg.argsort(x, 0, True, stable=True), x.argsort(0, descending=True)),
        (tg.median(x), x.median()),
        (tg.max(x, tg.Tensor([4.0, 0.0, 4.0])), x.maximum(tg.Tensor([4.0, 0.0, 4.0]))),
        (tg.min(x, tg.Tensor([4.0, 0.0, 4.0])), x.minimum(tg.Tensor([4.0, 0.0, 4.0]))),
    ]
    for got, want in singles:
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(TypeError, match="sort: input must be a Tensor, got list"):
        tg.sort([3.0, 1.0])


def test_max_and_min_of_another_tensor_are_elementwise(torch):
    a = np.array([[1.0, 4.0], [3.0, 0.0]])
    b = np.array([2.0, 2.0])
    x, y = tg.Tensor(a), tg.Tensor(b)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    np.testing.assert_array_equal(x.max(y).numpy(), ta.max(tb).numpy())
    np.testing.assert_array_equal(x.min(y).numpy(), ta.min(tb).numpy())


# ------------------------------------------------------------------------------ argmax/argmin
@given(data=st.data())
def test_argmax_argmin_are_the_indices_of_max_min(data):
    torch = pytest.importorskip("torch")
    x, dim = data.draw(_case(ties=True))
    keepdim = data.draw(st.booleans())
    t = torch.from_numpy(x.numpy().copy())
    for ours, theirs, extreme in [("argmax", "argmax", "max"), ("argmin", "argmin", "min")]:
        got = getattr(x, ours)(dim, keepdim=keepdim)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.numpy(), getattr(t, theirs)(dim, keepdim=keepdim))
        np.testing.assert_array_equal(
            got.numpy(), getattr(x, extreme)(dim, keepdim=keepdim).indices.numpy()
        )
        flat = getattr(x, ours)()
        assert flat.shape == () and flat.item() == getattr(t, theirs)().item()
        kept = getattr(x, ours)(keepdim=True)
        assert kept.shape == tuple(getattr(t, theirs)(keepdim=True).shape)


# ------------------------------------------------------------------------------ NaN
@pytest.mark.parametrize("op", [o for o in OPS if o.torch_ties], ids=str)
def test_nan_like_torch(op: IndexOp, torch):
    nan = math.nan
    a = np.array([[1.0, nan, 3.0, nan], [nan, 0.0, 0.0, 2.0], [2.0, 1.0, 2.0, 0.0]])
    values, indices = op.ours(tg.Tensor(a), 1)
    t_values, t_indices = op.torch_fn(torch.from_numpy(a), 1)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())


def test_nan_in_topk_kthvalue_median_argmax(torch):
    nan = math.nan
    a = np.array([1.0, nan, 0.0, 3.0])
    x, t = tg.Tensor(a), torch.from_numpy(a)
    for k in range(1, 5):
        for largest in (True, False):
            got, want = x.topk(k, largest=largest), t.topk(k, largest=largest)
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
        np.testing.assert_array_equal(x.kthvalue(k).values.numpy(), t.kthvalue(k).values.numpy())
    assert math.isnan(x.median().item()) and math.isnan(t.median().item())
    assert x.argmax().item() == t.argmax().item() == 1
    assert x.argmin().item() == t.argmin().item() == 1


# ------------------------------------------------------------------------------ edge shapes
@pytest.mark.parametrize("dim", [0, -1])
def test_zero_dimensional_inputs_like_torch(dim, torch):
    x, t = tg.Tensor(2.5, requires_grad=True), torch.tensor(2.5)
    calls = [
        ("max", lambda x: x.max(dim)),
        ("min", lambda x: x.min(dim, keepdim=True)),
        ("sort", lambda x: x.sort(dim)),
        ("topk", lambda x: x.topk(1, dim)),
        ("kthvalue", lambda x: x.kthvalue(1, dim)),
        ("median", lambda x: x.median(dim)),
        ("mode", lambda x: x.mode(dim)),
        ("cummax", lambda x: x.cummax(dim)),
        ("cummin", lambda x: x.cummin(dim)),
    ]
    for name, call in calls:
        (values, indices), (t_values, t_indices) = call(x), call(t)
        assert values.shape == tuple(t_values.shape) == (), name
        assert indices.shape == () and indices.item() == t_indices.item() == 0, name
        assert values.item() == 2.5
        values.backward()
        assert x.grad.item() == 1.0, name
        x.grad = None
    assert x.argmax(dim).shape == () and x.argsort(dim).shape == ()
    assert x.argmax(dim, keepdim=True).item() == 0


def test_empty_inputs_like_torch(torch):
    x, t = tg.zeros(2, 0), torch.zeros(2, 0)
    for call in [
        lambda x: x.sort(1),
        lambda x: x.cummax(1),
        lambda x: x.max(0),
        lambda x: x.topk(0, 1),
        lambda x: x.median(0),
    ]:
        (values, indices), (t_values, t_indices) = call(x), call(t)
        assert values.shape == tuple(t_values.shape) and indices.shape == tuple(t_indices.shape)
        assert indices.dtype == np.int64
    assert math.isnan(tg.zeros(0).median().item()) and math.isnan(torch.zeros(0).median().item())
    for name, call in [
        ("max", lambda x: x.max(1)),
        ("min", lambda x: x.min(-1)),
        ("amax", lambda x: x.amax(1)),
        ("argmax", lambda x: x.argmax(1)),
        ("kthvalue", lambda x: x.kthvalue(1, 1)),
        ("median", lambda x: x.median(1)),
        ("mode", lambda x: x.mode(1)),
    ]:
        with pytest.raises(IndexError):
            call(t)
        with pytest.raises(IndexError, match=f"{name}: expected reduction dim 1 to have non-zero"):
            call(x)
    for name, call in [
        ("max", lambda x: x.max()),
        ("min", lambda x: x.min()),
        ("amax", lambda x: x.amax()),
        ("amin", lambda x: x.amin()),
    ]:
        with pytest.raises(RuntimeError):
            call(t)
        with pytest.raises(RuntimeError, match=f"{name}: cannot reduce the whole empty tensor"):
            call(x)
    with pytest.raises(IndexError):
        torch.zeros(0).argmax()
    with pytest.raises(RuntimeError, match="argmax: cannot reduce the whole empty tensor"):
        tg.zeros(0).argmax()


def test_dtypes():
    i = tg.Tensor([[3, 1, 2], [0, 5, 5]])
    values, indices = i.sort(1)
    assert values.dtype == np.int64 and values.tolist() == [[1, 2, 3], [0, 5, 5]]
    assert indices.tolist() == [[1, 2, 0], [0, 1, 2]]
    assert i.max(1).values.dtype == np.int64 and i.median().item() == 2
    assert i.cummax(1).values.tolist() == [[3, 3, 3], [0, 5, 5]]
    assert tg.Tensor([True, False]).max(0).indices.item() == 0
    f = tg.Tensor([[3.0, 1.0], [2.0, 4.0]], requires_grad=True)
    for result in (f.sort(0), f.topk(1), f.max(1), f.cummin(1), f.median(0), f.mode(0)):
        assert result.values.dtype == np.float32 and result.values.requires_grad
        assert result.indices.dtype == np.int64 and not result.indices.requires_grad


def test_k_out_of_range(torch):
    x, t = tg.zeros(2, 3), torch.zeros(2, 3)
    for k in (-1, 4):
        with pytest.raises(RuntimeError):
            t.topk(k)
        with pytest.raises(RuntimeError, match=rf"topk: k \({k}\) is out of range for dimension"):
            x.topk(k)
    for k in (0, 4):
        with pytest.raises(RuntimeError):
            t.kthvalue(k)
        with pytest.raises(RuntimeError, match=rf"kthvalue: k \({k}\) is out of range"):
            x.kthvalue(k)
    with pytest.raises(TypeError, match="topk: k must be an int, got float"):
        x.topk(1.5)


def test_dim_and_axis_are_aliases():
    x = tg.Tensor([[1.0, 4.0], [3.0, 2.0]])
    assert x.max(axis=1).indices.tolist() == [1, 0]
    assert x.amax(axis=0).tolist() == [3.0, 4.0]
    with pytest.raises(TypeError, match="max: got both dim=1 and axis=0"):
        x.max(1, axis=0)
    with pytest.raises(TypeError, match="max: dim must be an int, got tuple"):
        x.max((0, 1))


# ------------------------------------------------------------------------------ primitives
@given(data=st.data())
def test_gather_and_scatter_add_are_adjoint(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=4))
    dim = data.draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(
        data.draw(st.integers(1, 5)) if d == dim else data.draw(st.integers(1, n))
        for d, n in enumerate(shape)
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    index = tg.Tensor(rng.integers(0, shape[dim], index_shape))  # repeats included
    x = tg.Tensor(rng.standard_normal(shape), requires_grad=True)
    c = tg.Tensor(rng.standard_normal(index_shape), requires_grad=True)
    gathered = GatherAlong.apply(x, index, dim=dim)
    scattered = ScatterAddAlong.apply(c, index, dim=dim, shape=shape)
    # ⟨gather x, c⟩ = ⟨x, scatter c⟩
    np.testing.assert_allclose(
        (gathered * c).sum().item(), (x * scattered).sum().item(), rtol=1e-12
    )
    # the loop definition of the gather
    want = np.empty(index_shape)
    for p in np.ndindex(*index_shape):
        q = list(p)
        q[dim] = int(index.numpy()[p])
        want[p] = x.numpy()[tuple(q)]
    np.testing.assert_array_equal(gathered.numpy(), want)
    fn_g = lambda x: GatherAlong.apply(x, index, dim=dim)  # noqa: E731
    fn_s = lambda c: ScatterAddAlong.apply(c, index, dim=dim, shape=shape)  # noqa: E731
    assert gradcheck(fn_g, [x]) and gradgradcheck(fn_g, [x])
    assert gradcheck(fn_s, [c]) and gradgradcheck(fn_s, [c])


def test_scatter_add_accumulates_repeated_indices():
    out = ScatterAddAlong.apply(
        tg.Tensor([[1.0, 2.0, 4.0]]), tg.Tensor([[0, 0, 2]]), dim=1, shape=(2, 3)
    )
    np.testing.assert_array_equal(out.numpy(), [[3.0, 0.0, 4.0], [0.0, 0.0, 0.0]])


def test_gather_along_checks_its_arguments():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="gather: index must be an integer tensor"):
        gather_along(x, tg.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match="gather: index has 1 dimensions but the input has 2"):
        gather_along(x, tg.Tensor([0]), 1)
    with pytest.raises(RuntimeError, match="larger than the input shape"):
        gather_along(x, tg.Tensor([[0], [0], [0]]), 1)
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 1 with size 3"):
        gather_along(x, tg.Tensor([[3]]), 1)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds"):
        gather_along(x, tg.Tensor([[-1]]), 1)
    np.testing.assert_array_equal(
        gather_along(tg.Tensor([[1.0, 2.0], [3.0, 4.0]]), tg.Tensor([[1], [0]]), 1).numpy(),
        [[2.0], [3.0]],
    )


# ------------------------------------------------------------------------------ CuPy
def _cuda_or_skip() -> None:
    try:
        cupy = backend.cupy_module()
        float(cupy.arange(4, dtype=cupy.float32).sum())  # compiles and runs one kernel
    except Exception as e:  # no CuPy, no device, or a driver that cannot run a kernel
        pytest.skip(f"no usable CUDA GPU: {type(e).__name__}: {e}")


@pytest.mark.parametrize("with_nan", [False, True], ids=["ties", "nan"])
@pytest.mark.parametrize("op", OPS, ids=str)
def test_cuda_matches_cpu(op: IndexOp, with_nan: bool):
    _cuda_or_skip()
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (3, 5, 4)).astype(np.float64)  # many ties
    if with_nan:
        a[rng.random(a.shape) < 0.2] = math.nan
    for dim in range(-3, 3):
        x = tg.Tensor(a, requires_grad=True)
        g = tg.Tensor(a, device="cuda", requires_grad=True)
        (values, indices), (g_values, g_indices) = op.ours(x, dim), op.ours(g, dim)
        assert g_values.device == g_indices.device == "cuda"
        np.testing.assert_array_equal(g_indices.numpy(), indices.numpy())
        np.testing.assert_array_equal(g_values.numpy(), values.numpy())
        v = rng.standard_normal(values.shape)
        (values * tg.Tensor(v)).sum().backward()
        (g_values * tg.Tensor(v, device="cuda")).sum().backward()
        np.testing.assert_allclose(g.grad.numpy(), x.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.add])
def test_the_doubling_scan_is_the_running_ufunc(ufunc):
    # the CuPy fallback of backend.accumulate, checked here on NumPy arrays
    rng = np.random.default_rng(1)
    for shape, axis in [((13,), 0), ((4, 9), 1), ((5, 3, 2), 0), ((2, 0), 1)]:
        x = rng.integers(0, 9, shape).astype(np.float64)
        if x.size:
            x.reshape(-1)[3 % x.size] = math.nan
        want = ufunc.accumulate(x, axis=axis)
        np.testing.assert_array_equal(backend.doubling_scan(ufunc, x, axis), want)
