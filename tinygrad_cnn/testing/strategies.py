"""Hypothesis strategies for testing ops: shapes, broadcastable shapes, arrays kept away from
kinks and ties, and Tensors that are sometimes non-contiguous views.

    from hypothesis import given
    from tinygrad_cnn.testing.strategies import tensors

    @given(tensors((3, 4), kinks=(0.0,)))
    def test_relu(x):
        gradcheck(lambda x: x.relu(), [x])

Needs the ``hypothesis`` package (a test dependency, not a runtime one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensors", "noncontiguous_copy"]

Shape = tuple[int, ...]


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[Shape]:
    """Shapes with ``min_dims``..``max_dims`` axes of ``min_side``..``max_side`` each."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims, max_size=max_dims).map(
        tuple
    )


@st.composite
def broadcastable_shapes(
    draw: st.DrawFn,
    n: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 4,
) -> tuple[Shape, ...]:
    """``n`` mutually broadcastable shapes: each is a suffix of one common shape, with some
    axes set to 1 (so both leading-axis and size-1 broadcasting are exercised)."""
    full = draw(shapes(min_dims, max_dims, max(min_side, 1), max_side))
    result = []
    for _ in range(n):
        ndim = draw(st.integers(min(min_dims, len(full)), len(full)))
        suffix = full[len(full) - ndim :]
        ones = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
        result.append(tuple(1 if one else side for side, one in zip(suffix, ones, strict=True)))
    return tuple(result)


def _away_from(kinks: Sequence[float], margin: float, lo: float, hi: float):
    """A function that moves a value at least ``margin`` away from every kink (inside [lo, hi]
    where possible)."""

    def push(x: float) -> float:
        for _ in range(len(kinks) + 1):  # pushing off one kink may land near another
            near = [k for k in kinks if abs(x - k) < margin]
            if not near:
                return x
            k = near[0]
            up, down = k + 1.001 * margin, k - 1.001 * margin  # 1.001: beat rounding
            x = up if (x >= k and up <= hi) or down < lo else down
        return x

    return push


@st.composite
def arrays(
    draw: st.DrawFn,
    shape: Shape | st.SearchStrategy[Shape],
    dtype: Any = np.float64,
    min_value: float = -3.0,
    max_value: float = 3.0,
    kinks: Sequence[float] = (),
    margin: float = 0.05,
    distinct: bool = False,
) -> np.ndarray:
    """Float arrays of ``shape`` with values in [min_value, max_value], at least ``margin``
    from each of ``kinks`` (where the function being tested is not differentiable, e.g. 0 for
    ``relu``/``abs``), and with ``distinct=True`` pairwise at least ``margin`` apart (so that
    ``max``/``min``/``maximum`` have no ties, not even within a finite-difference step)."""
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    shape = tuple(shape)
    size = math.prod(shape)
    if distinct:
        # values on a grid of step ≥ margin; unique grid points are distinct values
        step = margin
        if (max_value - min_value) / step < 2 * size + 2:  # too little room: a finer grid
            step = (max_value - min_value) / (2 * size + 2)
        count = int((max_value - min_value) / step)
        grid = [
            i
            for i in range(count + 1)
            if all(abs(min_value + i * step - k) >= margin for k in kinks)
        ]
        if len(grid) < size:
            raise ValueError(
                f"arrays: cannot draw {size} distinct values at least {margin} apart in "
                f"[{min_value}, {max_value}] away from {tuple(kinks)}"
            )
        picks = draw(st.lists(st.sampled_from(grid), min_size=size, max_size=size, unique=True))
        values = min_value + np.asarray(picks, dtype=np.float64) * step
        return values.reshape(shape).astype(dtype)
    elements = st.floats(
        min_value, max_value, allow_nan=False, allow_infinity=False, allow_subnormal=False
    )
    if kinks:
        elements = elements.map(_away_from(tuple(kinks), margin, min_value, max_value))
    return draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)


def noncontiguous_copy(array: np.ndarray, kind: str) -> np.ndarray:
    """The same values as a non-contiguous view: ``"transposed"`` (an axis-reversed buffer),
    ``"strided"`` (every other element of a larger buffer) or ``"offset"`` (a slice that does
    not start at the buffer's beginning, with every axis strided)."""
    if array.ndim == 0:
        return array.copy()
    if kind == "transposed":
        buffer = np.empty(array.shape[::-1], dtype=array.dtype)
        view = buffer.T
    elif kind == "strided":
        buffer = np.full(tuple(2 * n for n in array.shape), np.nan, dtype=array.dtype)
        view = buffer[tuple(slice(None, None, 2) for _ in array.shape)]
    elif kind == "offset":
        buffer = np.full(tuple(2 * n + 1 for n in array.shape), np.nan, dtype=array.dtype)
        view = buffer[tuple(slice(1, None, 2) for _ in array.shape)]
    else:
        raise ValueError(f"noncontiguous_copy: unknown kind {kind!r}")
    view[...] = array
    return view


@st.composite
def tensors(
    draw: st.DrawFn,
    shape: Shape | st.SearchStrategy[Shape],
    dtype: Any = np.float64,
    requires_grad: bool = True,
    layout: str | None = None,
    **array_kwargs: Any,
) -> Tensor:
    """Tensors of ``shape`` (values as in ``arrays``, keyword arguments passed on) that
    require grad by default. ``layout`` is ``"contiguous"``, ``"transposed"``, ``"strided"``,
    ``"offset"`` or None (drawn: roughly half of the tensors are non-contiguous views)."""
    values = draw(arrays(shape, dtype=dtype, **array_kwargs))
    if layout is None:
        layout = draw(st.sampled_from(["contiguous", "contiguous", "transposed", "strided"]))
    if layout != "contiguous":
        values = noncontiguous_copy(values, layout)
    return Tensor(values, requires_grad=requires_grad)
