"""tinygrad_cnn: a small, readable deep-learning framework with reverse-mode autograd.

import tinygrad_cnn as tg
x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x @ x.T).relu().sum()
y.backward()
x.grad

Where things are: ``Tensor`` and the constructors (``zeros``, ``randn``, ``arange``, ...),
``grad``, ``no_grad``, ``manual_seed``, ``save``/``load`` and ``Function`` (the base class of
every differentiable primitive, yours too) here; layers and losses as functions
in ``tinygrad_cnn.functional``, as modules in ``tinygrad_cnn.nn``; optimizers and schedulers in
``tinygrad_cnn.optim``; ``DataLoader`` and the data sets in ``tinygrad_cnn.data``; ``gradcheck``
in ``tinygrad_cnn.testing``.
Graphs, model summaries and filters are drawn by the separate package ``viz``, and the
``tinygrad-cnn`` command trains and inspects models from the shell.
"""

from __future__ import annotations

import numpy as np

from . import data, functional, models, nn, optim, testing
from .autograd import enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled, toposort
from .contraction import bmm, cdist, dot, einsum, matmul, meshgrid, mm, mv, tensordot
from .creation import (
    arange,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
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
from .function import Function
from .indexing import (
    gather,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from .random import manual_seed
from .serialization import load, save
from .shape_ops import (
    argwhere,
    bincount,
    bucketize,
    cross,
    cumprod,
    cumsum,
    diag,
    diagonal,
    dist,
    flip,
    fliplr,
    flipud,
    histc,
    kron,
    moveaxis,
    movedim,
    narrow,
    nonzero,
    norm,
    outer,
    prod,
    repeat_interleave,
    roll,
    rot90,
    searchsorted,
    swapaxes,
    swapdims,
    tile,
    trace,
    tril,
    triu,
    unbind,
    unique,
)
from .tensor import Tensor, cat, chunk, maximum, minimum, split, stack, where

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
bool_ = np.dtype(np.bool_)

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
    "cat",
    "stack",
    "split",
    "chunk",
    "where",
    "maximum",
    "minimum",
    # indexing by index tensors and masks
    "gather",
    "take_along_dim",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "index_select",
    "index_add",
    "index_copy",
    "index_fill",
    "masked_fill",
    "masked_select",
    "masked_scatter",
    "take",
    # rearranging, products, norms, integer-valued queries
    "repeat_interleave",
    "tile",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "rot90",
    "narrow",
    "unbind",
    "movedim",
    "moveaxis",
    "swapaxes",
    "swapdims",
    "tril",
    "triu",
    "diag",
    "diagonal",
    "trace",
    "outer",
    "cross",
    "kron",
    "cumsum",
    "cumprod",
    "prod",
    "norm",
    "dist",
    "nonzero",
    "argwhere",
    "unique",
    "bincount",
    "histc",
    "searchsorted",
    "bucketize",
    # products of tensors
    "einsum",
    "tensordot",
    "matmul",
    "mm",
    "bmm",
    "mv",
    "dot",
    "meshgrid",
    "cdist",
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
    "float32",
    "float64",
    "int64",
    "int32",
    "bool_",
]
