"""einsum on hypothesis-drawn equations (repeated labels, ellipsis with broadcasting, implicit
and explicit outputs, one to three operands) against np.einsum and torch.einsum, to first and
second order; tensordot, matmul, mm, bmm, mv, dot, meshgrid, cdist; the errors."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import tensors


@st.composite
def einsum_case(draw):
    """(equation, operands) with letters from 'abcd' of sizes 1..3."""
    size = {c: draw(st.integers(1, 3)) for c in "abcd"}
    use_ellipsis = draw(st.booleans())
    ell = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if use_ellipsis else ()
    n = draw(st.integers(1, 3))
    terms, operands = [], []
    for _ in range(n):
        letters = draw(st.lists(st.sampled_from("abcd"), max_size=3))
        if use_ellipsis and draw(st.booleans()):
            # this operand's ellipsis: a suffix of the common one, some axes set to 1
            k = draw(st.integers(0, len(ell)))
            mine = tuple(draw(st.sampled_from([1, m])) for m in ell[len(ell) - k :])
            cut = draw(st.integers(0, len(letters)))
            terms.append("".join(letters[:cut]) + "..." + "".join(letters[cut:]))
            shape = tuple(size[c] for c in letters[:cut]) + mine
            shape += tuple(size[c] for c in letters[cut:])
        else:
            terms.append("".join(letters))
            shape = tuple(size[c] for c in letters)
        operands.append(draw(tensors(shape, min_value=-2.0, max_value=2.0)))
    eq = ",".join(terms)
    if draw(st.booleans()):  # explicit output: distinct used letters in any order
        used = sorted({c for t in terms for c in t if c.isalpha()})
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        out = "".join(out)
        if any("..." in t for t in terms):
            cut = draw(st.integers(0, len(out)))
            out = out[:cut] + "..." + out[cut:]
        eq += "->" + out
    return eq, operands


@given(einsum_case())
def test_einsum_forward_against_numpy(case):
    eq, xs = case
    out = tg.einsum(eq, *xs)
    expected = np.einsum(eq, *[x.numpy() for x in xs])
    assert out.shape == expected.shape, eq
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12, err_msg=eq)


@given(einsum_case())
def test_einsum_gradients(case):
    eq, xs = case
    assert gradcheck(lambda *xs: tg.einsum(eq, *xs), xs)
    assert gradgradcheck(lambda *xs: tg.einsum(eq, *xs), xs)


@given(einsum_case())
def test_einsum_matches_torch(case):
    torch = pytest.importorskip("torch")
    eq, xs = case
    out = tg.einsum(eq, xs)  # operands as one list, too
    ts = [torch.tensor(x.numpy().copy(), requires_grad=True) for x in xs]
    expected = torch.einsum(eq, *ts)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(1).standard_normal(out.shape)
    grads = tg.grad(out, xs, tg.Tensor(v), allow_unused=True)
    tgrads = torch.autograd.grad(expected, ts, torch.from_numpy(v), allow_unused=True)
    for g, tgr, x in zip(grads, tgrads, xs, strict=True):
        g = np.zeros(x.shape) if g is None else g.numpy()
        tgr = np.zeros(x.shape) if tgr is None else tgr.numpy()
        np.testing.assert_allclose(g, tgr, rtol=1e-10, atol=1e-12, err_msg=eq)


def test_einsum_common_forms():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    m = rng.standard_normal((4, 4))
    for eq, ops in [
        ("bij,bjk->bik", [a, b]),
        ("ii", [m]),
        ("ii->i", [m]),
        ("ij->ji", [m]),
        ("...ij,...jk", [a, b]),
        ("b i j , b j k -> b k", [a, b]),
        ("i,i->", [m[0], m[1]]),
        ("ij,kj->ik", [m, m]),
    ]:
        out = tg.einsum(eq, *[tg.Tensor(o) for o in ops])
        np.testing.assert_allclose(out.numpy(), np.einsum(eq.replace(" ", ""), *ops), rtol=1e-12)
    # the sublist form
    out = tg.einsum(tg.Tensor(a), [0, 1, 2], tg.Tensor(b), [0, 2, 3], [0, 1, 3])
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    out = tg.einsum(tg.Tensor(a), [..., 1, 2], tg.Tensor(m[:, :3]), [2, 1])
    np.testing.assert_allclose(out.numpy(), np.einsum("...ij,ji", a, m[:, :3]), rtol=1e-12)
    # a matrix product goes through one matmul, not a broadcast (i, j, k) product
    out = tg.einsum("ij,jk->ik", tg.Tensor(m, requires_grad=True), tg.Tensor(m))
    assert out.op.name != "Sum"


# ------------------------------------------------------------------------------ named products
@st.composite
def product_case(draw):
    kind = draw(st.sampled_from(["tensordot_int", "tensordot_pairs", "mm", "bmm", "mv", "dot"]))
    n, m, p, b = (draw(st.integers(1, 3)) for _ in range(4))
    if kind == "tensordot_int":
        d = draw(st.integers(0, 2))
        common = tuple(draw(st.integers(1, 3)) for _ in range(d))
        a = draw(tensors((n,) + common))
        c = draw(tensors(common + (p,)))
        return (lambda a, c: tg.tensordot(a, c, d)), (lambda a, c: np.tensordot(a, c, d)), [a, c]
    if kind == "tensordot_pairs":
        a, c = draw(tensors((n, m, p))), draw(tensors((p, b, n)))
        dims = ([0, 2], [2, 0])
        return (
            lambda a, c: tg.tensordot(a, c, dims),
            lambda a, c: np.tensordot(a, c, dims),
            [a, c],
        )
    if kind == "mm":
        return tg.mm, np.matmul, [draw(tensors((n, m))), draw(tensors((m, p)))]
    if kind == "bmm":
        return (
            (lambda a, c: a.bmm(c)),
            np.matmul,
            [draw(tensors((b, n, m))), draw(tensors((b, m, p)))],
        )
    if kind == "mv":
        return tg.mv, np.matmul, [draw(tensors((n, m))), draw(tensors((m,)))]
    return (lambda a, c: a.dot(c)), np.dot, [draw(tensors((m,))), draw(tensors((m,)))]


@given(product_case())
def test_named_products(case):
    fn, ref, xs = case
    np.testing.assert_allclose(fn(*xs).numpy(), ref(*[x.numpy() for x in xs]), rtol=1e-12)
    assert gradcheck(fn, xs)
    assert gradgradcheck(fn, xs)


def test_matmul_function_is_the_operator():
    a, b = tg.randn(2, 3, 4), tg.randn(4)
    np.testing.assert_array_equal(tg.matmul(a, b).numpy(), (a @ b).numpy())


# ------------------------------------------------------------------------------ meshgrid, cdist
@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(torch, indexing):
    xs = [tg.Tensor(np.arange(n, dtype=np.float64), requires_grad=True) for n in (2, 3, 4)]
    for k in (1, 2, 3):
        ours = tg.meshgrid(*xs[:k], indexing=indexing)
        ref = np.meshgrid(*[x.numpy() for x in xs[:k]], indexing=indexing)
        theirs = torch.meshgrid(*[torch.from_numpy(x.numpy()) for x in xs[:k]], indexing=indexing)
        for o, r, t in zip(ours, ref, theirs, strict=True):
            np.testing.assert_array_equal(o.numpy(), r)
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    assert gradcheck(lambda a, b: tg.meshgrid([a, b], indexing=indexing), xs[:2])
    assert gradgradcheck(lambda a, b: tg.meshgrid([a, b], indexing=indexing), xs[:2])


@given(
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.sampled_from([2.0, 1.0, 3.0]),
    st.data(),
)  # fmt: skip
def test_cdist(p_rows, r_rows, m, p, data):
    x1 = data.draw(tensors((2, p_rows, m)))
    x2 = data.draw(tensors((r_rows, m)))
    out = tg.cdist(x1, x2, p)
    diff = np.abs(x1.numpy()[:, :, None, :] - x2.numpy()[None, None, :, :])
    np.testing.assert_allclose(out.numpy(), (diff**p).sum(-1) ** (1 / p), rtol=1e-12)
    if np.min(diff) > 1e-3:  # |x| has a kink at 0
        assert gradcheck(lambda a, b: tg.cdist(a, b, p), [x1, x2])
        assert gradgradcheck(lambda a, b: tg.cdist(a, b, p), [x1, x2])


def test_cdist_matches_torch_and_has_zero_gradient_at_zero_distance(torch):
    a = np.array([[0.0, 1.0], [2.0, 2.0]])
    b = np.array([[0.0, 1.0], [3.0, -1.0], [2.0, 2.0]])
    for p in (2.0, 1.0, 0.5, float("inf")):
        x1, x2 = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
        t1 = torch.tensor(a, requires_grad=True)
        t2 = torch.tensor(b, requires_grad=True)
        out, ref = tg.cdist(x1, x2, p), torch.cdist(t1, t2, p)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
        v = np.arange(6.0).reshape(2, 3)
        out.backward(tg.Tensor(v))
        ref.backward(torch.from_numpy(v))
        np.testing.assert_allclose(x1.grad.numpy(), t1.grad.numpy(), rtol=1e-12, err_msg=str(p))
        np.testing.assert_allclose(x2.grad.numpy(), t2.grad.numpy(), rtol=1e-12, err_msg=str(p))


# ------------------------------------------------------------------------------ errors
_m = tg.zeros(2, 3)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tg.einsum("ij,jk", _m), "einsum\\(\\): 'ij,jk' has 2 operand subscripts but 1"),
        (lambda: tg.einsum("ijk", _m), "number of subscripts in 'ijk' \\(3\\) does not match"),
        (lambda: tg.einsum("i1", _m), "invalid subscript '1'"),
        (lambda: tg.einsum("ij->k", _m), "output subscript 'k' does not appear"),
        (lambda: tg.einsum("ij->ii", _m), "repeats a subscript"),
        (lambda: tg.einsum("ii", _m), "subscript 'i' is repeated for dimensions of sizes 2 and 3"),
        (lambda: tg.einsum("ij,ij", _m, tg.zeros(3, 3)), "subscript 'i' has size 3 .* and 2"),
        (lambda: tg.einsum("i....j", _m), "invalid ellipsis"),
        (lambda: tg.einsum("ij"), "at least one operand"),
        (lambda: tg.tensordot(_m, _m, 1), "tensordot: contracted dimensions need to match"),
        (lambda: tg.tensordot(_m, _m, 3), "tensordot: dims=3 is larger"),
        (lambda: tg.tensordot(_m, _m, ([0], [0, 1])), "tensordot: both dimension lists"),
        (lambda: tg.mm(_m, _m), "mm: mat1 and mat2 shapes cannot be multiplied \\(2x3 and 2x3\\)"),
        (lambda: tg.mm(tg.zeros(3), _m), "mm: self must be 2-d"),
        (lambda: tg.bmm(_m, _m), "bmm: batch1 must be 3-d"),
        (lambda: tg.bmm(tg.zeros(2, 2, 3), tg.zeros(3, 3, 1)), "bmm: shapes .* do not match"),
        (lambda: tg.mv(_m, tg.zeros(2)), "mv: size mismatch"),
        (lambda: tg.dot(tg.zeros(2), tg.zeros(3)), "dot: inconsistent tensor size"),
        (lambda: tg.dot(_m, tg.zeros(3)), "dot: 1D tensors expected, but got 2D and 1D"),
        (lambda: tg.meshgrid(_m), "meshgrid: expects 0-d or 1-d tensors"),
        (lambda: tg.meshgrid(tg.zeros(2), indexing="yx"), "meshgrid: indexing must be"),
        (lambda: tg.meshgrid(), "meshgrid: expects a non-empty list"),
        (lambda: tg.cdist(tg.zeros(3), _m), "cdist: only supports at least 2D"),
        (lambda: tg.cdist(_m, tg.zeros(2, 2)), "cdist: x1 and x2 must have the same number"),
        (lambda: tg.cdist(_m, _m, -1.0), "cdist: only supports non-negative p"),
    ],
)
def test_errors_name_the_function(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_dim_errors_are_index_errors():
    with pytest.raises(IndexError, match="tensordot: dimension out of range"):
        tg.tensordot(_m, _m, ([2], [0]))


def _public_functions():
    from tinygrad_cnn import contraction, indexing, shape_ops

    for module in (indexing, shape_ops, contraction):
        for name in module.__all__:
            if name not in ("einsum", "meshgrid", "bucketize"):  # these take other first arguments
                yield name, getattr(module, name)


@pytest.mark.parametrize("name, fn", sorted(_public_functions()))
def test_a_list_instead_of_a_tensor_is_a_type_error_naming_the_function(name, fn):
    assert name == "repeat" or getattr(tg, name) is fn  # torch has no torch.repeat either
    params = inspect.signature(fn).parameters.values()
    required = [p for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    message = f"^{fn.__name__}: argument '.*' must be a Tensor, not list"
    with pytest.raises(TypeError, match=message):
        fn([1.0, 2.0], *[0] * (len(required) - 1))
