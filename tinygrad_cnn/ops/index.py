"""Gather and scatter-add along one axis, each the other's adjoint (so gradients of any order
follow):

``GatherAlong(x, index, dim)``: ``out[p] = x[p with coordinate dim replaced by index[p]]`` for
every position ``p`` of the integer ``index`` (which has x's number of axes and, outside
``dim``, at most x's sizes). For a 3-D x and dim 1: ``out[i, j, k] = x[i, index[i, j, k], k]``.

``ScatterAddAlong(src, index, dim, shape)``: zeros of ``shape`` with ``src[p]`` added at the
same places (``src`` has index's shape; repeated indices accumulate).

Sorting, ``topk``, ``max(dim)``, ``cummax`` and the other reductions with indices take their
values with ``gather_along`` and send their gradients back with the scatter-add.
"""

from __future__ import annotations

from ..backend import get_array_module, scatter_add
from ..function import Function

__all__ = ["along_index", "GatherAlong", "ScatterAddAlong", "gather_along"]


def along_index(index, dim: int) -> tuple:
    """The advanced-index tuple that addresses, for every position ``p`` of the ``index``
    array, the element at ``p`` with coordinate ``dim`` replaced by ``index[p]``."""
    xp = get_array_module(index)
    parts = []
    for d, n in enumerate(index.shape):
        if d == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            parts.append(xp.arange(n).reshape(shape))  # broadcasts against index
    return tuple(parts)


class GatherAlong(Function):
    """Inputs: x, index (integer, no gradient). Params: dim."""

    def forward(self, x, index, *, dim):
        self.save_for_backward(index)  # backward reads the index (inputs[1]), not x
        return x[along_index(index, dim)]

    def backward(self, grad_out):
        x, index = self.inputs
        grad_x = ScatterAddAlong.apply(grad_out, index, dim=self.params["dim"], shape=x.shape)
        return grad_x, None


class ScatterAddAlong(Function):
    """Inputs: src, index (integer, no gradient; index's shape is src's). Params: dim, shape."""

    def forward(self, src, index, *, dim, shape):
        self.save_for_backward(index)  # backward reads the index (inputs[1])
        out = self.xp.zeros(shape, dtype=src.dtype)
        scatter_add(out, along_index(index, dim), src)
        return out

    def backward(self, grad_out):
        return GatherAlong.apply(grad_out, self.inputs[1], dim=self.params["dim"]), None


def gather_along(x, index, dim: int, op: str = "gather"):
    """``GatherAlong`` with its arguments checked (``index`` an integer Tensor with x's number
    of axes, at most x's sizes outside ``dim``, entries in [0, x.shape[dim]); ``dim``
    non-negative). Errors name ``op``."""
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: index must be an integer tensor, got {index.dtype}")
    if index.ndim != x.ndim:
        raise RuntimeError(
            f"{op}: index has {index.ndim} dimensions but the input has {x.ndim} "
            f"(index shape {index.shape}, input shape {x.shape})"
        )
    for d, (m, n) in enumerate(zip(index.shape, x.shape)):
        if d != dim and m > n:
            raise RuntimeError(
                f"{op}: index shape {index.shape} is larger than the input shape {x.shape} "
                f"outside dimension {dim}"
            )
    if index.numel():
        lo, hi = int(index._data.min()), int(index._data.max())
        if lo < 0 or hi >= x.shape[dim]:
            bad = lo if lo < 0 else hi
            raise RuntimeError(
                f"{op}: index {bad} is out of bounds for dimension {dim} with size {x.shape[dim]}"
            )
    return GatherAlong.apply(x, index, dim=dim)
