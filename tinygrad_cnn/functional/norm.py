"""Normalisation: ``batch_norm`` (the fused primitive while training)."""

from __future__ import annotations

from ..autograd import functional_scope
from ..inplace import bump
from ..ops.norm import BatchNorm, batch_stats
from ..tensor import Tensor
from ._args import _same_dtype, _tensor

__all__ = ["batch_norm"]


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
    scale = Tensor(invstd) if weight is None else weight * Tensor(invstd)
    shift = -Tensor(running_mean._data.astype(dtype, copy=False)) * scale
    if bias is not None:
        shift = shift + bias
    return x * scale.reshape(bshape) + shift.reshape(bshape)
