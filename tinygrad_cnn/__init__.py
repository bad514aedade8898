"""tinygrad_cnn: a small, readable deep-learning framework with reverse-mode autograd.

import tinygrad_cnn as tg
x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x @ x.T).relu().sum()
y.backward()
x.grad

Where things are: ``Tensor`` and the constructors (``zeros``, ``randn``, ``arange``,
``tensor``, ``from_numpy``, ...), the reductions with indices as functions (``max``,
``sort``, ``topk``, ...; their named tuples in ``return_types``), the dtypes (``float32``,
``int64``, ..., ``result_type``, ``set_default_dtype``), ``device`` and
``cuda.is_available()``, ``grad``, ``no_grad``, ``inference_mode``, ``manual_seed``, ``save``/``load`` and ``Function`` (the base class of
every differentiable primitive, yours too) here; layers and losses as functions
in ``tinygrad_cnn.functional`` (also ``tinygrad_cnn.nn.functional``), as modules in
``tinygrad_cnn.nn``; optimizers and schedulers in ``tinygrad_cnn.optim``; ``DataLoader`` and
the data sets in ``tinygrad_cnn.data`` (also ``tinygrad_cnn.utils.data``); ``gradcheck`` in
``tinygrad_cnn.testing``.
Graphs, model summaries and filters are drawn by the separate package ``viz``, and the
``tinygrad-cnn`` command trains and inspects models from the shell.
"""

from __future__ import annotations

from . import (
    autograd,
    cuda,
    data,
    dtypes,
    functional,
    models,
    nn,
    optim,
    return_types,
    testing,
    utils,
)
from .autograd import enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled, toposort
from .backend import device
from .creation import (
    arange,
    as_tensor,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    bool_,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    result_type,
    set_default_dtype,
    short,
    uint8,
)
from .function import Function
from .grad_mode import inference_mode
from .random import manual_seed
from .serialization import load, save
from .sorting import (
    amax,
    amin,
    argmax,
    argmin,
    argsort,
    cummax,
    cummin,
    kthvalue,
    max,
    median,
    min,
    mode,
    sort,
    topk,
)
from .tensor import Tensor, cat, chunk, maximum, minimum, split, stack, where

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "Function",
    "tensor",
    "zeros",
    "ones",
    "full",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
    "from_numpy",
    "from_dlpack",
    "as_tensor",
    "is_tensor",
    "numel",
    "device",
    "cuda",
    "inference_mode",
    "autograd",
    "utils",
    "dtypes",
    "cat",
    "stack",
    "split",
    "chunk",
    "where",
    "maximum",
    "minimum",
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "sort",
    "argsort",
    "topk",
    "kthvalue",
    "median",
    "mode",
    "cummax",
    "cummin",
    "return_types",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "toposort",
    "manual_seed",
    "save",
    "load",
    "data",
    "functional",
    "models",
    "nn",
    "optim",
    "testing",
    # dtypes under PyTorch's names, the default dtype and the promotion rules
    "float16",
    "float32",
    "float64",
    "half",
    "float",
    "double",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "short",
    "int",
    "long",
    "bool",
    "bool_",
    "get_default_dtype",
    "set_default_dtype",
    "result_type",
    "promote_types",
]
