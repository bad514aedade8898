"""Image panels as plain data, shared by the terminal and the matplotlib drawings.

A tensor or array of shape (H, W), (N, H, W), (N, 1, H, W) or (N, C, H, W) — or a list of
2-D arrays — becomes a list of 2-D float arrays, one per panel, with one colour scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CMAPS", "Panels", "colormap", "panels_of"]

# colour maps known to both drawings (matplotlib has the same names): anchors from low to high
CMAPS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "gray": ((0, 0, 0), (255, 255, 255)),
    "coolwarm": ((59, 76, 192), (221, 221, 221), (180, 4, 38)),
    "viridis": ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)),
    "hot": ((10, 0, 0), (230, 0, 0), (255, 210, 0), (255, 255, 255)),
}


@dataclass
class Panels:
    """2-D images with their titles, layout and the one colour scale they share."""

    images: list[np.ndarray]
    titles: list[str]
    ncols: int
    cmap: str
    vmin: float
    vmax: float
    total: int  # panels before ``max_images`` cut the list

    def normalised(self, k: int) -> np.ndarray:
        """Panel ``k`` scaled to [0, 1] by the shared limits (NaN stays NaN)."""
        t = (self.images[k] - self.vmin) / (self.vmax - self.vmin)
        return np.where(np.isfinite(t), np.clip(t, 0.0, 1.0), np.nan)


def _to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach") and callable(x.detach):
        x = x.detach()
    if hasattr(x, "numpy") and callable(x.numpy):
        x = x.numpy()
    elif hasattr(x, "get") and callable(x.get):  # a CuPy array
        x = x.get()
    return np.asarray(x, dtype=np.float64)


def _split(x: Any) -> tuple[list[np.ndarray], int | None]:
    """2-D images, and the natural number of columns (C of an (N, C, H, W) stack)."""
    if isinstance(x, (list, tuple)):
        imgs = [_to_numpy(i) for i in x]
        bad = [i.shape for i in imgs if i.ndim != 2]
        if bad:
            raise ValueError(f"images: a list of images must hold 2-D (H, W) arrays, got {bad[0]}")
        return imgs, None
    a = _to_numpy(x)
    if a.ndim == 2:
        return [a], None
    if a.ndim == 3:
        return list(a), None
    if a.ndim == 4:
        n, c = a.shape[:2]
        return [a[i, j] for i in range(n) for j in range(c)], (c if c > 1 else None)
    raise ValueError(
        f"images: expected (H, W), (N, H, W) or (N, C, H, W) images or a list of (H, W) ones, "
        f"got shape {a.shape}"
    )


def panels_of(
    x: Any,
    titles: Sequence[str] | None = None,
    *,
    ncols: int | None = None,
    cmap: str = "auto",
    vmin: float | None = None,
    vmax: float | None = None,
    max_images: int = 64,
) -> Panels:
    """Split ``x`` into panels and fix their colour scale (arguments as for ``images``)."""
    imgs, natural_cols = _split(x)
    if not imgs:
        raise ValueError("images: nothing to draw (no images given)")
    if titles is not None:
        titles = [str(t) for t in titles]
        if len(titles) != len(imgs):
            raise ValueError(f"images: got {len(titles)} titles for {len(imgs)} images")
    if max_images < 1:
        raise ValueError(f"images: max_images must be at least 1, got {max_images}")
    total = len(imgs)
    imgs = imgs[:max_images]
    titles = (titles or [""] * total)[:max_images]
    finite = np.concatenate([i[np.isfinite(i)].ravel() for i in imgs])
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 1.0
    if cmap == "auto":
        cmap = "coolwarm" if lo < 0 < hi else "gray"
    if cmap not in CMAPS:
        raise ValueError(f"images: unknown cmap {cmap!r}; choose one of {sorted(CMAPS)}")
    if cmap == "coolwarm" and vmin is None and vmax is None:
        lo, hi = -max(abs(lo), abs(hi)), max(abs(lo), abs(hi))  # zero in the middle
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if hi < lo:
        raise ValueError(f"images: vmin must not exceed vmax, got vmin={lo:g}, vmax={hi:g}")
    if hi == lo:  # a constant picture: draw it mid-scale rather than divide by zero
        lo, hi = lo - 0.5, hi + 0.5
    if ncols is not None and ncols < 1:
        raise ValueError(f"images: ncols must be at least 1, got {ncols}")
    cols = ncols or natural_cols or min(len(imgs), 8)
    return Panels(imgs, titles, min(cols, len(imgs)), cmap, lo, hi, total)


def colormap(t: np.ndarray, cmap: str) -> np.ndarray:
    """RGB in 0..255 (shape ``t.shape + (3,)``) for values ``t`` in [0, 1]; NaN → magenta."""
    anchors = np.asarray(CMAPS[cmap], dtype=np.float64)
    pos = np.linspace(0.0, 1.0, len(anchors))
    ok = np.isfinite(t)
    tt = np.where(ok, t, 0.0)
    rgb = np.stack([np.interp(tt, pos, anchors[:, k]) for k in range(3)], axis=-1)
    rgb[~ok] = (255, 0, 255)
    return rgb.round().astype(np.int64)
