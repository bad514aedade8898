"""What the commands print and measure: the console, progress bars, test-set evaluation and
the Ising report (P(ordered) against T, the estimate of T_c)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .parser import DISORDERED_ABOVE, ORDERED_BELOW

__all__ = [
    "console",
    "progress",
    "estimate_tc",
    "curve_text",
    "evaluate",
    "p_ordered_curve",
    "ising_report",
    "write_json",
]


def console():
    """The console every command prints through (no automatic highlighting of numbers)."""
    from rich.console import Console

    return Console(highlight=False)


def estimate_tc(temperatures: Sequence[float], p_ordered: Sequence[float]) -> float | None:
    """Where P(ordered) crosses 1/2, by linear interpolation between neighbouring temperatures.

    ``temperatures`` (sorted ascending) and ``p_ordered`` have the same length. If noise makes
    the curve cross more than once, the median crossing is returned; None if it never crosses.
    """
    t = np.asarray(temperatures, dtype=np.float64)
    p = np.asarray(p_ordered, dtype=np.float64) - 0.5
    crossings = []
    for i in range(len(t) - 1):
        if p[i] == 0.0:
            crossings.append(t[i])
        elif p[i] * p[i + 1] < 0:
            crossings.append(t[i] + (t[i + 1] - t[i]) * p[i] / (p[i] - p[i + 1]))
    if len(t) and p[-1] == 0.0:
        crossings.append(t[-1])
    return float(np.median(crossings)) if crossings else None


def curve_text(
    ts: np.ndarray, ps: np.ndarray, tc_exact: float, tc_est: float | None, width: int = 58
) -> list[str]:
    """P(ordered) against T as rich-markup lines: dots for the data, ┊ at the exact T_c, a
    dotted line at P = 1/2 and ▲ under the estimate."""
    height = 11  # rows for P = 1.0, 0.9, ..., 0.0
    t0, t1 = float(ts.min()), float(ts.max())

    def col(t: float) -> int:
        return int(round((t - t0) / (t1 - t0) * (width - 1))) if t1 > t0 else 0

    grid = [[" "] * width for _ in range(height)]
    half = (height - 1) // 2
    for c in range(width):
        grid[half][c] = "[dim]┄[/dim]"
    tc_col = col(tc_exact)
    if 0 <= tc_col < width:
        for r in range(height):
            grid[r][tc_col] = "[yellow]┊[/yellow]"
    for t, p in zip(ts, ps, strict=True):
        r = int(round((1.0 - float(p)) * (height - 1)))
        grid[r][col(float(t))] = "[bold cyan]●[/bold cyan]"
    lines = []
    for r in range(height):
        label = {0: "1.0", half: "0.5", height - 1: "0.0"}.get(r, "")
        lines.append(f"{label:>5} │" + "".join(grid[r]))
    axis = [" "] * width
    if tc_est is not None and 0 <= col(tc_est) < width:
        axis[col(tc_est)] = "[bold green]▲[/bold green]"
    lines.append("      └" + "─" * width)
    lines.append("       " + "".join(axis))
    left, right = f"{t0:g}", f"{t1:g}"
    mid = f"T_c={tc_exact:.3f}"
    pad = max(1, tc_col - len(left) - len(mid) // 2)
    rest = max(1, width - len(left) - pad - len(mid) - len(right))
    lines.append("       " + left + " " * pad + f"[yellow]{mid}[/yellow]" + " " * rest + right)
    lines.append(
        "       [bold cyan]●[/bold cyan] P(ordered) at T   [yellow]┊[/yellow] exact T_c   "
        "[bold green]▲[/bold green] estimate"
    )
    return lines


def progress(console, transient: bool = True):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=28),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=transient,
    )


def evaluate(model, dataset, batch_size: int, device: str) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``dataset`` in eval mode."""
    from .. import autograd
    from .. import functional as F
    from ..data import DataLoader

    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with autograd.no_grad():  # sums stay on the device until the end (no per-batch sync)
        for x, y in DataLoader(dataset, batch_size=batch_size, device=device):
            logits = model(x)
            total_loss = total_loss + F.cross_entropy(logits, y, reduction="sum")
            correct = correct + (logits.argmax(axis=1) == y).sum()
            count += len(y)
    return float(total_loss) / max(count, 1), int(correct) / max(count, 1)


def p_ordered_curve(model, data, batch_size: int, device: str) -> tuple[np.ndarray, ...]:
    """Temperatures, mean P(ordered) at each, and the count of samples behind each mean."""
    from .. import autograd
    from ..data import DataLoader
    from ..tensor import cat

    model.eval()
    probs = []
    with autograd.no_grad():
        for x, _ in DataLoader(data.curve, batch_size=batch_size, device=device):
            probs.append(model(x).softmax(axis=1)[:, 1])
    p = cat(probs).numpy()  # one read from the device
    ts = np.unique(data.curve_temperatures)
    means = np.array([p[data.curve_temperatures == t].mean() for t in ts])
    counts = np.array([(data.curve_temperatures == t).sum() for t in ts])
    return ts, means, counts


def ising_report(model, data, batch_size: int, device: str, console) -> dict[str, Any]:
    from ..data import T_c

    ts, ps, _ = p_ordered_curve(model, data, batch_size, device)
    tc = estimate_tc(ts, ps)
    console.print()
    console.print(
        "[bold]P(ordered) predicted at every temperature[/bold] "
        f"(trained only on T < {ORDERED_BELOW} and T > {DISORDERED_ABOVE}):"
    )
    for line in curve_text(ts, ps, T_c, tc):
        console.print(line)
    console.print()
    if tc is None:
        console.print("[red]P(ordered) never crosses 1/2: no estimate of T_c[/red]")
        rel = None
    else:
        rel = (tc - T_c) / T_c
        console.print(
            f"Estimated T_c = [bold]{tc:.3f}[/bold]   exact (Onsager) 2/ln(1+√2) = {T_c:.3f}   "
            f"difference {100 * rel:+.1f} %"
        )
    return {
        "tc_estimate": tc,
        "tc_exact": T_c,
        "tc_relative_error": rel,
        "curve": {"temperature": ts.tolist(), "p_ordered": ps.tolist()},
    }


def write_json(path: Path, obj: Any) -> None:
    """``obj`` as indented JSON, written atomically (an interrupt leaves the old file)."""
    from ..serialization import atomic_write

    text = json.dumps(obj, indent=2, allow_nan=True).encode()
    atomic_write(path, lambda f: f.write(text))
