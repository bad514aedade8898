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
from typing import Any

import numpy as np

import tinygrad_cnn as tg
from tinygrad_cnn.backend import get_array_module

from .colors import GradScale
from .graph import FLAGS, Call, Edge, Graph, ModuleInfo, Node, Stats, tensor_stats

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


def _leaf_kind(t: tg.Tensor, buffers: set[int], made: dict[int, str]) -> str:
    if t.requires_grad:
        return "param"
    if id(t) in buffers:
        return "buffer"
    if t.name is not None:
        return "param"  # a frozen parameter
    if t.ndim == 0 or id(t) in made:
        return "const"
    return "input"


_NORMS = ("BatchNorm", "batch_norm", "LayerNorm", "layer_norm", "GroupNorm", "InstanceNorm")
_MODED = ("BatchNorm", "batch_norm", "Dropout", "dropout")
_RELU_OPS = frozenset({"relu"})
# a parameter's gradient is vanishing when ‖grad‖/‖param‖ is this much smaller than the
# median ratio over the network's parameters
RELATIVE_VANISH = 1e-3


def _is_function(m: Any) -> bool:
    return isinstance(m, tg.autograd.FunctionScope)


def _scope_type(m: Any) -> str:
    return m.name if _is_function(m) else type(m).__name__


def _mode_of(m: Any) -> str | None:
    kind = _scope_type(m)
    if not kind.startswith(_MODED):
        return None
    training = m.params.get("training") if _is_function(m) else getattr(m, "training", None)
    return None if training is None else ("train" if training else "eval")


def _clean_scopes(order: list[tg.Tensor]) -> dict[int, tuple[Any, ...]]:
    """Each op's scope, without a function call that is all its module does (``Conv2d`` →
    ``conv2d``, ``Linear`` → ``linear``): the module box already says it."""
    scopes = {id(t): tuple(t.op.scope) for t in order if t.op is not None}
    inner: dict[tuple[int, ...], set[int]] = {}
    for sc in scopes.values():
        for level in range(len(sc)):
            key = tuple(id(m) for m in sc[: level + 1])
            nxt = id(sc[level + 1]) if level + 1 < len(sc) else 0
            inner.setdefault(key, set()).add(nxt)
    out = {}
    for k, sc in scopes.items():
        keep = [sc[0]] if sc else []
        for level in range(1, len(sc)):
            m = sc[level]
            parent = sc[level - 1]
            key = tuple(id(x) for x in sc[:level])
            if _is_function(m) and not _is_function(parent) and inner[key] == {id(m)}:
                continue
            keep.append(m)
        out[k] = tuple(keep)
    return out


def _recorded(s: Any, t: tg.Tensor) -> bool:
    """Is ``t`` one of the tensor arguments of function call ``s`` (a freed stand-in: one of
    the same shape and dtype)?"""
    for ref, meta in zip(s.input_refs, s.inputs, strict=True):
        if ref() is t:
            return True
        if t.is_freed and meta[1] == tuple(t.shape) and meta[2] == str(t.dtype):
            return True
    return False


def _made_and_missing(order: list[tg.Tensor]):
    """Constants made inside function calls (leaves that are no argument of the call whose
    ops read them), and data arguments of those calls that no recorded op reads (an image
    that only went through a non-differentiable unfold), with the constants they fed."""
    verdict: dict[int, str | None] = {}  # leaf -> function that made it, None: data
    leaf_of: dict[int, tg.Tensor] = {}
    calls: dict[int, Any] = {}
    consts_in: dict[int, list[tg.Tensor]] = {}
    for t in order:
        if t.op is None:
            continue
        fns = [m for m in t.op.scope if _is_function(m)]  # also those folded into a module
        for m in fns:
            calls.setdefault(id(m), m)
        for p in t.parents:
            if p.op is not None or p.requires_grad or p.name is not None or p.ndim == 0:
                continue
            leaf_of[id(p)] = p
            if fns and not any(_recorded(m, p) for m in fns):
                made = fns[-1].name
                if verdict.get(id(p), made) is not None:
                    verdict[id(p)] = made
                    consts_in.setdefault(id(fns[-1]), []).append(p)
            else:
                verdict[id(p)] = None
    made = {k: v for k, v in verdict.items() if v is not None}
    in_graph = {id(t) for t in order}
    missing: list[tuple[tg.Tensor, str, list[tg.Tensor]]] = []
    seen: set[int] = set()
    for key, m in calls.items():
        fed = [c for c in consts_in.get(key, []) if id(c) in made]
        if not fed:
            continue
        for ref, meta in zip(m.input_refs, m.inputs, strict=True):
            x = ref()
            if x is None:  # the user let go of it: a data-less stand-in with its shape
                x = tg.Tensor(np.broadcast_to(np.zeros((), meta[2]), meta[1]))
            elif id(x) in in_graph or id(x) in seen:
                continue
            if any(
                leaf_of[k].is_freed and tuple(leaf_of[k].shape) == meta[1]
                for k, v in verdict.items()
                if v is None
            ):
                continue  # integer targets feed one-hot constants; a freed stand-in is it
            seen.add(id(x))
            missing.append((x, meta[0], fed))
    return made, missing


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


def _scopes(order: list[tg.Tensor], nodes: list[Node], edges: list[Edge], scopes: dict[int, tuple]):
    """Module uids per op, and call instances (union-find over edges inside each scope)."""
    modules: dict[str, ModuleInfo] = {}
    uid_of: dict[int, str] = {}
    names_of_root: dict[int, dict[int, str]] = {}
    for t, nd in zip(order, nodes, strict=True):
        if t.op is None:
            continue
        scope = scopes[id(t)]
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
                if depth == 0 or _is_function(m):
                    qual = ""
                elif id(m) in names:
                    qual = names[id(m)]
                else:  # a module that is not registered in its parent: name it by class
                    qual = f"{parent_name}.{type(m).__name__.lower()}".lstrip(".")
                kind = "function" if _is_function(m) else "module"
                modules[uid] = ModuleInfo(uid, qual, _scope_type(m), kind, _mode_of(m))
            uids.append(uid_of[id(m)])
            parent_name = modules[uid_of[id(m)]].name or parent_name
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
        if nd.kind not in ("param", "buffer", "const") or nd.index not in consumers:
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


def _flags(nd: Node, backward_ran: bool, scale: GradScale) -> list[str]:
    """The flags one node earns on its own (NaN birth, ratios and notes come after)."""
    flags: list[str] = []
    if nd.grad is not None and nd.grad.finite:
        if nd.grad.norm > scale.explode:
            flags.append("exploding")
        elif nd.grad.norm == 0 and nd.kind == "param":
            flags.append("zero-grad")
    # after a backward that reached other leaves, a parameter left without .grad got none
    if nd.kind == "param" and nd.requires_grad and nd.grad is None and backward_ran:
        flags.append("no-grad")
    if nd.op is not None and nd.op.lower() in _RELU_OPS and math.prod(nd.shape) > 0:
        dead_out = nd.value is not None and nd.value.zero_frac == 1.0
        dead_grad = nd.grad is not None and nd.grad.norm == 0
        if dead_out or dead_grad:
            flags.append("dead-relu")
    return flags


def _bad(st: Stats | None) -> bool:
    return st is not None and not st.finite


def _nan_flags(g: Graph) -> dict[int, str]:
    """``"nan"`` where a NaN/Inf is born (an op whose inputs were finite and output was not;
    in backward: a gradient that is not finite while the gradients it came from were),
    ``"nan-reached"`` on every node a NaN/Inf reached from there."""
    out: dict[int, str] = {}
    for nd in g.nodes:
        i = nd.index
        if _bad(nd.value):
            born = not any(_bad(g.nodes[p].value) for p in g.parents(i))
            out[i] = "nan" if born else "nan-reached"
    for nd in reversed(g.nodes):
        i = nd.index
        if i in out or not _bad(nd.grad):
            continue
        born = not any(_bad(g.nodes[c].grad) for c in g.consumers(i))
        out[i] = "nan" if born else "nan-reached"
    return out


def _norm_after(g: Graph, nd: Node) -> str | None:
    """The normalisation (in training mode) that the output of ``nd``'s layer goes straight
    into, e.g. ``"BatchNorm2d"``: a bias added before it has no effect on the result."""
    if not nd.calls:
        return None
    call = g.calls[nd.calls[-1]]
    inside = set(call.nodes)
    level = len(nd.calls)
    for i in call.nodes:
        for c in g.consumers(i):
            if c in inside:
                continue
            cn = g.nodes[c]
            for uid in cn.scope[level - 1 :] if len(cn.scope) >= level else ():
                info = g.modules[uid]
                if info.type.startswith(_NORMS) and info.mode != "eval":
                    return info.type
            return None
    return None


def _relative_flags(g: Graph, norms: dict[int, float]) -> None:
    """Vanishing gradients judged by ‖grad‖/‖param‖ against the network's median ratio; a
    bias in front of a normalisation gets a note instead of a flag."""
    ratios: dict[int, float] = {}
    for i, pn in norms.items():
        nd = g.nodes[i]
        if nd.grad is None or not nd.grad.finite or pn == 0:
            continue
        norm = _norm_after(g, nd) if nd.name and nd.name.endswith("bias") else None
        if norm is not None:
            nd.notes = (*nd.notes, f"redundant before {norm}")
            nd.flags = tuple(f for f in nd.flags if f != "zero-grad")
            continue
        ratios[i] = nd.grad.norm / pn
    positive = sorted(r for r in ratios.values() if r > 0)
    if not positive:
        return
    median = positive[len(positive) // 2]
    for i, r in ratios.items():
        if 0 < r < RELATIVE_VANISH * median:
            g.nodes[i].flags = (*g.nodes[i].flags, "vanishing")


def _order_flags(g: Graph) -> None:
    for nd in g.nodes:
        nd.flags = tuple(f for f in FLAGS if f in nd.flags)


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
    scopes = _clean_scopes(order)
    made, missing = _made_and_missing(order)
    extra: dict[int, list[tg.Tensor]] = {}  # constant -> data it was made from
    data_names: dict[int, str] = {}
    for x, arg, fed in missing:
        pos = {id(t): k for k, t in enumerate(order)}
        order.insert(min(pos[id(c)] for c in fed), x)
        data_names[id(x)] = arg
        for c in fed:
            extra.setdefault(id(c), []).append(x)
    buffers = _buffer_ids(scopes.values())
    index = {id(t): i for i, t in enumerate(order)}
    nodes: list[Node] = []
    edges: list[Edge] = []
    for i, t in enumerate(order):
        if t.op is None:
            kind = _leaf_kind(t, buffers, made)
            nd = Node(
                id=f"n{i}",
                index=i,
                kind=kind,
                op=None,
                name=t.name if t.name is not None else data_names.get(id(t)),
                shape=tuple(t.shape),
                dtype=str(t.dtype),
                requires_grad=bool(t.requires_grad),
                const=_const_text(t) if kind == "const" and t.ndim == 0 else None,
                made_by=made.get(id(t)) if kind == "const" else None,
            )
            for slot, x in enumerate(extra.get(id(t), ())):
                edges.append(Edge(index[id(x)], i, slot))
        else:
            fn = t.op
            sc = scopes[id(t)]
            modes = [_mode_of(m) for m in sc]
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
                saved_nbytes=0,
                n_inputs=len(t.parents),
                origin=fn.origin.short if fn.origin is not None else None,
                mode=next((m for m in reversed(modes) if m), None),
            )
            for slot, p in enumerate(t.parents):
                edges.append(Edge(index[id(p)], i, slot))
        nodes.append(nd)
    _saved_once(order, nodes)
    modules, calls = _scopes(order, nodes, edges, scopes)

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

    param_norms: dict[int, float] = {}
    for t, nd in zip(order, nodes, strict=True):
        is_relu = nd.op is not None and nd.op.lower() in _RELU_OPS
        if t.is_freed:  # backward freed its values; the shape is all that is left
            pass
        elif values or is_relu or not _all_finite(t._data):  # NaN/Inf are always reported
            nd.value = tensor_stats(t._data, dead_units=is_relu)
        if nd.kind == "param" and nd.requires_grad and not t.is_freed:
            param_norms[nd.index] = tensor_stats(t._data, full=False).norm
        if grad_mode != "none":
            if t.op is None and any_leaf_grad:
                g = t.grad  # what backward left there (what the optimizer will use)
            else:
                g = (inter or {}).get(id(t))
            if g is not None:
                nd.grad = tensor_stats(g._data if isinstance(g, tg.Tensor) else g, full=values)
        nd.flags = tuple(_flags(nd, any_leaf_grad, scale))
    unused = _unused_params(model, index) if model is not None else []
    if unused:
        notes.append(
            f"{len(unused)} trainable parameter{'s' if len(unused) > 1 else ''} of the model "
            "are not in this graph and get no gradient from it"
        )
    graph = Graph(
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
    for i, flag in _nan_flags(graph).items():
        graph.nodes[i].flags = (*graph.nodes[i].flags, flag)
    _relative_flags(graph, param_norms)
    _order_flags(graph)
    return graph


def _buffer_ids(scopes: Iterable[tuple[Any, ...]]) -> set[int]:
    """Ids of the buffers (running statistics) of every module the ops ran in."""
    out: set[int] = set()
    seen: set[int] = set()
    for sc in scopes:
        for m in sc[:1]:  # the outermost module holds every buffer below it
            if id(m) in seen or _is_function(m):
                continue
            seen.add(id(m))
            for b in m.buffers() if hasattr(m, "buffers") else ():
                out.add(id(b))
    return out


def _base(a: Any) -> Any:
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _saved_once(order: list[tg.Tensor], nodes: list[Node]) -> None:
    """``Node.saved_nbytes``: the bytes each op keeps for backward, each underlying buffer
    counted once (for the first op that keeps it), and nothing for views of parameters (the
    parameter lives on anyway). Reads ``Function.saved``/``inputs``/``saved_nbytes``."""
    params = {id(_base(t._data)) for t in order if t.op is None and t.requires_grad}
    counted: set[int] = set()
    for t, nd in zip(order, nodes, strict=True):
        fn = t.op
        if fn is None or fn.saved_nbytes == 0:
            continue
        held = list(fn.saved)
        if fn.uses_inputs:
            held += list(fn.inputs)
        if fn.uses_output:
            held.append(t)
        total = 0
        for v in held:
            a = getattr(v, "_data", v)
            if not hasattr(a, "nbytes"):
                continue
            b = _base(a)
            if id(b) in params or id(b) in counted:
                continue
            counted.add(id(b))
            total += int(b.nbytes)
        nd.saved_nbytes = min(total, int(fn.saved_nbytes)) if total else 0
