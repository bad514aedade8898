"""In-place writes, as PyTorch defines them: ``x += y``, ``x.add_(y)``, ``x[i] = v``.

Every in-place method computes its result out of place (``compute(x)``) and then writes it into
``x``'s storage, so ``x`` stays the same object and its views see the change. The rules:

- Under ``no_grad`` (or when no gradient is involved) it is a plain write: that is how
  optimizers, ``p.grad.zero_()`` and ``nn.init`` change parameters.
- While gradients are recorded, a leaf that requires grad may not be changed (its gradient
  would refer to a value that no longer exists); a view of a tensor that takes part in autograd
  may not be changed either (its base's history would be out of date).
- Otherwise the write is recorded: ``x`` takes the result's producing op as its own, and that
  op's input is a stand-in for the old value (``x`` before the write), so the gradient is the
  gradient of what was computed.
- Every write bumps the storage's version counter; an op whose backward reads a tensor
  remembers its version and refuses to run on a changed one (``Function.check_versions``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import autograd
from .backend import overlaps_itself
from .function import Function

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["inplace", "write", "bump", "check_writable", "InPlace"]


def bump(t: Tensor) -> None:
    """Record that ``t``'s storage was changed in place (for code that writes arrays)."""
    t._counter[0] += 1


def check_writable(op: str, t: Tensor) -> None:
    if overlaps_itself(t._data):
        raise RuntimeError(
            f"{op}: the tensor (shape {t.shape}) is a broadcast or read-only view in which "
            "several elements share one memory location; .clone() it before writing in place"
        )


def _check_result(op: str, t: Tensor, result: Tensor) -> None:
    """PyTorch's rules for writing ``result`` into ``t``: same shape, no cast down a category."""
    if result.shape != t.shape:
        raise RuntimeError(
            f"{op}: output with shape {t.shape} doesn't match the broadcast shape {result.shape}"
        )
    kinds = "bifc"  # bool < integer < float: a result may not be cast down a category
    rk, tk = result.dtype.kind.replace("u", "i"), t.dtype.kind.replace("u", "i")
    if kinds.index(rk) > kinds.index(tk):
        raise RuntimeError(
            f"{op}: result type {result.dtype} can't be cast to the desired output type "
            f"{t.dtype} of the tensor written in place"
        )


def write(op: str, t: Tensor, result: Tensor) -> None:
    """Copy ``result``'s values into ``t``'s storage and bump its version."""
    _check_result(op, t, result)
    check_writable(op, t)
    if result._data is not t._data:
        t._data[...] = result._data
    bump(t)


def _alias(t: Tensor) -> Tensor:
    """A second handle on ``t`` as it is now: same storage, counter, history and view base."""
    old = type(t)._make(t._data)
    old._counter = t._counter
    old.op, old.requires_grad, old.name, old._view = t.op, t.requires_grad, t.name, t._view
    old.hooks, t.hooks = t.hooks, ()  # PyTorch: hooks stay with the value they were put on
    return old


def inplace(op: str, t: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """Replace ``t``'s values by ``compute(t)``, in place; returns ``t``."""
    if not autograd.is_grad_enabled():
        write(op, t, compute(t))
        return t
    if t.requires_grad and t.op is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad (shape {t.shape}) cannot be changed in "
            "place while gradients are recorded; make the update under `with tg.no_grad():` "
            "(as an optimizer does) or on its .data"
        )
    old = _alias(t)
    result = compute(old)
    in_autograd = t.requires_grad or result.requires_grad
    if t._view is not None and (in_autograd or t._view[0].requires_grad):
        raise RuntimeError(
            f"{op}: in-place change of a view (shape {t.shape}) of a tensor that takes part in "
            "autograd is not supported; write into the base tensor itself (base[index] = "
            "value), or .clone() the view first"
        )
    if not in_autograd:
        t.hooks = old.hooks
        write(op, t, result)
        return t
    _check_result(op, t, result)
    check_writable(op, t)
    if result.dtype != t.dtype:
        result = result.to(t.dtype)
    if not result.requires_grad:  # e.g. fill_ on a non-leaf: its old history gets zero
        from .tensor import where

        result = where(np.True_, result, old)
    inner = result.op
    if inner is not None and inner.uses_inputs and any(x is old for x in inner.inputs):
        # that op's backward reads the old value, which the write is about to overwrite
        old._data = old._data.copy()
        old._counter = [t._counter[0]]
        old._view = None
    if old.op is not None and old.op._output is not None and old.op._output() is t:
        old.op._output = weakref.ref(old)  # the old producer's output is the old value
    fn = InPlace.apply(result, method=op).op  # t's own producer, named after the method
    write(op, t, result)
    t.op, t.requires_grad = fn, True
    fn.record_output(t)
    return t


class InPlace(Function):
    """The op that an in-place method records: its output is the tensor written into, its
    input the out-of-place result that was copied there (the gradient passes through)."""

    def forward(self, x, *, method):
        return x

    def backward(self, grad_out):
        return grad_out
