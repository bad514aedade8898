"""The graph data model: plain data that every renderer and instrument works from.

A :class:`Graph` is a list of :class:`Node` in topological order (inputs first) with ids
``n0, n1, ...``, a list of :class:`Edge`, the module and function calls the ops ran in
(:class:`ModuleInfo`, :class:`Call`), flags and :class:`Stats`. Nothing here refers back to
tensors, and nothing here draws: :mod:`viz.trace` makes graphs, :mod:`viz.group` transforms
them, the renderers (:mod:`viz.dot`, :mod:`viz.terminal`, :mod:`viz.render`) draw them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import tinygrad_cnn as tg

from .colors import GradScale

__all__ = [
    "FLAGS",
    "SEVERE",
    "Call",
    "Edge",
    "Graph",
    "ModuleInfo",
    "Node",
    "Stats",
    "tensor_stats",
]

# flag -> short text shown next to a node (terminal and DOT)
FLAGS: dict[str, str] = {
    "nan": "NaN/Inf born here",
    "nan-reached": "reached by NaN/Inf",
    "exploding": "exploding grad",
    "vanishing": "vanishing grad",
    "zero-grad": "zero grad",
    "no-grad": "no grad",
    "dead-relu": "dead ReLU",
    "bad-grad": "wrong backward",  # set by viz.check on ops that fail the gradient check
}
# flags that mean something is broken rather than suspicious
SEVERE = frozenset({"nan", "exploding", "no-grad", "dead-relu", "bad-grad"})


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
    type: str  # class name, e.g. "Conv2d"; for a functional call its name ("cross_entropy")
    kind: str = "module"  # "module" or "function" (a functional composite, F.cross_entropy)
    mode: str | None = None  # "train"/"eval" for batch norm and dropout

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

    ``kind``: ``"op"`` (made by a recorded op), ``"param"`` (a leaf that requires grad, or a
    frozen parameter), ``"buffer"`` (a module buffer: ``bn1.running_mean``), ``"input"`` (the
    user's data), ``"const"`` (a Python number, or a constant an op made without gradient:
    batch statistics, a dropout mask, a one-hot target; ``made_by`` names the function),
    ``"module"`` (a folded module or function call), ``"repeat"`` (identical blocks, ``× n``).
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
    const: str | None = None  # the value of a 0-d "const" leaf, as text
    made_by: str | None = None  # the function whose ops made a "const" leaf (no gradient)
    mode: str | None = None  # "train"/"eval" for batch norm and dropout
    notes: tuple[str, ...] = ()  # quiet remarks, e.g. "redundant before BatchNorm2d"
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
        return self.kind in ("param", "buffer", "input", "const")

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

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """In a notebook a Graph shows itself as :class:`viz.GraphView` does (SVG, or text)."""
        from .render import GraphView  # drawing lives with the renderers, not in this module

        return GraphView(self)._repr_mimebundle_(include, exclude)

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for nd in self.nodes:
            kinds[nd.kind] = kinds.get(nd.kind, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in kinds.items())
        return f"<viz.Graph {len(self.nodes)} nodes ({parts}), {len(self.edges)} edges>"
