"""conv2d, conv_transpose2d and their primitives im2col/col2im: forward values against a direct
NumPy loop, gradients at first and second order, invariants (adjointness, translation
equivariance, the output-size formula) and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.ops import conv as conv_ops
from tinygrad_cnn.ops.im2col import Col2im, Im2col, output_size
from tinygrad_cnn.ops.workspace import Workspace
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.cnn_strategies import conv_settings, conv_transpose_settings

seeds = st.integers(0, 2**32 - 1)


def reference_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct definition: out[n, o, i, j] = Σ x_pad[n, c, i·s + a·d, j·s + b·d]·w[o, c, a, b]."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    out = np.zeros((N, OC, OH, OW))
    OCg = OC // groups
    for o in range(OC):
        g = o // OCg
        chans = slice(g * Cg, (g + 1) * Cg)
        for i in range(OH):
            for j in range(OW):
                window = xp[
                    :,
                    chans,
                    i * sh : i * sh + dh * (KH - 1) + 1 : dh,
                    j * sw : j * sw + dw * (KW - 1) + 1 : dw,
                ]
                out[:, o, i, j] = np.sum(window * w[o], axis=(1, 2, 3))
    if b is not None:
        out += b.reshape(1, OC, 1, 1)
    return out


def _arrays(s, seed, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(s.input_shape)
    w = rng.standard_normal(s.weight_shape)
    b = rng.standard_normal(s.OC) if bias else None
    return x, w, b


# ----------------------------------------------------------------------------- forward
@given(conv_settings(), seeds, st.booleans())
def test_conv2d_matches_direct_loop(s, seed, bias):
    x, w, b = _arrays(s, seed, bias)
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w), None if b is None else tg.Tensor(b), **s.kwargs)
    assert out.shape == s.output_shape
    expected = reference_conv2d(x, w, b, s.stride, s.padding, s.dilation, s.groups)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)


@given(conv_settings(), seeds, st.sampled_from(["cnhw", "chwn"]))
def test_the_column_layouts_agree(s, seed, layout):
    x, w, b = _arrays(s, seed)
    pads = tuple((p, p) for p in s.padding)
    args = (tg.Tensor(x), tg.Tensor(w), tg.Tensor(b), s.stride, pads, s.dilation, s.groups)
    a = conv_ops.conv2d(*args, layout="nchw").numpy()
    c = conv_ops.conv2d(*args, layout=layout).numpy()
    np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@given(
    st.integers(1, 30), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
)
def test_output_size_formula(size, kernel, stride, padding, dilation):
    expected = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    if expected < 1:
        assert output_size(size, kernel, stride, padding, dilation) == 0
        return
    assert output_size(size, kernel, stride, padding, dilation) == expected
    assert F.conv_output_size(size, kernel, stride, padding, dilation) == expected
    x = tg.zeros(1, 1, size, 1)
    w = tg.zeros(1, 1, kernel, 1)
    out = F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1))
    assert out.shape == (1, 1, expected, 1)


def test_float32_stays_float32_and_matches():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding=1)
    assert out.dtype == np.float32
    expected = reference_conv2d(
        x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1), (1, 1), 1
    )
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (2, 3), (5, 2)])
def test_same_padding_keeps_the_size(kernel, dilation):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 7, 6))
    w = rng.standard_normal((3, 2, kernel, kernel))
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding="same", dilation=dilation)
    assert out.shape == (1, 3, 7, 6)
    # the extra row/column of an even total goes to the bottom/right, as in PyTorch
    total = dilation * (kernel - 1)
    lo, hi = total // 2, total - total // 2
    padded = np.pad(x, ((0, 0), (0, 0), (lo, hi), (lo, hi)))
    expected = reference_conv2d(padded, w, None, (1, 1), (0, 0), (dilation, dilation), 1)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-12)
    if total < 6:
        valid = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding="valid", dilation=dilation)
        np.testing.assert_allclose(valid.numpy(), F.conv2d(x, w, dilation=dilation).numpy())


def test_unbatched_input():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    out = F.conv2d(tg.Tensor(x), tg.Tensor(w), padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), F.conv2d(x[None], w, padding=1).numpy()[0])


@given(st.integers(0, 2**32 - 1), st.integers(-3, 3), st.integers(-3, 3))
def test_circular_conv_commutes_with_translations(seed, dy, dx):
    """On a torus (circular padding, stride 1) a convolution commutes with np.roll."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2, 6, 5))
    w = rng.standard_normal((3, 2, 3, 3))

    def conv(a):
        return F.conv2d(F.pad(tg.Tensor(a), (1, 1, 1, 1), mode="circular"), tg.Tensor(w)).numpy()

    shifted = np.roll(x, (dy, dx), axis=(2, 3))
    np.testing.assert_allclose(conv(shifted), np.roll(conv(x), (dy, dx), axis=(2, 3)), atol=1e-12)


# ----------------------------------------------------------------------------- primitives
@given(conv_settings(), seeds, st.sampled_from(["nchw", "cnhw", "chwn"]))
def test_im2col_and_col2im_are_adjoint(s, seed, layout):
    """⟨im2col x, c⟩ = ⟨x, col2im c⟩ for every geometry (so each is the other's gradient)."""
    rng = np.random.default_rng(seed)
    geometry = dict(
        kernel=(s.KH, s.KW),
        stride=s.stride,
        padding=tuple((p, p) for p in s.padding),
        dilation=s.dilation,
        layout=layout,
    )
    x = rng.standard_normal(s.input_shape)
    cols = Im2col.apply(tg.Tensor(x), **geometry).numpy()
    c = rng.standard_normal(cols.shape)
    back = Col2im.apply(tg.Tensor(c), shape=s.input_shape, **geometry).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-10, atol=1e-10)


@given(conv_settings(max_channels=2, max_size=4), seeds)
def test_im2col_gradients_to_second_order(s, seed):
    rng = np.random.default_rng(seed)
    geometry = dict(
        kernel=(s.KH, s.KW),
        stride=s.stride,
        padding=tuple((p, p) for p in s.padding),
        dilation=s.dilation,
        layout="nchw",
    )
    x = tg.Tensor(rng.standard_normal(s.input_shape), requires_grad=True)
    assert gradgradcheck(lambda x: Im2col.apply(x, **geometry) ** 2, [x])


# ----------------------------------------------------------------------------- gradients
layouts = st.sampled_from([None, "nchw", "cnhw", "chwn"])  # None: the one F.conv2d picks


def _conv(s, layout):
    if layout is None:
        return lambda x, w, b: F.conv2d(x, w, b, **s.kwargs)
    pads = tuple((p, p) for p in s.padding)
    return lambda x, w, b: conv_ops.conv2d(
        x, w, b, s.stride, pads, s.dilation, s.groups, layout=layout
    )


@given(conv_settings(max_channels=2, max_size=5), seeds, layouts)
def test_conv2d_gradcheck(s, seed, layout):
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _arrays(s, seed))
    assert gradcheck(_conv(s, layout), [x, w, b])


@given(conv_settings(max_batch=1, max_channels=2, max_groups=2, max_size=4), seeds, layouts)
def test_conv2d_gradgradcheck(s, seed, layout):
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _arrays(s, seed))
    assert gradgradcheck(_conv(s, layout), [x, w, b])


def test_conv2d_gradgradcheck_single_gemm_layout():
    """The single-GEMM layouts (with a stride), to second order."""
    rng = np.random.default_rng(3)
    x = tg.Tensor(rng.standard_normal((2, 5, 4, 4)), requires_grad=True)
    w = tg.Tensor(rng.standard_normal((2, 5, 3, 3)), requires_grad=True)
    assert conv_ops.choose_layout() == "chwn"  # what F.conv2d picks on the CPU
    pads = ((1, 1), (1, 1))

    for layout in ("cnhw", "chwn"):

        def conv(x, w, layout=layout):
            return conv_ops.conv2d(x, w, None, (2, 2), pads, (1, 1), 1, layout=layout)

        assert gradgradcheck(conv, [x, w])


@given(conv_settings(), seeds, st.sampled_from(["nchw", "cnhw", "chwn"]))
def test_array_backward_equals_the_differentiable_one(s, seed, layout):
    """ColumnGemm computes first-order gradients on arrays (no graph recorded) and with Tensor
    ops under create_graph=True: both must agree."""
    x, w, b = (tg.Tensor(a, requires_grad=True) for a in _arrays(s, seed))
    g = tg.Tensor(np.random.default_rng(seed).standard_normal(s.output_shape))
    conv = _conv(s, layout)
    fast = tg.grad(conv(x, w, b), [x, w, b], g)
    graph = tg.grad(conv(x, w, b), [x, w, b], g, create_graph=True)
    for a, c in zip(fast, graph, strict=True):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-12, atol=1e-12)


def test_conv2d_hessian_vector_product():
    """The gradient of ⟨∇_x L, v⟩ is the Hessian-vector product; for L = ½‖conv(x)‖² it is
    convᵀ(conv(v)), which conv_transpose2d computes independently."""
    rng = np.random.default_rng(4)
    x = tg.Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True)
    w = tg.Tensor(rng.standard_normal((3, 2, 3, 3)))
    v = tg.Tensor(rng.standard_normal((1, 2, 5, 5)))
    loss = 0.5 * (F.conv2d(x, w, padding=1) ** 2).sum()
    (g,) = tg.grad(loss, [x], create_graph=True)
    (hv,) = tg.grad((g * v).sum(), [x])
    expected = F.conv_transpose2d(F.conv2d(v, w, padding=1), w, padding=1)
    np.testing.assert_allclose(hv.numpy(), expected.numpy(), atol=1e-10)


# ----------------------------------------------------------------------------- transposed
@given(conv_transpose_settings(), seeds)
def test_conv_transpose2d_is_the_adjoint_of_conv2d(s, seed):
    """⟨conv2d(y, w), x⟩ = ⟨y, conv_transpose2d(x, w)⟩ with the same settings (an output
    padding of stride or more, allowed when the dilation is larger, adds conv2d outputs that
    no input of the transposed convolution reaches: crop them)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(s.input_shape)
    w = rng.standard_normal(s.transpose_weight_shape)
    kwargs = dict(stride=s.stride, padding=s.padding, dilation=s.dilation, groups=s.groups)
    out = F.conv_transpose2d(tg.Tensor(x), tg.Tensor(w), output_padding=s.output_padding, **kwargs)
    OH = (s.H - 1) * s.stride[0] - 2 * s.padding[0] + s.dilation[0] * (s.KH - 1)
    OW = (s.W - 1) * s.stride[1] - 2 * s.padding[1] + s.dilation[1] * (s.KW - 1)
    assert out.shape == (s.N, s.OC, OH + s.output_padding[0] + 1, OW + s.output_padding[1] + 1)
    y = rng.standard_normal(out.shape)
    forward = reference_conv2d(y, w, None, s.stride, s.padding, s.dilation, s.groups)
    forward = forward[:, :, : s.H, : s.W]
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * x), np.sum(y * out.numpy()), rtol=1e-10)


@given(conv_transpose_settings(max_channels=2, max_size=4), seeds)
def test_conv_transpose2d_gradients(s, seed):
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.standard_normal(s.input_shape), requires_grad=True)
    w = tg.Tensor(rng.standard_normal(s.transpose_weight_shape), requires_grad=True)
    b = tg.Tensor(rng.standard_normal(s.OC), requires_grad=True)
    kwargs = dict(
        stride=s.stride,
        padding=s.padding,
        output_padding=s.output_padding,
        dilation=s.dilation,
        groups=s.groups,
    )
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kwargs), [x, w, b])
    assert gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, **kwargs), [x, w])


# ----------------------------------------------------------------------------- errors
def _raises(match, fn, *args, exc=RuntimeError, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


def test_conv2d_errors_name_op_and_shapes():
    x = tg.zeros(2, 3, 8, 8)
    _raises(
        r"conv2d: input has 3 channels but weight expects 1 .*\(8, 1, 3, 3\)",
        F.conv2d,
        x,
        tg.zeros(8, 1, 3, 3),
    )
    _raises(
        r"conv2d: expected a 3-D .* got shape \(3, 8\)",
        F.conv2d,
        tg.zeros(3, 8),
        tg.zeros(1, 3, 1, 1),
    )
    _raises(r"conv2d: weight must be 4-D", F.conv2d, x, tg.zeros(3, 3, 3))
    _raises(
        r"conv2d: groups=2 must divide .* input channels \(3\)",
        F.conv2d,
        x,
        tg.zeros(4, 1, 3, 3),
        groups=2,
    )
    _raises(
        r"conv2d: kernel size 9x9 .* larger than the padded input 8x8",
        F.conv2d,
        x,
        tg.zeros(1, 3, 9, 9),
    )
    _raises(
        r"conv2d: kernel size 5x5 \(dilated\)",
        F.conv2d,
        tg.zeros(1, 3, 4, 4),
        tg.zeros(1, 3, 3, 3),
        dilation=2,
    )
    _raises(
        r"conv2d: input dtype \(float64\) and weight dtype \(float32\)",
        F.conv2d,
        x.double(),
        tg.zeros(1, 3, 3, 3),
    )
    _raises(
        r"conv2d: input dtype \(float32\) and bias dtype \(float64\)",
        F.conv2d,
        x,
        tg.zeros(1, 3, 3, 3),
        tg.zeros(1, dtype=tg.float64),
    )
    _raises(r"conv2d: bias must have shape \(1,\)", F.conv2d, x, tg.zeros(1, 3, 3, 3), tg.zeros(2))
    _raises(
        r"padding='same' is not supported for strided",
        F.conv2d,
        x,
        tg.zeros(1, 3, 3, 3),
        stride=2,
        padding="same",
        exc=ValueError,
    )
    _raises(
        r"conv2d: stride must be at least 1",
        F.conv2d,
        x,
        tg.zeros(1, 3, 3, 3),
        stride=0,
        exc=ValueError,
    )
    _raises(
        r"conv2d: padding must be",
        F.conv2d,
        x,
        tg.zeros(1, 3, 3, 3),
        padding="full",
        exc=ValueError,
    )


def test_conv_transpose2d_errors():
    x = tg.zeros(1, 4, 5, 5)
    _raises(
        r"conv_transpose2d: input has 4 channels but weight expects 3",
        F.conv_transpose2d,
        x,
        tg.zeros(3, 2, 3, 3),
    )
    _raises(
        r"output_padding .* smaller than either stride",
        F.conv_transpose2d,
        x,
        tg.zeros(4, 2, 3, 3),
        output_padding=1,
        exc=ValueError,
    )
    _raises(
        r"conv_transpose2d: groups=3 must divide",
        F.conv_transpose2d,
        x,
        tg.zeros(4, 2, 3, 3),
        groups=3,
    )


# ----------------------------------------------------------------------------- workspace
def test_workspace_recycles_a_buffer_only_when_no_view_is_left():
    ws = Workspace(max_bytes=64 << 20, min_bytes=1 << 10)
    a = ws.empty((256, 256), np.float32)
    a[...] = 1.0
    view = a[::2].T  # a view outlives the array it came from
    del a
    assert ws.cached_bytes == 0
    b = ws.empty((256, 256), np.float32)  # must not reuse the buffer the view still reads
    b[...] = 2.0
    assert np.all(view == 1.0)
    del view
    assert ws.cached_bytes == 256 * 256 * 4
    c = ws.empty((128, 512), np.float32)  # same size: recycled
    assert ws.cached_bytes == 0
    del b, c
    assert ws.cached_bytes == 2 * 256 * 256 * 4
    small = ws.empty((4,), np.float32)  # below min_bytes: a plain array
    assert small.base is None
    ws.clear()
    assert ws.cached_bytes == 0


def test_workspace_keeps_at_most_max_bytes():
    ws = Workspace(max_bytes=3 << 20, min_bytes=1)
    arrays = [ws.empty((1 << 18,), np.float32) for _ in range(5)]  # 1 MiB each
    del arrays
    assert ws.cached_bytes == 3 << 20


def test_workspace_empty_like_keeps_the_memory_order():
    x = np.zeros((3, 4, 5, 6), np.float32).transpose(1, 0, 2, 3)  # (4, 3, 5, 6) of CNHW memory
    y = Workspace(min_bytes=1).empty_like(x)
    assert y.shape == x.shape
    assert np.argsort([-s for s in y.strides]).tolist() == [1, 0, 2, 3]


def test_column_gemm_array_backward_sums_to_broadcast_inputs_like_the_tensor_backward():
    """The first-order (array) backward and the differentiable (Tensor) one agree, also when
    the columns are broadcast over the weight's batch (their gradient is summed back)."""
    from tinygrad_cnn.ops.conv import ColumnGemm

    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 4, 5))  # (G, M, K)
    cols = rng.standard_normal((5, 6))  # (K, L), broadcast over G
    bias = rng.standard_normal((3, 4))
    g = rng.standard_normal((3, 4, 6))
    grads = []
    for create_graph in (False, True):
        ts = [tg.Tensor(a, requires_grad=True) for a in (w, cols, bias)]
        out = ColumnGemm.apply(*ts)
        grads.append(tg.autograd.grad(out, ts, tg.Tensor(g), create_graph=create_graph))
    expected = (
        np.matmul(g, cols.T),
        np.matmul(w.swapaxes(-1, -2), g).sum(axis=0),
        g.sum(axis=-1),
    )
    for (a, b), e in zip(zip(*grads), expected):
        assert a.shape == b.shape == e.shape
        np.testing.assert_allclose(a.numpy(), e, rtol=1e-12)
        np.testing.assert_allclose(b.numpy(), e, rtol=1e-12)


@pytest.mark.parametrize(
    "w_shape, cols_shape",
    [((64, 288), (288, 4096)), ((2, 8, 36), (36, 20000)), ((16, 9), (64, 9, 4000))],
)
def test_column_gemm_split_products_match_one_product(w_shape, cols_shape):
    """Products large enough to be cut into pieces (ops/parallel.py) give what one product
    gives, forward and backward, for column, grouped and per-image layouts."""
    from tinygrad_cnn.ops import parallel
    from tinygrad_cnn.ops.conv import ColumnGemm, _split_axis

    rng = np.random.default_rng(5)
    w, cols = rng.standard_normal(w_shape), rng.standard_normal(cols_shape)
    bias = rng.standard_normal(w_shape[:-1])
    out_shape = np.broadcast_shapes(w_shape[:-2], cols_shape[:-2]) + (w_shape[-2], cols_shape[-1])
    assert _split_axis(np, w, cols, np.empty(out_shape)) is not None  # the case splits
    g = rng.standard_normal(out_shape)
    ts = [tg.Tensor(a, requires_grad=True) for a in (w, cols, bias)]
    for threads in (1, 2):
        parallel.set_num_threads(threads)
        try:
            out = ColumnGemm.apply(*ts)
            grads = tg.autograd.grad(out, ts, tg.Tensor(g))
        finally:
            parallel.set_num_threads(1)
        np.testing.assert_allclose(out.numpy(), w @ cols + bias[..., None], rtol=1e-10)

        def lead_sum(a, shape):  # sum the leading axes that broadcasting added
            return a.sum(axis=tuple(range(a.ndim - len(shape)))) if a.ndim > len(shape) else a

        expected = (
            lead_sum(np.matmul(g, np.swapaxes(cols, -1, -2)), w_shape),
            lead_sum(np.matmul(np.swapaxes(w, -1, -2), g), cols_shape),
            lead_sum(g.sum(axis=-1), bias.shape),
        )
        for got, e in zip(grads, expected):
            np.testing.assert_allclose(got.numpy(), e, rtol=1e-10, atol=1e-10)


def test_cpu_conv_output_is_stored_batch_innermost_and_contiguous_copies():
    """docs/pytorch-differences.md: the values are PyTorch's, the memory order is (C, H, W, N),
    so is_contiguous() is False and contiguous() gives a C-ordered tensor with equal values."""
    x = tg.randn(3, 2, 6, 5)
    y = F.conv2d(x, tg.randn(4, 2, 3, 3), padding=1)
    strides = y.numpy().strides
    assert strides[0] < strides[3] < strides[2] < strides[1]  # N innermost, C outermost
    assert not y.is_contiguous()
    c = y.contiguous()
    assert c.is_contiguous() and c.numpy().flags.c_contiguous
    np.testing.assert_array_equal(c.numpy(), y.numpy())
