"""The same drawings as matplotlib figures, for notebooks and for saving to files.

matplotlib is optional: it is imported inside each function, never at import time. The
figures are built with ``matplotlib.figure.Figure`` directly (no pyplot), so they touch no
global state and need no display: ``line_figure(...).savefig("loss.png")`` works anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .panels import Panels, panels_of

__all__ = ["MATPLOTLIB_HINT", "image_figure", "line_figure", "panels_figure"]

MATPLOTLIB_HINT = "pip install matplotlib (or pip install 'tinygrad-cnn[notebook]')"


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            f"tinygrad_cnn.plot: matplotlib is not installed; {MATPLOTLIB_HINT}"
        ) from err
    return Figure


def line_figure(
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str = "",
    logy: bool = False,
    ylim: tuple[float, float] | None = None,
    hlines: Sequence[float] = (),
    vlines: Sequence[float] = (),
    xlabel: str = "",
    ylabel: str = "",
) -> Any:
    """A matplotlib Figure with one line of markers per series (arguments as for ``plot``)."""
    fig = _figure_class()(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for name, (x, y) in series.items():
        ax.plot(
            np.asarray(x, dtype=float), np.asarray(y, dtype=float), "o-", ms=3, lw=1, label=name
        )
    for h in hlines:
        ax.axhline(h, ls=":", lw=1, color="0.4")
    for v in vlines:
        ax.axvline(v, ls=":", lw=1, color="goldenrod")
    if logy:
        ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(series) > 1 or any(series):
        ax.legend(frameon=False)
    return fig


def _size(p: Panels, title: str, colorbar: bool, panel_size: float) -> tuple[float, float]:
    rows = math.ceil(len(p.images) / p.ncols)
    size = min(panel_size, 10.0 / p.ncols)  # many panels: smaller ones, in a page's width
    width = size * p.ncols + (0.8 if colorbar else 0.0)
    return max(width, 2.5), (size + 0.25) * rows + (0.4 if title else 0.0)


def image_figure(
    x: Any,
    titles: Sequence[str] | None = None,
    *,
    title: str = "",
    ncols: int | None = None,
    cmap: str = "auto",
    vmin: float | None = None,
    vmax: float | None = None,
    xlabel: str = "",
    ylabel: str = "",
    colorbar: bool = True,
    max_images: int = 64,
    panel_size: float = 1.8,
) -> Any:
    """A matplotlib Figure with one framed panel per image and the shared colour bar
    (arguments as for ``images``; ``panel_size``: inches per panel, less where many panels
    would not fit 10 inches)."""
    p = panels_of(x, titles, ncols=ncols, cmap=cmap, vmin=vmin, vmax=vmax, max_images=max_images)
    return panels_figure(
        p, title=title, xlabel=xlabel, ylabel=ylabel, colorbar=colorbar, panel_size=panel_size
    )


def panels_figure(
    p: Panels,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    colorbar: bool = True,
    panel_size: float = 1.8,
) -> Any:
    """:func:`image_figure` for panels already made by ``panels_of``."""
    fig = _figure_class()(figsize=_size(p, title, colorbar, panel_size), layout="constrained")
    n, cols = len(p.images), p.ncols
    rows = math.ceil(n / cols)
    axes = fig.subplots(rows, cols, squeeze=False)
    shown = None
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_axis_off()
            continue
        shown = ax.imshow(
            p.images[k], cmap=p.cmap, vmin=p.vmin, vmax=p.vmax, interpolation="nearest"
        )
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():  # a frame, so a uniform picture still shows its edge
            spine.set_visible(True)
            spine.set_color("black")
            spine.set_linewidth(1.2)
        if p.titles[k]:
            ax.set_title(p.titles[k], fontsize=9)
        if xlabel and k + cols >= n:  # the lowest panel of its column
            ax.set_xlabel(xlabel, fontsize=9)
        if ylabel and k % cols == 0:
            ax.set_ylabel(ylabel, fontsize=9)
    if title:
        fig.suptitle(title)
    if p.total > n:
        fig.supxlabel(f"showing {n} of {p.total}", fontsize=8)
    if colorbar and shown is not None:
        fig.colorbar(shown, ax=axes, shrink=0.8)
    return fig
