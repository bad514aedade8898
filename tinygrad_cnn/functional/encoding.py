"""Encodings of class labels."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

__all__ = ["one_hot"]


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
