"""The machinery of ``Module.register_full_backward_hook`` (private).

As in PyTorch, the module's tensor inputs are routed through one identity op: ``_Pack``
concatenates them into one flat tensor, and the module sees slices of it. Its backward is
therefore called once, with the gradients of all inputs together, after every gradient inside
the module is done: there the hooks run as ``hook(module, grad_input, grad_output)`` and may
replace ``grad_input``. The output gradients are collected by tensor hooks on the outputs.
When no input requires grad, the hooks run as soon as the output gradients are in, with
``grad_input`` all None (PyTorch's rule)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .. import autograd
from ..function import Function
from ..tensor import Tensor

__all__ = ["call_with_backward_hooks"]


class _State:
    def __init__(self, module: Any, hooks: Sequence[Callable], n_args: int) -> None:
        self.module, self.hooks = module, list(hooks)
        self.n_args = n_args
        self.arg_positions: list[int] = []  # positions of the inputs that go through _Pack
        self.arg_tensors: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.grad_outputs: list[Tensor | None] = []
        self.pending = 0

    def run_hooks(self, grads: list[Tensor | None]) -> list[Tensor | None]:
        """Call every hook with the gradients of the packed inputs ``grads``; returns them,
        replaced where a hook returned new ones."""
        name = type(self.module).__name__
        for hook in self.hooks:
            grad_input = [None] * self.n_args
            for pos, g in zip(self.arg_positions, grads, strict=True):
                grad_input[pos] = g
            replaced = hook(self.module, tuple(grad_input), tuple(self.grad_outputs))
            if replaced is None:
                continue
            if not isinstance(replaced, (tuple, list)) or len(replaced) != self.n_args:
                count = len(replaced) if isinstance(replaced, (tuple, list)) else 1
                raise RuntimeError(
                    f"{name}: backward hook {getattr(hook, '__name__', hook)!r} returned "
                    f"{count} values where grad_input has {self.n_args}"
                )
            for k, (pos, x) in enumerate(zip(self.arg_positions, self.arg_tensors, strict=True)):
                g = replaced[pos]
                if g is not None and (
                    not isinstance(g, Tensor)
                    or (g.shape, g.dtype, g.device) != (x.shape, x.dtype, x.device)
                ):
                    got = (
                        f"shape {g.shape} ({g.dtype}, {g.device})"
                        if isinstance(g, Tensor)
                        else type(g).__name__
                    )
                    raise RuntimeError(
                        f"{name}: backward hook {getattr(hook, '__name__', hook)!r} returned a "
                        f"gradient of {got} for input {pos}, which has shape {x.shape} "
                        f"({x.dtype}, {x.device})"
                    )
                grads[k] = g
        return grads


class _Pack(Function):
    """The module's inputs concatenated into one flat array; the backward runs the hooks."""

    name = "BackwardHook"

    def forward(self, *xs, state):
        self.state = state
        dtype = self.xp.result_type(*xs)
        return self.xp.concatenate([x.reshape(-1).astype(dtype, copy=False) for x in xs])

    def backward(self, grad_out):
        grads: list[Tensor | None] = []
        start = 0
        for x in self.inputs:
            n = math.prod(x.shape)
            g = grad_out[start : start + n].reshape(x.shape)
            grads.append(g if g.dtype == x.dtype else g.to(x.dtype))
            start += n
        return tuple(self.state.run_hooks(grads))


def _unpack(packed: Tensor, inputs: Sequence[Tensor]) -> list[Tensor]:
    out, start = [], 0
    for x in inputs:
        n = math.prod(x.shape)
        piece = packed[start : start + n].reshape(x.shape)
        out.append(piece if piece.dtype == x.dtype else piece.to(x.dtype))
        start += n
    return out


def call_with_backward_hooks(
    module: Any, hooks: Sequence[Callable], args: tuple, run: Callable[[tuple], Any]
) -> Any:
    """``run(args)`` (the module's forward, with its forward hooks) with the backward hooks
    attached to the tensor inputs and outputs."""
    if not autograd.is_grad_enabled():
        return run(args)
    state = _State(module, hooks, len(args))
    for pos, a in enumerate(args):
        if isinstance(a, Tensor) and a.requires_grad:
            state.arg_positions.append(pos)
            state.arg_tensors.append(a)
    if state.arg_tensors:
        pieces = _unpack(_Pack.apply(*state.arg_tensors, state=state), state.arg_tensors)
        args = list(args)
        for pos, piece in zip(state.arg_positions, pieces, strict=True):
            args[pos] = piece
        args = tuple(args)
    out = run(args)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    state.grad_outputs = [None] * len(outs)
    for k, o in enumerate(outs):
        if isinstance(o, Tensor) and o.requires_grad:
            state.pending += 1
            o.register_hook(_output_hook(state, k))
    return out


def _output_hook(state: _State, k: int) -> Callable[[Tensor], None]:
    def record(grad: Tensor) -> None:
        state.grad_outputs[k] = grad
        state.pending -= 1
        if state.pending == 0 and not state.arg_tensors:
            state.run_hooks([])

    return record
