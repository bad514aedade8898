"""Shape ops and indexing (reshape view transpose permute .T flatten squeeze unsqueeze expand
broadcast_to, indexing, pad, cat stack split chunk): forward values against NumPy, first- and
second-order gradients on hypothesis-drawn, sometimes non-contiguous, float64 inputs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors


@dataclass
class Case:
    """One drawn use of an op: ``fn(*inputs)`` should equal ``ref(*arrays)``."""

    what: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    inputs: list

    def __repr__(self) -> str:
        return f"Case({self.what}, shapes={[x.shape for x in self.inputs]})"


def _outs(result) -> list:
    return list(result) if isinstance(result, (tuple, list)) else [result]


# ------------------------------------------------------------------------------ strategies
def _shape(draw, min_dims=0, max_dims=3, max_side=3):
    return draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))


@st.composite
def reshape_case(draw, max_side=3):
    shape = _shape(draw, max_side=max_side)
    n = math.prod(shape)
    options = [(n,), (-1,), shape[::-1], (1,) + shape + (1,)]
    if len(shape) >= 2:
        options += [(shape[0], -1), (-1, shape[-1]), (shape[0] * shape[1],) + shape[2:]]
    target = draw(st.sampled_from(options))
    x = draw(tensors(shape))
    method = draw(st.sampled_from(["reshape", "view", "reshape_tuple"]))
    if method == "reshape_tuple":
        fn = lambda x: x.reshape(target)  # noqa: E731
    else:
        fn = lambda x: getattr(x, method)(*target)  # noqa: E731
    return Case(f"{method}{target}", fn, lambda a: a.reshape(target), [x])


@st.composite
def permute_case(draw, max_side=3):
    shape = _shape(draw, max_side=max_side)
    x = draw(tensors(shape))
    kind = draw(
        st.sampled_from(
            ["permute", "transpose", "T", "mT"] if len(shape) >= 2 else ["permute", "T"]
        )
    )
    nd = len(shape)
    if kind == "permute":
        dims = tuple(draw(st.permutations(range(nd))))
        dims = tuple(draw(st.sampled_from([d, d - nd])) for d in dims)
        return Case(
            f"permute{dims}",
            lambda x: x.permute(*dims),
            lambda a: np.transpose(a, [d % nd for d in dims]),
            [x],
        )
    if kind == "transpose":
        a0, a1 = draw(st.integers(-nd, nd - 1)), draw(st.integers(-nd, nd - 1))
        return Case(
            f"transpose({a0}, {a1})",
            lambda x: x.transpose(a0, a1),
            lambda a: np.swapaxes(a, a0, a1),
            [x],
        )
    if kind == "mT":
        return Case("mT", lambda x: x.mT, lambda a: np.swapaxes(a, -1, -2), [x])
    return Case("T", lambda x: x.T, lambda a: a.T, [x])


@st.composite
def flatten_case(draw, max_side=3):
    shape = _shape(draw, max_side=max_side)
    x = draw(tensors(shape))
    nd = max(len(shape), 1)
    start = draw(st.integers(0, nd - 1))
    end = draw(st.integers(start, nd - 1))
    start_arg = draw(st.sampled_from([start, start - nd]))
    end_arg = draw(st.sampled_from([end, end - nd]))

    def ref(a):
        if a.ndim == 0:
            return a.reshape(1)
        return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1 :])

    return Case(
        f"flatten({start_arg}, {end_arg})", lambda x: x.flatten(start_arg, end_arg), ref, [x]
    )


@st.composite
def squeeze_case(draw, max_side=3):
    # sides of 1 are common here, so that squeeze has something to do
    shape = tuple(draw(st.lists(st.sampled_from([1, 1, 2, 3][: max_side + 1]), max_size=4)))
    x = draw(tensors(shape))
    nd = len(shape)
    kind = draw(st.sampled_from(["squeeze", "squeeze_axis", "unsqueeze"]))
    if kind == "squeeze" or (kind == "squeeze_axis" and nd == 0):
        return Case("squeeze()", lambda x: x.squeeze(), np.squeeze, [x])
    if kind == "squeeze_axis":
        axis = draw(st.integers(-nd, nd - 1))

        def ref(a):  # PyTorch: an axis whose size is not 1 is left alone
            return np.squeeze(a, axis) if a.shape[axis] == 1 else a

        return Case(f"squeeze({axis})", lambda x: x.squeeze(axis), ref, [x])
    axis = draw(st.integers(-nd - 1, nd))
    return Case(
        f"unsqueeze({axis})", lambda x: x.unsqueeze(axis), lambda a: np.expand_dims(a, axis), [x]
    )


@st.composite
def expand_case(draw, max_side=3):
    shape = _shape(draw, max_side=max_side)
    lead = tuple(draw(st.lists(st.integers(1, max_side), max_size=2)))
    grown = tuple(draw(st.integers(1, max_side)) if n == 1 else n for n in shape)
    target = lead + grown
    # -1 keeps an existing size (only allowed for the input's own axes)
    spelled = lead + tuple(
        -1 if n == old and draw(st.booleans()) else n for n, old in zip(grown, shape, strict=True)
    )
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["expand", "broadcast_to", "expand_as"]))
    if kind == "expand":
        fn = lambda x: x.expand(*spelled)  # noqa: E731
    elif kind == "broadcast_to":
        fn = lambda x: x.broadcast_to(target)  # noqa: E731
    else:
        fn = lambda x: x.expand_as(tg.zeros(target))  # noqa: E731
    return Case(f"{kind}{spelled}", fn, lambda a: np.broadcast_to(a, target), [x])


@st.composite
def _index_part(draw, n: int, allow_advanced: bool):
    kinds = ["int", "slice", "slice", "full"] + (
        ["array", "list", "tensor"] if allow_advanced else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "full":
        return slice(None)
    if kind == "slice":
        start = draw(st.none() | st.integers(-n - 1, n + 1))
        stop = draw(st.none() | st.integers(-n - 1, n + 1))
        step = draw(st.none() | st.sampled_from([1, 2, -1, -2, 3]))
        return slice(start, stop, step)
    # an integer array with repeats and negative entries
    idx = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
    if kind == "list":
        return idx
    if kind == "tensor":
        return tg.Tensor(np.asarray(idx, dtype=np.int64))
    return np.asarray(idx, dtype=np.int64)


def _to_numpy_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    out = tuple(p.numpy() if isinstance(p, tg.Tensor) else p for p in parts)
    return out if isinstance(index, tuple) else out[0]


@st.composite
def getitem_case(draw, max_side=3):
    shape = _shape(draw, min_dims=1, max_dims=3, max_side=max_side)
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["basic", "advanced", "mask", "mask_tensor", "single"]))
    if kind in ("mask", "mask_tensor"):
        k = draw(st.integers(1, len(shape)))  # a mask over the first k axes
        flags = draw(
            st.lists(st.booleans(), min_size=math.prod(shape[:k]), max_size=math.prod(shape[:k]))
        )
        mask = np.asarray(flags, dtype=bool).reshape(shape[:k])
        index = tg.Tensor(mask) if kind == "mask_tensor" else mask
    elif kind == "single":
        index = draw(_index_part(shape[0], allow_advanced=True))
    else:
        # at most one advanced part (several broadcast together; one keeps cases readable),
        # plus None and at most one Ellipsis
        advanced_at = draw(st.integers(0, len(shape) - 1)) if kind == "advanced" else -1
        parts: list[Any] = [
            draw(_index_part(n, allow_advanced=(i == advanced_at))) for i, n in enumerate(shape)
        ]
        if kind == "advanced" and not isinstance(parts[advanced_at], (np.ndarray, list, tg.Tensor)):
            parts[advanced_at] = np.asarray(
                draw(
                    st.lists(
                        st.integers(-shape[advanced_at], shape[advanced_at] - 1),
                        min_size=1,
                        max_size=4,
                    )
                )
            )
        if draw(st.booleans()):  # an Ellipsis stands for a run of (possibly zero) axes
            i = draw(st.integers(0, len(parts)))
            j = draw(st.integers(i, len(parts)))
            parts = parts[:i] + [Ellipsis] + parts[j:]
        else:  # trailing axes implied
            parts = parts[: draw(st.integers(advanced_at + 1, len(parts)))]
        for _ in range(draw(st.integers(0, 2))):
            parts.insert(draw(st.integers(0, len(parts))), None)
        index = tuple(parts)
    np_index = _to_numpy_index(index)
    return Case(f"getitem[{index!r}]", lambda x: x[index], lambda a: a[np_index], [x])


@st.composite
def pad_case(draw, max_side=3):
    shape = _shape(draw, min_dims=1, max_dims=3, max_side=max_side)
    x = draw(tensors(shape))
    mode = draw(st.sampled_from(["constant", "circular"]))
    k = draw(st.integers(1, len(shape)))  # pad the last k axes
    pad: list[int] = []
    for axis in range(len(shape) - 1, len(shape) - 1 - k, -1):  # PyTorch order: last axis first
        top = shape[axis] if mode == "circular" else 2
        pad += [draw(st.integers(0, top)), draw(st.integers(0, top))]
    widths = [(0, 0)] * len(shape)
    for j in range(k):
        widths[len(shape) - 1 - j] = (pad[2 * j], pad[2 * j + 1])
    if mode == "constant":
        value = draw(st.sampled_from([0.0, 1.5, -2.0]))
        return Case(
            f"pad({pad}, constant {value})",
            lambda x: x.pad(pad, value=value),
            lambda a: np.pad(a, widths, constant_values=value),
            [x],
        )
    return Case(
        f"pad({pad}, circular)",
        lambda x: x.pad(pad, mode="circular"),
        lambda a: np.pad(a, widths, mode="wrap"),
        [x],
    )


@st.composite
def cat_case(draw, max_side=3):
    shape = _shape(draw, min_dims=1, max_dims=3, max_side=max_side)
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    kind = draw(st.sampled_from(["cat", "stack", "stack_end"]))
    count = draw(st.integers(1, 3))
    if kind == "cat":
        xs = []
        for _ in range(count):
            s = list(shape)
            s[axis] = draw(st.integers(1, max_side))
            xs.append(draw(tensors(tuple(s))))
        return Case(
            f"cat(axis={axis})",
            lambda *xs: tg.cat(xs, axis),
            lambda *a: np.concatenate(a, axis),
            xs,
        )
    xs = [draw(tensors(shape)) for _ in range(count)]
    axis = draw(st.integers(-nd - 1, nd))
    return Case(
        f"stack(dim={axis})",
        lambda *xs: tg.stack(list(xs), dim=axis),
        lambda *a: np.stack(a, axis),
        xs,
    )


@st.composite
def split_case(draw, max_side=4):
    shape = _shape(draw, min_dims=1, max_dims=3, max_side=max_side)
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    n = shape[axis]
    x = draw(tensors(shape))
    kind = draw(st.sampled_from(["split_size", "split_sections", "chunk", "method"]))
    if kind == "split_size":
        size = draw(st.integers(1, n + 1))
        bounds = list(range(size, n, size))
        return Case(
            f"split({size}, {axis})",
            lambda x: tg.split(x, size, axis),
            lambda a: np.split(a, bounds, axis),
            [x],
        )
    if kind == "split_sections":
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [n], strict=True)]
        return Case(
            f"split({sizes}, {axis})",
            lambda x: x.split(sizes, dim=axis),
            lambda a: np.split(a, cuts, axis),
            [x],
        )
    chunks = draw(st.integers(1, n + 1))
    size = -(-n // chunks)  # as torch.chunk: pieces of ceil(n / chunks)
    bounds = list(range(size, n, size))
    if kind == "chunk":
        return Case(
            f"chunk({chunks}, {axis})",
            lambda x: tg.chunk(x, chunks, axis),
            lambda a: np.split(a, bounds, axis),
            [x],
        )
    return Case(
        f"x.chunk({chunks}, {axis})",
        lambda x: x.chunk(chunks, dim=axis),
        lambda a: np.split(a, bounds, axis),
        [x],
    )


CASES = {
    "reshape": reshape_case,
    "permute": permute_case,
    "flatten": flatten_case,
    "squeeze": squeeze_case,
    "expand": expand_case,
    "getitem": getitem_case,
    "pad": pad_case,
    "cat": cat_case,
    "split": split_case,
}


@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
def test_movement_forward(name, data):
    case = data.draw(CASES[name](max_side=4), label="case")
    got = _outs(case.fn(*case.inputs))
    expected = _outs(case.ref(*[x.numpy() for x in case.inputs]))
    assert len(got) == len(expected), case
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape, case
        assert g.dtype == np.float64
        np.testing.assert_array_equal(g.numpy(), e)


@pytest.mark.parametrize("name", CASES)
@given(data=st.data())
def test_movement_gradients(name, data):
    case = data.draw(CASES[name](), label="case")

    def fn(*xs):
        outs = _outs(case.fn(*xs))
        # gradcheck takes one tensor or a tuple; empty pieces and empty results carry nothing
        return tuple(o for o in outs if o.numel() > 0) or (outs[0],)

    assert gradcheck(fn, case.inputs)
    assert gradgradcheck(fn, case.inputs)


# ------------------------------------------------------------------------------ specific cases
def test_getitem_repeated_indices_accumulate():
    x = tg.Tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_getitem_two_advanced_indices_and_slices():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = tg.Tensor(a, dtype=tg.float64, requires_grad=True)
    index = (np.array([0, 1, 1]), slice(None), np.array([3, 0, 3]))
    np.testing.assert_array_equal(x[index].numpy(), a[index])
    assert gradcheck(lambda x: x[index], [x])
    assert gradgradcheck(lambda x: x[index], [x])
    # a scalar element, and a Python bool index
    assert x[1, 2, 3].item() == 23.0
    np.testing.assert_array_equal(x[True].numpy(), a[True])


def test_getitem_rejects_float_indices():
    with pytest.raises(IndexError, match="integer or bool"):
        tg.zeros(3)[np.array([0.5])]


def test_setitem_is_refused_on_leaves_that_require_grad():
    x = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__: a leaf tensor that requires grad"):
        x[0] = 1.0
    with tg.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]
    y = tg.zeros(2, 2)
    y[:, 1] = tg.Tensor([5.0, 6.0])
    assert y.tolist() == [[0.0, 5.0], [0.0, 6.0]]


def test_circular_pad_wraps_like_a_torus():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    out = x.pad((1, 2, 1, 0), mode="circular")
    np.testing.assert_array_equal(out.numpy(), np.pad(x.numpy(), ((1, 0), (1, 2)), mode="wrap"))


def test_movement_errors_are_clear():
    x = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"reshape: shape \(4, 2\) is invalid .* \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"expand: cannot expand shape \(2, 3\)"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="cat: shapes"):
        tg.cat([x, tg.zeros(3, 3)], axis=1)
    with pytest.raises(RuntimeError, match="stack"):
        tg.stack([x, tg.zeros(3, 2)])
    with pytest.raises(ValueError, match="split: sizes"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match="pad"):
        x.pad((1,))
    with pytest.raises(ValueError, match="negative"):
        x.pad((-1, 0))
    with pytest.raises(ValueError, match="larger than"):
        x.pad((4, 0), mode="circular")
    with pytest.raises(ValueError, match="mode"):
        x.pad((1, 1), mode="reflect")
    with pytest.raises(ValueError, match="cat"):
        tg.cat([])


def test_views_share_no_state_with_the_graph():
    # a reshape of the same shape and a full permutation are free, but still differentiable
    x = tg.Tensor([[1.0, 2.0]], requires_grad=True)
    assert x.reshape(1, 2) is x
    (x.reshape(1, 2) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 3.0]])
