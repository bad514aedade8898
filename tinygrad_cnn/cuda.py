"""``tg.cuda``: whether a CUDA GPU can be used, as ``torch.cuda``.

device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
"""

from __future__ import annotations

from .backend import cuda_device_count

__all__ = ["is_available", "device_count"]


def device_count() -> int:
    """The number of CUDA GPUs that CuPy sees (0 without CuPy or without a GPU)."""
    return cuda_device_count()


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU (tensors can go to ``"cuda"``)."""
    return cuda_device_count() > 0
