"""``plot`` and ``images``: one call that draws in the terminal or, in a notebook, inline.

The drawing is chosen per call by ``backend``: ``"auto"`` (the default) uses matplotlib when
the code runs under an IPython kernel (Jupyter, VS Code) and matplotlib is installed, and the
text drawing otherwise; ``"text"`` and ``"matplotlib"`` force one. The environment variable
``TINYGRAD_CNN_PLOT`` (``text``/``matplotlib``) overrides ``"auto"`` everywhere.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from .blocks import text_images
from .figures import MATPLOTLIB_HINT, line_figure, panels_figure
from .panels import panels_of
from .terminal import text_plot

__all__ = ["BACKENDS", "choose_backend", "images", "in_notebook", "plot"]

BACKENDS = ("auto", "text", "matplotlib")
ENV_VAR = "TINYGRAD_CNN_PLOT"


def in_notebook() -> bool:
    """True under an IPython kernel (a notebook), False in a terminal or plain script.

    Looks only at an IPython that is already imported, so a script never pays for it.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def choose_backend(backend: str = "auto", *, caller: str = "plot") -> str:
    """``"text"`` or ``"matplotlib"`` for a requested ``backend`` (see the module doc)."""
    if backend not in BACKENDS:
        raise ValueError(f"{caller}: backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        backend = os.environ.get(ENV_VAR, "").strip().lower() or "auto"
        if backend not in BACKENDS:
            raise ValueError(
                f"{caller}: ${ENV_VAR} must be 'text' or 'matplotlib', got {backend!r}"
            )
    if backend == "auto":
        return "matplotlib" if in_notebook() and _has_matplotlib() else "text"
    if backend == "matplotlib" and not _has_matplotlib():
        raise ImportError(f"{caller}: backend='matplotlib' needs matplotlib; {MATPLOTLIB_HINT}")
    return backend


def _display(fig: Any, title: str, caller: str) -> None:
    """Show a figure inline as PNG through IPython, then let it go (no pyplot state)."""
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        raise RuntimeError(
            f"{caller}: backend='matplotlib' shows figures in a notebook; outside one, build the "
            f"figure with tinygrad_cnn.plot.{'line' if caller == 'plot' else 'image'}_figure(...) "
            "and call its savefig(path)"
        )
    from IPython.display import display
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    display({"image/png": buf.getvalue(), "text/plain": f"<figure {title}>"}, raw=True)


def plot(
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
    ylabel: str = "",
    backend: str = "auto",
    console: Console | None = None,
) -> None:
    """Line plot of a few series ``{name: (xs, ys)}``: markers on a text grid in a terminal,
    a matplotlib figure in a notebook.

    Args:
        title, xlabel, ylabel: labels (the text plot writes ``ylabel`` after the title).
        width, height: size of the text grid in characters (text drawing only).
        logy: logarithmic y axis. ylim: y limits (default: the data's range).
        hlines, vlines: dotted reference lines (e.g. P = 1/2, T = T_c).
        backend: ``"auto"``, ``"text"`` or ``"matplotlib"`` (see the module doc).
        console: the rich Console of the text drawing (default: a new one).
    """
    if not series:
        raise ValueError("plot: no series to draw (got an empty dict)")
    if choose_backend(backend, caller="plot") == "matplotlib":
        fig = line_figure(
            series,
            title=title,
            logy=logy,
            ylim=ylim,
            hlines=hlines,
            vlines=vlines,
            xlabel=xlabel,
            ylabel=ylabel,
        )
        _display(fig, title, "plot")
        return
    text_plot(
        series,
        title=title + (f"  ({ylabel})" if ylabel else ""),
        width=width,
        height=height,
        logy=logy,
        ylim=ylim,
        hlines=hlines,
        vlines=vlines,
        xlabel=xlabel,
        console=console,
    )


def images(
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
    scale: int | None = None,
    max_images: int = 64,
    backend: str = "auto",
    console: Console | None = None,
) -> None:
    """Draw images as framed panels with titles: spin configurations, digits, filters,
    feature maps. In a terminal as blocks of coloured cells (or characters), in a notebook
    as a matplotlib figure.

    Args:
        x: a Tensor or array of shape (H, W), (N, H, W), (N, 1, H, W) or (N, C, H, W)
            (N rows by C columns), or a list of (H, W) arrays.
        titles: one title per image, naming what it is (``[f"T = {t:.2f}" for t in temps]``).
        title: a heading over all panels; xlabel, ylabel: what the columns/rows are.
        ncols: panels per row (default: C of an (N, C, H, W) stack, else up to 8).
        cmap: ``"auto"`` (``"coolwarm"`` centred on 0 for data of both signs, else
            ``"gray"``), ``"gray"``, ``"coolwarm"``, ``"viridis"`` or ``"hot"``.
        vmin, vmax: limits of the colour scale shared by all panels (default: the data's
            range); pass ``vmin=-1, vmax=1`` for spins, so an all-up state is white.
        colorbar: draw the colour scale (matplotlib; the text drawing prints a legend line).
        scale: each pixel as a ``scale``×``scale`` block (text drawing; default: enlarge
            small images).
        max_images: draw at most this many (default 64).
        backend: ``"auto"``, ``"text"`` or ``"matplotlib"`` (see the module doc).
        console: the rich Console of the text drawing (default: a new one).
    """
    p = panels_of(x, titles, ncols=ncols, cmap=cmap, vmin=vmin, vmax=vmax, max_images=max_images)
    if choose_backend(backend, caller="images") == "matplotlib":
        fig = panels_figure(p, title=title, xlabel=xlabel, ylabel=ylabel, colorbar=colorbar)
        _display(fig, title, "images")
        return
    text_images(
        p, title=title, xlabel=xlabel, ylabel=ylabel, scale=scale, legend=colorbar, console=console
    )
