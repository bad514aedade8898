"""Numerical gradient checks: compare autograd with central finite differences in float64.

``gradcheck`` projects the output on a random direction ``v`` and compares the gradient of
⟨fn(x), v⟩ computed by autograd with central differences. A random projection (rather than a
plain ``.sum()``) matters: the gradient of ``softmax(x).sum()`` is zero whatever the backward
does, so a wrong softmax backward would pass a sum-based check.

``gradgradcheck`` checks the gradient of the gradient (the backward pass of each op, recorded
with ``create_graph=True``) the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autograd
from ..backend import to_device
from ..tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """The analytic (autograd) gradient disagrees with the numerical one."""


def _as_inputs(inputs: Any, caller: str) -> tuple[Tensor, ...]:
    """Inputs as a tuple of float64 Tensors that require grad (clear errors otherwise)."""
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    if not inputs:
        raise ValueError(f"{caller}: expected at least one input tensor")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"{caller}: input {i} is a {type(x).__name__}, expected a Tensor")
        if x.dtype != np.float64:
            raise TypeError(
                f"{caller}: input {i} (shape {x.shape}) is {x.dtype}; finite differences need "
                "float64 inputs (use Tensor(..., dtype=tg.float64) or .double())"
            )
        if not x.requires_grad:
            raise ValueError(
                f"{caller}: input {i} (shape {x.shape}) does not require grad; "
                "create it with requires_grad=True"
            )
        if not x.is_leaf:
            raise ValueError(
                f"{caller}: input {i} (shape {x.shape}) is not a leaf; pass leaf tensors "
                "(e.g. x.detach().requires_grad_())"
            )
    return inputs


def _outputs(fn: Callable[..., Any], inputs: Sequence[Tensor], caller: str) -> list[Tensor]:
    """``fn(*inputs)`` as a list of float64 Tensors (``fn`` may return one or a tuple)."""
    out = fn(*inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{caller}: fn returned a {type(o).__name__} (output {k}), not a Tensor"
            )
        if o.dtype != np.float64:
            raise TypeError(
                f"{caller}: output {k} (shape {o.shape}) is {o.dtype}, expected float64 "
                "(an op lost precision, or fn casts)"
            )
    return outs


def _projection(outs: Sequence[Tensor], vs: Sequence[np.ndarray]) -> float:
    return float(sum(np.sum(o.numpy() * v) for o, v in zip(outs, vs, strict=True)))


def _analytic(
    outs: Sequence[Tensor], inputs: Sequence[Tensor], vs: Sequence[np.ndarray], retain: bool
) -> list[np.ndarray]:
    """Autograd's gradient of Σ⟨outs[k], vs[k]⟩ with respect to each input (zeros if unused)."""
    pairs = [(o, v) for o, v in zip(outs, vs, strict=True) if o.requires_grad]
    if not pairs:  # no output depends on the inputs through recorded ops
        return [np.zeros(x.shape) for x in inputs]
    grads = autograd.grad(
        [o for o, _ in pairs],
        list(inputs),
        grad_outputs=[Tensor(v, device=o.device) for o, v in pairs],
        retain_graph=retain,
        allow_unused=True,
    )
    result = []
    for i, (x, g) in enumerate(zip(inputs, grads, strict=True)):
        if g is None:
            result.append(np.zeros(x.shape))
            continue
        if g.shape != x.shape or g.dtype != np.float64:
            raise GradcheckError(
                f"input {i}: autograd returned a gradient of shape {g.shape} and dtype {g.dtype} "
                f"for an input of shape {x.shape} and dtype float64"
            )
        result.append(g.numpy().astype(np.float64, copy=True))
    return result


class _Perturbed:
    """Swap an input's data for a writable float64 copy while finite differences run."""

    def __init__(self, x: Tensor) -> None:
        self.x = x
        self.original = x._data

    def __enter__(self) -> np.ndarray:
        host = np.array(self.x.numpy(), dtype=np.float64, copy=True)
        # a fresh contiguous copy on the input's device: views, even read-only ones, stay intact
        self.x._data = to_device(host.copy(), self.x.device)
        return host

    def __exit__(self, *exc: object) -> None:
        self.x._data = self.original


def _numerical(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor],
    i: int,
    measure: Callable[[list[Tensor]], np.ndarray],
    eps: float,
    caller: str,
) -> np.ndarray:
    """Central differences of ``measure(fn(inputs))`` in every element of input ``i``.

    ``measure`` maps the outputs to a float64 array; the result has shape
    ``inputs[i].shape + measure_shape``.
    """
    x = inputs[i]
    columns = []
    with _Perturbed(x) as host:
        for idx in np.ndindex(*x.shape):
            original = float(host[idx])
            x._data[idx] = original + eps
            plus = measure(_outputs(fn, inputs, caller))
            x._data[idx] = original - eps
            minus = measure(_outputs(fn, inputs, caller))
            x._data[idx] = original
            columns.append((plus - minus) / (2 * eps))
        if not columns:  # an empty input
            empty = measure(_outputs(fn, inputs, caller))
            return np.zeros(x.shape + np.shape(empty))
    return np.asarray(columns, dtype=np.float64).reshape(x.shape + np.shape(columns[0]))


def _compare(
    analytic: np.ndarray, numerical: np.ndarray, atol: float, rtol: float
) -> tuple[bool, tuple[int, ...]]:
    """Whether all entries agree, and the index of the worst one."""
    excess = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
    excess = np.where(np.isnan(excess), np.inf, excess)  # NaN on one side only is a failure
    both_nan = np.isnan(analytic) & np.isnan(numerical)
    excess = np.where(both_nan, -np.inf, excess)
    if excess.size == 0:
        return True, ()
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return bool(excess[worst] <= 0), tuple(int(k) for k in worst)


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    full_jacobian: bool = False,
    seed: int = 0,
) -> bool:
    """Check autograd's gradient of ``fn`` at ``inputs`` against central differences.

    ``fn`` takes the input Tensors and returns a Tensor (or a tuple of Tensors); ``inputs`` are
    float64 leaf Tensors with ``requires_grad=True``. By default the gradient of ⟨fn(x), v⟩ for
    a random ``v`` (drawn with ``seed``) is compared, which costs two calls of ``fn`` per input
    element. ``full_jacobian=True`` compares every entry of the Jacobian (for small inputs) and
    names the wrong one. An entry passes when |analytic − numerical| ≤ atol + rtol·|numerical|.

    Returns True; raises ``GradcheckError`` (an ``AssertionError``) naming the input, the
    element and both values otherwise.
    """
    inputs = _as_inputs(inputs, "gradcheck")
    with autograd.enable_grad():
        if full_jacobian:
            return _check_jacobian(fn, inputs, eps, atol, rtol)
        outs = _outputs(fn, inputs, "gradcheck")
        rng = np.random.default_rng(seed)
        vs = [rng.standard_normal(o.shape) for o in outs]
        analytic = _analytic(outs, inputs, vs, retain=False)
        del outs
        for i, x in enumerate(inputs):

            def project(current: list[Tensor]) -> np.ndarray:
                return np.asarray(_projection(current, vs))

            numerical = _numerical(fn, inputs, i, project, eps, "gradcheck")
            ok, worst = _compare(analytic[i], numerical, atol, rtol)
            if not ok:
                a, n = analytic[i][worst], numerical[worst]
                raise GradcheckError(
                    f"gradcheck failed for input {i} (shape {x.shape}) at element {worst}: "
                    f"analytic {a:.10g} vs numerical {n:.10g} (difference {abs(a - n):.3g}, "
                    f"allowed {atol + rtol * abs(n):.3g}; gradient of <fn(x), v> with random v, "
                    f"seed {seed})"
                )
    return True


def _check_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Tensor], eps: float, atol: float, rtol: float
) -> bool:
    outs = _outputs(fn, inputs, "gradcheck")
    sizes = [o.numel() for o in outs]
    total = int(sum(sizes))
    # analytic Jacobian, one output element (row) at a time: J[i] has shape x_i.shape + (total,)
    jac = [np.zeros(x.shape + (total,)) for x in inputs]
    for row in range(total):
        onehot = np.zeros(total)
        onehot[row] = 1.0
        vs, start = [], 0
        for o, n in zip(outs, sizes, strict=True):
            vs.append(onehot[start : start + n].reshape(o.shape))
            start += n
        for i, g in enumerate(_analytic(outs, inputs, vs, retain=True)):
            jac[i][..., row] = g

    def flat(current: list[Tensor]) -> np.ndarray:
        return np.concatenate([o.numpy().reshape(-1) for o in current]) if current else np.zeros(0)

    shapes = [o.shape for o in outs]
    for i, x in enumerate(inputs):
        numerical = _numerical(fn, inputs, i, flat, eps, "gradcheck")
        ok, worst = _compare(jac[i], numerical, atol, rtol)
        if not ok:
            in_idx, row = worst[:-1], worst[-1]
            k = int(np.searchsorted(np.cumsum(sizes), row, side="right"))
            out_idx = np.unravel_index(row - int(sum(sizes[:k])), shapes[k])
            out_idx = tuple(int(j) for j in out_idx)
            a, n = jac[i][worst], numerical[worst]
            which = f"output {k} " if len(outs) > 1 else "output "
            raise GradcheckError(
                f"gradcheck (full Jacobian) failed for d {which}element {out_idx} / d input {i} "
                f"element {in_idx} (input shape {x.shape}, output shape {shapes[k]}): "
                f"analytic {a:.10g} vs numerical {n:.10g} (difference {abs(a - n):.3g}, "
                f"allowed {atol + rtol * abs(n):.3g})"
            )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    full_jacobian: bool = False,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of x ↦ g(x) = ∇ₓ⟨fn(x), v⟩ (random fixed ``v``),
    where g is computed by autograd with ``create_graph=True``.

    This exercises each op's backward as a differentiable function. Arguments as in
    ``gradcheck``; returns True or raises ``GradcheckError``.
    """
    inputs = _as_inputs(inputs, "gradgradcheck")
    with autograd.enable_grad():
        outs = _outputs(fn, inputs, "gradgradcheck")
    rng = np.random.default_rng(seed + 1)
    vs = [rng.standard_normal(o.shape) for o in outs]
    del outs

    def first_gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        current = _outputs(fn, xs, "gradgradcheck")
        pairs = [(o, v) for o, v in zip(current, vs, strict=True) if o.requires_grad]
        if not pairs:
            return tuple(x.zeros_like().detach() for x in xs)
        grads = autograd.grad(
            [o for o, _ in pairs],
            list(xs),
            grad_outputs=[Tensor(v, device=o.device) for o, v in pairs],
            create_graph=True,
            allow_unused=True,
        )
        # an unused input has a zero gradient, which does not depend on anything
        return tuple(x.zeros_like() if g is None else g for x, g in zip(xs, grads, strict=True))

    try:
        return gradcheck(first_gradient, inputs, eps, atol, rtol, full_jacobian, seed)
    except GradcheckError as e:
        raise GradcheckError(f"gradgradcheck (second order): {e}") from None
