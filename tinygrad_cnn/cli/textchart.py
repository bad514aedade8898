"""Text charts that fit whatever space rich gives them: a line chart of a few series and
log-scale bars, as renderables for the ``--live`` dashboard.

A :class:`LineChart` asks for no size of its own: inside a ``Layout`` or a ``Panel`` it fills
the width and height it is given, so the same dashboard draws on 80×24 and on 200×60.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

__all__ = ["LineChart", "log_bar", "MARKERS", "COLOURS"]

MARKERS = ("●", "◆", "▲", "■")
COLOURS = ("cyan", "magenta", "green", "yellow")
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.1e}"


class LineChart:
    """Series of (x, y) points on a character grid with a y axis and a legend line.

    ``series``: name → (xs, ys); points with a non-finite y are skipped. Several points in
    one column are averaged (a long run of steps stays readable). ``height`` overrides the
    height given by the container (else 10 rows when there is none).
    """

    def __init__(
        self,
        series: dict[str, tuple[Sequence[float], Sequence[float]]],
        *,
        height: int | None = None,
        ylim: tuple[float, float] | None = None,
        xlabel: str = "",
        empty: str = "no data yet",
    ) -> None:
        self.series = {k: (list(x), list(y)) for k, (x, y) in series.items()}
        self.height, self.ylim, self.xlabel, self.empty = height, ylim, xlabel, empty

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(options.max_width, 12)
        height = self.height or options.height or 10
        yield from self.lines(width, max(height, 3))

    def lines(self, width: int, height: int) -> list[Text]:
        points = [
            (k, x, y)
            for k, (xs, ys) in enumerate(self.series.values())
            for x, y in zip(xs, ys, strict=True)
            if math.isfinite(y) and math.isfinite(x)
        ]
        rows = height - 2  # the x axis and the legend
        if not points or rows < 1:
            return [Text(self.empty, style="dim")] + [Text("")] * (height - 1)
        label_w = 7
        cols = max(width - label_w - 2, 4)
        xs = [p[1] for p in points]
        ys = [p[2] for p in points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = self.ylim if self.ylim is not None else (min(ys), max(ys))
        if y1 - y0 <= 1e-12 * max(abs(y0), abs(y1)):  # a constant: ±10 % around it
            pad = 0.1 * abs(y0) if y0 else 0.5
            y0, y1 = y0 - pad, y1 + pad
        if x1 - x0 < 1e-12:
            x0, x1 = x0 - 0.5, x1 + 0.5
        # the mean y of each series in each column
        sums: dict[tuple[int, int], list[float]] = {}
        for k, x, y in points:
            c = round((x - x0) / (x1 - x0) * (cols - 1))
            acc = sums.setdefault((k, c), [0.0, 0])
            acc[0] += y
            acc[1] += 1
        grid: list[list[tuple[str, str]]] = [[(" ", "")] * cols for _ in range(rows)]
        for (k, c), (total, n) in sorted(sums.items(), reverse=True):
            y = min(max(total / n, y0), y1)
            r = round((y1 - y) / (y1 - y0) * (rows - 1))
            grid[r][c] = (MARKERS[k % len(MARKERS)], COLOURS[k % len(COLOURS)])
        out: list[Text] = []
        for r in range(rows):
            label = _fmt(y1) if r == 0 else _fmt(y0) if r == rows - 1 else ""
            line = Text(f"{label:>{label_w}} ", style="dim")
            line.append("│", style="dim")
            for ch, style in grid[r]:
                line.append(ch, style=style)
            out.append(line)
        left, right = _fmt(x0), _fmt(x1)
        gap = max(1, cols - len(left) - len(right) - len(self.xlabel))
        axis = Text(" " * (label_w + 2) + left + " " * (gap // 2), style="dim")
        axis.append(self.xlabel + " " * (gap - gap // 2) + right, style="dim")
        out.append(axis)
        legend = Text(" " * (label_w + 2))
        for k, name in enumerate(self.series):
            legend.append(MARKERS[k % len(MARKERS)] + " ", style=COLOURS[k % len(COLOURS)])
            legend.append(name + "  ")
        out.append(legend)
        return out


def log_bar(value: float | None, lo: float, hi: float, width: int, style: str) -> Text:
    """A bar whose length is ``value`` on a log scale from ``lo`` (empty) to ``hi`` (full),
    in eighths of a character."""
    if value is None or width < 1:
        return Text("–".ljust(max(width, 1)), style="dim")
    if not math.isfinite(value):
        return Text("NaN/Inf".ljust(width)[:width], style="bold red")
    if value <= 0:
        frac = 0.0
    else:
        frac = (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    eighths = round(min(max(frac, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return Text(bar.ljust(width), style=style)
