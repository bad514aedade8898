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

One Monte Carlo *step* is one Wolff update (where used) followed by one Metropolis sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["T_c", "DEFAULT_TEMPERATURES", "sample_ising"]

T_c: float = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""The exact critical temperature of the 2D Ising model (J = k_B = 1), ≈ 2.2692."""

DEFAULT_TEMPERATURES: tuple[float, ...] = tuple(0.25 * k for k in range(1, 17))
"""0.25, 0.50, ..., 4.00: the 16 temperatures of Mehta et al.'s Ising data set."""

_WOLFF_BELOW = 1.5 * T_c  # above this, clusters are a few sites and Metropolis alone suffices


def _shift(x: np.ndarray, out: np.ndarray, axis: int, step: int) -> np.ndarray:
    """Periodic shift along ``axis`` (1 or 2) by ±1 into ``out``: out[i] = x[i - step]."""
    src = [slice(None)] * 3
    dst = [slice(None)] * 3
    if step == 1:
        dst[axis], src[axis] = slice(1, None), slice(None, -1)
        out[tuple(dst)] = x[tuple(src)]
        dst[axis], src[axis] = slice(0, 1), slice(-1, None)
        out[tuple(dst)] = x[tuple(src)]
    else:
        dst[axis], src[axis] = slice(None, -1), slice(1, None)
        out[tuple(dst)] = x[tuple(src)]
        dst[axis], src[axis] = slice(-1, None), slice(0, 1)
        out[tuple(dst)] = x[tuple(src)]
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
        s = rng.integers(0, 2, size=(B, L, L), dtype=np.int8) * 2 - 1
        s[temps < T_c] = 1
        self.s = s.astype(np.int8)
        self.masks = _colour_masks(L)
        self.wolff_idx = np.flatnonzero(temps < _WOLFF_BELOW)
        self.p_add = (-np.expm1(-2.0 / temps[self.wolff_idx])).astype(np.float32)[:, None, None]
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

    def wolff_update(self) -> None:
        idx = self.wolff_idx
        if len(idx) == 0:
            return
        rng, L = self.rng, self.L
        s = self.s[idx] if len(idx) < len(self.s) else self.s
        n = len(s)
        # Open Fortuin–Kasteleyn bonds: right[b, i, j] joins (i, j)–(i, j+1), down joins
        # (i, j)–(i+1, j); each bond between equal spins is open with probability p_add.
        buf = np.empty(s.shape, dtype=np.int8)
        right = np.equal(s, _shift(s, buf, 2, -1))
        right &= rng.random(s.shape, dtype=np.float32) < self.p_add
        down = np.equal(s, _shift(s, buf, 1, -1))
        down &= rng.random(s.shape, dtype=np.float32) < self.p_add

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
        if s is not self.s:
            self.s[idx] = s

    def step(self) -> None:
        self.wolff_update()
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
    done = 0
    for step in range(total):
        sampler.step()
        done += 1
        k = step - n_equilibrate
        if k >= 0 and (k + 1) % n_between == 0:
            kept[(k + 1) // n_between - 1] = sampler.s
        if progress is not None:
            progress(done, total)
    # (per_chain, T, chain, L, L) → (T, chain, per_chain, L, L): each T block, chains interleaved
    kept = kept.reshape(per_chain, n_t, chains_per_T, L, L).transpose(1, 2, 0, 3, 4)
    spins = kept.reshape(n_t, chains_per_T * per_chain, L, L)[:, :samples_per_T]
    return spins.reshape(-1, L, L), np.repeat(temps, samples_per_T)
