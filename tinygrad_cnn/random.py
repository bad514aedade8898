"""Random number generation: the global generator behind every random draw in the framework, and
``Generator`` objects for streams of one's own.

Every random draw (initialisation, dropout masks, shuffles, data augmentation) is made on the host
by a NumPy PCG64 generator, then moved to the tensor's device, so one seed gives the same numbers
on the CPU and the GPU. ``tg.manual_seed(s)`` reseeds the global one (``default_generator``);
``tg.get_rng_state()``/``tg.set_rng_state(state)`` save and restore it exactly, as a uint8 Tensor
that ``tg.save`` can store next to a model, so a run resumed from a checkpoint continues bit for
bit. A ``Generator`` is an independent stream with the same methods, accepted as ``generator=`` by
``randperm``, ``rand``, ``randn``, ``randint``, the samplers, ``random_split``, ``DataLoader`` and
the random transforms.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "default_rng",
    "numpy_rng",
    "seed_from",
    "thread_default_rng",
]

DEFAULT_SEED = 67280421310721
"""The seed of a new ``Generator()``, PyTorch's (so a fresh Generator is deterministic)."""

STATE_BYTES = 48
"""Bytes of a state: PCG64's 128-bit state and increment, its buffered 32-bit half-word
(flag and value), and the initial seed; all little-endian."""

_SEED_MIN, _SEED_MAX = -(2**63), 2**64 - 1


def _check_seed(op: str, seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if not _SEED_MIN <= seed <= _SEED_MAX:
        raise RuntimeError(
            f"{op}: seed must be within [{_SEED_MIN}, {_SEED_MAX}] (a 64-bit integer), got {seed}"
        )
    return seed % 2**64  # negative seeds wrap around, as PyTorch's do


class Generator:
    """A stream of random numbers with its own state, as ``torch.Generator``.

    ``Generator(device="cpu")`` starts from seed 67280421310721 (PyTorch's default).
    ``manual_seed(s)`` reseeds it and returns it; ``seed()`` reseeds it from the operating
    system and returns the new seed; ``initial_seed()`` is the last seed; ``get_state()`` is a
    uint8 Tensor of ``STATE_BYTES`` bytes and ``set_state(state)`` restores one. Draws are made
    on the host whatever ``device`` says (it is kept for PyTorch code that passes it).
    """

    def __init__(self, device: Any = "cpu") -> None:
        self.device = str(device)
        self._rng = np.random.Generator(np.random.PCG64(DEFAULT_SEED))
        self._initial_seed = DEFAULT_SEED

    def manual_seed(self, seed: int) -> Generator:
        seed = _check_seed("manual_seed", seed)
        self._rng.bit_generator.state = np.random.PCG64(seed).state
        self._initial_seed = seed
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        new = secrets.randbits(63)
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Any:
        """The state as a uint8 Tensor (``STATE_BYTES`` values): ``set_state`` of it later gives
        the same draws from that point on."""
        from .tensor import Tensor

        st = self._rng.bit_generator.state
        raw = (
            st["state"]["state"].to_bytes(16, "little")
            + st["state"]["inc"].to_bytes(16, "little")
            + int(st["has_uint32"]).to_bytes(4, "little")
            + int(st["uinteger"]).to_bytes(4, "little")
            + self._initial_seed.to_bytes(8, "little")
        )
        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state made by ``get_state`` (a uint8 Tensor or array of ``STATE_BYTES``)."""
        from .backend import to_numpy
        from .tensor import Tensor

        if isinstance(new_state, Tensor):
            arr = to_numpy(new_state._data)
        elif isinstance(new_state, np.ndarray):
            arr = new_state
        else:
            raise TypeError(
                f"set_state: expected a uint8 Tensor made by get_state, got "
                f"{type(new_state).__name__}"
            )
        if arr.dtype != np.uint8 or arr.shape != (STATE_BYTES,):
            raise RuntimeError(
                f"set_state: expected a uint8 tensor of shape ({STATE_BYTES},) made by get_state, "
                f"got {arr.dtype} of shape {tuple(arr.shape)}"
            )
        raw = np.asarray(arr, dtype=np.uint8).tobytes()
        inc = int.from_bytes(raw[16:32], "little")
        has_uint32 = int.from_bytes(raw[32:36], "little")
        if inc % 2 == 0 or has_uint32 not in (0, 1):
            raise RuntimeError("set_state: the tensor is not a generator state made by get_state")
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[:16], "little"), "inc": inc},
            "has_uint32": has_uint32,
            "uinteger": int.from_bytes(raw[36:40], "little"),
        }
        self._initial_seed = int.from_bytes(raw[40:48], "little")
        return self


default_generator = Generator()
"""The global generator behind ``manual_seed``, ``rand``, dropout, shuffling, augmentation."""
default_generator.seed()  # like PyTorch's: a different stream in every process until seeded

_local = threading.local()


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator: the same seed gives the same initialisation, dropout masks,
    shuffles and augmentations, on every run. Returns ``default_generator``."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from the operating system; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The global generator's state, a uint8 Tensor (save it with the model's ``state_dict``)."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore the global generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def default_rng() -> np.random.Generator:
    """The NumPy generator that draws for the global one (inside a ``DataLoader`` fetch: the
    generator of that batch, see ``thread_default_rng``)."""
    local = getattr(_local, "rng", None)
    return default_generator._rng if local is None else local


def numpy_rng(generator: Any = None, op: str = "random") -> np.random.Generator:
    """The NumPy generator behind ``generator``: None (the global one), a ``Generator``, or a
    ``numpy.random.Generator`` (used as it is)."""
    if generator is None:
        return default_rng()
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"{op}: generator must be a tinygrad_cnn.Generator (or a numpy.random.Generator), "
        f"got {type(generator).__name__}"
    )


def seed_from(generator: Any = None) -> int:
    """A fresh 63-bit seed drawn from ``generator`` (the global one by default)."""
    return int(numpy_rng(generator).integers(2**63 - 1))


@contextmanager
def thread_default_rng(rng: np.random.Generator) -> Iterator[None]:
    """Within the block, draws on *this thread* that would come from the global generator come
    from ``rng``. The ``DataLoader`` fetches each batch so, with a generator seeded from the
    epoch's seed and the batch number: augmentations are then the same whichever thread (or
    how many workers) loads the batch."""
    previous = getattr(_local, "rng", None)
    _local.rng = rng
    try:
        yield
    finally:
        _local.rng = previous
