"""Hypothesis strategies that know CNNs: consistent convolution and pooling settings (output
size at least 1) and images without ties (so max-pooling has one maximum per window, even
within a finite-difference step).

    from hypothesis import given
    from tinygrad_cnn.testing.cnn_strategies import conv_settings, tie_free_images

    @given(conv_settings())
    def test_conv_shape(s):
        x = tg.randn(*s.input_shape)
        w = tg.randn(*s.weight_shape)
        assert F.conv2d(x, w, **s.kwargs).shape == s.output_shape

Needs the ``hypothesis`` package (a test dependency, not a runtime one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from ..ops.im2col import output_size

__all__ = [
    "ConvSettings",
    "PoolSettings",
    "conv_settings",
    "conv_transpose_settings",
    "pool_settings",
    "tie_free_images",
]


@dataclass(frozen=True)
class ConvSettings:
    """One consistent conv2d configuration (padding symmetric, per axis)."""

    N: int
    C: int
    H: int
    W: int
    OC: int
    KH: int
    KW: int
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    output_padding: tuple[int, int] = (0, 0)

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, self.H, self.W)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """(OC, C/groups, KH, KW), as conv2d expects."""
        return (self.OC, self.C // self.groups, self.KH, self.KW)

    @property
    def transpose_weight_shape(self) -> tuple[int, int, int, int]:
        """(C, OC/groups, KH, KW), as conv_transpose2d expects (C is its input channels)."""
        return (self.C, self.OC // self.groups, self.KH, self.KW)

    @property
    def output_hw(self) -> tuple[int, int]:
        """The conv2d output size, floor((H + 2P − D(K − 1) − 1)/S) + 1 per axis."""
        return tuple(
            output_size(n, k, s, p, d)
            for n, k, s, p, d in zip(
                (self.H, self.W),
                (self.KH, self.KW),
                self.stride,
                self.padding,
                self.dilation,
                strict=True,
            )
        )

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.OC, *self.output_hw)

    @property
    def kwargs(self) -> dict:
        """Keyword arguments for ``F.conv2d``."""
        return dict(
            stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups
        )


@dataclass(frozen=True)
class PoolSettings:
    """One consistent pooling configuration (padding at most half the kernel size)."""

    N: int
    C: int
    H: int
    W: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        return (self.N, self.C, self.H, self.W)

    @property
    def output_hw(self) -> tuple[int, int]:
        return tuple(
            output_size(n, k, s, p, d, self.ceil_mode)
            for n, k, s, p, d in zip(
                (self.H, self.W),
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
                strict=True,
            )
        )

    @property
    def max_kwargs(self) -> dict:
        """Keyword arguments for ``F.max_pool2d``."""
        return dict(
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
        )

    @property
    def avg_kwargs(self) -> dict:
        """Keyword arguments for ``F.avg_pool2d`` (which has no dilation)."""
        return dict(
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            ceil_mode=self.ceil_mode,
        )


def _axis(draw, max_size: int, max_kernel: int, max_stride: int, max_pad: int, max_dil: int):
    """(size, kernel, stride, padding, dilation) for one axis with output size ≥ 1."""
    k = draw(st.integers(1, max_kernel))
    d = draw(st.integers(1, max_dil)) if k > 1 else 1
    s = draw(st.integers(1, max_stride))
    p = draw(st.integers(0, max_pad))
    span = d * (k - 1) + 1
    n = draw(st.integers(max(1, span - 2 * p), max(max_size, span - 2 * p)))
    return n, k, s, p, d


@st.composite
def conv_settings(
    draw: st.DrawFn,
    max_batch: int = 2,
    max_channels: int = 3,
    max_groups: int = 2,
    max_size: int = 6,
    max_kernel: int = 3,
    max_stride: int = 2,
    max_padding: int = 2,
    max_dilation: int = 2,
) -> ConvSettings:
    """Small, consistent conv2d settings: channels divisible by groups, output ≥ 1."""
    G = draw(st.integers(1, max_groups))
    C = G * draw(st.integers(1, max_channels))
    OC = G * draw(st.integers(1, max_channels))
    N = draw(st.integers(1, max_batch))
    H, KH, sh, ph, dh = _axis(draw, max_size, max_kernel, max_stride, max_padding, max_dilation)
    W, KW, sw, pw, dw = _axis(draw, max_size, max_kernel, max_stride, max_padding, max_dilation)
    return ConvSettings(N, C, H, W, OC, KH, KW, (sh, sw), (ph, pw), (dh, dw), G)


@st.composite
def conv_transpose_settings(draw: st.DrawFn, **kwargs) -> ConvSettings:
    """Settings for conv_transpose2d: as ``conv_settings`` (C is the transposed conv's input
    channel count), plus an output padding smaller than stride or dilation, and a positive
    output size."""
    s = draw(conv_settings(**kwargs))
    op = []
    for stride, dil in zip(s.stride, s.dilation, strict=True):
        op.append(draw(st.integers(0, max(stride, dil) - 1)))
    pads = []
    for n, st_, p, d, k, o in zip(
        (s.H, s.W), s.stride, s.padding, s.dilation, (s.KH, s.KW), op, strict=True
    ):
        while p > 0 and (n - 1) * st_ - 2 * p + d * (k - 1) + o + 1 < 1:
            p -= 1  # the output would be empty: pad less
        pads.append(p)
    return ConvSettings(
        s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.stride, tuple(pads), s.dilation, s.groups, tuple(op)
    )


def _windows_reach_input(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> bool:
    """True when every window along this axis covers at least one real (unpadded) input."""
    for i in range(output_size(n, k, s, p, d, ceil)):
        if not any(0 <= i * s - p + a * d < n for a in range(k)):
            return False
    return True


@st.composite
def pool_settings(
    draw: st.DrawFn,
    max_batch: int = 2,
    max_channels: int = 2,
    max_size: int = 7,
    max_kernel: int = 3,
    max_stride: int = 3,
    dilation: bool = True,
    ceil_mode: bool | None = None,
) -> PoolSettings:
    """Pooling settings with padding ≤ half the kernel size, as PyTorch requires, and an
    output of at least one window. ``dilation=False`` for avg_pool2d (which has none)."""
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    ceil = draw(st.booleans()) if ceil_mode is None else ceil_mode
    axes = []
    for _ in range(2):
        k = draw(st.integers(1, max_kernel))
        d = draw(st.integers(1, 2)) if dilation and k > 1 else 1
        s = draw(st.integers(1, max_stride))
        p = draw(st.integers(0, k // 2))
        span = d * (k - 1) + 1
        n = draw(st.integers(max(1, span - 2 * p), max(max_size, span - 2 * p)))
        if not _windows_reach_input(n, k, s, p, d, ceil):
            # a window of padding only has the maximum −∞ (in PyTorch too): avoid it
            p, n = 0, max(n, span)
        axes.append((n, k, s, p, d))
    (H, KH, sh, ph, dh), (W, KW, sw, pw, dw) = axes
    return PoolSettings(N, C, H, W, (KH, KW), (sh, sw), (ph, pw), (dh, dw), ceil)


@st.composite
def tie_free_images(
    draw: st.DrawFn, shape: tuple[int, ...], dtype=np.float64, low: float = -2.0, high: float = 2.0
) -> np.ndarray:
    """An array of ``shape`` whose values are pairwise distinct and at least
    (high − low)/(2·size) apart: a random permutation of an evenly spaced grid, plus a jitter of
    less than a quarter step. No window has two maxima, not even after a finite-difference
    perturbation."""
    size = int(np.prod(shape))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    step = (high - low) / max(2 * size, 1)
    grid = low + step * (2 * rng.permutation(size) + 1)
    jitter = rng.uniform(-0.25 * step, 0.25 * step, size)
    return (grid + jitter).reshape(shape).astype(dtype)
