"""Tools to test differentiable code: numerical gradient checks and hypothesis strategies.

    from tinygrad_cnn.testing import gradcheck, gradgradcheck
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    gradcheck(lambda x: x.softmax(-1), [x])

The strategies (``shapes``, ``broadcastable_shapes``, ``arrays``, ``tensors``, and the CNN ones:
``conv_settings``, ``pool_settings``, ``tie_free_images``, ...) need the ``hypothesis`` package;
they are imported on first use, so ``gradcheck`` works without it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .gradcheck import GradcheckError, gradcheck, gradgradcheck

# name -> submodule; both submodules import hypothesis, a test-only dependency, so they are
# loaded on first use
_LAZY = {
    **{
        name: ".strategies"
        for name in ("shapes", "broadcastable_shapes", "arrays", "tensors", "noncontiguous_copy")
    },
    **{
        name: ".cnn_strategies"
        for name in (
            "ConvSettings",
            "PoolSettings",
            "conv_settings",
            "conv_transpose_settings",
            "pool_settings",
            "tie_free_images",
        )
    },
}

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
