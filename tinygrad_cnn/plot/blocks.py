"""Image panels in the terminal: each picture framed by a border, with its title above.

The border is what makes a uniform picture (an all-up Ising state) visible at all. With
colour, each character cell shows two pixels (``▀``: upper pixel as foreground, lower as
background); without colour (``NO_COLOR``, output to a file) each pixel becomes two
characters of a brightness ramp, dark to bright.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.console import Console
from rich.style import Style
from rich.text import Text

from .panels import Panels, colormap

__all__ = ["RAMP", "text_images"]

RAMP = " .:-=+*#%@"  # dark to bright
_GAP = 2  # columns between panels


def _ramp(t: np.ndarray) -> list[str]:
    """One row of characters (two per pixel) for normalised values ``t``; NaN → ``?``."""
    idx = np.minimum((np.nan_to_num(t) * len(RAMP)).astype(np.int64), len(RAMP) - 1)
    return ["??" if not np.isfinite(v) else RAMP[i] * 2 for v, i in zip(t, idx)]


def _panel_lines(t: np.ndarray, cmap: str, color: bool) -> list[Text]:
    """The inside of one frame, one Text per line."""
    lines: list[Text] = []
    if not color:
        for row in t:
            lines.append(Text("".join(_ramp(row))))
        return lines
    rgb = colormap(t, cmap)
    styles: dict[tuple, Style] = {}
    for r in range(0, t.shape[0], 2):
        line = Text()
        for c in range(t.shape[1]):
            top = tuple(int(v) for v in rgb[r, c])
            bottom = tuple(int(v) for v in rgb[r + 1, c]) if r + 1 < t.shape[0] else None
            style = styles.get((top, bottom))
            if style is None:
                bg = Color.from_rgb(*bottom) if bottom is not None else None
                style = styles[(top, bottom)] = Style(color=Color.from_rgb(*top), bgcolor=bg)
            line.append("▀", style=style)
        lines.append(line)
    return lines


def _legend(p: Panels, color: bool) -> Text:
    text = Text(f"{p.cmap}: {p.vmin:.3g} ")
    t = np.linspace(0.0, 1.0, 20)
    if color:
        for r, g, b in colormap(t, p.cmap):
            text.append("█", style=Style(color=Color.from_rgb(int(r), int(g), int(b))))
    else:
        text.append("▕" + "".join(ch[0] for ch in _ramp(t)) + "▏")
    text.append(f" {p.vmax:.3g}")
    return text


def text_images(
    p: Panels,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    scale: int | None = None,
    legend: bool = True,
    console: Console | None = None,
) -> None:
    """Print the panels as framed blocks, as many side by side as fit the console."""
    console = console or Console(highlight=False)
    color = console.color_system is not None and not console.no_color
    h, w = p.images[0].shape
    if any(img.shape != (h, w) for img in p.images):
        shapes = sorted({img.shape for img in p.images})
        raise ValueError(f"images: the terminal drawing needs images of one shape, got {shapes}")
    px = 1 if color else 2  # character cells per pixel, horizontally
    if scale is None:  # enlarge small filters, as long as one panel still fits
        scale = max(1, 8 // max(w, 1))
    while scale > 1 and w * scale * px + 2 > console.width:
        scale -= 1
    inner = w * scale * px
    fit = max(1, (console.width + _GAP) // (inner + 2 + _GAP))
    cols = max(1, min(p.ncols, fit))

    heading = title or ""
    if p.total > len(p.images):
        heading += f"{'; ' if heading else ''}showing {len(p.images)} of {p.total}"
    if heading:
        console.print(Text(heading, style="bold"))
    if ylabel:
        console.print(Text(f"rows: {ylabel}", style="dim"))
    gap = " " * _GAP
    for start in range(0, len(p.images), cols):
        idx = list(range(start, min(start + cols, len(p.images))))
        if any(p.titles[k] for k in idx):
            names = [p.titles[k][: inner + 2].center(inner + 2) for k in idx]
            console.print(Text(gap.join(names).rstrip()), crop=True, soft_wrap=False)
        bodies = []
        for k in idx:
            t = p.normalised(k)
            t = np.repeat(np.repeat(t, scale, axis=0), scale, axis=1)
            bodies.append(_panel_lines(t, p.cmap, color))
        top = gap.join("┌" + "─" * inner + "┐" for _ in idx)
        console.print(Text(top), crop=True, soft_wrap=False)
        for r in range(len(bodies[0])):
            line = Text()
            for j, body in enumerate(bodies):
                line.append(("" if j == 0 else gap) + "│")
                line.append_text(body[r])
                line.append("│")
            console.print(line, crop=True, soft_wrap=False)
        console.print(
            Text(gap.join("└" + "─" * inner + "┘" for _ in idx)), crop=True, soft_wrap=False
        )
    if xlabel:
        console.print(Text(xlabel, style="dim"))
    if legend:
        console.print(_legend(p, color), crop=True, soft_wrap=False)
