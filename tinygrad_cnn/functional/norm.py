"""Normalisation: ``batch_norm`` (the fused primitive while training) and ``layer_norm``,
``group_norm``, ``instance_norm`` (the fused ``Standardize`` primitive along a reshaped last
axis, then the scale and shift as Tensor ops)."""

from __future__ import annotations

from collections.abc import Sequence

from ..autograd import functional_scope, records
from ..inplace import bump
from ..ops.norm import BatchNorm, batch_stats
from ..ops.standardize import Standardize
from ..ops.workspace import empty_like
from ..tensor import Tensor
from ._args import _same_dtype, _tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


@functional_scope("batch_norm", params=("training",))
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of input (N, C) or (N, C, *) per channel C.

    Training: normalise with the batch mean and the *biased* batch variance, and update the
    running statistics in place with the *unbiased* variance:
    ``running = (1 − momentum)·running + momentum·batch_stat``. Eval: y = (x − running_mean)/
    √(running_var + eps)·weight + bias. weight/bias (C,) default to 1 and 0.
    """
    op = "batch_norm"
    x = _tensor(input, "input", op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of shape (N, C) or (N, C, *), got {x.shape}")
    C = x.shape[1]
    named = dict(running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    for name, t in named.items():
        if t is not None and tuple(t.shape) != (C,):
            raise RuntimeError(
                f"{op}: {name} must have shape ({C},) for an input with {C} channels "
                f"(input shape {x.shape}), got {tuple(t.shape)}"
            )
    _same_dtype(op, input=x, weight=weight, bias=bias)
    xp, dtype = x.xp, x.dtype
    if training:
        count = x.numel() // C
        if count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, got input shape "
                f"{x.shape}"
            )
        mean, var = batch_stats(xp, x._data)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * mean).astype(rm.dtype, copy=False)
            bump(running_mean)
        if running_var is not None:
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * count / (count - 1) * var).astype(rv.dtype, copy=False)
            bump(running_var)
        w = weight if weight is not None else Tensor(xp.ones(C, dtype=dtype))
        b = bias if bias is not None else Tensor(xp.zeros(C, dtype=dtype))
        return BatchNorm.apply(x, w, b, mean, var, eps=float(eps))
    if running_mean is None or running_var is None:
        raise RuntimeError(f"{op}: running_mean and running_var are needed in eval mode")
    bshape = (1, C) + (1,) * (x.ndim - 2)
    invstd = 1.0 / xp.sqrt(running_var._data.astype(dtype, copy=False) + eps)
    if not records(x, weight, bias):  # inference: one output array, written in two passes
        scale_a = invstd if weight is None else invstd * weight._data
        shift_a = -running_mean._data.astype(dtype, copy=False) * scale_a
        if bias is not None:
            shift_a += bias._data
        y = empty_like(x._data)
        xp.multiply(x._data, scale_a.reshape(bshape), out=y)
        y += shift_a.reshape(bshape)
        return Tensor(y)
    scale = Tensor(invstd) if weight is None else weight * Tensor(invstd)
    shift = -Tensor(running_mean._data.astype(dtype, copy=False)) * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(bshape) + shift.reshape(bshape)


def _standardize(x: Tensor, k: int, eps: float) -> Tensor:
    """(x − mean)/√(var + eps) over the last ``k`` dimensions, with the biased variance (the
    fused ``Standardize`` primitive on a view whose last axis holds them)."""
    lead = x.shape[: x.ndim - k]
    rows = x.reshape(lead + (-1,)) if k != 1 else x  # (..., M)
    return Standardize.apply(rows, eps=float(eps)).reshape(x.shape)


def _affine(y: Tensor, weight: Tensor | None, bias: Tensor | None, shape: tuple) -> Tensor:
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _check_param(op: str, name: str, t: Tensor | None, shape: tuple, x: Tensor) -> None:
    if t is not None and tuple(t.shape) != shape:
        raise RuntimeError(
            f"{op}: expected {name} of shape {shape} for an input of shape {x.shape}, got "
            f"{tuple(t.shape)}"
        )


def _float_input(input: Tensor, op: str) -> Tensor:
    x = _tensor(input, "input", op)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    return x


def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions (which must equal
    ``normalized_shape``) with their mean and biased variance, then scale by ``weight`` and
    shift by ``bias`` (both of shape ``normalized_shape``, elementwise)."""
    op = "layer_norm"
    x = _float_input(input, op)
    shape = (
        (int(normalized_shape),)
        if isinstance(normalized_shape, int)
        else tuple(int(n) for n in normalized_shape)
    )
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise RuntimeError(
            f"{op}: given normalized_shape={list(shape)}, expected an input whose last {k} "
            f"dimensions are {shape}, but got input of shape {x.shape}"
        )
    _check_param(op, "weight", weight, shape, x)
    _check_param(op, "bias", bias, shape, x)
    _same_dtype(op, input=x, weight=weight, bias=bias)
    y = _standardize(x, k, eps)
    return _affine(y, weight, bias, shape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of input (N, C, *) into ``num_groups`` groups and normalise each
    group of each sample over its channels and positions; ``weight``/``bias`` (C,) scale and
    shift per channel."""
    op = "group_norm"
    x = _float_input(input, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of shape (N, C, *), got {x.shape}")
    N, C = x.shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(
            f"{op}: expected the number of channels in input ({C}, shape {x.shape}) to be "
            f"divisible by num_groups ({num_groups})"
        )
    _check_param(op, "weight", weight, (C,), x)
    _check_param(op, "bias", bias, (C,), x)
    _same_dtype(op, input=x, weight=weight, bias=bias)
    grouped = x.reshape(N, num_groups, -1)  # (N, G, C/G · *)
    y = _standardize(grouped, 1, eps).reshape(x.shape)
    return _affine(y, weight, bias, (1, C) + (1,) * (x.ndim - 2))


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of input (N, C, *) over its positions.

    With ``use_input_stats`` (default) the sample's own mean and biased variance are used, and
    given running statistics (C,) are updated in place with their average over the batch (the
    variance unbiased), by ``momentum``. Without it, the running statistics normalise.
    ``weight``/``bias`` (C,) scale and shift per channel."""
    op = "instance_norm"
    x = _float_input(input, op)
    if x.ndim < 3:
        raise RuntimeError(f"{op}: expected an input of shape (N, C, L, ...), got {x.shape}")
    C = x.shape[1]
    for name, t in dict(
        running_mean=running_mean, running_var=running_var, weight=weight, bias=bias
    ).items():
        _check_param(op, name, t, (C,), x)
    _same_dtype(op, input=x, weight=weight, bias=bias)
    bshape = (1, C) + (1,) * (x.ndim - 2)
    axes = tuple(range(2, x.ndim))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError(
                f"{op}: running_mean and running_var are needed when use_input_stats=False"
            )
        rm = running_mean._data.astype(x.dtype, copy=False).reshape(bshape)
        rv = running_var._data.astype(x.dtype, copy=False).reshape(bshape)
        y = (x - Tensor(rm)) * Tensor(1.0 / x.xp.sqrt(rv + eps))
        return _affine(y, weight, bias, bshape)
    count = x.numel() // (x.shape[0] * C) if x.shape[0] * C else 0
    if count <= 1:
        raise ValueError(
            f"{op}: expected more than 1 spatial element when training, got input shape {x.shape}"
        )
    if running_mean is not None or running_var is not None:
        data = x._data
        mean = data.mean(axis=axes)  # (N, C)
        if running_mean is not None:
            rm = running_mean._data
            rm *= 1 - momentum
            rm += (momentum * mean.mean(axis=0)).astype(rm.dtype, copy=False)
            bump(running_mean)
        if running_var is not None:
            var = data.var(axis=axes, ddof=1)  # (N, C), unbiased
            rv = running_var._data
            rv *= 1 - momentum
            rv += (momentum * var.mean(axis=0)).astype(rv.dtype, copy=False)
            bump(running_var)
    return _affine(_standardize(x, x.ndim - 2, eps), weight, bias, bshape)
