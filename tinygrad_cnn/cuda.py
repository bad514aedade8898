"""``tg.cuda``: whether a CUDA GPU can be used, as ``torch.cuda``.

device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
"""

from __future__ import annotations

from .backend import cuda_device_count

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]


def device_count() -> int:
    """The number of CUDA GPUs that CuPy sees (0 without CuPy or without a GPU)."""
    return cuda_device_count()


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU (tensors can go to ``"cuda"``)."""
    return cuda_device_count() > 0


def manual_seed(seed: int) -> None:
    """Seed the random draws of tensors on the GPU: they come from the framework's one
    generator, so this is ``tg.manual_seed(seed)`` (PyTorch keeps a generator per device)."""
    from .random import manual_seed as seed_everything

    seed_everything(seed)


manual_seed_all = manual_seed
