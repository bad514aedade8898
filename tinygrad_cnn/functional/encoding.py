"""Encodings of class labels and lookups by index: ``one_hot`` and ``embedding``."""

from __future__ import annotations

import numpy as np

from ..backend import to_device
from ..inplace import bump
from ..tensor import Tensor, where

__all__ = ["one_hot", "embedding"]


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


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices
    ``input`` (any shape): output shape ``input.shape + (embedding_dim,)``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: the rows looked up whose
    ``norm_type``-norm exceeds it are rescaled to norm ``max_norm`` first, in place (as in
    PyTorch). ``scale_grad_by_freq``: each row's gradient is divided by how often its index
    occurs in ``input``. Gradients are dense (``sparse=True`` is refused)."""
    op = "embedding"
    if not isinstance(input, Tensor) or input.dtype.kind not in "iu":
        kind = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{op}: expected integer indices (int64 or int32), got {kind}")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = weight.shape if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"{op}: weight must be a 2-D tensor, got {shape}")
    if sparse:
        raise NotImplementedError(f"{op}: sparse gradients are not supported (use sparse=False)")
    num, dim = weight.shape
    idx = input._data if input.device == weight.device else to_device(input._data, weight.device)
    if idx.size and weight.device == "cpu" and (idx.min() < 0 or idx.max() >= num):
        bad = idx[(idx < 0) | (idx >= num)].flat[0]
        raise IndexError(
            f"{op}: index {int(bad)} is out of range for a weight of {num} embeddings "
            f"(weight shape {weight.shape})"
        )
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"{op}: padding_idx ({padding_idx}) must be within num_embeddings")
        padding_idx %= num
    flat = idx.reshape(-1)
    if max_norm is not None:
        _renorm_rows(weight, flat, float(max_norm), float(norm_type))
    out = weight.index_select(0, Tensor(flat)).reshape(tuple(input.shape) + (dim,))
    xp = weight.xp
    if scale_grad_by_freq and flat.size:
        counts = xp.bincount(flat, minlength=num).astype(weight.dtype)
        scale = (1.0 / counts[idx])[..., None]  # (*input.shape, 1)
        frozen = out.detach()
        out = frozen + (out - frozen) * Tensor(scale)  # same values, scaled gradient
    if padding_idx is not None:
        padded = Tensor((idx == padding_idx)[..., None])
        out = where(padded, out.detach(), out)  # the padding row receives no gradient
    return out


def _renorm_rows(weight: Tensor, rows, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` at ``rows`` whose norm exceeds ``max_norm`` to that norm
    (PyTorch's embedding_renorm_, with its 1e-7 guard), in place and without gradient."""
    xp = weight.xp
    unique = xp.unique(rows)
    w = weight._data  # written as an array: no graph records this update
    norms = xp.linalg.norm(w[unique], ord=norm_type, axis=1)
    big = norms > max_norm
    if bool(big.any()):
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[unique[big]] *= scale[:, None]
        bump(weight)
