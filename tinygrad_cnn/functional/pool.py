"""Pooling: max (with indices and unpooling), average, adaptive average and adaptive max, in
2-D and 1-D."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import to_device
from ..ops.im2col import output_size
from ..ops.pool import MaxPool2d, MaxUnpool2d, PoolGather, WindowSum, max_pool
from ..tensor import Tensor
from ._args import IntPair, _images, _pair, _tensor
from .conv import _signals, _single

__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "max_unpool2d",
    "max_pool1d",
    "avg_pool1d",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "max_unpool1d",
]


def _pool_geometry(
    op: str,
    x: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None,
    padding: IntPair,
    dilation: IntPair,
    ceil_mode: bool,
) -> dict:
    """Checked pooling geometry; padding pairs include the extra bottom/right rows that
    ``ceil_mode`` windows reach."""
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None or stride == [] else _pair(stride, "stride", op, 1)
    padding = _pair(padding, "padding", op, 0)
    dilation = _pair(dilation, "dilation", op, 1)
    H, W = x.shape[2:]
    for a in range(2):
        if padding[a] > kernel[a] // 2:  # PyTorch's rule (the kernel size without dilation)
            raise ValueError(
                f"{op}: padding {padding} should be at most half of the kernel size {kernel}"
            )
    out_hw = [
        output_size(n, k, s, p, d, ceil_mode)
        for n, k, s, p, d in zip((H, W), kernel, stride, padding, dilation, strict=True)
    ]
    if min(out_hw) < 1:
        raise RuntimeError(
            f"{op}: kernel size {kernel} (dilation {dilation}) is larger than the padded input "
            f"(input shape {x.shape}, padding {padding}); the output would be empty"
        )
    pads = []
    for n, k, s, p, d, o in zip((H, W), kernel, stride, padding, dilation, out_hw, strict=True):
        extra = max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        pads.append((p, p + extra))
    return dict(kernel=kernel, stride=stride, padding=tuple(pads), dilation=dilation)


def max_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over each window; ``stride`` defaults to ``kernel_size``; padding counts as −∞.

    input (N, C, H, W) or (C, H, W) → (N, C, OH, OW). The gradient goes to one input per window
    (the first maximum in scan order, as in PyTorch). With ``return_indices`` also returns the
    int64 position of each maximum in its flattened (H·W) input plane (for ``max_unpool2d``).
    """
    op = "max_pool2d"
    x, unbatched = _images(input, op)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices:
        out = MaxPool2d.apply(x, **geom)
        return out.squeeze(0) if unbatched else out
    # with indices: find the offsets on arrays, then gather (whose gradient is max-pool's)
    _, idx = max_pool(x.xp, x._data, **geom)
    out = PoolGather.apply(x, Tensor(idx), **geom)
    flat = Tensor(_flat_indices(x.xp, idx, x.shape[2:], geom))
    if unbatched:
        return out.squeeze(0), flat.squeeze(0)
    return out, flat


def _flat_indices(xp, idx, hw, geom):
    """Window offsets (N, C, OH, OW) → positions row·W + col in the unpadded input plane."""
    (_KH, KW), (sh, sw), (dh, dw) = geom["kernel"], geom["stride"], geom["dilation"]
    (pt, _), (pl, _) = geom["padding"]
    OH, OW = idx.shape[2:]
    idx = idx.astype(np.int64)
    rows = (xp.arange(OH) * sh - pt).reshape(OH, 1) + (idx // KW) * dh
    cols = (xp.arange(OW) * sw - pl) + (idx % KW) * dw
    return rows * hw[1] + cols


def avg_pool2d(
    input: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window; ``stride`` defaults to ``kernel_size``; zero padding.

    ``count_include_pad`` divides by the window size including padding (the default, as in
    PyTorch); otherwise by the number of real inputs. Windows that ``ceil_mode`` extends past
    the padding are divided by the part inside it. input (N, C, H, W) or (C, H, W).
    """
    op = "avg_pool2d"
    x, unbatched = _images(input, op)
    geom = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        d = divisor_override
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{op}: divisor_override must be an int, got {divisor_override!r}")
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor_override must not be zero")
    sums = WindowSum.apply(x, **geom)
    if divisor_override is not None:
        out = sums / float(divisor_override)
    else:
        divisor = _avg_divisors(x.shape[2:], sums.shape[2:], geom, count_include_pad)
        if np.all(divisor == divisor.flat[0]):
            out = sums / float(divisor.flat[0])
        else:
            out = sums / Tensor(to_device(divisor.astype(x.dtype), x.device))
    return out.squeeze(0) if unbatched else out


def _avg_divisors(hw, out_hw, geom, count_include_pad: bool) -> np.ndarray:
    """(OH, OW) window sizes used as divisors, following PyTorch's rules."""
    per_axis = []
    for n, o, k, s, (p, _) in zip(
        hw, out_hw, geom["kernel"], geom["stride"], geom["padding"], strict=True
    ):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            per_axis.append(end - start)
        else:
            per_axis.append(np.minimum(end, n) - np.maximum(start, 0))
    return np.outer(per_axis[0], per_axis[1]).astype(np.float64)


def adaptive_avg_pool2d(input: Tensor, output_size: IntPair | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size (OH, OW) (an int for both; None keeps the input
    size): output cell i averages input rows floor(i·H/OH) .. ceil((i+1)·H/OH) − 1.
    ``output_size=1`` is global average pooling."""
    op = "adaptive_avg_pool2d"
    x, unbatched = _images(input, op)
    H, W = x.shape[2:]
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    sizes = tuple(n if o is None else int(o) for o, n in zip(output_size, (H, W), strict=False))
    if len(sizes) != 2 or min(sizes) < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    OH, OW = sizes
    if H % OH == 0 and W % OW == 0:
        out = avg_pool2d(x, (H // OH, W // OW))
    else:
        # rows and columns average independently: out = Ph @ x @ Pwᵀ with averaging matrices
        ph = Tensor(to_device(_adaptive_matrix(H, OH, x.dtype), x.device))
        pw = Tensor(to_device(_adaptive_matrix(W, OW, x.dtype), x.device))
        out = ph @ x @ pw.T
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(n: int, o: int, dtype) -> np.ndarray:
    """(o, n) matrix whose row i averages inputs floor(i·n/o) .. ceil((i+1)·n/o) − 1."""
    m = np.zeros((o, n), dtype=dtype)
    for i in range(o):
        lo, hi = (i * n) // o, -((-(i + 1) * n) // o)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of ``max_pool2d(..., return_indices=True)``: each value is written at its index
    in a zero (N, C, OH, OW) output, OH = (H − 1)·sh − 2·ph + KH unless ``output_size`` says."""
    op = "max_unpool2d"
    x, unbatched = _images(input, op)
    idx = _tensor(indices, "indices", op)
    if unbatched:
        idx = idx.unsqueeze(0)
    if idx.shape != x.shape or idx.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: indices must be integers of the input's shape {x.shape}, got {idx.shape} "
            f"{idx.dtype}"
        )
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None else _pair(stride, "stride", op, 1)
    padding = _pair(padding, "padding", op, 0)
    if output_size is None:
        out_hw = tuple(
            (n - 1) * s - 2 * p + k
            for n, s, p, k in zip(x.shape[2:], stride, padding, kernel, strict=True)
        )
    else:
        out_hw = tuple(int(n) for n in tuple(output_size)[-2:])
    if idx.device == "cpu" and idx.numel():
        lo, hi = int(idx._data.min()), int(idx._data.max())
        if lo < 0 or hi >= out_hw[0] * out_hw[1]:
            raise IndexError(
                f"{op}: indices range over [{lo}, {hi}] but the output plane {out_hw} has "
                f"{out_hw[0] * out_hw[1]} positions"
            )
    out = MaxUnpool2d.apply(x, idx, out_hw=out_hw)
    return out.squeeze(0) if unbatched else out


# ------------------------------------------------------------------ 1-D pooling, adaptive max
# The 1-D forms pool a height-1 image (N, C, 1, L) with the 2-D primitives.


def _pool1d_args(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked (kernel, stride, padding, dilation) ints for a 1-D pooling of x (N, C, L)."""
    k = _single(kernel_size, "kernel_size", op, 1)
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride", op, 1)
    p = _single(padding, "padding", op, 0)
    d = _single(dilation, "dilation", op, 1)
    if p > k // 2:
        raise ValueError(f"{op}: padding {p} should be at most half of the kernel size {k}")
    if output_size(x.shape[2], k, s, p, d, ceil_mode) < 1:
        raise RuntimeError(
            f"{op}: kernel size {k} (dilation {d}) is larger than the padded input (input "
            f"shape {x.shape}, padding {p}); the output would be empty"
        )
    return k, s, p, d


def max_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    dilation: int | Sequence[int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over each window of (N, C, L) or (C, L); ``stride`` defaults to
    ``kernel_size``; padding counts as −∞. With ``return_indices`` also the int64 position of
    each maximum along L."""
    op = "max_pool1d"
    x, unbatched = _signals(input, op)
    k, s, p, d = _pool1d_args(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    out = max_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, p), (1, d), ceil_mode, return_indices)
    if return_indices:  # flat positions row·L + col in a one-row plane: the column
        values, idx = out[0].squeeze(2), out[1].squeeze(2)
        return (values.squeeze(0), idx.squeeze(0)) if unbatched else (values, idx)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(
    input: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over each window of (N, C, L) or (C, L); ``stride`` defaults to ``kernel_size``;
    zero padding, counted in the divisor when ``count_include_pad`` (the default)."""
    op = "avg_pool1d"
    x, unbatched = _signals(input, op)
    k, s, p, _ = _pool1d_args(op, x, kernel_size, stride, padding, 1, ceil_mode)
    out = avg_pool2d(x.unsqueeze(2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def _output_length(output_size: Any, n: int, op: str) -> int:
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 1:
            raise ValueError(f"{op}: output_size must be an int or a 1-tuple, got {output_size!r}")
        output_size = output_size[0]
    if output_size is None:
        return n
    if isinstance(output_size, bool) or not isinstance(output_size, (int, np.integer)):
        raise TypeError(f"{op}: output_size must be an int, got {output_size!r}")
    if output_size < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return int(output_size)


def _output_hw(output_size: Any, hw: tuple[int, int], op: str) -> tuple[int, int]:
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size, output_size)
    sizes = tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    return tuple(_output_length(o, n, op) for o, n in zip(sizes, hw, strict=True))


def adaptive_avg_pool1d(input: Tensor, output_size: int | Sequence[int]) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to length ``output_size``: output i averages
    inputs floor(i·L/OL) .. ceil((i+1)·L/OL) − 1."""
    op = "adaptive_avg_pool1d"
    x, unbatched = _signals(input, op)
    OL = _output_length(output_size, x.shape[2], op)
    out = adaptive_avg_pool2d(x.unsqueeze(2), (1, OL)).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _adaptive_bounds(n: int, o: int) -> list[tuple[int, int]]:
    """The (start, end) input range of each of the o adaptive windows over n inputs."""
    return [((i * n) // o, -((-(i + 1) * n) // o)) for i in range(o)]


def _adaptive_argmax(xp, x, out_hw):
    """Flat positions (row·W + col) of each adaptive window's first maximum, (N, C, OH, OW)."""
    N, C, H, W = x.shape
    OH, OW = out_hw
    idx = xp.empty((N, C, OH, OW), dtype=np.int64)
    for i, (r0, r1) in enumerate(_adaptive_bounds(H, OH)):
        for j, (c0, c1) in enumerate(_adaptive_bounds(W, OW)):
            window = x[:, :, r0:r1, c0:c1].reshape(N, C, -1)
            k = window.argmax(axis=2)  # the first maximum in scan order
            nan = xp.isnan(window)
            if nan.any():  # as in PyTorch, a NaN wins: the last one in scan order
                last = window.shape[2] - 1 - nan[:, :, ::-1].argmax(axis=2)
                k = xp.where(nan.any(axis=2), last, k)
            idx[:, :, i, j] = (r0 + k // (c1 - c0)) * W + c0 + k % (c1 - c0)
    return idx


def adaptive_max_pool2d(
    input: Tensor, output_size: IntPair | Sequence[int | None], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed (OH, OW) (an int for both; None
    keeps the input size); window (i, j) covers rows floor(i·H/OH) .. ceil((i+1)·H/OH) − 1 and
    likewise columns. With ``return_indices`` also the int64 flat position (row·W + col) of
    each maximum. The gradient goes to that one input (a gather, differentiable again)."""
    op = "adaptive_max_pool2d"
    x, unbatched = _images(input, op)
    N, C, H, W = x.shape
    OH, OW = _output_hw(output_size, (H, W), op)
    idx = _adaptive_argmax(x.xp, x._data, (OH, OW))
    flat = Tensor(idx)
    out = x.reshape(N, C, H * W).gather(2, flat.reshape(N, C, OH * OW)).reshape(N, C, OH, OW)
    if unbatched:
        out, flat = out.squeeze(0), flat.squeeze(0)
    return (out, flat) if return_indices else out


def adaptive_max_pool1d(
    input: Tensor, output_size: int | Sequence[int], return_indices: bool = False
) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling of (N, C, L) or (C, L) to length ``output_size`` (windows as in
    ``adaptive_avg_pool1d``); with ``return_indices`` also the position of each maximum."""
    op = "adaptive_max_pool1d"
    x, unbatched = _signals(input, op)
    OL = _output_length(output_size, x.shape[2], op)
    out, idx = adaptive_max_pool2d(x.unsqueeze(2), (1, OL), return_indices=True)
    out, idx = out.squeeze(2), idx.squeeze(2)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    output_size: Sequence[int] | None = None,
) -> Tensor:
    """Inverse of ``max_pool1d(..., return_indices=True)`` on (N, C, L) or (C, L): each value
    is written at its index in a zero output of length (L − 1)·stride − 2·padding +
    kernel_size, unless ``output_size`` says."""
    op = "max_unpool1d"
    x, unbatched = _signals(input, op)
    idx = _tensor(indices, "indices", op)
    k = _single(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _single(stride, "stride", op, 1)
    p = _single(padding, "padding", op, 0)
    if output_size is None:
        length = (x.shape[2] - 1) * s - 2 * p + k
    else:
        length = int(tuple(output_size)[-1])
    if unbatched:
        idx = idx.unsqueeze(0)
    out = max_unpool2d(x.unsqueeze(2), idx.unsqueeze(2), (1, k), (1, s), (0, p), (1, length))
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out
