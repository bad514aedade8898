"""Graph transforms: fold ops into module calls, collapse repeated blocks, inline constants.

Every transform takes a :class:`~viz.trace.Graph` and returns a new one; node ids of the
traced graph are kept (``n7``), module nodes take their call's id (``c3``), and a run of
repeated blocks is named after its first block and the count (``c3x4``).
"""

from __future__ import annotations

import copy
import heapq
import math
from typing import Any

from ._format import fmt_params
from .graph import FLAGS, Edge, Graph, Node
from .trace import trace

__all__ = ["as_graph", "call_output", "collapse_repeats", "fold", "inline_consts"]


def _with(nd: Node, **changes: Any) -> Node:
    """A shallow copy of ``nd`` with some fields changed (dataclasses.replace is slow)."""
    out = copy.copy(nd)
    for k, v in changes.items():
        setattr(out, k, v)
    return out


def _union_flags(nodes: list[Node]) -> tuple[str, ...]:
    present = {f for nd in nodes for f in nd.flags}
    return tuple(f for f in FLAGS if f in present)


def _rebuild(g: Graph, groups: list[list[int]], make: list[Node], depth: int | None) -> Graph:
    """A graph whose node k stands for the old nodes ``groups[k]`` (``make[k]`` is its Node,
    index to be set). Nodes are re-ordered topologically, ties by first member."""
    owner = [-1] * len(g.nodes)
    for k, members in enumerate(groups):
        for i in members:
            owner[i] = k
    pairs: dict[tuple[int, int], int] = {}
    for e in g.edges:
        a, b = owner[e.src], owner[e.dst]
        if a < 0 or b < 0 or a == b:
            continue
        pairs.setdefault((a, b), e.slot)
    # Kahn's algorithm keyed on the first member keeps the traced order where it can
    succ: list[list[int]] = [[] for _ in groups]
    indeg = [0] * len(groups)
    for a, b in pairs:
        succ[a].append(b)
        indeg[b] += 1
    first = [min(m) for m in groups]
    heap = [(first[k], k) for k in range(len(groups)) if indeg[k] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        _, k = heapq.heappop(heap)
        order.append(k)
        for s in succ[k]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(heap, (first[s], s))
    notes = list(g.notes)
    if len(order) < len(groups):  # a cycle between folded groups: keep the traced order
        done = set(order)
        order += sorted((k for k in range(len(groups)) if k not in done), key=first.__getitem__)
        notes.append("folding made a cycle between module calls; some edges point upwards")
    pos = {k: p for p, k in enumerate(order)}
    nodes = [_with(make[k], index=pos[k]) for k in order]
    edges = sorted(
        (Edge(pos[a], pos[b], slot) for (a, b), slot in pairs.items()),
        key=lambda e: (e.dst, e.slot, e.src),
    )
    roots = []
    for r in g.roots:
        if owner[r] >= 0 and pos[owner[r]] not in roots:
            roots.append(pos[owner[r]])
    return Graph(
        nodes=nodes,
        edges=edges,
        roots=roots,
        modules=g.modules,
        calls=g.calls,
        notes=notes,
        grads=g.grads,
        values=g.values,
        depth=depth,
        unused=g.unused,
        scale=g.scale,
    )


def _external_inputs(g: Graph, members: set[int]) -> list[int]:
    srcs: list[int] = []
    for dst in sorted(members):
        for e in sorted(g.in_edges(dst), key=lambda e: e.slot):
            if e.src not in members and e.src not in srcs:
                srcs.append(e.src)
    return srcs


def _output_of(g: Graph, members: list[int]) -> int:
    mset = set(members)
    roots = set(g.roots)
    ops = [i for i in members if g.nodes[i].kind == "op"]
    outputs = [i for i in ops if i in roots or any(c not in mset for c in g.consumers(i))]
    return max(outputs or ops or members)


def call_output(g: Graph, call_id: str) -> int:
    """Index of the tensor a module call hands on (its last op read outside the call) in the
    traced, unfolded graph ``g``."""
    return _output_of(g, list(g.calls[call_id].nodes))


def _member_notes(nodes: list[Node]) -> tuple[str, ...]:
    """The notes of the nodes inside a box, each saying whom it is about (``bias redundant
    before BatchNorm2d``)."""
    out: dict[str, None] = {}
    for nd in nodes:
        for note in nd.notes:
            if nd.kind == "param" and nd.name:
                note = f"{nd.name.rsplit('.', 1)[-1]} {note}"
            out.setdefault(note)
    return tuple(out)


def _module_node(g: Graph, call_id: str, members: list[int], depth: int) -> Node:
    mset = set(members)
    out = g.nodes[_output_of(g, members)]
    inputs = [i for i in _external_inputs(g, mset) if g.nodes[i].const is None]
    made = [i for i in inputs if not g.nodes[i].is_leaf]
    inputs = made or inputs  # the data flowing in; side inputs such as masks only if alone
    params = [g.nodes[i] for i in members if g.nodes[i].kind == "param"]
    info = g.modules[g.calls[call_id].module]
    inner = [g.nodes[i] for i in members]
    enclosing = tuple(c for c in _levels(g, out)[:depth] if c != call_id)
    return Node(
        id=call_id,
        index=-1,
        kind="module",
        op=info.type,
        name=info.name or None,
        shape=out.shape,
        dtype=out.dtype,
        requires_grad=any(nd.requires_grad for nd in inner),
        scope=tuple(u for u, c in zip(out.scope, out.calls, strict=True) if c in enclosing),
        calls=enclosing,
        mode=info.mode,
        saved_nbytes=sum(nd.saved_nbytes for nd in inner),
        value=out.value,
        grad=out.grad,
        flags=_union_flags(inner),
        notes=_member_notes(inner),
        members=tuple(sorted(members)),
        in_shapes=tuple(g.nodes[i].shape for i in inputs),
        n_params=sum(math.prod(p.shape) for p in params),
    )


def _levels(g: Graph, nd: Node) -> tuple[str, ...]:
    """The calls of ``nd`` by folding depth: a function called outside any module
    (``F.cross_entropy(model(x), y)``) sits at depths 0 and 1, beside the model's layers."""
    if nd.scope and g.modules[nd.scope[0]].kind == "function":
        return nd.calls[:1] + nd.calls
    return nd.calls


def fold(g: Graph, depth: int | None, collapse: bool | None = None) -> Graph:
    """One node per module call at ``depth`` (0: the outermost module, 1: its children, ...).

    Ops that ran outside any module at that depth stay as they are; parameters, buffers and
    the constants a call made (masks, batch statistics) move into the call that uses them; a
    function called outside any module (``F.cross_entropy``) folds at depths 0 and 1.
    ``collapse`` (default: True when folding) then merges runs of identical consecutive
    blocks into one ``× n`` node.
    ``depth=None`` returns the op graph.
    """
    if collapse is None:
        collapse = depth is not None
    if depth is None:
        return collapse_repeats(g) if collapse else g
    if depth < 0:
        raise ValueError(f"viz.fold: depth must be >= 0, got {depth}")
    keys: list[object] = []
    for nd in g.nodes:
        calls = _levels(g, nd)
        keys.append(calls[depth] if len(calls) > depth else nd.index)
    key_of: dict[object, int] = {}
    groups: list[list[int]] = []
    for nd in g.nodes:
        key = keys[nd.index]
        if key not in key_of:
            key_of[key] = len(groups)
            groups.append([])
        groups[key_of[key]].append(nd.index)
    make: list[Node] = []
    for key, k in key_of.items():
        members = groups[k]
        if isinstance(key, str):
            make.append(_module_node(g, key, members, depth))
        else:
            make.append(_with(g.nodes[members[0]], members=(members[0],)))
    folded = _rebuild(g, groups, make, depth)
    return collapse_repeats(folded) if collapse else folded


def _signature(g: Graph, i: int) -> tuple | None:
    nd = g.nodes[i]
    if nd.kind == "module":
        return ("module", nd.op, nd.shape, nd.in_shapes, nd.n_params, len(nd.members))
    if nd.kind == "op":
        in_shapes = tuple(g.nodes[p].shape for p in g.parents(i))
        return ("op", nd.op, fmt_params(nd.params, 200), nd.consts, nd.shape, in_shapes)
    return None


def _linked(g: Graph, a: int, b: int) -> bool:
    """``a`` feeds only ``b`` and ``b`` reads only ``a``: a link of a chain."""
    return g.consumers(a) == [b] and g.parents(b) == [a] and a not in g.roots


def _repeat_node(g: Graph, run: list[int], period: int) -> Node:
    nodes = [g.nodes[i] for i in run]
    first, last = nodes[0], nodes[-1]
    count = len(run) // period
    norms = [nd.grad.norm for nd in nodes if nd.grad is not None]
    names = [nd.name for nd in nodes if nd.name]
    name = f"{names[0]} … {names[-1]}" if len(names) > 1 else (names[0] if names else None)
    in_shapes = first.in_shapes or tuple(g.nodes[p].shape for p in g.parents(run[0]))
    return Node(
        id=f"{first.id}x{count}",
        index=-1,
        kind="repeat",
        op=None,
        name=name,
        shape=last.shape,
        dtype=last.dtype,
        requires_grad=any(nd.requires_grad for nd in nodes),
        scope=first.scope,
        calls=first.calls,
        saved_nbytes=sum(nd.saved_nbytes for nd in nodes),
        value=last.value,
        grad=last.grad,
        flags=_union_flags(nodes),
        notes=_member_notes(nodes),
        members=tuple(sorted(m for nd in nodes for m in (nd.members or (nd.index,)))),
        in_shapes=in_shapes,
        n_params=sum(nd.n_params for nd in nodes),
        repeat=count,
        block=tuple(nd.label for nd in nodes[:period]),
        grad_range=(min(norms), max(norms)) if norms else None,
    )


def collapse_repeats(g: Graph, max_period: int = 4) -> Graph:
    """Merge runs of ``n >= 2`` identical consecutive blocks of 1..``max_period`` nodes into
    one ``repeat`` node (``Linear → ReLU × 3``). Blocks must form a plain chain (each feeds
    only the next) and match in type, shapes and parameter count."""
    n = len(g.nodes)
    sigs = [_signature(g, i) for i in range(n)]
    linked_from = [-1] * n
    for i in range(n):
        ps = g.parents(i)
        if len(ps) == 1 and sigs[i] is not None and sigs[ps[0]] is not None:
            if _linked(g, ps[0], i):
                linked_from[i] = ps[0]
    runs: list[tuple[list[int], int]] = []
    for start in range(n):
        if linked_from[start] >= 0 or sigs[start] is None:
            continue
        chain = [start]
        while True:
            nxt = g.consumers(chain[-1])
            if len(nxt) == 1 and linked_from[nxt[0]] == chain[-1] and sigs[nxt[0]] is not None:
                chain.append(nxt[0])
            else:
                break
        s = [sigs[i] for i in chain]

        def best_run(i: int, s: list = s) -> tuple[int, int]:
            best_p, best_k = 0, 0
            for p in range(1, max_period + 1):
                block = s[i : i + p]
                k = 1
                while i + (k + 1) * p <= len(s) and s[i + k * p : i + (k + 1) * p] == block:
                    k += 1
                if k >= 2 and p * k > best_p * best_k:
                    best_p, best_k = p, k
            return best_p, best_k

        i = 0
        while i < len(chain):
            p, k = best_run(i)
            if k and p > 1 and i + 1 < len(chain):
                # prefer blocks that start at a layer with parameters: Linear → ReLU, not
                # ReLU → Linear
                p2, k2 = best_run(i + 1)
                has = g.nodes[chain[i]].n_params > 0
                if p2 * k2 >= p * k and not has and g.nodes[chain[i + 1]].n_params > 0:
                    k = 0
            if k:
                runs.append((chain[i : i + p * k], p))
                i += p * k
            else:
                i += 1
    if not runs:
        return g
    in_run = {i: r for r, (run, _) in enumerate(runs) for i in run}
    groups: list[list[int]] = []
    make: list[Node] = []
    done: set[int] = set()
    for i in range(n):
        if i in in_run:
            r = in_run[i]
            if r in done:
                continue
            done.add(r)
            run, period = runs[r]
            groups.append(run)
            make.append(_repeat_node(g, run, period))
        else:
            groups.append([i])
            make.append(g.nodes[i])
    return _rebuild(g, groups, make, g.depth)


def inline_consts(g: Graph) -> Graph:
    """Drop 0-d constant leaves (Python numbers lifted to tensors); each consumer lists them in
    ``Node.consts`` as ``(slot, value)``, and labels read e.g. ``Mul(·, 2)``."""
    consts = {nd.index for nd in g.nodes if nd.kind == "const" and nd.const is not None}
    if not consts:
        return g
    extra: dict[int, list[tuple[int, str]]] = {}
    for e in g.edges:
        if e.src in consts:
            extra.setdefault(e.dst, []).append((e.slot, g.nodes[e.src].const or "?"))
    kept = [nd.index for nd in g.nodes if nd.index not in consts or nd.index in g.roots]
    groups = [[i] for i in kept]
    make = [
        _with(g.nodes[i], consts=g.nodes[i].consts + tuple(sorted(extra.get(i, [])))) for i in kept
    ]
    return _rebuild(g, groups, make, g.depth)


def as_graph(
    x: Any,
    *,
    depth: int | None = None,
    collapse: bool | None = None,
    consts: bool = False,
    grads: bool | str | None = None,
    values: bool = False,
    vanish: float = 1e-6,
    explode: float = 1e3,
    model: Any = None,
) -> Graph:
    """The graph a renderer draws: ``x`` traced (a Tensor or list of Tensors) or taken as is
    (a Graph), constants inlined unless ``consts``, then folded to ``depth``."""
    if isinstance(x, Graph):
        g = x
        if depth is not None and g.depth is not None and depth != g.depth:
            raise ValueError(
                f"viz: this graph is already folded to depth {g.depth}; to see depth {depth}, "
                "fold the traced graph (viz.trace(x).fold(depth)) or pass the tensor"
            )
    else:
        g = trace(x, grads=grads, values=values, vanish=vanish, explode=explode, model=model)
    if not consts:
        g = inline_consts(g)
    if depth is not None and g.depth is None:
        g = fold(g, depth, collapse=collapse)
    elif collapse:
        g = collapse_repeats(g)
    return g
