"""Selecting and writing elements by index or mask, as ``torch.<name>``: ``gather``,
``take_along_dim``, ``scatter``, ``scatter_add``, ``scatter_reduce``, ``index_select``,
``index_add``, ``index_copy``, ``index_fill``, ``masked_fill``, ``masked_select``,
``masked_scatter``, ``take``. Each is also a Tensor method (``x.gather(dim, index)``).

Index tensors are integer (int64, as PyTorch makes them; int32 is accepted); masks are bool.
Every result is differentiable in the data (and in ``src``/``source``/a tensor ``value``);
the index and the mask get no gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import to_device
from .ops import indexing as IX
from .ops import movement as M
from .ops.indexing import check_dim, check_tensor
from .tensor import Tensor, where

__all__ = [
    "gather",
    "take_along_dim",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "take",
]


# ---------------------------------------------------------------- argument checks
def _index(index: Any, x: Tensor, op: str):
    """The backend array of an integer index, on ``x``'s device."""
    if isinstance(index, Tensor):
        arr = index._data
    else:
        arr = x.xp.asarray(index)
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an int64 (or int32) index tensor, got {arr.dtype}")
    if x.device != ("cpu" if isinstance(arr, np.ndarray) else "cuda"):
        arr = to_device(arr, x.device)
    return arr


def _check_range(arr, size: int, dim: int, op: str, negative: bool, error=RuntimeError) -> Any:
    """``arr`` with negative entries wrapped (when ``negative``); ``error`` for any entry
    outside the dimension."""
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        low = -size if negative else 0
        if lo < low or hi >= size:
            bad = lo if lo < low else hi
            raise error(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")
        if negative and lo < 0:
            arr = arr % size if size else arr
    return arr


def _mask(mask: Any, x: Tensor, op: str):
    arr = mask._data if isinstance(mask, Tensor) else x.xp.asarray(mask)
    if arr.dtype.kind != "b":
        raise RuntimeError(f"{op}: expected a bool mask, got dtype {arr.dtype}")
    if x.device != ("cpu" if isinstance(arr, np.ndarray) else "cuda"):
        arr = to_device(arr, x.device)
    return arr


def _broadcast(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"{op}: shapes {list(shapes)} do not broadcast") from None


def _value(value: Any, x: Tensor, op: str) -> Tensor:
    """A fill value (a number or a 0-d tensor) as a 0-d tensor of ``x``'s dtype."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op}: the value tensor must be 0-dimensional, got shape {value.shape}"
            )
        return value if value.dtype == x.dtype else value.to(x.dtype)
    if not isinstance(value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"{op}: value must be a number or a 0-d tensor, got {type(value).__name__}")
    return Tensor(x.xp.asarray(value).astype(x.dtype))


def _along_dim_args(x: Tensor, dim: int, index: Any, op: str):
    """(x, dim, index array) checked for gather/scatter; 0-d data and index become 1-d."""
    dim = check_dim(dim, x.ndim, op)
    arr = _index(index, x, op)
    if arr.ndim != max(x.ndim, 1) and not (x.ndim == 0 and arr.ndim == 0):
        raise RuntimeError(
            f"{op}: index {tuple(arr.shape)} must have as many dimensions as the input {x.shape}"
        )
    if x.ndim == 0:
        x, arr = x.reshape(1), arr.reshape(1)
    return x, dim, arr


# ---------------------------------------------------------------- gather
def gather(input: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and likewise for other dims);
    ``out`` has ``index``'s shape, which may be smaller than ``input``'s except along ``dim``.
    The gradient is scattered (added) back: ``scatter_add``."""
    check_tensor(input, "gather")
    squeeze = input.ndim == 0
    x, dim, arr = _along_dim_args(input, dim, index, "gather")
    for d, (n, m) in enumerate(zip(arr.shape, x.shape)):
        if d != dim and n > m:
            raise RuntimeError(
                f"gather: index {tuple(arr.shape)} is larger than input {input.shape} "
                f"in dimension {d}"
            )
    arr = _check_range(arr, x.shape[dim], dim, "gather", negative=False)
    out = IX.Gather.apply(x, dim=dim, index=arr)
    return out.reshape(()) if squeeze else out


def take_along_dim(input: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """``gather`` with broadcasting: ``input`` and ``indices`` are broadcast against each other
    on every axis but ``dim``. Without ``dim`` both are flattened (the result is 1-d)."""
    check_tensor(input, "take_along_dim")
    arr = _index(indices, input, "take_along_dim")
    if dim is None:
        flat = input.reshape(-1)
        arr = _check_range(arr.reshape(-1), flat.shape[0], 0, "take_along_dim", negative=False)
        return IX.Gather.apply(flat, dim=0, index=arr)
    dim = check_dim(dim, input.ndim, "take_along_dim")
    if arr.ndim != input.ndim:
        raise RuntimeError(
            f"take_along_dim: input {input.shape} and indices {tuple(arr.shape)} should have "
            "the same number of dimensions"
        )
    x_shape, i_shape = list(input.shape), list(arr.shape)
    x_shape[dim] = i_shape[dim] = 1
    common = list(_broadcast("take_along_dim", tuple(x_shape), tuple(i_shape)))
    x = input.expand(*common[:dim], input.shape[dim], *common[dim + 1 :])
    arr = input.xp.broadcast_to(
        arr, tuple(common[:dim]) + (arr.shape[dim],) + tuple(common[dim + 1 :])
    )
    arr = _check_range(arr, input.shape[dim], dim, "take_along_dim", negative=False)
    return IX.Gather.apply(x, dim=dim, index=arr)


# ---------------------------------------------------------------- scatter
def _scatter_args(input: Tensor, dim: int, index: Any, src: Any, op: str):
    """Checked (x, dim, index, src cut to index's shape) for the scatter family."""
    x, dim, arr = _along_dim_args(input, dim, index, op)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: src must be a Tensor, got {type(src).__name__}")
    src_shape = src.shape if src.ndim else (1,)
    if len(src_shape) != x.ndim:
        raise RuntimeError(
            f"{op}: src {src.shape} must have as many dimensions as the input {input.shape}"
        )
    for d in range(x.ndim):
        if (d != dim and arr.shape[d] > x.shape[d]) or arr.shape[d] > src_shape[d]:
            raise RuntimeError(
                f"{op}: index {tuple(arr.shape)} must be no larger than input {input.shape} "
                f"apart from dimension {dim}, and no larger than src {src.shape}"
            )
    if src.dtype != input.dtype:
        raise RuntimeError(
            f"{op}: expected src to have the input's dtype {input.dtype}, got {src.dtype}"
        )
    arr = _check_range(arr, x.shape[dim], dim, op, negative=False)
    src = src.reshape(src_shape)
    if src_shape != tuple(arr.shape):
        src = src[tuple(slice(0, n) for n in arr.shape)]
    return x, dim, arr, src


def scatter(
    input: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce=None
) -> Tensor:
    """A copy of ``input`` with ``src`` written at ``index`` along ``dim`` (``out[index[i][j]]
    [j] = src[i][j]`` for ``dim=0``), or the number ``value`` everywhere ``index`` points.
    ``reduce="add"``/``"multiply"`` accumulates instead (as ``scatter_reduce`` with sum/prod).
    Where ``index`` repeats a position, which write wins is not specified (as in PyTorch)."""
    check_tensor(input, "scatter")
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a number)")
    if not isinstance(src, Tensor) and src is not None:
        src, value = None, src
    if src is None:
        arr = _index(index, input, "scatter")
        src = Tensor(input.xp.full(arr.shape, value, dtype=input.dtype))
    if reduce is not None:
        modes = {"add": "sum", "multiply": "prod"}
        if reduce not in modes:
            raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        return scatter_reduce(input, dim, index, src, modes[reduce])
    squeeze = input.ndim == 0
    x, dim, arr, src = _scatter_args(input, dim, index, src, "scatter")
    out = IX.Put.apply(x, src, index=IX.along_dim(arr, dim))
    return out.reshape(()) if squeeze else out


def scatter_add(input: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """``input`` plus ``src`` added at ``index`` along ``dim``; repeated positions
    accumulate. The gradient of ``src`` is ``gather`` of the upstream gradient."""
    check_tensor(input, "scatter_add")
    squeeze = input.ndim == 0
    x, dim, arr, src = _scatter_args(input, dim, index, src, "scatter_add")
    out = x + IX.ScatterAdd.apply(src, dim=dim, index=arr, shape=x.shape)
    return out.reshape(()) if squeeze else out


def scatter_reduce(
    input: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce each ``src`` element into ``input`` at ``index`` along ``dim``: ``reduce`` is
    ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``. ``include_self=False``
    leaves the targeted elements' own values out of the reduction (untargeted ones are kept).
    Gradients as PyTorch (amax/amin split evenly among ties; prod exact at zeros)."""
    check_tensor(input, "scatter_reduce")
    if reduce not in IX.REDUCTIONS:
        raise RuntimeError(
            f"scatter_reduce: reduce must be one of {', '.join(IX.REDUCTIONS)}, got {reduce!r}"
        )
    squeeze = input.ndim == 0
    x, dim, arr, src = _scatter_args(input, dim, index, src, "scatter_reduce")
    out = IX.ScatterReduce.apply(
        x, src, dim=dim, index=arr, reduce=reduce, include_self=bool(include_self)
    )
    return out.reshape(()) if squeeze else out


# ---------------------------------------------------------------- index_*
def _vector_index(
    input: Tensor, dim: int, index: Any, op: str, error=IndexError, negative: bool = False
):
    """(dim, 1-d index) for the index_* family; negative entries wrapped (``negative``, as
    ``index_fill`` does) or refused (as the others do)."""
    dim = check_dim(dim, input.ndim, op)
    arr = _index(index, input, op)
    if arr.ndim > 1:
        raise IndexError(f"{op}: index should be a vector (0-d or 1-d), got shape {arr.shape}")
    arr = arr.reshape(-1)
    size = input.shape[dim] if input.ndim else 1
    return dim, _check_range(arr, size, dim, op, negative=negative, error=error)


def _at(dim: int, arr) -> tuple:
    return (slice(None),) * dim + (arr,)


def index_select(input: Tensor, dim: int, index: Any) -> Tensor:
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim``."""
    check_tensor(input, "index_select")
    dim, arr = _vector_index(input, dim, index, "index_select")
    if input.ndim == 0:
        if arr.shape[0] != 1:
            raise RuntimeError(f"index_select: a 0-d input takes one index, got {arr.shape[0]}")
        return input.reshape(())
    return M.GetItem.apply(input, index=_at(dim, arr))


def _source(input: Tensor, dim: int, arr, source: Any, op: str) -> Tensor:
    """``source`` checked to hold one slice of ``input`` per index along ``dim``."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}: source must be a Tensor, got {type(source).__name__}")
    expected = input.shape[:dim] + (arr.shape[0],) + input.shape[dim + 1 :]
    if source.shape != expected and not (source.numel() == arr.shape[0] == 1 == input.ndim):
        raise RuntimeError(
            f"{op}: source {source.shape} should have shape {expected} (input {input.shape} "
            f"with {arr.shape[0]} indices along dimension {dim})"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"{op}: expected source to have the input's dtype {input.dtype}, got {source.dtype}"
        )
    return source.reshape(expected)


def index_add(input: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """``input`` with ``alpha * source[k]`` added to the slice ``index[k]`` along ``dim``
    (repeated indices accumulate)."""
    check_tensor(input, "index_add")
    if input.ndim == 0:
        return index_add(input.reshape(1), dim, index, source.reshape(-1), alpha=alpha).reshape(())
    dim, arr = _vector_index(input, dim, index, "index_add", error=RuntimeError)
    source = _source(input, dim, arr, source, "index_add")
    if alpha != 1:
        source = source * alpha
    return input + M.IndexAdd.apply(source, index=_at(dim, arr), shape=input.shape)


def index_copy(input: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:
    """``input`` with the slice ``index[k]`` along ``dim`` replaced by ``source[k]``."""
    check_tensor(input, "index_copy")
    if input.ndim == 0:
        return index_copy(input.reshape(1), dim, index, source.reshape(-1)).reshape(())
    dim, arr = _vector_index(input, dim, index, "index_copy")
    source = _source(input, dim, arr, source, "index_copy")
    return IX.Put.apply(input, source, index=_at(dim, arr))


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor, which then receives the sum of their gradients)."""
    check_tensor(input, "index_fill")
    dim, arr = _vector_index(input, dim, index, "index_fill", negative=True)
    value = _value(value, input, "index_fill")
    hit = input.xp.zeros(input.shape[dim] if input.ndim else 1, dtype=bool)
    hit[arr] = True
    shape = [1] * input.ndim
    if input.ndim:
        shape[dim] = input.shape[dim]
    return where(Tensor(hit.reshape(shape)), value, input)


# ---------------------------------------------------------------- masks
def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d tensor) wherever the bool ``mask`` is True;
    ``mask`` broadcasts with ``input``. Differentiable in ``input`` and in a tensor
    ``value`` (which receives the sum of the masked gradients)."""
    check_tensor(input, "masked_fill")
    arr = _mask(mask, input, "masked_fill")
    value = _value(value, input, "masked_fill")
    _broadcast("masked_fill", input.shape, tuple(arr.shape))
    return where(Tensor(arr), value, input)


def masked_select(input: Tensor, mask: Any) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (both broadcast)."""
    check_tensor(input, "masked_select")
    arr = _mask(mask, input, "masked_select")
    shape = _broadcast("masked_select", input.shape, tuple(arr.shape))
    x = input.expand(*shape)
    return M.GetItem.apply(x, index=(input.xp.broadcast_to(arr, shape),))


def masked_scatter(input: Tensor, mask: Any, source: Tensor) -> Tensor:
    """``input`` with the positions where ``mask`` is True filled, in order, by the first
    elements of ``source`` (which needs at least as many elements as there are Trues)."""
    check_tensor(input, "masked_scatter")
    arr = _mask(mask, input, "masked_scatter")
    shape = _broadcast("masked_scatter", input.shape, tuple(arr.shape))
    arr = input.xp.broadcast_to(arr, shape)
    count = int(arr.sum())
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter: source must be a Tensor, got {type(source).__name__}")
    if source.numel() < count:
        raise RuntimeError(
            f"masked_scatter: source has {source.numel()} elements but the mask has {count} "
            "True values"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"masked_scatter: expected source to have the input's dtype {input.dtype}, "
            f"got {source.dtype}"
        )
    values = source.reshape(-1)[:count]
    return IX.Put.apply(input.expand(*shape), values, index=(arr,))


def take(input: Tensor, index: Any) -> Tensor:
    """``input.flatten()[index]``: the result has ``index``'s shape; negative indices count
    from the end."""
    check_tensor(input, "take")
    arr = _index(index, input, "take")
    n = input.numel()
    if arr.size and (int(arr.min()) < -n or int(arr.max()) >= n):
        bad = int(arr.min()) if int(arr.min()) < -n else int(arr.max())
        raise IndexError(f"take: index {bad} is out of range for a tensor of {n} elements")
    return M.GetItem.apply(input.reshape(-1), index=(arr,))
