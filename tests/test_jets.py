"""jet_images: shapes, seeds and the cache, the physics the generator claims (the W mass peak,
the falling QCD mass spectrum, two prongs against one in τ₂₁) and the preprocessing."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_cnn.data import JetDataset, jet_images
from tinygrad_cnn.data import jets as jets_module
from tinygrad_cnn.data.jets import W_MASS, _pixelise, _preprocess, _two_means

N_PHYS = 4000


@pytest.fixture(scope="module")
def phys(tmp_path_factory) -> JetDataset:
    return jet_images(N_PHYS, seed=11, cache_dir=tmp_path_factory.mktemp("jets"))


def test_shapes_dtypes_labels(tmp_path):
    ds = jet_images(101, seed=0, cache_dir=tmp_path)
    assert isinstance(ds, JetDataset) and len(ds) == 101
    assert ds.x.shape == (101, 1, 25, 25) and ds.x.dtype == np.float32
    assert ds.y.shape == (101,) and ds.y.dtype == np.int64
    assert int(ds.y.numpy().sum()) == 50  # n // 2 W jets, the rest QCD
    assert set(np.unique(ds.y.numpy())) == {0, 1}
    assert 0 < ds.y.numpy()[:50].sum() < 50  # shuffled, not grouped
    for a in (ds.mass, ds.tau21, ds.pt):
        assert a.shape == (101,) and a.dtype == np.float64 and np.all(np.isfinite(a))
    assert np.all(ds.x.numpy() >= 0) and ds.window == 1.25
    assert np.all((ds.tau21 > 0) & (ds.tau21 <= 1))
    x0, y0 = ds[0]
    assert x0.shape == (1, 25, 25) and int(y0.item()) in (0, 1)
    small = jet_images(10, image_size=15, window=0.75, preprocess=False, cache=False)
    assert small.x.shape == (10, 1, 15, 15) and small.window == 0.75


def test_pixels_hold_the_constituent_pt(phys):
    # every constituent lies within R = 1 of the jet axis; the image window is 1.25 around the
    # leading subjet, so most of the jet's p_T is drawn, never more than all of it
    drawn = phys.x.numpy().sum(axis=(1, 2, 3))
    assert np.all(drawn <= phys.pt * (1 + 1e-5))
    assert np.median(drawn / phys.pt) > 0.97
    assert np.all((phys.pt > 200) & (phys.pt < 300 * (1 + 1e-9)))


def test_same_seed_same_jets_other_seed_other_jets(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_CNN_CACHE", str(tmp_path))
    a = jet_images(60, seed=3, cache=False)
    b = jet_images(60, seed=3, cache=False)
    c = jet_images(60, seed=4, cache=False)
    np.testing.assert_array_equal(a.x.numpy(), b.x.numpy())
    np.testing.assert_array_equal(a.mass, b.mass)
    assert not np.array_equal(a.x.numpy(), c.x.numpy())
    assert list(tmp_path.iterdir()) == []  # cache=False writes nothing


def test_cache_is_read_keyed_and_regenerated(tmp_path, monkeypatch):
    a = jet_images(40, seed=5, cache_dir=tmp_path)
    (path,) = tmp_path.glob("jets_*.npz")
    real = jets_module._generate

    def forbidden(**kw):
        raise AssertionError("generated although cached")

    monkeypatch.setattr(jets_module, "_generate", forbidden)
    b = jet_images(40, seed=5, cache_dir=tmp_path)  # read from the file
    np.testing.assert_array_equal(a.x.numpy(), b.x.numpy())
    np.testing.assert_array_equal(a.tau21, b.tau21)
    monkeypatch.setattr(jets_module, "_generate", real)
    jet_images(40, seed=6, cache_dir=tmp_path)
    jet_images(40, seed=5, alpha_s=0.1, cache_dir=tmp_path)
    jet_images(40, seed=5, preprocess=False, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("jets_*.npz"))) == 4
    path.write_bytes(b"PK\x03\x04 garbage")
    c = jet_images(40, seed=5, cache_dir=tmp_path)
    np.testing.assert_array_equal(a.x.numpy(), c.x.numpy())
    assert np.load(path)["images"].shape == (40, 1, 25, 25)  # rewritten


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_CNN_CACHE", str(tmp_path / "env"))
    jet_images(8)
    assert len(list((tmp_path / "env").glob("jets_*.npz"))) == 1


def test_w_mass_peaks_at_the_w_mass(phys):
    m = phys.mass[phys.y.numpy() == 1]
    assert 70 < np.median(m) < 90
    counts, edges = np.histogram(m, bins=np.arange(0, 200, 5))
    mode = edges[counts.argmax()] + 2.5
    assert abs(mode - W_MASS) < 10, mode
    assert np.mean(np.abs(m - W_MASS) < 10) > 0.6  # a peak, not a broad bump


def test_qcd_mass_spectrum_falls(phys):
    m = phys.mass[phys.y.numpy() == 0]
    assert np.median(m) < 60
    counts, _ = np.histogram(m, bins=np.arange(40, 180, 20))  # 40–60, 60–80, ..., 160–180
    # each bin holds fewer jets than the one before, by more than 2σ of their difference
    diff = counts[:-1] - counts[1:]
    assert np.all(diff > 2 * np.sqrt(counts[:-1] + counts[1:])), counts


def test_two_prongs_have_lower_tau21(phys):
    y = phys.y.numpy()
    w, qcd = np.median(phys.tau21[y == 1]), np.median(phys.tau21[y == 0])
    assert w + 0.15 < qcd, (w, qcd)
    # the separation of W jets follows ΔR ≈ m / (p_T √(z(1 − z))): for z = ½, 2m/p_T ≈ 0.6,
    # so the mean W image has its second prong about 6 cells below the centre
    img = phys.x.numpy()[y == 1, 0].mean(axis=0)
    below = img[13:, 12]
    assert 3 <= 1 + int(below.argmax()) <= 9


def test_preprocessed_images_put_the_subjets_in_place(phys):
    # find the two subjets again, now from the pixels (cell centres as constituents)
    x = phys.x.numpy()[:, 0]
    n = len(x)
    centres = (np.arange(25) - 12) * 0.1
    X = np.stack(np.meshgrid(centres, centres, indexing="ij"), axis=-1).reshape(1, 625, 2)
    axes = _two_means(x.reshape(n, 625).astype(np.float64), np.repeat(X, n, axis=0))
    half_cell = 0.05
    # the leading subjet in the centre pixel
    assert np.mean(np.all(np.abs(axes[:, 0]) < half_cell, axis=1)) > 0.93
    # the second subjet of the two-prong jets straight below it, in the centre column
    second = axes[phys.y.numpy() == 1, 1]
    assert np.mean((np.abs(second[:, 1]) < half_cell) & (second[:, 0] > 0)) > 0.93
    # the harder half on the right
    right, left = x[:, :, 13:].sum(axis=(1, 2)), x[:, :, :12].sum(axis=(1, 2))
    assert np.mean(right >= left) > 0.95  # not always: the window cuts off some constituents
    # without preprocessing the second prong points anywhere
    raw = jet_images(400, seed=11, preprocess=False, cache=False)
    w = raw.x.numpy()[raw.y.numpy() == 1, 0]
    assert w[:, 13:, 12].sum() < 0.5 * w[:, 13:, :].sum()


def test_preprocess_steps_on_a_known_jet():
    rng = np.random.default_rng(0)
    for _ in range(20):
        lead = rng.uniform(-0.3, 0.3, 2)
        angle = rng.uniform(0, 2 * np.pi)
        second = lead + 0.5 * np.array([np.cos(angle), np.sin(angle)])
        side = lead + 0.3 * np.array([np.cos(angle + 1.2), np.sin(angle + 1.2)])
        P = np.array([[120.0, 60.0, 4.0]])
        X = np.stack([lead, second, side])[None]
        axes = np.stack([lead, second])[None]
        Y = _preprocess(P, X, axes, 0.05)
        np.testing.assert_allclose(Y[0, 0], [0, 0], atol=1e-12)
        np.testing.assert_allclose(Y[0, 1], [0.5, 0], atol=1e-12)  # straight below, +η
        assert Y[0, 2, 1] > 0  # the third constituent on the right (φ > 0)
        img = _pixelise(P, Y, 25, 1.25)[0, 0]
        assert img[12, 12] == pytest.approx(120) and img[17, 12] == pytest.approx(60)


def test_two_means_finds_two_clusters():
    rng = np.random.default_rng(1)
    a, b = np.array([0.1, -0.2]), np.array([-0.4, 0.3])
    X = np.concatenate([a + 0.02 * rng.normal(size=(6, 2)), b + 0.02 * rng.normal(size=(5, 2))])
    P = np.concatenate([rng.uniform(5, 20, 6), rng.uniform(1, 3, 5)])
    axes = _two_means(P[None], X[None])[0]
    np.testing.assert_allclose(axes[0], (P[:6, None] * X[:6]).sum(0) / P[:6].sum())
    np.testing.assert_allclose(axes[1], (P[6:, None] * X[6:]).sum(0) / P[6:].sum())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=1), "n must be an int ≥ 2"),
        (dict(n=2.5), "n must be an int ≥ 2"),
        (dict(n=10, image_size=24), "image_size must be a positive odd int when preprocess=True"),
        (dict(n=10, pt_range=(100, 120)), "pt_range must satisfy"),
        (dict(n=10, pt_range=(300, 250)), "pt_range must satisfy"),
        (dict(n=10, pt_range=300), r"pt_range must be \(low, high\)"),
        (dict(n=10, R=-1.0), "R must be a finite number > 0"),
        (dict(n=10, window=float("nan")), "window must be a finite number > 0"),
        (dict(n=10, alpha_s=0.6), r"alpha_s \(at m_Z\) must be < 0.5"),
        (dict(n=10, theta_min=2.0), "theta_min must be < R"),
        (dict(n=10, quark_fraction=1.5), r"quark_fraction must be in \[0, 1\]"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"jet_images: {message}"):
        jet_images(**kwargs, cache=False)
    with pytest.raises(TypeError, match="jet_images: image_size must be an int"):
        jet_images(10, image_size=25.0, cache=False)
