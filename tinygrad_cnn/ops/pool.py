"""Pooling primitives: max-pool with its scatter/gather pair, window sums (average pooling)
and max-unpooling.

Max-pool remembers, for every output, which kernel offset k = i·KW + j held the maximum
(``idx``, shape (N, C, OH, OW), one byte each). Its backward *scatters* the output gradient to
those positions (``PoolScatter``); the backward of the scatter *gathers* (``PoolGather``), whose
backward scatters again — so max-pool differentiates to any order. Ties keep the first maximum
in scan order, as PyTorch does: exactly one input per window receives the gradient.

Every op loops over the KH·KW kernel offsets with one strided (N, C, OH, OW) slice per offset,
as im2col does. When the windows tile the input (stride = kernel, no padding or dilation) the
slices come from a reshape of the input itself — no padded copy — and the scatter writes each
input position exactly once.

Every result is laid out in its input's memory order (a convolution returns (N, C, H, W) views
of (C, H, W, N) memory on the CPU): NumPy then runs each slice over the memory as stored, and
the gradient reaches the convolution in the order its reshape reads without a copy.

Geometry parameters are those of ``ops.im2col`` (pairs; padding ((top, bottom), (left, right))).
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from ..function import Function
from ..tensor import Tensor
from .im2col import (
    LAYOUT_AXES,
    Col2im,
    empty_like,
    empty_ordered,
    input_layout,
    output_size,
    padded_input,
    window_slices,
)
from .workspace import axis_order, inverse_axes

__all__ = [
    "max_pool",
    "window_views",
    "MaxPool2d",
    "PoolScatter",
    "PoolGather",
    "WindowSum",
    "MaxUnpool2d",
    "pool_out_hw",
]


def pool_out_hw(hw, kernel, stride, padding, dilation) -> tuple[int, int]:
    """(OH, OW) for the given geometry (padding pairs already include any ceil-mode extra)."""
    return tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(hw, kernel, stride, padding, dilation, strict=True)
    )


def _tiles(kernel, stride, padding, dilation) -> bool:
    """True when windows tile the input (stride = kernel, no padding or dilation)."""
    return (
        tuple(stride) == tuple(kernel)
        and tuple(dilation) == (1, 1)
        and not any(padding[0] + padding[1])
    )


def _index_dtype(kernel):
    return np.uint8 if kernel[0] * kernel[1] <= 255 else np.int32


def _geometry(params: dict) -> dict:
    return {k: params[k] for k in ("kernel", "stride", "padding", "dilation")}


def window_views(x, kernel, stride, padding, dilation, out_hw, pad_value=0.0) -> list:
    """One strided (N, C, OH, OW) view per kernel offset k = i·KW + j: element [n, c, a, b]
    of view k is what offset k of window (a, b) sees. Tiling windows need no padded copy."""
    KH, KW = kernel
    if _tiles(kernel, stride, padding, dilation):
        N, C = x.shape[:2]
        OH, OW = out_hw
        # (N, C, OH, KH, OW, KW) view, dropping rows/cols that no window covers
        x6 = x[:, :, : OH * KH, : OW * KW].reshape(N, C, OH, KH, OW, KW)
        return [x6[:, :, :, i, :, j] for i in range(KH) for j in range(KW)]
    layout = input_layout(x)  # padded in x's own memory order, viewed as (N, C, Hp, Wp)
    back = inverse_axes(LAYOUT_AXES[layout])  # to (N, C, Hp, Wp)
    src = padded_input(x, padding, layout, value=pad_value).transpose(back)
    views = []
    for i in range(KH):
        for j in range(KW):
            rows, cols = window_slices(i, j, stride, dilation, out_hw)
            views.append(src[:, :, rows, cols])
    return views


def max_pool(xp, x, kernel, stride, padding, dilation, offsets: bool = True):
    """The max-pool forward on arrays: (maxima (N, C, OH, OW), offsets idx (N, C, OH, OW));
    idx is None when ``offsets`` is false (nothing will go backward: inference).

    The maximum is a running ``maximum`` over the offset views (a reshape + ``max`` over two
    strided axes is many times slower in NumPy). The offset is the first one (scan order) equal
    to the maximum: idx = Σ_k [no offset ≤ k matched], counted with boolean ops only. A window
    holding NaN has the maximum NaN and points at its last NaN (PyTorch's rule)."""
    out_hw = pool_out_hw(x.shape[2:], kernel, stride, padding, dilation)
    views = window_views(x, kernel, stride, padding, dilation, out_hw, pad_value=-np.inf)
    out = empty_like(views[0])  # x's memory order
    if len(views) == 1:
        out[...] = views[0]
    else:
        xp.maximum(views[0], views[1], out=out)
    for v in views[2:]:
        xp.maximum(out, v, out=out)
    if not offsets:
        return out, None
    idx = empty_like(out, _index_dtype(kernel))
    idx.fill(0)
    if len(views) > 1:
        unmatched = views[0] != out
        idx += unmatched
        for v in views[1:-1]:
            unmatched &= v != out
            idx += unmatched
        nan = xp.isnan(out)
        if nan.any():  # a NaN matches nothing above; as in PyTorch, the last NaN wins
            for k, v in enumerate(views):
                idx[nan & xp.isnan(v)] = k
    return out, idx


class MaxPool2d(Function):
    """(N, C, H, W) → (N, C, OH, OW), the maximum of each window (padding counts as −∞)."""

    def forward(self, x, *, kernel, stride, padding, dilation):
        # the offsets are for backward only: not computed when this op will not be recorded
        recorded = autograd.records(*self.inputs)
        out, idx = max_pool(self.xp, x, kernel, stride, padding, dilation, offsets=recorded)
        self.save_for_backward(idx)
        return out

    def backward(self, grad_out):
        (idx,) = self.saved
        shape = self.inputs[0].shape
        return PoolScatter.apply(grad_out, Tensor(idx), shape=shape, **_geometry(self.params))


class PoolScatter(Function):
    """grad (N, C, OH, OW) and offsets idx → (N, C, H, W) = ``shape``: each value added at
    the input position its window's offset points to.

    Each offset's slice is ``grad · (idx == k)``, a multiply, several times faster in NumPy than
    ``where``; the price is that an infinite gradient value becomes NaN (∞·0) at the other
    positions of its window instead of 0 there — training has diverged by then anyway."""

    def forward(self, g, idx, *, shape, kernel, stride, padding, dilation):
        return _scatter(self.xp, g, idx, shape, kernel, stride, padding, dilation)

    def backward(self, grad_out):
        idx = self.inputs[1]
        return PoolGather.apply(grad_out, idx, **_geometry(self.params)), None


def _scatter(xp, g, idx, shape, kernel, stride, padding, dilation):
    """PoolScatter's forward on arrays; the result is laid out in the memory order of ``idx``
    (that of the pooled input)."""
    if axis_order(g) != axis_order(idx):  # one copy of g: strided reads in every slice cost more
        g = _copy_ordered(g, idx)
    N, C, H, W = shape
    KH, KW = kernel
    OH, OW = g.shape[2:]
    if _tiles(kernel, stride, padding, dilation):
        # every covered input is in exactly one window: write each offset's slice once
        out = empty_ordered(idx, shape, g.dtype)
        for i in range(KH):
            for j in range(KW):
                tile = out[:, :, i : OH * KH : KH, j : OW * KW : KW]
                xp.multiply(g, idx == i * KW + j, out=tile)
        out[:, :, OH * KH :] = 0  # rows and columns no window covers
        out[:, :, : OH * KH, OW * KW :] = 0
        return out
    (pt, pb), (pl, pr) = padding
    buf = empty_ordered(idx, (N, C, H + pt + pb, W + pl + pr), g.dtype)
    buf.fill(0)
    for i in range(KH):
        for j in range(KW):
            rows, cols = window_slices(i, j, stride, dilation, (OH, OW))
            buf[:, :, rows, cols] += g * (idx == i * KW + j)
    return buf[:, :, pt : pt + H, pl : pl + W]


def _copy_ordered(a, like):
    """A copy of ``a`` laid out in ``like``'s memory order.

    NumPy copies with the output's innermost axis as its inner loop. When ``a``'s stride along
    that axis is a multiple of 4096 bytes (the MNIST Net's gradient, (64, 64, 12, 12) into
    batch-innermost order: 36,864 bytes), every read of that loop maps to the same cache set
    and the copy runs ~3× slower; then it is done 8 entries of that axis at a time."""
    out = empty_ordered(like, a.shape, a.dtype)
    inner = axis_order(out)[-1]
    step = abs(a.strides[inner])
    if step and step % 4096 == 0 and a.shape[inner] > 8:
        lead = (slice(None),) * inner
        for i in range(0, a.shape[inner], 8):
            part = lead + (slice(i, i + 8),)
            out[part] = a[part]
    else:
        out[...] = a
    return out


class PoolGather(Function):
    """x (N, C, H, W) and offsets idx (N, C, OH, OW) → (N, C, OH, OW): the value at the
    offset chosen in each window (the adjoint of ``PoolScatter``)."""

    def forward(self, x, idx, *, kernel, stride, padding, dilation):
        views = window_views(x, kernel, stride, padding, dilation, idx.shape[2:])
        out = empty_like(idx, x.dtype)
        out.fill(0)
        for k, v in enumerate(views):
            out += v * (idx == k)
        return out

    def backward(self, grad_out):
        x, idx = self.inputs
        return PoolScatter.apply(grad_out, idx, shape=x.shape, **_geometry(self.params)), None


class WindowSum(Function):
    """(N, C, H, W) → (N, C, OH, OW): the sum over each window (zero padding); average
    pooling divides it by the window size."""

    def forward(self, x, *, kernel, stride, padding, dilation):
        out_hw = pool_out_hw(x.shape[2:], kernel, stride, padding, dilation)
        views = window_views(x, kernel, stride, padding, dilation, out_hw)
        out = empty_like(views[0])  # x's memory order
        out[...] = views[0]
        for v in views[1:]:
            out += v
        return out

    def backward(self, grad_out):
        p = self.params
        N, C, H, W = self.inputs[0].shape
        KH, KW = p["kernel"]
        OH, OW = grad_out.shape[2:]
        dilation = p["dilation"]
        if _tiles(p["kernel"], p["stride"], p["padding"], dilation):
            # every input position in a tile gets its window's gradient: broadcast, no loop
            g = grad_out.reshape(N, C, OH, 1, OW, 1).expand(N, C, OH, KH, OW, KW)
            g = g.reshape(N, C, OH * KH, OW * KW)
            if (OH * KH, OW * KW) != (H, W):
                g = g.pad((0, W - OW * KW, 0, H - OH * KH))
            return g
        cols = grad_out.reshape(N, C, 1, 1, OH, OW).expand(N, C, KH, KW, OH, OW)
        return Col2im.apply(
            cols,
            shape=(N, C, H, W),
            kernel=p["kernel"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=dilation,
            layout="nchw",
        )


class MaxUnpool2d(Function):
    """x (N, C, H, W) and flat indices (N, C, H, W) into each output plane → (N, C, OH, OW)
    with each value written at its index and zeros elsewhere (PyTorch's ``max_unpool2d``)."""

    def forward(self, x, indices, *, out_hw):
        xp = self.xp
        N, C = x.shape[:2]
        out = xp.zeros((N, C, out_hw[0] * out_hw[1]), dtype=x.dtype)
        n = xp.arange(N).reshape(N, 1, 1)
        c = xp.arange(C).reshape(1, C, 1)
        out[n, c, indices.reshape(N, C, -1)] = x.reshape(N, C, -1)
        return out.reshape(N, C, *out_hw)

    def backward(self, grad_out):
        x, indices = self.inputs
        xp = self.xp
        N, C = x.shape[:2]
        n = xp.arange(N).reshape(N, 1, 1)
        c = xp.arange(C).reshape(1, C, 1)
        flat = grad_out.reshape(N, C, -1)
        return flat[n, c, indices._data.reshape(N, C, -1)].reshape(x.shape), None
