"""The functional interface, with PyTorch's names, argument names and defaults:

    import tinygrad_cnn.functional as F      # or: import tinygrad_cnn.nn.functional as F
    y = F.max_pool2d(F.relu(F.conv2d(x, w, b, padding=1)), 2)
    loss = F.cross_entropy(logits, labels)

Images are NCHW (a single image (C, H, W) is accepted where PyTorch accepts it). Every function
checks its arguments and raises an error that names the op and the shapes, then calls the
primitives in ``tinygrad_cnn.ops`` (im2col/col2im, pooling, fused batch norm) or composes
Tensor operations. All gradients are differentiable again (``create_graph=True``).

One module per kind: ``conv`` (with ``unfold``/``fold``), ``pool``, ``resample``
(``interpolate``), ``norm``, ``dropout``, ``linear`` (with ``flatten`` and ``pad``),
``activation``, ``loss``, ``distance``, ``encoding`` (``one_hot``, ``embedding``) and
``group_conv`` (group-equivariant convolutions and group pooling); every name is also here.
``tinygrad_cnn.nn.functional`` is this same module.
"""

from __future__ import annotations

from .activation import (
    celu,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from .conv import (
    conv1d,
    conv2d,
    conv_output_size,
    conv_transpose1d,
    conv_transpose2d,
    fold,
    unfold,
)
from .distance import cosine_similarity, normalize, pairwise_distance
from .dropout import dropout, dropout1d, dropout2d
from .encoding import embedding, one_hot
from .group_conv import (
    group_avg_pool,
    group_max_pool,
    p4_conv_p4,
    p4_conv_z2,
    p4m_conv_p4m,
    p4m_conv_z2,
)
from .linear import flatten, linear, pad
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .norm import batch_norm, group_norm, instance_norm, layer_norm
from .pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from .resample import interpolate

__all__ = [
    # convolution
    "conv2d",
    "conv_transpose2d",
    "conv_output_size",
    "conv1d",
    "conv_transpose1d",
    "unfold",
    "fold",
    # pooling
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "max_unpool2d",
    "max_pool1d",
    "avg_pool1d",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "max_unpool1d",
    # resampling
    "interpolate",
    # normalisation, regularisation, layers
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "dropout",
    "dropout1d",
    "dropout2d",
    "linear",
    "flatten",
    "pad",
    # activations
    "relu",
    "leaky_relu",
    "gelu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "elu",
    "selu",
    "celu",
    "silu",
    "mish",
    "hardtanh",
    "relu6",
    "hardsigmoid",
    "hardswish",
    "softsign",
    "tanhshrink",
    "logsigmoid",
    "threshold",
    "softmin",
    "prelu",
    # losses
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "huber_loss",
    "smooth_l1_loss",
    "kl_div",
    "gaussian_nll_loss",
    # distances
    "cosine_similarity",
    "pairwise_distance",
    "normalize",
    # encoding and lookup
    "one_hot",
    "embedding",
    # group-equivariant convolutions (p4, p4m) and pooling over the group axis
    "p4_conv_z2",
    "p4_conv_p4",
    "p4m_conv_z2",
    "p4m_conv_p4m",
    "group_max_pool",
    "group_avg_pool",
]
