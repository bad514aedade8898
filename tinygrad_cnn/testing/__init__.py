"""Tools to test differentiable code: numerical gradient checks and hypothesis strategies.

    from tinygrad_cnn.testing import gradcheck, gradgradcheck
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    gradcheck(lambda x: x.softmax(-1), [x])

The strategies (``shapes``, ``broadcastable_shapes``, ``arrays``, ``tensors``, ...) need the
``hypothesis`` package; they are imported on first use, so ``gradcheck`` works without it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .gradcheck import GradcheckError, gradcheck, gradgradcheck

_STRATEGIES = ("shapes", "broadcastable_shapes", "arrays", "tensors", "noncontiguous_copy")

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", *_STRATEGIES]


def __getattr__(name: str) -> Any:
    # strategies import hypothesis, a test-only dependency: load them lazily
    if name in _STRATEGIES:
        return getattr(importlib.import_module(".strategies", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
