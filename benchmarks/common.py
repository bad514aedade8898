"""Shared helpers for the benchmarks: interleaved timing, peak memory, ratio tables.

    from common import Case, compare, print_table, standard_parser, torch_or_none

    torch = torch_or_none()
    cases = [Case("add (32, 32)", ours=lambda: a + b, theirs=lambda: ta + tb)]
    rows = compare(cases, repeats=50)
    print_table(rows)

Machines running benchmarks are often shared and noisy: each repeat runs every contender once,
back to back (interleaved), so all of them see the same load, and the median of the repeats is
reported. Trust ratios measured in one run over absolute times.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "add_repo_to_path",
    "Timing",
    "BLAS_IDLE_PAUSE",
    "idle_pause",
    "interleaved",
    "Case",
    "Row",
    "compare",
    "traced_peak_bytes",
    "peak_rss_mib",
    "format_time",
    "format_ratio",
    "format_bytes",
    "print_table",
    "torch_or_none",
    "standard_parser",
]


def add_repo_to_path() -> None:
    """Make ``import tinygrad_cnn`` work when a benchmark is run as a script from a checkout."""
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)


# ------------------------------------------------------------------------------ timing
# After a GEMM, OpenBLAS's worker threads busy-wait for a while (~0.1 s) before sleeping (an
# OpenMP pool may do the same); timed straight after the other library, a call then shares its
# cores with those spinning threads (measured: PyTorch's LeNet step, 2 threads, 35 ms alone,
# 96-103 ms right after ours). A short untimed sleep before each timed call lets them go idle.
# Its price: the call after it wakes sleeping threads and cold caches (~0.5 ms measured), which
# dominates calls of well under a millisecond. With one thread there are no workers to wait for.
BLAS_IDLE_PAUSE = 0.3  # seconds


def idle_pause(threads: int) -> float:
    """Seconds to sleep (untimed) before each timed call when ``threads`` threads are used:
    ``BLAS_IDLE_PAUSE`` with more than one thread, else 0."""
    return BLAS_IDLE_PAUSE if threads > 1 else 0.0


@dataclass
class Timing:
    """Seconds per call of one contender, one sample per repeat."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median (a noise indicator)."""
        if len(self.samples) < 4:
            return float("nan")
        q1, _, q3 = statistics.quantiles(self.samples, n=4)
        return (q3 - q1) / self.median


def interleaved(
    fns: Sequence[Callable[[], Any]],
    repeats: int = 20,
    warmup: int = 1,
    setup: Sequence[Callable[[], Any] | None] | None = None,
    number: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    pause: float = 0.0,
) -> list[Timing]:
    """Time each of ``fns`` ``repeats`` times, alternating between them every repeat.

    ``setup[i]`` (optional) runs untimed before each call of ``fns[i]``; its return value, if
    not None, is passed to ``fns[i]`` (e.g. build a graph, then time only its backward).
    ``number`` calls are timed together per sample (for very fast functions); samples are
    seconds per call. The garbage collector is paused while timing. ``clock`` is wall time by
    default; ``time.process_time`` (CPU time of this process) is steadier on a busy machine
    but only fair when every contender runs on one thread. ``pause`` seconds of sleep (untimed,
    after the setup) precede each timed call: pass ``idle_pause(threads)`` so that one
    contender's spinning worker threads do not slow the next one.
    """
    setup = list(setup) if setup is not None else [None] * len(fns)
    timings = [Timing() for _ in fns]

    def call(i: int) -> float:
        arg = setup[i]() if setup[i] is not None else None
        fn = fns[i]
        if pause:
            time.sleep(pause)
        start = clock()
        for _ in range(number):
            fn(arg) if arg is not None else fn()
        return (clock() - start) / number

    for _ in range(warmup):
        for i in range(len(fns)):
            call(i)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            for i in range(len(fns)):
                timings[i].samples.append(call(i))
    finally:
        if was_enabled:
            gc.enable()
    return timings


@dataclass
class Case:
    """One workload: ``ours`` and (where PyTorch is installed) ``theirs``, with optional
    untimed setups whose result is passed to the timed function."""

    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any] | None = None
    ours_setup: Callable[[], Any] | None = None
    theirs_setup: Callable[[], Any] | None = None
    number: int = 1
    per: int = 1  # report time per `per` units (e.g. per op in a chain of `per` ops)
    unit: str = "call"


@dataclass
class Row:
    name: str
    ours: float  # seconds per unit
    theirs: float | None
    unit: str
    noise: float

    @property
    def ratio(self) -> float | None:
        return None if self.theirs is None else self.ours / self.theirs


def compare(
    cases: Sequence[Case],
    repeats: int = 20,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    pause: float = 0.0,
) -> list[Row]:
    """Run each case (ours and theirs interleaved) and return one row per case; ``pause`` as
    in ``interleaved``."""
    rows = []
    for case in cases:
        fns: list[Callable[..., Any]] = [case.ours]
        setups: list[Callable[[], Any] | None] = [case.ours_setup]
        if case.theirs is not None:
            fns.append(case.theirs)
            setups.append(case.theirs_setup)
        timings = interleaved(fns, repeats, warmup, setups, case.number, clock, pause)
        theirs = timings[1].median / case.per if len(timings) > 1 else None
        rows.append(
            Row(case.name, timings[0].median / case.per, theirs, case.unit, timings[0].spread)
        )
    return rows


# ------------------------------------------------------------------------------ memory
def traced_peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``fn`` runs, as seen by ``tracemalloc`` (Python objects and
    NumPy arrays, which report to it; not PyTorch's allocator)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def peak_rss_mib() -> float:
    """The process's peak resident set size so far, in MiB (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


# ------------------------------------------------------------------------------ formatting
def format_time(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_ratio(ours: float, theirs: float | None) -> str:
    return "—" if theirs is None or theirs == 0 else f"{ours / theirs:.2f}×"


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def print_table(rows: Sequence[Row], markdown: bool = False, file=None) -> None:
    """Ours, PyTorch and ours/PyTorch per row, as aligned text or a Markdown table."""
    file = file or sys.stdout
    header = ["case", "ours", "PyTorch", "ours / PyTorch"]
    body = [
        [
            r.name,
            f"{format_time(r.ours)}/{r.unit}",
            f"{format_time(r.theirs)}/{r.unit}" if r.theirs is not None else "—",
            format_ratio(r.ours, r.theirs),
        ]
        for r in rows
    ]
    if markdown:
        print("| " + " | ".join(header) + " |", file=file)
        print("| " + " | ".join("---" for _ in header) + " |", file=file)
        for line in body:
            print("| " + " | ".join(line) + " |", file=file)
        return
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    for line in [header] + body:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)), file=file)


# ------------------------------------------------------------------------------ setup
def torch_or_none(threads: int | None = None) -> ModuleType | None:
    """PyTorch if installed (else None), limited to ``threads`` threads (default: the number
    NumPy's BLAS may use, from OMP_NUM_THREADS/OPENBLAS_NUM_THREADS, else all cores), so that
    both sides get the same hardware."""
    try:
        import torch
    except ImportError:
        return None
    if threads is None:
        env = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS")
        threads = int(env) if env else os.cpu_count() or 1
    torch.set_num_threads(threads)
    return torch


def standard_parser(description: str) -> argparse.ArgumentParser:
    """``--quick`` (fewer repeats), ``--repeats N``, ``--markdown`` (tables for RESULTS.md)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per case")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    return parser
