"""Splitting the convolutions' large matrix products over a few threads of our own.

NumPy releases the GIL inside a matrix product, so two Python threads each multiplying half
of the columns use two cores. The convolution's products are always cut into the same
``CHUNKS`` pieces, whatever the thread count, so a result is the same bit for bit with one
thread or several; only how many pieces run at once changes.

With more than one thread (``set_num_threads(n)`` or the ``TINYGRAD_CNN_NUM_THREADS``
environment variable, read at the first call), BLAS itself is limited to one thread through
``threadpoolctl`` when that is installed: OpenBLAS's own worker threads keep spinning after each
product and would compete with ours for the cores. With one thread (the default) nothing is
limited and the pieces run in turn.

Measured on 2 cores (benchmarks/RESULTS.md, "Threads"): on a busy machine our threads are much
steadier than OpenBLAS's (whose spinning workers lose the contested core); on a quiet one
BLAS's own threading is faster for the LeNet step, so it is not the default.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["CHUNKS", "MIN_COLUMNS", "get_num_threads", "set_num_threads", "run_chunks", "bounds"]

CHUNKS = 2  # pieces of every split product, fixed so that results do not depend on threads
MIN_COLUMNS = 4096  # a product with fewer columns (or batch entries × columns) is not split

_lock = threading.Lock()
_state: dict[str, Any] = {"threads": None, "pool": None, "blas_limit": None}


def get_num_threads() -> int:
    """How many threads the split products run on (1 unless set)."""
    if _state["threads"] is None:
        env = os.environ.get("TINYGRAD_CNN_NUM_THREADS", "").strip()
        set_num_threads(int(env) if env.isdigit() and int(env) > 0 else 1)
    return _state["threads"]


def set_num_threads(n: int) -> None:
    """Run the convolutions' split matrix products on ``n`` threads (as ``torch.set_num_threads``
    sets PyTorch's); with n > 1 BLAS is kept to one thread (needs threadpoolctl)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    with _lock:
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=True)
            _state["pool"] = None
        if _state["blas_limit"] is not None:
            _state["blas_limit"].restore_original_limits()
            _state["blas_limit"] = None
        _state["threads"] = n
        if n > 1:
            _state["pool"] = ThreadPoolExecutor(n, thread_name_prefix="tinygrad_cnn")
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:  # BLAS keeps its own threads: still correct, maybe slower
                return
            _state["blas_limit"] = threadpool_limits(limits=1, user_api="blas")


def bounds(n: int) -> list[tuple[int, int]]:
    """``CHUNKS`` consecutive (start, stop) ranges covering ``range(n)`` (fewer for tiny n)."""
    k = max(1, min(CHUNKS, n))
    edges = [n * i // k for i in range(k + 1)]
    return list(zip(edges[:-1], edges[1:]))


def run_chunks(fn: Callable[[int, int], Any], n: int) -> list[Any]:
    """``[fn(start, stop) for each chunk of range(n)]``, on the thread pool when there is one.
    The results come back in chunk order, so a caller that adds them adds them in one order."""
    pieces = bounds(n)
    pool = _state["pool"] if get_num_threads() > 1 else None
    if pool is None or len(pieces) == 1:
        return [fn(a, b) for a, b in pieces]
    return list(pool.map(lambda ab: fn(*ab), pieces))
