"""Filters and feature maps as coloured pixels in the terminal.

Each character cell shows two pixels stacked: ``▀`` with the upper pixel as foreground and
the lower one as background colour. Without colour (``NO_COLOR``, output to a file) each
pixel becomes two characters of a brightness ramp instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.color import Color
from rich.console import Console, Group
from rich.style import Style
from rich.text import Text

from ._format import fmt_shape
from .colors import CMAPS, DIVERGING, apply_cmap

__all__ = ["image_renderable", "show_image"]

RAMP = " .:-=+*#%@"  # sequential data, dark to bright
NEG_RAMP = ",-=≡"  # diverging data below zero, weak to strong
POS_RAMP = ".+*#"  # and above zero
_BAD = (255, 0, 255)  # NaN/Inf pixels


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "numpy") and callable(x.numpy):
        x = x.numpy()
    elif hasattr(x, "get") and callable(x.get):  # a CuPy array
        x = x.get()
    return np.asarray(x, dtype=np.float64)


def _tiles(a: np.ndarray) -> tuple[list[np.ndarray], list[str], int | None]:
    """Split into 2-D images with labels; also the natural number of columns (C of NCHW)."""
    if a.ndim == 1:
        return [a[None, :]], [""], None
    if a.ndim == 2:
        return [a], [""], None
    if a.ndim == 3:
        return [a[c] for c in range(a.shape[0])], [str(c) for c in range(a.shape[0])], None
    if a.ndim == 4:
        n, c = a.shape[:2]
        imgs = [a[i, j] for i in range(n) for j in range(c)]
        labels = [str(i) if c == 1 else f"{i},{j}" for i in range(n) for j in range(c)]
        return imgs, labels, (c if c > 1 else None)
    raise ValueError(
        f"show_image: expected a 2-D (H, W), 3-D (C, H, W) or 4-D (N, C, H, W) tensor, "
        f"got shape {a.shape}"
    )


def _limits(a: np.ndarray, vmin: float | None, vmax: float | None, diverging: bool):
    finite = a[np.isfinite(a)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if diverging:
        m = max(abs(lo), abs(hi)) or 1.0
        lo, hi = -m, m
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _ascii(t: np.ndarray, diverging: bool) -> np.ndarray:
    """Characters for normalised values ``t`` in [0, 1] (NaN for bad pixels)."""
    out = np.full(t.shape, "?", dtype=object)
    ok = np.isfinite(t)
    if diverging:
        s = np.where(ok, t * 2 - 1, 0.0)  # -1 .. 1
        level = np.minimum((np.abs(s) * 5).astype(np.int64), 4)  # 0 = near zero
        for k in range(1, 5):
            out[ok & (level == k) & (s < 0)] = NEG_RAMP[k - 1]
            out[ok & (level == k) & (s > 0)] = POS_RAMP[k - 1]
        out[ok & (level == 0)] = " "
    else:
        idx = np.minimum((np.where(ok, t, 0) * len(RAMP)).astype(np.int64), len(RAMP) - 1)
        for k, ch in enumerate(RAMP):
            out[ok & (idx == k)] = ch
    return out


class _StyleCache:
    def __init__(self) -> None:
        self.cache: dict[tuple, Style] = {}

    def get(self, top: tuple[int, int, int], bottom: tuple[int, int, int] | None) -> Style:
        key = (top, bottom)
        style = self.cache.get(key)
        if style is None:
            style = Style(
                color=Color.from_rgb(*top),
                bgcolor=Color.from_rgb(*bottom) if bottom is not None else None,
            )
            self.cache[key] = style
        return style


def _legend(lo: float, hi: float, cmap: str, color: bool, diverging: bool, width: int) -> Text:
    text = Text(f"{lo:.3g} ")
    n = max(8, min(32, width - 24))
    if color:
        rgb = apply_cmap(np.linspace(0, 1, n), cmap)
        for r, g, b in rgb:
            text.append("█", style=Style(color=Color.from_rgb(int(r), int(g), int(b))))
    else:
        t = np.linspace(0, 1, n)
        text.append("".join(_ascii(t, diverging)), style="")
        text.append("|")
    text.append(f" {hi:.3g}")
    if diverging:
        text.append("  (0 in the middle)")
    return text


def image_renderable(
    x: Any,
    *,
    cmap: str = "auto",
    vmin: float | None = None,
    vmax: float | None = None,
    normalize: str = "global",
    ncols: int | None = None,
    scale: int | None = None,
    max_images: int = 64,
    width: int = 80,
    color: bool = True,
    title: str | None = None,
    legend: bool = True,
) -> Group:
    """The rich renderable behind :func:`show_image` (same options, plus ``width``/``color``)."""
    a = _to_numpy(x)
    shape = a.shape
    imgs, labels, natural_cols = _tiles(a)
    total = len(imgs)
    imgs, labels = imgs[:max_images], labels[:max_images]
    if normalize not in ("global", "each"):
        raise ValueError(f"show_image: normalize must be 'global' or 'each', got {normalize!r}")
    finite = a[np.isfinite(a)]
    signed = finite.size > 0 and finite.min() < 0 < finite.max()
    if cmap == "auto":
        cmap = "coolwarm" if signed else "viridis"
    if cmap not in CMAPS:
        raise ValueError(f"show_image: unknown cmap {cmap!r}; choose one of {sorted(CMAPS)}")
    diverging = cmap in DIVERGING
    lo, hi = _limits(np.stack([i.ravel() for i in imgs]) if imgs else a, vmin, vmax, diverging)

    h, w = imgs[0].shape
    px = 1 if color else 2  # cells per pixel horizontally
    if scale is None:  # small filters get bigger pixels, as long as a row of them fits
        scale = max(1, min(8, 12 // max(w, 1)))
    while scale > 1 and (w * scale * px + 1) > width:
        scale -= 1
    tile_w = w * scale * px
    fit = max(1, (width + 1) // (tile_w + 1))
    cols = ncols or (natural_cols if natural_cols and natural_cols <= fit else fit)
    cols = max(1, min(cols, len(imgs)))

    lines: list[Text] = []
    heading = f"{title + ': ' if title else ''}shape {fmt_shape(shape)}, range "
    heading += f"[{finite.min():.3g}, {finite.max():.3g}]" if finite.size else "[nan]"
    if total > len(imgs):
        heading += f", showing {len(imgs)} of {total}"
    lines.append(Text(heading, style="bold"))
    styles = _StyleCache()
    for start in range(0, len(imgs), cols):
        row_imgs = imgs[start : start + cols]
        if len(imgs) > 1:
            label_line = "".join(
                lab[:tile_w].ljust(tile_w + 1) for lab in labels[start : start + cols]
            )
            lines.append(Text(label_line.rstrip(), style="dim"))
        prepared = []
        for img in row_imgs:
            ilo, ihi = (lo, hi)
            if normalize == "each":
                ilo, ihi = _limits(img, vmin, vmax, diverging)
            t = (img - ilo) / (ihi - ilo)
            t = np.where(np.isfinite(img), np.clip(t, 0, 1), np.nan)
            t = np.repeat(np.repeat(t, scale, axis=0), scale, axis=1)
            prepared.append(t)
        ph = prepared[0].shape[0]
        if color:
            rgbs = []
            for t in prepared:
                rgb = apply_cmap(np.nan_to_num(t), cmap)
                rgb[~np.isfinite(t)] = _BAD
                rgbs.append(rgb)
            for r in range(0, ph, 2):
                line = Text(no_wrap=True)
                for k, rgb in enumerate(rgbs):
                    if k:
                        line.append(" ")
                    for c in range(rgb.shape[1]):
                        top = tuple(int(v) for v in rgb[r, c])
                        bottom = tuple(int(v) for v in rgb[r + 1, c]) if r + 1 < ph else None
                        line.append("▀", style=styles.get(top, bottom))  # type: ignore[arg-type]
                lines.append(line)
        else:
            chars = [_ascii(t, diverging) for t in prepared]
            for r in range(ph):
                parts = ["".join(ch * px for ch in cs[r]) for cs in chars]
                lines.append(Text(" ".join(parts).rstrip(), no_wrap=True))
    if legend:
        leg = _legend(lo, hi, cmap, color, diverging, width)
        if normalize == "each":
            leg = Text("colour range per image (normalize='each')", style="dim")
        lines.append(leg)
    return Group(*lines)


def show_image(
    x: Any,
    *,
    cmap: str = "auto",
    vmin: float | None = None,
    vmax: float | None = None,
    normalize: str = "global",
    ncols: int | None = None,
    scale: int | None = None,
    max_images: int = 64,
    title: str | None = None,
    legend: bool = True,
    console: Console | None = None,
) -> None:
    """Show a 2-D tensor, or the images of a (C, H, W) / (N, C, H, W) tensor as a grid,
    as coloured pixels in the terminal (conv filters: ``show_image(model[0].weight)``).

    Args:
        x: a Tensor or array of shape (H, W), (C, H, W) or (N, C, H, W) (1-D: one row).
            (N, C, H, W) is laid out N rows by C columns when they fit.
        cmap: ``"auto"`` (default: ``"coolwarm"``, diverging and centred on 0, when the data
            has both signs, else ``"viridis"``), ``"viridis"``, ``"gray"``, ``"hot"`` or
            ``"coolwarm"``.
        vmin, vmax: colour limits (default: the data's range, symmetric for diverging maps).
        normalize: ``"global"`` (one colour scale for all images, default) or ``"each"``.
        ncols: images per grid row (default: as many as fit).
        scale: pixels are ``scale``×``scale`` blocks (default: enlarge small images).
        max_images: show at most this many images (default 64).
        title: a heading.
        legend: draw the colour bar with its limits (default True).
        console: rich Console to print to (colour where it has colour; a character ramp
            otherwise).
    """
    console = console or Console()
    color = console.color_system is not None and not console.no_color
    console.print(
        image_renderable(
            x,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            normalize=normalize,
            ncols=ncols,
            scale=scale,
            max_images=max_images,
            width=console.width,
            color=color,
            title=title,
            legend=legend,
        ),
        crop=True,
        soft_wrap=False,
    )
