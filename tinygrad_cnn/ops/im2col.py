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
    "cnhw"  (C, KH, KW, N, OH, OW)  — one large GEMM over all images (the GPU's)
    "chwn"  (C, KH, KW, OH, OW, N)  — one large GEMM, the batch innermost (the CPU's)

In "chwn" every slice an offset moves is a run of OW·N contiguous values instead of OW, so
NumPy's copies and adds run 2–3× faster on small images (a 14×14 col2im: 2.5 → 1.0 ms); the
convolution's output keeps that order, and so do the elementwise ops and pooling after it.
"""

from __future__ import annotations

from ..backend import get_array_module
from ..function import Function
from .workspace import (
    Workspace,
    axis_order,
    empty_like,
    empty_ordered,
    inverse_axes,
    workspace,
    workspace_empty,
    workspace_zeros,
)

__all__ = [
    "Im2col",
    "Col2im",
    "Workspace",  # re-exported from .workspace, where they live
    "workspace",
    "empty_like",
    "empty_ordered",
    "workspace_empty",
    "workspace_zeros",
    "output_size",
    "window_slices",
    "padded_input",
    "input_layout",
    "columns_hw",
    "LAYOUT_AXES",
    "row_axis",
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


# each layout's axes of the (N, C, H, W) input, outermost first
LAYOUT_AXES = {"nchw": (0, 1, 2, 3), "cnhw": (1, 0, 2, 3), "chwn": (1, 2, 3, 0)}


def row_axis(layout: str) -> int:
    """Where the image rows sit in ``layout``'s axis order (the columns follow them); in its
    column array they sit two axes later, after the kernel offsets (KH, KW)."""
    return LAYOUT_AXES[layout].index(2)


def _offset_axis(layout: str) -> int:
    """Where the kernel offsets (KH, KW) sit in ``layout``'s column array: after (N, C) in
    "nchw", after C in the others."""
    return 2 if layout == "nchw" else 1


def padded_input(x, padding, layout: str, value: float = 0.0):
    """The input (N, C, H, W) with its axes in ``layout``'s order — (N, C, Hp, Wp), (C, N, Hp,
    Wp) or (C, Hp, Wp, N) — padded with ``value``. Without padding this is a view (for
    ``"chwn"``, unless x is stored that way, a copy); otherwise one copy, borders filled only."""
    xp_ = get_array_module(x)
    src = x.transpose(LAYOUT_AXES[layout])
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        if layout != "chwn" or input_layout(x) == "chwn":
            return src
        # one transposing copy: every window slice then reads runs of W·N values
        out = workspace_empty(xp_, src.shape, x.dtype)
        out[...] = src
        return out
    h = row_axis(layout)
    N, C, H, W = x.shape
    shape = list(src.shape)
    shape[h], shape[h + 1] = H + pt + pb, W + pl + pr
    buf = workspace_empty(xp_, tuple(shape), x.dtype)
    lead = (slice(None),) * h
    rows = slice(pt, pt + H)
    # fill the four borders, then copy the interior: every element is written once
    buf[lead + (slice(0, pt),)] = value
    buf[lead + (slice(pt + H, None),)] = value
    buf[lead + (rows, slice(0, pl))] = value
    buf[lead + (rows, slice(pl + W, None))] = value
    buf[lead + (rows, slice(pl, pl + W))] = src
    return buf


def input_layout(x) -> str:
    """The layout whose axis order is x's memory order (``"nchw"`` for any other), so that
    ``padded_input(x, padding, input_layout(x))`` copies without transposing."""
    order = tuple(axis_order(x))
    return next((name for name, axes in LAYOUT_AXES.items() if axes == order), "nchw")


def _out_hw(shape_hw, kernel, stride, padding, dilation) -> tuple[int, int]:
    return tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(shape_hw, kernel, stride, padding, dilation, strict=True)
    )


def columns_hw(shape, layout: str) -> tuple[int, int]:
    """(OH, OW) of a column array of ``shape`` in ``layout``."""
    h = row_axis(layout) + 2
    return tuple(shape[h : h + 2])


class Im2col(Function):
    """(N, C, H, W) → columns (see the module docstring for the three layouts).

    ``out_hw`` (optional) keeps only the first (OH, OW) windows; col2im's backward passes it so
    that the columns always match, e.g. for a transposed convolution with output padding."""

    def forward(self, x, *, kernel, stride, padding, dilation, layout, out_hw=None):
        H, W = x.shape[2:]
        KH, KW = kernel
        OH, OW = out_hw or _out_hw((H, W), kernel, stride, padding, dilation)
        src = padded_input(x, padding, layout)  # x's axes in the layout's order, padded
        k, h = _offset_axis(layout), row_axis(layout)
        shape = (*src.shape[:k], KH, KW, *src.shape[k:h], OH, OW, *src.shape[h + 2 :])
        cols = workspace_empty(self.xp, shape, x.dtype)
        at, lead = (slice(None),) * k, (slice(None),) * h
        for i in range(KH):
            for j in range(KW):
                rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                cols[(*at, i, j)] = src[(*lead, rows, cs)]
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
        OH, OW = columns_hw(cols.shape, layout)
        axes = LAYOUT_AXES[layout]
        padded = (N, C, H + pt + pb, W + pl + pr)
        buf = workspace_zeros(self.xp, tuple(padded[a] for a in axes), cols.dtype)
        at, lead = (slice(None),) * _offset_axis(layout), (slice(None),) * row_axis(layout)
        for i in range(KH):
            for j in range(KW):
                rows, cs = window_slices(i, j, stride, dilation, (OH, OW))
                buf[(*lead, rows, cs)] += cols[(*at, i, j)]
        crop = buf[(*lead, slice(pt, pt + H), slice(pl, pl + W))]
        return crop.transpose(inverse_axes(axes))  # back to (N, C, H, W)

    def backward(self, grad_out):
        p = self.params
        return Im2col.apply(
            grad_out,
            kernel=p["kernel"],
            stride=p["stride"],
            padding=p["padding"],
            dilation=p["dilation"],
            layout=p["layout"],
            out_hw=columns_hw(self.inputs[0].shape, p["layout"]),
        )
