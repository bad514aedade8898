"""Dropout: elementwise and per channel, with masks from the global generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import functional_scope
from ..backend import to_device
from ..random import default_rng
from ..tensor import Tensor
from ._args import _tensor

__all__ = ["dropout", "dropout2d"]


@functional_scope("dropout", params=("training",))
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1 − p), so that eval mode is the identity. Masks come from ``tg.manual_seed``'s
    generator. (``inplace`` is accepted for PyTorch compatibility; a new tensor is returned.)"""
    return _dropout(input, p, training, "dropout", channels=False)


@functional_scope("dropout2d", params=("training",))
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
