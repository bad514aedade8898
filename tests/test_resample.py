"""F.interpolate and nn.Upsample: forward against per-pixel NumPy formulas and against PyTorch
(every mode, sizes and non-integer scale factors, recompute_scale_factor, align_corners),
gradients at first and second order in float64, the layers' repr, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck

try:
    import torch
except ImportError:  # pragma: no cover - the reference is optional
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

seeds = st.integers(0, 2**32 - 1)
factors = st.sampled_from([0.5, 0.7, 1.0, 4 / 3, 1.5, 2.0, 2.5, 3.0, 1 / 3, 1.37])


def T(a):
    return torch.tensor(np.ascontiguousarray(a))


def reference_linear_1d(x, o, align_corners):
    """Two-tap linear resampling of the last axis to length o (output size given), float64."""
    n = x.shape[-1]
    out = np.zeros(x.shape[:-1] + (o,))
    for i in range(o):
        if align_corners:
            src = i * (n - 1) / (o - 1) if o > 1 else 0.0
        else:
            src = max((i + 0.5) * n / o - 0.5, 0.0)
        i0 = min(int(src), n - 1)
        i1 = min(i0 + 1, n - 1)
        lam = src - i0
        out[..., i] = (1 - lam) * x[..., i0] + lam * x[..., i1]
    return out


@given(
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 9), st.integers(1, 9)),
    st.booleans(),
    seeds,
)
def test_bilinear_matches_per_pixel_formula(sizes, align_corners, seed):
    H, W, OH, OW = sizes
    x = np.random.default_rng(seed).standard_normal((2, 3, H, W))
    out = F.interpolate(tg.Tensor(x), (OH, OW), mode="bilinear", align_corners=align_corners)
    rows = reference_linear_1d(np.swapaxes(x, 2, 3), OH, align_corners)  # (N, C, W, OH)
    ref = reference_linear_1d(np.swapaxes(rows, 2, 3), OW, align_corners)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), seeds)
def test_nearest_integer_factors_repeat_pixels(H, W, kh, kw, seed):
    x = np.random.default_rng(seed).standard_normal((1, 2, H, W))
    out = F.interpolate(tg.Tensor(x), scale_factor=(kh, kw))
    np.testing.assert_array_equal(out.numpy(), x.repeat(kh, axis=2).repeat(kw, axis=3))
    line = F.interpolate(tg.Tensor(x[:, :, 0]), size=W * kw)
    np.testing.assert_array_equal(line.numpy(), x[:, :, 0].repeat(kw, axis=2))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), seeds)
def test_area_mode_is_block_average(OH, OW, kh, kw, seed):
    x = np.random.default_rng(seed).standard_normal((2, 1, OH * kh, OW * kw))
    out = F.interpolate(tg.Tensor(x), size=(OH, OW), mode="area")
    ref = x.reshape(2, 1, OH, kh, OW, kw).mean(axis=(3, 5))
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-14)


@needs_torch
@given(
    st.sampled_from(
        [("nearest", None), ("nearest-exact", None), ("area", None)]
        + [("bilinear", False), ("bilinear", True)]
    ),
    st.tuples(st.integers(1, 7), st.integers(1, 7)),
    st.one_of(
        st.tuples(st.integers(1, 11), st.integers(1, 11)).map(lambda s: dict(size=s)),
        st.tuples(factors, factors, st.sampled_from([None, False, True])).map(
            lambda t: dict(scale_factor=(t[0], t[1]), recompute_scale_factor=t[2])
        ),
    ),
    st.sampled_from([np.float64, np.float32]),
    seeds,
)
def test_interpolate_2d_matches_torch(mode_ac, hw, how, dtype, seed):
    mode, align_corners = mode_ac
    if "scale_factor" in how and min(int(n * f) for n, f in zip(hw, how["scale_factor"])) < 1:
        return  # an empty output: PyTorch refuses too (tested in the errors)
    x = np.random.default_rng(seed).standard_normal((2, 3, *hw)).astype(dtype)
    out = F.interpolate(tg.Tensor(x), mode=mode, align_corners=align_corners, **how)
    ref = torch.nn.functional.interpolate(T(x), mode=mode, align_corners=align_corners, **how)
    assert out.dtype == dtype and out.shape == tuple(ref.shape)
    if mode.startswith("nearest"):  # the same source pixel for every output pixel
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    else:
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=tol, atol=tol)


@needs_torch
@given(
    st.sampled_from([("linear", 3), ("nearest", 3), ("trilinear", 5), ("nearest", 5)]),
    st.booleans(),
    factors,
    seeds,
)
def test_interpolate_1d_and_3d_match_torch_with_gradients(mode_dims, corners, factor, seed):
    mode, ndim = mode_dims
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2) + (4,) * (ndim - 2))
    kw = dict(scale_factor=factor, mode=mode)
    if mode != "nearest":
        kw["align_corners"] = corners
    xt, xr = tg.Tensor(x, requires_grad=True), T(x).requires_grad_()
    out, ref = F.interpolate(xt, **kw), torch.nn.functional.interpolate(xr, **kw)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-13)
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(tg.Tensor(g))
    ref.backward(T(g))
    np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), atol=1e-12)


@given(
    st.sampled_from(
        [("nearest", None), ("nearest-exact", None), ("area", None)]
        + [("bilinear", False), ("bilinear", True)]
    ),
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 6), st.integers(1, 6)),
    seeds,
)
def test_interpolate_gradients_to_second_order(mode_ac, sizes, seed):
    mode, align_corners = mode_ac
    H, W, OH, OW = sizes
    x = tg.Tensor(np.random.default_rng(seed).standard_normal((1, 2, H, W)), requires_grad=True)

    def fn(x):
        return F.interpolate(x, (OH, OW), mode=mode, align_corners=align_corners)

    assert gradcheck(fn, [x])
    assert gradgradcheck(lambda x: fn(x) ** 2, [x])


def test_upsample_layers():
    x = tg.Tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(
        nn.Upsample(scale_factor=2)(x).numpy()[0, 0],
        [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]],
    )
    corners = nn.UpsamplingBilinear2d(size=3)(x).numpy()[0, 0]
    np.testing.assert_allclose(corners, [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    assert nn.UpsamplingNearest2d(size=(3, 5))(x).shape == (1, 1, 3, 5)
    m = nn.Upsample(scale_factor=(2, 1.5))
    assert m.scale_factor == (2.0, 1.5) and m.size is None and m.align_corners is None


@needs_torch
def test_upsample_reprs_match_torch():
    cases = [
        ("Upsample", dict(scale_factor=2)),
        ("Upsample", dict(size=(3, 4), mode="bilinear", align_corners=True)),
        ("Upsample", dict(scale_factor=(2, 1.5))),
        ("Upsample", dict(size=5, mode="linear")),
        ("UpsamplingBilinear2d", dict(scale_factor=2)),
        ("UpsamplingNearest2d", dict(size=3)),
    ]
    for name, kwargs in cases:
        assert repr(getattr(nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_interpolate_errors():
    x = tg.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"only one of size or scale_factor"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match=r"either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"recompute_scale_factor is not meaningful"):
        F.interpolate(x, size=8, recompute_scale_factor=True)
    with pytest.raises(ValueError, match=r"same number of spatial dimensions"):
        F.interpolate(x, size=(2, 2, 2))
    with pytest.raises(TypeError, match=r"interpolate: size must be an int or a tuple of ints"):
        F.interpolate(x, size=(2.5, 2))
    with pytest.raises(NotImplementedError, match=r"got 4-D input, but linear mode needs 3-D"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match=r"interpolate: mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match=r"only 3-D, 4-D and 5-D inputs .* \(got 2-D\)"):
        F.interpolate(tg.zeros(4, 4), scale_factor=2)
    with pytest.raises(RuntimeError, match=r"output sizes must be positive"):
        F.interpolate(x, scale_factor=0.2)
    with pytest.raises(NotImplementedError, match=r"antialias=True is not supported"):
        F.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)


def test_scale_factor_rule_versus_recomputed_ratio():
    # 4 → floor(4·1.37) = 5 pixels; the factor's rule picks floor(i / 1.37), the recomputed
    # ratio floor(i · 4/5): they differ at the last pixel
    x = tg.Tensor(np.arange(4.0).reshape(1, 1, 4))
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=1.37).numpy(), [[[0, 0, 1, 2, 2]]])
    again = F.interpolate(x, scale_factor=1.37, recompute_scale_factor=True)
    np.testing.assert_array_equal(again.numpy(), [[[0, 0, 1, 2, 3]]])
    # linear: source positions (i + ½)/1.37 − ½ against (i + ½)·0.8 − ½
    lin = F.interpolate(x, scale_factor=1.37, mode="linear").numpy()[0, 0]
    src = np.clip((np.arange(5) + 0.5) / 1.37 - 0.5, 0, 3)
    np.testing.assert_allclose(lin, src, atol=1e-12)
