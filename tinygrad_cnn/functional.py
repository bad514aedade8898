"""The functional interface, with PyTorch's names, argument names and defaults:

    import tinygrad_cnn.functional as F
    y = F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2)
    loss = F.cross_entropy(logits, labels)

Images are NCHW (a single image (C, H, W) is accepted where PyTorch accepts it). Every function
checks its arguments and raises an error that names the op and the shapes, then calls the
primitives in ``tinygrad_cnn.ops`` (im2col/col2im, pooling, fused batch norm) or composes
Tensor operations. All gradients are differentiable again (``create_graph=True``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backend import to_device
from .ops import conv as _conv
from .ops.im2col import output_size
from .ops.loss import ClampedLog
from .ops.norm import BatchNorm, batch_stats
from .ops.pool import MaxPool2d, MaxUnpool2d, PoolGather, WindowSum, max_pool
from .random import default_rng
from .tensor import Tensor, as_tensor, where

__all__ = [
    # convolution
    "conv2d",
    "conv_transpose2d",
    "conv_output_size",
    # pooling
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "max_unpool2d",
    # normalisation, regularisation, layers
    "batch_norm",
    "dropout",
    "dropout2d",
    "linear",
    "flatten",
    "pad",
    # activations
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    # losses
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "huber_loss",
    "smooth_l1_loss",
    # encoding
    "one_hot",
]

IntPair = int | Sequence[int]
conv_output_size = output_size


# --------------------------------------------------------------------------- argument helpers
def _tensor(x: Any, name: str, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except Exception as e:
        raise TypeError(f"{op}: {name} must be a Tensor or array, got {type(x).__name__}") from e


def _pair(v: IntPair, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints → a pair, each ≥ ``minimum``."""
    if isinstance(v, (int, np.integer)):
        pair = (int(v), int(v))
    else:
        try:
            pair = tuple(int(n) for n in v)
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}") from None
        if len(pair) == 1:
            pair = pair * 2
        if len(pair) != 2:
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {v!r}")
    return pair  # type: ignore[return-value]


def _same_dtype(op: str, **tensors: Tensor | None) -> None:
    """PyTorch-style dtype check: every given tensor has the first one's dtype."""
    items = [(name, t) for name, t in tensors.items() if t is not None]
    first_name, first = items[0]
    for name, t in items[1:]:
        if t.dtype != first.dtype:
            raise RuntimeError(
                f"{op}: {first_name} dtype ({first.dtype}) and {name} dtype ({t.dtype}) should "
                f"be the same; convert one with .float() or .double()"
            )


def _images(x: Any, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input, or (C, H, W) turned into a batch of one (returns ``unbatched``)."""
    x = _tensor(x, "input", op)
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# --------------------------------------------------------------------------- convolution
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


# --------------------------------------------------------------------------- pooling
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
    sums = WindowSum.apply(x, **geom)
    if divisor_override:
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


# --------------------------------------------------------------------------- normalisation
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of input (N, C) or (N, C, *) per channel C.

    Training: normalise with the batch mean and the *biased* batch variance, and update the
    running statistics in place with the *unbiased* variance:
    ``running = (1 − momentum)·running + momentum·batch_stat``. Eval: y = (x − running_mean)/
    √(running_var + eps)·weight + bias. weight/bias (C,) default to 1 and 0.
    """
    op = "batch_norm"
    x = _tensor(input, "input", op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of shape (N, C) or (N, C, *), got {x.shape}")
    C = x.shape[1]
    named = dict(running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    for name, t in named.items():
        if t is not None and tuple(t.shape) != (C,):
            raise RuntimeError(
                f"{op}: {name} must have shape ({C},) for an input with {C} channels "
                f"(input shape {x.shape}), got {tuple(t.shape)}"
            )
    _same_dtype(op, input=x, weight=weight, bias=bias)
    xp, dtype = x.xp, x.dtype
    if training:
        count = x.numel() // C
        if count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input shape "
                f"{x.shape}"
            )
        mean, var = batch_stats(xp, x._data)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype, copy=False)
        if running_var is not None:
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * count / (count - 1) * var).astype(rv.dtype, copy=False)
        w = weight if weight is not None else Tensor(xp.ones(C, dtype=dtype))
        b = bias if bias is not None else Tensor(xp.zeros(C, dtype=dtype))
        return BatchNorm.apply(x, w, b, mean, var, eps=float(eps))
    if running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var are needed in eval mode")
    bshape = (1, C) + (1,) * (x.ndim - 2)
    invstd = 1.0 / xp.sqrt(running_var._data.astype(dtype, copy=False) + eps)
    scale = Tensor(invstd) if weight is None else weight * Tensor(invstd)
    shift = -Tensor(running_mean._data.astype(dtype, copy=False)) * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(bshape) + shift.reshape(bshape)


# --------------------------------------------------------------------------- layers
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1 − p), so that eval mode is the identity. Masks come from ``tg.manual_seed``'s
    generator. (``inplace`` is accepted for PyTorch compatibility; a new tensor is returned.)"""
    return _dropout(input, p, training, "dropout", channels=False)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel dropout for (N, C, H, W) or (C, H, W): whole feature maps are zeroed with
    probability ``p`` and the rest scaled by 1/(1 − p)."""
    return _dropout(input, p, training, "dropout2d", channels=True)


def _dropout(x: Any, p: float, training: bool, op: str, channels: bool) -> Tensor:
    x = _tensor(x, "input", op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if channels:
        if x.ndim not in (3, 4):
            raise RuntimeError(f"{op}: expected (N, C, H, W) or (C, H, W) input, got {x.shape}")
        shape = x.shape[:-2] + (1, 1)
    else:
        shape = x.shape
    if p == 1.0:
        return x * 0.0
    keep = default_rng().random(shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor(to_device(mask, x.device))


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (*, in_features) @ weightᵀ + bias; weight (out_features, in_features), bias
    (out_features,) or None."""
    op = "linear"
    x = _tensor(input, "input", op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    if w.ndim != 2:
        raise RuntimeError(f"{op}: weight must be 2-D (out_features, in_features), got {w.shape}")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise RuntimeError(
            f"{op}: input has {x.shape[-1] if x.ndim else 0} features but weight expects "
            f"{w.shape[1]} (input shape {x.shape}, weight shape {w.shape})"
        )
    if b is not None and b.shape != (w.shape[0],):
        raise RuntimeError(f"{op}: bias must have shape ({w.shape[0]},), got {b.shape}")
    _same_dtype(op, input=x, weight=w, bias=b)
    out = x @ w.T
    return out + b if b is not None else out


def flatten(input: Tensor, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim``..``end_dim`` (default: all but the batch axis)."""
    return _tensor(input, "input", "flatten").flatten(start_dim, end_dim)


def pad(
    input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None
) -> Tensor:
    """Pad the last len(pad)/2 axes; ``pad`` = (left, right, top, bottom, ...) as in PyTorch.

    Modes: ``"constant"`` (``value``, default 0), ``"circular"`` (periodic, as on a torus),
    ``"reflect"`` (mirror without repeating the edge) and ``"replicate"`` (repeat the edge).
    """
    op = "pad"
    x = _tensor(input, "input", op)
    if mode in ("constant", "circular"):
        return x.pad(pad, mode=mode, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate"):
        raise ValueError(
            f"{op}: mode must be 'constant', 'circular', 'reflect' or 'replicate', got {mode!r}"
        )
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim or min(pad, default=0) < 0:
        raise ValueError(
            f"{op}: {pad} must hold non-negative (before, after) pairs for at most {x.ndim} axes"
        )
    out = x
    for k in range(len(pad) // 2):
        axis, lo, hi = x.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
        n = x.shape[axis]
        if not (lo or hi):
            continue
        if mode == "reflect" and max(lo, hi) >= n:
            raise ValueError(
                f"{op}: reflect padding {pad} must be smaller than the padded axis (size {n}, "
                f"input shape {x.shape})"
            )
        pos = np.arange(-lo, n + hi)
        if mode == "reflect":
            period = 2 * (n - 1)
            pos = np.abs((pos + period) % period) if n > 1 else np.zeros_like(pos)
            pos = np.where(pos >= n, period - pos, pos)
        else:
            pos = np.clip(pos, 0, n - 1)
        out = out[(slice(None),) * axis + (to_device(pos, x.device),)]
    return out


# --------------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _tensor(input, "input", "relu").relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope``·x otherwise."""
    return _tensor(input, "input", "leaky_relu").leaky_relu(negative_slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) (``approximate="tanh"`` for the tanh approximation)."""
    return _tensor(input, "input", "gelu").gelu(approximate)


def sigmoid(input: Tensor) -> Tensor:
    return _tensor(input, "input", "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    return _tensor(input, "input", "tanh").tanh()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(β·x))/β, linear where β·x > ``threshold``."""
    return _tensor(input, "input", "softplus").softplus(beta, threshold)


def _softmax_dim(x: Tensor, dim: int | None, op: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"{op}: implicit dimension choice is deprecated (as in PyTorch); pass dim=",
        UserWarning,
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x)/Σ exp(x) along ``dim`` (computed stably)."""
    x = _tensor(input, "input", "softmax")
    x = x.to(dtype) if dtype is not None else x
    return x.softmax(_softmax_dim(x, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """x − log Σ exp(x) along ``dim`` (computed stably)."""
    x = _tensor(input, "input", "log_softmax")
    x = x.to(dtype) if dtype is not None else x
    return x.log_softmax(_softmax_dim(x, dim, "log_softmax"))


# --------------------------------------------------------------------------- losses
def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits input (N, C) or (N, C, d1, ...) (or (C,)) with class-index
    targets (N,) / (N, d1, ...), or class probabilities of the input's shape.

    log-softmax is computed stably, so logits of any magnitude give finite losses.
    ``weight`` (C,) weighs classes; ``"mean"`` then divides by the summed weights of the
    targets (PyTorch's weighted mean). Targets equal to ``ignore_index`` contribute nothing.
    ``label_smoothing`` ε mixes the target with the uniform distribution: (1 − ε)·one-hot + ε/C.
    """
    op = "cross_entropy"
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class axis, got a scalar")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if x.ndim == 1:  # a single unbatched example
        x = x.unsqueeze(0)
        t = t.unsqueeze(0)
        unbatched = True
    else:
        unbatched = False
    logp = x.log_softmax(1)
    if t.dtype.kind == "f":
        out = _soft_targets(logp, t, weight, reduction, label_smoothing, op)
    else:
        out = _nll(logp, t, weight, ignore_index, reduction, label_smoothing, op)
    return out.squeeze(0) if unbatched and reduction == "none" else out


def _soft_targets(logp, t, weight, reduction, smoothing, op) -> Tensor:
    if t.shape != logp.shape:
        raise RuntimeError(
            f"{op}: probability targets must have the input's shape {logp.shape}, got {t.shape}"
        )
    C = logp.shape[1]
    t = t.to(logp.dtype)
    if smoothing:
        t = t * (1 - smoothing) + smoothing / C
    if weight is not None:
        t = t * _class_weight(weight, logp, op).reshape((1, C) + (1,) * (logp.ndim - 2))
    return _reduce(-(logp * t).sum(1), reduction, op)


def _class_weight(weight, logp, op) -> Tensor:
    w = _tensor(weight, "weight", op)
    if w.shape != (logp.shape[1],):
        raise RuntimeError(
            f"{op}: weight must have one entry per class, shape ({logp.shape[1]},), got {w.shape}"
        )
    return w.to(logp.dtype)


def _nll(
    logp: Tensor, t: Tensor, weight, ignore_index: int, reduction: str, smoothing: float, op: str
) -> Tensor:
    """Σ over classes of −coef·logp with a constant coefficient array per element:
    (1 − ε)·w[c]·[c = target] + ε/C·w[c] for non-ignored targets, 0 for ignored ones."""
    xp = logp.xp
    N, C = logp.shape[:2]
    rest = logp.shape[2:]
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: targets must be integer class indices, got {t.dtype}")
    if t.shape != (N,) + rest:
        raise RuntimeError(
            f"{op}: target shape {t.shape} does not match input shape {logp.shape} "
            f"(expected {(N,) + rest})"
        )
    target = t._data if t.device == logp.device else to_device(t._data, logp.device)
    if xp is np and target.size:  # range check on the host only: no device sync in the loop
        valid = target[target != ignore_index]
        if valid.size and (valid.min() < 0 or valid.max() >= C):
            bad = valid[(valid < 0) | (valid >= C)][0]
            raise IndexError(
                f"{op}: target {int(bad)} is out of bounds for {C} classes (input shape "
                f"{logp.shape}, target shape {t.shape})"
            )
    bshape = (1, C) + (1,) * len(rest)
    tt = target.reshape((N, 1) + rest)
    valid = tt != ignore_index  # (N, 1, *rest)
    coef = ((tt == xp.arange(C).reshape(bshape)) & valid).astype(logp.dtype)  # (N, C, *rest)
    wc = None
    if weight is not None:
        wc = _class_weight(weight, logp, op)._data.reshape(bshape)
        coef *= wc
    total = coef.sum()  # Σ of the targets' weights (or their count): the weighted-mean divisor
    if smoothing:
        uniform = valid.astype(logp.dtype) * (wc if wc is not None else 1.0)
        coef = (1 - smoothing) * coef + (smoothing / C) * uniform
    loss = -(logp * Tensor(coef)).sum(1)  # (N, *rest)
    if reduction == "mean":
        return loss.sum() / Tensor(total)
    return _reduce(loss, reduction, op)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities input (N, C) or (N, C, d1, ...) with
    class-index targets (N,) / (N, d1, ...); ``weight`` and ``ignore_index`` as in
    ``cross_entropy``."""
    op = "nll_loss"
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.ndim == 1:
        out = _nll(x.unsqueeze(0), t.unsqueeze(0), weight, ignore_index, reduction, 0.0, op)
        return out.squeeze(0) if reduction == "none" else out
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class axis, got a scalar")
    return _nll(x, t, weight, ignore_index, reduction, 0.0, op)


def _pointwise_args(input: Any, target: Any, op: str) -> tuple[Tensor, Tensor]:
    """input and target of the same shape (a mismatch, e.g. (N, 1) against (N,), is an error:
    broadcasting it silently would compare every input with every target)."""
    x = _tensor(input, "input", op)
    t = _tensor(target, "target", op)
    if x.shape != t.shape:
        raise RuntimeError(
            f"{op}: input shape {x.shape} and target shape {t.shape} differ; reshape one "
            "(e.g. target.reshape(input.shape))"
        )
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    return x, t


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input − target)², reduced."""
    x, t = _pointwise_args(input, target, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input − target|, reduced."""
    x, t = _pointwise_args(input, target, "l1_loss")
    return _reduce((x - t).abs(), reduction, "l1_loss")


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """½d² where |d| < δ, δ·(|d| − ½δ) elsewhere (d = input − target), reduced."""
    op = "huber_loss"
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    x, t = _pointwise_args(input, target, op)
    d = x - t
    ad = d.abs()
    loss = where(Tensor(ad._data < delta), 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _reduce(loss, reduction, op)


def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """½d²/β where |d| < β, |d| − ½β elsewhere (β = 0 is the L1 loss), reduced."""
    op = "smooth_l1_loss"
    if beta < 0:
        raise ValueError(f"{op}: beta must be non-negative, got {beta}")
    x, t = _pointwise_args(input, target, op)
    d = x - t
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction, op)
    loss = where(Tensor(ad._data < beta), (0.5 / beta) * d * d, ad - 0.5 * beta)
    return _reduce(loss, reduction, op)


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """−w·(t·log p + (1 − t)·log(1 − p)) for probabilities p = input in [0, 1]; each log is
    clamped at −100 as in PyTorch, so p = 0 or 1 gives a finite loss and gradient."""
    op = "binary_cross_entropy"
    p, t = _pointwise_args(input, target, op)
    if p.device == "cpu" and p.numel():
        lo, hi = float(p._data.min()), float(p._data.max())
        if lo < 0 or hi > 1 or math.isnan(lo) or math.isnan(hi):
            raise ValueError(
                f"{op}: all elements of input should be between 0 and 1, got values in "
                f"[{lo}, {hi}] (apply sigmoid, or use binary_cross_entropy_with_logits)"
            )
    loss = -(t * ClampedLog.apply(p) + (1 - t) * ClampedLog.apply(1 - p))
    if weight is not None:
        loss = loss * as_tensor(weight, like=p).to(p.dtype)
    return _reduce(loss, reduction, op)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits:
    (1 − t)·x + (1 + (pos_weight − 1)·t)·softplus(−x). ``pos_weight`` (broadcast over the last
    axis, e.g. (C,)) weighs the positive examples; ``weight`` weighs every element."""
    op = "binary_cross_entropy_with_logits"
    x, t = _pointwise_args(input, target, op)
    tail = (-x).softplus()  # log(1 + e^(−x)) without overflow
    if pos_weight is not None:
        pw = as_tensor(pos_weight, like=x).to(x.dtype)
        tail = (1 + (pw - 1) * t) * tail
    loss = (1 - t) * x + tail
    if weight is not None:
        loss = loss * as_tensor(weight, like=x).to(x.dtype)
    return _reduce(loss, reduction, op)


# ---------------------------------------------------------------- encoding
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class indices of any shape → int64 (..., num_classes) with a 1 at each index;
    ``num_classes=-1`` means one more than the largest index."""
    if not isinstance(tensor, Tensor) or tensor.dtype != np.int64:
        kind = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
        raise RuntimeError(f"one_hot: expected an int64 index tensor, got {kind}")
    labels = tensor._data
    if num_classes == -1:
        if labels.size == 0:
            raise RuntimeError("one_hot: can not infer the number of classes from an empty tensor")
        num_classes = int(labels.max()) + 1
    if labels.size and int(labels.min()) < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {int(labels.min())}")
    if labels.size and int(labels.max()) >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes ({num_classes}), "
            f"got {int(labels.max())}"
        )
    xp = tensor.xp
    return Tensor((labels[..., None] == xp.arange(num_classes)).astype(np.int64))
