"""Affine maps and shape helpers: ``linear``, ``flatten``, ``pad``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..autograd import functional_scope
from ..backend import to_device
from ..ops.linalg import Linear
from ..tensor import Tensor
from ._args import _same_dtype, _tensor

__all__ = ["linear", "flatten", "pad"]


@functional_scope("linear")
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
    return Linear.apply(x, w) if b is None else Linear.apply(x, w, b)


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
