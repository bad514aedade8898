"""Configurations of the 2D Ising model, sampled by Monte Carlo in vectorised NumPy.

The model: spins s = ±1 on a periodic L×L square lattice, energy E = −J Σ⟨ij⟩ s_i s_j over
nearest-neighbour bonds, with J = 1 and k_B = 1. It orders below the exact (Onsager)
critical temperature T_c = 2 / ln(1 + √2) ≈ 2.269.

How the samples are made (all chains of all temperatures advance together, as one batch of
lattices of shape (B, L, L)):

* **Wolff cluster updates** for every chain with T < 1.5·T_c. Single-spin Metropolis stalls
  near and below T_c (critical slowing down; below T_c it never flips the magnetisation), while
  one Wolff update flips a whole correlated cluster. The cluster grown from a random seed site
  is the seed's connected component among the Fortuin–Kasteleyn bonds — each bond between equal
  spins is open with probability p = 1 − exp(−2/T) — so we draw all bonds of all chains at once
  and grow every chain's cluster together, one breadth-first shell per iteration, with
  whole-array boolean shifts. Chains whose cluster is complete are dropped from the working set.
* **Checkerboard Metropolis sweeps** for every chain (the only update well above T_c, where
  clusters are tiny): the lattice is split into sublattices with no neighbours inside them
  (2 colours for even L, 3 for odd L), and each sublattice is updated at once.

One Monte Carlo *step* is one or two Wolff updates (where used; the number is drawn at random so
that the sign of the magnetisation does not merely alternate far below T_c) followed by one
Metropolis sweep.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import numpy as np

from ..tensor import Tensor
from .dataset import TensorDataset
from .npz_cache import cache_path, default_cache_dir, read_cached, write_cached

__all__ = [
    "T_c",
    "DEFAULT_TEMPERATURES",
    "IsingDataset",
    "ising",
    "sample_ising",
    "energy_per_spin",
    "default_cache_dir",
]

T_c: float = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""The exact critical temperature of the 2D Ising model (J = k_B = 1), ≈ 2.2692."""

DEFAULT_TEMPERATURES: tuple[float, ...] = tuple(0.25 * k for k in range(1, 17))
"""0.25, 0.50, ..., 4.00: the 16 temperatures of Mehta et al.'s Ising data set."""

_WOLFF_BELOW = 1.5 * T_c  # above this, clusters are a few sites and Metropolis alone suffices


def _shift(x: np.ndarray, out: np.ndarray, axis: int, step: int) -> np.ndarray:
    """Periodic shift of (B, L, L) lattices along ``axis`` (1 or 2) by ``step`` = ±1, written
    into the C-contiguous ``out``: out[.., i, ..] = x[.., i − step, ..].

    Works on the flattened (B, L·L) view: a row shift is two block copies; a column shift is a
    shift of the flat array by one site plus a fix-up of the one column that wrapped around
    (3–4× faster than slicing the last axis in pieces of L).
    """
    B, L = x.shape[0], x.shape[-1]
    xf, of = x.reshape(B, L * L), out.reshape(B, L * L)
    if axis == 1 and step == 1:
        of[:, L:], of[:, :L] = xf[:, :-L], xf[:, -L:]
    elif axis == 1:
        of[:, :-L], of[:, -L:] = xf[:, L:], xf[:, :L]
    elif step == 1:
        of[:, 1:] = xf[:, :-1]
        of[:, ::L] = xf[:, L - 1 :: L]  # column 0 receives column L−1
    else:
        of[:, :-1] = xf[:, 1:]
        of[:, L - 1 :: L] = xf[:, ::L]  # column L−1 receives column 0
    return out


def _neighbour_sum(s: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Sum of the four nearest neighbours of every site, (B, L, L) int8, periodic."""
    _shift(s, out, 1, 1)
    out += _shift(s, tmp, 1, -1)
    out += _shift(s, tmp, 2, 1)
    out += _shift(s, tmp, 2, -1)
    return out


def _colour_masks(L: int) -> list[np.ndarray]:
    """Boolean (L, L) sublattices such that no two neighbours share one (periodic lattice)."""
    i = np.arange(L)
    if L % 2 == 0:
        parity = (i[:, None] + i[None, :]) % 2
        return [parity == 0, parity == 1]
    # Odd L: colour the ring C_L with values in Z_3 (0,1,0,1,...,2) so that neighbours differ;
    # then c(i, j) = f(i) + f(j) mod 3 differs between any two neighbours of the torus.
    f = i % 2
    f[-1] = 2
    c = (f[:, None] + f[None, :]) % 3
    return [c == k for k in range(3)]


def energy_per_spin(s: np.ndarray) -> np.ndarray:
    """E/N = −(1/N) Σ⟨ij⟩ s_i s_j for each lattice of ``s`` (..., L, L) → (...)."""
    s = np.asarray(s, dtype=np.float64)
    bonds = s * np.roll(s, -1, axis=-1) + s * np.roll(s, -1, axis=-2)
    return -bonds.mean(axis=(-1, -2))


class _Sampler:
    """A batch of B independent Ising chains, one temperature each, advanced in lockstep."""

    def __init__(self, L: int, temps: np.ndarray, rng: np.random.Generator) -> None:
        self.L = L
        self.rng = rng
        B = len(temps)
        self.beta2 = (2.0 / temps).astype(np.float32)[:, None, None]  # ΔE/T = beta2 · s·h
        # Ordered start below T_c (where the chain ends up anyway), infinite-T start above.
        s = rng.integers(0, 2, size=(B, L, L), dtype=np.int8) * 2 - 1  # int8 ±1
        s[temps < T_c] = 1
        self.s = s
        self.masks = _colour_masks(L)
        self.wolff_idx = np.flatnonzero(temps < _WOLFF_BELOW)
        self.p_add = (-np.expm1(-2.0 / temps)).astype(np.float32)  # bond probability 1 − e^(−2/T)
        self._h = np.empty_like(self.s)
        self._tmp = np.empty_like(self.s)

    def metropolis_sweep(self) -> None:
        s, rng = self.s, self.rng
        for mask in self.masks:
            h = _neighbour_sum(s, self._h, self._tmp)
            np.multiply(h, s, out=h)  # s·h ∈ {−4, −2, 0, 2, 4}; the flip costs ΔE = 2·s·h
            # Accept with probability min(1, e^(−ΔE/T)) ⇔ ΔE/T ≤ X with X ~ Exp(1).
            x = rng.standard_exponential(s.shape, dtype=np.float32)
            flip = np.less_equal(h * self.beta2, x)
            flip &= mask
            np.negative(s, out=s, where=flip)

    def wolff_update(self, idx: np.ndarray) -> None:
        """One Wolff cluster flip in each chain listed in ``idx`` (sorted, unique)."""
        if len(idx) == 0:
            return
        rng, L = self.rng, self.L
        whole = len(idx) == len(self.s)
        s = self.s if whole else self.s[idx]
        p_add = self.p_add[idx, None, None]
        n = len(s)
        # Open Fortuin–Kasteleyn bonds: right[b, i, j] joins (i, j)–(i, j+1), down joins
        # (i, j)–(i+1, j); each bond between equal spins is open with probability p_add.
        buf = np.empty(s.shape, dtype=np.int8)
        right = np.equal(s, _shift(s, buf, 2, -1))
        right &= rng.random(s.shape, dtype=np.float32) < p_add
        down = np.equal(s, _shift(s, buf, 1, -1))
        down &= rng.random(s.shape, dtype=np.float32) < p_add

        cluster = np.zeros(s.shape, dtype=bool)
        seeds = rng.integers(0, L * L, size=n)
        cluster.reshape(n, -1)[np.arange(n), seeds] = True
        front = cluster.copy()
        work = np.arange(n)  # chains whose cluster is still growing
        c, r, d = cluster, right, down
        while True:
            new = np.empty(front.shape, dtype=bool)
            t = np.empty(front.shape, dtype=bool)
            u = np.empty(front.shape, dtype=bool)
            _shift(np.logical_and(front, r, out=t), new, 2, 1)  # (i, j) → (i, j+1) via right[i, j]
            new |= np.logical_and(_shift(front, t, 2, -1), r, out=t)  # (i, j+1) → (i, j)
            new |= _shift(np.logical_and(front, d, out=t), u, 1, 1)  # (i, j) → (i+1, j)
            new |= np.logical_and(_shift(front, t, 1, -1), d, out=t)  # (i+1, j) → (i, j)
            np.greater(new, c, out=new)  # newly reached and not yet in the cluster
            c |= new
            front = new
            growing = new.any(axis=(1, 2))
            n_grow = int(np.count_nonzero(growing))
            if n_grow == 0:
                break
            if n_grow <= len(work) // 2:  # compact: keep only the chains still growing
                cluster[work] = c
                work = work[growing]
                c, r, d, front = c[growing], r[growing], d[growing], front[growing]
        cluster[work] = c
        np.negative(s, out=s, where=cluster)
        if not whole:
            self.s[idx] = s

    def step(self) -> None:
        # One or two cluster updates, at random: far below T_c the cluster is nearly the whole
        # lattice, so with exactly one per step the sign of m would just alternate and samples
        # kept an even number of steps apart would all share it.
        self.wolff_update(self.wolff_idx)
        coin = self.rng.random(len(self.wolff_idx)) < 0.5
        self.wolff_update(self.wolff_idx[coin])
        self.metropolis_sweep()


def sample_ising(
    L: int,
    temperatures: np.ndarray,
    samples_per_T: int,
    rng: np.random.Generator,
    *,
    chains_per_T: int,
    n_equilibrate: int,
    n_between: int,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample ``samples_per_T`` configurations at each temperature.

    Runs ``chains_per_T`` independent chains per temperature; each is equilibrated for
    ``n_equilibrate`` steps, then keeps one configuration every ``n_between`` steps until it
    has contributed its share. Returns spins (N, L, L) int8 and temperatures (N,) float64,
    grouped by temperature in the order given.
    """
    temps = np.asarray(temperatures, dtype=np.float64)
    n_t = len(temps)
    per_chain = -(-samples_per_T // chains_per_T)  # ceil
    chain_t = np.repeat(temps, chains_per_T)
    sampler = _Sampler(L, chain_t, rng)
    total = n_equilibrate + per_chain * n_between
    kept = np.empty((per_chain, n_t * chains_per_T, L, L), dtype=np.int8)
    for step in range(1, total + 1):
        sampler.step()
        k = step - n_equilibrate  # steps since equilibration
        if k > 0 and k % n_between == 0:
            kept[k // n_between - 1] = sampler.s
        if progress is not None:
            progress(step, total)
    # (per_chain, T, chain, L, L) → (T, per_chain, chain, L, L): within a temperature the chains
    # take turns, so cutting the block to samples_per_T drops late samples, never whole chains.
    kept = kept.reshape(per_chain, n_t, chains_per_T, L, L).transpose(1, 0, 2, 3, 4)
    spins = kept.reshape(n_t, chains_per_T * per_chain, L, L)[:, :samples_per_T]
    return spins.reshape(-1, L, L), np.repeat(temps, samples_per_T)


# How the public ``ising`` runs the sampler. Changing any of this changes the cache key.
_ALGORITHM = "wolff1or2+checkerboard-metropolis/v2"
_MAX_CHAINS_PER_T = 32


def _schedule(L: int, samples_per_T: int) -> dict[str, int]:
    """Chains per temperature, equilibration steps and steps between kept samples.

    Measured with this sampler (L = 16…40): integrated autocorrelation times of |m| and E are
    at most ~2.5 steps (largest just above T_c) and the energy relaxes from the start state in
    ~20 steps. We keep one sample every ≥ 10 steps (correlation ≲ e^(−4)) and equilibrate for
    20 such intervals; both grow with L because cluster updates flip a smaller fraction of a
    larger lattice near T_c.
    """
    n_between = max(10, L // 4)
    return {
        # ~8 samples per chain: equilibrating a chain costs as much as 20 kept samples
        "chains_per_T": min(samples_per_T, max(8, min(_MAX_CHAINS_PER_T, samples_per_T // 8))),
        "n_equilibrate": 20 * n_between,
        "n_between": n_between,
    }


class IsingDataset(TensorDataset):
    """Ising configurations with phase labels: ``ds[i] == (x[i], y[i])``.

    Attributes: ``x`` Tensor float32 (N, 1, L, L) of spins ±1; ``y`` Tensor int64 (N,), 1 for the
    ordered phase (T < T_c) and 0 for the disordered one; ``temperatures`` NumPy float64 (N,), the
    temperature of each sample; ``T_c`` the exact critical temperature; ``L`` the lattice size.
    """

    T_c: float = T_c

    def __init__(self, spins: np.ndarray, temperatures: np.ndarray) -> None:
        spins = np.asarray(spins)
        temperatures = np.asarray(temperatures, dtype=np.float64)
        if spins.ndim != 3 or spins.shape[1] != spins.shape[2] or len(temperatures) != len(spins):
            raise ValueError(
                f"IsingDataset: expected spins (N, L, L) and temperatures (N,), got "
                f"{spins.shape} and {temperatures.shape}"
            )
        x = spins[:, None].astype(np.float32)  # (N, 1, L, L)
        y = (temperatures < T_c).astype(np.int64)
        super().__init__(Tensor(x), Tensor(y))
        self.temperatures = temperatures
        self.L = int(spins.shape[-1])

    @property
    def x(self) -> Tensor:
        return self.tensors[0]

    @property
    def y(self) -> Tensor:
        return self.tensors[1]


def _cache_key(L: int, temps: np.ndarray, samples_per_T: int, seed: int) -> dict:
    return {
        "algorithm": _ALGORITHM,
        "L": L,
        "temperatures": [float(t) for t in temps],  # repr round-trips floats exactly
        "samples_per_T": samples_per_T,
        "seed": seed,
        **_schedule(L, samples_per_T),
    }


def _valid(arrays: dict, shape: tuple[int, int, int]) -> bool:
    spins, temps = arrays["spins"], arrays["temperatures"]
    return (
        spins.shape == shape
        and spins.dtype == np.int8
        and temps.shape == (shape[0],)
        and bool(np.all(np.abs(spins) == 1))
    )


def ising(
    L: int = 16,
    temperatures: Sequence[float] | np.ndarray | None = None,
    samples_per_T: int = 100,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    progress: Callable[[int, int], object] | None = None,
    *,
    cache: bool = True,
) -> IsingDataset:
    """Equilibrium configurations of the 2D Ising model (J = 1, k_B = 1, periodic L×L).

    Args:
        L: linear lattice size (≥ 2).
        temperatures: the temperatures to sample; default ``DEFAULT_TEMPERATURES`` =
            0.25, 0.50, ..., 4.00 (16 values, as in Mehta et al.'s data set).
        samples_per_T: configurations kept per temperature.
        seed: seed of the NumPy generator that drives the Monte Carlo; same arguments, same data.
        cache_dir: where the generated data is cached as ``.npz``; default ``$TINYGRAD_CNN_CACHE``
            or ``~/.cache/tinygrad_cnn``. The file name is keyed by all the arguments above (and
            the sampler version); a corrupt or mismatching file is regenerated.
        progress: optional ``progress(done, total)`` called after every Monte Carlo step (and
            once with ``done == total`` when the data comes from the cache).
        cache: set False to neither read nor write the cache.

    Returns:
        An ``IsingDataset`` with ``x`` float32 (N, 1, L, L) spins ±1, ``y`` int64 (N,) labels
        (1 = ordered, T < T_c; 0 = disordered), ``temperatures`` float64 (N,), grouped by
        temperature in the order given, N = len(temperatures) · samples_per_T.

    Sampling: per temperature, 8 to 32 independent chains (about 8 samples each) of Wolff +
    checkerboard Metropolis steps (see the module docstring); 20·k equilibration steps, then one
    sample every k = max(10, L // 4) steps. On one CPU core the default size (L = 16, 16
    temperatures, 100 per T) takes 2–3 s and 400 per T 4–5 s; later calls read the cache.
    """
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2:
        raise ValueError(f"ising: L must be an int ≥ 2, got {L!r}")
    L = int(L)
    temps = np.asarray(DEFAULT_TEMPERATURES if temperatures is None else temperatures, np.float64)
    if temps.ndim != 1 or temps.size == 0 or not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"ising: temperatures must be a non-empty list of T > 0, got {temps}")
    if not isinstance(samples_per_T, (int, np.integer)) or samples_per_T < 1:
        raise ValueError(f"ising: samples_per_T must be a positive int, got {samples_per_T!r}")
    samples_per_T, seed = int(samples_per_T), int(seed)

    key = _cache_key(L, temps, samples_per_T, seed)
    stem = f"ising_L{L}_nT{len(temps)}_n{samples_per_T}_seed{seed}"
    path, key_text = cache_path(cache_dir, stem, key)
    shape = (len(temps) * samples_per_T, L, L)

    names = ("spins", "temperatures")
    cached = read_cached(path, key_text, names, lambda a: _valid(a, shape)) if cache else None
    if cached is not None:
        if progress is not None:
            progress(1, 1)
        return IsingDataset(cached["spins"], cached["temperatures"])

    spins, sample_t = sample_ising(
        L,
        temps,
        samples_per_T,
        np.random.default_rng(seed),
        progress=progress,
        **_schedule(L, samples_per_T),
    )
    if cache:  # an unwritable cache must not lose the data just generated: a warning only
        write_cached(path, key_text, {"spins": spins, "temperatures": sample_t}, "ising")
    return IsingDataset(spins, sample_t)
