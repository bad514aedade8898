"""Optimizers with PyTorch's names, defaults and update rules.

``step()`` updates each parameter's array in place with array operations: it builds no graph,
never copies to the host, and keeps per-parameter state (momentum, moment estimates) as arrays
on the parameter's device. Parameter objects are never replaced, so ``model.to(...)`` and
``load_state_dict`` keep working with an existing optimizer.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import autograd
from ..backend import get_array_module, to_device, to_numpy
from ..inplace import bump
from ..ops.workspace import empty_like
from ..tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class. ``params``: an iterable of tensors, or of dicts (parameter groups) each with
    a ``"params"`` entry and optional per-group hyperparameters overriding ``defaults``.

    ``param_groups``: list of dicts (change ``group["lr"]`` to change the learning rate).
    ``state``: per-parameter dict of arrays and numbers, keyed by the parameter.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of dicts, "
                "got a single Tensor (wrap it in a list)"
            )
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or of dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (e.g. a layer to unfreeze)."""
        name = type(self).__name__
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (shape {p.shape})")
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of {key!r}")
            numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
            if numeric and key in group:  # a group's own hyperparameters: checked as the defaults
                _check(name, **{key: group[key]})
            group.setdefault(key, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            raise ValueError(f"{name}: a parameter group contains a parameter twice")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient. ``closure`` (optional) re-evaluates the
        model and returns the loss; it runs with gradients enabled and its loss is returned."""
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        with autograd.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        g = p.grad._data
                        if group.get("maximize", False):  # ascend: step along +gradient
                            g = -g
                        self._update(p, g, group, self.state.setdefault(p, {}))
                        bump(p)  # the arrays were changed in place: an in-place write
        return loss

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}`` with
        parameters replaced by their index (in group order), as in PyTorch. Arrays are shared,
        not copied; ``tg.save`` can store the result."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (state arrays are copied
        to each parameter's device; floating ones take the parameter's dtype)."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                    f"parameters in the state but {len(group['params'])} in the optimizer"
                )
        by_index = {
            int(idx): p
            for saved, group in zip(saved_groups, self.param_groups, strict=True)
            for idx, p in zip(saved["params"], group["params"], strict=True)
        }
        state: dict[Tensor, dict[str, Any]] = {}
        for idx, values in state_dict["state"].items():
            p = by_index.get(int(idx))
            if p is None:
                continue
            state[p] = {k: _restore(v, p, k) for k, v in values.items()}
        self.state = state
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for k, v in saved.items():
                if k != "params":
                    group[k] = tuple(v) if isinstance(v, list) else copy.deepcopy(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines) + "\n)"


def _restore(value: Any, p: Tensor, key: str) -> Any:
    """A saved state value ready for ``p``: arrays on p's device (floating ones in p's dtype);
    lists (LBFGS's history) element by element; ``None`` as is."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_restore(v, p, key) for v in value]
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, (int, float, np.number)) or key == "step":
        return float(value) if key == "step" else value
    array = value if get_array_module(value) is p.xp else to_device(to_numpy(value), p.device)
    if array.dtype.kind == "f" and array.dtype != p.dtype:
        array = array.astype(p.dtype)
    return array.copy()


def _check_betas(name: str, betas: Any) -> tuple[float, float]:
    """A pair of decay rates, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{name}: betas must be a pair of numbers, got {betas!r}")
    for i, beta in enumerate(betas):
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: betas must be numbers, got {type(beta).__name__} {beta!r}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(
                f"{name}: betas must be in [0, 1), got beta parameter at index {i}: {beta}"
            )
    return tuple(betas)


def _check(name: str, **values: float) -> dict[str, float]:
    """Every hyperparameter a real number ≥ 0 (a string or a NaN is refused by name); returns
    them, in order, to start an optimizer's defaults with."""
    for key, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: {key} must be a number, got {type(v).__name__} {v!r}")
        if not v >= 0.0:
            raise ValueError(f"{name}: invalid {key} {v} (must be >= 0)")
    return values


def xp_multiply(g: Any, factor: float) -> Any:
    """``factor·g`` in a recycled scratch array (the update's one temporary)."""
    return get_array_module(g).multiply(g, factor, out=empty_like(g))


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (PyTorch's form):

    g ← −g  if maximize
    g ← g + weight_decay·p
    b ← momentum·b + (1 − dampening)·g          (b = g at the first step)
    g ← g + momentum·b  if nesterov  else  b
    p ← p − lr·g
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        hyper = _check(
            "SGD", lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum requires a momentum and zero dampening")
        defaults = dict(hyper, nesterov=nesterov, maximize=bool(maximize))
        super().__init__(params, defaults)

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd:
            g = g + wd * p._data
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= momentum
                dampening = group["dampening"]
                buf += g if dampening == 0 else (1.0 - dampening) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p._data -= xp_multiply(g, lr)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) with bias-corrected moment estimates:

        g ← g + weight_decay·p                     (L2 penalty; see AdamW for decoupled)
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)

    ``amsgrad=True`` uses the running maximum of v; ``decoupled_weight_decay=True`` is AdamW;
    ``maximize=True`` ascends the gradient."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        _check(name, lr=lr, eps=eps, weight_decay=weight_decay)
        defaults = dict(
            lr=lr,
            betas=_check_betas(name, betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=bool(maximize),
            decoupled_weight_decay=bool(decoupled_weight_decay),
        )
        super().__init__(params, defaults)

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        xp = p.xp
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = xp.zeros_like(p._data)
            state["exp_avg_sq"] = xp.zeros_like(p._data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p._data)
        if wd:
            if group["decoupled_weight_decay"]:
                p._data *= 1.0 - lr * wd
            else:
                g = g + wd * p._data
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        tmp = empty_like(g)  # one recycled scratch array for the whole update
        m *= beta1
        m += xp.multiply(g, 1.0 - beta1, out=tmp)
        v *= beta2
        tmp = xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v += tmp
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1.0 - beta1**t)
        denom = xp.sqrt(v, out=tmp)
        denom /= math.sqrt(1.0 - beta2**t)
        denom += eps
        denom = xp.divide(m, denom, out=denom)  # reuse the buffer: m / denom
        denom *= step_size
        p._data -= denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): before the Adam step,
    ``p ← p·(1 − lr·weight_decay)``; the decay never enters the moment estimates.
    Default ``weight_decay=1e-2``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    """RMSprop (PyTorch's form):

    g ← g + weight_decay·p
    s ← α·s + (1 − α)·g²
    d ← √(s − a²) + eps with a ← α·a + (1 − α)·g  if centered,  else  √s + eps
    b ← momentum·b + g/d,  p ← p − lr·b          (momentum > 0)
    p ← p − lr·g/d                                (otherwise)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        hyper = _check(
            "RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum
        )
        defaults = dict(hyper, centered=centered, maximize=bool(maximize))
        super().__init__(params, defaults)

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum = group["momentum"]
        xp = p.xp
        if not state:
            state["step"] = 0.0
            state["square_avg"] = xp.zeros_like(p._data)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(p._data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p._data)
        state["step"] += 1
        if wd:
            g = g + wd * p._data
        s = state["square_avg"]
        s *= alpha
        s += (1.0 - alpha) * (g * g)
        if group["centered"]:
            a = state["grad_avg"]
            a *= alpha
            a += (1.0 - alpha) * g
            avg = s - a * a
            avg = xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(s)
        avg += eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / avg
            p._data -= lr * buf
        else:
            avg = xp.divide(g, avg, out=avg)
            avg *= lr
            p._data -= avg
