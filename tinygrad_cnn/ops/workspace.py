"""The workspace allocator: recycled large NumPy buffers for the CNN ops' temporaries.

The one place besides ``backend`` that tells NumPy from CuPy: CuPy has its own memory pool, so
on the GPU these functions are plain ``xp.empty``/``xp.zeros``.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict

import numpy as np

from ..backend import get_array_module

__all__ = [
    "Workspace",
    "workspace",
    "workspace_empty",
    "workspace_zeros",
    "empty_like",
    "empty_ordered",
    "axis_order",
    "inverse_axes",
]


class Workspace:
    """Recycles the large NumPy buffers of im2col, col2im and pooling between steps.

    A training step allocates the same big temporaries every time; fresh multi-megabyte
    allocations come from the operating system as untouched pages, and filling them costs page
    faults (measured: ~25% of a conv layer's forward+backward). ``empty(shape, dtype)`` hands
    out an array backed by a cached buffer; when that array *and every view of it* are gone,
    the buffer returns to the cache. Buffers under ``min_bytes`` are plain ``np.empty``; at most
    ``max_bytes`` are kept (oldest dropped first); CuPy has its own memory pool and never comes
    here. ``clear()`` drops everything cached.
    """

    def __init__(self, max_bytes: int = 256 << 20, min_bytes: int = 1 << 20) -> None:
        self.max_bytes = max_bytes
        self.min_bytes = min_bytes
        self._free: OrderedDict[int, list[np.ndarray]] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        if nbytes < self.min_bytes:
            return np.empty(shape, dtype)
        raw = self._take(nbytes)
        if raw is None:
            raw = np.empty(nbytes, np.uint8)
        # an array over a memoryview: every view of it keeps *it* alive (not just the memory),
        # so its finalizer runs only when no view of the buffer is left
        owner = np.frombuffer(raw.data, dtype=dtype, count=count)
        weakref.finalize(owner, self._give_back, raw).atexit = False
        return owner.reshape(shape)

    def zeros(self, shape: tuple[int, ...], dtype) -> np.ndarray:
        out = self.empty(shape, dtype)
        out.fill(0)
        return out

    def empty_like(self, x: np.ndarray, dtype=None) -> np.ndarray:
        """An uninitialised array of x's shape with x's memory order (e.g. a (N, C, H, W) view
        of (C, N, H, W) memory), so that elementwise ops between them run contiguously."""
        if x.nbytes < self.min_bytes and (dtype is None or np.dtype(dtype) == x.dtype):
            return np.empty_like(x)  # small: not recycled (empty_like keeps the memory order)
        return self.empty_ordered(x, x.shape, dtype or x.dtype)

    def empty_ordered(self, like, shape, dtype) -> np.ndarray:
        """An uninitialised array of ``shape`` laid out in ``like``'s axis order (``like`` has
        as many axes; its sizes may differ, e.g. a pooled output and its input)."""
        order = axis_order(like)
        physical = self.empty(tuple(shape[a] for a in order), dtype)
        return physical.transpose(inverse_axes(order))

    def clear(self) -> None:
        with self._lock:
            self._free.clear()
            self._cached = 0

    @property
    def cached_bytes(self) -> int:
        return self._cached

    def _take(self, nbytes: int) -> np.ndarray | None:
        with self._lock:
            stack = self._free.get(nbytes)
            if not stack:
                return None
            raw = stack.pop()
            if not stack:
                del self._free[nbytes]
            self._cached -= nbytes
            return raw

    def _give_back(self, raw: np.ndarray) -> None:
        nbytes = raw.nbytes
        if nbytes > self.max_bytes:
            return
        with self._lock:
            while self._cached + nbytes > self.max_bytes and self._free:
                size, stack = next(iter(self._free.items()))  # the oldest size first
                stack.pop()
                self._cached -= size
                if not stack:
                    del self._free[size]
            self._free.setdefault(nbytes, []).append(raw)
            self._free.move_to_end(nbytes)
            self._cached += nbytes


workspace = Workspace()


def axis_order(a) -> list[int]:
    """a's axes from the outermost in memory to the innermost (largest stride first; axes with
    equal strides, such as unit axes, keep their order)."""
    return sorted(range(a.ndim), key=lambda ax: -abs(a.strides[ax]))


def inverse_axes(order) -> tuple[int, ...]:
    """The transpose that undoes ``transpose(order)``."""
    return tuple(order.index(a) for a in range(len(order)))


def workspace_empty(xp, shape, dtype):
    """``xp.empty``, recycled through ``workspace`` on the CPU."""
    return workspace.empty(shape, dtype) if xp is np else xp.empty(shape, dtype=dtype)


def workspace_zeros(xp, shape, dtype):
    """``xp.zeros``, recycled through ``workspace`` on the CPU."""
    return workspace.zeros(shape, dtype) if xp is np else xp.zeros(shape, dtype=dtype)


def empty_ordered(like, shape, dtype):
    """Uninitialised, ``shape``, laid out in ``like``'s axis order; recycled on the CPU."""
    xp = get_array_module(like)
    if xp is np:
        return workspace.empty_ordered(like, shape, dtype)
    order = axis_order(like)
    return xp.empty(tuple(shape[a] for a in order), dtype=dtype).transpose(inverse_axes(order))


def empty_like(x, dtype=None):
    """Uninitialised, x's shape and memory order; recycled through ``workspace`` on the CPU."""
    xp = get_array_module(x)
    if xp is np:
        return workspace.empty_like(x, dtype)
    return xp.empty_like(x, dtype=dtype)
