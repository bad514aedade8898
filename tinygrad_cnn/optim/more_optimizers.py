"""More optimizers with PyTorch's names, defaults and update rules: the adaptive family
(``Adagrad``, ``Adadelta``, ``Adamax``, ``NAdam``, ``RAdam``) and the quasi-Newton ``LBFGS``.

Each adaptive optimizer follows the pattern of ``optimizers.py``: ``_update`` changes one
parameter's array in place from its gradient array (already negated when ``maximize=True``),
keeping its running statistics in ``state``. ``LBFGS`` works on all parameters at once, as one
flat vector, and needs a closure that re-evaluates the loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import autograd
from ..inplace import bump
from ..ops.workspace import empty_like
from ..tensor import Tensor
from .optimizers import Optimizer, _check, _check_betas

__all__ = ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): every entry's step shrinks with its summed squared
    gradients.

        g ← g + weight_decay·p
        s ← s + g²                                  (s starts at initial_accumulator_value)
        p ← p − lr / (1 + (t − 1)·lr_decay) · g / (√s + eps)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        hyper = _check(
            "Adagrad",
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        defaults = dict(hyper, maximize=bool(maximize))
        super().__init__(params, defaults)

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        xp = p.xp
        if not state:
            state["step"] = 0.0
            state["sum"] = xp.full_like(p._data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p._data
        clr = group["lr"] / (1.0 + (state["step"] - 1.0) * group["lr_decay"])
        total = state["sum"]
        total += g * g
        denom = xp.sqrt(total)
        denom += group["eps"]
        p._data -= clr * (g / denom)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of past steps and of
    gradients, so ``lr=1.0`` is the natural choice.

        g ← g + weight_decay·p
        v ← ρ·v + (1 − ρ)·g²
        Δ ← √(u + eps) / √(v + eps) · g
        u ← ρ·u + (1 − ρ)·Δ²
        p ← p − lr·Δ
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        hyper = _check("Adadelta", lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        if rho > 1.0:
            raise ValueError(f"Adadelta: invalid rho {rho} (must be in [0, 1])")
        defaults = dict(hyper, maximize=bool(maximize))
        super().__init__(params, defaults)

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        xp = p.xp
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = xp.zeros_like(p._data)
            state["acc_delta"] = xp.zeros_like(p._data)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p._data
        v, u = state["square_avg"], state["acc_delta"]
        # the same arithmetic as v += (1 − ρ)·g², δ = √(u + ε)/√(v + ε)·g, u += (1 − ρ)·δ²,
        # p −= lr·δ, in two recycled scratch arrays instead of a new array per operation
        tmp, delta = empty_like(g), empty_like(g)
        v *= rho
        tmp = xp.multiply(g, g, out=tmp)
        tmp *= 1.0 - rho
        v += tmp
        delta = xp.sqrt(xp.add(u, eps, out=delta), out=delta)
        delta /= xp.sqrt(xp.add(v, eps, out=tmp), out=tmp)
        delta *= g
        u *= rho
        tmp = xp.multiply(delta, delta, out=tmp)
        tmp *= 1.0 - rho
        u += tmp
        delta *= group["lr"]
        p._data -= delta


class _AdamFamily(Optimizer):
    """Shared argument checks of the Adam variants: lr, betas, eps, weight_decay."""

    def __init__(
        self, params: Iterable[Any], lr: float, betas: Any, eps: float, weight_decay: float, **extra
    ) -> None:
        name = type(self).__name__
        _check(name, lr=lr, eps=eps, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, betas=_check_betas(name, betas), eps=eps, weight_decay=weight_decay, **extra
        )
        super().__init__(params, defaults)

    @staticmethod
    def _moments(p: Tensor, state: dict[str, Any], second: str) -> None:
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = p.xp.zeros_like(p._data)
            state[second] = p.xp.zeros_like(p._data)
        state["step"] += 1

    @staticmethod
    def _decay(p: Tensor, g: Any, group: dict[str, Any]) -> Any:
        """Weight decay: an L2 term in the gradient, or (decoupled) a shrink of p itself."""
        wd = group["weight_decay"]
        if not wd:
            return g
        if group.get("decoupled_weight_decay", False):
            p._data *= 1.0 - group["lr"] * wd
            return g
        return g + wd * p._data


class Adamax(_AdamFamily):
    """Adamax (Kingma & Ba, 2015): Adam with the infinity norm in place of the RMS.

    g ← g + weight_decay·p
    m ← β₁·m + (1 − β₁)·g,   u ← max(β₂·u, |g| + eps)
    p ← p − lr/(1 − β₁ᵗ) · m / u
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, maximize=bool(maximize))

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        self._moments(p, state, "exp_inf")
        g = self._decay(p, g, group)
        m, u = state["exp_avg"], state["exp_inf"]
        m += (1.0 - beta1) * (g - m)
        u *= beta2
        p.xp.maximum(u, p.xp.abs(g) + group["eps"], out=u)
        p._data -= group["lr"] / (1.0 - beta1 ** state["step"]) * (m / u)


class NAdam(_AdamFamily):
    """NAdam (Dozat, 2016): Adam with Nesterov momentum, the momentum warmed up by
    ``momentum_decay`` as in PyTorch:

        μₜ = β₁·(1 − ½·0.96^(t·momentum_decay)),   Πₜ = μ₁···μₜ
        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   d = √(v/(1 − β₂ᵗ)) + eps
        p ← p − lr·(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d

    ``decoupled_weight_decay=True`` shrinks p by ``1 − lr·weight_decay`` (NAdamW) instead of
    adding ``weight_decay·p`` to g."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check("NAdam", momentum_decay=momentum_decay)
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=bool(decoupled_weight_decay),
            maximize=bool(maximize),
        )

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        self._moments(p, state, "exp_avg_sq")
        state.setdefault("mu_product", 1.0)
        t, psi, lr = state["step"], group["momentum_decay"], group["lr"]
        g = self._decay(p, g, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * psi))
        state["mu_product"] *= mu
        product = state["mu_product"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - beta1) * (g - m)
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        denom = p.xp.sqrt(v / (1.0 - beta2**t))
        denom += group["eps"]
        p._data -= lr * (1.0 - mu) / (1.0 - product) * (g / denom)
        p._data -= lr * mu_next / (1.0 - product * mu_next) * (m / denom)


class RAdam(_AdamFamily):
    """RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, and rectified, only
    once the variance of the second moment is tractable (ρₜ > 5):

        m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   m̂ = m/(1 − β₁ᵗ)
        ρ∞ = 2/(1 − β₂) − 1,   ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        p ← p − lr·m̂·r·√(1 − β₂ᵗ)/(√v + eps)   with r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))
        p ← p − lr·m̂                            while ρₜ ≤ 5

    ``decoupled_weight_decay=True`` shrinks p by ``1 − lr·weight_decay`` instead of adding
    ``weight_decay·p`` to g."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            decoupled_weight_decay=bool(decoupled_weight_decay),
            maximize=bool(maximize),
        )

    def _update(self, p: Tensor, g: Any, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        self._moments(p, state, "exp_avg_sq")
        t, lr = state["step"], group["lr"]
        g = self._decay(p, g, group)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - beta1) * (g - m)
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        m_hat = m / (1.0 - beta1**t)
        second = 1.0 - beta2**t
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * t * beta2**t / second
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4.0)
                * (rho_t - 2.0)
                * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
            )
            denom = p.xp.sqrt(v)
            denom += group["eps"]
            p._data -= m_hat * lr * (math.sqrt(second) / denom) * rect
        else:
            p._data -= m_hat * lr


# ------------------------------------------------------------------------------ L-BFGS
def _cubic_minimum(
    a: float, fa: float, ga: float, b: float, fb: float, gb: float, bounds=None
) -> float:
    """Minimiser of the cubic through (a, fa) and (b, fb) with slopes ga, gb, clamped to
    ``bounds`` (default: the interval between a and b); the midpoint if the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(a, b), max(a, b))
    d1 = ga + gb - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - ga * gb
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if a <= b:
        t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2.0 * d2))
    else:
        t = a - (a - b) * ((ga + d2 - d1) / (ga - gb + 2.0 * d2))
    return min(max(t, lo), hi)


class _Point:
    """A trial step length with its loss, flat gradient and directional derivative."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t: float, f: float, g: Any, gtd: float) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(
    evaluate: Callable[[float], tuple[float, Any]],
    d: Any,
    start: _Point,
    t: float,
    tolerance_change: float,
    max_ls: int,
    c1: float = 1e-4,
    c2: float = 0.9,
) -> tuple[_Point, int]:
    """Line search along ``d`` for a step meeting the strong Wolfe conditions (sufficient
    decrease ``c1`` and curvature ``c2``): first bracket a good step by extrapolation, then
    shrink the bracket by safeguarded cubic interpolation ("zoom"). Returns the chosen point
    and the number of evaluations."""
    d_max = float(abs(d).max())

    def probe(step: float) -> _Point:
        f, g = evaluate(step)
        return _Point(step, f, g, float(g.dot(d)))

    def armijo_fails(pt: _Point) -> bool:
        return pt.f > start.f + c1 * pt.t * start.gtd

    def curvature_holds(pt: _Point) -> bool:
        return abs(pt.gtd) <= -c2 * start.gtd

    prev, new = _Point(0.0, start.f, start.g.copy(), start.gtd), probe(t)
    evals, tries = 1, 0
    bracket: list[_Point] | None = None
    while tries < max_ls:
        if armijo_fails(new) or (tries > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if curvature_holds(new):
            return new, evals
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        # extrapolate: somewhere between a little past the step and ten times it
        step = _cubic_minimum(
            prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
            bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10.0),
        )  # fmt: skip
        prev, new = new, probe(step)
        evals += 1
        tries += 1
    if bracket is None:  # out of evaluations while still extrapolating
        return (start if start.f <= new.f else new), evals

    # zoom: bracket[low] is the best point so far, the step lies between the two ends
    low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
    stalled = False
    while tries < max_ls:
        lo_t, hi_t = sorted((bracket[0].t, bracket[1].t))
        if (hi_t - lo_t) * d_max < tolerance_change:
            break
        a, b = bracket
        step = _cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        # keep the trial away from the ends of the bracket (at least 10% of its width)
        margin = 0.1 * (hi_t - lo_t)
        if min(hi_t - step, step - lo_t) < margin:
            if stalled or step >= hi_t or step <= lo_t:
                step = hi_t - margin if abs(step - hi_t) < abs(step - lo_t) else lo_t + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        new = probe(step)
        evals += 1
        tries += 1
        if armijo_fails(new) or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if curvature_holds(new):
            bracket[low] = new
            break
        if new.gtd * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = new
    return bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS (Nocedal, 1980), PyTorch's variant: ``step(closure)`` runs up to ``max_iter``
    quasi-Newton iterations, each a step along the direction given by the two-loop recursion
    over the last ``history_size`` curvature pairs (s, y), of length ``lr`` (the first
    iteration ever: ``lr·min(1, 1/‖g‖₁)``), or the length chosen by a strong-Wolfe line search
    (``line_search_fn="strong_wolfe"``).

    It stops early when the largest gradient entry is ≤ ``tolerance_grad``, when the step or
    the change of the loss is below ``tolerance_change``, or after ``max_eval`` evaluations of
    the closure (default ``max_iter·5//4``). ``closure`` re-evaluates the model, calls
    ``backward`` and returns the loss; ``step`` returns the loss of its first evaluation.
    One parameter group only; all parameters on one device with one dtype.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _check("LBFGS", lr=lr, tolerance_grad=tolerance_grad, tolerance_change=tolerance_change)
        for key, value in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"LBFGS: {key} must be a positive int, got {value!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _flat_grad(self) -> Any:
        xp = self._params[0].xp
        parts = [
            xp.zeros(p.numel(), dtype=p.dtype) if p.grad is None else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return xp.concatenate(parts)

    def _move(self, t: float, d: Any) -> None:
        """p ← p + t·d, with d cut into the parameters' shapes."""
        offset = 0
        for p in self._params:
            n = p.numel()
            p._data += t * d[offset : offset + n].reshape(p.shape)
            bump(p)
            offset += n

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float, Any]:
        with autograd.enable_grad():
            loss = closure()
        value = float(loss.item()) if isinstance(loss, Tensor) else float(loss)
        return loss, value, self._flat_grad()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Minimise the closure's loss; return its first value."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that re-evaluates the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with autograd.no_grad():
            first_loss, loss, g = self._evaluate(closure)
            evals = 1
            state["func_evals"] += 1
            if float(abs(g).max()) <= tol_grad:
                return first_loss
            d, t = state.get("d"), state.get("t")
            dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
            h_diag, prev_g = state.get("H_diag"), state.get("prev_flat_grad")
            prev_loss = state.get("prev_loss")
            for it in range(1, max_iter + 1):
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d, dirs, steps, ro, h_diag = -g, [], [], [], 1.0
                else:
                    d, h_diag = self._direction(g, prev_g, d, t, dirs, steps, ro, h_diag, group)
                prev_g, prev_loss = g.copy(), loss
                t = lr * min(1.0, 1.0 / float(abs(g).sum())) if state["n_iter"] == 1 else lr
                gtd = float(g.dot(d))
                if gtd > -tol_change:  # not a descent direction any more
                    break
                done = False
                if group["line_search_fn"] == "strong_wolfe":
                    x0 = [p._data.copy() for p in self._params]

                    def along(step: float, x0=x0, d=d) -> tuple[float, Any]:
                        self._move(step, d)
                        _, f, grad = self._evaluate(closure)
                        for p, x in zip(self._params, x0, strict=True):
                            p._data[...] = x
                            bump(p)
                        return f, grad

                    best, used = _strong_wolfe(
                        along, d, _Point(0.0, loss, g, gtd), t, tol_change, max_eval - evals
                    )
                    t, loss, g = best.t, best.f, best.g
                    self._move(t, d)
                    done = float(abs(g).max()) <= tol_grad
                else:
                    self._move(t, d)
                    used = 0
                    if it != max_iter:
                        _, loss, g = self._evaluate(closure)
                        done = float(abs(g).max()) <= tol_grad
                        used = 1
                evals += used
                state["func_evals"] += used
                if it == max_iter or evals >= max_eval or done:
                    break
                if float(abs(d * t).max()) <= tol_change or abs(loss - prev_loss) < tol_change:
                    break
            state.update(
                d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag,
                prev_flat_grad=prev_g, prev_loss=prev_loss,
            )  # fmt: skip
        return first_loss

    @staticmethod
    def _direction(g, prev_g, d, t, dirs, steps, ro, h_diag, group) -> tuple[Any, float]:
        """Record the last curvature pair (when ``yᵀs`` is positive), then the two-loop
        recursion: ``−H·g`` with H the L-BFGS inverse-Hessian estimate (initial scale
        ``yᵀs / yᵀy``)."""
        y, s = g - prev_g, d * t
        ys = float(y.dot(s))
        if ys > 1e-10:
            if len(dirs) == group["history_size"]:
                del dirs[0], steps[0], ro[0]
            dirs.append(y)
            steps.append(s)
            ro.append(1.0 / ys)
            h_diag = ys / float(y.dot(y))
        q = -g
        alphas = [0.0] * len(dirs)
        for i in reversed(range(len(dirs))):
            alphas[i] = float(steps[i].dot(q)) * ro[i]
            q = q - alphas[i] * dirs[i]
        r = q * h_diag
        for i in range(len(dirs)):
            beta = float(dirs[i].dot(r)) * ro[i]
            r = r + (alphas[i] - beta) * steps[i]
        return r, h_diag
