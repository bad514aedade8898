"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``) and learning-rate schedules
(``optim.lr_scheduler``), with PyTorch's names, defaults and update rules."""

from __future__ import annotations

from . import lr_scheduler
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
