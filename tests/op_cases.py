"""One drawn use of an op (``Case``) and the three checks every op gets: forward against a
NumPy reference, first- and second-order gradients, and values and gradients against PyTorch.
Shared by the test files of the indexing, shape and product functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.testing import gradcheck, gradgradcheck


@dataclass
class Case:
    """``fn(*inputs)`` should equal ``ref(*arrays)`` and ``torch_fn(torch, *tensors)``; each
    may return one tensor or a tuple."""

    what: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    torch_fn: Callable[..., Any]
    inputs: list

    def __repr__(self) -> str:
        return f"Case({self.what}, shapes={[x.shape for x in self.inputs]})"


def outs(result) -> list:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def check_forward(case: Case) -> None:
    got = outs(case.fn(*case.inputs))
    expected = outs(case.ref(*[x.numpy() for x in case.inputs]))
    assert len(got) == len(expected), case
    for out, e in zip(got, expected, strict=True):
        assert out.shape == np.shape(e), case
        assert out.dtype == np.float64, case
        np.testing.assert_allclose(out.numpy(), e, rtol=1e-12, atol=1e-12, err_msg=case.what)


def check_gradients(case: Case) -> None:
    """gradcheck and gradgradcheck (a tuple result counts as several outputs)."""
    if not outs(case.fn(*case.inputs)):
        return  # e.g. unbind along an empty axis: nothing to differentiate

    def fn(*xs):
        return tuple(outs(case.fn(*xs)))

    assert gradcheck(fn, case.inputs)
    assert gradgradcheck(fn, case.inputs)


def check_torch(case: Case, seed: int = 0) -> None:
    """Values and the gradient of a random projection equal PyTorch's."""
    torch = pytest.importorskip("torch")
    got = outs(case.fn(*case.inputs))
    # contiguous copies: PyTorch's backward of some ops fails on strided leaves
    ts = [torch.tensor(x.numpy().copy(), requires_grad=True) for x in case.inputs]
    expected = outs(case.torch_fn(torch, *ts))
    for out, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(
            out.numpy(), e.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=case.what
        )
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(o.shape) for o in got]
    pairs = [(o, v) for o, v in zip(got, vs) if o.requires_grad and o.numel()]
    if not pairs:
        return
    grads = tg.grad(
        [o for o, _ in pairs], case.inputs, [tg.Tensor(v) for _, v in pairs], allow_unused=True
    )
    tpairs = [(e, v) for e, v in zip(expected, vs) if e.numel()]
    tvs = [torch.from_numpy(v) for _, v in tpairs]
    tgrads = torch.autograd.grad([e for e, _ in tpairs], ts, tvs, allow_unused=True)
    for g, tgr, x in zip(grads, tgrads, case.inputs, strict=True):
        g = np.zeros(x.shape) if g is None else g.numpy()
        tgr = np.zeros(x.shape) if tgr is None else tgr.numpy()
        np.testing.assert_allclose(g, tgr, rtol=1e-10, atol=1e-12, err_msg=case.what)


def op_tests(cases: dict) -> tuple:
    """The three hypothesis tests over a ``{name: strategy of Case}`` table, for a test module
    to bind: ``test_forward, test_gradients, test_torch_parity = op_tests(CASES)``."""
    from hypothesis import given
    from hypothesis import strategies as st

    def make(check):
        @pytest.mark.parametrize("name", cases)
        @given(data=st.data())
        def test(name, data):
            check(data.draw(cases[name]))

        test.__doc__ = check.__doc__
        return test

    return make(check_forward), make(check_gradients), make(check_torch)
