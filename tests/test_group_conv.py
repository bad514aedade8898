"""Group-equivariant convolutions (p4, p4m) and group pooling.

Forward values against a direct NumPy evaluation of the group correlation, with the group
built from 2×2 matrices (independent of the implementation's tables); equivariance under the
generators exactly as the module docstring states it, for every layer and for stacks; exact
invariance after group and global pooling; a plain Conv2d failing the same check; first- and
second-order gradient checks; and errors for bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import arrays

seeds = st.integers(0, 2**32 - 1)

# ---------------------------------------------------------------- the group from 2×2 matrices
# Positions u = (row, column) relative to the centre. np.rot90(x)[i, j] = x[j, n − 1 − i], so
# (R·x)(u) = x(R⁻¹u) with R = [[0, −1], [1, 0]]; the mirror flip(−1) is M = diag(1, −1).
R = np.array([[0, -1], [1, 0]])
M = np.array([[1, 0], [0, -1]])
P4 = [np.linalg.matrix_power(R, r) for r in range(4)]
P4M = [
    np.linalg.matrix_power(R, r) @ np.linalg.matrix_power(M, m) for m in (0, 1) for r in range(4)
]


def _index(elements: list[np.ndarray], a: np.ndarray) -> int:
    return next(i for i, e in enumerate(elements) if np.array_equal(e, a))


def _move_filter(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """(a·w)(u) = w(a⁻¹u) on the last two (square) axes, by moving every position."""
    K = w.shape[-1]
    c = (K - 1) / 2
    out = np.empty_like(w)
    inv = np.round(np.linalg.inv(a)).astype(int)
    for i in range(K):
        for j in range(K):
            si, sj = inv @ np.array([i - c, j - c]) + c
            out[..., i, j] = w[..., int(round(si)), int(round(sj))]
    return out


def reference_group_conv(x, w, b, elements, lifting, stride=1, padding=0, dilation=1):
    """out[n, o, g, i, j] = b[o] + Σ_{c, h, p, q} x_pad[n, c, h, i·s + p·d, j·s + q·d]
    · (g·w)[o, c, h, p, q], with (g·w)[h] = g(w[g⁻¹h]) and a lifting input having one h."""
    if lifting:
        x, w = x[:, :, None], w[:, :, None]
    N, C, GI, H, W = x.shape
    OC, K = w.shape[0], w.shape[-1]
    s, p, d = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (0, 0), (p, p), (p, p)))
    OH = (H + 2 * p - d * (K - 1) - 1) // s + 1
    OW = (W + 2 * p - d * (K - 1) - 1) // s + 1
    out = np.zeros((N, OC, len(elements), OH, OW))
    for gi, g in enumerate(elements):
        if lifting:
            wg = _move_filter(w, g)
        else:
            ginv = np.round(np.linalg.inv(g)).astype(int)
            order = [_index(elements, ginv @ h) for h in elements]
            wg = _move_filter(w[:, :, order], g)
        for i in range(OH):
            for j in range(OW):
                window = xp[
                    :,
                    :,
                    :,
                    i * s : i * s + d * (K - 1) + 1 : d,
                    j * s : j * s + d * (K - 1) + 1 : d,
                ]
                out[:, :, gi, i, j] = np.einsum("nchpq,ochpq->no", window, wg)
    if b is not None:
        out += b[None, :, None, None, None]
    return out


# ---------------------------------------------------------------- the actions on outputs
def rotate_image(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(x, 1, axes=(-2, -1)))


def mirror_image(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x[..., ::-1])


def rotate_group_maps(y: np.ndarray) -> np.ndarray:
    """The documented action of R: each map rotated, the rotation index shifted by one (in
    each mirror half for p4m)."""
    N, C, G = y.shape[:3]
    halves = y.reshape(N, C, G // 4, 4, *y.shape[-2:])
    return rotate_image(np.roll(halves, 1, axis=3)).reshape(y.shape)


def mirror_group_maps(y: np.ndarray) -> np.ndarray:
    """The documented action of M (p4m): out'[r + 4m] = flip(out[(−r mod 4) + 4(1 − m)])."""
    N, C = y.shape[:2]
    halves = y.reshape(N, C, 2, 4, *y.shape[-2:])
    return mirror_image(halves[:, :, ::-1][:, :, :, (-np.arange(4)) % 4]).reshape(y.shape)


FUNCTIONAL = {  # name: (function, group elements, lifting)
    "p4_conv_z2": (F.p4_conv_z2, P4, True),
    "p4_conv_p4": (F.p4_conv_p4, P4, False),
    "p4m_conv_z2": (F.p4m_conv_z2, P4M, True),
    "p4m_conv_p4m": (F.p4m_conv_p4m, P4M, False),
}
names = st.sampled_from(sorted(FUNCTIONAL))


@st.composite
def geometries(draw, exact: bool = True, max_size: int = 7):
    """(K, stride, padding, dilation, H) with output ≥ 1; ``exact``: the stride's kept grid is
    square-symmetric, (H + 2P − D(K − 1) − 1) divisible by S."""
    K = draw(st.integers(1, 3))
    D = draw(st.integers(1, 2)) if K > 1 else 1
    S = draw(st.integers(1, 2)) if exact else 2  # stride 1 is always exact
    P = draw(st.integers(0, 2))
    span = D * (K - 1) + 1
    sizes = [
        H
        for H in range(max(1, span - 2 * P), max(max_size, span - 2 * P + S) + 1)
        if ((H + 2 * P - span) % S == 0) == exact
    ]
    return K, S, P, D, draw(st.sampled_from(sizes))


def _case(name, geometry, seed, C=2, OC=3, N=2):
    conv, elements, lifting = FUNCTIONAL[name]
    K, S, P, D, H = geometry
    G = len(elements)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, H) if lifting else (N, C, G, H, H))
    w = rng.standard_normal((OC, C, K, K) if lifting else (OC, C, G, K, K))
    b = rng.standard_normal(OC)
    return conv, elements, lifting, x, w, b, dict(stride=S, padding=P, dilation=D)


def _run(conv, x, w, b, kwargs):
    return conv(tg.Tensor(x), tg.Tensor(w), None if b is None else tg.Tensor(b), **kwargs).numpy()


def _close(a, b):
    """Equal to float64 round-off, relative to the scale of the values."""
    return np.abs(a - b).max() <= 1e-12 * max(1.0, np.abs(b).max())


# ---------------------------------------------------------------- forward values
@given(names, geometries(max_size=6), seeds, st.booleans())
def test_forward_matches_the_group_correlation_formula(name, geometry, seed, with_bias):
    conv, elements, lifting, x, w, b, kwargs = _case(name, geometry, seed, C=2, OC=2)
    b = b[:2] if with_bias else None
    expected = reference_group_conv(x, w, b, elements, lifting, **kwargs)
    out = _run(conv, x, w, b, kwargs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_the_reference_group_is_the_square_group():
    """Sanity of the test's own group: eight distinct elements, closed under products, and the
    matrices act on images as rot90 and flip do."""
    assert len({e.tobytes() for e in P4M}) == 8
    for a in P4M:
        for c in P4M:
            _index(P4M, a @ c)  # raises StopIteration if the product left the set
    w = np.arange(9.0).reshape(3, 3)
    assert np.array_equal(_move_filter(w, R), np.rot90(w))
    assert np.array_equal(_move_filter(w, M), w[:, ::-1])


# ---------------------------------------------------------------- equivariance
@given(names, geometries(), seeds)
def test_every_layer_is_rotation_equivariant(name, geometry, seed):
    conv, _, lifting, x, w, b, kwargs = _case(name, geometry, seed)
    rotate_input = rotate_image if lifting else rotate_group_maps
    y = _run(conv, x, w, b, kwargs)
    assert _close(_run(conv, rotate_input(x), w, b, kwargs), rotate_group_maps(y))


@given(st.sampled_from(["p4m_conv_z2", "p4m_conv_p4m"]), geometries(), seeds)
def test_p4m_layers_are_mirror_equivariant(name, geometry, seed):
    conv, _, lifting, x, w, b, kwargs = _case(name, geometry, seed)
    mirror_input = mirror_image if lifting else mirror_group_maps
    y = _run(conv, x, w, b, kwargs)
    assert _close(_run(conv, mirror_input(x), w, b, kwargs), mirror_group_maps(y))


@given(names, geometries(exact=False), seeds)
def test_a_stride_that_does_not_fit_the_size_breaks_the_equivariance(name, geometry, seed):
    """The documented condition is needed: when (H + 2P − D(K − 1) − 1) % S ≠ 0 the kept
    grid is not carried onto itself and the property fails."""
    conv, _, lifting, x, w, b, kwargs = _case(name, geometry, seed)
    rotate_input = rotate_image if lifting else rotate_group_maps
    y = _run(conv, x, w, b, kwargs)
    assert not _close(_run(conv, rotate_input(x), w, b, kwargs), rotate_group_maps(y))


def test_a_plain_conv2d_is_not_rotation_equivariant():
    """The same check on an ordinary convolution fails: rotating its input does not rotate its
    output (its filters are not rotated copies of each other)."""
    tg.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    with tg.no_grad():
        y = conv(tg.Tensor(x)).numpy()
        y_rot = conv(tg.Tensor(rotate_image(x))).numpy()
    assert not _close(y_rot, rotate_image(y))
    assert np.abs(y_rot - rotate_image(y)).max() > 0.1


def _stack(group: str, padding_mode: str, seed: int) -> nn.Module:
    tg.manual_seed(seed)
    lift, inner = (nn.P4ConvZ2, nn.P4ConvP4) if group == "p4" else (nn.P4MConvZ2, nn.P4MConvP4M)
    kw = dict(padding=1, padding_mode=padding_mode)
    return nn.Sequential(
        lift(2, 3, 3, **kw), nn.ReLU(), inner(3, 4, 3, **kw), nn.Tanh(), inner(4, 2, 3, **kw)
    ).double()


stack_cases = st.tuples(
    st.sampled_from(["p4", "p4m"]), st.sampled_from(["zeros", "circular", "reflect"]), seeds
)


@given(stack_cases, st.sampled_from([5, 6]))
def test_stacks_are_equivariant(case, size):
    group, padding_mode, seed = case
    net = _stack(group, padding_mode, seed % 1000)
    x = np.random.default_rng(seed).standard_normal((2, 2, size, size))
    with tg.no_grad():
        y = net(tg.Tensor(x)).numpy()
        assert _close(net(tg.Tensor(rotate_image(x))).numpy(), rotate_group_maps(y))
        if group == "p4m":
            assert _close(net(tg.Tensor(mirror_image(x))).numpy(), mirror_group_maps(y))


def test_circular_stacks_commute_with_translations_too():
    net = _stack("p4", "circular", 0)
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 6))
    with tg.no_grad():
        y = net(tg.Tensor(x)).numpy()
        y_shift = net(tg.Tensor(np.roll(x, (2, -1), axis=(-2, -1)))).numpy()
    assert _close(y_shift, np.roll(y, (2, -1), axis=(-2, -1)))


@given(stack_cases, st.sampled_from(["max", "avg"]))
def test_group_and_global_pooling_make_an_invariant_network(case, pool):
    group, padding_mode, seed = case
    net = _stack(group, padding_mode, seed % 1000)
    group_pool = nn.GroupMaxPool() if pool == "max" else nn.GroupAvgPool()

    def invariant(x: np.ndarray) -> np.ndarray:
        with tg.no_grad():
            return F.adaptive_avg_pool2d(group_pool(net(tg.Tensor(x))), 1).numpy()

    x = np.random.default_rng(seed).standard_normal((2, 2, 6, 6))
    out = invariant(x)
    assert out.shape == (2, 2, 1, 1)
    transforms = [rotate_image] + ([mirror_image] if group == "p4m" else [])
    for t in transforms:
        assert _close(invariant(t(x)), out)
    # not trivially constant: another input gives another output
    assert not _close(invariant(x[:, ::-1].copy()), out)


def test_group_pooled_maps_transform_like_images():
    net = _stack("p4m", "zeros", 3)
    x = np.random.default_rng(3).standard_normal((1, 2, 5, 5))
    with tg.no_grad():
        y = F.group_max_pool(net(tg.Tensor(x))).numpy()
        y_rot = F.group_max_pool(net(tg.Tensor(rotate_image(x)))).numpy()
    assert y.shape == (1, 2, 5, 5)
    assert _close(y_rot, rotate_image(y))


# ---------------------------------------------------------------- group pooling
def test_group_pooling_against_numpy():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 4, 5))
    np.testing.assert_array_equal(F.group_max_pool(tg.Tensor(x)).numpy(), x.max(axis=2))
    np.testing.assert_allclose(F.group_avg_pool(tg.Tensor(x)).numpy(), x.mean(axis=2), 1e-15)
    assert nn.GroupMaxPool()(tg.Tensor(x)).shape == (2, 3, 4, 5)


@given(arrays(shape=(1, 2, 4, 2, 2), distinct=True), st.sampled_from(["max", "avg"]))
def test_group_pooling_gradients(x, pool):
    fn = F.group_max_pool if pool == "max" else F.group_avg_pool
    t = tg.Tensor(x, requires_grad=True)
    assert gradcheck(fn, [t])
    assert gradgradcheck(lambda t: fn(t) ** 2, [t])


# ---------------------------------------------------------------- gradients
@st.composite
def small_cases(draw):
    name = draw(names)
    K, S, P, D, H = draw(geometries(max_size=4))
    return _case(name, (K, S, P, D, H), draw(seeds), C=1, OC=2, N=1)


@settings(max_examples=min(settings().max_examples, 12))
@given(small_cases())
def test_gradcheck_input_weight_bias(case):
    conv, _, _, x, w, b, kwargs = case
    inputs = [tg.Tensor(a, requires_grad=True) for a in (x, w, b)]
    assert gradcheck(lambda x, w, b: conv(x, w, b, **kwargs), inputs)


@settings(max_examples=min(settings().max_examples, 8))
@given(small_cases())
def test_gradgradcheck_input_weight(case):
    conv, _, _, x, w, _, kwargs = case
    inputs = [tg.Tensor(a, requires_grad=True) for a in (x, w)]
    # squared, so the second derivative is not trivially zero (the layer is bilinear)
    assert gradgradcheck(lambda x, w: conv(x, w, **kwargs) ** 2, inputs)


# ---------------------------------------------------------------- layers
@pytest.mark.parametrize(
    "layer, G, lifting",
    [
        (nn.P4ConvZ2, 4, True),
        (nn.P4ConvP4, 4, False),
        (nn.P4MConvZ2, 8, True),
        (nn.P4MConvP4M, 8, False),
    ],
)
def test_layers_shapes_init_and_shared_bias(layer, G, lifting):
    tg.manual_seed(0)
    m = layer(6, 5, 3, padding=1)
    assert m.weight.shape == ((5, 6, 3, 3) if lifting else (5, 6, G, 3, 3))
    assert m.bias.shape == (5,)
    # kaiming-uniform with a = √5, as Conv2d: U(±1/√fan_in) with the group axis in the fan-in
    fan_in = 6 * (1 if lifting else G) * 9
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(m.bias.numpy()).max() <= bound
    x = tg.randn(2, 6, 7, 7) if lifting else tg.randn(2, 6, G, 7, 7)
    with tg.no_grad():
        y = m(x).numpy()
        m.bias.zero_()
        y0 = m(x).numpy()
    assert y.shape == (2, 5, G, 7, 7)
    # one bias per output channel, the same for every group element
    np.testing.assert_allclose(
        y - y0, np.broadcast_to((y - y0)[:, :, :1, :1, :1], y.shape), atol=1e-6
    )
    assert "padding=(1, 1)" in repr(m) and type(m).__name__ in repr(m)
    assert sum(p.numel() for p in m.parameters()) == w.size + 5


@pytest.mark.parametrize("mode", ["circular", "reflect", "replicate"])
def test_padding_modes_pad_then_convolve(mode):
    tg.manual_seed(0)
    m = nn.P4ConvP4(2, 3, 3, padding=1, padding_mode=mode).double()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 5, 5)))
    padded = F.pad(x, [1, 1, 1, 1], mode=mode)
    with tg.no_grad():
        np.testing.assert_allclose(
            m(x).numpy(), F.p4_conv_p4(padded, m.weight, m.bias).numpy(), rtol=1e-12
        )


def test_same_padding_with_dilation_and_circular_mode():
    """padding="same" pads dilation·(K − 1)/2 on each side; with circular padding the layer
    commutes with translations and rotations of the torus at once."""
    tg.manual_seed(0)
    m = nn.P4MConvZ2(1, 2, 3, padding="same", dilation=2, padding_mode="circular").double()
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 6))
    with tg.no_grad():
        y = m(tg.Tensor(x)).numpy()
        padded = F.pad(tg.Tensor(x), [2, 2, 2, 2], mode="circular")
        expected = F.p4m_conv_z2(padded, m.weight, m.bias, dilation=2).numpy()
        y_moved = m(tg.Tensor(np.roll(rotate_image(x), (1, 4), axis=(-2, -1)))).numpy()
    assert y.shape == (1, 2, 8, 6, 6)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert _close(y_moved, np.roll(rotate_group_maps(y), (1, 4), axis=(-2, -1)))


def test_layer_gradients_reach_the_parameters():
    m = nn.P4MConvZ2(1, 2, 3, padding="same", bias=True).double()
    x = tg.Tensor(np.random.default_rng(0).standard_normal((2, 1, 5, 5)))
    F.group_avg_pool(m(x)).pow(2).sum().backward()
    assert m.weight.grad is not None and m.weight.grad.shape == m.weight.shape
    assert m.bias.grad is not None and np.abs(m.bias.grad.numpy()).sum() > 0


# ---------------------------------------------------------------- bad input
def _t(*shape):
    return tg.zeros(*shape)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: F.p4_conv_z2(_t(1, 2, 4, 5, 5), _t(3, 2, 3, 3)),
            RuntimeError,
            "p4_conv_z2: expected input \\(N, C, H, W\\)",
        ),
        (
            lambda: F.p4_conv_p4(_t(1, 2, 5, 5), _t(3, 2, 4, 3, 3)),
            RuntimeError,
            "p4_conv_p4: expected input \\(N, C, 4, H, W\\)",
        ),
        (
            lambda: F.p4_conv_p4(_t(1, 2, 8, 5, 5), _t(3, 2, 4, 3, 3)),
            RuntimeError,
            "group axis .* size 4 for p4",
        ),
        (
            lambda: F.p4m_conv_p4m(_t(1, 2, 4, 5, 5), _t(3, 2, 8, 3, 3)),
            RuntimeError,
            "size 8 for p4m",
        ),
        (
            lambda: F.p4m_conv_p4m(_t(1, 2, 8, 5, 5), _t(3, 2, 4, 3, 3)),
            RuntimeError,
            "weight must have shape \\(OC, C, 8, K, K\\)",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 3, 2)),
            RuntimeError,
            "kernel must be square",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 1, 3, 3)),
            RuntimeError,
            "input has 2 channels but weight expects 1",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 3, 3), _t(4)),
            RuntimeError,
            "bias must have shape \\(3,\\)",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 3, 3), stride=(1, 2)),
            ValueError,
            "stride must be the same along both axes",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 3, 3), padding=(0, 1)),
            ValueError,
            "padding must be the same",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 2, 2), padding="same"),
            ValueError,
            "pads unevenly",
        ),
        (
            lambda: F.p4_conv_z2(_t(1, 2, 5, 5), _t(3, 2, 3, 3).double()),
            RuntimeError,
            "p4_conv_z2: input dtype",
        ),
        (
            lambda: F.group_max_pool(_t(1, 2, 5, 5)),
            RuntimeError,
            "group_max_pool: expected input \\(N, C, G, H, W\\)",
        ),
        (
            lambda: F.group_avg_pool(_t(2, 1, 2, 8, 5, 5)),
            RuntimeError,
            "group_avg_pool: expected input",
        ),
        (
            lambda: nn.P4ConvP4(2, 3, 3)(_t(1, 2, 8, 5, 5)),
            RuntimeError,
            "P4ConvP4: expected input \\(N, C, 4, H, W\\) with C = 2",
        ),
        (
            lambda: nn.P4MConvZ2(2, 3, 3)(_t(1, 3, 5, 5)),
            RuntimeError,
            "P4MConvZ2: expected input .* C = 2",
        ),
        (
            lambda: nn.P4ConvZ2(2, 3, (3, 2)),
            ValueError,
            "P4ConvZ2: kernel_size must be square",
        ),
        (
            lambda: nn.P4ConvZ2(2, 3, 2, padding="same"),
            ValueError,
            "P4ConvZ2: padding=.same. with an even",
        ),
        (
            lambda: nn.P4ConvP4(2, 3, 3, stride=(1, 2)),
            ValueError,
            "P4ConvP4: stride must be the same along both axes",
        ),
        (
            lambda: nn.P4MConvP4M(2, 3, 3, padding="same", stride=2),
            ValueError,
            "P4MConvP4M: padding='same' is not supported for strided",
        ),
        (
            lambda: nn.P4ConvZ2(2, 3, 3, padding_mode="wrap"),
            ValueError,
            "P4ConvZ2: padding_mode must be one of",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- the CUDA leg
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_cuda_matches_numpy(name):
    """Forward and the gradients for input, weight and bias on CuPy agree with NumPy (float64);
    skipped without a usable GPU."""
    from test_op_table import _cuda_problem

    problem = _cuda_problem()
    if problem is not None:
        pytest.skip(problem)
    conv, _, _, x, w, b, kwargs = _case(name, (3, 1, 1, 1, 5), 0)
    results = []
    for device in ("cpu", "cuda"):
        ts = [tg.Tensor(a, device=device, requires_grad=True) for a in (x, w, b)]
        out = conv(*ts, **kwargs)
        (out * out).sum().backward()
        results.append([out.numpy()] + [t.grad.numpy() for t in ts])
    for cpu, cuda in zip(*results, strict=True):
        np.testing.assert_allclose(cuda, cpu, rtol=1e-10, atol=1e-10)
