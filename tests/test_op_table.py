"""Every op of the op table on every device: the forward value against its NumPy formula, and
first- and second-order gradients against central differences taken on that device."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import FULL_CHECK_LIMIT, GRAD_SETTINGS, OP_IDS, OPS, Op, assert_close, consts_on

import tinygrad_cnn as tg
from tinygrad_cnn import backend
from tinygrad_cnn.testing import gradcheck, gradgradcheck


def _cuda_problem() -> str | None:
    """Why the CUDA leg cannot run here (None when it can)."""
    try:
        cupy = backend.cupy_module()
        float(cupy.arange(4, dtype=cupy.float32).sum())  # compiles and runs one kernel
    except Exception as e:  # no CuPy, no device, or a driver that cannot run a kernel
        return f"no usable CUDA GPU: {type(e).__name__}: {e}"
    return None


@pytest.fixture(params=["cpu", "cuda"], scope="module")
def device(request) -> str:
    """NumPy always; CuPy where a GPU is present (skipped with the reason otherwise)."""
    if request.param == "cuda":
        problem = _cuda_problem()
        if problem is not None:
            pytest.skip(problem)
    return request.param


@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@GRAD_SETTINGS
@given(data=st.data())
def test_forward_and_gradients(op: Op, device: str, data) -> None:
    """In float64 on ``device``: forward against the NumPy formula; first and second
    derivatives against central differences taken on that device."""
    example = data.draw(op.examples(), label="example")
    xs = [tg.Tensor(a, dtype=tg.float64, device=device, requires_grad=True) for a in example.arrays]
    consts = consts_on(example, np.float64, device)

    def fn(*ts):
        return op.fn(example.params, *ts, *consts)

    out = fn(*xs)
    assert out.device == device and out.dtype == np.float64
    host_consts = [np.asarray(c) for c in example.consts]
    assert_close(
        out.numpy(),
        op.ref(example.params, *example.arrays, *host_consts),
        np.float64,
        f"{op} forward",
    )
    if sum(a.size for a in example.arrays) <= FULL_CHECK_LIMIT:
        gradcheck(fn, xs)
        if op.order2:
            gradgradcheck(fn, xs)
        return
    # larger inputs: one random direction u through all inputs, x(t) = x + t·u, checks ⟨∇f, u⟩
    # (and uᵀ·H·u) with two evaluations per derivative instead of two per element
    rng = np.random.default_rng(3)
    us = [tg.Tensor(rng.standard_normal(a.shape), device=device) for a in example.arrays]
    t = tg.Tensor(np.zeros(()), device=device, requires_grad=True)

    def along(t):
        return fn(*[x.detach() + t * u for x, u in zip(xs, us, strict=True)])

    gradcheck(along, [t])
    if op.order2:
        gradgradcheck(along, [t])
