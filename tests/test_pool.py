"""Pooling: max (with ties, indices and unpooling), average (padding and ceil-mode divisors)
and adaptive average pooling, against direct NumPy loops; gradients at first and second
order; error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.ops.im2col import LAYOUT_AXES
from tinygrad_cnn.ops.pool import PoolGather, PoolScatter
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.cnn_strategies import pool_settings, tie_free_images


def windows(s, hw):
    """For each output (i, j): the list of (row, col) input positions its window covers
    (positions in the padding are kept: they are outside [0, H) × [0, W))."""
    (KH, KW), (sh, sw), (ph, pw), (dh, dw) = s.kernel_size, s.stride, s.padding, s.dilation
    OH, OW = s.output_hw
    out = {}
    for i in range(OH):
        for j in range(OW):
            out[i, j] = [
                (i * sh - ph + a * dh, j * sw - pw + b * dw) for a in range(KH) for b in range(KW)
            ]
    return out


def reference_max_pool(x, s):
    N, C, H, W = x.shape
    out = np.full((N, C) + s.output_hw, -np.inf)
    for (i, j), cells in windows(s, (H, W)).items():
        for r, c in cells:
            if 0 <= r < H and 0 <= c < W:
                out[:, :, i, j] = np.maximum(out[:, :, i, j], x[:, :, r, c])
    return out


def reference_avg_pool(x, s, count_include_pad):
    """PyTorch's rule: windows are clipped to the padded input; with count_include_pad the
    divisor is the clipped window's size, otherwise the number of real inputs in it."""
    N, C, H, W = x.shape
    (ph, pw) = s.padding
    out = np.zeros((N, C) + s.output_hw)
    for (i, j), cells in windows(s, (H, W)).items():
        inside_pad = [(r, c) for r, c in cells if -ph <= r < H + ph and -pw <= c < W + pw]
        real = [(r, c) for r, c in cells if 0 <= r < H and 0 <= c < W]
        total = sum(x[:, :, r, c] for r, c in real)
        out[:, :, i, j] = total / (len(inside_pad) if count_include_pad else len(real))
    return out


# ----------------------------------------------------------------------------- max pool
@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_max_pool_matches_direct_loop(case):
    s, x = case
    out = F.max_pool2d(tg.Tensor(x), **s.max_kwargs)
    np.testing.assert_array_equal(out.numpy(), reference_max_pool(x, s))


@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_max_pool_gradients_to_second_order(case):
    s, x = case
    x = tg.Tensor(x, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, **s.max_kwargs), [x])
    assert gradgradcheck(lambda x: F.max_pool2d(x, **s.max_kwargs) ** 2, [x])


def test_max_pool_float32_tiles():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)  # last column not covered
    out = F.max_pool2d(tg.Tensor(x), 2)
    assert out.dtype == np.float32 and out.shape == (2, 3, 4, 4)
    np.testing.assert_array_equal(
        out.numpy(), x[:, :, :8, :8].reshape(2, 3, 4, 2, 4, 2).max((3, 5))
    )


@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)])
def test_max_pool_ties_send_the_gradient_to_one_element(kwargs):
    """All-equal windows: each window passes its gradient to exactly one input (the first in
    scan order), as PyTorch does; the total gradient equals the total output gradient."""
    x = tg.Tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    out = F.max_pool2d(x, **kwargs)
    out.sum().backward()
    grad = x.grad.numpy()
    assert grad.sum() == out.numel()
    if kwargs["kernel_size"] == 2:
        expected = np.zeros((4, 4))
        expected[::2, ::2] = 1  # the top-left element of every 2×2 window
        np.testing.assert_array_equal(grad[0, 0], expected)


def test_max_pool_tie_choice_matches_return_indices():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0]]]])
    out, idx = F.max_pool2d(tg.Tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), [[[[3.0, 3.0]]]])
    np.testing.assert_array_equal(idx.numpy(), [[[[1, 2]]]])  # first maximum in scan order


@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_return_indices_point_at_the_maxima_and_unpool_inverts(case):
    s, x = case
    out, idx = F.max_pool2d(tg.Tensor(x), return_indices=True, **s.max_kwargs)
    assert idx.dtype == np.int64
    flat = x.reshape(s.N, s.C, -1)
    gathered = np.take_along_axis(flat, idx.numpy().reshape(s.N, s.C, -1), axis=2)
    np.testing.assert_array_equal(gathered.reshape(out.shape), out.numpy())
    up = F.max_unpool2d(out, idx, s.kernel_size, s.stride, s.padding, output_size=x.shape[2:])
    expected = np.zeros_like(flat)
    np.put_along_axis(
        expected, idx.numpy().reshape(s.N, s.C, -1), out.numpy().reshape(s.N, s.C, -1), 2
    )
    np.testing.assert_array_equal(up.numpy(), expected.reshape(x.shape))


def test_max_pool_with_indices_has_the_same_gradient():
    rng = np.random.default_rng(1)
    x = tg.Tensor(rng.permutation(50).reshape(1, 2, 5, 5).astype(np.float64), requires_grad=True)
    g = tg.Tensor(rng.standard_normal((1, 2, 3, 3)))
    (a,) = tg.grad(F.max_pool2d(x, 3, 2, 1), [x], g)
    (b,) = tg.grad(F.max_pool2d(x, 3, 2, 1, return_indices=True)[0], [x], g)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_max_unpool_gradient():
    rng = np.random.default_rng(2)
    x = tg.Tensor(rng.standard_normal((2, 2, 6, 6)))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    v = tg.Tensor(out.numpy(), requires_grad=True)
    assert gradgradcheck(lambda v: F.max_unpool2d(v, idx, 2) ** 2, [v])


def test_scatter_and_gather_are_adjoint():
    rng = np.random.default_rng(3)
    geometry = dict(kernel=(3, 2), stride=(2, 1), padding=((1, 2), (0, 1)), dilation=(1, 2))
    idx = tg.Tensor(rng.integers(0, 6, (2, 3, 4, 3)).astype(np.uint8))
    g = rng.standard_normal((2, 3, 4, 3))
    x = rng.standard_normal((2, 3, 6, 4))
    scattered = PoolScatter.apply(tg.Tensor(g), idx, shape=x.shape, **geometry).numpy()
    gathered = PoolGather.apply(tg.Tensor(x), idx, **geometry).numpy()
    np.testing.assert_allclose(np.sum(scattered * x), np.sum(g * gathered), rtol=1e-12)


def stored(x: np.ndarray, layout: str) -> np.ndarray:
    """x (N, C, H, W) stored in ``layout``'s axis order, as a convolution returns its output:
    (C, N, H, W) for "cnhw" (the GPU's), (C, H, W, N) for "chwn" (the CPU's)."""
    axes = LAYOUT_AXES[layout]
    return np.ascontiguousarray(x.transpose(axes)).transpose(np.argsort(axes))


@pytest.mark.parametrize("layout", ["cnhw", "chwn"])
@pytest.mark.parametrize("pool", ["max", "avg"])
@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_channel_major_input_pools_as_stored_and_keeps_its_order(layout, pool, case):
    """A channel-major input gives the same values and gradients as a C-ordered one, and max
    pooling's result and gradient keep the channel-major order (so a convolution's backward
    reshape reads the gradient without a copy)."""
    s, x = case
    assume(pool == "max" or s.dilation == (1, 1))  # average pooling has no dilation
    kwargs = s.max_kwargs if pool == "max" else s.avg_kwargs
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d
    g = np.random.default_rng(0).standard_normal((s.N, s.C, *s.output_hw))
    results = []
    for data in (x, stored(x, layout)):
        t = tg.Tensor(data, requires_grad=True)
        y = t * 1.0  # keeps the memory order; its hook sees the pool's input gradient as made
        seen = []
        y.register_hook(seen.append)
        out = fn(y, **kwargs)
        out.backward(tg.Tensor(g))
        results.append((out, t.grad, seen[0]))
    (out, grad, _), (out_cm, grad_cm, pool_grad_cm) = results
    np.testing.assert_array_equal(out_cm.numpy(), out.numpy())
    np.testing.assert_array_equal(grad_cm.numpy(), grad.numpy())
    # (average pooling's division by a per-window count, a broadcast array where padding is
    # excluded, may lay its result out in C order; its window sums keep the input's order)
    if min(s.N, s.C, s.H, s.W) > 1 and pool == "max":  # (with a unit axis NumPy may pick either)
        assert channels_outermost(out_cm._data)
        assert channels_outermost(pool_grad_cm._data)


def channels_outermost(a: np.ndarray) -> bool:
    return a.strides[1] > a.strides[0]  # C outside N, as in both "cnhw" and "chwn"


@pytest.mark.parametrize("layout", ["cnhw", "chwn"])
@given(pool_settings().flatmap(lambda s: st.tuples(st.just(s), tie_free_images(s.input_shape))))
def test_channel_major_max_pool_gradients_to_second_order(layout, case):
    s, x = case
    x = tg.Tensor(stored(x, layout), requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, **s.max_kwargs), [x])
    assert gradgradcheck(lambda x: F.max_pool2d(x, **s.max_kwargs) ** 2, [x])


# ----------------------------------------------------------------------------- average pool
@given(pool_settings(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool_matches_direct_loop(s, count_include_pad, seed):
    x = np.random.default_rng(seed).standard_normal(s.input_shape)
    out = F.avg_pool2d(tg.Tensor(x), count_include_pad=count_include_pad, **s.avg_kwargs)
    expected = reference_avg_pool(x, s, count_include_pad)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@given(pool_settings(dilation=False), st.booleans(), st.integers(0, 2**32 - 1))
def test_avg_pool_gradients_to_second_order(s, count_include_pad, seed):
    x = tg.Tensor(np.random.default_rng(seed).standard_normal(s.input_shape), requires_grad=True)
    kwargs = dict(count_include_pad=count_include_pad, **s.avg_kwargs)
    assert gradcheck(lambda x: F.avg_pool2d(x, **kwargs), [x])
    assert gradgradcheck(lambda x: F.avg_pool2d(x, **kwargs) ** 2, [x])


def test_avg_pool_divisor_override_and_tiles():
    x = np.arange(2 * 6 * 7, dtype=np.float64).reshape(1, 2, 6, 7)
    out = F.avg_pool2d(tg.Tensor(x), 3, divisor_override=2).numpy()
    np.testing.assert_allclose(out, x[:, :, :6, :6].reshape(1, 2, 2, 3, 2, 3).sum((3, 5)) / 2)
    x32 = tg.Tensor(x.astype(np.float32), requires_grad=True)
    y = F.avg_pool2d(x32, 2)
    assert y.dtype == np.float32
    y.sum().backward()
    expected = np.full((1, 2, 6, 7), 0.25, dtype=np.float32)
    expected[..., 6] = 0  # the last column is in no window
    np.testing.assert_array_equal(x32.grad.numpy(), expected)


# ----------------------------------------------------------------------------- adaptive
def reference_adaptive(x, oh, ow):
    N, C, H, W = x.shape
    out = np.zeros((N, C, oh, ow))
    for i in range(oh):
        r0, r1 = (i * H) // oh, -(-(i + 1) * H // oh)
        for j in range(ow):
            c0, c1 = (j * W) // ow, -(-(j + 1) * W // ow)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
)
def test_adaptive_avg_pool(H, W, oh, ow, seed):
    x = np.random.default_rng(seed).standard_normal((2, 2, H, W))
    out = F.adaptive_avg_pool2d(tg.Tensor(x), (oh, ow))
    np.testing.assert_allclose(out.numpy(), reference_adaptive(x, oh, ow), atol=1e-12)
    t = tg.Tensor(x, requires_grad=True)
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, (oh, ow)) ** 2, [t])


def test_global_average_pool_and_none_sizes():
    x = np.random.default_rng(4).standard_normal((2, 3, 5, 4))
    out = F.adaptive_avg_pool2d(tg.Tensor(x), 1)
    np.testing.assert_allclose(out.numpy(), x.mean(axis=(2, 3), keepdims=True), atol=1e-12)
    assert F.adaptive_avg_pool2d(tg.Tensor(x), (2, None)).shape == (2, 3, 2, 4)
    assert F.adaptive_avg_pool2d(tg.Tensor(x[0]), 2).shape == (3, 2, 2)  # unbatched


# ----------------------------------------------------------------------------- errors
def test_pool_errors_name_op_and_shapes():
    x = tg.zeros(1, 2, 4, 4)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected a 3-D .* got shape \(4, 4\)"):
        F.max_pool2d(tg.zeros(4, 4), 2)
    with pytest.raises(RuntimeError, match=r"max_pool2d: kernel size \(5, 5\) .* \(1, 2, 4, 4\)"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"avg_pool2d: padding \(2, 2\) should be at most half"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: stride must be at least 1"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(IndexError, match=r"max_unpool2d: indices range over"):
        F.max_unpool2d(tg.zeros(1, 1, 2, 2), tg.Tensor(np.full((1, 1, 2, 2), 99)), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be positive"):
        F.adaptive_avg_pool2d(x, 0)


@pytest.mark.parametrize("shape", [(16, 64, 4, 4), (20, 32, 8, 8), (5, 3, 4, 4), (9, 2, 3, 5)])
def test_copy_into_another_memory_order_keeps_every_value(shape):
    """The scatter's gradient copy into batch-innermost order, including the blocked copy
    used when the source's stride is a multiple of 4096 bytes (the first two shapes)."""
    from tinygrad_cnn.ops.pool import _copy_ordered
    from tinygrad_cnn.ops.workspace import axis_order

    a = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    like = np.empty((shape[1], shape[2], shape[3], shape[0]), np.uint8).transpose(3, 0, 1, 2)
    out = _copy_ordered(a, like)
    np.testing.assert_array_equal(out, a)
    assert axis_order(out) == axis_order(like)
