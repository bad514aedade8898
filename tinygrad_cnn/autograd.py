"""The reverse-mode engine: grad mode, module scopes, topological order and backward.

Backward walks the graph once in reverse topological order (computed iteratively, so a chain of
100,000 ops needs no recursion) and hands each op the gradient of its output. Each op's
backward is written with Tensor operations; when ``create_graph`` is true those operations are
recorded, so the gradient can itself be differentiated.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "module_scope",
    "current_scope",
    "toposort",
    "backward",
    "grad",
]


class _State(threading.local):
    def __init__(self) -> None:
        self.grad_enabled = True
        self.scope: tuple[Any, ...] = ()


_state = _State()


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward."""
    return _state.grad_enabled


class set_grad_enabled:
    """Turn recording on or off inside a ``with`` block or a decorated function."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_state.grad_enabled)
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._previous.pop()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Do not record operations (inference, optimizer updates)."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations again, e.g. inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


@contextlib.contextmanager
def module_scope(module: Any):
    """Mark every op created inside the block as belonging to ``module`` (for the visualizer)."""
    previous = _state.scope
    _state.scope = previous + (module,)
    try:
        yield
    finally:
        _state.scope = previous


def current_scope() -> tuple[Any, ...]:
    """The modules whose ``forward`` is running, outermost first."""
    return _state.scope


def toposort(*roots: Tensor) -> list[Tensor]:
    """Every tensor the roots depend on, each after all of its parents (inputs first).

    Iterative depth-first search with an explicit stack: no recursion limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.parents))]
        while stack:
            node, children = stack[-1]
            for parent in children:
                if id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _seed_gradients(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None) -> list[Tensor]:
    from .tensor import Tensor

    seeds = []
    grad_outputs = grad_outputs if grad_outputs is not None else [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"backward: tensor of shape {out.shape} does not require grad and has no grad_fn "
                "(was it computed under no_grad, or from tensors without requires_grad=True?)"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs, but the "
                    f"output has shape {out.shape}; pass gradient= with that shape"
                )
            g = Tensor(out.xp.ones(out.shape, dtype=out.dtype), device=out.device)
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype, device=out.device)
            if g.shape != out.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {g.shape} but the output has shape {out.shape}"
                )
            if g.device != out.device:  # else gradients on the wrong device reach the leaves
                raise RuntimeError(
                    f"backward: gradient is on {g.device} but the output (shape {out.shape}) is "
                    f"on {out.device}; move it with .to({out.device!r})"
                )
        seeds.append(g)
    return seeds


def _run(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None,
    retain_graph: bool,
    create_graph: bool,
    wanted: set[int] | None,
) -> dict[int, Tensor]:
    """Propagate gradients from ``outputs``. With ``wanted`` (ids), return those gradients;
    without, accumulate into the ``.grad`` of leaves (and of tensors that ``retain_grad``)."""
    seeds = _seed_gradients(outputs, grad_outputs)
    grads: dict[int, Tensor] = {}
    for out, g in zip(outputs, seeds):
        grads[id(out)] = grads[id(out)] + g if id(out) in grads else g
    found: dict[int, Tensor] = {}
    with set_grad_enabled(create_graph):
        for node in reversed(toposort(*outputs)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            for hook in node.hooks:
                replaced = hook(g)
                g = replaced if replaced is not None else g
            if wanted is not None:
                if id(node) in wanted:
                    found[id(node)] = g
            elif node.op is None or node.retains_grad:
                if node.requires_grad:
                    if node.grad is not None:
                        node.grad = node.grad + g
                    elif create_graph:
                        node.grad = g
                    else:
                        # a fresh array: ops may hand the same gradient to several inputs, and
                        # optimizers and clip_grad_norm_ update .grad in place
                        node.grad = type(g)(g._data.copy())
                    if not create_graph:
                        node.grad = node.grad.detach()
            op = node.op
            if op is None:
                continue
            if op.freed:
                op.saved  # noqa: B018 -- raises the error that explains retain_graph
            input_grads = op.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            if len(input_grads) != len(op.inputs):
                raise RuntimeError(
                    f"{op.name}.backward returned {len(input_grads)} gradients for "
                    f"{len(op.inputs)} inputs"
                )
            for parent, pg in zip(op.inputs, input_grads):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.shape:
                    raise RuntimeError(
                        f"{op.name}.backward returned a gradient of shape {pg.shape} for an input "
                        f"of shape {parent.shape}"
                    )
                if pg.dtype != parent.dtype:  # float32 + float64 -> float64: cast back
                    pg = pg.to(parent.dtype)
                key = id(parent)
                grads[key] = grads[key] + pg if key in grads else pg
            if not retain_graph:
                op.free()
    return found


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``."""
    outputs = [tensors] if not isinstance(tensors, (list, tuple)) else list(tensors)
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = [grad_tensors]
    retain = create_graph if retain_graph is None else retain_graph
    _run(outputs, grad_tensors, retain, create_graph, wanted=None)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Iterable[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    With ``create_graph=True`` the returned gradients are themselves differentiable.
    """
    from .tensor import Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    found = _run(outputs, grad_outputs, retain, create_graph, wanted={id(x) for x in inputs})
    result = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)
