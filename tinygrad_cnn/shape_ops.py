"""Rearranging, triangular and diagonal parts, products and running reductions, norms, and the
integer-valued queries (``nonzero``, ``unique``, ``bincount``, ...), as ``torch.<name>``.

Each differentiable function is composed from primitives (reshape, expand, permute, indexing,
cat, where, mul, sum, Cumsum, PNorm), so every gradient is differentiable again. ``prod`` and
``cumprod`` multiply pairs of slices in a tree (no division), so their gradients are exact
where inputs are zero, at every order. Each is also a Tensor method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .ops import movement as M
from .ops import scan as S
from .ops.indexing import check_dim, check_tensor
from .tensor import Tensor, _shape_arg, cat, where

__all__ = [
    "repeat",
    "tile",
    "repeat_interleave",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "narrow",
    "unbind",
    "movedim",
    "moveaxis",
    "swapaxes",
    "swapdims",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "trace",
    "outer",
    "cross",
    "kron",
    "cumsum",
    "cumprod",
    "prod",
    "norm",
    "dist",
    "nonzero",
    "argwhere",
    "unique",
    "bincount",
    "histc",
    "searchsorted",
    "bucketize",
]


def _dims(dims: Any, ndim: int, op: str) -> tuple[int, ...]:
    """An int or a sequence of ints as checked non-negative axes, without repeats."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    out = tuple(check_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dim {out} appears multiple times in the list of dims")
    return out


def _slice(ndim: int, dim: int, part: Any) -> tuple:
    return (slice(None),) * dim + (part,) + (slice(None),) * (ndim - dim - 1)


# ---------------------------------------------------------------- repeating and flipping
def repeat(input: Tensor, *sizes) -> Tensor:
    """``input`` tiled ``sizes[i]`` times along axis i (``sizes`` may add leading axes)."""
    check_tensor(input, "repeat")
    sizes = _shape_arg(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            f"repeat: the number of repeat dims ({len(sizes)}) can not be smaller than the "
            f"number of dimensions of the tensor ({input.ndim})"
        )
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - input.ndim) + input.shape
    pairs = tuple(n for s in shape for n in (1, s))  # (1, s0, 1, s1, ...)
    target = tuple(n for r, s in zip(sizes, shape) for n in (r, s))  # (r0, s0, r1, s1, ...)
    out = input.reshape(pairs).expand(*target)
    return out.reshape(tuple(r * s for r, s in zip(sizes, shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``repeat`` where fewer ``dims`` than axes means ones in front."""
    check_tensor(input, "tile")
    dims = _shape_arg((dims,)) if not isinstance(dims, int) else (dims,)
    dims = (1,) * (input.ndim - len(dims)) + tuple(dims)
    return repeat(input, *dims)


def repeat_interleave(
    input: Tensor, repeats: Any, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place:
    ``[1, 2] → [1, 1, 2, 2]``. ``repeats`` is an int or a 1-d tensor of one count per
    element; without ``dim`` the input is flattened first."""
    check_tensor(input, "repeat_interleave")
    if dim is None:
        input, dim = input.reshape(-1), 0
    dim = check_dim(dim, input.ndim, "repeat_interleave")
    x = input if input.ndim else input.reshape(1)
    n = x.shape[dim]
    if isinstance(repeats, Tensor) or not isinstance(repeats, (int, np.integer)):
        counts = repeats.numpy() if isinstance(repeats, Tensor) else np.asarray(repeats)
        if counts.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be integers, got {counts.dtype}")
        counts = counts.reshape(-1)
        if counts.size == 1:
            counts = np.repeat(counts, n)
        if counts.size != n:
            raise RuntimeError(
                f"repeat_interleave: repeats has {counts.size} counts for {n} elements along "
                f"dimension {dim}"
            )
        if (counts < 0).any():
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        index = x.xp.asarray(np.repeat(np.arange(n), counts))
        return M.GetItem.apply(x, index=_slice(x.ndim, dim, index)[: dim + 1])
    if repeats < 0:
        raise RuntimeError(f"repeat_interleave: repeats can not be negative, got {repeats}")
    shape = x.shape
    kept = shape[: dim + 1] + (1,) + shape[dim + 1 :]
    wide = shape[: dim + 1] + (int(repeats),) + shape[dim + 1 :]
    out = x.reshape(kept).expand(*wide)
    return out.reshape(shape[:dim] + (n * int(repeats),) + shape[dim + 1 :])


def flip(input: Tensor, *args, dims: Any = None) -> Tensor:
    """``input`` reversed along each of ``dims`` (``flip(x, [0, 1])``, ``flip(x, dims=(0,))``,
    ``x.flip(0, 1)``)."""
    check_tensor(input, "flip")
    if dims is not None and args:
        raise TypeError(f"flip: dims given twice ({args!r} and dims={dims!r})")
    if dims is None:
        dims = args[0] if len(args) == 1 and not isinstance(args[0], (int, np.integer)) else args
    dims = _dims(dims, input.ndim, "flip")
    if not dims or input.ndim == 0:
        return input
    index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(input.ndim))
    return M.GetItem.apply(input, index=index)


def fliplr(input: Tensor) -> Tensor:
    check_tensor(input, "fliplr")
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be at least 2-d, got shape {input.shape}")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    check_tensor(input, "flipud")
    if input.ndim < 1:
        raise RuntimeError(f"flipud: input must be at least 1-d, got shape {input.shape}")
    return flip(input, 0)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` by ``shifts`` (cyclically); without ``dims`` the tensor is
    rolled flattened and its shape restored."""
    check_tensor(input, "roll")
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            shifts = tuple(shifts)
            if len(shifts) != 1:
                raise RuntimeError(f"roll: without dims, shifts must be one int, got {shifts}")
            shifts = shifts[0]
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims_t):
        raise RuntimeError(
            f"roll: shifts ({len(shifts)}) and dims ({len(dims_t)}) must have the same length"
        )
    out = input
    for s, d in zip(shifts, dims_t):
        d = check_dim(d, input.ndim, "roll")
        n = input.shape[d] if input.ndim else 1
        s = int(s) % n if n else 0
        if s:
            x = out if out.ndim else out.reshape(1)
            out = cat(
                [x[_slice(x.ndim, d, slice(n - s, n))], x[_slice(x.ndim, d, slice(0, n - s))]], d
            )
    return out.reshape(input.shape)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90° ``k`` times in the plane of ``dims``, from the first towards the second."""
    check_tensor(input, "rot90")
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _dims(dims, input.ndim, "rot90")
    k = int(k) % 4
    if k == 1:
        return flip(input, d1).transpose(d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return flip(input, d0).transpose(d0, d1)
    return input


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The ``length`` elements from ``start`` along ``dim`` (a view, as slicing)."""
    check_tensor(input, "narrow")
    if input.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    dim = check_dim(dim, input.ndim, "narrow")
    n = input.shape[dim]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dimension {dim} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n})"
        )
    return input[_slice(input.ndim, dim, slice(start, start + length))]


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that axis removed."""
    check_tensor(input, "unbind")
    if input.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
    dim = check_dim(dim, input.ndim, "unbind")
    return tuple(input[_slice(input.ndim, dim, i)] for i in range(input.shape[dim]))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Axes ``source`` moved to positions ``destination``; the others keep their order."""
    check_tensor(input, "movedim")
    src = _dims(source, input.ndim, "movedim")
    dst = _dims(destination, input.ndim, "movedim")
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: source ({len(src)} dims) and destination ({len(dst)} dims) must match"
        )
    order = [None] * max(input.ndim, 1)
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(input.ndim) if d not in src)
    order = [next(rest) if o is None else o for o in order][: input.ndim]
    return input.permute(*order)


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    check_tensor(input, "swapaxes")
    a0 = check_dim(axis0, input.ndim, "swapaxes")
    a1 = check_dim(axis1, input.ndim, "swapaxes")
    return input.transpose(a0, a1) if input.ndim else input


swapdims = swapaxes


# ---------------------------------------------------------------- triangles and diagonals
def _triangle(input: Tensor, diagonal: int, upper: bool, op: str) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got {input.shape}")
    rows, cols = input.shape[-2:]
    i = np.arange(rows)[:, None]
    j = np.arange(cols)[None, :]
    keep = (j - i >= diagonal) if upper else (j - i <= diagonal)
    zero = Tensor(input.xp.zeros((), dtype=input.dtype))
    return where(Tensor(input.xp.asarray(keep)), input, zero)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes (on and below ``diagonal``); zeros above."""
    check_tensor(input, "tril")
    return _triangle(input, diagonal, False, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes (on and above ``diagonal``); zeros below."""
    check_tensor(input, "triu")
    return _triangle(input, diagonal, True, "triu")


def _diagonal_index(rows: int, cols: int, offset: int):
    """Row and column positions of the ``offset`` diagonal of a rows × cols matrix."""
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_r, cols - start_c), 0)
    return np.arange(n) + start_r, np.arange(n) + start_c


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the matrices in axes ``dim1``, ``dim2``, as a new last axis."""
    check_tensor(input, "diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"diagonal: input must be at least 2-d, got shape {input.shape}")
    d1, d2 = check_dim(dim1, input.ndim, "diagonal"), check_dim(dim2, input.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dimensions cannot be identical {dim1}, {dim2}")
    x = movedim(input, (d1, d2), (-2, -1))
    r, c = _diagonal_index(x.shape[-2], x.shape[-1], int(offset))
    xp = input.xp
    return M.GetItem.apply(x, index=(Ellipsis, xp.asarray(r), xp.asarray(c)))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-d input becomes a square matrix with it on the ``diagonal``; a 2-d input gives its
    ``diagonal`` as a 1-d tensor."""
    check_tensor(input, "diag")
    xp = input.xp
    if input.ndim == 1:
        n = input.shape[0] + abs(int(diagonal))
        r, c = _diagonal_index(n, n, int(diagonal))
        return M.IndexAdd.apply(input, index=(xp.asarray(r), xp.asarray(c)), shape=(n, n))
    if input.ndim == 2:
        r, c = _diagonal_index(*input.shape, int(diagonal))
        return M.GetItem.apply(input, index=(xp.asarray(r), xp.asarray(c)))
    raise RuntimeError(f"diag: input must be 1-d or 2-d, got shape {input.shape}")


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix."""
    check_tensor(input, "trace")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {input.shape}")
    return diagonal(input).sum()


# ---------------------------------------------------------------- products
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """``out[i, j] = input[i] * vec2[j]`` for two vectors."""
    check_tensor(input, "outer")
    vec2 = input._lift(vec2)
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-d tensors, got {input.shape} and {vec2.shape}")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (default: the first axis of size 3);
    the two inputs broadcast."""
    check_tensor(input, "cross")
    other = input._lift(other)
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"cross: inputs must have the same number of dimensions, got {input.shape} and "
            f"{other.shape}"
        )
    shape = np.broadcast_shapes(input.shape, other.shape)
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dimension of size 3 in input {input.shape}")
    dim = check_dim(dim, len(shape), "cross")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"cross: inputs dimension {dim} must have length 3, got {input.shape[dim]} and "
            f"{other.shape[dim]}"
        )
    a = [input[_slice(input.ndim, dim, slice(i, i + 1))] for i in range(3)]
    b = [other[_slice(other.ndim, dim, slice(i, i + 1))] for i in range(3)]
    parts = [a[(i + 1) % 3] * b[(i + 2) % 3] - a[(i + 2) % 3] * b[(i + 1) % 3] for i in range(3)]
    return cat(parts, dim)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: block (i, j, ...) of the result is ``input[i, j, ...] * other``."""
    check_tensor(input, "kron")
    other = input._lift(other)
    nd = max(input.ndim, other.ndim)
    a_shape = (1,) * (nd - input.ndim) + input.shape
    b_shape = (1,) * (nd - other.ndim) + other.shape
    a = input.reshape(tuple(n for s in a_shape for n in (s, 1)))  # (a0, 1, a1, 1, ...)
    b = other.reshape(tuple(n for s in b_shape for n in (1, s)))  # (1, b0, 1, b1, ...)
    return (a * b).reshape(tuple(p * q for p, q in zip(a_shape, b_shape)))


def _tree_product(x: Tensor, dim: int) -> Tensor:
    """The product along ``dim`` (kept, size 1) by multiplying halves: log₂ n Mul ops."""
    while x.shape[dim] > 1:
        n = x.shape[dim]
        h = n // 2
        prod = x[_slice(x.ndim, dim, slice(0, h))] * x[_slice(x.ndim, dim, slice(h, 2 * h))]
        x = cat([prod, x[_slice(x.ndim, dim, slice(2 * h, n))]], dim) if n % 2 else prod
    return x


def _cast_for(input: Tensor, dtype: Any, op: str) -> Tensor:
    if dtype is not None:
        return input.to(np.dtype(dtype))
    if input.dtype.kind in "bu" or (input.dtype.kind == "i" and input.dtype != np.int64):
        return input.to(np.int64)  # PyTorch: integer products and sums are int64
    return input


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The product of all elements, or along ``dim``. The gradient is the product of the
    other elements, exact where some are zero (no division)."""
    check_tensor(input, "prod")
    x = _cast_for(input, dtype, "prod")
    if dim is None:
        if x.numel() == 0:
            return Tensor(x.xp.ones((), dtype=x.dtype))
        return _tree_product(x.reshape(-1), 0).reshape(())
    dim = check_dim(dim, x.ndim, "prod")
    if x.ndim == 0:
        return x
    if x.shape[dim] == 0:
        shape = tuple(1 if i == dim else n for i, n in enumerate(x.shape))
        out = Tensor(x.xp.ones(shape, dtype=x.dtype))
    else:
        out = _tree_product(x, dim)
    return out if keepdim else out.squeeze(dim)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along ``dim``: ``out[i] = input[0] + ... + input[i]``."""
    check_tensor(input, "cumsum")
    x = _cast_for(input, dtype, "cumsum")
    dim = check_dim(dim, x.ndim, "cumsum")
    if x.ndim == 0:
        return x
    return S.Cumsum.apply(x, axis=dim)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along ``dim``, as a scan of log₂ n Mul steps (no division), so the
    gradient is exact where inputs are zero."""
    check_tensor(input, "cumprod")
    x = _cast_for(input, dtype, "cumprod")
    dim = check_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return x
    n, step = x.shape[dim], 1
    while step < n:  # after this step, x[i] is the product of the last 2·step inputs up to i
        head = x[_slice(x.ndim, dim, slice(0, step))]
        tail = x[_slice(x.ndim, dim, slice(step, n))] * x[_slice(x.ndim, dim, slice(0, n - step))]
        x = cat([head, tail], dim)
        step *= 2
    return x


# ---------------------------------------------------------------- norms
def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    """The vector p-norm over ``dim`` (default: all elements): ``p`` is a number (2, 1,
    ``inf``, ``-inf``, 0, any positive p) or ``"fro"`` (= 2). The gradient at a zero norm is 0,
    as PyTorch's."""
    check_tensor(input, "norm")
    x = input if dtype is None else input.to(np.dtype(dtype))
    if x.dtype.kind != "f":
        raise RuntimeError(f"norm: expected a floating point input, got {x.dtype}")
    if p == "fro" or p is None:
        p = 2
    if isinstance(p, str):
        raise RuntimeError(f"norm: p must be a number or 'fro', got {p!r}")
    if dim is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(sorted(_dims(dim, x.ndim, "norm"))) if x.ndim else ()
    if p == math.inf or p == -math.inf:
        a = x.abs()
        return a.amax(axes, keepdim) if p > 0 else a.amin(axes, keepdim)
    if p == 0:
        return Tensor((x._data != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype))
    if p == 1:
        return x.abs().sum(axes, keepdim)
    if p < 0:
        return (x.abs() ** p).sum(axes, keepdim) ** (1.0 / p)
    return S.PNorm.apply(x, p=float(p), axis=axes, keepdim=keepdim)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """``norm(input - other, p)`` (the two broadcast)."""
    check_tensor(input, "dist")
    return norm(input - input._lift(other), p)


# ---------------------------------------------------------------- integer-valued queries
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple=True`` one 1-d tensor per axis."""
    check_tensor(input, "nonzero")
    arr = input._data
    if input.ndim == 0:
        hits = int(bool(arr))
        if as_tuple:
            return (Tensor(input.xp.zeros(hits, dtype=np.int64)),)
        return Tensor(input.xp.zeros((hits, 0), dtype=np.int64))
    parts = input.xp.nonzero(arr)
    if as_tuple:
        return tuple(Tensor(p.astype(np.int64)) for p in parts)
    return Tensor(input.xp.stack(parts, axis=1).astype(np.int64))


def argwhere(input: Tensor) -> Tensor:
    """Same as ``nonzero(input)``: an (n, ndim) int64 tensor of indices."""
    check_tensor(input, "argwhere")
    return nonzero(input)


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
):
    """The distinct values (sorted), or distinct slices along ``dim``; optionally the inverse
    (the index of each input element in the result) and the count of each value."""
    check_tensor(input, "unique")
    arr = input.numpy()
    if dim is None:
        values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(arr.shape)
    else:
        dim = check_dim(dim, input.ndim, "unique")
        values, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True, axis=dim)
        inverse = inverse.reshape(-1)
    dev = input.device
    out = [Tensor(values, device=dev)]
    if return_inverse:
        out.append(Tensor(inverse.astype(np.int64), device=dev))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64), device=dev))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, ... occurs in a 1-d tensor of non-negative integers (or the
    sum of ``weights`` at its positions)."""
    check_tensor(input, "bincount")
    if input.ndim != 1 or input.dtype.kind not in "iu":
        raise RuntimeError(
            f"bincount: only 1-d non-negative integral inputs are supported, got "
            f"{input.dtype} of shape {input.shape}"
        )
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    arr = input.numpy()
    if arr.size and arr.min() < 0:
        raise RuntimeError(f"bincount: input must be non-negative, got {int(arr.min())}")
    if weights is None:
        counts = np.bincount(arr, minlength=minlength).astype(np.int64)
        return Tensor(counts, device=input.device)
    w = weights.numpy() if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != arr.shape:
        raise RuntimeError(
            f"bincount: weights {w.shape} should have the same shape as input {arr.shape}"
        )
    dtype = w.dtype if w.dtype.kind == "f" else np.float64
    return Tensor(np.bincount(arr, w, minlength=minlength).astype(dtype), device=input.device)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of ``bins`` equal-width bins between ``min`` and ``max`` (the data's own
    range when both are 0); values outside are ignored."""
    check_tensor(input, "histc")
    if input.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating point input, got {input.dtype}")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, got {bins}")
    arr = input.numpy().reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max ({hi}) must be larger than min ({lo})")
    counts, _ = np.histogram(arr, bins=bins, range=(lo, hi))
    return Tensor(counts.astype(input.dtype), device=input.device)


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """For each value, the index where it would be inserted into the last axis of
    ``sorted_sequence`` to keep it sorted (before equal values; after with ``right=True`` or
    ``side="right"``). A multi-dimensional sequence is searched row by row (its leading axes
    match the values')."""
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: side='left' and right=True contradict each other")
        right = side == "right"
    seq = sorted_sequence.numpy()
    scalar = not isinstance(input, Tensor)
    values = np.asarray(input) if scalar else input.numpy()
    if sorter is not None:
        order = sorter.numpy() if isinstance(sorter, Tensor) else np.asarray(sorter)
        seq = np.take_along_axis(seq, order, axis=-1)
    how = "right" if right else "left"
    if seq.ndim <= 1:
        out = np.searchsorted(seq, values, side=how)
    else:
        if values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]:
            raise RuntimeError(
                f"searchsorted: boundaries {seq.shape} and input {values.shape} should have "
                "the same leading dimensions"
            )
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(rows_s, rows_v)])
        out = out.reshape(values.shape)
    dtype = np.int32 if out_int32 else np.int64
    return Tensor(np.asarray(out).astype(dtype), device=sorted_sequence.device)


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value given sorted 1-d ``boundaries``: i with
    ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right=True``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-d, got shape {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
