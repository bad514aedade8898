"""Normalisation layers besides batch norm: ``LayerNorm``, ``GroupNorm``, ``InstanceNorm1d``,
``InstanceNorm2d``, with PyTorch's arguments, initialisation (scale 1, shift 0) and ``repr``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..inplace import bump
from ..tensor import Tensor
from . import init
from .layers import _int, _number
from .module import Module, Parameter

__all__ = ["LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


def _eps(eps: float, layer: str) -> float:
    if _number(eps, "eps", layer) <= 0:
        raise ValueError(f"{layer}: eps must be positive, got {eps}")
    return eps


def _scale_and_shift(module: Module, shape: tuple[int, ...], affine: bool, bias: bool) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None slots."""
    dtype = get_default_dtype()
    if affine:
        module.weight = Parameter(np.ones(shape, dtype=dtype))
    else:
        module.register_parameter("weight", None)
    if affine and bias:
        module.bias = Parameter(np.zeros(shape, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _reset(module: Module) -> None:
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalise over the last dimensions, ``normalized_shape`` (an int or a tuple), with their
    mean and biased variance; ``elementwise_affine`` adds a learned scale (and, with ``bias``,
    a shift) of that shape."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(_int(n, "normalized_shape", "LayerNorm") for n in shape)
        self.eps = _eps(eps, "LayerNorm")
        self.elementwise_affine = elementwise_affine
        _scale_and_shift(self, self.normalized_shape, elementwise_affine, bias)

    def reset_parameters(self) -> None:
        _reset(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine="
            f"{self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Split the channels into ``num_groups`` groups (which must divide ``num_channels``) and
    normalise each group of each sample; ``affine`` adds a learned per-channel scale (and,
    with ``bias``, shift)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_groups = _int(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _int(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.eps, self.affine = _eps(eps, "GroupNorm"), affine
        _scale_and_shift(self, (num_channels,), affine, bias)

    def reset_parameters(self) -> None:
        _reset(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(Module):
    _no_batch_dims = 0

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _int(num_features, "num_features", name)
        self.eps, self.momentum = _eps(eps, name), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _scale_and_shift(self, (num_features,), affine, bias)
        dtype = get_default_dtype()
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            for t, value in ((self.running_mean, 0), (self.running_var, 1)):
                t._data[...] = value
                bump(t)
            self.num_batches_tracked._data[...] = 0
            bump(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset(self)

    def forward(self, input: Tensor) -> Tensor:
        name = type(self).__name__
        batched = self._no_batch_dims + 1
        if input.ndim not in (self._no_batch_dims, batched):
            raise ValueError(
                f"{name}: expected {self._no_batch_dims}D or {batched}D input (got "
                f"{input.ndim}D input of shape {input.shape})"
            )
        channel = input.ndim - self._no_batch_dims
        if self.affine and input.shape[channel] != self.num_features:
            raise ValueError(
                f"{name}: expected input's size at dim={channel} to match num_features "
                f"({self.num_features}), but got: {input.shape[channel]} (shape {input.shape})"
            )
        unbatched = input.ndim == self._no_batch_dims
        x = input.unsqueeze(0) if unbatched else input
        # as in PyTorch, num_batches_tracked is kept (for checkpoints) but never counts
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, L) or (C, L) over L. Defaults as in
    PyTorch: no affine parameters, no running statistics."""

    _no_batch_dims = 2


class InstanceNorm2d(_InstanceNorm):
    """Normalise each channel of each sample of (N, C, H, W) or (C, H, W) over H, W."""

    _no_batch_dims = 3
