"""Indexing by index tensors and masks (gather take_along_dim scatter scatter_add scatter_reduce
index_select index_add index_copy index_fill masked_fill masked_select masked_scatter take):
forward against loop-based NumPy references and PyTorch, first- and second-order gradients on
hypothesis-drawn float64 inputs, the zero and tie rules of the gradients, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st
from op_cases import Case, op_tests

import tinygrad_cnn as tg
from tinygrad_cnn.testing.strategies import shapes, tensors


# ------------------------------------------------------------------------------ references
def _np_gather(a, dim, index):
    out = np.empty(index.shape, dtype=a.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = a[tuple(src)]
    return out


def _np_scatter_reduce(a, dim, index, src, reduce, include_self=True):
    out = a.copy()
    groups: dict[tuple, list] = {}
    for pos in np.ndindex(*index.shape):
        dst = list(pos)
        dst[dim] = index[pos]
        groups.setdefault(tuple(dst), []).append(src[pos])
    for dst, values in groups.items():
        values = ([a[dst]] if include_self else []) + values
        fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
        fn["assign"] = lambda v: v[-1]
        out[dst] = fn[reduce](np.asarray(values))
    return out


# ------------------------------------------------------------------------------ strategies
@st.composite
def _along_dim(draw, distinct=False, unique_index=False, smaller=True, kinks=()):
    """(x, dim, index, index_shape) with index within x's size along dim and ≤ elsewhere."""
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    ishape = [draw(st.integers(1, n)) if smaller else n for n in shape]
    ishape[dim] = draw(st.integers(1, 4)) if not unique_index else draw(st.integers(1, shape[dim]))
    ishape = tuple(ishape)
    n = shape[dim]
    if unique_index:  # no position written twice: a permutation slice along dim
        perm = np.asarray(draw(st.permutations(range(n))))[: ishape[dim]]
        shape_b = [1] * nd
        shape_b[dim] = ishape[dim]
        index = np.broadcast_to(perm.reshape(shape_b), ishape).copy()
    else:
        flat = draw(st.lists(st.integers(0, n - 1), min_size=int(np.prod(ishape))))
        index = np.asarray(flat[: int(np.prod(ishape))], dtype=np.int64).reshape(ishape)
    x = draw(tensors(shape, distinct=distinct, kinks=kinks))
    return x, dim, index.astype(np.int64)


@st.composite
def gather_case(draw):
    x, dim, index = draw(_along_dim())
    idx = tg.Tensor(index)
    kind = draw(st.sampled_from(["function", "method"]))
    fn = (
        (lambda x: tg.gather(x, dim, idx)) if kind == "function" else (lambda x: x.gather(dim, idx))
    )
    return Case(
        f"gather({kind}, dim={dim})",
        fn,
        lambda a: _np_gather(a, dim % a.ndim, index),
        lambda torch, t: torch.gather(t, dim, torch.from_numpy(index)),
        [x],
    )


@st.composite
def take_along_dim_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    x = draw(tensors(shape))
    if draw(st.booleans()):
        n = int(np.prod(shape))
        index = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5)))
        return Case(
            "take_along_dim(None)",
            lambda x: tg.take_along_dim(x, tg.Tensor(index)),
            lambda a: a.reshape(-1)[index],
            lambda torch, t: torch.take_along_dim(t, torch.from_numpy(index)),
            [x],
        )
    dim = draw(st.integers(-nd, nd - 1))
    # broadcasting: each other axis of the index is 1 or the input's size
    ishape = [draw(st.sampled_from([1, n])) for n in shape]
    ishape[dim] = draw(st.integers(1, 4))
    k = shape[dim]
    index = np.asarray(
        draw(st.lists(st.integers(0, k - 1), min_size=int(np.prod(ishape)), max_size=64))
    )[: int(np.prod(ishape))].reshape(ishape)
    return Case(
        f"take_along_dim(dim={dim})",
        lambda x: x.take_along_dim(tg.Tensor(index), dim),
        lambda a: np.take_along_axis(a, index, dim),
        lambda torch, t: torch.take_along_dim(t, torch.from_numpy(index), dim),
        [x],
    )


@st.composite
def scatter_case(draw):
    x, dim, index = draw(_along_dim(unique_index=True))
    kind = draw(st.sampled_from(["src", "src_bigger", "value"]))
    idx = tg.Tensor(index)
    if kind == "value":
        v = draw(st.sampled_from([0.0, -1.5, 2.0]))
        return Case(
            f"scatter(dim={dim}, value={v})",
            lambda x: x.scatter(dim, idx, value=v),
            lambda a: _np_scatter_reduce(a, dim % a.ndim, index, np.full(index.shape, v), "assign"),
            lambda torch, t: t.scatter(dim, torch.from_numpy(index), v),
            [x],
        )
    sshape = tuple(n + (kind == "src_bigger") for n in index.shape)
    src = draw(tensors(sshape))
    cut = tuple(slice(0, n) for n in index.shape)
    return Case(
        f"scatter(dim={dim}, {kind})",
        lambda x, s: tg.scatter(x, dim, idx, s),
        lambda a, s: _np_scatter_reduce(a, dim % a.ndim, index, s[cut], "assign"),
        # PyTorch's backward fails for a src larger than the index: compare on the used part
        lambda torch, t, s: torch.scatter(t, dim, torch.from_numpy(index), s[cut]),
        [x, src],
    )


@st.composite
def scatter_reduce_case(draw):
    reduce = draw(st.sampled_from(["add", "sum", "prod", "mean", "amax", "amin"]))
    include_self = draw(st.booleans())
    ties = reduce in ("amax", "amin")
    x, dim, index = draw(_along_dim(distinct=ties, kinks=(0.0,) if reduce == "prod" else ()))
    src = draw(tensors(index.shape, distinct=ties, kinks=(0.0,) if reduce == "prod" else ()))
    if ties:  # x and src values apart from each other too
        src = tg.Tensor(src.numpy() + 0.0123, requires_grad=True)
    idx = tg.Tensor(index)
    if reduce == "add":
        return Case(
            f"scatter_add(dim={dim})",
            lambda x, s: x.scatter_add(dim, idx, s),
            lambda a, s: _np_scatter_reduce(a, dim % a.ndim, index, s, "sum"),
            lambda torch, t, s: torch.scatter_add(t, dim, torch.from_numpy(index), s),
            [x, src],
        )
    return Case(
        f"scatter_reduce(dim={dim}, {reduce}, include_self={include_self})",
        lambda x, s: tg.scatter_reduce(x, dim, idx, s, reduce, include_self=include_self),
        lambda a, s: _np_scatter_reduce(a, dim % a.ndim, index, s, reduce, include_self),
        lambda torch, t, s: t.scatter_reduce(
            dim, torch.from_numpy(index), s, reduce, include_self=include_self
        ),
        [x, src],
    )


@st.composite
def index_case(draw):
    shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    n = shape[dim]
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["select", "add", "copy", "fill", "fill_tensor"]))
    if kind in ("copy", "fill", "fill_tensor"):
        index = np.asarray(draw(st.permutations(range(n))))[: draw(st.integers(1, n))]
        if kind != "copy":  # index_fill alone takes negative indices
            index = (
                index
                - n * np.asarray(draw(st.lists(st.booleans(), min_size=len(index))))[: len(index)]
            )
    else:
        index = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)))
    idx = tg.Tensor(index)
    ti = lambda torch: torch.from_numpy(index)  # noqa: E731
    d = dim % nd
    at = (slice(None),) * d
    if kind == "select":
        return Case(
            f"index_select(dim={dim})",
            lambda x: x.index_select(dim, idx),
            lambda a: np.take(a, index, axis=d),
            lambda torch, t: torch.index_select(t, dim, ti(torch)),
            [x],
        )
    sshape = shape[:d] + (len(index),) + shape[d + 1 :]
    if kind == "add":
        src = draw(tensors(sshape))
        alpha = draw(st.sampled_from([1, -2.5]))

        def ref_add(a, s):
            out = a.copy()
            np.add.at(out, at + (index,), alpha * s)
            return out

        return Case(
            f"index_add(dim={dim}, alpha={alpha})",
            lambda x, s: tg.index_add(x, dim, idx, s, alpha=alpha),
            ref_add,
            lambda torch, t, s: t.index_add(dim, ti(torch), s, alpha=alpha),
            [x, src],
        )
    if kind == "copy":
        src = draw(tensors(sshape))

        def ref_copy(a, s):
            out = a.copy()
            out[at + (index,)] = s
            return out

        return Case(
            f"index_copy(dim={dim})",
            lambda x, s: x.index_copy(dim, idx, s),
            ref_copy,
            lambda torch, t, s: t.index_copy(dim, ti(torch), s),
            [x, src],
        )

    def ref_fill(a, v=1.25):
        out = a.copy()
        out[at + (index,)] = v
        return out

    if kind == "fill":
        return Case(
            f"index_fill(dim={dim})",
            lambda x: tg.index_fill(x, dim, idx, 1.25),
            ref_fill,
            lambda torch, t: t.index_fill(dim, ti(torch), 1.25),
            [x],
        )
    v = tg.Tensor(np.float64(0.75), requires_grad=True)
    return Case(
        f"index_fill(dim={dim}, 0-d tensor)",
        lambda x, v: x.index_fill(dim, idx, v),
        lambda a, v: ref_fill(a, v),
        # PyTorch's backward for a tensor value fails on negative indices: wrapped for it
        lambda torch, t, v: t.index_fill(dim, ti(torch) % n, v),
        [x, v],
    )


@st.composite
def mask_case(draw):
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    # the mask broadcasts with the input: a suffix of its shape with some axes set to 1
    k = draw(st.integers(0, len(shape)))
    mshape = tuple(draw(st.sampled_from([1, n])) for n in shape[len(shape) - k :])
    mask = np.asarray(draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)))))
    mask = mask[: int(np.prod(mshape))].reshape(mshape).astype(bool)
    x = draw(tensors(shape))
    m = tg.Tensor(mask)
    tm = lambda torch: torch.from_numpy(mask)  # noqa: E731
    kind = draw(st.sampled_from(["fill", "fill_tensor", "select", "scatter"]))
    if kind == "fill":
        return Case(
            "masked_fill(number)",
            lambda x: x.masked_fill(m, -0.5),
            lambda a: np.where(mask, -0.5, a),
            lambda torch, t: t.masked_fill(tm(torch), -0.5),
            [x],
        )
    if kind == "fill_tensor":
        v = tg.Tensor(np.float64(2.5), requires_grad=True)
        return Case(
            "masked_fill(0-d tensor)",
            lambda x, v: tg.masked_fill(x, m, v),
            lambda a, v: np.where(mask, v, a),
            lambda torch, t, v: torch.masked_fill(t, tm(torch), v),
            [x, v],
        )
    full = np.broadcast_shapes(shape, mshape)
    if kind == "select":
        return Case(
            "masked_select",
            lambda x: x.masked_select(m),
            lambda a: np.broadcast_to(a, full)[np.broadcast_to(mask, full)],
            lambda torch, t: torch.masked_select(t, tm(torch)),
            [x],
        )
    count = int(np.broadcast_to(mask, full).sum())
    source = draw(tensors((count + draw(st.integers(0, 2)),)))

    def ref_scatter(a, s):
        out = np.array(np.broadcast_to(a, full))
        out[np.broadcast_to(mask, full)] = s[:count]
        return out

    return Case(
        "masked_scatter",
        lambda x, s: x.masked_scatter(m, s),
        ref_scatter,
        lambda torch, t, s: t.masked_scatter(tm(torch), s),
        [x, source],
    )


@st.composite
def take_case(draw):
    shape = draw(shapes(min_dims=0, max_dims=3, max_side=3))
    n = int(np.prod(shape))
    ishape = draw(shapes(min_dims=0, max_dims=2, max_side=3))
    index = np.asarray(
        draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(ishape)), max_size=9))
    )[: int(np.prod(ishape))].reshape(ishape)
    return Case(
        "take",
        lambda x: tg.take(x, tg.Tensor(index)),
        lambda a: a.reshape(-1)[index],
        lambda torch, t: torch.take(t, torch.from_numpy(index)),
        [draw(tensors(shape))],
    )


CASES = {
    "gather": gather_case(),
    "take_along_dim": take_along_dim_case(),
    "scatter": scatter_case(),
    "scatter_reduce": scatter_reduce_case(),
    "index": index_case(),
    "mask": mask_case(),
    "take": take_case(),
}


# ------------------------------------------------------------------------------ tests
# forward against the NumPy reference; gradcheck and gradgradcheck; values and gradients
# against PyTorch: each over every table entry
test_forward_against_numpy, test_gradients, test_torch_parity = op_tests(CASES)


def _prod_grads(lib, x, src, include_self):
    index = lib.tensor([[0, 0, 1], [1, 0, 1]])
    out = x.scatter_reduce(0, index, src, "prod", include_self=include_self)
    return out, index


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_is_exact_at_zeros(torch, include_self):
    """One zero in a group: the others get 0, the zero gets the product of the others; two
    zeros: every gradient of the group is 0 (PyTorch's rule, not NaN from a division)."""
    xa = np.array([[2.0, 0.0, 3.0], [0.5, 4.0, 0.0]])
    sa = np.array([[0.0, 5.0, 1.5], [2.0, 0.0, -1.0]])
    x, s = tg.Tensor(xa, requires_grad=True), tg.Tensor(sa, requires_grad=True)
    tx, ts = torch.tensor(xa, requires_grad=True), torch.tensor(sa, requires_grad=True)
    index = np.array([[0, 0, 1], [1, 0, 1]])
    out = x.scatter_reduce(0, tg.Tensor(index), s, "prod", include_self=include_self)
    tout = tx.scatter_reduce(0, torch.from_numpy(index), ts, "prod", include_self=include_self)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    v = np.arange(1.0, 7.0).reshape(2, 3)
    out.backward(tg.Tensor(v))
    tout.backward(torch.from_numpy(v))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy(), rtol=1e-12)
    assert np.isfinite(s.grad.numpy()).all()


def test_scatter_reduce_amax_splits_the_gradient_among_ties(torch):
    x = tg.Tensor([1.0, 5.0], requires_grad=True)
    src = tg.Tensor([5.0, 5.0, 2.0], requires_grad=True)
    out = x.scatter_reduce(0, tg.Tensor([1, 1, 0]), src, "amax")
    out.backward(tg.Tensor([1.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0])
    np.testing.assert_allclose(src.grad.numpy(), [1.0, 1.0, 1.0])
    tx = torch.tensor([1.0, 5.0], requires_grad=True)
    ts = torch.tensor([5.0, 5.0, 2.0], requires_grad=True)
    tx.scatter_reduce(0, torch.tensor([1, 1, 0]), ts, "amax").backward(torch.tensor([1.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(src.grad.numpy(), ts.grad.numpy())


def test_scatter_add_accumulates_repeats_and_gradient_gathers():
    x = tg.zeros(3, dtype=tg.float64, requires_grad=True)
    src = tg.Tensor([1.0, 2.0, 4.0], dtype=tg.float64, requires_grad=True)
    out = x.scatter_add(0, tg.Tensor([2, 2, 0]), src)
    np.testing.assert_array_equal(out.numpy(), [4.0, 0.0, 3.0])
    out.backward(tg.Tensor([10.0, 20.0, 30.0], dtype=tg.float64))
    np.testing.assert_array_equal(src.grad.numpy(), [30.0, 30.0, 10.0])
    assert out.op.inputs[1].op.name == "ScatterAdd"


def test_masked_fill_value_dtype_and_broadcasting():
    x = tg.Tensor([1, 2, 3])
    out = x.masked_fill(tg.Tensor([True, False, True]), 7.9)
    assert out.dtype == np.int64 and out.tolist() == [7, 2, 7]  # the input's dtype, as PyTorch
    wide = tg.zeros(3).masked_fill(tg.Tensor([[True, False, False], [False, False, True]]), 1.0)
    assert wide.shape == (2, 3) and wide.dtype == np.float32
    v = tg.Tensor(2.0, dtype=tg.float64)
    assert tg.zeros(2).masked_fill(tg.Tensor([True, False]), v).dtype == np.float32


def test_gather_index_dtype_int32_is_accepted_and_keeps_the_shape():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    out = x.gather(1, tg.Tensor(np.array([[1], [0]], dtype=np.int32)))
    assert out.tolist() == [[2.0], [3.0]]


def test_scatter_reduce_on_integers_matches_torch(torch):
    xa = np.array([5, 1, 9])
    sa = np.array([3, 8, 2, 7])
    ia = np.array([0, 0, 2, 2])
    for reduce in ("sum", "prod", "amax", "amin", "mean"):
        out = tg.Tensor(xa).scatter_reduce(0, tg.Tensor(ia), tg.Tensor(sa), reduce)
        t = torch.from_numpy(xa).scatter_reduce(
            0, torch.from_numpy(ia), torch.from_numpy(sa), reduce
        )
        assert out.tolist() == t.tolist(), reduce


# ------------------------------------------------------------------------------ errors
def _x():
    return tg.zeros(2, 3)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: _x().gather(2, tg.zeros(1, 2, dtype=tg.int64)), IndexError,
         r"gather: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
        (lambda: _x().gather(0, tg.Tensor([[5]])), RuntimeError,
         "gather: index 5 is out of bounds for dimension 0 with size 2"),
        (lambda: _x().gather(0, tg.Tensor([[-1]])), RuntimeError, "gather: index -1 is out"),
        (lambda: _x().gather(0, tg.Tensor([[1.0]])), RuntimeError, "gather: expected an int64"),
        (lambda: _x().gather(0, tg.Tensor([1])), RuntimeError, "gather: index .* dimensions"),
        (lambda: _x().gather(0, tg.zeros(1, 4, dtype=tg.int64)), RuntimeError,
         "gather: index .* larger than input"),
        (lambda: _x().scatter(0, tg.zeros(1, 2, dtype=tg.int64), tg.ones(1, 1)), RuntimeError,
         "scatter: index .* no larger than src"),
        (lambda: _x().scatter(0, tg.zeros(1, 2, dtype=tg.int64), tg.ones(2, 3, dtype=tg.float64)),
         RuntimeError, "scatter: expected src to have the input's dtype"),
        (lambda: _x().scatter(0, tg.zeros(1, 2, dtype=tg.int64)), TypeError, "scatter: give src"),
        (lambda: _x().scatter(0, tg.zeros(1, 2, dtype=tg.int64), 1.0, reduce="max"),
         RuntimeError, "scatter: reduce must be"),
        (lambda: _x().scatter_add(-3, tg.zeros(1, 2, dtype=tg.int64), tg.ones(1, 2)),
         IndexError, "scatter_add: dimension out of range"),
        (lambda: _x().scatter_reduce(0, tg.zeros(1, 2, dtype=tg.int64), tg.ones(1, 2), "max"),
         RuntimeError, "scatter_reduce: reduce must be one of sum, prod, mean, amax, amin"),
        (lambda: _x().index_select(0, tg.Tensor([2])), IndexError,
         "index_select: index 2 is out of bounds for dimension 0 with size 2"),
        (lambda: _x().index_select(0, tg.Tensor([[1]])), IndexError,
         "index_select: index should be a vector"),
        (lambda: _x().index_add(0, tg.Tensor([1]), tg.ones(2, 3)), RuntimeError,
         r"index_add: source \(2, 3\) should have shape \(1, 3\)"),
        (lambda: _x().index_add(0, tg.Tensor([3]), tg.ones(1, 3)), RuntimeError,
         "index_add: index 3 is out of bounds"),
        (lambda: _x().index_copy(0, tg.Tensor([-1]), tg.ones(1, 3)), IndexError,
         "index_copy: index -1 is out of bounds"),
        (lambda: _x().index_fill(0, tg.Tensor([-3]), 1.0), IndexError, "index_fill: index -3"),
        (lambda: _x().take_along_dim(tg.Tensor([[-1]]), 0), RuntimeError,
         "take_along_dim: index -1 is out of bounds"),
        (lambda: _x().index_fill(1, tg.Tensor([3]), 2.0), IndexError, "index_fill: index 3"),
        (lambda: _x().index_fill(0, tg.Tensor([1]), tg.ones(1)), RuntimeError,
         "index_fill: the value tensor must be 0-dimensional"),
        (lambda: _x().masked_fill(tg.zeros(3), 1.0), RuntimeError,
         "masked_fill: expected a bool mask, got dtype float32"),
        (lambda: _x().masked_fill(tg.ones(3) > 0, tg.ones(1)), RuntimeError,
         "masked_fill: the value tensor must be 0-dimensional"),
        (lambda: _x().masked_fill(tg.ones(3) > 0, "a"), TypeError,
         "masked_fill: value must be a number"),
        (lambda: _x().masked_fill(tg.ones(4) > 0, 1.0), RuntimeError,
         "masked_fill: shapes .* do not broadcast"),
        (lambda: _x().masked_select(tg.ones(2) > 0), RuntimeError, "masked_select: shapes"),
        (lambda: _x().masked_scatter(tg.ones(3) > 0, tg.ones(5)), RuntimeError,
         "masked_scatter: source has 5 elements but the mask has 6 True values"),
        (lambda: _x().take(tg.Tensor([6])), IndexError,
         "take: index 6 is out of range for a tensor of 6 elements"),
        (lambda: _x().take_along_dim(tg.zeros(2, 1, dtype=tg.int64), 2), IndexError,
         "take_along_dim: dimension out of range"),
        (lambda: _x().take_along_dim(tg.zeros(2, dtype=tg.int64), 0), RuntimeError,
         "take_along_dim: input .* same number of dimensions"),
    ],
)  # fmt: skip
def test_errors_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_error_categories_match_torch(torch):
    """Each bad call above raises the same exception type in PyTorch."""
    x = torch.zeros(2, 3)
    with pytest.raises(IndexError):
        x.gather(2, torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(RuntimeError):
        x.gather(0, torch.tensor([[5]]))
    with pytest.raises(IndexError):
        x.index_select(0, torch.tensor([2]))
    with pytest.raises(RuntimeError):
        x.index_add(0, torch.tensor([3]), torch.ones(1, 3))
    with pytest.raises(IndexError):
        x.index_fill(1, torch.tensor([3]), 2.0)
    with pytest.raises(IndexError):
        x.take(torch.tensor([6]))
    with pytest.raises(RuntimeError):
        x.masked_fill(torch.zeros(3), 1.0)


def test_zero_dim_inputs(torch):
    x = tg.Tensor(3.0, dtype=tg.float64, requires_grad=True)
    assert x.gather(0, tg.Tensor(0)).shape == ()
    assert x.index_select(0, tg.Tensor([0])).shape == ()
    assert x.scatter(0, tg.Tensor(0), tg.Tensor(2.0, dtype=tg.float64)).item() == 2.0
    assert torch.tensor(3.0).gather(0, torch.tensor(0)).shape == ()


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")  # PyTorch deprecates it
def test_scatter_reduce_argument_and_positional_value_match_torch(torch):
    xa = np.arange(6.0).reshape(2, 3) + 1
    ia = np.array([[1, 0, 1]])
    sa = np.array([[2.0, -1.0, 0.5]])
    x, i, s = tg.Tensor(xa), tg.Tensor(ia), tg.Tensor(sa)
    tx, ti, ts = torch.from_numpy(xa), torch.from_numpy(ia), torch.from_numpy(sa)
    for reduce in ("add", "multiply"):
        ours = x.scatter(0, i, s, reduce=reduce)
        np.testing.assert_array_equal(ours.numpy(), tx.scatter(0, ti, ts, reduce=reduce).numpy())
        ours = tg.scatter(x, 0, i, 2.5, reduce=reduce)
        np.testing.assert_array_equal(ours.numpy(), tx.scatter(0, ti, 2.5, reduce=reduce).numpy())
    np.testing.assert_array_equal(x.scatter(1, i, -4.0).numpy(), tx.scatter(1, ti, -4.0).numpy())
