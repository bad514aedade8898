"""F.unfold / F.fold (im2col and col2im in PyTorch's (N, C·KH·KW, L) layout) and the padding
layers: forward against NumPy loops and PyTorch (where installed), the adjoint identity,
gradients at first and second order in float64, repr and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.cnn_strategies import conv_settings

try:
    import torch
except ImportError:  # pragma: no cover - the reference is optional
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

seeds = st.integers(0, 2**32 - 1)


def T(a):
    return torch.tensor(np.ascontiguousarray(a))


def block_kwargs(s):
    return dict(kernel_size=(s.KH, s.KW), dilation=s.dilation, padding=s.padding, stride=s.stride)


def reference_unfold(x, s):
    """Column l = i·OW + j holds the block at output (i, j); row c·KH·KW + a·KW + b its
    channel c at kernel offset (a, b)."""
    N, C, H, W = x.shape
    (ph, pw), (sh, sw), (dh, dw) = s.padding, s.stride, s.dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH, OW = s.output_hw
    out = np.zeros((N, C * s.KH * s.KW, OH * OW))
    for i in range(OH):
        for j in range(OW):
            block = xp[:, :, i * sh : i * sh + dh * s.KH : dh, j * sw : j * sw + dw * s.KW : dw]
            out[:, :, i * OW + j] = block.reshape(N, -1)
    return out


@given(conv_settings(), seeds)
def test_unfold_matches_loop_and_fold_is_its_adjoint(s, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(s.input_shape)
    kw = block_kwargs(s)
    cols = F.unfold(tg.Tensor(x), **kw)
    np.testing.assert_array_equal(cols.numpy(), reference_unfold(x, s))
    c = rng.standard_normal(cols.shape)
    folded = F.fold(tg.Tensor(c), (s.H, s.W), **kw)
    assert folded.shape == s.input_shape
    # ⟨unfold x, c⟩ = ⟨x, fold c⟩
    np.testing.assert_allclose(np.sum(cols.numpy() * c), np.sum(x * folded.numpy()), rtol=1e-12)


@given(conv_settings(max_size=5, max_channels=2), seeds)
def test_unfold_fold_gradients_to_second_order(s, seed):
    rng = np.random.default_rng(seed)
    kw = block_kwargs(s)
    x = tg.Tensor(rng.standard_normal(s.input_shape), requires_grad=True)
    assert gradcheck(lambda x: F.unfold(x, **kw), [x])
    assert gradgradcheck(lambda x: F.unfold(x, **kw) ** 2, [x])
    L = s.output_hw[0] * s.output_hw[1]
    c = tg.Tensor(rng.standard_normal((s.N, s.C * s.KH * s.KW, L)), requires_grad=True)
    assert gradcheck(lambda c: F.fold(c, (s.H, s.W), **kw), [c])
    assert gradgradcheck(lambda c: F.fold(c, (s.H, s.W), **kw) ** 2, [c])


@given(conv_settings(max_groups=1), seeds)
def test_conv2d_is_unfold_then_matmul(s, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(s.input_shape), rng.standard_normal(s.weight_shape)
    cols = F.unfold(tg.Tensor(x), **block_kwargs(s))
    out = (tg.Tensor(w.reshape(s.OC, -1)) @ cols).reshape(s.output_shape)
    ref = F.conv2d(tg.Tensor(x), tg.Tensor(w), **s.kwargs)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-12)


@needs_torch
@given(conv_settings(), seeds)
def test_unfold_fold_match_torch(s, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(s.input_shape)
    kw = block_kwargs(s)
    ref = torch.nn.functional.unfold(T(x), **kw)
    np.testing.assert_array_equal(F.unfold(tg.Tensor(x), **kw).numpy(), ref.numpy())
    c = rng.standard_normal(tuple(ref.shape))
    ours = F.fold(tg.Tensor(c), (s.H, s.W), **kw)
    np.testing.assert_allclose(
        ours.numpy(), torch.nn.functional.fold(T(c), (s.H, s.W), **kw).numpy(), atol=1e-12
    )
    # unbatched forms and the layers
    assert F.unfold(tg.Tensor(x[0]), **kw).shape == tuple(ref.shape[1:])
    assert F.fold(tg.Tensor(c[0]), (s.H, s.W), **kw).shape == s.input_shape[1:]
    np.testing.assert_array_equal(nn.Unfold(**kw)(tg.Tensor(x)).numpy(), ref.numpy())
    assert nn.Fold((s.H, s.W), **kw)(tg.Tensor(c)).shape == s.input_shape


@needs_torch
def test_fold_unfold_reprs_match_torch():
    for ours, theirs in (
        (nn.Unfold(3), torch.nn.Unfold(3)),
        (nn.Unfold((2, 3), 2, 1, (1, 2)), torch.nn.Unfold((2, 3), 2, 1, (1, 2))),
        (nn.Fold((4, 5), 2, padding=1), torch.nn.Fold((4, 5), 2, padding=1)),
    ):
        assert repr(ours) == repr(theirs)


def test_unfold_fold_errors():
    with pytest.raises(RuntimeError, match=r"unfold: expected a 3-D \(C, H, W\) or 4-D"):
        F.unfold(tg.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match=r"unfold: input of spatial size \(3, 3\) .* too small"):
        F.unfold(tg.zeros(1, 1, 3, 3), 4)
    with pytest.raises(ValueError, match=r"unfold: stride must be at least 1"):
        F.unfold(tg.zeros(1, 1, 3, 3), 2, stride=0)
    with pytest.raises(RuntimeError, match=r"fold: input's dimension 1 \(5\) must be divisible"):
        F.fold(tg.zeros(1, 5, 9), (4, 4), 2)
    with pytest.raises(RuntimeError, match=r"fold: .* has 3 \* 3 = 9 sliding blocks, but"):
        F.fold(tg.zeros(1, 4, 8), (4, 4), 2)
    with pytest.raises(RuntimeError, match=r"fold: expected a 2-D .* or 3-D"):
        F.fold(tg.zeros(1, 1, 4, 9), (4, 4), 2)


# ----------------------------------------------------------------------------- padding layers
np_modes = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
layer_modes = {"Reflection": "reflect", "Replication": "replicate", "Circular": "circular"}


@given(
    st.sampled_from(sorted(layer_modes)),
    st.sampled_from([1, 2]),
    st.lists(st.integers(0, 2), min_size=4, max_size=4),
    seeds,
)
def test_padding_layers_match_numpy_and_differentiate(kind, dims, pads, seed):
    pads = tuple(pads[: 2 * dims])
    shape = (2, 3) + (4,) * dims  # every padding ≤ 2 < 4, as reflect needs
    x = np.random.default_rng(seed).standard_normal(shape)
    layer = getattr(nn, f"{kind}Pad{dims}d")(pads)
    widths = [(0, 0), (0, 0)] + [(pads[2 * k], pads[2 * k + 1]) for k in range(dims)][::-1]
    ref = np.pad(x, widths, mode=np_modes[layer_modes[kind]])
    np.testing.assert_array_equal(layer(tg.Tensor(x)).numpy(), ref)
    xt = tg.Tensor(x, requires_grad=True)
    assert gradcheck(layer, [xt])
    assert gradgradcheck(lambda x: layer(x) ** 2, [xt])


@given(st.lists(st.integers(-2, 2), min_size=4, max_size=4), st.floats(-3, 3), seeds)
def test_constant_and_zero_padding_crop_negative_sides(pads, value, seed):
    x = np.random.default_rng(seed).standard_normal((1, 2, 5, 6))
    left, right, top, bottom = pads
    crop = x[:, :, max(-top, 0) : 5 - max(-bottom, 0), max(-left, 0) : 6 - max(-right, 0)]
    widths = [(0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    out = nn.ConstantPad2d(tuple(pads), value)(tg.Tensor(x))
    np.testing.assert_array_equal(out.numpy(), np.pad(crop, widths, constant_values=value))
    zero = nn.ZeroPad2d(tuple(pads))(tg.Tensor(x))
    np.testing.assert_array_equal(zero.numpy(), np.pad(crop, widths))
    line = nn.ZeroPad1d(tuple(pads[:2]))(tg.Tensor(x[:, :, 0]))
    lo, hi = pads[:2]
    ref = np.pad(
        x[:, :, 0, max(-lo, 0) : 6 - max(-hi, 0)], [(0, 0), (0, 0), (max(lo, 0), max(hi, 0))]
    )
    np.testing.assert_array_equal(line.numpy(), ref)
    xt = tg.Tensor(x, requires_grad=True)
    assert gradgradcheck(lambda x: nn.ConstantPad2d(tuple(pads), value)(x) ** 2, [xt])


@needs_torch
def test_padding_layers_match_torch_and_repr():
    rng = np.random.default_rng(0)
    x2, x1 = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((2, 3, 6))
    cases = [
        ("ZeroPad2d", (1,), x2),
        ("ZeroPad2d", ((1, 2, 0, 3),), x2),
        ("ZeroPad2d", ((-1, 2, 1, -2),), x2),
        ("ConstantPad2d", (1, 3.5), x2),
        ("ConstantPad2d", ((2, 0, 1, 1), -1), x2),
        ("ReflectionPad2d", (2,), x2),
        ("ReflectionPad2d", ((1, 2, 3, 0),), x2),
        ("ReplicationPad2d", ((3, 1, 0, 2),), x2),
        ("CircularPad2d", ((1, 2, 2, 1),), x2),
        ("ZeroPad1d", (2,), x1),
        ("ConstantPad1d", ((1, 2), 1), x1),
        ("ReflectionPad1d", ((2, 1),), x1),
        ("ReplicationPad1d", (3,), x1),
        ("CircularPad1d", ((1, 3),), x1),
    ]
    for name, args, x in cases:
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(ours(tg.Tensor(x)).numpy(), theirs(T(x)).numpy())
        np.testing.assert_array_equal(ours(tg.Tensor(x[0])).numpy(), theirs(T(x[0])).numpy())


def test_padding_layer_errors():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be an int or a 4-tuple"):
        nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match=r"ReplicationPad1d: padding must not be negative"):
        nn.ReplicationPad1d(-1)
    with pytest.raises(TypeError, match=r"ZeroPad2d: padding must be an int"):
        nn.ZeroPad2d(1.5)
    with pytest.raises(RuntimeError, match=r"ReflectionPad2d: expected a 3-D or 4-D input"):
        nn.ReflectionPad2d(1)(tg.zeros(4, 4))
    with pytest.raises(ValueError, match=r"CircularPad1d: expected a 2-D or 3-D input"):
        nn.CircularPad1d(1)(tg.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"pad: reflect padding .* smaller than the padded axis"):
        nn.ReflectionPad1d(4)(tg.zeros(1, 1, 4))
