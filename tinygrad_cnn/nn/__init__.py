"""Neural-network building blocks: ``Module``, ``Parameter``, layers, containers, losses,
initialisation (``nn.init``) and gradient utilities (``nn.utils``), with PyTorch's names.

``nn.functional`` is ``tinygrad_cnn.functional`` itself (the same module object), so both
``import tinygrad_cnn.nn.functional as F`` and ``from tinygrad_cnn.nn import functional as F``
work."""

from __future__ import annotations

import sys

from .. import functional
from . import init, utils
from .activation import (
    CELU,
    ELU,
    SELU,
    Dropout1d,
    Dropout2d,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    SiLU,
    Softmax2d,
    Softmin,
    Softplus,
    Softsign,
    Tanhshrink,
    Threshold,
)
from .containers import ModuleDict, ParameterDict, ParameterList, Unflatten
from .conv_pool_1d import (
    AdaptiveAvgPool1d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    MaxPool1d,
    MaxUnpool1d,
    MaxUnpool2d,
)
from .distance import CosineSimilarity, PairwiseDistance
from .group_conv import (
    GroupAvgPool,
    GroupMaxPool,
    P4ConvP4,
    P4ConvZ2,
    P4MConvP4M,
    P4MConvZ2,
)
from .layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    Identity,
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
    Softmax,
    Tanh,
)
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    GaussianNLLLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    SmoothL1Loss,
)
from .module import IncompatibleKeys, Module, Parameter
from .normalization import GroupNorm, InstanceNorm1d, InstanceNorm2d, LayerNorm
from .padding import (
    CircularPad1d,
    CircularPad2d,
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    ZeroPad1d,
    ZeroPad2d,
)
from .resampling import Fold, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .sparse import Embedding

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
    # normalisation
    "LayerNorm",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    # activations and channel dropout
    "ELU",
    "SELU",
    "CELU",
    "SiLU",
    "Mish",
    "Hardtanh",
    "ReLU6",
    "Hardsigmoid",
    "Hardswish",
    "Softsign",
    "Tanhshrink",
    "LogSigmoid",
    "Threshold",
    "Softplus",
    "Softmin",
    "Softmax2d",
    "PReLU",
    "Dropout1d",
    "Dropout2d",
    # containers, shapes, lookup
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "Unflatten",
    "Embedding",
    # losses
    "L1Loss",
    "BCELoss",
    "HuberLoss",
    "SmoothL1Loss",
    "KLDivLoss",
    "GaussianNLLLoss",
    # distances
    "CosineSimilarity",
    "PairwiseDistance",
    # convolution and pooling (1-D, adaptive max, unpooling)
    "Conv1d",
    "ConvTranspose1d",
    "MaxPool1d",
    "AvgPool1d",
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    # resampling and sliding blocks
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "Unfold",
    "Fold",
    # padding
    "ZeroPad1d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "CircularPad1d",
    "CircularPad2d",
    # group-equivariant convolutions (p4, p4m) and pooling over the group axis
    "P4ConvZ2",
    "P4ConvP4",
    "P4MConvZ2",
    "P4MConvP4M",
    "GroupMaxPool",
    "GroupAvgPool",
]
