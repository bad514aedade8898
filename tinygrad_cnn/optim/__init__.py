"""Optimizers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adamax``,
``NAdam``, ``RAdam``, ``LBFGS``) and learning-rate schedules (``optim.lr_scheduler``), with
PyTorch's names, defaults and update rules."""

from __future__ import annotations

from . import lr_scheduler
from .more_optimizers import LBFGS, Adadelta, Adagrad, Adamax, NAdam, RAdam
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "LBFGS",
    "lr_scheduler",
]
