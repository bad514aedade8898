"""gaussian_random_fields: shapes, seeds, the cache, the normalisation, and the power spectrum
measured from the fields against k^(−n_s), with tolerances from the number of modes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_cnn.data import RandomFieldDataset, gaussian_random_fields
from tinygrad_cnn.data import random_fields as rf_module
from tinygrad_cnn.data.random_fields import wavenumbers

EULER_GAMMA = 0.5772156649015329


def _independent_modes(L: int) -> np.ndarray:
    """Mask (L, L) of one mode of each pair (k, −k), leaving out k = 0 and the Nyquist rows and
    columns, so that the kept modes are independent complex Gaussians."""
    k = np.fft.fftfreq(L, d=1.0 / L)
    kx, ky = k[:, None], k[None, :]
    half = (ky > 0) | ((ky == 0) & (kx > 0))
    return half & (np.abs(kx) < L / 2) & (np.abs(ky) < L / 2)


def _mode_power(fields: np.ndarray) -> np.ndarray:
    """|F_k|² / L² of each field (N, L, L): the estimate of P(|k|) from one mode."""
    L = fields.shape[-1]
    return np.abs(np.fft.fft2(fields)) ** 2 / L**2


def _log_fit(power: np.ndarray, k: np.ndarray):
    """Least-squares line through (ln k, ln power) over many independent modes.

    For each mode ln(|F|²/L²) = ln P(k) + ln e with e ~ Exp(1), whose mean is −γ and variance
    π²/6 — the same for every mode, so ordinary least squares is the right fit, its slope is
    unbiased and its variance is (π²/6) / Σ (ln k − mean)².
    """
    x, y = np.log(k), np.log(power)
    xm = x.mean()
    sxx = np.sum((x - xm) ** 2)
    slope = np.sum((x - xm) * (y - y.mean())) / sxx
    intercept = y.mean() - slope * xm
    var_e = math.pi**2 / 6
    return slope, math.sqrt(var_e / sxx), intercept, math.sqrt(var_e * (1 / len(x) + xm**2 / sxx))


@pytest.mark.parametrize("n_s", [0.0, 1.5, 3.0])
def test_power_spectrum_slope_and_amplitude(n_s):
    L, n = 64, 48
    ds = gaussian_random_fields(n, L, n_s, normalize=False, seed=2, cache=False)
    assert np.all(ds.n_s == n_s)
    mask = _independent_modes(L)
    k = np.broadcast_to(wavenumbers(L)[mask], (n, mask.sum())).ravel()
    power = _mode_power(ds.x.numpy()[:, 0].astype(np.float64))[:, mask].ravel()
    slope, s_slope, intercept, s_icpt = _log_fit(power, k)
    # P(k) = k^(−n_s) exactly: slope −n_s and intercept ln 1 + E[ln e] = −γ, within 4σ
    assert abs(slope + n_s) < 4 * s_slope, (slope, s_slope)
    assert abs(intercept + EULER_GAMMA) < 4 * s_icpt, (intercept, s_icpt)
    assert s_slope < 0.02  # the test has power: 4σ is a tight band


def test_radially_averaged_spectrum_follows_the_power_law():
    """Shell averages of |F|²/L² against the model averaged over the same modes: with N
    independent modes of powers P_i in a shell (over all fields), the average of P_i·e_i has
    relative variance Σ P_i² / (Σ P_i)²; the pulls are close to unit Gaussians."""
    L, n, n_s = 48, 40, 2.2
    ds = gaussian_random_fields(n, L, n_s, normalize=False, seed=5, cache=False)
    mask = _independent_modes(L)
    k = wavenumbers(L)[mask]
    power = _mode_power(ds.x.numpy()[:, 0].astype(np.float64))[:, mask]  # (n, modes)
    shell = np.rint(k).astype(int)
    pulls, k_shell, p_shell, p_model, sd_shell = [], [], [], [], []
    for j in range(1, L // 2):
        sel = shell == j
        model = np.tile(k[sel] ** -n_s, n)
        measured = power[:, sel].ravel()
        rel_sd = math.sqrt(np.sum(model**2)) / np.sum(model)
        pulls.append((measured.sum() / model.sum() - 1) / rel_sd)
        k_shell.append(k[sel].mean())
        p_shell.append(measured.mean())
        p_model.append(model.mean())
        sd_shell.append(rel_sd)  # also the standard deviation of ln(shell average)
    pulls = np.array(pulls)
    dof = len(pulls)
    assert np.max(np.abs(pulls)) < 4.5, pulls
    assert np.sum(pulls**2) < dof + 5 * math.sqrt(2 * dof), np.sum(pulls**2)
    # The slope of the radially averaged spectrum in log-log, by weighted least squares with
    # the shells' sampling errors, against the slope of the model averaged over the same
    # shells (which differs from −n_s by the shells' widths) and against −n_s itself.
    x, w = np.log(k_shell), 1 / np.array(sd_shell) ** 2
    xm = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)

    def slope(y):
        return np.sum(w * (x - xm) * y) / sxx

    measured_slope, expected_slope = slope(np.log(p_shell)), slope(np.log(p_model))
    assert abs(measured_slope - expected_slope) < 4 / math.sqrt(sxx), (measured_slope, sxx)
    assert abs(expected_slope + n_s) < 0.02  # the shell-width bias is small


def test_each_field_carries_its_own_index():
    L, n = 64, 24
    ds = gaussian_random_fields(n, L, (1.0, 3.0), normalize=True, seed=9, cache=False)
    assert np.all((ds.n_s >= 1.0) & (ds.n_s <= 3.0)) and np.std(ds.n_s) > 0.3
    np.testing.assert_array_equal(ds.y.numpy(), ds.n_s.astype(np.float32))
    mask = _independent_modes(L)
    k = wavenumbers(L)[mask]
    power = _mode_power(ds.x.numpy()[:, 0].astype(np.float64))[:, mask]
    for i in range(n):  # normalising changes the amplitude, never the slope
        slope, s_slope, _, _ = _log_fit(power[i], k)
        assert abs(slope + ds.n_s[i]) < 4.5 * s_slope, (i, slope, ds.n_s[i], s_slope)


def test_shapes_dtypes_and_normalisation(tmp_path):
    ds = gaussian_random_fields(10, 16, seed=1, cache_dir=tmp_path)
    assert isinstance(ds, RandomFieldDataset) and len(ds) == 10 and ds.L == 16
    assert ds.x.shape == (10, 1, 16, 16) and ds.x.dtype == np.float32
    assert ds.y.shape == (10,) and ds.y.dtype == np.float32 and ds.n_s.dtype == np.float64
    x = ds.x.numpy().astype(np.float64)
    np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(x.std(axis=(1, 2, 3)), 1, rtol=1e-5)
    raw = gaussian_random_fields(10, 16, 2.0, normalize=False, cache=False).x.numpy()
    np.testing.assert_allclose(raw.mean(axis=(1, 2, 3)), 0, atol=1e-6)
    expected_var = np.sum(np.where(wavenumbers(16) > 0, wavenumbers(16), np.inf) ** -2.0) / 256
    assert 0.3 * expected_var < raw.var(axis=(1, 2, 3)).mean() < 3 * expected_var
    odd = gaussian_random_fields(3, 15, 1.0, cache=False)
    assert odd.x.shape == (3, 1, 15, 15)
    xi, yi = ds[0]
    assert xi.shape == (1, 16, 16) and yi.shape == ()


def test_callable_spectrum():
    L, n = 48, 40
    ds = gaussian_random_fields(n, L, power_spectrum=lambda k: np.exp(-k / 6.0), normalize=False)
    assert ds.n_s is None and len(ds[0]) == 1
    with pytest.raises(AttributeError, match="no n_s"):
        _ = ds.y
    mask = _independent_modes(L)
    k = wavenumbers(L)[mask]
    power = _mode_power(ds.x.numpy()[:, 0].astype(np.float64))[:, mask]
    # ln(|F|²/L²) = −k/6 + ln e: the slope against k (not ln k) is −1/6
    x, y = np.tile(k, n), np.log(power.ravel())
    slope = np.polyfit(x, y, 1)[0]
    s_slope = math.sqrt(math.pi**2 / 6 / np.sum((x - x.mean()) ** 2))
    assert abs(slope + 1 / 6) < 4 * s_slope
    with pytest.raises(ValueError, match="power_spectrum\\(k\\) must return finite values"):
        gaussian_random_fields(2, 8, power_spectrum=lambda k: -k)
    with pytest.raises(ValueError, match="of k's shape"):
        gaussian_random_fields(2, 8, power_spectrum=lambda k: 1.0)


def test_seeds_and_cache(tmp_path, monkeypatch):
    a = gaussian_random_fields(6, 16, seed=3, cache_dir=tmp_path)
    (path,) = tmp_path.glob("grf_*.npz")
    real = rf_module._draw
    monkeypatch.setattr(rf_module, "_draw", lambda *a, **k: pytest.fail("drawn although cached"))
    b = gaussian_random_fields(6, 16, seed=3, cache_dir=tmp_path)
    np.testing.assert_array_equal(a.x.numpy(), b.x.numpy())
    np.testing.assert_array_equal(a.n_s, b.n_s)
    monkeypatch.setattr(rf_module, "_draw", real)
    c = gaussian_random_fields(6, 16, seed=4, cache_dir=tmp_path)
    assert not np.array_equal(a.x.numpy(), c.x.numpy())
    gaussian_random_fields(6, 16, (1.0, 2.0), seed=3, cache_dir=tmp_path)
    gaussian_random_fields(6, 16, seed=3, normalize=False, cache_dir=tmp_path)
    gaussian_random_fields(6, 20, seed=3, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("grf_*.npz"))) == 5
    path.write_bytes(b"not a zip file")
    d = gaussian_random_fields(6, 16, seed=3, cache_dir=tmp_path)
    np.testing.assert_array_equal(a.x.numpy(), d.x.numpy())
    e = gaussian_random_fields(6, 16, seed=3, cache=False, cache_dir=tmp_path / "unused")
    np.testing.assert_array_equal(a.x.numpy(), e.x.numpy())
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((0,), {}, ValueError, "n must be a positive int"),
        ((2, 3), {}, ValueError, "L must be an int ≥ 4"),
        ((2, 8.0), {}, ValueError, "L must be an int ≥ 4"),
        ((2, 8, (3.0, 1.0)), {}, ValueError, "n_s must be finite with low <= high"),
        ((2, 8, float("inf")), {}, ValueError, "n_s must be finite"),
        ((2, 8, "steep"), {}, ValueError, r"n_s must be a number or \(low, high\)"),
        ((2, 8), {"power_spectrum": 2.0}, TypeError, "power_spectrum must be callable"),
    ],
)
def test_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=f"gaussian_random_fields: {message}"):
        gaussian_random_fields(*args, **kwargs, cache=False)
