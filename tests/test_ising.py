"""The Ising data: physics against Onsager's exact results, labels, caching.

The sampler keeps samples ≥ 10 Monte Carlo steps apart (measured autocorrelation times ≲ 2.5
steps), so we treat them as independent and use the standard error of the mean. Tolerances are
4 standard errors plus a small allowance for the finite lattice (L = 32 is many correlation
lengths at these temperatures, so the finite-size shift is far below 1e-3).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_cnn.data import DataLoader, IsingDataset, T_c, ising
from tinygrad_cnn.data.ising import _colour_masks, _shift, energy_per_spin

PHYS_L = 32
PHYS_T = (1.5, 2.0, 3.0, 3.5)
PHYS_N = 256


def agm(a: float, b: float) -> float:
    """Arithmetic–geometric mean (quadratic convergence)."""
    for _ in range(60):
        if abs(a - b) <= 1e-16 * a:
            break
        a, b = (a + b) / 2, math.sqrt(a * b)
    return a


def elliptic_k(k: float) -> float:
    """Complete elliptic integral of the first kind, modulus k: K(k) = π / (2 AGM(1, √(1−k²)))."""
    return math.pi / (2 * agm(1.0, math.sqrt(1.0 - k * k)))


def onsager_energy(T: float) -> float:
    """Exact energy per spin of the infinite lattice (J = k_B = 1)."""
    b = 1.0 / T
    k = 2 * math.sinh(2 * b) / math.cosh(2 * b) ** 2
    return -(1 / math.tanh(2 * b)) * (
        1 + (2 / math.pi) * (2 * math.tanh(2 * b) ** 2 - 1) * elliptic_k(k)
    )


def onsager_magnetisation(T: float) -> float:
    """Exact spontaneous magnetisation per spin (0 above T_c)."""
    return (1 - math.sinh(2 / T) ** -4) ** 0.125 if T < T_c else 0.0


def test_exact_formulas_sanity():
    assert T_c == pytest.approx(2.269185314213022)
    assert elliptic_k(0.0) == pytest.approx(math.pi / 2)
    assert elliptic_k(0.5) == pytest.approx(1.685750354812596)  # tabulated K(k = 0.5)
    assert onsager_energy(0.2) == pytest.approx(-2.0, abs=1e-6)  # ground state
    assert onsager_energy(1e3) == pytest.approx(-2 / 1e3, rel=1e-2)  # high-T series: −2βJ
    # E(T) is continuous through T_c, where E = −√2
    assert onsager_energy(T_c * (1 - 1e-6)) == pytest.approx(-math.sqrt(2), abs=1e-4)


@pytest.fixture(scope="module")
def phys(tmp_path_factory) -> IsingDataset:
    cache = tmp_path_factory.mktemp("cache")
    return ising(L=PHYS_L, temperatures=PHYS_T, samples_per_T=PHYS_N, seed=1, cache_dir=cache)


def _per_temperature(ds: IsingDataset, T: float) -> np.ndarray:
    return ds.x.numpy()[ds.temperatures == T][:, 0]  # (n, L, L)


@pytest.mark.parametrize("T", [1.5, 2.0])
def test_spontaneous_magnetisation_matches_onsager(phys, T):
    m = np.abs(_per_temperature(phys, T).mean(axis=(1, 2)))
    se = m.std(ddof=1) / math.sqrt(len(m))
    assert abs(m.mean() - onsager_magnetisation(T)) < 4 * se + 1e-3, (m.mean(), se)


@pytest.mark.parametrize("T", PHYS_T)
def test_energy_matches_onsager(phys, T):
    e = energy_per_spin(_per_temperature(phys, T))
    se = e.std(ddof=1) / math.sqrt(len(e))
    assert abs(e.mean() - onsager_energy(T)) < 4 * se + 1e-3, (e.mean(), se)


def test_magnetisation_vanishes_above_tc(phys):
    # Above T_c, |m| only reflects finite-size fluctuations, ~ sqrt(χ T / N) ≪ 1.
    for T in (3.0, 3.5):
        assert np.abs(_per_temperature(phys, T).mean(axis=(1, 2))).mean() < 0.15


def test_both_signs_below_tc(phys):
    """Z2 symmetry: every chain starts fully magnetised up below T_c, and only whole-cluster
    flips can reverse it, so a balanced sign means the cluster updates work and mix."""
    for T in (1.5, 2.0):
        m = _per_temperature(phys, T).mean(axis=(1, 2))
        assert abs(m.mean()) < 4 * m.std() / math.sqrt(len(m))
        assert 0.3 < (m > 0).mean() < 0.7


def test_shapes_dtypes_labels(phys):
    n = len(PHYS_T) * PHYS_N
    assert phys.x.shape == (n, 1, PHYS_L, PHYS_L) and phys.x.dtype == np.float32
    assert phys.y.shape == (n,) and phys.y.dtype == np.int64
    assert phys.temperatures.shape == (n,)
    assert set(np.unique(phys.x.numpy())) == {-1.0, 1.0}
    np.testing.assert_array_equal(phys.y.numpy(), (phys.temperatures < T_c).astype(np.int64))
    assert phys.T_c == T_c
    assert list(np.unique(phys.temperatures)) == list(PHYS_T)
    x0, y0 = phys[0]
    assert x0.shape == (1, PHYS_L, PHYS_L) and int(y0.item()) == 1


def test_default_temperatures_and_labels(tmp_path):
    ds = ising(L=4, samples_per_T=2, cache_dir=tmp_path)
    T = np.unique(ds.temperatures)
    np.testing.assert_allclose(T, np.arange(1, 17) * 0.25)
    assert ds.y.numpy()[ds.temperatures == 2.25].tolist() == [1, 1]  # 2.25 < T_c ≈ 2.269
    assert ds.y.numpy()[ds.temperatures == 2.5].tolist() == [0, 0]
    assert len(ds) == 32 and ds.L == 4


def test_low_temperature_is_ordered_high_is_not(tmp_path):
    ds = ising(L=8, temperatures=[0.25, 50.0], samples_per_T=64, cache_dir=tmp_path)
    m = ds.x.numpy().mean(axis=(1, 2, 3))
    cold = m[ds.temperatures == 0.25]
    assert np.all(np.abs(cold) == 1.0)  # e^(−8/0.25): no excitations
    # ...yet both ground states appear: here every cluster is the whole lattice, so with a fixed
    # number of cluster flips per step the sign would be the same in every kept sample.
    assert 0.25 < (cold > 0).mean() < 0.75
    assert np.abs(m[ds.temperatures == 50.0]).mean() < 0.3


def test_cache_returns_identical_data_and_is_keyed(tmp_path):
    calls = []
    a = ising(L=6, temperatures=[1.0, 3.0], samples_per_T=5, seed=3, cache_dir=tmp_path)
    files = list(tmp_path.glob("*.npz"))
    assert len(files) == 1
    b = ising(
        L=6,
        temperatures=[1.0, 3.0],
        samples_per_T=5,
        seed=3,
        cache_dir=tmp_path,
        progress=lambda d, t: calls.append((d, t)),
    )
    np.testing.assert_array_equal(a.x.numpy(), b.x.numpy())
    np.testing.assert_array_equal(a.temperatures, b.temperatures)
    assert calls == [(1, 1)]  # from the cache: one "done" call, no Monte Carlo
    # Any parameter change is a different entry, with different data for a different seed.
    c = ising(L=6, temperatures=[1.0, 3.0], samples_per_T=5, seed=4, cache_dir=tmp_path)
    ising(L=6, temperatures=[1.0, 3.5], samples_per_T=5, seed=3, cache_dir=tmp_path)
    ising(L=6, temperatures=[1.0, 3.0], samples_per_T=6, seed=3, cache_dir=tmp_path)
    ising(L=8, temperatures=[1.0, 3.0], samples_per_T=5, seed=3, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 5
    assert not np.array_equal(a.x.numpy(), c.x.numpy())
    # No cache: the same arguments give the same data (seeded), nothing is written.
    d = ising(
        L=6,
        temperatures=[1.0, 3.0],
        samples_per_T=5,
        seed=3,
        cache=False,
        cache_dir=tmp_path / "unused",
    )
    np.testing.assert_array_equal(a.x.numpy(), d.x.numpy())
    assert not (tmp_path / "unused").exists()


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_CNN_CACHE", str(tmp_path / "env"))
    ising(L=4, temperatures=[2.0], samples_per_T=2)
    assert len(list((tmp_path / "env").glob("ising_*.npz"))) == 1


def test_corrupt_cache_is_regenerated(tmp_path):
    kw = dict(L=6, temperatures=[1.0, 3.0], samples_per_T=5, seed=3, cache_dir=tmp_path)
    a = ising(**kw)
    (path,) = tmp_path.glob("*.npz")
    path.write_bytes(b"PK\x03\x04 garbage")
    calls = []
    b = ising(**kw, progress=lambda d, t: calls.append((d, t)))
    np.testing.assert_array_equal(a.x.numpy(), b.x.numpy())
    assert len(calls) > 1 and calls[-1][0] == calls[-1][1]  # really regenerated, reported
    assert np.load(path, allow_pickle=False)["spins"].shape == (10, 6, 6)  # rewritten
    # A valid .npz of the wrong shape is not trusted either.
    np.savez(path, spins=np.ones((3, 6, 6), np.int8), temperatures=np.ones(3), key=np.zeros(1))
    c = ising(**kw)
    np.testing.assert_array_equal(a.x.numpy(), c.x.numpy())


def test_progress_reports_monotone_to_total(tmp_path):
    calls = []
    ising(
        L=4,
        temperatures=[2.0],
        samples_per_T=3,
        cache=False,
        progress=lambda d, t: calls.append((d, t)),
    )
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == calls[-1][1] and len(set(t for _, t in calls)) == 1


def test_odd_lattice_colouring_is_proper():
    for L in (2, 3, 4, 5, 7):
        masks = _colour_masks(L)
        colour = sum(k * m for k, m in enumerate(masks))
        assert np.all(sum(masks) == 1)  # a partition
        for axis in (0, 1):
            assert np.all(colour != np.roll(colour, 1, axis=axis)) or L == 1


@pytest.mark.parametrize("L", [2, 3, 5, 16])
def test_periodic_shift_is_roll(L):
    x = np.random.default_rng(L).integers(0, 3, size=(4, L, L)).astype(np.int8)
    for axis in (1, 2):
        for step in (1, -1):
            out = _shift(x, np.empty_like(x), axis, step)
            np.testing.assert_array_equal(out, np.roll(x, step, axis=axis))


def test_odd_lattice_physics(tmp_path):
    ds = ising(L=9, temperatures=[1.0, 4.0], samples_per_T=64, cache=False)
    e = energy_per_spin(ds.x.numpy()[:, 0])
    for T in (1.0, 4.0):
        et = e[ds.temperatures == T]
        assert abs(et.mean() - onsager_energy(T)) < 4 * et.std() / math.sqrt(len(et)) + 0.02


def test_bad_arguments():
    with pytest.raises(ValueError, match="L must"):
        ising(L=1)
    with pytest.raises(ValueError, match="temperatures"):
        ising(temperatures=[1.0, -1.0])
    with pytest.raises(ValueError, match="samples_per_T"):
        ising(samples_per_T=0)


def test_loader_over_ising(phys):
    loader = DataLoader(phys, batch_size=100, shuffle=True, seed=0)
    xb, yb = next(iter(loader))
    assert xb.shape == (100, 1, PHYS_L, PHYS_L) and yb.dtype == np.int64
