"""Neural-network building blocks: ``Module``, ``Parameter``, layers, containers, losses,
initialisation (``nn.init``) and gradient utilities (``nn.utils``), with PyTorch's names."""

from __future__ import annotations

from . import init, layers, utils
from .layers import *  # noqa: F403  (the names in layers.__all__)
from .module import IncompatibleKeys, Module, Parameter

# the layer names are listed once, in layers.__all__
__all__ = ["init", "utils", "Module", "Parameter", "IncompatibleKeys", *layers.__all__]
