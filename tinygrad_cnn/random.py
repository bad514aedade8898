"""The global random number generator that every random draw in the framework uses."""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "default_rng", "seed_from"]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator: the same seed gives the same initialisation, dropout masks
    and shuffles, on every run."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_rng() -> np.random.Generator:
    """The global NumPy generator (random draws are made on the host, then moved to the device,
    so one seed gives the same numbers on the CPU and the GPU)."""
    return _generator


def seed_from(generator: np.random.Generator | None = None) -> int:
    """A fresh 63-bit seed drawn from ``generator`` (the global one by default)."""
    return int((generator or _generator).integers(2**63 - 1))
