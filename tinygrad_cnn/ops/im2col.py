"""im2col and col2im: the two primitives every convolution and pooling gradient is built from.

``Im2col`` copies each kernel-sized window of a (padded) NCHW input into a column buffer, so
that a convolution becomes one matrix product. ``Col2im`` adds columns back into an image. They
are each other's adjoint — ⟨im2col x, c⟩ = ⟨x, col2im c⟩ — so each one's backward is the other,
and convolutions differentiate to any order.

Both loop over the KH·KW kernel offsets and move one strided slice per offset (a copy for
im2col, a ``+=`` for col2im): each step is a large vectorised copy, much faster than
``np.add.at`` or a gather with index arrays, and it runs unchanged on CuPy.

Geometry, shared by all window ops (``kernel``, ``stride``, ``dilation`` are (h, w) pairs;
``padding`` is ((top, bottom), (left, right))):

    OH = floor((H + top + bottom − dh·(KH − 1) − 1) / sh) + 1

Column layouts (``layout``):

    "nchw"  (N, C, KH, KW, OH, OW)  — batched GEMM per image; best for few input channels
    "cnhw"  (C, KH, KW, N, OH, OW)  — one large GEMM over all images; best for many channels
"""

from __future__ import annotations

from ..backend import get_array_module
from ..function import Function
from .workspace import Workspace, empty_like, workspace, workspace_empty, workspace_zeros

__all__ = [
    "Im2col",
    "Col2im",
    "Workspace",  # re-exported from .workspace, where they live
    "workspace",
    "empty_like",
    "workspace_empty",
    "workspace_zeros",
    "output_size",
    "window_slices",
    "padded_input",
]


def output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a sliding window along one axis:
    ``floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1``.

    ``padding`` may be a (before, after) pair. With ``ceil_mode`` the division rounds up, but
    (as in PyTorch) the last window must start inside the input or the leading padding.
    """
    lo, hi = (padding, padding) if isinstance(padding, int) else padding
    span = size + lo + hi - dilation * (kernel - 1) - 1
    if span < 0:
        return 0
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + lo:
        out -= 1
    return out


def window_slices(i: int, j: int, stride, dilation, out_hw) -> tuple[slice, slice]:
    """The (rows, cols) slices of the padded input seen by kernel offset (i, j) across all
    output positions: rows i·dh, i·dh + sh, ..., one per output row."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
    )


def padded_input(x, padding, layout: str, value: float = 0.0):
    """The input as (N, C, Hp, Wp) (``"nchw"``) or (C, N, Hp, Wp) (``"cnhw"``), padded with
    ``value``. Without padding this is a view; otherwise one copy, borders filled only."""
    xp_ = get_array_module(x)
    src = x.transpose(1, 0, 2, 3) if layout == "cnhw" else x
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return src
    A, B, H, W = src.shape
    buf = workspace_empty(xp_, (A, B, H + pt + pb, W + pl + pr), x.dtype)
    # fill the four borders, then copy the interior: every element is written once
    buf[:, :, :pt] = value
    buf[:, :, pt + H :] = value
    buf[:, :, pt : pt + H, :pl] = value
    buf[:, :, pt : pt + H, pl + W :] = value
    buf[:, :, pt : pt + H, pl : pl + W] = src
    return buf


def _out_hw(shape_hw, kernel, stride, padding, dilation) -> tuple[int, int]:
    return tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(shape_hw, kernel, stride, padding, dilation, strict=True)
    )


class Im2col(Function):
    """(N, C, H, W) → columns (see the module docstring for the two layouts).

    ``out_hw`` (optional) keeps only the first (OH, OW) windows; col2im's backward passes it so
    that the columns always match, e.g. for a transposed convolution with output padding."""

    def forward(self, x, *, kernel, stride, padding, dilation, layout, out_hw=None):
        N, C, H, W = x.shape
        KH, KW = kernel
        OH, OW = out_hw or _out_hw((H, W), kernel, stride, padding, dilation)
        src = padded_input(x, padding, layout)  # (N, C, Hp, Wp) or (C, N, Hp, Wp)
        if layout == "cnhw":
            cols = workspace_empty(self.xp, (C, KH, KW, N, OH, OW), x.dtype)
            for i in range(KH):
                for j in range(KW):
                    rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                    cols[:, i, j] = src[:, :, rows, cs]
        else:
            cols = workspace_empty(self.xp, (N, C, KH, KW, OH, OW), x.dtype)
            for i in range(KH):
                for j in range(KW):
                    rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                    cols[:, :, i, j] = src[:, :, rows, cs]
        return cols

    def backward(self, grad_out):
        p = self.params
        return Col2im.apply(
            grad_out,
            shape=self.inputs[0].shape,
            kernel=p["kernel"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            layout=p["layout"],
        )


class Col2im(Function):
    """Columns → (N, C, H, W) = ``shape``, summing where windows overlap (adjoint of Im2col).

    The output may be a strided view (a crop of the padded accumulation buffer)."""

    def forward(self, cols, *, shape, kernel, stride, padding, dilation, layout):
        N, C, H, W = shape
        KH, KW = kernel
        (pt, pb), (pl, pr) = padding
        if layout == "cnhw":
            OH, OW = cols.shape[4:]
            buf = workspace_zeros(self.xp, (C, N, H + pt + pb, W + pl + pr), cols.dtype)
            for i in range(KH):
                for j in range(KW):
                    rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                    buf[:, :, rows, cs] += cols[:, i, j]
            return buf[:, :, pt : pt + H, pl : pl + W].transpose(1, 0, 2, 3)
        OH, OW = cols.shape[4:]
        buf = workspace_zeros(self.xp, (N, C, H + pt + pb, W + pl + pr), cols.dtype)
        for i in range(KH):
            for j in range(KW):
                rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                buf[:, :, rows, cs] += cols[:, :, i, j]
        return buf[:, :, pt : pt + H, pl : pl + W]

    def backward(self, grad_out):
        p = self.params
        return Im2col.apply(
            grad_out,
            kernel=p["kernel"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            layout=p["layout"],
            out_hw=tuple(self.inputs[0].shape[4:]),
        )
