"""Convolutions as im2col + one matrix product (and their transposes as matmul + col2im).

There is no Conv Function: ``conv2d`` composes the ``Im2col`` primitive with ``ColumnGemm``
(a matrix product plus bias), so its gradients are again im2col/col2im and matrix products, to
any order. The column buffer is an input of the product, so the weight gradient
(``grad_out @ colsᵀ``) reuses it: nothing is rebuilt in backward.

The functions here take normalised arguments (pairs, ((top, bottom), (left, right)) padding);
``tinygrad_cnn.functional`` parses user arguments and checks shapes before calling them.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from ..backend import is_host_module
from ..function import Function
from ..tensor import Tensor
from .elementwise import broadcast_axes, sum_to
from .im2col import Col2im, Im2col, output_size, workspace_empty
from .parallel import run_chunks

__all__ = ["conv2d", "conv_transpose2d", "choose_layout", "ColumnGemm"]

# products of at least this many multiply-adds are cut into pieces (see ops/parallel.py)
_SPLIT_MACS = 2**22


def choose_layout(xp=np) -> str:
    """The column layout ``conv2d`` uses: one large GEMM over columns with the batch innermost
    on the CPU (``"chwn"``, see ``ops.im2col``), with the batch outside the images on a GPU
    (``"cnhw"``). On the CPU every layer uses "chwn", the first too: then each layer reads
    the one before it in its own memory order, and even a first layer's K = 9 GEMM (one input
    channel) is as fast as one GEMM per image ("nchw", 0.37 against 0.41 ms for the LeNet's)."""
    return "chwn" if is_host_module(xp) else "cnhw"


class ColumnGemm(Function):
    """w (..., M, K) @ cols (..., K, L) [+ bias with w's (..., M) entries, e.g. (OC,)]: a matrix
    product like ``Matmul`` (batched, broadcast), written into a recycled buffer with the bias
    added in place — one output array instead of two. Its backward: matrix products and sums.

    In graphs it is labelled ``Matmul``: that is what it is (with the bias folded in), and how
    tools count a convolution's mult-adds."""

    name = "Matmul"
    uses_inputs = True

    def forward(self, w, cols, *bias):
        xp = self.xp
        batch = np.broadcast_shapes(w.shape[:-2], cols.shape[:-2])
        out = workspace_empty(xp, (*batch, w.shape[-2], cols.shape[-1]), w.dtype)
        b = bias[0].reshape(*w.shape[:-1], 1) if bias else None
        axis = _split_axis(xp, w, cols, out)

        def piece(lo, hi):
            o = _part(out, axis, lo, hi)
            xp.matmul(w, _part(cols, axis, lo, hi), out=o)
            if b is not None:
                o += b

        run_chunks(piece, 1 if axis is None else out.shape[axis])
        return out

    def backward(self, grad_out):
        if not autograd.is_grad_enabled():  # first order (no graph of the gradient): arrays
            return self._backward_arrays(grad_out)
        w, cols, *bias = self.inputs
        grad_w = sum_to(grad_out @ cols.mT, w.shape) if w.requires_grad else None
        grad_cols = sum_to(w.mT @ grad_out, cols.shape) if cols.requires_grad else None
        if not bias:
            return grad_w, grad_cols
        b = bias[0]
        grad_b = sum_to(grad_out, (*w.shape[:-1], 1)).reshape(b.shape) if b.requires_grad else None
        return grad_w, grad_cols, grad_b

    def _backward_arrays(self, grad_out):
        """The same products on arrays, the large one into a recycled buffer (used when no
        graph is recorded, i.e. in ordinary training; the result is the same), each summed
        back to its input's shape like the Tensor version (an input broadcast over a batch
        gets the sum over it)."""
        xp = self.xp
        w, cols, *bias = (t._data for t in self.inputs)
        needs = [t.requires_grad for t in self.inputs]
        g = grad_out._data
        grads = []
        axis = _split_axis(xp, w, cols, g)
        n = 1 if axis is None else g.shape[axis]
        if needs[0]:  # Σ over the pieces of each piece's product, added in piece order
            parts = run_chunks(
                lambda lo, hi: _sum_to_shape(
                    xp.matmul(_part(g, axis, lo, hi), _part(cols, axis, lo, hi).swapaxes(-1, -2)),
                    w.shape,
                ),
                n,
            )
            grad_w = parts[0]
            for part in parts[1:]:
                grad_w = grad_w + part
            grads.append(Tensor(grad_w))
        else:
            grads.append(None)
        if needs[1]:
            out = workspace_empty(xp, g.shape[:-2] + cols.shape[-2:], g.dtype)
            wt = w.swapaxes(-1, -2)
            run_chunks(
                lambda lo, hi: xp.matmul(wt, _part(g, axis, lo, hi), out=_part(out, axis, lo, hi)),
                n,
            )
            grads.append(Tensor(_sum_to_shape(out, cols.shape)))
        else:
            grads.append(None)
        if bias:
            b_grad = (
                _sum_to_shape(g, (*w.shape[:-1], 1)).reshape(bias[0].shape) if needs[2] else None
            )
            grads.append(None if b_grad is None else Tensor(b_grad))
        return tuple(grads)


def _split_axis(xp, w, cols, out) -> int | None:
    """The axis of ``cols`` and of the product along which ColumnGemm cuts its products into
    ``parallel.CHUNKS`` pieces: the batch axis of per-image columns (they have more axes than
    w), else the columns; None (no split) on a GPU or for a small product. The pieces depend
    on the shapes only, never on the thread count."""
    if not is_host_module(xp) or out.size * w.shape[-1] < _SPLIT_MACS:
        return None
    axis = 0 if cols.ndim > w.ndim else -1
    return axis if cols.shape[axis] >= 2 else None


def _part(a, axis: int | None, lo: int, hi: int):
    """Entries lo:hi of ``a`` along ``axis`` (all of ``a`` when axis is None)."""
    if axis is None:
        return a
    return a[lo:hi] if axis == 0 else a[..., lo:hi]


def _sum_to_shape(a, shape):
    """Sum a broadcast result back to ``shape`` (arrays)."""
    axes = broadcast_axes(a.shape, shape)
    return a.sum(axis=axes, keepdims=True).reshape(shape) if axes else a


def conv2d(
    x: Tensor,
    w: Tensor,
    b: Tensor | None,
    stride: tuple[int, int],
    padding: tuple[tuple[int, int], tuple[int, int]],
    dilation: tuple[int, int],
    groups: int,
    layout: str | None = None,
) -> Tensor:
    """x (N, C, H, W), w (OC, C/groups, KH, KW), b (OC,) or None → (N, OC, OH, OW).

    In the "cnhw" ("chwn") layout the result is a (N, OC, OH, OW) view of an (OC, N, OH, OW)
    ((OC, OH, OW, N)) array; elementwise ops and pooling keep that memory order, and the next
    convolution reads it without a transposing copy.
    """
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    G = groups
    OCg = OC // G
    OH = output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = output_size(W, KW, stride[1], padding[1], dilation[1])
    rows = Cg * KH * KW
    layout = layout or choose_layout(x.xp)
    geometry = dict(kernel=(KH, KW), stride=stride, padding=padding, dilation=dilation)
    cols = Im2col.apply(x, layout=layout, **geometry)
    w2 = w.reshape(OC, rows) if G == 1 else w.reshape(G, OCg, rows)
    bias = () if b is None else (b,)
    if layout != "nchw":
        # cols (C, KH, KW, N, OH, OW) or (C, KH, KW, OH, OW, N) → (G, Cg·KH·KW, N·OH·OW);
        # out (G, OCg, N·OH·OW)
        cols = cols.reshape(*w2.shape[:-2], rows, N * OH * OW)
        out = ColumnGemm.apply(w2, cols, *bias)
        if layout == "chwn":
            return out.reshape(OC, OH, OW, N).permute(3, 0, 1, 2)
        return out.reshape(OC, N, OH, OW).permute(1, 0, 2, 3)
    # cols (N, C, KH, KW, OH, OW) → (N, G, Cg·KH·KW, OH·OW); out (N, G, OCg, OH·OW)
    cols = cols.reshape(N, *w2.shape[:-2], rows, OH * OW)
    return ColumnGemm.apply(w2, cols, *bias).reshape(N, OC, OH, OW)


def conv_transpose2d(
    x: Tensor,
    w: Tensor,
    b: Tensor | None,
    stride: tuple[int, int],
    padding: tuple[int, int],
    output_padding: tuple[int, int],
    groups: int,
    dilation: tuple[int, int],
) -> Tensor:
    """x (N, IC, H, W), w (IC, OC/groups, KH, KW), b (OC,) or None → (N, OC, OH, OW) with
    OH = (H − 1)·sh − 2·ph + dh·(KH − 1) + output_padding + 1: the adjoint of conv2d in x."""
    N, IC, H, W = x.shape
    _, OCg, KH, KW = w.shape
    G = groups
    ICg = IC // G
    OC = OCg * G
    OH = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (KH - 1) + output_padding[0] + 1
    OW = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (KW - 1) + output_padding[1] + 1
    rows = OCg * KH * KW
    # x (N, IC, H, W) → (G, ICg, N·H·W); w → (G, ICg, OCg·KH·KW); cols (G, OCg·KH·KW, N·H·W)
    x2 = x.permute(1, 0, 2, 3).reshape(G, ICg, N * H * W)
    cols = w.reshape(G, ICg, rows).mT @ x2
    cols = cols.reshape(OC, KH, KW, N, H, W)
    out = Col2im.apply(
        cols,
        shape=(N, OC, OH, OW),
        kernel=(KH, KW),
        stride=stride,
        padding=((padding[0], padding[0]), (padding[1], padding[1])),
        dilation=dilation,
        layout="cnhw",
    )
    if b is not None:
        out = out + b.reshape(1, OC, 1, 1)
    return out
