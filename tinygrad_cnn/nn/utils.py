"""Gradient utilities: clipping by norm or by value, parameters as one flat vector, and
parameter counting."""

from __future__ import annotations

from collections.abc import Iterable

from ..inplace import bump
from ..tensor import Tensor, cat

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "vector_to_parameters",
    "parameter_count",
]


def _with_grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together, in place, so that their total norm is at most
    ``max_norm``; return the total norm before clipping (a 0-d tensor, left on the device).

    The total norm is the ``norm_type``-norm of the vector of all gradient entries
    (``float("inf")``: the largest absolute entry). Gradients are multiplied by
    ``min(1, max_norm / (total + 1e-6))`` unconditionally, so no value has to be read back
    to the host."""
    with_grads = list(_with_grads(parameters))
    grads = [p.grad._data for p in with_grads]
    if not grads:
        return Tensor(0.0)
    xp = Tensor(grads[0]).xp
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        norms = [xp.max(xp.abs(g)) for g in grads]
        total = xp.max(xp.stack(norms))
    else:
        # per-gradient norms first (one pass each), then the norm of the norms
        norms = [xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads]
        total = xp.linalg.norm(xp.stack(norms), ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {float(total)}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(with_grads, grads):
        g *= coef.astype(g.dtype)
        bump(p.grad)
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]``, in place."""
    for p in _with_grads(parameters):
        xp = p.grad.xp
        xp.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
        bump(p.grad)


def _as_list(name: str, parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: expected Tensors, but got {type(p).__name__}")
    return params


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (a new tensor, in the
    parameters' order; differentiable, as in PyTorch)."""
    params = _as_list("parameters_to_vector", parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty list of Tensors")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise TypeError(
                f"parameters_to_vector: found two parameters on different devices "
                f"({device} and {p.device})"
            )
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Write consecutive slices of the 1-D tensor ``vec`` into the parameters (in order, each
    reshaped to its parameter's shape). The inverse of ``parameters_to_vector``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got {type(vec).__name__}")
    params = _as_list("vector_to_parameters", parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(
            f"vector_to_parameters: vec must be 1-D with {total} elements (the parameters' "
            f"total), got shape {vec.shape}"
        )
    values = vec._data
    offset = 0
    for p in params:
        if p.device != vec.device:
            raise TypeError(
                f"vector_to_parameters: vec is on {vec.device} but a parameter is on {p.device}"
            )
        n = p.numel()
        p._data[...] = values[offset : offset + n].reshape(p.shape)
        bump(p)
        offset += n


def parameter_count(module, trainable_only: bool = False) -> int:
    """Number of parameter entries of ``module`` (only those that require grad, if asked)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
