"""Convolutions as im2col + one matrix product (and their transposes as matmul + col2im).

There is no Conv Function: ``conv2d`` composes the ``Im2col`` primitive with ``Matmul``, so
its gradients are again im2col/col2im and matrix products, to any order. The column buffer is
an input of the matmul, so the weight gradient (``grad_out @ colsᵀ``) reuses it: nothing is
rebuilt in backward.

The functions here take normalised arguments (pairs, ((top, bottom), (left, right)) padding);
``tinygrad_cnn.functional`` parses user arguments and checks shapes before calling them.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .im2col import Col2im, Im2col, output_size

__all__ = ["conv2d", "conv_transpose2d", "choose_layout"]

# One GEMM per image ("nchw" columns) pays only while each GEMM is tiny: the first layer of a
# network (C·KH·KW = 9 for one input channel), where one big GEMM would have K = 9. OpenBLAS runs
# GEMMs below ~2^18 multiply-adds on one thread; above that, every call wakes its threads, and
# N calls per convolution cost far more than one large call (badly so on a busy machine).
_BATCHED_MACS = 2**18


def choose_layout(rows: int, oc: int, spatial: int, xp=np) -> str:
    """``"nchw"`` (a batched GEMM, one per image) when each image's GEMM, (OC × rows) @
    (rows × OH·OW), is small and runs on the CPU; ``"cnhw"`` (one large GEMM) otherwise."""
    if xp is np and rows * oc * spatial < _BATCHED_MACS:
        return "nchw"
    return "cnhw"


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

    In the "cnhw" layout the result is a (N, OC, OH, OW) view of an (OC, N, OH, OW) array;
    elementwise ops keep that memory order and the next convolution reads it without a copy.
    """
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    G = groups
    OCg = OC // G
    OH = output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = output_size(W, KW, stride[1], padding[1], dilation[1])
    rows = Cg * KH * KW
    layout = layout or choose_layout(rows, OC // G, OH * OW, x.xp)
    geometry = dict(kernel=(KH, KW), stride=stride, padding=padding, dilation=dilation)
    cols = Im2col.apply(x, layout=layout, **geometry)
    if layout == "cnhw":
        # cols (C, KH, KW, N, OH, OW) → (G, Cg·KH·KW, N·OH·OW); out (G, OCg, N·OH·OW)
        if G == 1:
            out = w.reshape(OC, rows) @ cols.reshape(rows, N * OH * OW)
        else:
            out = w.reshape(G, OCg, rows) @ cols.reshape(G, rows, N * OH * OW)
        out = out.reshape(OC, N, OH, OW).permute(1, 0, 2, 3)
    else:
        # cols (N, C, KH, KW, OH, OW) → (N, G, Cg·KH·KW, OH·OW); out (N, G, OCg, OH·OW)
        if G == 1:
            out = w.reshape(OC, rows) @ cols.reshape(N, rows, OH * OW)
        else:
            out = w.reshape(G, OCg, rows) @ cols.reshape(N, G, rows, OH * OW)
        out = out.reshape(N, OC, OH, OW)
    if b is not None:
        out = out + b.reshape(1, OC, 1, 1)
    return out


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
