"""The op pattern: one ``Function`` subclass per differentiable primitive.

``forward`` works on raw backend arrays (NumPy or CuPy) and keeps what backward needs.
``backward`` receives the output gradient as a Tensor and returns one gradient Tensor (or None)
per input, written with Tensor operations, so gradients are differentiable again.
"""

from __future__ import annotations

import itertools
import weakref
from sys import getrefcount
from types import ModuleType
from typing import Any

import numpy as np

from . import anomaly, autograd
from .backend import common_array_module, shares_memory

__all__ = ["Function"]


_TENSOR_CLASS: list[type] = []
_NO_PARAMS: dict[str, Any] = {}  # shared by freed ops without parameters (never written)
# the reference count that ``Function.free`` sees for an input that only its own inputs tuple
# holds; measured once by running ``free`` on a probe (the count depends on the interpreter)
_SOLE_REFS: list[int] = [-1]  # -1: not measured yet; -2: being measured
_next_seq = itertools.count().__next__  # numbers recorded ops in order: see autograd._run


def _load_tensor_class() -> type:
    """``Tensor``, imported once: tensor.py imports this module, and an import statement in
    ``apply`` cost several µs per op."""
    from .tensor import Tensor

    _TENSOR_CLASS.append(Tensor)
    return Tensor


def _calibrate() -> None:
    """Measure ``_SOLE_REFS``: free a probe op whose one input nothing else references."""
    Tensor = _TENSOR_CLASS[0] if _TENSOR_CLASS else _load_tensor_class()
    op = object.__new__(Function)
    op.params, op.inputs = _NO_PARAMS, (Tensor._make(np.zeros(2)),)
    op.inputs[0].op = op  # the probe input counts as an op's result
    _SOLE_REFS[0] = -2
    try:
        op.free()
        seen = _SOLE_REFS[1]
    finally:
        del _SOLE_REFS[1:]
    _SOLE_REFS[0] = seen if seen > 1 else 0  # 0: never in place (an implausible count)


class Function:
    """Base class of every primitive. Call ``SubClass.apply(*inputs, **params)``.

    Attributes available to ``backward``:
      ``inputs``   the input Tensors (use them, not their arrays, so that second order works)
      ``output``   the output Tensor (held weakly: the graph does not keep itself alive)
      ``saved``    what ``forward`` passed to ``save_for_backward``
      ``xp``       the array module of the inputs
    Public graph information for tools: ``name``, ``params``, ``scope``, ``saved_nbytes``,
    ``origin`` (where the op was created, recorded in anomaly mode; else None).
    """

    name: str = ""
    uses_inputs: bool = False  # backward reads self.inputs (so they count as saved memory)
    uses_output: bool = False  # backward reads self.output
    view: bool = False  # the output may share its first input's storage (reshape, slicing)
    origin: anomaly.Origin | None = None  # the user's line that made it (set in anomaly mode)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__

    # slots: an op without attributes of its own has no __dict__ (a kept graph is smaller)
    __slots__ = (
        "inputs",
        "params",
        "xp",
        "scope",
        "_saved",
        "_output",
        "edges",
        "_input_versions",
        "_output_version",
        "_seq",
    )

    def __init__(self, inputs: tuple, params: dict[str, Any], xp: ModuleType) -> None:
        self.inputs = inputs
        self.params = params
        self.xp = xp
        self.scope = autograd._state.scope
        self._saved: tuple | None = ()
        self._output: weakref.ref | None = None
        # where each input's gradient goes: its producing op, the leaf itself, or None (no
        # gradient); fixed when the op is recorded, so a later in-place change of an input
        # (which gives that tensor a new producer) cannot reroute this op's gradients
        self.edges: tuple = ()
        self._input_versions: tuple[int, ...] | None = None
        self._output_version = 0
        self._seq = -1  # when it was recorded: ops are recorded in a topological order

    # -- used by forward ------------------------------------------------------------------
    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays or Tensors for backward; freed after backward unless retained."""
        self._saved = values

    # -- used by backward -----------------------------------------------------------------
    @property
    def saved(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time, but its saved "
                "values were freed after the first backward; pass retain_graph=True to the first "
                "backward (or tg.grad) to keep them"
            )
        return self._saved

    @property
    def output(self):
        out = self._output() if self._output is not None else None
        if out is None:
            raise RuntimeError(f"{self.name}: the output tensor is no longer alive")
        return out

    def free(self, ghosts: dict[int, Any] | None = None) -> None:
        """Drop the values kept for backward and the inputs' arrays; the graph's shape stays
        for visualisation (inputs become data-less stand-ins with the same shape, op and name;
        parameters and scalar constants stay themselves). A later backward through this op is
        an error, even if it saved nothing: its inputs' gradients would otherwise be
        accumulated a second time.

        An op's result that nothing but this op holds (the usual activation) becomes its own
        stand-in in place, with no new object; one that something else still holds (the user,
        another graph, a view) keeps its values, and the graph gets a new stand-in for it,
        one per tensor however often used (``ghosts``)."""
        free_ops((self,), {} if ghosts is None else ghosts)

    def record_output(self, out) -> None:
        """Make ``out`` this op's output (also after an in-place write moved it)."""
        self._output = weakref.ref(out)
        self._output_version = out._counter[0]

    def check_versions(self) -> None:
        """Raise if a tensor that backward reads was modified in place after the forward."""
        if self._input_versions is not None:
            for i, (t, v) in enumerate(zip(self.inputs, self._input_versions)):
                if t._counter[0] != v:
                    self._version_error(f"input {i}", t, v)
        if self.uses_output:
            out = self.output
            if out._counter[0] != self._output_version:
                self._version_error("output", out, self._output_version)

    def _version_error(self, which: str, t, expected: int) -> None:
        raise RuntimeError(
            f"{self.name}: a tensor its backward needs ({which}, shape {t.shape}, version "
            f"{expected}) was modified in place (now version {t._counter[0]}); the gradient "
            "would be wrong. Change a copy instead (.clone()), or make the change before the "
            "forward pass or after backward"
        )

    @property
    def freed(self) -> bool:
        """True once backward ran through this op without ``retain_graph``."""
        return self._saved is None

    @property
    def saved_nbytes(self) -> int:
        """Bytes of the arrays this op holds for backward (0 once freed): what it saved, plus
        its inputs or output when its backward reads them (``uses_inputs``/``uses_output``)."""
        if self.freed:
            return 0
        held = list(self._saved)
        if self.uses_inputs:  # parameters live on anyway: count only activations and data
            held += [t for t in self.inputs if not (t.op is None and t.requires_grad)]
        if self.uses_output and self._output is not None and self._output() is not None:
            held.append(self._output())
        arrays = {id(a): a for a in (getattr(v, "_data", v) for v in held)}
        return sum(int(getattr(a, "nbytes", 0)) for a in arrays.values())

    # -- to override ----------------------------------------------------------------------
    def forward(self, *arrays: Any, **params: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad_out: Any) -> Any:
        raise NotImplementedError(f"{self.name} has no backward")

    # -- the one entry point --------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs: Any, **params: Any):
        Tensor = _TENSOR_CLASS[0] if _TENSOR_CLASS else _load_tensor_class()
        tensors = inputs
        arrays = []
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
                arrays = [t._data for t in tensors]
                break
            arrays.append(x._data)
        xp = common_array_module(arrays)
        if xp is None:
            shapes = ", ".join(f"{t.shape} on {t.device}" for t in tensors)
            raise RuntimeError(
                f"{cls.name}: expected all tensors on one device, got "
                f"{sorted({t.device for t in tensors})} ({shapes}); move them with .to(device)"
            )
        ctx = cls(tensors, params, xp)
        out = Tensor._make(ctx.forward(*arrays, **params))
        if anomaly._enabled:  # the one cost of anomaly mode when it is off
            anomaly.forward_hook(ctx, tensors, out)
        if cls.view and shares_memory(out._data, arrays[0]):
            source = tensors[0]
            out._counter = source._counter
            ctx._output_version = source._counter[0]
            base = source._view[0] if source._view is not None else source
            out._view = (base, base.op)
        if not autograd._state.grad_enabled:
            return out
        edges = []
        record = False
        for t in tensors:
            if t.requires_grad:
                record = True
                if t._view is not None and t._view[0].op is not t._view[1]:
                    if out._data.dtype.kind != "f":
                        return out
                    raise RuntimeError(
                        f"{cls.name}: an input (shape {t.shape}) is a view of a tensor that was "
                        "modified in place after the view was taken, so its recorded history "
                        "is out of date; take the view again after the in-place change"
                    )
                edges.append(t.op or t)  # (an op is always true)
            else:
                edges.append(t.op)  # None for a tensor without history
        if not record or out._data.dtype.kind != "f":
            return out  # integer/bool results carry no gradient
        ctx.edges = tuple(edges)
        ctx._seq = _next_seq()
        if cls.uses_inputs:
            ctx._input_versions = tuple([t._counter[0] for t in tensors])
        out.requires_grad = True
        out.op = ctx
        ctx._output = weakref.ref(out)  # (_output_version: 0 as set, or the view's above)
        return out

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"<{self.name}({params})>"


def free_ops(ops: Any, ghosts: dict[int, Any]) -> None:
    """``Function.free`` of each of ``ops`` (one loop for all the ops a backward ran)."""
    from .tensor import _FREED_COUNTER, _freed_view, _FreedTensor

    sole = _SOLE_REFS[0]
    if sole == -1:
        _calibrate()
        sole = _SOLE_REFS[0]
    no_params = _NO_PARAMS
    for op in ops:
        op._saved = None
        op.edges = ()  # a freed op is where backward stops
        op._input_versions = op._output = None  # backward will not read them again
        op._seq = -1  # (a small int: no object of its own in a kept graph)
        if not op.params:
            op.params = no_params  # a kept graph should cost as little as it can
        inputs = []
        for t in op.inputs:
            refs = getrefcount(t)
            if sole == -2:
                _SOLE_REFS.append(refs)  # calibrating
            if refs == sole and t.op is not None:  # an op's result only this op holds
                if not (t.is_freed or t._data.size <= 1):
                    # it becomes its own stand-in: cheaper than a new object, and it keeps
                    # its identity in the graph; every slot that could keep memory alive is
                    # cleared, and the class makes the rest read-only defaults
                    t._data = _freed_view(t._data)
                    t.grad = None
                    t.hooks = ()
                    t._view = None
                    t._counter = _FREED_COUNTER
                    t.__class__ = _FreedTensor
            elif not (t.is_freed or t._data.size <= 1 or (t.op is None and t.requires_grad)):
                # (parameters, freed stand-ins and scalar constants stay themselves)
                memo = ghosts.get(id(t))
                if memo is None:  # (t itself kept in the memo: its id stays its own)
                    memo = ghosts[id(t)] = (t, t._freed_copy())
                t = memo[1]
            inputs.append(t)
        op.inputs = tuple(inputs)
