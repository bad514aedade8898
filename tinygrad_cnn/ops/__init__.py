"""Differentiable primitives, grouped by kind; each is a ``Function`` subclass.

elementwise, math, reduce, movement, index, linalg: the core (sort: the index computations of
sort/topk/median/...); im2col, conv, pool, norm, loss: the CNN stack.
Import the submodule you need (``from tinygrad_cnn.ops import conv``).
"""
