"""Convolutions: ``conv2d`` and ``conv_transpose2d`` (im2col + one GEMM), their 1-D forms
``conv1d`` and ``conv_transpose1d``, and im2col made public: ``unfold`` and ``fold``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd import functional_scope
from ..ops import conv as _conv
from ..ops.im2col import Col2im, Im2col, output_size
from ..tensor import Tensor
from ._args import IntPair, _batched, _images, _pair, _same_dtype, _tensor

__all__ = [
    "conv2d",
    "conv_transpose2d",
    "conv_output_size",
    "conv1d",
    "conv_transpose1d",
    "unfold",
    "fold",
]


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


# ------------------------------------------------------------------ 1-D convolutions and im2col
# The 1-D forms run the 2-D ones on a height-1 image (N, C, 1, L): the same primitives, so the
# gradients (and theirs) come for free.


def _single(v: Any, name: str, op: str, minimum: int) -> int:
    """An int or a 1-tuple of ints → an int ≥ ``minimum``."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {v!r}")
    if v < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {v!r}")
    return int(v)


def _signals(x: Any, op: str) -> tuple[Tensor, bool]:
    """(N, C, L) input, or (C, L) turned into a batch of one (returns ``unbatched``)."""
    return _batched(x, op, "C, L")


def _check_weight_1d(op: str, x: Tensor, w: Tensor, b: Tensor | None, in_axis: int) -> None:
    if w.ndim != 3:
        layout = "(IC, OC/groups, K)" if in_axis == 0 else "(OC, C/groups, K)"
        raise RuntimeError(f"{op}: weight must be 3-D {layout}, got {w.shape}")
    _same_dtype(op, input=x, weight=w, bias=b)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over (N, C, L) or (C, L).

    weight (OC, C/groups, K); bias (OC,) or None; ``padding`` an int, ``"valid"`` or
    ``"same"``. Output (N, OC, OL) with OL = floor((L + 2·padding − dilation·(K − 1) − 1) /
    stride) + 1."""
    op = "conv1d"
    x, unbatched = _signals(input, op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    _check_weight_1d(op, x, w, b, in_axis=1)
    N, C, L = x.shape
    OC, Cg, K = w.shape
    if isinstance(groups, (int, np.integer)) and groups >= 1 and C != Cg * groups:
        raise RuntimeError(
            f"{op}: input has {C} channels but weight expects {Cg * groups} "
            f"(input shape {x.shape}, weight shape {w.shape}, groups={groups})"
        )
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if C % groups or OC % groups:
        raise RuntimeError(
            f"{op}: groups={groups} must divide both the input channels ({C}) and the output "
            f"channels ({OC}) (input shape {x.shape}, weight shape {w.shape})"
        )
    s = _single(stride, "stride", op, 1)
    d = _single(dilation, "dilation", op, 1)
    if padding == "same" and s != 1:
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
    if isinstance(padding, str):
        pads: Any = padding
        total = 0 if padding != "same" else d * (K - 1)
    else:
        p = _single(padding, "padding", op, 0)
        pads, total = (0, p), 2 * p
    if d * (K - 1) + 1 > L + total and padding != "same":
        raise RuntimeError(
            f"{op}: kernel size {d * (K - 1) + 1} (dilated) is larger than the padded input "
            f"length {L + total} (input shape {x.shape}, weight shape {w.shape}, padding "
            f"{padding!r})"
        )
    out = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, (1, s), pads, (1, d), groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    output_padding: int | Sequence[int] = 0,
    groups: int = 1,
    dilation: int | Sequence[int] = 1,
) -> Tensor:
    """Transposed 1-D convolution (the adjoint of conv1d) over (N, IC, L) or (IC, L).

    weight (IC, OC/groups, K); bias (OC,) or None. Output (N, OC, OL) with
    OL = (L − 1)·stride − 2·padding + dilation·(K − 1) + output_padding + 1."""
    op = "conv_transpose1d"
    x, unbatched = _signals(input, op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    _check_weight_1d(op, x, w, b, in_axis=0)
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"{op}: input has {x.shape[1]} channels but weight expects {w.shape[0]} "
            f"(input shape {x.shape}, weight shape {w.shape})"
        )
    s = _single(stride, "stride", op, 1)
    d = _single(dilation, "dilation", op, 1)
    p = _single(padding, "padding", op, 0)
    o = _single(output_padding, "output_padding", op, 0)
    if o >= max(s, d):
        raise ValueError(
            f"{op}: output_padding {o} must be smaller than either stride {s} or dilation {d}"
        )
    out_len = (x.shape[2] - 1) * s - 2 * p + d * (w.shape[2] - 1) + o + 1
    if out_len < 1:
        raise RuntimeError(
            f"{op}: output length {out_len} is too small (input shape {x.shape}, weight shape "
            f"{w.shape}, stride {s}, padding {p})"
        )
    x4, w4 = x.unsqueeze(2), w.unsqueeze(2)
    out = conv_transpose2d(x4, w4, b, (1, s), (0, p), (0, o), groups, (1, d)).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _block_geometry(op, kernel_size, dilation, padding, stride):
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    dilation = _pair(dilation, "dilation", op, 1)
    ph, pw = _pair(padding, "padding", op, 0)
    stride = _pair(stride, "stride", op, 1)
    return dict(kernel=kernel, stride=stride, padding=((ph, ph), (pw, pw)), dilation=dilation)


def _blocks_hw(op: str, hw, geom, where: str) -> tuple[int, int]:
    """Number of sliding blocks per axis; a RuntimeError when one is not positive."""
    out_hw = tuple(
        output_size(n, k, s, p, d)
        for n, k, s, p, d in zip(
            hw, geom["kernel"], geom["stride"], geom["padding"], geom["dilation"], strict=True
        )
    )
    if min(out_hw) < 1:
        raise RuntimeError(
            f"{op}: {where} of spatial size {tuple(hw)} with kernel_size {geom['kernel']}, "
            f"dilation {geom['dilation']}, padding {tuple(p for p, _ in geom['padding'])} and "
            f"stride {geom['stride']} gives {out_hw} sliding blocks, which is too small"
        )
    return out_hw


def unfold(
    input: Tensor,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Sliding blocks as columns (im2col): (N, C, H, W) → (N, C·KH·KW, L) with L = OH·OW the
    number of blocks (the conv2d output size); row c·KH·KW + i·KW + j of column l holds input
    channel c at kernel offset (i, j) of block l. A (C, H, W) input gives (C·KH·KW, L).
    ``conv2d(x, w) == (w.view(OC, -1) @ unfold(x, K)).view(N, OC, OH, OW)``."""
    op = "unfold"
    x, unbatched = _images(input, op)
    geom = _block_geometry(op, kernel_size, dilation, padding, stride)
    N, C, H, W = x.shape
    OH, OW = _blocks_hw(op, (H, W), geom, "input")
    KH, KW = geom["kernel"]
    cols = Im2col.apply(x, layout="nchw", **geom)  # (N, C, KH, KW, OH, OW)
    out = cols.reshape(N, C * KH * KW, OH * OW)
    return out.squeeze(0) if unbatched else out


def fold(
    input: Tensor,
    output_size: IntPair,
    kernel_size: IntPair,
    dilation: IntPair = 1,
    padding: IntPair = 0,
    stride: IntPair = 1,
) -> Tensor:
    """Columns back into an image (col2im), summing where blocks overlap: (N, C·KH·KW, L) →
    (N, C, H, W) with (H, W) = ``output_size``; a (C·KH·KW, L) input gives (C, H, W). The
    adjoint of ``unfold``: ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩."""
    op = "fold"
    cols = _tensor(input, "input", op)
    if cols.ndim not in (2, 3):
        raise RuntimeError(
            f"{op}: expected a 2-D (C·KH·KW, L) or 3-D (N, C·KH·KW, L) input, got shape "
            f"{cols.shape}"
        )
    if cols.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {cols.dtype}")
    unbatched = cols.ndim == 2
    if unbatched:
        cols = cols.unsqueeze(0)
    geom = _block_geometry(op, kernel_size, dilation, padding, stride)
    H, W = _pair(output_size, "output_size", op, 1)
    KH, KW = geom["kernel"]
    N, CK, L = cols.shape
    if CK % (KH * KW):
        raise RuntimeError(
            f"{op}: input's dimension 1 ({CK}) must be divisible by the product of kernel_size "
            f"{geom['kernel']} ({KH * KW}) (input shape {cols.shape})"
        )
    OH, OW = _blocks_hw(op, (H, W), geom, "output")
    if L != OH * OW:
        raise RuntimeError(
            f"{op}: output_size {(H, W)} with kernel_size {geom['kernel']}, dilation "
            f"{geom['dilation']}, padding {tuple(p for p, _ in geom['padding'])} and stride "
            f"{geom['stride']} has {OH} * {OW} = {OH * OW} sliding blocks, but input's "
            f"dimension 2 is {L} (input shape {cols.shape})"
        )
    C = CK // (KH * KW)
    cols6 = cols.reshape(N, C, KH, KW, OH, OW)
    out = Col2im.apply(cols6, shape=(N, C, H, W), layout="nchw", **geom)
    return out.squeeze(0) if unbatched else out
