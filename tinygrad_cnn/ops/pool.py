"""Pooling primitives: max-pool with its scatter/gather pair, window sums (average pooling)
and max-unpooling.

Max-pool remembers, for every output, which kernel offset k = i·KW + j held the maximum
(``idx``, shape (N, C, OH, OW), one byte each). Its backward *scatters* the output gradient to
those positions (``PoolScatter``); the backward of the scatter *gathers* (``PoolGather``), whose
backward scatters again — so max-pool differentiates to any order. Ties keep the first maximum
in scan order, as PyTorch does: exactly one input per window receives the gradient.

When stride == kernel (no padding, no dilation) the windows tile the input and everything is a
reshape to (N, C, OH, KH, OW, KW) plus a reduction or a broadcast; otherwise each op loops over
the KH·KW offsets with strided slices, as im2col does.

Geometry parameters are those of ``ops.im2col`` (pairs; padding ((top, bottom), (left, right))).
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .im2col import Col2im, output_size, padded_input, window_slices

__all__ = [
    "max_pool",
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
    """True when windows tile the input: a reshape replaces the offset loop."""
    return (
        tuple(stride) == tuple(kernel)
        and tuple(dilation) == (1, 1)
        and not any(padding[0] + padding[1])
    )


def _tiled(x, kernel, out_hw):
    """(N, C, H, W) → the view (N, C, OH, KH, OW, KW), dropping rows/cols no window covers."""
    N, C = x.shape[:2]
    (KH, KW), (OH, OW) = kernel, out_hw
    return x[:, :, : OH * KH, : OW * KW].reshape(N, C, OH, KH, OW, KW)


def _index_dtype(kernel):
    return np.uint8 if kernel[0] * kernel[1] <= 255 else np.int32


def _geometry(params: dict) -> dict:
    return {k: params[k] for k in ("kernel", "stride", "padding", "dilation")}


def max_pool(xp, x, kernel, stride, padding, dilation):
    """The max-pool forward on arrays: (maxima (N, C, OH, OW), offsets idx (N, C, OH, OW))."""
    KH, KW = kernel
    out_hw = pool_out_hw(x.shape[2:], kernel, stride, padding, dilation)
    if _tiles(kernel, stride, padding, dilation):
        x6 = _tiled(x, kernel, out_hw)  # (N, C, OH, KH, OW, KW) view
        views = [x6[:, :, :, i, :, j] for i in range(KH) for j in range(KW)]
        out = x6.max(axis=(3, 5))
    else:
        src = padded_input(x, padding, "nchw", value=-np.inf)  # (N, C, Hp, Wp)
        views = []
        for i in range(KH):
            for j in range(KW):
                rows, cols = window_slices(i, j, stride, dilation, out_hw)
                views.append(src[:, :, rows, cols])
        out = views[0].copy()
        for v in views[1:]:
            xp.maximum(out, v, out=out)
    # the first offset (in scan order) that attains the maximum: walk the offsets backwards
    idx = xp.full(out.shape, len(views) - 1, dtype=_index_dtype(kernel))
    for k in range(len(views) - 2, -1, -1):
        idx = xp.where(views[k] == out, idx.dtype.type(k), idx)
    return out, idx


class MaxPool2d(Function):
    """(N, C, H, W) → (N, C, OH, OW), the maximum of each window (padding counts as −∞)."""

    def forward(self, x, *, kernel, stride, padding, dilation):
        out, idx = max_pool(self.xp, x, kernel, stride, padding, dilation)
        self.save_for_backward(idx)
        return out

    def backward(self, grad_out):
        (idx,) = self.saved
        shape = self.inputs[0].shape
        return PoolScatter.apply(grad_out, Tensor(idx), shape=shape, **_geometry(self.params))


class PoolScatter(Function):
    """grad (N, C, OH, OW) and offsets idx → (N, C, H, W) = ``shape``: each value added at
    the input position its window's offset points to."""

    def forward(self, g, idx, *, shape, kernel, stride, padding, dilation):
        xp = self.xp
        N, C, H, W = shape
        KH, KW = kernel
        OH, OW = g.shape[2:]
        if _tiles(kernel, stride, padding, dilation):
            offsets = xp.arange(KH * KW, dtype=idx.dtype).reshape(1, 1, 1, KH, 1, KW)
            mask = idx.reshape(N, C, OH, 1, OW, 1) == offsets  # (N, C, OH, KH, OW, KW)
            tiles = xp.where(mask, g.reshape(N, C, OH, 1, OW, 1), g.dtype.type(0))
            tiles = tiles.reshape(N, C, OH * KH, OW * KW)
            if (OH * KH, OW * KW) == (H, W):
                return tiles
            out = xp.zeros(shape, dtype=g.dtype)
            out[:, :, : OH * KH, : OW * KW] = tiles
            return out
        (pt, pb), (pl, pr) = padding
        buf = xp.zeros((N, C, H + pt + pb, W + pl + pr), dtype=g.dtype)
        zero = g.dtype.type(0)
        for i in range(KH):
            for j in range(KW):
                rows, cols = window_slices(i, j, stride, dilation, (OH, OW))
                buf[:, :, rows, cols] += xp.where(idx == i * KW + j, g, zero)
        return buf[:, :, pt : pt + H, pl : pl + W]

    def backward(self, grad_out):
        idx = self.inputs[1]
        return PoolGather.apply(grad_out, idx, **_geometry(self.params)), None


class PoolGather(Function):
    """x (N, C, H, W) and offsets idx (N, C, OH, OW) → (N, C, OH, OW): the value at the
    offset chosen in each window (the adjoint of ``PoolScatter``)."""

    def forward(self, x, idx, *, kernel, stride, padding, dilation):
        xp = self.xp
        KH, KW = kernel
        out_hw = idx.shape[2:]
        src = padded_input(x, padding, "nchw")
        out = xp.zeros(idx.shape, dtype=x.dtype)
        for i in range(KH):
            for j in range(KW):
                rows, cols = window_slices(i, j, stride, dilation, out_hw)
                out = xp.where(idx == i * KW + j, src[:, :, rows, cols], out)
        return out

    def backward(self, grad_out):
        x, idx = self.inputs
        return PoolScatter.apply(grad_out, idx, shape=x.shape, **_geometry(self.params)), None


class WindowSum(Function):
    """(N, C, H, W) → (N, C, OH, OW): the sum over each window (zero padding); average
    pooling divides it by the window size."""

    def forward(self, x, *, kernel, stride, padding, dilation=(1, 1)):
        KH, KW = kernel
        out_hw = pool_out_hw(x.shape[2:], kernel, stride, padding, dilation)
        if _tiles(kernel, stride, padding, dilation):
            return _tiled(x, kernel, out_hw).sum(axis=(3, 5))
        src = padded_input(x, padding, "nchw")
        out = None
        for i in range(KH):
            for j in range(KW):
                rows, cols = window_slices(i, j, stride, dilation, out_hw)
                if out is None:
                    out = src[:, :, rows, cols].copy()
                else:
                    out += src[:, :, rows, cols]
        return out

    def backward(self, grad_out):
        p = self.params
        N, C, H, W = self.inputs[0].shape
        KH, KW = p["kernel"]
        OH, OW = grad_out.shape[2:]
        dilation = p.get("dilation", (1, 1))
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
        return flat[n, c, indices.data.reshape(N, C, -1)].reshape(x.shape), None
