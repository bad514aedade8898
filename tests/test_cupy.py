"""The CuPy leg: what is specific to CuPy, on top of the op table's forward and gradient checks
(``tests/test_op_table.py`` runs those on every device, CuPy included).

* ``test_cupy_matches_numpy`` — the differential property: for hypothesis-drawn inputs (some of
  them non-contiguous views), the forward value, the gradient of a random projection and a
  Hessian-vector product computed on CuPy agree with the same computation on NumPy, in float32
  and float64, within tolerances that scale with the dtype and the size of the values.
* gradients given on another device than their output are an error.

Without CuPy, or with CuPy but no usable CUDA device, the whole module is skipped with the
reason. Run it on a GPU machine with ``pytest tests/test_cupy.py tests/test_op_table.py -rs``
(or through ``benchmarks/gpu_check.py``, which records the result).
"""

from __future__ import annotations

import numpy as np
import pytest

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (the CUDA leg needs CuPy)")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from op_table import DIFF_SETTINGS, DTYPES, OP_IDS, OPS, Op, assert_close, run  # noqa: E402

import tinygrad_cnn as tg  # noqa: E402
from tinygrad_cnn import backend  # noqa: E402


def _cuda_problem() -> str | None:
    """Why the GPU cannot be used (None when it can): CuPy imports but may find no device, or
    a device whose driver cannot run a kernel."""
    try:
        backend.cupy_module()
        float(cupy.arange(4, dtype=cupy.float32).sum())  # compiles and runs one kernel
    except Exception as e:  # CuPy raises its own CUDA/compiler error types
        return f"CuPy is installed but cannot use a CUDA GPU: {type(e).__name__}: {e}"
    return None


_PROBLEM = _cuda_problem()
if _PROBLEM is not None:
    pytest.skip(_PROBLEM, allow_module_level=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=OP_IDS)
@DIFF_SETTINGS
@given(data=st.data())
def test_cupy_matches_numpy(op: Op, dtype, data) -> None:
    """The same inputs on CuPy and on NumPy give the same values, gradients and
    Hessian-vector products (and the same dtype)."""
    example = data.draw(op.examples(), label="example")
    layouts = tuple(
        data.draw(st.sampled_from(["contiguous", "transposed", "strided"]), label=f"layout{i}")
        for i in range(len(example.arrays))
    )
    on_gpu = run(op, example, dtype, "cuda", layouts)
    on_cpu = run(op, example, dtype, "cpu", ("contiguous",) * len(layouts))
    assert on_gpu["out.dtype"] == on_cpu["out.dtype"] == np.dtype(dtype), (
        f"{op}: output dtype {on_gpu['out.dtype']} on CuPy, {on_cpu['out.dtype']} on NumPy"
    )
    assert on_gpu.keys() == on_cpu.keys(), f"{op}: CuPy and NumPy differ in which gradients exist"
    for key, want in on_cpu.items():
        if key in ("out.dtype", "live"):
            assert on_gpu[key] == want, f"{op} {key}"
            continue
        assert_close(on_gpu[key], want, dtype, f"{op} {key} ({np.dtype(dtype).name})")


def test_gradient_on_another_device_is_an_error() -> None:
    x = tg.ones(2, device="cuda", requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient is on cpu but the output .* is on cuda"):
        (x * 2).backward(tg.ones(2))
    (x * 2).backward(tg.ones(2, device="cuda"))
    assert x.grad.device == "cuda"
