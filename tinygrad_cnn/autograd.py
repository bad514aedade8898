"""The reverse-mode engine: grad mode, module scopes, topological order and backward.

Backward walks the graph once in reverse topological order (computed iteratively, so a chain of
100,000 ops needs no recursion) and hands each op the gradient of its output. Each op's
backward is written with Tensor operations; when ``create_graph`` is true those operations are
recorded, so the gradient can itself be differentiated.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import anomaly
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "module_scope",
    "current_scope",
    "records",
    "functional_scope",
    "FunctionScope",
    "toposort",
    "backward",
    "grad",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
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


def records(*tensors: Any) -> bool:
    """Would an op on these tensors (None entries ignored) be recorded for backward? The one
    rule for the array-level fast paths of forward passes: they run only when it is not."""
    return _state.grad_enabled and any(t is not None and t.requires_grad for t in tensors)


def current_scope() -> tuple[Any, ...]:
    """The modules whose ``forward`` is running, outermost first."""
    return _state.scope


class FunctionScope:
    """One call of a functional composite (``F.cross_entropy``), kept in ``Function.scope``
    next to the modules, so that tools fold it like a module call.

    ``name``: the function's name. ``inputs``: ``(argument name, shape, dtype)`` of each
    Tensor argument that is no parameter or buffer (no name) and does not require grad, and
    ``input_refs`` weak references to those tensors: a tool can draw an input that no
    recorded op reads (an image that only feeds a non-differentiable unfold). ``params``: the
    arguments the function declared worth showing (``training``), defaults included.
    """

    __slots__ = ("name", "inputs", "input_refs", "params")

    def __init__(self, name: str, inputs: tuple, input_refs: tuple, params: dict) -> None:
        self.name = name
        self.inputs = inputs
        self.input_refs = input_refs
        self.params = params

    def __repr__(self) -> str:
        return f"<FunctionScope {self.name}>"


_NO_PARAMS: dict[str, Any] = {}  # shared by the calls that record no parameters (never written)


def functional_scope(name: str, params: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Decorator: mark every op a functional composite records as part of one call of
    ``name`` (a :class:`FunctionScope` in ``Function.scope``); ``params`` names the
    arguments to keep (``("training",)``). Costs nothing under no_grad."""

    def decorate(fn: Callable) -> Callable:
        code = fn.__code__
        arg_names = code.co_varnames[: code.co_argcount]
        defaults = dict(zip(arg_names[::-1], (fn.__defaults__ or ())[::-1], strict=False))
        defaults.update(fn.__kwdefaults__ or {})
        slots = {k: arg_names.index(k) for k in params if k in arg_names}

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _state.grad_enabled:
                return fn(*args, **kwargs)
            from .tensor import Tensor

            meta, refs = [], []
            for k, v in (*zip(arg_names, args, strict=False), *kwargs.items()):
                if isinstance(v, Tensor) and not v.requires_grad and v.name is None:
                    meta.append((k, v.shape, str(v.dtype)))
                    refs.append(weakref.ref(v))
            kept = _NO_PARAMS
            if params:
                kept = {k: defaults.get(k) for k in params}
                for k, slot in slots.items():
                    if slot < len(args):
                        kept[k] = args[slot]
                kept.update((k, kwargs[k]) for k in params if k in kwargs)
            scope = FunctionScope(name, tuple(meta), tuple(refs), kept)
            previous = _state.scope
            _state.scope = previous + (scope,)
            try:
                return fn(*args, **kwargs)
            finally:
                _state.scope = previous

        return wrapper

    return decorate


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


def _node(t: Tensor) -> Any:
    """Where the gradient of ``t`` is collected: its producing op, or the leaf itself."""
    return t.op if t.op is not None else t


def _apply_hooks(t: Tensor, g: Tensor) -> Tensor:
    for hook in t.hooks:
        replaced = hook(g)
        if replaced is None:
            continue
        if not isinstance(replaced, type(g)) or (
            replaced.shape,
            replaced.dtype,
            replaced.device,
        ) != (g.shape, g.dtype, g.device):
            what = getattr(replaced, "shape", type(replaced).__name__)
            raise RuntimeError(
                f"hook {getattr(hook, '__name__', hook)!r} of the tensor of shape {t.shape} "
                f"returned a gradient of shape {what} "
                f"({getattr(replaced, 'dtype', '?')}, {getattr(replaced, 'device', '?')}) "
                f"where one of shape {g.shape} ({g.dtype}, {g.device}) was expected"
            )
        g = replaced
    return g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """Add ``g`` into ``t.grad``; the result is always an array of ``t``'s own."""
    if t.grad is None:
        # a fresh tensor: ops hand the same gradient to several inputs, and optimizers and
        # clip_grad_norm_ update .grad in place
        t.grad = g.clone() if create_graph else type(g)._make(g._data.copy())
    elif create_graph or t.grad.requires_grad:
        t.grad = t.grad + g
    else:
        with set_grad_enabled(False):
            t.grad.add_(g)


def _run(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any] | None,
    retain_graph: bool,
    create_graph: bool,
    wanted: set[int] | None,
) -> dict[int, Tensor]:
    """Propagate gradients from ``outputs``. With ``wanted`` (ids of nodes), return those
    gradients; without, accumulate into the ``.grad`` of leaves (and of tensors that
    ``retain_grad``)."""
    from .function import free_ops
    from .tensor import Tensor

    seeds = _seed_gradients(outputs, grad_outputs)
    # Ops run in the reverse of the order they were recorded in (``Function._seq``): an op
    # can only read tensors that existed before it, so every op that feeds an op's output
    # gradient ran before it. They are found as gradients reach them: ``grads`` holds the
    # pending gradient of each node found and not yet run, ``heap`` those ops by -_seq; the
    # next op of a chain (the one op found while nothing else waits) skips the heap. Leaves
    # run last, in the reverse of the order gradients reached them.
    grads: dict[int, Tensor] = {}
    heap: list[tuple[int, int, Any]] = []
    leaves: list[Tensor] = []
    tick = itertools.count().__next__  # ties: the stand-ins of freed ops all have _seq -1
    for out, g in zip(outputs, seeds):
        node = _node(out)
        key = id(node)
        if key in grads:
            grads[key] = grads[key] + g
        elif node is out:
            grads[key] = g
            leaves.append(node)
        else:
            grads[key] = g
            heapq.heappush(heap, (-node._seq, tick(), node))
    found: dict[int, Tensor] = {}
    done: list[Any] = []
    pop, get, push, popmin = grads.pop, grads.get, heapq.heappush, heapq.heappop
    nxt = None
    with set_grad_enabled(create_graph):
        while True:
            if nxt is not None:
                op, nxt = nxt, None
            elif heap:
                op = popmin(heap)[2]
            else:
                break
            g = pop(id(op))
            if op._saved is None:
                op.saved  # noqa: B018 -- raises the error that explains retain_graph
            out = op._output()  # (only free, which the line above catches, clears _output)
            if out is not None and (out.hooks or out.retains_grad) and out.op is op:
                if out.hooks:
                    g = _apply_hooks(out, g)
                if wanted is None and out.retains_grad:
                    _accumulate(out, g, create_graph)
            if wanted is not None and id(op) in wanted:
                found[id(op)] = g
            if op._input_versions is not None or op.uses_output:
                op.check_versions()
            input_grads = op.backward(g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            inputs = op.inputs
            if len(input_grads) != len(inputs):
                raise RuntimeError(
                    f"{op.name}.backward returned {len(input_grads)} gradients for "
                    f"{len(inputs)} inputs"
                )
            if anomaly._enabled:
                anomaly.backward_hook(op, g, input_grads)
            if not retain_graph:
                op._saved = None  # at once: what it saved is needed by no other op
                done.append(op)
            for edge, parent, pg in zip(op.edges, inputs, input_grads):
                if pg is None or edge is None:
                    continue
                a, b = pg._data, parent._data
                if a.shape != b.shape:
                    raise RuntimeError(
                        f"{op.name}.backward returned a gradient of shape {pg.shape} for an input "
                        f"of shape {parent.shape}"
                    )
                if a.dtype != b.dtype:  # float32 + float64 -> float64: cast back
                    pg = pg.to(parent.dtype)
                key = id(edge)
                before = get(key)
                if before is not None:
                    grads[key] = before + pg
                    continue
                grads[key] = pg  # found now
                if isinstance(edge, Tensor):
                    leaves.append(edge)
                elif nxt is None and not heap:
                    nxt = edge  # so far the only op waiting: the next one
                else:
                    if nxt is not None:
                        push(heap, (-nxt._seq, tick(), nxt))
                        nxt = None
                    push(heap, (-edge._seq, tick(), edge))
        for node in reversed(leaves):
            g = pop(id(node))
            if node.hooks:
                g = _apply_hooks(node, g)
            if wanted is not None:
                if id(node) in wanted:
                    found[id(node)] = g
            elif node.requires_grad:
                _accumulate(node, g, create_graph)
    out = parent = pg = input_grads = inputs = node = edge = op = None  # free: only graph refs
    free_ops(done, {})  # inputs only now: an op's output is read by its own backward, later
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


def _tensor_list(xs: Any, what: str) -> list:
    """``xs`` (a tensor or an iterable of tensors) as a list; anything else is an error naming
    ``grad`` and what was given (PyTorch: a RuntimeError for a non-tensor input)."""
    from .tensor import Tensor

    if isinstance(xs, Tensor):
        return [xs]
    try:
        xs = list(xs)
    except TypeError:
        raise TypeError(
            f"grad: {what} must be a Tensor or a sequence of Tensors, got {type(xs).__name__}"
        ) from None
    for i, x in enumerate(xs):
        if not isinstance(x, Tensor):
            raise RuntimeError(
                f"grad: all {what} have to be Tensors, but {what}[{i}] is {type(x).__name__}"
            )
    return xs


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

    outputs = _tensor_list(outputs, "outputs")
    inputs = _tensor_list(inputs, "inputs")
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    nodes = [_node(x) for x in inputs]
    found = _run(outputs, grad_outputs, retain, create_graph, wanted={id(n) for n in nodes})
    result = []
    for i, (x, node) in enumerate(zip(inputs, nodes)):
        g = found.get(id(node))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        result.append(g)
    return tuple(result)
