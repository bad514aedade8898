"""Rearranging, triangles and diagonals, products, running reductions and norms (repeat tile
repeat_interleave flip fliplr flipud roll rot90 narrow unbind movedim swapaxes tril triu diag
diagonal trace outer cross kron cumsum cumprod prod norm dist), and the integer-valued queries
(nonzero argwhere unique bincount histc searchsorted bucketize one_hot): forward against NumPy
and PyTorch, first- and second-order gradients on float64 inputs, gradients at zeros, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import Case, op_tests, outs

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors


def _shape(draw, min_dims=1, max_dims=3, max_side=3):
    return draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))


def _dim(draw, nd):
    return draw(st.integers(-nd, nd - 1))


# ------------------------------------------------------------------------------ strategies
@st.composite
def repeat_case(draw):
    shape = _shape(draw, min_dims=0)
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["repeat", "tile", "interleave", "interleave_tensor"]))
    if kind == "repeat":
        sizes = tuple(draw(st.integers(0, 3)) for _ in range(len(shape) + draw(st.integers(0, 1))))
        return Case(
            f"repeat{sizes}",
            lambda x: x.repeat(*sizes),
            lambda a: np.tile(a, sizes),
            lambda torch, t: t.repeat(sizes),
            [x],
        )
    if kind == "tile":
        dims = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 3))))
        return Case(
            f"tile{dims}",
            lambda x: tg.tile(x, dims),
            lambda a: np.tile(a, dims),
            lambda torch, t: torch.tile(t, dims),
            [x],
        )
    dim = None if not shape or draw(st.booleans()) else _dim(draw, len(shape))
    n = int(np.prod(shape)) if dim is None else shape[dim]
    if kind == "interleave":
        r = draw(st.integers(0, 3))
        return Case(
            f"repeat_interleave({r}, dim={dim})",
            lambda x: x.repeat_interleave(r, dim),
            lambda a: np.repeat(a, r, axis=dim),
            lambda torch, t: t.repeat_interleave(r, dim),
            [x],
        )
    counts = np.asarray(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    return Case(
        f"repeat_interleave({counts.tolist()}, dim={dim})",
        lambda x: tg.repeat_interleave(x, tg.Tensor(counts), dim),
        lambda a: np.repeat(a, counts, axis=dim),
        lambda torch, t: torch.repeat_interleave(t, torch.from_numpy(counts), dim),
        [x],
    )


@st.composite
def flip_case(draw):
    shape = _shape(draw)
    nd = len(shape)
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["flip", "fliplr", "flipud", "roll", "roll_flat", "rot90"]))
    if kind == "flip":
        dims = tuple(draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)))
        return Case(
            f"flip{dims}",
            lambda x: x.flip(*dims) if dims else x.flip(dims),
            lambda a: np.flip(a, dims),
            lambda torch, t: torch.flip(t, dims),
            [x],
        )
    if kind == "fliplr" and nd >= 2:
        return Case("fliplr", tg.fliplr, np.fliplr, lambda torch, t: torch.fliplr(t), [x])
    if kind in ("fliplr", "flipud"):
        return Case("flipud", lambda x: x.flipud(), np.flipud, lambda torch, t: t.flipud(), [x])
    if kind == "roll":
        dims = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd)))
        shifts = tuple(draw(st.integers(-4, 4)) for _ in dims)
        return Case(
            f"roll({shifts}, {dims})",
            lambda x: x.roll(shifts, dims),
            lambda a: np.roll(a, shifts, dims),
            lambda torch, t: torch.roll(t, shifts, dims),
            [x],
        )
    if kind == "roll_flat" or nd < 2:
        s = draw(st.integers(-7, 7))
        return Case(
            f"roll({s})",
            lambda x: tg.roll(x, s),
            lambda a: np.roll(a, s),
            lambda torch, t: torch.roll(t, s),
            [x],
        )
    k = draw(st.integers(-5, 5))
    dims = tuple(
        draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=lambda d: d % nd))
    )
    return Case(
        f"rot90({k}, {dims})",
        lambda x: x.rot90(k, dims),
        lambda a: np.rot90(a, k, dims),
        lambda torch, t: torch.rot90(t, k, dims),
        [x],
    )


@st.composite
def select_case(draw):
    shape = _shape(draw)
    nd = len(shape)
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["narrow", "unbind", "movedim", "movedim_seq", "swapaxes"]))
    dim = _dim(draw, nd)
    if kind == "narrow":
        n = shape[dim]
        start = draw(st.integers(-n, n))
        s = start + n if start < 0 else start
        length = draw(st.integers(0, n - s))
        at = (slice(None),) * (dim % nd) + (slice(s, s + length),)
        return Case(
            f"narrow({dim}, {start}, {length})",
            lambda x: x.narrow(dim, start, length),
            lambda a: a[at],
            lambda torch, t: torch.narrow(t, dim, start, length),
            [x],
        )
    if kind == "unbind":
        return Case(
            f"unbind({dim})",
            lambda x: tg.unbind(x, dim),
            lambda a: tuple(np.moveaxis(a, dim, 0)),
            lambda torch, t: torch.unbind(t, dim),
            [x],
        )
    if kind == "movedim":
        dst = _dim(draw, nd)
        return Case(
            f"movedim({dim}, {dst})",
            lambda x: x.movedim(dim, dst),
            lambda a: np.moveaxis(a, dim, dst),
            lambda torch, t: torch.movedim(t, dim, dst),
            [x],
        )
    if kind == "movedim_seq":
        k = draw(st.integers(1, nd))
        src = draw(st.permutations(range(nd)))[:k]
        dst = draw(st.permutations(range(nd)))[:k]
        return Case(
            f"moveaxis({src}, {dst})",
            lambda x: tg.moveaxis(x, src, dst),
            lambda a: np.moveaxis(a, src, dst),
            lambda torch, t: torch.moveaxis(t, src, dst),
            [x],
        )
    other = _dim(draw, nd)
    method = draw(st.booleans())
    return Case(
        f"swapaxes({dim}, {other})",
        (lambda x: x.swapaxes(dim, other)) if method else (lambda x: tg.swapdims(x, dim, other)),
        lambda a: np.swapaxes(a, dim, other),
        lambda torch, t: torch.swapaxes(t, dim, other),
        [x],
    )


@st.composite
def triangle_case(draw):
    kind = draw(st.sampled_from(["tril", "triu", "diag1", "diag2", "diagonal", "trace"]))
    if kind == "diag1":
        n = draw(st.integers(1, 4))
        k = draw(st.integers(-3, 3))
        return Case(
            f"diag(1-d, {k})",
            lambda x: x.diag(k),
            lambda a: np.diag(a, k),
            lambda torch, t: torch.diag(t, k),
            [draw(tensors((n,)))],
        )
    if kind in ("diag2", "trace"):
        x = draw(tensors(_shape(draw, 2, 2, 4)))
        if kind == "trace":
            return Case("trace", tg.trace, np.trace, lambda torch, t: torch.trace(t), [x])
        k = draw(st.integers(-4, 4))
        return Case(
            f"diag(2-d, {k})",
            lambda x: tg.diag(x, k),
            lambda a: np.diag(a, k),
            lambda torch, t: torch.diag(t, k),
            [x],
        )
    shape = _shape(draw, 2, 4)
    x = draw(tensors(shape))
    k = draw(st.integers(-3, 3))
    if kind == "diagonal":
        nd = len(shape)
        d1, d2 = draw(
            st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2, unique_by=lambda d: d % nd)
        )
        return Case(
            f"diagonal({k}, {d1}, {d2})",
            lambda x: x.diagonal(k, d1, d2),
            lambda a: np.diagonal(a, k, d1, d2),
            lambda torch, t: torch.diagonal(t, k, d1, d2),
            [x],
        )
    ref = np.tril if kind == "tril" else np.triu
    return Case(
        f"{kind}({k})",
        (lambda x: x.tril(k)) if kind == "tril" else (lambda x: tg.triu(x, k)),
        lambda a: ref(a, k),
        lambda torch, t: getattr(torch, kind)(t, k),
        [x],
    )


@st.composite
def product_case(draw):
    kind = draw(
        st.sampled_from(["outer", "cross", "kron", "cumsum", "cumprod", "prod", "prod_all"])
    )
    if kind == "outer":
        a, b = draw(tensors((draw(st.integers(1, 4)),))), draw(tensors((draw(st.integers(1, 4)),)))
        return Case("outer", tg.outer, np.outer, lambda torch, a, b: torch.outer(a, b), [a, b])
    if kind == "cross":
        shape = list(_shape(draw))
        dim = _dim(draw, len(shape))
        shape[dim] = 3
        a, b = draw(tensors(tuple(shape))), draw(tensors(tuple(shape)))
        return Case(
            f"cross(dim={dim})",
            lambda a, b: a.cross(b, dim),
            lambda a, b: np.cross(a, b, axis=dim),
            lambda torch, a, b: torch.cross(a, b, dim),
            [a, b],
        )
    if kind == "kron":
        a, b = draw(tensors(_shape(draw, 0, 2))), draw(tensors(_shape(draw, 0, 3)))
        return Case("kron", tg.kron, np.kron, lambda torch, a, b: torch.kron(a, b), [a, b])
    shape = _shape(draw, max_side=5)
    # values of modest size, some of them exactly zero (products stay exact there)
    x = draw(tensors(shape, min_value=-1.5, max_value=1.5))
    if kind == "prod_all":
        return Case("prod()", lambda x: x.prod(), np.prod, lambda torch, t: t.prod(), [x])
    dim = _dim(draw, len(shape))
    if kind == "prod":
        keep = draw(st.booleans())
        return Case(
            f"prod({dim}, keepdim={keep})",
            lambda x: tg.prod(x, dim, keep),
            lambda a: np.prod(a, axis=dim, keepdims=keep),
            lambda torch, t: torch.prod(t, dim, keep),
            [x],
        )
    ref = np.cumsum if kind == "cumsum" else np.cumprod
    return Case(
        f"{kind}({dim})",
        lambda x: getattr(x, kind)(dim),
        lambda a: ref(a, axis=dim),
        lambda torch, t: getattr(torch, kind)(t, dim),
        [x],
    )


@st.composite
def norm_case(draw):
    shape = _shape(draw, 0)
    nd = len(shape)
    p = draw(st.sampled_from([2, "fro", 1, 3, 1.5, math.inf, -math.inf]))
    # |x| of distinct sizes (no ties for the inf norms) and away from 0 (the kink of |x|)
    x = draw(tensors(shape, distinct=True, kinks=(0.0,), margin=0.07))
    if draw(st.booleans()) and nd:
        dim = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
        dim = dim[0] if len(dim) == 1 else dim
    else:
        dim = None
    keep = draw(st.booleans())
    if p in (math.inf, -math.inf):  # |x| distinct: shift the drawn values apart by sign
        x = tg.Tensor(np.where(x.numpy() > 0, x.numpy(), x.numpy() - 0.013), requires_grad=True)
    ord_ = 2 if p == "fro" else p

    def ref(a):
        axes = tuple(range(a.ndim)) if dim is None else dim
        v = np.abs(a)
        if ord_ == math.inf:
            return np.max(v, axis=axes, keepdims=keep)
        if ord_ == -math.inf:
            return np.min(v, axis=axes, keepdims=keep)
        return np.sum(v**ord_, axis=axes, keepdims=keep) ** (1 / ord_)

    if dim is None and not keep and draw(st.booleans()):
        y = tg.Tensor(np.zeros(shape), requires_grad=True)  # x - y = x: the drawn values
        return Case(
            f"dist(p={p})",
            lambda x, y: tg.dist(x, y, ord_),
            lambda a, b: ref(a - b),
            lambda torch, a, b: torch.dist(a, b, ord_),
            [x, y],
        )
    return Case(
        f"norm(p={p}, dim={dim}, keepdim={keep})",
        lambda x: tg.norm(x, p, dim, keep),
        ref,
        lambda torch, t: torch.linalg.vector_norm(t, ord_, dim, keep),
        [x],
    )


CASES = {
    "repeat": repeat_case(),
    "flip": flip_case(),
    "select": select_case(),
    "triangle": triangle_case(),
    "product": product_case(),
    "norm": norm_case(),
}


# ------------------------------------------------------------------------------ tests
# forward against the NumPy reference; gradcheck and gradgradcheck; values and gradients
# against PyTorch: each over every table entry
test_forward_against_numpy, test_gradients, test_torch_parity = op_tests(CASES)


# ------------------------------------------------------------------------------ zeros
@pytest.mark.parametrize(
    "values",
    [[2.0, 0.0, 3.0, -1.5], [0.0, 4.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0], [1.5, -2.0, 0.5, 3.0]],
)
@pytest.mark.parametrize("op", ["prod", "cumprod"])
def test_products_are_exact_at_zeros_first_and_second_order(torch, op, values):
    """One zero: only it gets a gradient (the product of the others); two zeros: all 0.
    Second order as well, against PyTorch (both compose exact products)."""
    fn = (lambda x: x.prod()) if op == "prod" else (lambda x: (x.cumprod(0) * w).sum())
    w_np = np.array([1.0, -2.0, 0.5, 3.0])
    w, tw = tg.Tensor(w_np), torch.from_numpy(w_np)
    tfn = (lambda t: t.prod()) if op == "prod" else (lambda t: (t.cumprod(0) * tw).sum())
    x = tg.Tensor(np.array(values), requires_grad=True)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (g,) = tg.grad(fn(x), [x], create_graph=True)
    (tgr,) = torch.autograd.grad(tfn(t), [t], create_graph=True)
    np.testing.assert_allclose(g.numpy(), tgr.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = np.array([0.3, -1.0, 2.0, 0.7])
    (h,) = tg.grad(g, [x], tg.Tensor(v))
    (th,) = torch.autograd.grad(tgr, [t], torch.from_numpy(v))
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(fn, [x]) and gradgradcheck(fn, [x])


@pytest.mark.parametrize("p", [2, 1.5, 3, 1, 0.5, math.inf])
@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [0.0, -2.0, 1.0]])
def test_norm_gradient_at_zero_is_zero(torch, p, values):
    x = tg.Tensor(values, dtype=tg.float64, requires_grad=True)
    with np.errstate(all="raise"):  # no 0·∞ on the way
        x.norm(p).backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    t.norm(p).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert not np.isnan(x.grad.numpy()).any()
    y = tg.Tensor([[0.0, 0.0], [3.0, 4.0]], dtype=tg.float64, requires_grad=True)
    y.norm(dim=1).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])


def test_norm_p0_counts_nonzeros_and_integer_dtypes():
    assert tg.Tensor([0.0, 2.0, -1.0]).norm(0).item() == 2.0
    assert tg.Tensor([True, False, True]).cumsum(0).dtype == np.int64
    assert tg.Tensor(np.array([2, 3], dtype=np.int32)).prod().dtype == np.int64
    assert tg.Tensor([2, 3]).prod(0, dtype=tg.float64).dtype == np.float64


# ------------------------------------------------------------------------------ queries
def test_nonzero_argwhere(torch):
    a = np.array([[0, 1, 0], [2, 0, 3]])
    out = tg.nonzero(tg.Tensor(a))
    assert out.dtype == np.int64
    assert out.tolist() == torch.nonzero(torch.from_numpy(a)).tolist()
    rows, cols = tg.Tensor(a).nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    assert tg.argwhere(tg.Tensor(a)).tolist() == torch.argwhere(torch.from_numpy(a)).tolist()
    assert tg.nonzero(tg.Tensor(5.0)).shape == (1, 0)
    assert tg.nonzero(tg.Tensor(0.0)).shape == (0, 0)


@given(
    st.lists(st.integers(-3, 3), min_size=1, max_size=12),
    st.booleans(),
    st.booleans(),
)
def test_unique_matches_torch(values, inverse, counts):
    torch = pytest.importorskip("torch")
    a = np.asarray(values).reshape(-1, 1) if len(values) % 2 else np.asarray(values).reshape(2, -1)
    ours = outs(tg.unique(tg.Tensor(a), return_inverse=inverse, return_counts=counts))
    theirs = outs(torch.unique(torch.from_numpy(a), return_inverse=inverse, return_counts=counts))
    for o, t in zip(ours, theirs, strict=True):
        assert o.tolist() == t.tolist() and o.dtype == np.int64
    ours = outs(tg.Tensor(a).unique(dim=0, return_inverse=True, return_counts=True))
    theirs = torch.unique(torch.from_numpy(a), dim=0, return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs, strict=True):
        assert o.tolist() == t.tolist()


def test_bincount_histc(torch):
    a = np.array([0, 3, 3, 1])
    assert tg.bincount(tg.Tensor(a)).tolist() == [1, 1, 0, 2]
    assert (
        tg.Tensor(a).bincount(minlength=6).tolist()
        == torch.from_numpy(a).bincount(minlength=6).tolist()
    )
    w = np.array([0.5, 1.0, 2.0, 4.0], dtype=np.float32)
    out = tg.bincount(tg.Tensor(a), tg.Tensor(w))
    ref = torch.bincount(torch.from_numpy(a), torch.from_numpy(w))
    assert out.dtype == np.float32 and out.tolist() == ref.tolist()
    assert tg.bincount(tg.Tensor(a), tg.Tensor([1, 2, 3, 4])).dtype == np.float64
    x = np.array([1.0, 2.0, 1.0, 3.0, -7.0, 2.5], dtype=np.float32)
    for bins, lo, hi in [(4, 0, 3), (4, 0, 0), (3, 1, 2.5), (100, 0, 0)]:
        ours = tg.histc(tg.Tensor(x), bins, lo, hi)
        theirs = torch.histc(torch.from_numpy(x), bins, lo, hi)
        assert ours.dtype == np.float32 and ours.tolist() == theirs.tolist(), (bins, lo, hi)


@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=8).map(sorted),
    st.lists(st.integers(-6, 6), min_size=1, max_size=6),
    st.booleans(),
)
def test_searchsorted_bucketize_match_torch(boundaries, values, right):
    torch = pytest.importorskip("torch")
    b, v = np.asarray(boundaries), np.asarray(values)
    ours = tg.searchsorted(tg.Tensor(b), tg.Tensor(v), right=right)
    theirs = torch.searchsorted(torch.from_numpy(b), torch.from_numpy(v), right=right)
    assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    side = "right" if right else "left"
    assert tg.searchsorted(tg.Tensor(b), tg.Tensor(v), side=side).tolist() == theirs.tolist()
    ours = tg.bucketize(tg.Tensor(v), tg.Tensor(b), right=right, out_int32=True)
    theirs = torch.bucketize(torch.from_numpy(v), torch.from_numpy(b), right=right)
    assert ours.dtype == np.int32 and ours.tolist() == theirs.tolist()
    rows = np.stack([b, b + 1])
    vv = np.stack([v, v])
    ours = tg.searchsorted(tg.Tensor(rows), tg.Tensor(vv), right=right)
    theirs = torch.searchsorted(torch.from_numpy(rows), torch.from_numpy(vv), right=right)
    assert ours.tolist() == theirs.tolist()
    assert (
        tg.searchsorted(tg.Tensor(b), 2).tolist()
        == torch.searchsorted(torch.from_numpy(b), 2).tolist()
    )


def test_one_hot(torch):
    labels = np.array([[0, 2], [1, 1]])
    out = F.one_hot(tg.Tensor(labels))
    ref = torch.nn.functional.one_hot(torch.from_numpy(labels))
    assert out.dtype == np.int64 and out.tolist() == ref.tolist()
    assert F.one_hot(tg.Tensor([1]), 4).tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(tg.Tensor(2), 3).tolist() == [0, 0, 1]


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: tg.zeros(2, 3).repeat(2), RuntimeError, "repeat: the number of repeat dims"),
        (lambda: tg.zeros(2).repeat_interleave(tg.Tensor([1, 2, 3])), RuntimeError,
         "repeat_interleave: repeats has 3 counts for 2 elements"),
        (lambda: tg.zeros(2).repeat_interleave(-1), RuntimeError, "repeat_interleave: .*negative"),
        (lambda: tg.zeros(2, 3).flip(2), IndexError,
         r"flip: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
        (lambda: tg.zeros(2, 3).flip(0, 0), RuntimeError, "flip: dim .* multiple times"),
        (lambda: tg.zeros(3).fliplr(), RuntimeError, "fliplr: input must be at least 2-d"),
        (lambda: tg.zeros(2, 3).roll(1, 2), IndexError, "roll: dimension out of range"),
        (lambda: tg.zeros(2, 3).roll((1, 2), 0), RuntimeError, "roll: shifts .* same length"),
        (lambda: tg.zeros(2, 3).rot90(1, (0, 0)), RuntimeError, "rot90: dim .* multiple times"),
        (lambda: tg.zeros(3).rot90(), RuntimeError, "rot90: expected total dims >= 2"),
        (lambda: tg.zeros(2, 3).narrow(1, 2, 2), RuntimeError,
         r"narrow: start \(2\) \+ length \(2\) exceeds dimension size \(3\)"),
        (lambda: tg.zeros(2, 3).narrow(1, 4, 0), IndexError, "narrow: start 4 is out of range"),
        (lambda: tg.zeros(2, 3).unbind(2), IndexError, "unbind: dimension out of range"),
        (lambda: tg.zeros(2, 3).movedim(0, 3), IndexError, "movedim: dimension out of range"),
        (lambda: tg.zeros(2, 3).movedim((0, 1), 0), RuntimeError, "movedim: source .* must match"),
        (lambda: tg.zeros(2, 3).swapaxes(0, -3), IndexError, "swapaxes: dimension out of range"),
        (lambda: tg.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2"),
        (lambda: tg.zeros(2, 2, 2).diag(), RuntimeError, "diag: input must be 1-d or 2-d"),
        (lambda: tg.zeros(2, 3).diagonal(0, 1, 1), RuntimeError, "diagonal: dimensions cannot"),
        (lambda: tg.zeros(3).trace(), RuntimeError, "trace: expected a matrix"),
        (lambda: tg.zeros(2, 3).outer(tg.zeros(2)), RuntimeError, "outer: expected two 1-d"),
        (lambda: tg.zeros(2, 4).cross(tg.zeros(2, 4)), RuntimeError, "cross: no dimension of"),
        (lambda: tg.zeros(3, 4).cross(tg.zeros(3, 4), 1), RuntimeError,
         "cross: inputs dimension 1 must have length 3"),
        (lambda: tg.zeros(2, 3).cumsum(2), IndexError, "cumsum: dimension out of range"),
        (lambda: tg.zeros(2, 3).cumprod(-3), IndexError, "cumprod: dimension out of range"),
        (lambda: tg.zeros(2, 3).prod(5), IndexError, "prod: dimension out of range"),
        (lambda: tg.zeros(2, 3).norm(dim=2), IndexError, "norm: dimension out of range"),
        (lambda: tg.zeros(2, 3).norm("nuc"), RuntimeError, "norm: p must be a number or 'fro'"),
        (lambda: tg.Tensor([1, 2]).norm(), RuntimeError, "norm: expected a floating point"),
        (lambda: tg.Tensor([[1, 2]]).bincount(), RuntimeError, "bincount: only 1-d non-negative"),
        (lambda: tg.Tensor([-1, 2]).bincount(), RuntimeError, "bincount: input must be non-neg"),
        (lambda: tg.Tensor([1, 2]).bincount(tg.zeros(3)), RuntimeError, "bincount: weights"),
        (lambda: tg.zeros(3).histc(0), RuntimeError, "histc: bins must be > 0"),
        (lambda: tg.zeros(3).histc(3, 2, 1), RuntimeError, "histc: max .* larger than min"),
        (lambda: tg.searchsorted(tg.zeros(2, 3), tg.zeros(3, 1)), RuntimeError,
         "searchsorted: boundaries .* same leading dimensions"),
        (lambda: tg.searchsorted(tg.zeros(3), tg.zeros(1), side="up"), RuntimeError,
         "searchsorted: side must be"),
        (lambda: tg.bucketize(tg.zeros(1), tg.zeros(2, 2)), RuntimeError,
         "bucketize: boundaries must be 1-d"),
        (lambda: F.one_hot(tg.Tensor([1.0])), RuntimeError, "one_hot: expected an int64 index"),
        (lambda: F.one_hot(tg.Tensor([-1])), RuntimeError, "one_hot: class values must be non-neg"),
        (lambda: F.one_hot(tg.Tensor([3]), 3), RuntimeError,
         r"one_hot: class values must be smaller than num_classes \(3\), got 3"),
        (lambda: F.one_hot(tg.Tensor(np.zeros(0, dtype=np.int64))), RuntimeError,
         "one_hot: can not infer"),
    ],
)  # fmt: skip
def test_errors_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()
