"""Line plots in the terminal for the lessons: a few series of (x, y) points on a text grid.

    from tinygrad_cnn.plot import plot
    plot({"loss": (steps, losses)}, title="training loss", logy=True)

Markers are coloured when the terminal supports colour (through rich) and plain characters
otherwise, so the plots also read in a log file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.console import Console
from rich.text import Text

__all__ = ["text_plot"]

_MARKERS = ("●", "◆", "▲", "■")
_COLOURS = ("cyan", "magenta", "green", "yellow")


def text_plot(
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str = "",
    width: int = 64,
    height: int = 14,
    logy: bool = False,
    ylim: tuple[float, float] | None = None,
    hlines: Sequence[float] = (),
    vlines: Sequence[float] = (),
    xlabel: str = "",
    console: Console | None = None,
) -> None:
    """Draw each series as markers on a ``width`` × ``height`` grid, with axis labels.

    ``hlines``/``vlines`` draw dotted reference lines (e.g. P = 1/2, T = T_c).
    """
    xs_all = np.concatenate([np.asarray(x, dtype=float) for x, _ in series.values()])
    ys_all = np.concatenate([np.asarray(y, dtype=float) for _, y in series.values()])

    def fy(y: np.ndarray | float) -> np.ndarray | float:
        return np.log10(y) if logy else y

    x0, x1 = float(xs_all.min()), float(xs_all.max())
    if ylim is None:
        finite = fy(ys_all[np.isfinite(ys_all) & ((ys_all > 0) if logy else True)])
        y0, y1 = float(np.min(finite)), float(np.max(finite))
    else:
        y0, y1 = float(fy(ylim[0])), float(fy(ylim[1]))
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    if x1 == x0:
        x0, x1 = x0 - 0.5, x1 + 0.5

    def col(x: float) -> int:
        return int(round((x - x0) / (x1 - x0) * (width - 1)))

    def row(y: float) -> int:
        return int(round((y1 - fy(y)) / (y1 - y0) * (height - 1)))

    grid: list[list[tuple[str, str]]] = [[(" ", "")] * width for _ in range(height)]
    for h in hlines:
        r = row(h)
        if 0 <= r < height:
            grid[r] = [("┄", "dim")] * width
    for v in vlines:
        c = col(v)
        if 0 <= c < width:
            for r in range(height):
                grid[r][c] = ("┊", "yellow")
    # the first series is drawn last, so that it stays visible where series overlap
    for k, (_name, (x, y)) in reversed(list(enumerate(series.items()))):
        mark, colour = _MARKERS[k % len(_MARKERS)], _COLOURS[k % len(_COLOURS)]
        for xi, yi in zip(x, y, strict=True):
            if not math.isfinite(yi) or (logy and yi <= 0):
                continue
            r, c = row(yi), col(xi)
            if 0 <= r < height and 0 <= c < width:
                grid[r][c] = (mark, colour)

    def ylabel(r: int) -> str:
        v = y1 - r * (y1 - y0) / (height - 1)
        v = 10**v if logy else v
        return f"{v:8.3g}"

    # label the top and bottom rows, and the reference lines (else the middle row)
    labels = {0: ylabel(0), height - 1: ylabel(height - 1)}
    for h in hlines:
        if 0 <= row(h) < height:
            labels[row(h)] = f"{h:8.3g}"
    if not hlines:
        labels.setdefault(height // 2, ylabel(height // 2))

    console = console or Console(highlight=False)
    if title:
        console.print(Text(title, style="bold"))
    for r in range(height):
        line = Text(labels.get(r, " " * 8))
        line.append(" │")
        for ch, style in grid[r]:
            line.append(ch, style=style)
        console.print(line)
    console.print(" " * 9 + "└" + "─" * width)
    left, right = f"{x0:g}", f"{x1:g}"
    gap = max(1, width - len(left) - len(right) - len(xlabel))
    console.print(" " * 10 + left + " " * (gap // 2) + xlabel + " " * (gap - gap // 2) + right)
    legend = Text(" " * 10)
    for k, name in enumerate(series):
        legend.append(_MARKERS[k % len(_MARKERS)] + " ", style=_COLOURS[k % len(_COLOURS)])
        legend.append(name + "   ")
    console.print(legend)
