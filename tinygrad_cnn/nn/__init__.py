"""Neural-network building blocks: ``Module``, ``Parameter``, layers, containers, losses,
initialisation (``nn.init``) and gradient utilities (``nn.utils``), with PyTorch's names.

``nn.functional`` is ``tinygrad_cnn.functional`` itself (the same module object), so both
``import tinygrad_cnn.nn.functional as F`` and ``from tinygrad_cnn.nn import functional as F``
work."""

from __future__ import annotations

import sys

from .. import functional
from . import init, utils
from .layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Dropout2d,
    Flatten,
    HuberLoss,
    Identity,
    L1Loss,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2d,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    SmoothL1Loss,
    Softmax,
    Tanh,
    Unflatten,
)
from .module import IncompatibleKeys, Module, Parameter

# the import system finds submodules in sys.modules: registering the one functional module under
# its second name makes `import tinygrad_cnn.nn.functional` return it instead of a copy
sys.modules[__name__ + ".functional"] = functional

__all__ = [
    "functional",
    "init",
    "utils",
    "Module",
    "Parameter",
    "IncompatibleKeys",
    "Identity",
    "Linear",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Dropout",
    "ReLU",
    "LeakyReLU",
    "Tanh",
    "Sigmoid",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "Sequential",
    "ModuleList",
    "CrossEntropyLoss",
    "NLLLoss",
    "MSELoss",
    "BCEWithLogitsLoss",
    "BCELoss",
    "Unflatten",
    "Dropout2d",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
]
