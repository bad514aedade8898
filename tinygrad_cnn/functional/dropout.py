"""Dropout: elementwise and per channel, with masks from the global generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import functional_scope
from ..backend import to_device
from ..random import default_rng
from ..tensor import Tensor
from ._args import _tensor

__all__ = ["dropout", "dropout1d", "dropout2d"]


@functional_scope("dropout", params=("training",))
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1 − p), so that eval mode is the identity. Masks come from ``tg.manual_seed``'s
    generator. (``inplace`` is accepted for PyTorch compatibility; a new tensor is returned.)"""
    return _dropout(input, p, training, "dropout", channels=0)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel dropout for (N, C, L) or (C, L): whole channels are zeroed with probability
    ``p`` and the rest scaled by 1/(1 − p)."""
    return _dropout(input, p, training, "dropout1d", channels=1)


@functional_scope("dropout2d", params=("training",))
def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel dropout for (N, C, H, W) or (C, H, W): whole feature maps are zeroed with
    probability ``p`` and the rest scaled by 1/(1 − p)."""
    return _dropout(input, p, training, "dropout2d", channels=2)


def _dropout(x: Any, p: float, training: bool, op: str, channels: int) -> Tensor:
    """``channels``: 0 for elementwise dropout, else the number of feature dimensions after
    (N, C) that share one mask entry (1 for dropout1d, 2 for dropout2d)."""
    x = _tensor(x, "input", op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    if channels:
        if x.ndim not in (channels + 1, channels + 2):
            layout = "(N, C, L) or (C, L)" if channels == 1 else "(N, C, H, W) or (C, H, W)"
            raise RuntimeError(f"{op}: expected {layout} input, got shape {x.shape}")
        shape = x.shape[:-channels] + (1,) * channels
    else:
        shape = x.shape
    if p == 1.0:
        return x * 0.0
    keep = default_rng().random(shape, dtype=np.float32) >= p
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return x * Tensor(to_device(mask, x.device))
