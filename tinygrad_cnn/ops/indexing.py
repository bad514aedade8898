"""Indexing along a dimension: gather, scatter and their reductions.

``index`` is an integer array with as many axes as the data; element ``i`` of it picks, along
``dim``, which position of the data it reads (gather) or writes (scatter). The adjoint pairs
keep the set closed under differentiation: Gather ↔ ScatterAdd; Put's backward is GetItem and a
constant mask; ScatterReduce's backward is written with Gather, ScatterAdd and itself.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module, scatter_add
from ..function import Function
from .elementwise import mask_grad
from .movement import GetItem

__all__ = [
    "check_tensor",
    "check_dim",
    "along_dim",
    "Gather",
    "ScatterAdd",
    "Put",
    "ScatterReduce",
    "REDUCTIONS",
]

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def check_tensor(x, op: str, what: str = "input") -> None:
    """TypeError naming ``op`` unless ``x`` is a Tensor."""
    if not hasattr(x, "_data") or not hasattr(x, "requires_grad"):
        raise TypeError(f"{op}: argument '{what}' must be a Tensor, not {type(x).__name__}")


def check_dim(dim: int, ndim: int, op: str) -> int:
    """``dim`` as a non-negative axis of a tensor with ``ndim`` axes (a 0-d tensor accepts
    -1 and 0, as in PyTorch); IndexError naming ``op`` otherwise."""
    n = max(ndim, 1)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return int(dim) % n


def along_dim(index, dim: int) -> tuple:
    """The advanced-index tuple that reads ``data[..., index[i], ...]`` (``index`` at axis
    ``dim``, the position itself on every other axis): ``data[along_dim(index, dim)]`` has
    ``index``'s shape."""
    xp = get_array_module(index)
    parts = []
    for d, n in enumerate(index.shape):
        if d == dim:
            parts.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            parts.append(xp.arange(n).reshape(shape))  # (1, .., n, .., 1)
    return tuple(parts)


class Gather(Function):
    """``out[i] = x[along_dim(index, dim)][i]``; ``out`` has ``index``'s shape."""

    def forward(self, x, *, dim, index):
        return x[along_dim(index, dim)]

    def backward(self, grad_out):
        p = self.params
        return ScatterAdd.apply(
            grad_out, dim=p["dim"], index=p["index"], shape=self.inputs[0].shape
        )


class ScatterAdd(Function):
    """zeros(shape) with ``src`` added at ``along_dim(index, dim)`` (repeats accumulate);
    ``src`` has ``index``'s shape."""

    def forward(self, src, *, dim, index, shape):
        out = self.xp.zeros(shape, dtype=src.dtype)
        scatter_add(out, along_dim(index, dim), src)
        return out

    def backward(self, grad_out):
        return Gather.apply(grad_out, dim=self.params["dim"], index=self.params["index"])


class Put(Function):
    """``x`` with ``values`` written at the index tuple ``index`` (a later repeat wins);
    ``values`` has the shape of ``x[index]``. Gradients: ``x`` gets the upstream gradient where
    nothing was written; ``values`` gets ``grad_out[index]`` (every repeat, as PyTorch's
    scatter does)."""

    def forward(self, x, values, *, index):
        xp = self.xp
        out = x.copy()
        out[index] = values
        if self.inputs[0].requires_grad:
            kept = xp.ones(x.shape, dtype=bool)
            kept[index] = False
            self.save_for_backward(kept)
        return out

    def backward(self, grad_out):
        x, values = self.inputs
        grad_x = mask_grad(grad_out, self.saved[0]) if x.requires_grad else None
        grad_values = GetItem.apply(grad_out, index=self.params["index"])
        return grad_x, grad_values if values.requires_grad else None


_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _identity(reduce: str, dtype, xp):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Function):
    """``x`` with each ``src`` element reduced into ``x[along_dim(index, dim)]``
    (``reduce`` in sum, prod, mean, amax, amin); ``include_self=False`` leaves the targeted
    elements' own values out. ``src`` has ``index``'s shape.

    Gradients follow PyTorch: mean divides by the count; amax/amin share the gradient evenly
    among the values equal to the result; prod is exact where inputs are zero (the product of
    the others)."""

    def forward(self, x, src, *, dim, index, reduce, include_self=True):
        xp = self.xp
        where = along_dim(index, dim)
        hit = xp.zeros(x.shape, dtype=bool)
        hit[where] = True
        out = x.copy()
        if not include_self:
            out[hit] = _identity(reduce, x.dtype, xp)
        if reduce in ("sum", "mean"):
            scatter_add(out, where, src)
        else:
            at = getattr(getattr(xp, _UFUNC[reduce]), "at", None)
            if at is None:
                raise RuntimeError(
                    f"scatter_reduce: reduce={reduce!r} needs {xp.__name__}.{_UFUNC[reduce]}.at, "
                    "which this array library does not have"
                )
            at(out, where, src)
        count = None
        if reduce == "mean":
            count = xp.zeros(x.shape, dtype=x.dtype)
            scatter_add(count, where, xp.ones(src.shape, dtype=x.dtype))
            count = count + (1 if include_self else 0)
            count = xp.where(count == 0, 1, count).astype(x.dtype)
            out = out / count if x.dtype.kind == "f" else out // count
        # the result itself only for amax/amin (which elements won); prod recomputes
        self.save_for_backward(hit, count, out.copy() if reduce in ("amax", "amin") else None)
        return out

    def backward(self, grad_out):
        x, src = self.inputs
        p = self.params
        dim, index, reduce, include_self = p["dim"], p["index"], p["reduce"], p["include_self"]
        hit, count, result = self.saved
        Tensor = type(grad_out)
        xp = self.xp
        # the x elements that enter the result
        self_in = xp.ones(x.shape, dtype=bool) if include_self else ~hit
        if reduce in ("sum", "mean"):
            g = grad_out if reduce == "sum" else grad_out / Tensor(count)
            grad_x = mask_grad(g, self_in)
            grad_src = Gather.apply(g, dim=dim, index=index)
        elif reduce in ("amax", "amin"):
            where = along_dim(index, dim)
            self_is = (x._data == result) & self_in
            src_is = src._data == result[where]
            n = self_is.astype(x.dtype)
            scatter_add(n, where, src_is.astype(x.dtype))
            g = grad_out / Tensor(xp.maximum(n, 1))
            grad_x = mask_grad(g, self_is)
            grad_src = mask_grad(Gather.apply(g, dim=dim, index=index), src_is)
        else:
            grad_x, grad_src = self._prod_backward(grad_out, self_in)
        return (grad_x if x.requires_grad else None), (grad_src if src.requires_grad else None)

    def _prod_backward(self, grad_out, self_in):
        """d prod / d element = the product of the other elements of its group, computed
        without dividing by a zero: a zero element is replaced by 1 before the group's product
        is taken again."""
        x, src = self.inputs
        p = self.params
        dim, index = p["dim"], p["index"]
        Tensor = type(grad_out)
        xp = self.xp

        def again(a, b):
            return ScatterReduce.apply(a, b, **p)

        x_zero = x._data == 0
        masked_x = x.where(Tensor(~x_zero), Tensor(xp.ones((), dtype=x.dtype)))
        grad_x = mask_grad(grad_out * again(masked_x, src) / masked_x, self_in)
        src_zero = src._data == 0
        zeros = xp.zeros(x.shape, dtype=x.dtype)
        scatter_add(zeros, along_dim(index, dim), src_zero.astype(x.dtype))
        single = src_zero & (zeros[along_dim(index, dim)] == 1)  # the only zero of its group
        one = Tensor(xp.ones((), dtype=x.dtype))
        masked_src = src.where(Tensor(~single), one)
        others = Gather.apply(grad_out * again(x, masked_src), dim=dim, index=index)
        whole = Gather.apply(grad_out * again(x, src), dim=dim, index=index)
        nonzero_src = src.where(Tensor(~src_zero), one)
        grad_src = others.where(Tensor(single), whole / nonzero_src)
        return grad_x, grad_src
