"""DOT text for a graph, written by our own code (no graphviz program or package needed).

Module calls become nested ``cluster_*`` subgraphs; with gradients, nodes and edges are
coloured by gradient norm on a log scale and flagged nodes get a red or amber border.
"""

from __future__ import annotations

from typing import Any

from ._format import fmt_bytes, fmt_float
from .colors import mix, text_color_for
from .graph import FLAGS, SEVERE, Graph, Node
from .labels import (
    flag_texts,
    grad_stats_lines,
    grad_text,
    node_detail,
    node_title,
    note_texts,
    saved_text,
    shape_text,
    value_lines,
)
from .options import ViewOptions

__all__ = ["dot_escape", "to_dot"]

_FILL = {
    "op": "#eef2f7",
    "param": "#fff2cc",
    "input": "#e6f4ea",
    "buffer": "#f3e8fd",
    "const": "#f5f5f5",
    "module": "#dde8f8",
    "repeat": "#dde8f8",
}
_SHAPE = {
    "op": ("box", "rounded,filled"),
    "param": ("box", "filled"),
    "input": ("box", "filled,dashed"),
    "buffer": ("box", "filled,dotted"),
    "const": ("plaintext", "filled"),
    "module": ("box", "rounded,filled,bold"),
    "repeat": ("box3d", "filled"),
}


def dot_escape(text: str) -> str:
    """Escape text for a double-quoted DOT string (backslashes, quotes, newlines)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def _q(text: str) -> str:
    return f'"{dot_escape(text)}"'


def _label(nd: Node, grads: bool, values: bool, saved: bool) -> str:
    lines = [node_title(nd)]
    detail = node_detail(nd)
    if detail:
        lines.append(detail)
    lines.append(shape_text(nd))
    if grads:
        g = grad_text(nd)
        if g:
            lines.append(g)
        if values:  # full gradient statistics only when asked for values too
            lines += grad_stats_lines(nd, 44)
    if values:
        lines += value_lines(nd, 44)
    if saved and nd.saved_nbytes:
        lines.append(saved_text(nd))
    if nd.origin:
        lines.append(f"at {nd.origin}")
    for f in flag_texts(nd):
        lines.append(f"⚠ {f}")
    lines += [f"· {n}" for n in note_texts(nd)]
    return "\\n".join(dot_escape(line) for line in lines)


def _node_line(g: Graph, nd: Node, grads: bool, values: bool, saved: bool) -> str:
    shape, style = _SHAPE.get(nd.kind, ("box", "filled"))
    fill = _FILL.get(nd.kind, "#ffffff")
    attrs = [f"label={chr(34)}{_label(nd, grads, values, saved)}{chr(34)}"]
    if grads and nd.grad is not None:
        color = g.scale.color(nd.grad.norm)
        if color is not None:
            fill = mix(color, "#ffffff", 0.35)
    attrs += [f"shape={shape}", _kv("style", style), _kv("fillcolor", fill)]
    if nd.kind == "const":
        attrs.append("fontsize=8")  # constants an op made are drawn small
    font = text_color_for(fill)
    if font != "#000000":
        attrs.append(_kv("fontcolor", font))
    if nd.flags:
        severe = any(f in SEVERE for f in nd.flags)
        attrs += [_kv("color", "#d62728" if severe else "#e08a00"), "penwidth=2.5"]
    if nd.index in g.roots:
        attrs.append("peripheries=2")
    attrs.append(_kv("tooltip", nd.id))
    return f"{nd.id} [{', '.join(attrs)}];"


def _kv(key: str, value: str) -> str:
    return f"{key}={_q(value)}"


def _legend(g: Graph, grads: bool) -> list[str]:
    lines = list(g.notes)
    if grads and g.grads != "none":
        s = g.scale
        lines.append(
            f"colour = gradient norm, log scale: blue < {fmt_float(s.vanish)} (vanishing) … "
            f"red > {fmt_float(s.explode)} (exploding)"
        )
        if g.grads == "leaves":
            lines.append("gradients of leaves only (intermediate ones were not computed)")
    flagged = g.flagged()
    if flagged:
        counts = ", ".join(f"{FLAGS[f]}: {len(v)}" for f, v in flagged.items())
        lines.append(f"flags: {counts}")
    if g.unused:
        lines.append(f"no grad (not in the graph): {', '.join(g.unused)}")
    total = g.saved_nbytes
    if total:
        lines.append(f"saved for backward: {fmt_bytes(total)}")
    return lines


def to_dot(x: Any, options: ViewOptions | None = None, **kwargs: Any) -> str:
    """DOT text of the graph behind ``x`` (a Tensor, a list of Tensors, or a traced Graph).

    ``options``: a :class:`viz.ViewOptions`; its fields can also be given as keyword
    arguments (``depth=1``, ``show_grads=True``, ``clusters=False``, ``rankdir="LR"``, ...),
    which override it. See :class:`viz.ViewOptions` for each.
    """
    o = ViewOptions.make(options, "viz.to_dot", **kwargs)
    g = o.graph_of(x)
    show_grads, show_values, show_saved = o.show_grads, o.show_values, o.show_saved
    clusters, rankdir, title = o.clusters, o.rankdir, o.title
    grads = g.grads != "none" if show_grads is None else bool(show_grads)
    out = [
        "digraph G {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=11, '
        "nodesep=0.25, ranksep=0.35, newrank=true];",
        '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.04", height=0.3];',
        '  edge [arrowsize=0.6, color="#555555"];',
    ]
    legend = _legend(g, grads)
    heading = [title] if title else []
    if heading or legend:
        text = "\\l".join(dot_escape(t) for t in heading + legend) + "\\l"
        out.append(f'  label="{text}"; labelloc=b; labeljust=l;')

    # clusters: a tree of call ids; nodes go into their innermost call
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    members: dict[tuple[str, ...], list[Node]] = {(): []}
    for nd in g.nodes:
        path = nd.calls if clusters else ()
        for k in range(1, len(path) + 1):
            sub = path[:k]
            if sub not in members:
                members[sub] = []
                children[sub] = []
                children[sub[:-1]].append(sub)
        members[path].append(nd)

    # iterative walk so deep module nesting cannot hit the recursion limit
    stack: list[tuple[tuple[str, ...], bool]] = [((), False)]
    while stack:
        path, closing = stack.pop()
        pad = "  " * (len(path) + 1)
        if closing:
            out.append("  " * len(path) + "}")
            continue
        if path:
            cid = path[-1]
            out.append("  " * len(path) + f"subgraph cluster_{cid} {{")
            out.append(
                f'{pad}label={_q(g.call_label(cid))}; style="rounded,dashed"; '
                'color="#8899aa"; fontsize=10; labeljust=l;'
            )
            stack.append((path, True))
        for nd in members[path]:
            out.append(pad + _node_line(g, nd, grads, show_values, show_saved))
        for sub in reversed(children[path]):
            stack.append((sub, False))

    for e in g.edges:
        src = g.nodes[e.src]
        attrs = []
        if grads and src.grad is not None:
            color = g.scale.color(src.grad.norm)
            if color is not None:
                attrs += [_kv("color", color), "penwidth=1.6"]
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {src.id} -> {g.nodes[e.dst].id}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"
