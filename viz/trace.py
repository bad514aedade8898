"""Trace a tensor's computation graph into plain data that every renderer works from.

``trace(loss)`` walks the graph once through the framework's public API (``tg.toposort``,
``Tensor.op``/``parents``/``name``/``grad``, ``Function.name``/``params``/``scope``/
``saved_nbytes``) and returns a :class:`Graph`: a list of :class:`Node` in topological order
(inputs first) with ids ``n0, n1, ...``, a list of :class:`Edge`, and the module calls the ops
ran in. Nothing in a ``Graph`` refers back to tensors, so it can be kept, folded and drawn
after the tensors are gone.

Gradients. After ``loss.backward()`` only leaves hold ``.grad``. ``trace(loss, grads=True)``
also computes the gradient of every intermediate tensor with
``tg.grad(loss, intermediates, retain_graph=True)``; that needs the graph to still hold its
saved values (call ``loss.backward(retain_graph=True)``, or trace before ``backward``). When
the graph was freed, the trace shows leaf gradients only and says so in ``Graph.notes``.
That extra gradient pass runs tensor hooks once more, and never touches ``.grad``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.backend import get_array_module

from .colors import GradScale

__all__ = [
    "FLAGS",
    "Call",
    "Edge",
    "Graph",
    "ModuleInfo",
    "Node",
    "Stats",
    "tensor_stats",
    "trace",
]

# flag -> short text shown next to a node (terminal and DOT)
FLAGS: dict[str, str] = {
    "nan": "NaN/Inf",
    "exploding": "exploding grad",
    "vanishing": "vanishing grad",
    "zero-grad": "zero grad",
    "no-grad": "no grad",
    "dead-relu": "dead ReLU",
    "bad-grad": "wrong backward",  # set by viz.check on ops that fail the gradient check
}
# flags that mean something is broken rather than suspicious
SEVERE = frozenset({"nan", "exploding", "no-grad", "dead-relu", "bad-grad"})
_RELU_OPS = frozenset({"relu"})


@dataclass(frozen=True)
class Stats:
    """Summary statistics of one array (computed in float64 over its finite entries)."""

    numel: int
    norm: float  # L2 norm
    mean: float
    std: float
    min: float
    max: float
    zero_frac: float  # fraction of entries exactly 0
    nan: int = 0  # count of NaN entries
    inf: int = 0  # count of ±Inf entries
    dead_frac: float | None = None  # ReLU outputs: units (over the batch axis) zero everywhere

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0


def tensor_stats(array: Any, dead_units: bool = False, full: bool = True) -> Stats:
    """:class:`Stats` of a NumPy/CuPy array or a Tensor.

    ``dead_units``: also measure the fraction of units that are zero for every sample
    (axis 0 is the batch), as for the output of a ReLU. ``full=False``: only the norm (the
    other figures are NaN) unless the array holds NaN/Inf; enough for flags and colours.
    """
    if isinstance(array, tg.Tensor):
        a = array.numpy()
    else:
        a = np.asarray(array.get() if hasattr(array, "get") else array)
    a = a.astype(np.float64, copy=False)
    n = int(a.size)
    if n == 0:
        return Stats(0, 0.0, math.nan, math.nan, math.nan, math.nan, 0.0)
    if not full and not dead_units:
        flat = a.ravel()
        norm = float(np.sqrt(np.dot(flat, flat)))
        if math.isfinite(norm):
            nan = math.nan
            return Stats(n, norm, nan, nan, nan, nan, 1.0 if norm == 0 else nan)
    finite = np.isfinite(a)
    n_nan = int(np.isnan(a).sum())
    n_inf = int(n - finite.sum() - n_nan)
    vals = a[finite] if n_nan or n_inf else a.ravel()
    zero_frac = float(np.count_nonzero(a == 0)) / n
    dead = None
    if dead_units:
        units = (a == 0).reshape(a.shape[0], -1).all(axis=0) if a.ndim >= 2 else (a == 0)
        dead = float(np.mean(units))
    if vals.size == 0:
        return Stats(n, math.nan, math.nan, math.nan, math.nan, math.nan, zero_frac, n_nan, n_inf)
    norm = math.nan if n_nan else (math.inf if n_inf else float(np.sqrt(np.dot(vals, vals))))
    return Stats(
        numel=n,
        norm=norm,
        mean=float(vals.mean()),
        std=float(vals.std()),
        min=float(vals.min()),
        max=float(vals.max()),
        zero_frac=zero_frac,
        nan=n_nan,
        inf=n_inf,
        dead_frac=dead,
    )


@dataclass(frozen=True)
class ModuleInfo:
    """A module that ops ran in: qualified name inside its outermost module, and class name."""

    uid: str  # "m0", "m1", ... in order of first appearance
    name: str  # qualified name, e.g. "layer1.0.conv1"; "" for the outermost module
    type: str  # class name, e.g. "Conv2d"

    @property
    def label(self) -> str:
        """``'conv1'``, or the class name for the outermost module."""
        return self.name or self.type


@dataclass(frozen=True)
class Call:
    """One call of a module: the ops that ran inside it, connected through their edges.

    A module called twice (a shared ReLU) gives two calls; ``depth`` 0 is the outermost module.
    """

    id: str  # "c0", "c1", ...
    module: str  # ModuleInfo.uid
    parent: str | None  # the enclosing call
    depth: int
    nodes: tuple[int, ...]  # indices of the nodes inside (ops, and parameters they consume)


@dataclass
class Node:
    """One tensor of the graph (or, in a folded graph, one module call or repeated block).

    ``kind``: ``"op"`` (made by an op), ``"param"`` (a leaf that requires grad or has a
    parameter name), ``"input"`` (other leaves), ``"const"`` (0-d leaves from Python numbers),
    ``"module"`` (a folded module call), ``"repeat"`` (a run of identical blocks, ``× repeat``).
    """

    id: str
    index: int
    kind: str
    op: str | None  # Function.name for ops; class name for modules; None for leaves
    name: str | None  # Tensor.name for leaves ("conv1.weight"); qualified name for modules
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    scope: tuple[str, ...] = ()  # ModuleInfo uids, outermost first
    calls: tuple[str, ...] = ()  # Call ids, one per scope level
    saved_nbytes: int = 0
    value: Stats | None = None
    grad: Stats | None = None
    flags: tuple[str, ...] = ()
    const: str | None = None  # the value of a "const" leaf, as text
    consts: tuple[tuple[int, str], ...] = ()  # (input slot, value) of inputs folded into labels
    n_inputs: int = 0  # number of inputs of the op (with repeats)
    origin: str | None = None  # 'file.py:12', where the op was made (recorded in anomaly mode)
    # set on folded nodes
    members: tuple[int, ...] = ()  # indices of the nodes of the unfolded graph it stands for
    in_shapes: tuple[tuple[int, ...], ...] = ()
    n_params: int = 0  # parameter entries inside a module node
    repeat: int = 1
    block: tuple[str, ...] = ()  # labels of one repeated block
    grad_range: tuple[float, float] | None = None  # min/max grad norm over repeated blocks

    @property
    def is_leaf(self) -> bool:
        return self.kind in ("param", "input", "const")

    @property
    def label(self) -> str:
        """What the node is called in drawings: op name, parameter name, or module class."""
        if self.kind == "repeat":
            return " → ".join(self.block)
        if self.kind == "op" or self.kind == "module":
            return self.op or "?"
        if self.kind == "const":
            return self.const or "const"
        return self.name or self.kind

    @property
    def grad_norm(self) -> float | None:
        return None if self.grad is None else self.grad.norm


@dataclass(frozen=True)
class Edge:
    """``src`` feeds input ``slot`` of ``dst`` (indices into ``Graph.nodes``)."""

    src: int
    dst: int
    slot: int = 0


@dataclass
class Graph:
    """Plain-data computation graph; nodes are in topological order (inputs first)."""

    nodes: list[Node]
    edges: list[Edge]
    roots: list[int]
    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    grads: str = "none"  # "none" | "leaves" | "all": which gradients the trace holds
    values: bool = False
    depth: int | None = None  # module depth it was folded to (None: ops)
    unused: list[str] = field(default_factory=list)  # model parameters not in the graph
    scale: GradScale = field(default_factory=GradScale)

    def __post_init__(self) -> None:
        self._index_edges()

    def _index_edges(self) -> None:
        n = len(self.nodes)
        self._in: list[list[int]] = [[] for _ in range(n)]
        self._out: list[list[int]] = [[] for _ in range(n)]
        self._in_edges: list[list[Edge]] = [[] for _ in range(n)]
        for e in self.edges:
            self._in_edges[e.dst].append(e)
            if e.src not in self._in[e.dst]:
                self._in[e.dst].append(e.src)
            if e.dst not in self._out[e.src]:
                self._out[e.src].append(e.dst)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.nodes)

    def parents(self, i: int) -> list[int]:
        """Distinct nodes feeding node ``i``, in input order."""
        return self._in[i]

    def in_edges(self, i: int) -> list[Edge]:
        """Edges into node ``i`` (one per input slot)."""
        return self._in_edges[i]

    def consumers(self, i: int) -> list[int]:
        """Distinct nodes that use node ``i``, in topological order of first use."""
        return self._out[i]

    def node(self, key: str | int) -> Node:
        """A node by index or id (``'n3'``)."""
        if isinstance(key, int):
            return self.nodes[key]
        for nd in self.nodes:
            if nd.id == key:
                return nd
        raise KeyError(f"graph has no node {key!r}")

    def call_label(self, call_id: str) -> str:
        """``'conv1 (Conv2d)'`` for a call."""
        info = self.modules[self.calls[call_id].module]
        return f"{info.name} ({info.type})" if info.name else info.type

    def flagged(self) -> dict[str, list[int]]:
        """Node indices per flag, for legends."""
        out: dict[str, list[int]] = {}
        for nd in self.nodes:
            for f in nd.flags:
                out.setdefault(f, []).append(nd.index)
        return out

    @property
    def saved_nbytes(self) -> int:
        return sum(nd.saved_nbytes for nd in self.nodes)

    # ------------------------------------------------------------------ transforms
    def fold(self, depth: int | None, collapse: bool = True) -> Graph:
        """One node per module call at ``depth`` (0 = outermost module); ``None``: no folding.

        ``collapse`` merges runs of identical consecutive blocks into one ``× n`` node.
        """
        from .group import fold

        return fold(self, depth, collapse=collapse)

    def inline_consts(self) -> Graph:
        """Drop 0-d constant leaves, writing their value into the consumer's label instead."""
        from .group import inline_consts

        return inline_consts(self)

    # ------------------------------------------------------------------ rendering
    def to_dot(self, **options: Any) -> str:
        """DOT text; see :func:`viz.to_dot` for the options."""
        from .dot import to_dot

        return to_dot(self, **options)

    def show(self, **options: Any) -> None:
        """Draw in the terminal; see :func:`viz.show`."""
        from .terminal import show

        show(self, **options)

    def render(self, path: str, **options: Any) -> Any:
        """Write SVG/PNG/PDF through graphviz; see :func:`viz.render`."""
        from .render import render

        return render(self, path, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from .render import GraphView

        return GraphView(self)._repr_mimebundle_(include, exclude)

    def _repr_svg_(self) -> str | None:
        from .render import GraphView

        return GraphView(self)._repr_svg_()

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from .terminal import graph_renderable

        yield graph_renderable(
            self, width=options.max_width, color=console.color_system is not None
        )

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for nd in self.nodes:
            kinds[nd.kind] = kinds.get(nd.kind, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in kinds.items())
        return f"<viz.Graph {len(self.nodes)} nodes ({parts}), {len(self.edges)} edges>"


# ---------------------------------------------------------------------------- tracing


def _roots(tensors: Iterable[Any]) -> list[tg.Tensor]:
    out: list[tg.Tensor] = []
    for t in tensors:
        if isinstance(t, (list, tuple)):
            out.extend(_roots(t))
        elif isinstance(t, tg.Tensor):
            out.append(t)
        else:
            raise TypeError(f"viz.trace: expected Tensors, got {type(t).__name__}")
    if not out:
        raise ValueError("viz.trace: give at least one tensor")
    return out


def _leaf_kind(t: tg.Tensor) -> str:
    if t.requires_grad or t.name is not None:
        return "param"
    if t.ndim == 0:
        return "const"
    return "input"


def _const_text(t: tg.Tensor) -> str:
    v = t.item()
    return f"{v:g}" if isinstance(v, float) else str(v)


def _module_names(root: Any) -> dict[int, str]:
    names: dict[int, str] = {}
    named = getattr(root, "named_modules", None)
    if callable(named):
        for qualname, m in named():
            names.setdefault(id(m), qualname)
    return names


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def add(self, x: int) -> None:
        self.parent.setdefault(x, x)

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:  # keep the smaller index as root: deterministic
            lo, hi = min(ra, rb), max(ra, rb)
            self.parent[hi] = lo


def _scopes(order: list[tg.Tensor], nodes: list[Node], edges: list[Edge]):
    """Module uids per op, and call instances (union-find over edges inside each scope)."""
    modules: dict[str, ModuleInfo] = {}
    uid_of: dict[int, str] = {}
    names_of_root: dict[int, dict[int, str]] = {}
    for t, nd in zip(order, nodes, strict=True):
        if t.op is None:
            continue
        scope = tuple(t.op.scope)
        if not scope:
            continue
        root = scope[0]
        if id(root) not in names_of_root:
            names_of_root[id(root)] = _module_names(root)
        names = names_of_root[id(root)]
        uids = []
        parent_name = ""
        for depth, m in enumerate(scope):
            if id(m) not in uid_of:
                uid = f"m{len(modules)}"
                uid_of[id(m)] = uid
                if depth == 0:
                    qual = ""
                elif id(m) in names:
                    qual = names[id(m)]
                else:  # a module that is not registered in its parent: name it by class
                    qual = f"{parent_name}.{type(m).__name__.lower()}".lstrip(".")
                modules[uid] = ModuleInfo(uid, qual, type(m).__name__)
            uids.append(uid_of[id(m)])
            parent_name = modules[uid_of[id(m)]].name
        nd.scope = tuple(uids)

    if not modules:
        return modules, {}
    # ops at level L belong to the same call when connected through ops with the same
    # scope prefix down to level L
    max_depth = max(len(nd.scope) for nd in nodes)
    ufs = [_UnionFind() for _ in range(max_depth)]
    for nd in nodes:
        for level in range(len(nd.scope)):
            ufs[level].add(nd.index)
    for e in edges:
        a, b = nodes[e.src].scope, nodes[e.dst].scope
        common = 0
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            common += 1
        for level in range(common):
            ufs[level].union(e.src, e.dst)
    # call ids in order of first member, outer before inner
    keys: list[tuple[int, int]] = []  # (first member index, level)
    seen: set[tuple[int, int]] = set()
    for nd in nodes:
        for level in range(len(nd.scope)):
            key = (ufs[level].find(nd.index), level)
            if key not in seen:
                seen.add(key)
                keys.append(key)
    call_id = {key: f"c{k}" for k, key in enumerate(keys)}
    members: dict[str, list[int]] = {cid: [] for cid in call_id.values()}
    parent_of: dict[str, str | None] = {}
    module_of: dict[str, str] = {}
    for nd in nodes:
        ids = tuple(call_id[(ufs[lv].find(nd.index), lv)] for lv in range(len(nd.scope)))
        nd.calls = ids
        for lv, cid in enumerate(ids):
            members[cid].append(nd.index)
            parent_of[cid] = ids[lv - 1] if lv else None
            module_of[cid] = nd.scope[lv]
    # parameters (and constants) live in the innermost call that all their consumers share;
    # plain inputs stay outside every module
    consumers: dict[int, list[int]] = {}
    for e in edges:
        consumers.setdefault(e.src, []).append(e.dst)
    for nd in nodes:
        if nd.kind not in ("param", "const") or nd.index not in consumers:
            continue
        common_calls: tuple[str, ...] | None = None
        for c in consumers[nd.index]:
            cc = nodes[c].calls
            if common_calls is None:
                common_calls = cc
            else:
                k = 0
                while k < min(len(common_calls), len(cc)) and common_calls[k] == cc[k]:
                    k += 1
                common_calls = common_calls[:k]
        nd.calls = common_calls or ()
        nd.scope = tuple(module_of[c] for c in nd.calls)
        for cid in nd.calls:
            members[cid].append(nd.index)
    calls = {
        cid: Call(cid, module_of[cid], parent_of[cid], cid_depth, tuple(sorted(members[cid])))
        for (_, cid_depth), cid in call_id.items()
    }
    return modules, calls


def _unused_params(model: Any, index: dict[int, int]) -> list[str]:
    """Names of trainable parameters of ``model`` that the graph does not contain."""
    if hasattr(model, "named_parameters"):
        items = list(model.named_parameters())
    else:
        items = [
            p if isinstance(p, tuple) else (getattr(p, "name", None) or f"param{k}", p)
            for k, p in enumerate(model)
        ]
    return [name for name, p in items if p.requires_grad and id(p) not in index]


def _reading_order(roots: list[tg.Tensor], order: list[tg.Tensor]) -> list[tg.Tensor]:
    """A topological order that reads well: depth-first from the roots, visiting the input
    with the longest history first, so that short side inputs (weights, constants) come
    right before the op that uses them. Iterative; deterministic."""
    pos = {id(t): i for i, t in enumerate(order)}
    height = [0] * len(order)
    for i, t in enumerate(order):
        parents = t.parents
        if parents:
            height[i] = 1 + max(height[pos[id(p)]] for p in parents)

    def inputs(t: tg.Tensor) -> list[tg.Tensor]:
        unique: dict[int, tuple[int, int, tg.Tensor]] = {}
        for slot, p in enumerate(t.parents):
            unique.setdefault(id(p), (-height[pos[id(p)]], slot, p))
        return [p for _, _, p in sorted(unique.values(), key=lambda v: (v[0], v[1]))]

    out: list[tg.Tensor] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(inputs(root)))]
        while stack:
            node, it = stack[-1]
            for p in it:
                if id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, iter(inputs(p))))
                    break
            else:
                stack.pop()
                out.append(node)
    return out


def _intermediate_grads(
    roots: list[tg.Tensor], order: list[tg.Tensor], notes: list[str], leaves: bool
) -> dict[int, Any] | None:
    """Gradients of the (single, scalar) root w.r.t. every intermediate tensor (and every
    leaf that requires grad, with ``leaves``), or None when they cannot be computed."""
    if len(roots) != 1 or roots[0].numel() != 1 or not roots[0].requires_grad:
        notes.append("intermediate gradients need one scalar root that requires grad")
        return None
    root = roots[0]
    targets = [
        t for t in order if t is not root and t.requires_grad and (leaves or t.op is not None)
    ]
    grads: dict[int, Any] = {id(root): np.ones(root.shape)}
    if not targets:
        return grads
    try:
        found = tg.grad(root, targets, retain_graph=True, allow_unused=True)
    except RuntimeError as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "freed" in reason or "second time" in reason:
            reason = (
                "the graph was freed by backward(); call loss.backward(retain_graph=True) "
                "to keep it"
            )
        notes.append(f"intermediate gradients unavailable, showing leaf gradients only: {reason}")
        return None
    for t, g in zip(targets, found, strict=True):
        if g is not None:
            grads[id(t)] = g
    return grads


def _all_finite(a: Any) -> bool:
    if a.dtype.kind not in "fc":
        return True
    return bool(get_array_module(a).isfinite(a).all())


def _flags(nd: Node, backward_ran: bool, scale: GradScale) -> tuple[str, ...]:
    flags: list[str] = []
    if (nd.value is not None and not nd.value.finite) or (
        nd.grad is not None and not nd.grad.finite
    ):
        flags.append("nan")
    if nd.grad is not None and nd.grad.finite:
        if nd.grad.norm == 0:
            flags.append("zero-grad")
        elif nd.grad.norm < scale.vanish:
            flags.append("vanishing")
        elif nd.grad.norm > scale.explode:
            flags.append("exploding")
    # after a backward that reached other leaves, a parameter left without .grad got none
    if nd.kind == "param" and nd.requires_grad and nd.grad is None and backward_ran:
        flags.append("no-grad")
    if nd.op is not None and nd.op.lower() in _RELU_OPS and math.prod(nd.shape) > 0:
        dead_out = nd.value is not None and nd.value.zero_frac == 1.0
        dead_grad = nd.grad is not None and nd.grad.norm == 0
        if dead_out or dead_grad:
            flags.append("dead-relu")
    return tuple(flags)


def trace(
    *tensors: Any,
    grads: bool | str | None = None,
    values: bool = False,
    vanish: float = 1e-6,
    explode: float = 1e3,
    model: Any = None,
) -> Graph:
    """Trace the graph behind one or more tensors into a :class:`Graph`.

    Args:
        tensors: the root tensor(s), e.g. a loss; lists of tensors are accepted.
        grads: ``False``: no gradients. ``"leaves"``: the ``.grad`` of leaves. ``True``:
            leaves plus every intermediate gradient, computed with ``tg.grad(...,
            retain_graph=True)`` when the graph was retained (else leaves only, with a note);
            before any ``backward`` the leaves' gradients are computed the same way.
            ``None`` (default): like ``True`` when any leaf already has a ``.grad``
            (i.e. after ``backward``), else no gradients.
        values: statistics of every tensor's values, and full statistics of gradients (else
            gradients get their norm only; ReLU outputs, and tensors holding NaN/Inf, are
            always measured, to spot dead ReLUs and broken values).
        vanish, explode: gradient norms below / above these are flagged (and coloured) as
            vanishing / exploding. Defaults ``1e-6`` and ``1e3``.
        model: an ``nn.Module`` (or an iterable of parameters, or of ``(name, parameter)``);
            its trainable parameters that are not in the graph get no gradient from it and
            are listed in ``Graph.unused`` (a forgotten layer, a ``detach`` too many).

    Returns:
        A :class:`Graph` with ids ``n0, n1, ...`` in topological order (inputs first; among
        the inputs of an op, the one with the longest history comes first, so weights sit
        right before the op that reads them).
    """
    roots = _roots(tensors)
    scale = GradScale(vanish, explode)
    order = _reading_order(roots, tg.toposort(*roots))
    index = {id(t): i for i, t in enumerate(order)}
    nodes: list[Node] = []
    edges: list[Edge] = []
    for i, t in enumerate(order):
        if t.op is None:
            kind = _leaf_kind(t)
            nd = Node(
                id=f"n{i}",
                index=i,
                kind=kind,
                op=None,
                name=t.name,
                shape=tuple(t.shape),
                dtype=str(t.dtype),
                requires_grad=bool(t.requires_grad),
                const=_const_text(t) if kind == "const" else None,
            )
        else:
            fn = t.op
            nd = Node(
                id=f"n{i}",
                index=i,
                kind="op",
                op=str(fn.name),
                name=t.name,
                shape=tuple(t.shape),
                dtype=str(t.dtype),
                requires_grad=bool(t.requires_grad),
                params=dict(fn.params),
                saved_nbytes=int(fn.saved_nbytes),
                n_inputs=len(t.parents),
                origin=fn.origin.short if fn.origin is not None else None,
            )
            for slot, p in enumerate(t.parents):
                edges.append(Edge(index[id(p)], i, slot))
        nodes.append(nd)
    modules, calls = _scopes(order, nodes, edges)

    notes: list[str] = []
    any_leaf_grad = any(t.op is None and t.grad is not None for t in order)
    mode = grads
    if mode is None:
        mode = True if any_leaf_grad else False
    inter: dict[int, Any] | None = None
    if mode is True:
        # before any backward, leaf gradients are computed too (what backward would give)
        inter = _intermediate_grads(roots, order, notes, leaves=not any_leaf_grad)
    grad_mode = "none"
    if mode in (True, "leaves"):
        grad_mode = "all" if inter is not None else "leaves"
    elif mode is not False:
        raise ValueError(f"viz.trace: grads must be True, False, 'leaves' or None, got {grads!r}")
    if grad_mode != "none" and not any_leaf_grad and inter is None:
        notes.append("no gradients yet: call loss.backward() first")

    for t, nd in zip(order, nodes, strict=True):
        is_relu = nd.op is not None and nd.op.lower() in _RELU_OPS
        if t.is_freed:  # backward freed its values; the shape is all that is left
            pass
        elif values or is_relu or not _all_finite(t._data):  # NaN/Inf are always reported
            nd.value = tensor_stats(t._data, dead_units=is_relu)
        if grad_mode != "none":
            if t.op is None and any_leaf_grad:
                g = t.grad  # what backward left there (what the optimizer will use)
            else:
                g = (inter or {}).get(id(t))
            if g is not None:
                nd.grad = tensor_stats(g._data if isinstance(g, tg.Tensor) else g, full=values)
        nd.flags = _flags(nd, any_leaf_grad, scale)
    unused = _unused_params(model, index) if model is not None else []
    if unused:
        notes.append(
            f"{len(unused)} trainable parameter{'s' if len(unused) > 1 else ''} of the model "
            "are not in this graph and get no gradient from it"
        )
    return Graph(
        nodes=nodes,
        edges=edges,
        roots=[index[id(r)] for r in roots],
        unused=unused,
        modules=modules,
        calls=calls,
        notes=notes,
        grads=grad_mode,
        values=values,
        scale=scale,
    )
