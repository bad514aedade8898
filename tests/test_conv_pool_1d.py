"""1-D convolution and pooling, adaptive max pooling and max-unpooling: forward against NumPy
loops and PyTorch (where installed), gradients at first and second order in float64, the
layers' defaults, initialisation and repr, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.cnn_strategies import (
    conv_settings,
    conv_transpose_settings,
    pool_settings,
    tie_free_images,
)

try:
    import torch
except ImportError:  # pragma: no cover - the reference is optional
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

seeds = st.integers(0, 2**32 - 1)


def T(a):
    return torch.tensor(np.ascontiguousarray(a))


def conv1d_case(s):
    """The width axis of 2-D conv settings as a 1-D convolution."""
    return dict(
        x=(s.N, s.C, s.W),
        w=(s.OC, s.C // s.groups, s.KW),
        kw=dict(stride=s.stride[1], padding=s.padding[1], dilation=s.dilation[1], groups=s.groups),
    )


def reference_conv1d(x, w, b, stride, padding, dilation, groups):
    N, C, L = x.shape
    OC, Cg, K = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    OL = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1
    out = np.zeros((N, OC, OL))
    per = OC // groups
    for o in range(OC):
        g = o // per
        for t in range(OL):
            taps = xp[:, g * Cg : (g + 1) * Cg, t * stride : t * stride + dilation * K : dilation]
            out[:, o, t] = np.einsum("nck,ck->n", taps, w[o])
    return out + (0 if b is None else b[:, None])


# ----------------------------------------------------------------------------- conv1d
@given(conv_settings(), seeds, st.booleans())
def test_conv1d_matches_direct_loop(s, seed, bias):
    rng = np.random.default_rng(seed)
    c = conv1d_case(s)
    x, w = rng.standard_normal(c["x"]), rng.standard_normal(c["w"])
    b = rng.standard_normal(s.OC) if bias else None
    out = F.conv1d(tg.Tensor(x), tg.Tensor(w), None if b is None else tg.Tensor(b), **c["kw"])
    np.testing.assert_allclose(out.numpy(), reference_conv1d(x, w, b, **c["kw"]), atol=1e-12)


@given(conv_settings(max_channels=2, max_size=5), seeds)
def test_conv1d_gradients_to_second_order(s, seed):
    rng = np.random.default_rng(seed)
    c = conv1d_case(s)
    x = tg.Tensor(rng.standard_normal(c["x"]), requires_grad=True)
    w = tg.Tensor(rng.standard_normal(c["w"]), requires_grad=True)
    b = tg.Tensor(rng.standard_normal(s.OC), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, **c["kw"]), [x, w, b])
    assert gradgradcheck(lambda x, w, b: F.conv1d(x, w, b, **c["kw"]), [x, w, b])


@needs_torch
@given(conv_transpose_settings(max_channels=2, max_size=5), seeds)
def test_conv_transpose1d_matches_torch_with_gradients(s, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((s.N, s.C, s.W))
    w = rng.standard_normal((s.C, s.OC // s.groups, s.KW))
    b = rng.standard_normal(s.OC)
    kw = dict(
        stride=s.stride[1],
        padding=s.padding[1],
        output_padding=s.output_padding[1],
        groups=s.groups,
        dilation=s.dilation[1],
    )
    ours = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [T(a).requires_grad_() for a in (x, w, b)]
    out = F.conv_transpose1d(*ours, **kw)
    ref = torch.nn.functional.conv_transpose1d(*theirs, **kw)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(tg.Tensor(g))
    ref.backward(T(g))
    for a, r in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), atol=1e-12)
    assert gradgradcheck(lambda x, w: F.conv_transpose1d(x, w, **kw), ours[:2])


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel, dilation", [(1, 1), (2, 1), (3, 2), (4, 1)])
def test_conv1d_same_and_valid_padding_match_torch(kernel, dilation):
    rng = np.random.default_rng(kernel)
    x, w = rng.standard_normal((2, 3, 9)), rng.standard_normal((4, 3, kernel))
    for padding in ("same", "valid"):
        out = F.conv1d(tg.Tensor(x), tg.Tensor(w), padding=padding, dilation=dilation)
        ref = torch.nn.functional.conv1d(T(x), T(w), padding=padding, dilation=dilation)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-12)


def test_conv1d_unbatched_input():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 8)), rng.standard_normal((2, 3, 3))
    out = F.conv1d(tg.Tensor(x), tg.Tensor(w))
    assert out.shape == (2, 6)
    np.testing.assert_allclose(out.numpy(), reference_conv1d(x[None], w, None, 1, 0, 1, 1)[0])


def test_conv1d_errors():
    x, w = tg.zeros(1, 3, 8), tg.zeros(2, 3, 3)
    with pytest.raises(RuntimeError, match=r"conv1d: expected a 2-D \(C, L\) or 3-D"):
        F.conv1d(tg.zeros(1, 3, 8, 8), w)
    with pytest.raises(RuntimeError, match=r"conv1d: weight must be 3-D"):
        F.conv1d(x, tg.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv1d: input has 3 channels but weight expects 2"):
        F.conv1d(x, tg.zeros(2, 2, 3))
    with pytest.raises(RuntimeError, match=r"conv1d: kernel size 9 \(dilated\) is larger"):
        F.conv1d(x, w, dilation=4)
    with pytest.raises(ValueError, match=r"conv1d: padding='same' is not supported for strided"):
        F.conv1d(x, w, padding="same", stride=2)
    with pytest.raises(RuntimeError, match=r"conv1d: groups=2 must divide both the input"):
        F.conv1d(tg.zeros(1, 4, 8), tg.zeros(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match=r"conv1d: groups must be a positive int, got 0"):
        F.conv1d(x, w, groups=0)
    with pytest.raises(ValueError, match=r"conv1d: stride must be at least 1, got 0"):
        F.conv1d(x, w, stride=0)
    with pytest.raises(TypeError, match=r"conv1d: padding must be an int or a 1-tuple"):
        F.conv1d(x, w, padding=(1, 1))
    with pytest.raises(RuntimeError, match=r"conv_transpose1d: input has 3 channels but"):
        F.conv_transpose1d(x, tg.zeros(2, 3, 3))
    with pytest.raises(ValueError, match=r"conv_transpose1d: output_padding 2 must be smaller"):
        F.conv_transpose1d(x, tg.zeros(3, 2, 3), stride=2, output_padding=2)


# ----------------------------------------------------------------------------- 1-D pooling
def pool1d_case(s):
    """The width axis of 2-D pool settings as a 1-D pooling."""
    return (s.N, s.C, s.W), dict(
        kernel_size=s.kernel_size[1],
        stride=s.stride[1],
        padding=s.padding[1],
        ceil_mode=s.ceil_mode,
    )


def reference_pool1d(x, kernel_size, stride, padding, ceil_mode, dilation=1, kind="max"):
    """A direct loop; avg counts padding in the divisor (count_include_pad=True), with windows
    clipped to the padded input, as in PyTorch."""
    L = x.shape[2]
    span = dilation * (kernel_size - 1) + 1
    OL = tg.functional.conv_output_size(L, kernel_size, stride, padding, dilation, ceil_mode)
    out = np.zeros(x.shape[:2] + (OL,))
    for t in range(OL):
        pos = [t * stride - padding + a * dilation for a in range(kernel_size)]
        real = [p for p in pos if 0 <= p < L]
        if kind == "max":
            out[:, :, t] = x[:, :, real].max(axis=2)
        else:
            start = t * stride - padding
            size = min(start + span, L + padding) - start
            out[:, :, t] = x[:, :, real].sum(axis=2) / size
    return out


@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images((s.N, s.C, s.W)))))
def test_max_pool1d_values_indices_and_gradients(case):
    s, x = case
    _, kw = pool1d_case(s)
    kw["dilation"] = s.dilation[1]
    values, idx = F.max_pool1d(tg.Tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(values.numpy(), reference_pool1d(x, **kw))
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(np.take_along_axis(x, idx.numpy(), axis=2), values.numpy())
    xt = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool1d(x, **kw), [xt])
    assert gradgradcheck(lambda x: F.max_pool1d(x, **kw) ** 2, [xt])


@given(pool_settings(dilation=False), seeds)
def test_avg_pool1d_values_and_gradients(s, seed):
    shape, kw = pool1d_case(s)
    x = np.random.default_rng(seed).standard_normal(shape)
    out = F.avg_pool1d(tg.Tensor(x), **kw)
    np.testing.assert_allclose(out.numpy(), reference_pool1d(x, kind="avg", **kw), atol=1e-12)
    xt = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.avg_pool1d(x, **kw), [xt])
    assert gradgradcheck(lambda x: F.avg_pool1d(x, **kw) ** 2, [xt])


@needs_torch
@given(pool_settings(dilation=False), seeds, st.booleans())
def test_avg_pool1d_count_include_pad_matches_torch(s, seed, include):
    shape, kw = pool1d_case(s)
    x = np.random.default_rng(seed).standard_normal(shape)
    out = F.avg_pool1d(tg.Tensor(x), count_include_pad=include, **kw)
    ref = torch.nn.functional.avg_pool1d(T(x), count_include_pad=include, **kw)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-12)


def test_pool1d_unbatched_and_errors():
    x = tg.Tensor(np.arange(6.0).reshape(1, 6))
    np.testing.assert_array_equal(F.max_pool1d(x, 2).numpy(), [[1, 3, 5]])
    np.testing.assert_array_equal(F.avg_pool1d(x, 3).numpy(), [[1, 4]])
    with pytest.raises(ValueError, match=r"max_pool1d: padding 2 should be at most half"):
        F.max_pool1d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: kernel size 7 .* larger than the padded"):
        F.avg_pool1d(x, 7)
    with pytest.raises(RuntimeError, match=r"max_pool1d: expected a 2-D \(C, L\) or 3-D"):
        F.max_pool1d(tg.zeros(6), 2)


# ----------------------------------------------------------------------------- adaptive pooling
def reference_adaptive(x, out_size, reduce):
    """Direct loop over windows floor(i·n/o) .. ceil((i+1)·n/o) − 1 on the last len(out_size)
    axes."""
    hw = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for cell in np.ndindex(*out_size):
        box = tuple(
            slice((i * n) // o, -((-(i + 1) * n) // o))
            for i, n, o in zip(cell, hw, out_size, strict=True)
        )
        window = x[(slice(None), slice(None)) + box].reshape(x.shape[:2] + (-1,))
        out[(slice(None), slice(None)) + cell] = reduce(window, axis=2)
    return out


adaptive_2d = st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7), st.integers(1, 7))


@given(adaptive_2d.flatmap(lambda d: st.tuples(st.just(d), tie_free_images((2, 2, d[0], d[1])))))
def test_adaptive_max_pool2d_values_indices_gradients(case):
    (H, W, OH, OW), x = case
    values, idx = F.adaptive_max_pool2d(tg.Tensor(x), (OH, OW), return_indices=True)
    np.testing.assert_array_equal(values.numpy(), reference_adaptive(x, (OH, OW), np.max))
    flat = x.reshape(2, 2, -1)
    picked = np.take_along_axis(flat, idx.numpy().reshape(2, 2, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(values.shape), values.numpy())
    xt = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.adaptive_max_pool2d(x, (OH, OW)), [xt])
    assert gradgradcheck(lambda x: F.adaptive_max_pool2d(x, (OH, OW)) ** 2, [xt])


@given(st.tuples(st.integers(1, 9), st.integers(1, 9)), seeds)
def test_adaptive_pool1d_values_and_gradients(sizes, seed):
    L, OL = sizes
    rng = np.random.default_rng(seed)  # distinct values 1/(6L) apart: no ties
    x = rng.permutation(2 * 3 * L).reshape(2, 3, L) / (6.0 * L) + rng.uniform(0, 1e-3)
    mx, idx = F.adaptive_max_pool1d(tg.Tensor(x), OL, return_indices=True)
    np.testing.assert_array_equal(mx.numpy(), reference_adaptive(x, (OL,), np.max))
    np.testing.assert_array_equal(np.take_along_axis(x, idx.numpy(), axis=2), mx.numpy())
    avg = F.adaptive_avg_pool1d(tg.Tensor(x), OL)
    np.testing.assert_allclose(avg.numpy(), reference_adaptive(x, (OL,), np.mean), atol=1e-14)
    xt = tg.Tensor(x, requires_grad=True)
    for fn in (F.adaptive_max_pool1d, F.adaptive_avg_pool1d):
        assert gradcheck(lambda x, fn=fn: fn(x, OL), [xt])
        assert gradgradcheck(lambda x, fn=fn: fn(x, OL) ** 2, [xt])


@needs_torch
@given(adaptive_2d, seeds)
def test_adaptive_pooling_matches_torch(d, seed):
    H, W, OH, OW = d
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2, H, W))
    ours, our_idx = F.adaptive_max_pool2d(tg.Tensor(x), (OH, None), return_indices=True)
    ref, ref_idx = torch.nn.functional.adaptive_max_pool2d(T(x), (OH, None), return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    np.testing.assert_array_equal(our_idx.numpy(), ref_idx.numpy())
    x1 = x[:, :, 0]
    for ours_fn, ref_fn in (
        (F.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool1d),
        (F.adaptive_max_pool1d, torch.nn.functional.adaptive_max_pool1d),
    ):
        np.testing.assert_allclose(ours_fn(tg.Tensor(x1), OW).numpy(), ref_fn(T(x1), OW).numpy())


def test_adaptive_pool_errors():
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: output_size must be positive"):
        F.adaptive_max_pool2d(tg.zeros(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match=r"adaptive_max_pool2d: output_size must be an int or"):
        F.adaptive_max_pool2d(tg.zeros(1, 1, 4, 4), (1, 2, 3))
    with pytest.raises(TypeError, match=r"adaptive_avg_pool1d: output_size must be an int"):
        F.adaptive_avg_pool1d(tg.zeros(1, 1, 4), 1.5)
    with pytest.raises(RuntimeError, match=r"adaptive_max_pool1d: expected a 2-D"):
        F.adaptive_max_pool1d(tg.zeros(1, 1, 4, 4), 2)


# ----------------------------------------------------------------------------- layers
def test_conv1d_layer_defaults_init_and_shapes():
    tg.manual_seed(0)
    m = nn.Conv1d(4, 6, 3, groups=2)
    assert m.weight.shape == (6, 2, 3) and m.bias.shape == (6,)
    assert (m.kernel_size, m.stride, m.padding, m.dilation) == ((3,), (1,), (0,), (1,))
    bound = 1 / math.sqrt(2 * 3)  # kaiming-uniform with a=√5: U(−1/√fan_in, 1/√fan_in)
    assert 0.6 * bound < np.abs(m.weight.numpy()).max() <= bound
    assert np.abs(m.bias.numpy()).max() <= bound
    assert m(tg.randn(5, 4, 10)).shape == (5, 6, 8)
    assert m(tg.randn(4, 10)).shape == (6, 8)
    t = nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1, groups=2)
    assert t.weight.shape == (4, 3, 3)
    assert t(tg.randn(2, 4, 5)).shape == (2, 6, 12)
    with pytest.raises(RuntimeError, match=r"Conv1d: expected input \(N, 4, L\)"):
        m(tg.randn(2, 3, 10))


@needs_torch
def test_layer_reprs_match_torch():
    pairs = [
        ("Conv1d", (2, 4, 3), {}),
        ("Conv1d", (2, 4, 3), dict(stride=2, padding=1, padding_mode="reflect", bias=False)),
        ("Conv1d", (2, 4, 3), dict(padding="same", dilation=2, groups=2)),
        ("ConvTranspose1d", (2, 4, 3), dict(stride=2, output_padding=1)),
        ("MaxPool1d", (3,), {}),
        ("MaxPool1d", (3, 2, 1, 2, True, True), {}),
        ("AvgPool1d", (3,), {}),
        ("AvgPool1d", (3, 2, 1, True, False), {}),
        ("AdaptiveAvgPool1d", (3,), {}),
        ("AdaptiveMaxPool1d", (3, True), {}),
        ("AdaptiveMaxPool2d", ((3, None),), {}),
        ("AdaptiveMaxPool2d", (5,), {}),
        ("MaxUnpool2d", (2,), {}),
        ("MaxUnpool2d", ((2, 3), 1, 1), {}),
        ("MaxUnpool1d", (2,), {}),
        ("MaxUnpool1d", (2, 1, 1), {}),
        ("MaxPool2d", (2,), {}),
        ("MaxPool2d", (3,), dict(dilation=2, ceil_mode=True)),
        ("AvgPool2d", (3, 2, 1, True, False, 2), {}),
        ("Conv2d", (2, 4, 3), dict(padding=1, padding_mode="replicate")),
        ("Conv2d", (2, 4, 3), dict(padding="same", padding_mode="reflect")),
    ]
    for name, args, kwargs in pairs:
        ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
        assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [0, 2, "same", "valid"])
def test_conv_layers_padding_modes_match_torch(mode, padding):
    rng = np.random.default_rng(1)
    for ours, theirs, shape in (
        (nn.Conv1d(2, 3, 4, padding=padding, padding_mode=mode),
         torch.nn.Conv1d(2, 3, 4, padding=padding, padding_mode=mode), (2, 2, 7)),
        (nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode),
         torch.nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode), (2, 2, 6, 7)),
    ):  # fmt: skip
        ours = ours.double()
        theirs = theirs.double()
        with torch.no_grad():
            theirs.weight.copy_(T(ours.weight.numpy()))
            theirs.bias.copy_(T(ours.bias.numpy()))
        x = rng.standard_normal(shape)
        xt = tg.Tensor(x, requires_grad=True)
        out, ref = ours(xt), theirs(T(x))
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
        if mode != "zeros":
            assert gradgradcheck(lambda x, m=ours: m(x), [xt])


@given(st.sampled_from(["reflect", "replicate", "circular"]), seeds)
def test_conv1d_padding_mode_is_padding_then_conv(mode, seed):
    rng = np.random.default_rng(seed)
    m = nn.Conv1d(2, 2, 3, padding=2, padding_mode=mode).double()
    x = rng.standard_normal((1, 2, 5))
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2)), mode=np_mode)
    ref = reference_conv1d(padded, m.weight.numpy(), m.bias.numpy(), 1, 0, 1, 1)
    np.testing.assert_allclose(m(tg.Tensor(x)).numpy(), ref, atol=1e-12)


def test_conv_layer_bad_padding_mode():
    with pytest.raises(ValueError, match=r"Conv1d: padding_mode must be one of"):
        nn.Conv1d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"Conv2d: padding_mode must be 'zeros', 'reflect'"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r'ConvTranspose1d: only "zeros" padding mode'):
        nn.ConvTranspose1d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match=r"Conv1d: in_channels \(3\) and out_channels \(4\)"):
        nn.Conv1d(3, 4, 3, groups=2)


def test_pool_layers_forward():
    x = tg.Tensor(np.array([[[3.0, 1.0, 4.0, 1.0, 5.0, 9.0]]]))
    values, idx = nn.MaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(values.numpy(), [[[3, 4, 9]]])
    np.testing.assert_array_equal(idx.numpy(), [[[0, 2, 5]]])
    np.testing.assert_allclose(nn.AvgPool1d(3)(x).numpy(), [[[8 / 3, 5]]])
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d(1)(x).numpy(), [[[23 / 6]]])
    values, idx = nn.AdaptiveMaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(idx.numpy(), [[[2, 5]]])
    img = tg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    pooled, where = nn.MaxPool2d(2, return_indices=True)(img)
    up = nn.MaxUnpool2d(2)(pooled, where)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, 1::2, 1::2] = [[5, 7], [13, 15]]
    np.testing.assert_array_equal(up.numpy(), expected)
    assert nn.MaxUnpool2d(2)(pooled, where, output_size=(5, 5)).shape == (1, 1, 5, 5)
    values, idx = nn.AdaptiveMaxPool2d((1, 2), return_indices=True)(img)
    np.testing.assert_array_equal(idx.numpy(), [[[[13, 15]]]])


def test_a_nan_wins_the_window_at_its_last_position_as_in_torch():
    x = np.array([[[np.nan, 1.0, np.nan, 0.0, np.nan, np.nan]]])  # two NaNs per window
    for values, idx in (
        F.adaptive_max_pool1d(tg.Tensor(x), 2, return_indices=True),
        F.max_pool1d(tg.Tensor(x), 3, return_indices=True),
    ):
        assert np.isnan(values.numpy()[0, 0, 0]) and np.isnan(values.numpy()[0, 0, 1])
        np.testing.assert_array_equal(idx.numpy(), [[[2, 5]]])
    xt = tg.Tensor(x, requires_grad=True)
    F.max_pool1d(xt, 3).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), [[[0, 0, 1, 0, 0, 1]]])


@given(st.integers(-6, 6), seeds)
def test_circular_conv1d_commutes_with_translations(shift, seed):
    tg.manual_seed(seed % 1000)
    m = nn.Conv1d(2, 3, 3, padding="same", padding_mode="circular").double()
    x = np.random.default_rng(seed).standard_normal((1, 2, 7))
    rolled_then_conv = m(tg.Tensor(np.roll(x, shift, axis=2))).numpy()
    conv_then_rolled = np.roll(m(tg.Tensor(x)).numpy(), shift, axis=2)
    np.testing.assert_allclose(rolled_then_conv, conv_then_rolled, atol=1e-12)


@given(st.integers(2, 9).flatmap(lambda L: tie_free_images((2, 2, L))))
def test_max_unpool1d_inverts_max_pool1d_with_gradients(x):
    values, idx = F.max_pool1d(tg.Tensor(x), 2, return_indices=True)
    L = x.shape[2]
    up = nn.MaxUnpool1d(2)(values, idx, output_size=(L,))
    expected = np.zeros_like(x)
    np.put_along_axis(expected, idx.numpy(), values.numpy(), axis=2)
    np.testing.assert_array_equal(up.numpy(), expected)
    assert F.max_unpool1d(values, idx, 2).shape[2] == 2 * values.shape[2]
    vt = tg.Tensor(values.numpy(), requires_grad=True)
    assert gradcheck(lambda v: F.max_unpool1d(v, idx, 2, output_size=(L,)), [vt])
    assert gradgradcheck(lambda v: F.max_unpool1d(v, idx, 2, output_size=(L,)) ** 2, [vt])


def test_conv2d_layers_take_an_unbatched_image():
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect")
    x = tg.randn(2, 5, 6)
    np.testing.assert_allclose(m(x).numpy(), m(x.unsqueeze(0)).numpy()[0], rtol=1e-6)
    t = nn.ConvTranspose2d(2, 3, 2, stride=2)
    assert t(x).shape == (3, 10, 12)
    with pytest.raises(RuntimeError, match=r"Conv2d: expected input \(N, 2, H, W\) or \(2, H, W\)"):
        m(tg.randn(3, 5, 6))
