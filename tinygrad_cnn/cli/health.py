"""Gradient health during training, for the ``--live`` dashboard: per layer the gradient norm,
the size of the last update relative to the weights, the fraction of dead ReLU units, and the
visualizer's flags (vanishing, exploding, dead ReLU).

The thresholds are the visualizer's (``viz`` judges a traced graph by the same rules), written
here as constants rather than imported: ``viz`` is a separate package that sits on top of the
framework, and the training path must not load it (it is the slow import of the ``graph``
command). ``tests/test_cli_live.py`` checks that the two sets of numbers stay equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["EXPLODE", "RELATIVE_VANISH", "LayerHealth", "GradientProbe", "flag_layers"]

EXPLODE = 1e3  # a gradient norm above this is exploding (viz: ViewOptions.explode)
# a layer's gradient is vanishing when ‖grad‖/‖weight‖ is this much smaller than the median
# of that ratio over the network's layers (viz: trace.RELATIVE_VANISH)
RELATIVE_VANISH = 1e-3


@dataclass
class LayerHealth:
    """One layer (a module with parameters of its own, or a ReLU) at one training step."""

    name: str
    kind: str  # the module's class name
    grad_norm: float | None = None  # ‖grad‖ over the layer's parameters
    weight_norm: float | None = None
    update_ratio: float | None = None  # ‖Δw‖/‖w‖ of the last optimizer step
    dead_frac: float | None = None  # ReLU: units zero for every sample of the batch
    flags: list[str] = field(default_factory=list)


def _host(t: Any) -> np.ndarray:
    return np.asarray(t.numpy(), dtype=np.float64)


def _norm(arrays: list[np.ndarray]) -> float:
    return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))


def flag_layers(layers: list[LayerHealth]) -> None:
    """Set each layer's flags by the visualizer's rules."""
    ratios = [
        lh.grad_norm / lh.weight_norm
        for lh in layers
        if lh.grad_norm is not None and lh.weight_norm and math.isfinite(lh.grad_norm)
    ]
    median = float(np.median(ratios)) if ratios else 0.0
    for lh in layers:
        lh.flags = []
        if lh.grad_norm is not None:
            if not math.isfinite(lh.grad_norm):
                lh.flags.append("nan")
            elif lh.grad_norm > EXPLODE:
                lh.flags.append("exploding")
            elif lh.grad_norm == 0:
                lh.flags.append("zero grad")
            elif lh.weight_norm and median > 0:
                if lh.grad_norm / lh.weight_norm < RELATIVE_VANISH * median:
                    lh.flags.append("vanishing")
        if lh.dead_frac is not None and lh.dead_frac >= 1.0:
            lh.flags.append("dead ReLU")


class GradientProbe:
    """Measures a model's layers around one optimizer step, when armed.

    ``arm()`` before the forward pass (the ReLUs record their outputs), ``before_step()``
    after ``backward`` (gradient norms, a copy of the weights), ``after_step()`` after the
    optimizer's step: returns the layers' :class:`LayerHealth`, flagged. Unarmed, it costs
    nothing.
    """

    def __init__(self, model: Any) -> None:
        from .. import nn

        self._layers: list[tuple[str, str, list[Any]]] = []
        self._relus: dict[str, Any] = {}
        self._dead: dict[str, float] = {}
        self._armed = False
        self._before: list[list[np.ndarray]] = []
        self._grads: list[float | None] = []
        self._order: list[str] = []  # the layers and ReLUs in the model's order
        for name, module in model.named_modules():
            own = [p for p in module.parameters(recurse=False) if p.requires_grad]
            if own:
                self._layers.append((name or "model", type(module).__name__, own))
                self._order.append(name or "model")
            if isinstance(module, nn.ReLU):
                key = name or "relu"
                self._relus[key] = module
                self._order.append(key)
                module.register_forward_hook(self._hook(key))

    def _hook(self, key: str):
        def record(module: Any, args: Any, output: Any) -> None:
            if self._armed:
                a = output.numpy()
                units = (a == 0).reshape(a.shape[0], -1).all(axis=0) if a.ndim >= 2 else a == 0
                self._dead[key] = float(np.mean(units))

        return record

    def arm(self) -> None:
        self._armed = True
        self._dead = {}

    @property
    def armed(self) -> bool:
        return self._armed

    def before_step(self) -> None:
        self._grads = []
        self._before = []
        for _, _, params in self._layers:
            grads = [_host(p.grad) for p in params if p.grad is not None]
            self._grads.append(_norm(grads) if grads else None)
            self._before.append([_host(p).copy() for p in params])

    def after_step(self) -> list[LayerHealth]:
        self._armed = False
        out: list[LayerHealth] = []
        for (name, kind, params), before, g in zip(
            self._layers, self._before, self._grads, strict=True
        ):
            now = [_host(p) for p in params]
            w = _norm(now)
            dw = _norm([a - b for a, b in zip(now, before, strict=True)])
            ratio = dw / w if w > 0 else None
            out.append(LayerHealth(name, kind, grad_norm=g, weight_norm=w, update_ratio=ratio))
        for key, frac in self._dead.items():
            out.append(LayerHealth(key, "ReLU", dead_frac=frac))
        rank = {name: i for i, name in enumerate(self._order)}
        out.sort(key=lambda lh: rank.get(lh.name, len(rank)))
        flag_layers(out)
        return out
