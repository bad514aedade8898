"""Dimension arguments are checked everywhere, as PyTorch checks them: an out-of-range dim is
``IndexError: <op>: dimension out of range (expected to be in range of [-2, 1], but got 5)``
(one helper, ``ops.reduce.normalize_dim``, for every op); repeated dims, a permutation of the
wrong length, ``flatten(1, 0)`` and 0-d inputs to ``cat`` are RuntimeErrors; reductions of
empty tensors give PyTorch's results (0, NaN, −inf) or its errors.

Each case runs the same call on both libraries (``m`` is ``tg`` or ``torch``, ``F`` their
functional module), so the error category and the valid results are compared with PyTorch.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as tgF


def _flatten(F, x, d):
    """F.flatten(x, d): ours is tinygrad_cnn.functional.flatten; torch's functional has none."""
    return F.flatten(x, d) if F is tgF else x.flatten(d)


# (op name in the message, call(m, F, x, d), the op inserts an axis, works on a 0-d tensor,
# pairs d with dim 0 (so that d ≡ 0 is a repeated dim, tested separately))
CASES = [
    ("unsqueeze", lambda m, F, x, d: x.unsqueeze(d), True, True, False),
    ("squeeze", lambda m, F, x, d: x.squeeze(d), False, True, False),
    ("squeeze", lambda m, F, x, d: x.squeeze((0, d)), False, False, True),
    ("permute", lambda m, F, x, d: x.permute(0, d), False, False, True),
    ("permute", lambda m, F, x, d: x.permute(d, 0), False, False, True),
    ("transpose", lambda m, F, x, d: x.transpose(0, d), False, True, False),
    ("transpose", lambda m, F, x, d: x.transpose(d, -1), False, True, False),
    ("flatten", lambda m, F, x, d: x.flatten(d), False, True, False),
    ("flatten", lambda m, F, x, d: x.flatten(0, d), False, True, False),
    ("flatten", lambda m, F, x, d: _flatten(F, x, d), False, True, False),
    ("cat", lambda m, F, x, d: m.cat([x, x], d), False, False, False),
    ("cat", lambda m, F, x, d: m.cat([x, x], dim=d), False, False, False),
    ("stack", lambda m, F, x, d: m.stack([x, x], d), True, True, False),
    ("split", lambda m, F, x, d: m.split(x, 1, d), False, False, False),
    ("split", lambda m, F, x, d: x.split(1, dim=d), False, False, False),
    ("chunk", lambda m, F, x, d: m.chunk(x, 2, d), False, False, False),
    ("chunk", lambda m, F, x, d: x.chunk(2, d), False, False, False),
    ("size", lambda m, F, x, d: x.size(d), False, False, False),
    ("sum", lambda m, F, x, d: x.sum(d), False, True, False),
    ("sum", lambda m, F, x, d: x.sum((0, d)), False, False, True),
    ("mean", lambda m, F, x, d: x.mean(d), False, True, False),
    ("mean", lambda m, F, x, d: x.mean(dim=d, keepdim=True), False, True, False),
    ("var", lambda m, F, x, d: x.var(d), False, True, False),
    ("std", lambda m, F, x, d: x.std(d), False, True, False),
    ("max", lambda m, F, x, d: x.max(d), False, True, False),
    ("max", lambda m, F, x, d: m.max(x, d), False, True, False),
    ("min", lambda m, F, x, d: x.min(d), False, True, False),
    ("amax", lambda m, F, x, d: x.amax(d), False, True, False),
    ("amin", lambda m, F, x, d: m.amin(x, (d,)), False, True, False),
    ("argmax", lambda m, F, x, d: x.argmax(d), False, True, False),
    ("argmin", lambda m, F, x, d: m.argmin(x, d), False, True, False),
    ("logsumexp", lambda m, F, x, d: x.logsumexp(d), False, True, False),
    ("softmax", lambda m, F, x, d: x.softmax(d), False, True, False),
    ("softmax", lambda m, F, x, d: F.softmax(x, d), False, True, False),
    ("log_softmax", lambda m, F, x, d: x.log_softmax(d), False, True, False),
    ("log_softmax", lambda m, F, x, d: F.log_softmax(x, dim=d), False, True, False),
    ("sort", lambda m, F, x, d: x.sort(d), False, True, False),
    ("sort", lambda m, F, x, d: m.sort(x, d), False, True, False),
    ("argsort", lambda m, F, x, d: x.argsort(d), False, True, False),
    ("topk", lambda m, F, x, d: x.topk(1, d), False, True, False),
    ("kthvalue", lambda m, F, x, d: x.kthvalue(1, d), False, True, False),
    ("median", lambda m, F, x, d: x.median(d), False, True, False),
    ("mode", lambda m, F, x, d: x.mode(d), False, True, False),
    ("cummax", lambda m, F, x, d: x.cummax(d), False, True, False),
    ("cummin", lambda m, F, x, d: m.cummin(x, d), False, True, False),
]
IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(CASES)]


def _libraries(torch):
    return (tg, tgF, tg.zeros(2, 3)), (torch, torch.nn.functional, torch.zeros(2, 3))


def _message(op: str, lo: int, hi: int, got: int) -> str:
    return re.escape(f"{op}: dimension out of range (expected to be in range of [{lo}, {hi}], ")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_out_of_range_dims_raise_index_error(case, torch):
    name, call, new_axis, _, _ = case
    n = 3 if new_axis else 2  # a 2-D tensor; ops that insert an axis accept one more
    (m, F, x), (tm, tF, t) = _libraries(torch)
    for d in (n, n + 3, -n - 1, -n - 4):
        with pytest.raises(IndexError):
            call(tm, tF, t, d)
        with pytest.raises(IndexError, match=_message(name, -n, n - 1, d) + rf"but got {d}\)$"):
            call(m, F, x, d)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_dim_in_range_works_as_in_torch(case, torch):
    name, call, new_axis, _, paired = case
    n = 3 if new_axis else 2
    (m, F, x), (tm, tF, t) = _libraries(torch)
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    t = torch.from_numpy(np.arange(6.0).reshape(2, 3))
    for d in range(-n, n):
        if paired and d % n == 0:
            continue  # permute(0, 0), sum((0, -2)), ...: a repeated dim (tested below)
        _assert_same(call(m, F, x, d), call(tm, tF, t, d), f"{name}({d})")


def _assert_same(ours, theirs, what: str) -> None:
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs), what
        for o, t in zip(ours, theirs, strict=True):
            _assert_same(o, t, what)
        return
    if isinstance(theirs, int):
        assert ours == theirs, what
        return
    assert ours.shape == tuple(theirs.shape), what
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6, err_msg=what)


ZERO_D = [(c, i) for c, i in zip(CASES, IDS, strict=True) if c[3]]


# var/std of one element: NaN with a warning, in both libraries
@pytest.mark.filterwarnings("ignore:.*degrees of freedom", "ignore:invalid value encountered")
@pytest.mark.parametrize("case", [c for c, _ in ZERO_D], ids=[i for _, i in ZERO_D])
def test_zero_dimensional_tensors_accept_dims_minus_one_and_zero(case, torch):
    name, call, _, _, _ = case
    x, t = tg.Tensor(1.5), torch.tensor(1.5, dtype=torch.float64)
    n = 1  # also for unsqueeze and stack, as PyTorch
    for d in range(-n, n):
        _assert_same(call(tg, tgF, x, d), call(torch, torch.nn.functional, t, d), f"{name}({d})")
    for d in (n, -n - 1):
        with pytest.raises(IndexError):
            call(torch, torch.nn.functional, t, d)
        with pytest.raises(IndexError, match=_message(name, -n, n - 1, d)):
            call(tg, tgF, x, d)


@pytest.mark.parametrize(
    "name, call, error, message",
    [
        ("permute", lambda m, x: x.permute(1, 1), RuntimeError, "permute: duplicate dims"),
        ("permute", lambda m, x: x.permute(1, -1), RuntimeError, "permute: duplicate dims"),
        ("permute", lambda m, x: x.permute(0), RuntimeError, "permute: the tensor has 2 dim"),
        ("permute", lambda m, x: x.permute(0, 1, 2), RuntimeError, "permute: the tensor has 2"),
        ("flatten", lambda m, x: x.flatten(1, 0), RuntimeError, "flatten: start_dim cannot come"),
        ("flatten", lambda m, x: x.flatten(-1, 0), RuntimeError, "flatten: start_dim cannot"),
        ("sum", lambda m, x: x.sum((1, 1)), RuntimeError, r"sum: dim 1 appears multiple times"),
        ("mean", lambda m, x: x.mean((0, -2)), RuntimeError, r"mean: dim 0 appears multiple"),
        ("amax", lambda m, x: x.amax((1, -1)), RuntimeError, "amax: dim 1 appears multiple"),
        ("cat", lambda m, x: m.cat([x.sum(), x.sum()]), RuntimeError, "cat: zero-dimensional"),
        ("cat", lambda m, x: m.cat([]), ValueError, "cat: expected a non-empty"),
        ("split", lambda m, x: x.sum().split(1), RuntimeError, "split: cannot split a 0-d"),
        ("chunk", lambda m, x: x.sum().chunk(1), RuntimeError, "chunk: cannot split a 0-d"),
        ("size", lambda m, x: x.sum().size(0), IndexError, "size: a 0-d tensor has no dim"),
        ("sum", lambda m, x: x.sum(1.5), TypeError, "sum: dim must be an int, got float"),
        ("unsqueeze", lambda m, x: x.unsqueeze("1"), TypeError, "unsqueeze: dim must be an int"),
        ("max", lambda m, x: x.max((0, 1)), TypeError, "max: dim must be an int, got tuple"),
        ("sort", lambda m, x: x.sort(None), TypeError, "sort: dim must be an int, got None"),
    ],
)
def test_other_dim_errors_as_torch(name, call, error, message, torch):
    with pytest.raises(error):
        call(torch, torch.zeros(2, 3))
    with pytest.raises(error, match=message):
        call(tg, tg.zeros(2, 3))


def test_dim_is_accepted_as_numpy_integers():
    x = tg.zeros(2, 3)
    assert x.sum(np.int64(1)).shape == (2,) and x.unsqueeze(np.int32(-1)).shape == (2, 3, 1)


def test_the_issue_examples_no_longer_wrap_around():
    x = tg.zeros(2, 3)
    with pytest.raises(IndexError, match=re.escape("[-3, 2], but got 5)")):
        x.unsqueeze(5)
    assert x.unsqueeze(2).shape == (2, 3, 1) and x.unsqueeze(-3).shape == (1, 2, 3)
    with pytest.raises(IndexError, match=re.escape("cat: dimension out of range")):
        tg.cat([x, x], 2)
    assert tg.stack([x, x], 2).shape == (2, 3, 2) and tg.stack([x, x], -1).shape == (2, 3, 2)


# ------------------------------------------------------------------------------ empty input
def _quiet(fn):
    """Run ``fn`` and fail on any warning (PyTorch gives these results silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(),
        lambda x: x.sum(1),
        lambda x: x.sum(0),
        lambda x: x.mean(),
        lambda x: x.mean(1),
        lambda x: x.mean(0),
        lambda x: x.logsumexp(1),
        lambda x: x.logsumexp((0, 1)),
        lambda x: x.logsumexp(0),
        lambda x: x.softmax(1),
        lambda x: x.log_softmax(1),
        lambda x: x.softmax(0),
        lambda x: x.amax(0),
        lambda x: x.argmax(0),
        lambda x: x.max(0).values,
        lambda x: x.min(0).indices,
    ],
)
def test_empty_reductions_as_torch(call, torch):
    ours = _quiet(lambda: call(tg.zeros(2, 0, dtype=tg.float64)))
    theirs = call(torch.zeros(2, 0, dtype=torch.float64))
    assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_empty_reduction_values():
    x = tg.zeros(2, 0, dtype=tg.float64)
    assert x.sum().item() == 0.0 and np.isnan(_quiet(lambda: x.mean()).item())
    assert _quiet(lambda: x.logsumexp(1)).tolist() == [-np.inf, -np.inf]
    assert _quiet(lambda: tg.zeros(0).logsumexp(0)).item() == -np.inf


def test_logsumexp_of_an_empty_axis_has_an_empty_gradient():
    x = tg.zeros(2, 0, dtype=tg.float64, requires_grad=True)
    _quiet(lambda: x.logsumexp(1).sum().backward())
    assert x.grad.shape == (2, 0)
