"""Group-equivariant convolution layers (Cohen & Welling 2016) and pooling over the group axis.

``P4ConvZ2`` lifts images ``(N, C, H, W)`` to feature maps on the group p4 (translations and
90° rotations), ``(N, OC, 4, OH, OW)``; ``P4ConvP4`` maps those to themselves; ``P4MConvZ2``
and ``P4MConvP4M`` do the same for p4m (with mirror reflections; group axis of size 8).
``GroupMaxPool`` and ``GroupAvgPool`` reduce the group axis, ``(N, C, G, H, W) → (N, C, H,
W)``. How a rotation or a mirror of the input moves the output — the element order and which
way the group axis shifts — is stated in ``tinygrad_cnn.functional.group_conv``.
"""

from __future__ import annotations

from typing import Any

from ..functional import group_conv as G
from ..tensor import Tensor
from .layers import _add_weight_and_bias, _int, _mode_pad_2d, _pair, _reset_weight_and_bias
from .module import Module

__all__ = ["P4ConvZ2", "P4ConvP4", "P4MConvZ2", "P4MConvP4M", "GroupMaxPool", "GroupAvgPool"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _GroupConv(Module):
    """What the four layers share: arguments, weight and bias with PyTorch's init (the fan-in
    of a group-to-group layer is in_channels × group size × K × K, since the weight has the
    group axis), padding modes and the repr."""

    _layer_name = ""
    _group_size = 4
    _lifting = True
    _conv: Any = None  # the functional form, set by each subclass

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        name = self._layer_name
        self.in_channels = _int(in_channels, "in_channels", name)
        self.out_channels = _int(out_channels, "out_channels", name)
        k = _pair(kernel_size, "kernel_size", name, 1)
        if k[0] != k[1]:
            raise ValueError(f"{name}: kernel_size must be square for rotated filters, got {k}")
        # the functional form's checks, run now so that a bad layer fails where it is made
        s, p, d = G._geometry(
            name,
            k[0],
            _pair(stride, "stride", name, 1),
            padding if isinstance(padding, str) else _pair(padding, "padding", name),
            _pair(dilation, "dilation", name, 1),
        )
        self.kernel_size, self.stride, self.dilation = k, (s, s), (d, d)
        self.padding: Any = p if isinstance(p, str) else (p, p)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {', '.join(map(repr, _PADDING_MODES))}, "
                f"got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        group_axis = () if self._lifting else (self._group_size,)
        weight_shape = (self.out_channels, self.in_channels, *group_axis, *self.kernel_size)
        _add_weight_and_bias(self, weight_shape, self.out_channels, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        ndim = 4 if self._lifting else 5
        shape = "(N, C, H, W)" if self._lifting else f"(N, C, {self._group_size}, H, W)"
        group_ok = self._lifting or (x.ndim == 5 and x.shape[2] == self._group_size)
        if x.ndim != ndim or x.shape[1] != self.in_channels or not group_ok:
            raise RuntimeError(
                f"{self._layer_name}: expected input {shape} with C = {self.in_channels}, got "
                f"shape {x.shape} (weight shape {self.weight.shape})"
            )
        padding: Any = self.padding
        if self.padding_mode != "zeros":
            x = _mode_pad_2d(x, self.padding, self.kernel_size, self.dilation, self.padding_mode)
            padding = 0
        return self._conv(x, self.weight, self.bias, self.stride, padding, self.dilation)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class P4ConvZ2(_GroupConv):
    """Lifting convolution to p4: ``(N, C_in, H, W)`` → ``(N, C_out, 4, OH, OW)``, one output
    map per rotation r of the filter by r·90° (``F.p4_conv_z2``).

    weight ``(out_channels, in_channels, K, K)``; bias ``(out_channels,)``, shared over the
    group axis. ``stride``, ``padding`` (int, equal pair, ``"valid"`` or ``"same"``),
    ``dilation`` and ``padding_mode`` (``"zeros"``, ``"reflect"``, ``"replicate"``,
    ``"circular"``) as in ``Conv2d``, but the same along both axes and a square kernel, so that
    the layer is exactly equivariant (see ``tinygrad_cnn.functional.group_conv``)."""

    _layer_name = "P4ConvZ2"
    _conv = staticmethod(G.p4_conv_z2)


class P4ConvP4(_GroupConv):
    """Group convolution on p4: ``(N, C_in, 4, H, W)`` → ``(N, C_out, 4, OH, OW)``
    (``F.p4_conv_p4``). weight ``(out_channels, in_channels, 4, K, K)``; default init scaled
    for the fan-in in_channels·4·K·K. Other arguments as in ``P4ConvZ2``."""

    _layer_name = "P4ConvP4"
    _lifting = False
    _conv = staticmethod(G.p4_conv_p4)


class P4MConvZ2(_GroupConv):
    """Lifting convolution to p4m: ``(N, C_in, H, W)`` → ``(N, C_out, 8, OH, OW)``, one output
    map per rotation and mirror of the filter, at index r + 4·m (``F.p4m_conv_z2``).
    weight ``(out_channels, in_channels, K, K)``. Other arguments as in ``P4ConvZ2``."""

    _layer_name = "P4MConvZ2"
    _group_size = 8
    _conv = staticmethod(G.p4m_conv_z2)


class P4MConvP4M(_GroupConv):
    """Group convolution on p4m: ``(N, C_in, 8, H, W)`` → ``(N, C_out, 8, OH, OW)``
    (``F.p4m_conv_p4m``). weight ``(out_channels, in_channels, 8, K, K)``; default init scaled
    for the fan-in in_channels·8·K·K. Other arguments as in ``P4ConvZ2``."""

    _layer_name = "P4MConvP4M"
    _group_size = 8
    _lifting = False
    _conv = staticmethod(G.p4m_conv_p4m)


class GroupMaxPool(Module):
    """The maximum over the group axis, ``(N, C, G, H, W)`` → ``(N, C, H, W)``
    (``F.group_max_pool``): the result rotates and mirrors with the input like an image."""

    def forward(self, x: Tensor) -> Tensor:
        return G.group_max_pool(x)


class GroupAvgPool(Module):
    """The mean over the group axis, ``(N, C, G, H, W)`` → ``(N, C, H, W)``
    (``F.group_avg_pool``)."""

    def forward(self, x: Tensor) -> Tensor:
        return G.group_avg_pool(x)
