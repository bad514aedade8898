"""Calorimeter images of boosted jets: two-prong W-boson jets against one-prong QCD jets.

A small generator in vectorised NumPy, built to show the physics that jet images are about,
not to replace an event generator. Every jet lives near η = 0 and is described in the
(η, φ) plane around its axis, where the small-angle approximation treats the plane as flat.

**W jets.** A W boson (mass from a Breit–Wigner around 80.4 GeV, width 2.1 GeV, cut to
60–100 GeV) with p_T uniform in ``pt_range`` decays to two massless quarks, isotropically in
its rest frame. In
the lab the quarks carry the p_T fractions z and 1 − z with z = (1 + β cos θ*)/2 (uniform in
[(1 − β)/2, (1 + β)/2]), and their separation follows from the invariant mass: for a massive
pair m² ≈ m₁²/z + m₂²/(1 − z) + z(1 − z) p_T² ΔR², so with massless daughters
ΔR ≈ m / (p_T √(z(1 − z))) (≈ 2m/p_T at z = ½). Each quark showers (below); the separation is
then set from the showered daughters' masses m₁, m₂ so that the pair keeps the W mass (the
daughters' virtualities come out of the W, as in a real shower). Colour coherence: the W is a
colour singlet, so its quarks radiate only at angles below ΔR.

**QCD jets.** One parton (a quark with probability ``quark_fraction``, else a gluon) with p_T
uniform in ``pt_range`` showers into a cone of radius R; its mass comes only from the shower,
so the mass spectrum peaks low (the Sudakov peak, 10–30 GeV here; median ≈ 35 GeV) and falls.

**The shower.** Iterated 1 → 2 splittings, ordered in angle. The emission density is the
soft-collinear one, (2 α_s(k_t) C / π) dθ/θ dz/z, with C = C_F = 4/3 for a quark and C_A = 3
for a gluon, and the one-loop running coupling α_s(k_t) (from ``alpha_s`` = α_s(m_Z), frozen at
0.5 for small k_t = z p θ). A parton with p_T p that may radiate below the angle θ_max draws
its next trial angle from the Sudakov factor at the frozen coupling, θ = θ_max U^(1/(c L)) with
c = 2 · 0.5 · C/π, L = ln(½ / z_min) and the soft cutoff z_min = ``pt_cut`` / p, and the softer
daughter's z ∈ [z_min, ½] from dz/z; the trial is kept with probability α_s(k_t)/0.5 (the veto
algorithm), else the parton carries on below θ without splitting. The two daughters sit on
either side of the parent's position at relative angle θ (in a uniformly random direction) so
that their p_T-weighted centre stays where the parent was, and both may split again, below θ.
A quark emits gluons; a gluon splits into two gluons (g → qq̄ is left
out). A parton stops splitting below the angle ``theta_min`` or when z_min ≥ ½.

**The jet.** The final partons within ΔR < R of the p_T-weighted axis are the jet's
constituents. From them: the jet mass (from massless four-vectors, p_T cosh η etc., exact for
the constituents), the jet p_T (scalar sum), and the N-subjettiness ratio τ₂₁ = τ₂/τ₁ with
τ_N = Σ p_T,i min_k ΔR_ik (β = 1); the τ₁ axis is the p_T-weighted jet axis and the two τ₂
axes come from p_T-weighted 2-means in the (η, φ) plane (Lloyd iterations seeded at the
hardest constituent and the one with the largest p_T·ΔR² from it), which minimise the β = 2
version of τ₂. The same two axes are the subjets of the preprocessing.

**The image.** The constituents' p_T (GeV) summed into ``image_size``² cells over
[−window, window]² in (η, φ): rows are η (increasing downwards), columns φ (increasing to
the right); constituents outside the window are not drawn. Without preprocessing, the image
is centred on the jet axis and the jet's orientation is random. With ``preprocess=True``
(the standard steps of the jet-image papers, done on the constituents before pixelisation):
translate so the leading subjet (the 2-means axis with the larger p_T) is at the centre of the
centre pixel, rotate so the second subjet lies straight below it (on the +η axis, same
column), and reflect φ → −φ if needed so that the right half holds more p_T than the left
(the halves outside the centre column: |φ| ≥ half a cell).

Reference: L. de Oliveira, M. Kagan, L. Mackey, B. Nachman and A. Schwartzman, "Jet-images —
deep learning edition", JHEP 07 (2016) 069.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .dataset import TensorDataset
from .npz_cache import cache_path, read_cached, write_cached

__all__ = ["JetDataset", "jet_images", "W_MASS", "W_WIDTH"]

W_MASS: float = 80.4
"""The W boson mass in GeV."""
W_WIDTH: float = 2.1
"""The W boson width in GeV."""

_C_F, _C_A = 4.0 / 3.0, 3.0
_ALGORITHM = "jets/v1"  # changing the generator changes the cache key
_MAX_GENERATIONS = 2000  # a shower ends long before this; the bound only guards the loop
_KMEANS_STEPS = 10
_MAX_DAUGHTER_MASS2 = 0.8  # the daughters' m²/z terms may use at most this part of m_W²
_Z_MASS = 91.19
_ALPHA_MAX = 0.5  # the coupling is frozen at this value at low k_t
_B0 = (33.0 - 2.0 * 5.0) / (12.0 * math.pi)  # one-loop β₀ with five flavours


def _running_alpha(kt: np.ndarray, alpha_mz: float) -> np.ndarray:
    """One-loop α_s(k_t) from α_s(m_Z), frozen at _ALPHA_MAX towards low k_t."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = alpha_mz / (1.0 + 2.0 * _B0 * alpha_mz * np.log(kt / _Z_MASS))
    return np.where((a > 0) & (a < _ALPHA_MAX), a, _ALPHA_MAX)


class JetDataset(TensorDataset):
    """Jet images with labels: ``ds[i] == (x[i], y[i])``.

    Attributes: ``x`` Tensor float32 (N, 1, S, S) of p_T per cell in GeV; ``y`` Tensor int64
    (N,), 1 for a W jet and 0 for a QCD jet; NumPy float64 (N,) arrays ``mass`` (GeV), ``tau21``
    and ``pt`` (GeV, scalar sum over the constituents); ``window`` the half-width of the image
    in (η, φ).
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        mass: np.ndarray,
        tau21: np.ndarray,
        pt: np.ndarray,
        window: float,
    ) -> None:
        images = np.asarray(images, dtype=np.float32)
        n = len(images)
        if images.ndim != 4 or images.shape[1] != 1 or images.shape[2] != images.shape[3]:
            raise ValueError(f"JetDataset: expected images (N, 1, S, S), got {images.shape}")
        for name, a in (("labels", labels), ("mass", mass), ("tau21", tau21), ("pt", pt)):
            if np.shape(a) != (n,):
                raise ValueError(f"JetDataset: expected {name} of shape ({n},), got {np.shape(a)}")
        super().__init__(Tensor(images), Tensor(np.asarray(labels, dtype=np.int64)))
        self.mass = np.asarray(mass, dtype=np.float64)
        self.tau21 = np.asarray(tau21, dtype=np.float64)
        self.pt = np.asarray(pt, dtype=np.float64)
        self.window = float(window)

    @property
    def x(self) -> Tensor:
        return self.tensors[0]

    @property
    def y(self) -> Tensor:
        return self.tensors[1]


# ---- the shower -------------------------------------------------------------------------


def _shower(
    jet: np.ndarray,
    pt: np.ndarray,
    theta_max: np.ndarray,
    gluon: np.ndarray,
    rng: np.random.Generator,
    alpha_s: float,
    pt_cut: float,
    theta_min: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shower partons that start at the origin of their own (η, φ) plane.

    Inputs are (P,) arrays: the jet (or group) index of each parton, its p_T, the largest angle
    it may radiate at, and whether it is a gluon. Returns the final partons as (jet, p_T,
    position (M, 2)), each group's p_T-weighted centre still at the origin.
    """
    pos = np.zeros((len(pt), 2))
    done_jet, done_pt, done_pos = [], [], []
    for _ in range(_MAX_GENERATIONS):
        if len(pt) == 0:
            break
        z_min = pt_cut / pt
        log_z = np.log(0.5 / np.maximum(z_min, 1e-300))
        # the next angle from the Sudakov factor at the coupling's upper bound; the veto below
        # brings the rate down to the running coupling
        c = 2.0 * _ALPHA_MAX * np.where(gluon, _C_A, _C_F) / math.pi
        rate = c * np.maximum(log_z, 0.0)  # emissions per unit ln θ
        u = rng.random(len(pt))
        with np.errstate(divide="ignore"):
            theta = theta_max * np.exp(np.log(u) / np.maximum(rate, 1e-300))
        live = (z_min < 0.5) & (theta > theta_min)
        done_jet.append(jet[~live])
        done_pt.append(pt[~live])
        done_pos.append(pos[~live])
        jet, pt, pos, gluon, theta, log_z = (a[live] for a in (jet, pt, pos, gluon, theta, log_z))
        z = (pt_cut / pt) * np.exp(rng.random(len(pt)) * log_z)  # dz/z on [z_min, ½]
        accept = rng.random(len(pt)) * _ALPHA_MAX < _running_alpha(z * pt * theta, alpha_s)
        # a vetoed trial emits nothing but still lowers the angle below which the parton radiates
        stay = ~accept
        jet_s, pt_s, pos_s, gluon_s, theta_s = (a[stay] for a in (jet, pt, pos, gluon, theta))
        jet, pt, pos, gluon, theta, z = (a[accept] for a in (jet, pt, pos, gluon, theta, z))
        psi = rng.random(len(pt)) * (2.0 * math.pi)
        step = theta[:, None] * np.stack([np.cos(psi), np.sin(psi)], axis=1)  # (P, 2)
        # parent keeps 1 − z and moves by −z·θ·n, the emission takes z at +(1 − z)·θ·n, so
        # their p_T-weighted centre stays at the parent's old position
        jet = np.concatenate([jet, jet, jet_s])
        pos = np.concatenate([pos - z[:, None] * step, pos + (1.0 - z)[:, None] * step, pos_s])
        gluon = np.concatenate([gluon, np.ones_like(gluon), gluon_s])
        pt = np.concatenate([pt * (1.0 - z), pt * z, pt_s])
        theta_max = np.concatenate([theta, theta, theta_s])  # angular ordering
    else:
        raise RuntimeError("jet_images: the shower did not end; is pt_cut > 0?")
    return np.concatenate(done_jet), np.concatenate(done_pt), np.concatenate(done_pos)


def _group_mass2(group: np.ndarray, pt: np.ndarray, pos: np.ndarray, n: int) -> np.ndarray:
    """Small-angle m² = P · Σ p_T,i |r_i − r̄|² of each group around its centre at the origin."""
    total = np.bincount(group, weights=pt, minlength=n)
    return total * np.bincount(group, weights=pt * (pos**2).sum(axis=1), minlength=n)


# ---- the jets ---------------------------------------------------------------------------


def _w_jets(n, rng, pt_range, alpha_s, pt_cut, theta_min):
    pt_w = rng.uniform(*pt_range, size=n)
    m = np.clip(W_MASS + 0.5 * W_WIDTH * np.tan(math.pi * (rng.random(n) - 0.5)), 60.0, 100.0)
    beta = pt_w / np.sqrt(pt_w**2 + m**2)
    z = 0.5 * (1.0 + beta * rng.uniform(-1.0, 1.0, size=n))  # p_T fraction of quark 1
    d0 = m / (pt_w * np.sqrt(z * (1.0 - z)))  # separation of massless daughters
    # quark k of jet j is group 2j + k; both radiate below the opening angle d0
    group = np.arange(2 * n)
    frac = np.stack([z, 1.0 - z], axis=1).reshape(-1)
    p_q = np.repeat(pt_w, 2) * frac
    g, p, r = _shower(
        group, p_q, np.repeat(d0, 2), np.zeros(2 * n, bool), rng, alpha_s, pt_cut, theta_min
    )
    m2_q = _group_mass2(g, p, r, 2 * n).reshape(n, 2)
    pull = m2_q[:, 0] / z + m2_q[:, 1] / (1.0 - z)  # what the daughters' masses take from m²
    shrink = np.minimum(1.0, np.sqrt(_MAX_DAUGHTER_MASS2 * m**2 / np.maximum(pull, 1e-300)))
    pull = pull * shrink**2
    d = np.sqrt((m**2 - pull) / (z * (1.0 - z) * pt_w**2))
    psi = rng.random(n) * (2.0 * math.pi)
    axis = np.stack([np.cos(psi), np.sin(psi)], axis=1)  # direction from quark 2 to quark 1
    offset = np.stack([(1.0 - z)[:, None] * d[:, None] * axis, -z[:, None] * d[:, None] * axis])
    jet = g // 2
    pos = r * shrink[jet][:, None] + offset.transpose(1, 0, 2).reshape(2 * n, 2)[g]
    return jet, p, pos


def _qcd_jets(n, rng, pt_range, alpha_s, pt_cut, theta_min, R, quark_fraction):
    pt_j = rng.uniform(*pt_range, size=n)
    gluon = rng.random(n) >= quark_fraction
    return _shower(np.arange(n), pt_j, np.full(n, float(R)), gluon, rng, alpha_s, pt_cut, theta_min)


def _padded(jet: np.ndarray, pt: np.ndarray, pos: np.ndarray, n: int):
    """Per-jet padded arrays: p_T (n, M) with zeros as padding and positions (n, M, 2)."""
    order = np.argsort(jet, kind="stable")
    jet, pt, pos = jet[order], pt[order], pos[order]
    counts = np.bincount(jet, minlength=n)
    slot = np.arange(len(jet)) - np.repeat(np.cumsum(counts) - counts, counts)
    M = max(int(counts.max()), 1)
    P = np.zeros((n, M))
    X = np.zeros((n, M, 2))
    P[jet, slot] = pt
    X[jet, slot] = pos
    return P, X


def _two_means(P: np.ndarray, X: np.ndarray) -> np.ndarray:
    """p_T-weighted 2-means axes (n, 2, 2), the harder one first."""
    n = len(P)
    rows = np.arange(n)
    a1 = X[rows, P.argmax(axis=1)]
    far = P * ((X - a1[:, None]) ** 2).sum(axis=2)
    axes = np.stack([a1, X[rows, far.argmax(axis=1)]], axis=1)  # (n, 2, 2)
    for _ in range(_KMEANS_STEPS):
        dist = ((X[:, :, None] - axes[:, None]) ** 2).sum(axis=3)  # (n, M, 2)
        near = dist.argmin(axis=2)
        w = P[:, :, None] * (near[:, :, None] == np.arange(2))  # (n, M, 2)
        wsum = w.sum(axis=1)  # (n, 2)
        centre = np.einsum("nmk,nmd->nkd", w, X) / np.maximum(wsum, 1e-300)[:, :, None]
        axes = np.where((wsum > 0)[:, :, None], centre, axes)
    swap = wsum[:, 1] > wsum[:, 0]
    axes[swap] = axes[swap, ::-1]
    return axes


def _observables(P: np.ndarray, X: np.ndarray, axes: np.ndarray):
    """Jet mass (from massless four-vectors), scalar p_T and τ₂₁."""
    eta, phi = X[..., 0], X[..., 1]
    E = (P * np.cosh(eta)).sum(1)
    px, py, pz = (P * np.cos(phi)).sum(1), (P * np.sin(phi)).sum(1), (P * np.sinh(eta)).sum(1)
    mass = np.sqrt(np.maximum(E**2 - px**2 - py**2 - pz**2, 0.0))
    pt = P.sum(axis=1)
    centre = (P[:, :, None] * X).sum(axis=1) / pt[:, None]
    tau1 = (P * np.linalg.norm(X - centre[:, None], axis=2)).sum(axis=1)
    d = np.linalg.norm(X[:, :, None] - axes[:, None], axis=3).min(axis=2)
    tau2 = (P * d).sum(axis=1)
    return mass, pt, tau2 / np.maximum(tau1, 1e-300)


def _preprocess(P: np.ndarray, X: np.ndarray, axes: np.ndarray, half_cell: float) -> np.ndarray:
    """Leading subjet to the origin, second subjet onto +η, the harder φ half to φ > 0.

    The halves are compared without the constituents of the centre column (|φ| < half a cell),
    which the reflection leaves in place — so the rule holds for the image's halves.
    """
    X = X - axes[:, :1]
    second = axes[:, 1] - axes[:, 0]
    angle = np.arctan2(second[:, 1], second[:, 0])
    angle = np.where(np.hypot(second[:, 0], second[:, 1]) > 0, angle, 0.0)
    c, s = np.cos(-angle)[:, None], np.sin(-angle)[:, None]
    X = np.stack([c * X[..., 0] - s * X[..., 1], s * X[..., 0] + c * X[..., 1]], axis=2)
    phi = X[..., 1]
    left = (P * (phi <= -half_cell)).sum(1) > (P * (phi >= half_cell)).sum(1)
    X[left, :, 1] *= -1.0
    return X


def _pixelise(P: np.ndarray, X: np.ndarray, size: int, window: float) -> np.ndarray:
    n = len(P)
    cell = 2.0 * window / size
    idx = np.floor((X + window) / cell).astype(np.int64)  # (n, M, 2): row from η, column φ
    inside = (P > 0) & np.all((idx >= 0) & (idx < size), axis=2)
    flat = (np.arange(n)[:, None] * size + idx[..., 0]) * size + idx[..., 1]
    img = np.bincount(flat[inside], weights=P[inside], minlength=n * size * size)
    return img.reshape(n, 1, size, size).astype(np.float32)


def _generate(n, seed, pt_range, R, image_size, window, preprocess, alpha_s, pt_cut,
              theta_min, quark_fraction):  # fmt: skip
    rng = np.random.default_rng(seed)
    n_w = n // 2
    jw, pw, xw = _w_jets(n_w, rng, pt_range, alpha_s, pt_cut, theta_min)
    jq, pq, xq = _qcd_jets(n - n_w, rng, pt_range, alpha_s, pt_cut, theta_min, R, quark_fraction)
    jet, pt = np.concatenate([jw, jq + n_w]), np.concatenate([pw, pq])
    pos = np.concatenate([xw, xq])
    labels = (np.arange(n) < n_w).astype(np.int64)
    # the jet: constituents within R of the p_T-weighted axis (the origin by construction)
    keep = (pos**2).sum(axis=1) < R * R
    P, X = _padded(jet[keep], pt[keep], pos[keep], n)
    axes = _two_means(P, X)
    mass, jet_pt, tau21 = _observables(P, X, axes)
    if preprocess:
        X = _preprocess(P, X, axes, window / image_size)
    else:
        X = X - ((P[:, :, None] * X).sum(axis=1) / P.sum(axis=1)[:, None])[:, None]
    images = _pixelise(P, X, image_size, window)
    order = rng.permutation(n)  # W and QCD jets in random order
    return {
        "images": images[order],
        "labels": labels[order],
        "mass": mass[order],
        "tau21": tau21[order],
        "pt": jet_pt[order],
    }


def _positive(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"jet_images: {name} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"jet_images: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def jet_images(
    n: int = 10000,
    *,
    pt_range: Sequence[float] = (250.0, 300.0),
    R: float = 1.0,
    image_size: int = 25,
    window: float = 1.25,
    preprocess: bool = True,
    alpha_s: float = 0.118,
    pt_cut: float = 1.0,
    theta_min: float = 0.01,
    quark_fraction: float = 0.5,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    cache: bool = True,
) -> JetDataset:
    """Images of boosted W jets (label 1) and QCD jets (label 0); see the module docstring for
    the generator.

    Args:
        n: number of jets (≥ 2): n // 2 W jets and the rest QCD, in random order.
        pt_range: (low, high) GeV; the W's or the parton's p_T is uniform in it.
        R: the jet radius in (η, φ): the constituents are the partons within R of the axis.
        image_size: cells per side of the image (odd when ``preprocess``, so that a centre
            pixel exists).
        window: the image covers [−window, window]² in (η, φ) (cells of 2·window/image_size).
        preprocess: centre on the leading subjet, rotate the second onto +η and flip the
            harder half to φ > 0 (else: centred on the jet axis, random orientation).
        alpha_s: the strong coupling at the Z mass, α_s(m_Z); the shower runs it to k_t.
        pt_cut: GeV; a parton emits nothing softer than this.
        theta_min: the smallest splitting angle.
        quark_fraction: the probability that a QCD jet starts from a quark (else a gluon).
        seed: seed of the NumPy generator; same arguments, same data.
        cache_dir: where the data is cached as ``.npz``; default ``$TINYGRAD_CNN_CACHE`` or
            ``~/.cache/tinygrad_cnn``; the file is keyed by all the arguments above.
        cache: set False to neither read nor write the cache.

    Returns:
        A ``JetDataset``: ``x`` float32 (n, 1, image_size, image_size) of p_T per cell (GeV),
        ``y`` int64 (n,), ``mass``, ``tau21`` and ``pt`` float64 (n,). 10,000 jets take a few
        seconds on one core; later calls read the cache.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"jet_images: n must be an int ≥ 2, got {n!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)):
        raise TypeError(f"jet_images: image_size must be an int, got {image_size!r}")
    if image_size < 1 or (preprocess and image_size % 2 == 0):
        raise ValueError(
            f"jet_images: image_size must be a positive odd int when preprocess=True (the "
            f"leading subjet goes to the centre pixel), got {image_size}"
        )
    try:
        lo, hi = (float(v) for v in pt_range)
    except (TypeError, ValueError):
        msg = f"jet_images: pt_range must be (low, high) in GeV, got {pt_range!r}"
        raise ValueError(msg) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 2 * W_MASS < lo <= hi):
        raise ValueError(
            f"jet_images: pt_range must satisfy {2 * W_MASS:g} < low <= high (boosted W jets), "
            f"got {pt_range!r}"
        )
    R, window = _positive(R, "R"), _positive(window, "window")
    alpha_s = _positive(alpha_s, "alpha_s")
    pt_cut, theta_min = _positive(pt_cut, "pt_cut"), _positive(theta_min, "theta_min")
    if alpha_s >= _ALPHA_MAX:
        raise ValueError(
            f"jet_images: alpha_s (at m_Z) must be < {_ALPHA_MAX}, the frozen coupling, "
            f"got {alpha_s}"
        )
    if theta_min >= R:
        raise ValueError(f"jet_images: theta_min must be < R, got {theta_min} and R = {R}")
    if not 0.0 <= float(quark_fraction) <= 1.0:
        raise ValueError(f"jet_images: quark_fraction must be in [0, 1], got {quark_fraction!r}")
    args = dict(
        n=int(n), seed=int(seed), pt_range=(lo, hi), R=R, image_size=int(image_size),
        window=window, preprocess=bool(preprocess), alpha_s=alpha_s, pt_cut=pt_cut,
        theta_min=theta_min, quark_fraction=float(quark_fraction),
    )  # fmt: skip
    names = ("images", "labels", "mass", "tau21", "pt")
    path, key_text = cache_path(
        cache_dir, f"jets_n{n}_seed{seed}", {"algorithm": _ALGORITHM, **args}
    )
    shape = (int(n), 1, int(image_size), int(image_size))

    def valid(a: dict) -> bool:
        return (
            a["images"].shape == shape
            and a["images"].dtype == np.float32
            and all(a[k].shape == (n,) for k in names[1:])
        )

    arrays = read_cached(path, key_text, names, valid) if cache else None
    if arrays is None:
        arrays = _generate(**args)
        if cache:
            write_cached(path, key_text, arrays, "jet_images")
    return JetDataset(*(arrays[k] for k in names), window=window)
