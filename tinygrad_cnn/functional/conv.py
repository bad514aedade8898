"""Convolutions: ``conv2d`` and ``conv_transpose2d`` (im2col + one GEMM)."""

from __future__ import annotations

import numpy as np

from ..autograd import functional_scope
from ..ops import conv as _conv
from ..ops.im2col import output_size
from ..tensor import Tensor
from ._args import IntPair, _images, _pair, _same_dtype, _tensor

__all__ = ["conv2d", "conv_transpose2d", "conv_output_size"]


@functional_scope("conv2d")
def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as in every framework).

    input (N, C, H, W) or (C, H, W); weight (OC, C/groups, KH, KW); bias (OC,) or None.
    ``padding``: int, (ph, pw), ``"valid"`` (= 0) or ``"same"`` (output size = input size;
    stride 1 only; an odd total goes one more to the bottom/right, as in PyTorch).
    Output (N, OC, OH, OW) with OH = floor((H + 2·ph − dh·(KH − 1) − 1)/sh) + 1.
    """
    op = "conv2d"
    x, unbatched = _images(input, op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    if w.ndim != 4:
        raise RuntimeError(f"{op}: weight must be 4-D (OC, C/groups, KH, KW), got {w.shape}")
    _same_dtype(op, input=x, weight=w, bias=b)
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if C % groups or OC % groups:
        raise RuntimeError(
            f"{op}: groups={groups} must divide both the input channels ({C}) and the output "
            f"channels ({OC}) (input shape {x.shape}, weight shape {w.shape})"
        )
    if C != Cg * groups:
        expected = Cg * groups
        raise RuntimeError(
            f"{op}: input has {C} channels but weight expects {expected} "
            f"(input shape {x.shape}, weight shape {w.shape}, groups={groups})"
        )
    if b is not None and b.shape != (OC,):
        raise RuntimeError(f"{op}: bias must have shape ({OC},), got {b.shape}")
    stride = _pair(stride, "stride", op, 1)
    dilation = _pair(dilation, "dilation", op, 1)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0), (0, 0))
        elif padding == "same":
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            totals = (dilation[0] * (KH - 1), dilation[1] * (KW - 1))
            pads = tuple((t // 2, t - t // 2) for t in totals)
        else:
            raise ValueError(
                f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
    else:
        ph, pw = _pair(padding, "padding", op, 0)
        pads = ((ph, ph), (pw, pw))
    span = (dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1)
    padded = (H + sum(pads[0]), W + sum(pads[1]))
    if span[0] > padded[0] or span[1] > padded[1]:
        raise RuntimeError(
            f"{op}: kernel size {span[0]}x{span[1]} (dilated) is larger than the padded input "
            f"{padded[0]}x{padded[1]} (input shape {x.shape}, weight shape {w.shape}, "
            f"padding {padding!r})"
        )
    out = _conv.conv2d(x, w, b, stride, pads, dilation, int(groups))
    return out.squeeze(0) if unbatched else out


@functional_scope("conv_transpose2d")
def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """Transposed convolution (the gradient of conv2d with respect to its input).

    input (N, IC, H, W) or (IC, H, W); weight (IC, OC/groups, KH, KW); bias (OC,) or None.
    Output (N, OC, OH, OW), OH = (H − 1)·sh − 2·ph + dh·(KH − 1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    x, unbatched = _images(input, op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    if w.ndim != 4:
        raise RuntimeError(f"{op}: weight must be 4-D (IC, OC/groups, KH, KW), got {w.shape}")
    _same_dtype(op, input=x, weight=w, bias=b)
    N, IC, H, W = x.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if IC != w.shape[0]:
        raise RuntimeError(
            f"{op}: input has {IC} channels but weight expects {w.shape[0]} "
            f"(input shape {x.shape}, weight shape {w.shape})"
        )
    if IC % groups:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the input channels ({IC}) "
            f"(input shape {x.shape}, weight shape {w.shape})"
        )
    OC = w.shape[1] * groups
    if b is not None and b.shape != (OC,):
        raise RuntimeError(f"{op}: bias must have shape ({OC},), got {b.shape}")
    stride = _pair(stride, "stride", op, 1)
    dilation = _pair(dilation, "dilation", op, 1)
    padding = _pair(padding, "padding", op, 0)
    output_padding = _pair(output_padding, "output_padding", op, 0)
    for a in range(2):
        if output_padding[a] >= max(stride[a], dilation[a]):
            raise ValueError(
                f"{op}: output_padding {output_padding} must be smaller than either stride "
                f"{stride} or dilation {dilation}"
            )
    out_hw = [
        (n - 1) * s - 2 * p + d * (k - 1) + op_ + 1
        for n, s, p, d, k, op_ in zip(
            (H, W), stride, padding, dilation, w.shape[2:], output_padding, strict=True
        )
    ]
    if min(out_hw) < 1:
        raise RuntimeError(
            f"{op}: output size {tuple(out_hw)} is too small (input shape {x.shape}, weight "
            f"shape {w.shape}, stride {stride}, padding {padding})"
        )
    out = _conv.conv_transpose2d(x, w, b, stride, padding, output_padding, int(groups), dilation)
    return out.squeeze(0) if unbatched else out


conv_output_size = output_size
