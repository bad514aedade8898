"""``--device``: a usage error, before any work, when CUDA is asked for and not there."""

from __future__ import annotations

from .errors import UsageError

__all__ = ["check_device"]


def check_device(device: str) -> str:
    if device == "cuda":
        from ..backend import cupy_module

        try:
            cupy_module()
        except RuntimeError as e:
            raise UsageError(f"--device cuda: {e}") from None
    return device
