"""Layers with PyTorch's names, arguments, defaults and initialisation.

Each layer holds its parameters and calls one function of ``tinygrad_cnn.functional`` in
``forward``; the functional op does the work (and its backward).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from .. import functional as F
from ..dtypes import get_default_dtype
from ..inplace import bump
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = [
    "Identity",
    "Linear",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "Sequential",
    "ModuleList",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
]


def _int(value: Any, name: str, layer: str, minimum: int | None = 1) -> int:
    """``value`` as an int ≥ ``minimum`` (None: any int); a TypeError or ValueError naming the
    layer otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _pair(x: Any, name: str = "size", layer: str = "layer", minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints (each ≥ ``minimum``) → a pair."""
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f"{layer}: {name} must be an int or a pair, got {x!r}")
        return _int(x[0], name, layer, minimum), _int(x[1], name, layer, minimum)
    n = _int(x, name, layer, minimum)
    return n, n


def _number(value: Any, name: str, layer: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{layer}: {name} must be a number, got {value!r}")
    return float(value)


def _empty(*shape: int) -> Parameter:
    return Parameter(np.empty(shape, dtype=get_default_dtype()))


def _add_weight_and_bias(
    layer: Module, weight_shape: tuple[int, ...], bias_size: int, bias: bool
) -> None:
    """Register uninitialised ``weight`` and ``bias`` on ``layer``; ``bias=False`` leaves an
    empty ``bias`` slot (``layer.bias is None``, not in ``parameters()``)."""
    layer.weight = _empty(*weight_shape)
    if bias:
        layer.bias = _empty(bias_size)
    else:
        layer.register_parameter("bias", None)


def _reset_weight_and_bias(weight: Parameter, bias: Parameter | None) -> None:
    """PyTorch's default for Linear and convolutions: kaiming-uniform with a=√5 (that is,
    U(−1/√fan_in, 1/√fan_in)) for the weight and U(−1/√fan_in, 1/√fan_in) for the bias."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init.calculate_fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


# ---------------------------------------------------------------------------- basic layers
class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class Linear(Module):
    """``y = x @ weight.T + bias``. Input ``(*, in_features)``, output ``(*, out_features)``.

    weight ``(out_features, in_features)``; bias ``(out_features,)`` when ``bias=True``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = _int(in_features, "in_features", "Linear")
        self.out_features = _int(out_features, "out_features", "Linear")
        _add_weight_and_bias(self, (self.out_features, self.in_features), self.out_features, bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise RuntimeError(
                f"Linear: input has shape {x.shape} but the layer expects last dimension "
                f"{self.in_features} (weight shape {self.weight.shape})"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: the groups check, the pair-valued options,
    weight and bias with PyTorch's init, the input check and the repr."""

    _layer_name = ""  # in error messages

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int],
        dilation: int | tuple[int, int],
        groups: int,
        bias: bool,
        transposed: bool,
    ) -> None:
        super().__init__()
        name = self._layer_name
        self.in_channels = _int(in_channels, "in_channels", name)
        self.out_channels = _int(out_channels, "out_channels", name)
        self.kernel_size = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = _pair(stride, "stride", name, 1)
        self.dilation = _pair(dilation, "dilation", name, 1)
        self.groups = _int(groups, "groups", name)
        if transposed:  # the adjoint maps input channels to output channels
            weight_shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            weight_shape = (out_channels, in_channels // groups, *self.kernel_size)
        _add_weight_and_bias(self, weight_shape, out_channels, bias)
        self.reset_parameters()

    def _check_groups(self, in_channels: int, out_channels: int, groups: int) -> None:
        name = self._layer_name
        in_channels = _int(in_channels, "in_channels", name)
        out_channels = _int(out_channels, "out_channels", name)
        groups = _int(groups, "groups", name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{self._layer_name}: in_channels ({in_channels}) and out_channels "
                f"({out_channels}) must both be divisible by groups ({groups})"
            )

    def _check_input(self, x: Tensor) -> None:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise RuntimeError(
                f"{self._layer_name}: expected input (N, {self.in_channels}, H, W) or "
                f"({self.in_channels}, H, W), got shape {x.shape} (weight shape "
                f"{self.weight.shape})"
            )

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        # Conv2d has no output_padding and ConvTranspose2d no padding_mode: getattr's
        # default stands in, so neither prints them
        for name, default in (
            ("padding", (0, 0)),
            ("output_padding", (0, 0)),
            ("dilation", (1, 1)),
            ("groups", 1),
        ):
            value = getattr(self, name, default)
            if value != default:
                s += f", {name}={value}"
        if self.bias is None:
            s += ", bias=False"
        if getattr(self, "padding_mode", "zeros") != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)`` → ``(N, C_out, OH, OW)``
    with ``OH = floor((H + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1``.

    weight ``(out_channels, in_channels / groups, KH, KW)``; bias ``(out_channels,)``.
    ``padding``: int, pair, ``"same"`` or ``"valid"`` (default 0). ``padding_mode``: ``"zeros"``
    (default), ``"reflect"`` (mirror at the border), ``"replicate"`` (repeat the edge) or
    ``"circular"`` (periodic boundaries: the image is wrapped on a torus, so the convolution
    commutes with translations — what a periodic lattice needs)."""

    _layer_name = "Conv2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        self._check_groups(in_channels, out_channels, groups)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                "Conv2d: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                f"got {padding_mode!r}"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d: padding must be 'same', 'valid' or ints, got {padding!r}"
                )
            if padding == "same" and _pair(stride, "stride", "Conv2d", 1) != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, dilation, groups, bias, transposed=False
        )
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", "Conv2d")
        self.padding_mode = padding_mode

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        if self.padding_mode != "zeros":
            x = _mode_pad_2d(x, self.padding, self.kernel_size, self.dilation, self.padding_mode)
            padding: Any = 0
        else:
            padding = self.padding
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


def _mode_pad_2d(
    x: Tensor,
    padding: tuple[int, int] | str,
    kernel_size: tuple[int, int],
    dilation: tuple[int, int],
    mode: str,
) -> Tensor:
    """A 2-D layer's ``padding_mode`` padding of the last two axes, (left, right, top,
    bottom), done by ``F.pad`` so that the convolution itself pads nothing."""
    if padding == "valid":
        return x
    if padding == "same":
        pads = []
        for k, d in zip(reversed(kernel_size), reversed(dilation), strict=True):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
    else:
        ph, pw = padding
        pads = [pw, pw, ph, ph]
    return F.pad(x, pads, mode=mode) if any(pads) else x


class ConvTranspose2d(_ConvNd):
    """Transposed convolution (the adjoint of Conv2d; "deconvolution", learned upsampling).

    ``(N, C_in, H, W)`` → ``(N, C_out, OH, OW)`` with
    ``OH = (H − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1``.
    weight ``(in_channels, out_channels / groups, KH, KW)``; bias ``(out_channels,)``."""

    _layer_name = "ConvTranspose2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        output_padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: int | tuple[int, int] = 1,
    ) -> None:
        self._check_groups(in_channels, out_channels, groups)
        super().__init__(
            in_channels, out_channels, kernel_size, stride, dilation, groups, bias, transposed=True
        )
        self.padding = _pair(padding, "padding", "ConvTranspose2d")
        self.output_padding = _pair(output_padding, "output_padding", "ConvTranspose2d")

    def forward(self, x: Tensor) -> Tensor:
        self._check_input(x)
        return F.conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


# ---------------------------------------------------------------------------- pooling
class _Pool2d(Module):
    """The window options MaxPool2d and AvgPool2d share; ``stride`` defaults to
    ``kernel_size``."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None,
        padding: int | tuple[int, int],
        ceil_mode: bool,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        _pair(kernel_size, "kernel_size", name, 1)  # checked here; kept as given for the repr
        if stride is not None:
            _pair(stride, "stride", name, 1)
        _pair(padding, "padding", name, 0)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode

    def _window_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``; padding
    counts as −∞. ``(N, C, H, W)`` → ``(N, C, OH, OW)`` with
    ``OH = floor((H + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1`` (ceil with
    ``ceil_mode``). ``return_indices=True`` also returns the argmax positions."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        _pair(dilation, "dilation", "MaxPool2d", 1)
        self.dilation = dilation
        self.return_indices = return_indices

    def forward(self, x: Tensor) -> Any:
        return F.max_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:  # PyTorch's: every option
        return self._window_repr() + f", dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class AvgPool2d(_Pool2d):
    """Mean over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``. With
    ``count_include_pad=True`` (default) padded zeros count in the mean; ``divisor_override``
    replaces the divisor."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        if divisor_override is not None:
            _int(divisor_override, "divisor_override", "AvgPool2d", 1)
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:  # PyTorch's: the window only
        return self._window_repr()


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` whatever the input size (``1`` gives global
    average pooling: ``(N, C, H, W)`` → ``(N, C, 1, 1)``)."""

    def __init__(self, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,)
        if not 1 <= len(sizes) <= 2:
            raise ValueError(
                f"AdaptiveAvgPool2d: output_size must be an int or a pair, got {sizes!r}"
            )
        for n in sizes:
            if n is not None:
                _int(n, "output_size", "AdaptiveAvgPool2d", 1)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# ---------------------------------------------------------------------------- normalisation
class _BatchNorm(Module):
    _expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _int(num_features, "num_features", name)
        if _number(eps, "eps", name) <= 0:
            raise ValueError(f"{name}: eps must be positive, got {eps}")
        if momentum is not None and not 0.0 <= _number(momentum, "momentum", name) <= 1.0:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.eps, self.momentum = eps, momentum
        dtype = get_default_dtype()
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for t in (self.running_mean, self.running_var, self.num_batches_tracked):
                bump(t)

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if x.ndim not in self._expected_dims or x.shape[1] != self.num_features:
            want = " or ".join(f"{d}-D" for d in self._expected_dims)
            raise RuntimeError(
                f"{name}: expected a {want} input with {self.num_features} channels in "
                f"dimension 1, got shape {x.shape}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1  # on the device: no host round trip
            bump(self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average, as in PyTorch
                # a 0-d array on the counter's device: reading the count would sync the GPU
                factor = 1.0 / self.num_batches_tracked._data
        # in eval mode without running statistics, normalise with the batch's own statistics
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over ``(N, C)`` or ``(N, C, L)``: per channel, training normalises
    with the batch mean and biased variance and updates ``running_mean``/``running_var`` (the
    latter with the unbiased variance) by ``momentum`` (``None``: cumulative average); eval
    normalises with the running statistics. ``affine`` adds a learned scale and shift."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over ``(N, C, H, W)``, per channel (statistics over N, H, W);
    see ``BatchNorm1d``."""

    _expected_dims = (4,)


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by 1/(1−p);
    in eval, the identity. The mask comes from ``tg.manual_seed``'s generator."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        name = type(self).__name__
        if not 0.0 <= _number(p, "p", name) <= 1.0:
            raise ValueError(f"{name}: p must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


# ---------------------------------------------------------------------------- activations
class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x ≥ 0, ``negative_slope``·x otherwise (default slope 0.01)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = _number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^(−x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class GELU(Module):
    """x·Φ(x) (``approximate="none"``) or its tanh approximation (``"tanh"``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """exp(x) / Σ exp(x) along ``dim`` (default −1, the last axis)."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        if dim is not None:
            _int(dim, "dim", type(self).__name__, minimum=None)
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim`` (default −1), computed stably."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        if dim is not None:
            _int(dim, "dim", type(self).__name__, minimum=None)
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Flatten(Module):
    """Merge dimensions ``start_dim`` (default 1, keeping the batch) to ``end_dim`` (−1)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        _int(start_dim, "start_dim", "Flatten", minimum=None)
        _int(end_dim, "end_dim", "Flatten", minimum=None)
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


# ---------------------------------------------------------------------------- losses
class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be mean|sum|none")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A class-index loss with optional per-class ``weight`` and an ``ignore_index``."""

    def __init__(self, weight: Tensor | None, ignore_index: int, reduction: str) -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index
        self.register_buffer("weight", weight)

    def _kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the functional loss; options left at their default are
        not passed."""
        kwargs: dict[str, Any] = {"reduction": self.reduction}
        if self.weight is not None:
            kwargs["weight"] = self.weight
        if self.ignore_index != -100:
            kwargs["ignore_index"] = self.ignore_index
        return kwargs


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits ``(N, C)`` (or ``(N, C, ...)``) with class-index targets."""

    def __init__(
        self,
        weight: Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        kwargs = self._kwargs()
        if self.label_smoothing:
            kwargs["label_smoothing"] = self.label_smoothing
        return F.cross_entropy(input, target, **kwargs)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities ``(N, C)`` with class-index targets."""

    def __init__(
        self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, ignore_index, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, **self._kwargs())


class MSELoss(_Loss):
    """Mean squared error (``reduction="mean"``), or its sum, or per element."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


# ---------------------------------------------------------------------------- containers
_SequenceT = TypeVar("_SequenceT", bound="_ModuleSequence")


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: submodules in order, appended under the names
    "0", "1", ...; each subclass maps a position to a name in ``_index``."""

    def _index(self, idx: int) -> str:
        raise NotImplementedError

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._index(idx), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self: _SequenceT, module: Module) -> _SequenceT:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self: _SequenceT, modules: Iterable[Module]) -> _SequenceT:
        for m in modules:
            self.append(m)
        return self

    def _renumber(self, modules: list[Module]) -> None:
        """Replace every submodule by ``modules``, named "0", "1", ..."""
        for name in list(self._modules):
            delattr(self, name)
        self.extend(modules)


class Sequential(_ModuleSequence):
    """Modules applied one after the other. ``Sequential(m0, m1, ...)`` names them "0", "1",
    ...; ``Sequential(OrderedDict(name=module, ...))`` keeps the given names. Supports
    ``len``, iteration, ``seq[i]`` (a module), ``seq[a:b]`` (a Sequential) and ``append``."""

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"Sequential: index {idx} is out of range for {n} modules")
        return list(self._modules)[idx % n]

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __delitem__(self, idx: int | slice) -> None:
        names = list(self._modules)[idx] if isinstance(idx, slice) else [self._index(idx)]
        for name in names:
            delattr(self, name)
        if all(k.isdigit() for k in self._modules):  # keep the numbering 0, 1, 2, ...
            self._renumber(list(self._modules.values()))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x


class ModuleList(_ModuleSequence):
    """A list of modules that registers them (so their parameters are found). It has no
    ``forward``: iterate over it in your own."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"ModuleList: index {idx} is out of range for {n} modules")
        return str(idx % n)

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[self._index(idx)]

    def __delitem__(self, idx: int | slice) -> None:
        items = list(self._modules.values())
        del items[idx]
        self._renumber(items)

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)
