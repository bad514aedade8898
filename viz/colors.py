"""Colour scales: gradient norms on a log scale, and colour maps for images.

Colours are ``'#rrggbb'`` strings, usable both by rich (terminal) and by graphviz (DOT).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "CMAPS",
    "GradScale",
    "apply_cmap",
    "cmap_hex",
    "mix",
    "text_color_for",
]

RGB = tuple[int, int, int]


def _hex_to_rgb(h: str) -> RGB:
    h = h.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _rgb_to_hex(rgb: Sequence[float]) -> str:
    r, g, b = (max(0, min(255, int(round(c)))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


@functools.lru_cache(maxsize=4096)
def mix(color: str, other: str = "#ffffff", t: float = 0.5) -> str:
    """Blend ``color`` towards ``other`` by ``t`` (0 = color, 1 = other)."""
    a, b = _hex_to_rgb(color), _hex_to_rgb(other)
    return _rgb_to_hex([x + (y - x) * t for x, y in zip(a, b, strict=True)])


@functools.lru_cache(maxsize=4096)
def text_color_for(background: str) -> str:
    """Black or white text, whichever reads better on ``background``."""
    r, g, b = _hex_to_rgb(background)
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#000000" if luminance > 140 else "#ffffff"


# Anchor colours of each map, evenly spaced on [0, 1]; values in between are linear blends.
CMAPS: dict[str, tuple[str, ...]] = {
    "gray": ("#000000", "#ffffff"),
    "viridis": ("#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"),
    "hot": ("#000000", "#8b0000", "#ff4500", "#ffd700", "#ffffff"),
    # diverging: blue for negative, near-white at zero, red for positive
    "coolwarm": ("#2c5fb8", "#8fb1e3", "#f4f4f4", "#eb9a8a", "#c2262f"),
    # gradient norms from the vanishing to the exploding threshold: cyan, a wide healthy
    # green middle, then amber and orange towards exploding
    "grad": ("#4aa3c7", "#4fae8e", "#59b35b", "#59b35b", "#8fbf4a", "#e0b83c", "#ef7d32"),
}
DIVERGING = frozenset({"coolwarm"})


def _anchor_array(name: str) -> np.ndarray:
    if name not in CMAPS:
        raise ValueError(f"unknown colour map {name!r}; choose one of {sorted(CMAPS)}")
    return np.array([_hex_to_rgb(h) for h in CMAPS[name]], dtype=np.float64)


def apply_cmap(t: np.ndarray, name: str) -> np.ndarray:
    """Map values ``t`` in [0, 1] (any shape) to RGB uint8, shape ``t.shape + (3,)``."""
    anchors = _anchor_array(name)
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0), 0.0, 1.0)
    pos = t * (len(anchors) - 1)
    lo = np.minimum(np.floor(pos).astype(np.int64), len(anchors) - 2)
    frac = (pos - lo)[..., None]
    rgb = anchors[lo] * (1 - frac) + anchors[lo + 1] * frac
    return np.rint(rgb).astype(np.uint8)


@functools.lru_cache(maxsize=8192)
def _cmap_hex_cached(step: int, steps: int, name: str) -> str:
    return _rgb_to_hex(apply_cmap(np.array([step / steps]), name)[0])


def cmap_hex(t: float, name: str) -> str:
    """One value in [0, 1] through colour map ``name`` -> ``'#rrggbb'`` (in 1/1024 steps)."""
    t = 0.0 if math.isnan(t) else min(max(t, 0.0), 1.0)
    return _cmap_hex_cached(int(round(t * 1024)), 1024, name)


class GradScale:
    """Colour for a gradient norm on a log10 scale between two thresholds.

    Norms below ``vanish`` are blue (vanishing), above ``explode`` red (exploding); in between
    the colour runs from cyan through green and amber to orange as log10(norm) grows.
    Defaults: ``vanish=1e-6``, ``explode=1e3`` (norms of whole tensors).
    """

    VANISH_COLOR = "#3355cc"
    EXPLODE_COLOR = "#d62728"
    BAD_COLOR = "#b00060"  # NaN / Inf
    ZERO_COLOR = "#888888"

    def __init__(self, vanish: float = 1e-6, explode: float = 1e3) -> None:
        if not 0 < vanish < explode:
            raise ValueError(f"GradScale: need 0 < vanish < explode, got {vanish}, {explode}")
        self.vanish = vanish
        self.explode = explode
        self._lo = math.log10(vanish)
        self._hi = math.log10(explode)

    def position(self, norm: float) -> float:
        """Where ``norm`` falls on the scale, 0 at ``vanish`` and 1 at ``explode``."""
        if norm <= 0:
            return 0.0
        return (math.log10(norm) - self._lo) / (self._hi - self._lo)

    def norm_at(self, position: float) -> float:
        """The norm at ``position`` on the scale (inverse of :meth:`position`)."""
        return 10.0 ** (self._lo + (self._hi - self._lo) * position)

    def color(self, norm: float | None) -> str | None:
        """``'#rrggbb'`` for a gradient norm, ``None`` when there is no gradient."""
        if norm is None:
            return None
        if math.isnan(norm) or math.isinf(norm):
            return self.BAD_COLOR
        if norm == 0:
            return self.ZERO_COLOR
        if norm < self.vanish:
            return self.VANISH_COLOR
        if norm > self.explode:
            return self.EXPLODE_COLOR
        return cmap_hex(self.position(norm), "grad")

    def ticks(self) -> list[float]:
        """Powers of ten spanning the scale, for legends."""
        lo, hi = math.ceil(self._lo), math.floor(self._hi)
        step = max(1, (hi - lo) // 4)
        return [10.0**e for e in range(lo, hi + 1, step)]
