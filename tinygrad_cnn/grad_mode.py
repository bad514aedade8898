"""``inference_mode``: PyTorch's name for running a model without recording anything.

Here it is ``no_grad`` under another name: nothing is recorded inside it, and the tensors it
makes are ordinary tensors (PyTorch's inference tensors add restrictions that buy speed in C++;
with nothing recorded there is no such speed to gain here).
"""

from __future__ import annotations

from typing import Any

from .autograd import set_grad_enabled

__all__ = ["inference_mode"]


class inference_mode(set_grad_enabled):  # noqa: N801 (PyTorch's name)
    """``with tg.inference_mode():``, ``@tg.inference_mode()`` or ``@tg.inference_mode``: no
    operation is recorded. ``inference_mode(False)`` records as usual (``mode`` as in PyTorch)."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # used as a decorator without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)
