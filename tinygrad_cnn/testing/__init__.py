"""Tools to test differentiable code: numerical gradient checks and hypothesis strategies.

    from tinygrad_cnn.testing import gradcheck, gradgradcheck
    x = tg.randn(3, 4, dtype=tg.float64, requires_grad=True)
    gradcheck(lambda x: x.softmax(-1), [x])

The strategies (``tinygrad_cnn.testing.strategies``) need the ``hypothesis`` package.
"""

from __future__ import annotations

from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
