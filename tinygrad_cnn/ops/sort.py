"""Index computations on arrays for the reductions with indices: sort, topk, kthvalue, median,
mode, cummax/cummin. No gradients here: the Tensor methods gather their values at these
indices (``index.gather_along``), so the gradient reaches exactly the selected elements.

Order, as in PyTorch: NaN is larger than every number. Among equal values the lower index
comes first (a stable sort). Every function takes a non-negative ``axis`` of an array with at
least one axis, and returns int64 indices.
"""

from __future__ import annotations

import numpy as np

from ..backend import accumulate, get_array_module, stable_argsort
from .reduce import kept_shape

__all__ = [
    "sort_indices",
    "select_indices",
    "median_indices",
    "mode_indices",
    "cumulative_indices",
]


def sort_indices(x, axis: int, descending: bool = False):
    """The indices that sort ``x`` along ``axis``, stable in both directions (equal values
    keep their order of index, NaN first when descending, last when ascending)."""
    xp = get_array_module(x)
    if not descending:
        return stable_argsort(x, axis).astype(np.int64, copy=False)
    # sort the reversed array ascending and reverse the result: ties stay in index order
    n = x.shape[axis]
    order = stable_argsort(xp.flip(x, axis=axis), axis)
    return ((n - 1) - xp.flip(order, axis=axis)).astype(np.int64)


def select_indices(order, positions, axis: int):
    """``order`` (from ``sort_indices``) at ``positions`` along ``axis`` (kept)."""
    xp = get_array_module(order)
    return xp.take_along_axis(order, positions, axis=axis)


def median_indices(x, axis: int):
    """The index of the lower median along ``axis`` (kept, size 1): the element at position
    (n − 1) // 2 of the stable ascending order; where a NaN is present, the first NaN."""
    xp = get_array_module(x)
    n = x.shape[axis]
    order = sort_indices(x, axis)
    position = xp.full(kept_shape(x.shape, (axis,)), (n - 1) // 2, dtype=np.int64)
    if x.dtype.kind == "f":
        nans = xp.sum(xp.isnan(x), axis=axis, keepdims=True)
        position = xp.where(nans > 0, n - nans, position)  # NaN sorts last: its first one
    return select_indices(order, position, axis)


def mode_indices(x, axis: int):
    """The index of the most frequent value along ``axis`` (kept, size 1). Among values that
    are equally frequent the smallest wins; the index is that value's last occurrence. NaN
    never equals NaN, so each NaN counts once."""
    xp = get_array_module(x)
    n = x.shape[axis]
    order = sort_indices(x, axis)
    ordered = xp.take_along_axis(x, order, axis=axis)
    later = (slice(None),) * axis + (slice(1, None),)
    earlier = (slice(None),) * axis + (slice(None, -1),)
    starts = xp.ones(x.shape, dtype=bool)  # True where a run of equal values begins
    starts[later] = ordered[later] != ordered[earlier]
    steps = xp.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
    run_start = accumulate("maximum", xp.where(starts, steps, 0), axis)
    run_length = steps - run_start + 1  # the length of each run so far
    longest = xp.max(run_length, axis=axis, keepdims=True)
    # the first place that reaches the longest length ends the longest run of the smallest value
    end = xp.argmax(run_length == longest, axis=axis, keepdims=True)
    return select_indices(order, end.astype(np.int64), axis)


def cumulative_indices(x, axis: int, largest: bool = True):
    """At every position along ``axis``, the index where the running maximum (or minimum) was
    attained: on ties the latest index, and from the first NaN on the latest NaN, as PyTorch's
    cummax/cummin."""
    xp = get_array_module(x)
    n = x.shape[axis]
    running = accumulate("maximum" if largest else "minimum", x, axis)
    attained = x == running
    if x.dtype.kind == "f":
        attained |= xp.isnan(x)
    steps = xp.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
    return accumulate("maximum", xp.where(attained, steps, 0), axis).astype(np.int64)
