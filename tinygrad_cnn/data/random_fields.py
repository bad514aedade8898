"""Periodic 2-D Gaussian random fields with a power-law power spectrum: a stand-in for a
cosmological map (a slice of the matter density, a patch of the microwave sky), whose
statistics are fixed entirely by its power spectrum.

**Convention.** On an L×L periodic grid with integer wave vectors k = (k_x, k_y),
k_x, k_y ∈ (−L/2, L/2] (in units of the box's fundamental mode 2π/L), the discrete Fourier
transform F_k = Σ_x δ(x) e^(−2πi k·x/L) (NumPy's ``fft2``) has ⟨|F_k|²⟩ = L² P(|k|): P is the
variance per mode, so white noise of unit variance has P = 1, and the field's variance is
Σ_k P(|k|) / L². The power law here is P(k) = k^(−n_s) for k > 0 and P(0) = 0 (the mean is
removed); larger n_s puts more power on large scales (smoother maps).

**Drawing.** White Gaussian noise w(x) ~ N(0, 1), then δ = ifft2(fft2(w) · √P(|k|)): the
result is real, Gaussian, periodic and has exactly the spectrum above in expectation (each
independent Fourier mode |F_k|²/L² is P(|k|) times an Exp(1) variable).

**Normalisation.** With ``normalize=True`` (default) each field is divided by its own standard
deviation (its mean is already exactly zero), so a map carries the *shape* of its spectrum —
the spectral index — and not its overall amplitude, which would otherwise give n_s away
through the variance alone. ``normalize=False`` keeps δ as drawn.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import numpy as np

from ..tensor import Tensor
from .dataset import TensorDataset
from .npz_cache import cache_path, read_cached, write_cached

__all__ = ["RandomFieldDataset", "gaussian_random_fields", "wavenumbers"]

_ALGORITHM = "grf/v1"  # changing the generator changes the cache key
_BATCH = 256  # fields drawn per FFT batch (bounds the complex work arrays)


class RandomFieldDataset(TensorDataset):
    """Random fields with their spectral indices: ``ds[i] == (x[i], y[i])``.

    Attributes: ``x`` Tensor float32 (N, 1, L, L); ``y`` Tensor float32 (N,), the spectral index
    of each field (the regression target); ``n_s`` the same as NumPy float64; ``L`` the grid
    size. With a callable power spectrum there is no index: ``n_s`` is None and
    ``ds[i] == (x[i],)``.
    """

    def __init__(self, fields: np.ndarray, n_s: np.ndarray | None) -> None:
        fields = np.asarray(fields)
        if fields.ndim != 3 or fields.shape[1] != fields.shape[2]:
            raise ValueError(f"RandomFieldDataset: expected fields (N, L, L), got {fields.shape}")
        x = Tensor(fields[:, None].astype(np.float32))
        if n_s is None:
            super().__init__(x)
            self.n_s = None
        else:
            n_s = np.asarray(n_s, dtype=np.float64)
            if n_s.shape != (len(fields),):
                raise ValueError(
                    f"RandomFieldDataset: expected n_s of shape ({len(fields)},), got {n_s.shape}"
                )
            super().__init__(x, Tensor(n_s.astype(np.float32)))
            self.n_s = n_s
        self.L = int(fields.shape[-1])

    @property
    def x(self) -> Tensor:
        return self.tensors[0]

    @property
    def y(self) -> Tensor:
        if self.n_s is None:
            raise AttributeError("RandomFieldDataset: fields drawn from a callable have no n_s")
        return self.tensors[1]


def wavenumbers(L: int) -> np.ndarray:
    """|k| (L, L) of the modes of ``fft2`` on an L×L grid, in units of the fundamental mode."""
    k = np.fft.fftfreq(L, d=1.0 / L)  # integers 0, 1, ..., −1
    return np.hypot(k[:, None], k[None, :])


def _draw(n, L, spectrum, normalize, rng) -> np.ndarray:
    """``spectrum(k (L, L), i)`` gives P for the modes of field i (k[0, 0] = 0 is dropped)."""
    k = wavenumbers(L)
    out = np.empty((n, L, L), dtype=np.float32)
    for start in range(0, n, _BATCH):
        stop = min(start + _BATCH, n)
        idx = np.arange(start, stop)
        amp = np.sqrt(spectrum(k, idx))  # (B, L, L)
        amp[:, 0, 0] = 0.0  # zero mean
        noise = rng.standard_normal((stop - start, L, L))
        field = np.fft.ifft2(np.fft.fft2(noise) * amp).real
        if normalize:
            field /= field.std(axis=(1, 2), keepdims=True)
        out[start:stop] = field
    return out


def _checked_spectrum(power_spectrum: Callable) -> Callable:
    def spectrum(k: np.ndarray, idx: np.ndarray) -> np.ndarray:
        kk = np.where(k > 0, k, 1.0)
        p = np.asarray(power_spectrum(kk), dtype=np.float64)
        if p.shape != k.shape or not np.all(np.isfinite(p)) or np.any(p < 0):
            raise ValueError(
                "gaussian_random_fields: power_spectrum(k) must return finite values ≥ 0 of "
                f"k's shape {k.shape}, got shape {p.shape}"
            )
        return np.broadcast_to(p, (len(idx), *k.shape)).copy()

    return spectrum


def gaussian_random_fields(
    n: int,
    L: int = 32,
    n_s: float | Sequence[float] = (1.0, 3.0),
    *,
    power_spectrum: Callable[[np.ndarray], np.ndarray] | None = None,
    normalize: bool = True,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    cache: bool = True,
) -> RandomFieldDataset:
    """Periodic Gaussian random fields with P(k) ∝ k^(−n_s); see the module docstring for the
    convention and the drawing.

    Args:
        n: number of fields (≥ 1).
        L: grid size (≥ 4); fields are L×L and periodic.
        n_s: the spectral index: a number (every field the same) or ``(low, high)``, each
            field's index drawn uniformly from it — the regression target.
        power_spectrum: instead of the power law, a callable P(k) taking an array of
            wavenumbers (> 0, in units of the fundamental mode) and returning P of the same
            shape; then ``n_s`` is ignored, the data set has no target and is not cached (a
            function has no key).
        normalize: divide each field by its own standard deviation (default), so that only
            the spectrum's shape is left; every field has mean 0 either way.
        seed: seed of the NumPy generator; same arguments, same data.
        cache_dir: where the data is cached as ``.npz``; default ``$TINYGRAD_CNN_CACHE`` or
            ``~/.cache/tinygrad_cnn``; the file is keyed by all the arguments above.
        cache: set False to neither read nor write the cache.

    Returns:
        A ``RandomFieldDataset``: ``x`` float32 (n, 1, L, L), ``y`` float32 (n,) and ``n_s``
        float64 (n,) the index of each field.
    """
    who = "gaussian_random_fields"
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{who}: n must be a positive int, got {n!r}")
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 4:
        raise ValueError(f"{who}: L must be an int ≥ 4, got {L!r}")
    n, L, seed = int(n), int(L), int(seed)
    rng = np.random.default_rng(seed)
    if power_spectrum is not None:
        if not callable(power_spectrum):
            raise TypeError(f"{who}: power_spectrum must be callable, got {power_spectrum!r}")
        fields = _draw(n, L, _checked_spectrum(power_spectrum), bool(normalize), rng)
        return RandomFieldDataset(fields, None)

    if isinstance(n_s, (int, float, np.integer, np.floating)) and not isinstance(n_s, bool):
        lo = hi = float(n_s)
    else:
        try:
            lo, hi = (float(v) for v in n_s)
        except (TypeError, ValueError):
            raise ValueError(f"{who}: n_s must be a number or (low, high), got {n_s!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{who}: n_s must be finite with low <= high, got {n_s!r}")
    key = {"algorithm": _ALGORITHM, "n": n, "L": L, "n_s": [lo, hi], "seed": seed,
           "normalize": bool(normalize)}  # fmt: skip
    path, key_text = cache_path(cache_dir, f"grf_n{n}_L{L}_seed{seed}", key)

    def valid(a: dict) -> bool:
        return (
            a["fields"].shape == (n, L, L)
            and a["fields"].dtype == np.float32
            and a["n_s"].shape == (n,)
        )

    arrays = read_cached(path, key_text, ("fields", "n_s"), valid) if cache else None
    if arrays is None:
        index = rng.uniform(lo, hi, size=n) if hi > lo else np.full(n, lo)

        def spectrum(k: np.ndarray, idx: np.ndarray) -> np.ndarray:
            kk = np.where(k > 0, k, 1.0)
            return kk[None] ** -index[idx, None, None]

        arrays = {"fields": _draw(n, L, spectrum, bool(normalize), rng), "n_s": index}
        if cache:
            write_cached(path, key_text, arrays, who)
    return RandomFieldDataset(arrays["fields"], arrays["n_s"])
