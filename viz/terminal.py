"""The graph in the terminal, drawn with rich.

Two layouts:

* ``"lanes"``: one node per row in topological order (inputs first), like ``git log
  --graph``. A value that later rows still need keeps a vertical lane; the row of the op
  that reads it joins the lane (``╰─●``, ``├─●`` when the lane goes on to other readers;
  ``─│─`` is a lane crossing a join, not a connection). When more lanes would be needed
  than fit, a value gets no lane and its readers name it instead (``← n12``); inputs made
  far above are named too. Works for any size: 10,000 nodes are 10,000 rows.
* ``"boxes"``: one box per node, for small graphs (default when at most 12 boxes):
  leaves used once are listed inside the box that reads them.

Text carries everything (flags are words), so the view reads the same without colour
(``NO_COLOR``, output to a file); with colour, gradient norms tint nodes on a log scale.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from ._format import fmt_bytes, fmt_float
from .colors import GradScale
from .graph import FLAGS, SEVERE, Graph, Node
from .labels import (
    grad_stats_lines,
    grad_text,
    node_detail,
    node_title,
    saved_text,
    shape_text,
    value_lines,
)
from .options import ViewOptions

__all__ = ["graph_renderable", "show"]

MARKERS = {
    "op": "●",
    "param": "◆",
    "input": "○",
    "const": "·",
    "module": "■",
    "repeat": "▣",
}
_REF_DISTANCE = 24  # rows; inputs made further above are also named in the row
_BOX_LIMIT = 12


def _has_color(console: Console) -> bool:
    return console.color_system is not None and not console.no_color


def _node_style(g: Graph, nd: Node, grads: bool) -> str:
    if grads and nd.grad is not None:
        color = g.scale.color(nd.grad.norm)
        if color is not None:
            return f"bold {color}"
    return "bold"


def _flag_style(flag: str) -> str:
    return "bold red" if flag in SEVERE else "bold yellow"


def _flag_badge(flag: str) -> str:
    return ("✗ " if flag in SEVERE else "! ") + FLAGS[flag]


# ---------------------------------------------------------------------------- lanes


def _lane_cells(g: Graph, max_lanes: int) -> tuple[list[str], list[str], list[list[int]], int]:
    """Per node: the graph cells of its row, of its continuation rows, and the parents it
    must name in text (no lane, or made far above). Also the widest row in cells."""
    n = len(g.nodes)
    last_use = [-1] * n
    for e in g.edges:
        if e.dst > last_use[e.src]:
            last_use[e.src] = e.dst
    lanes: list[int | None] = []
    lane_of: dict[int, int] = {}
    rows: list[str] = []
    conts: list[str] = []
    refs: list[list[int]] = []
    widest = 0
    for v in range(n):
        nd = g.nodes[v]
        in_lanes: dict[int, int] = {}
        named: list[int] = []
        for p in g.parents(v):
            if p in lane_of:
                in_lanes[lane_of[p]] = p
                if v - p > _REF_DISTANCE:
                    named.append(p)
            else:
                named.append(p)
        ending = sorted(lane for lane, p in in_lanes.items() if last_use[p] == v)
        continuing = {lane for lane, p in in_lanes.items() if last_use[p] != v}
        ending_set = set(ending)
        if ending:
            c = ending[0]
        else:
            free = [j for j, occ in enumerate(lanes) if occ is None]
            c = free[0] if free else len(lanes)
        span = list(in_lanes) + [c]
        lo, hi = min(span), max(span)
        cells = []
        for j in range(max(len(lanes), c + 1)):
            occupant = lanes[j] if j < len(lanes) else None
            if j == c:
                ch = MARKERS.get(nd.kind, "●")
            elif j in ending_set:
                ch = "╰" if j < c else "╯"
            elif j in continuing:
                ch = "├" if j < c else "┤"
            elif occupant is not None:
                ch = "│"
            elif lo < j < hi:
                ch = "─"
            else:
                ch = " "
            cells.append(ch + ("─" if lo <= j < hi else " "))
        row = "".join(cells).rstrip()
        # update the lanes: readers done with a value free its lane; this node takes one
        for lane in ending:
            del lane_of[lanes[lane]]  # type: ignore[arg-type]
            lanes[lane] = None
        if last_use[v] > v:
            if c < len(lanes):
                lanes[c] = v
                lane_of[v] = c
            elif len(lanes) < max_lanes:
                lanes.append(v)
                lane_of[v] = c
            # else: no room; readers name it (``← n12``)
        while lanes and lanes[-1] is None:
            lanes.pop()
        cont = "".join("│ " if occ is not None else "  " for occ in lanes).rstrip()
        rows.append(row)
        conts.append(cont)
        refs.append(named)
        widest = max(widest, cell_len(row), cell_len(cont))
    return rows, conts, refs, widest


Piece = tuple[str, str]  # (text, style)


def _fit(segments: list[tuple[str, str, int]], budget: int) -> list[Piece]:
    """Join (text, style, priority) segments with spaces, dropping the lowest priorities
    until the line fits ``budget`` cells; priority 9 is never dropped (cut with ``…``)."""
    segs = [s for s in segments if s[0]]
    lengths = [cell_len(t) for t, _, _ in segs]
    total = sum(lengths) + max(0, len(segs) - 1)
    while total > budget:
        droppable = [(p, -k) for k, (_, _, p) in enumerate(segs) if p < 9]
        if not droppable:
            break
        _, neg_k = min(droppable)
        total -= lengths[-neg_k] + 1
        del segs[-neg_k], lengths[-neg_k]
    pieces: list[Piece] = []
    used = 0
    for k, (t, style, _) in enumerate(segs):
        if k:
            t = " " + t
        n = cell_len(t)
        if used + n > budget:  # cut the last piece that fits, mark it
            room = budget - used
            if room > 0:
                pieces.append((set_cell_size(t, room - 1) + "…", style))
            break
        pieces.append((t, style))
        used += n
    return pieces


class _Rows:
    """Pre-laid-out lines of (text, style) pieces; rendering skips rich's text wrapping,
    which keeps 10,000-row graphs fast."""

    def __init__(self, rows: list[list[Piece]]) -> None:
        self.rows = rows

    def __rich_console__(self, console: Console, options: Any) -> Any:
        styles: dict[str, Style] = {}
        for row in self.rows:
            for text, style in row:
                st = styles.get(style)
                if st is None:
                    st = styles[style] = Style.parse(style) if style else Style()
                yield Segment(text, st)
            yield Segment.line()


def _row_segments(
    g: Graph, nd: Node, named: list[int], grads: bool, saved: bool, id_width: int
) -> list[tuple[str, str, int]]:
    segs: list[tuple[str, str, int]] = [(nd.id.rjust(id_width), "dim", 9)]
    segs.append((node_title(nd), _node_style(g, nd, grads), 9))
    for f in nd.flags:
        segs.append((_flag_badge(f), _flag_style(f), 8))
    for note in nd.notes:
        segs.append(("· " + note, "dim", 5))
    if named:
        segs.append(("← " + ",".join(g.nodes[p].id for p in named), "cyan", 7))
    segs.append((shape_text(nd, dtype=False), "", 6))
    segs.append((nd.dtype.replace("float", "f").replace("int", "i"), "dim", 2))
    if grads:
        segs.append((grad_text(nd), _node_style(g, nd, grads).replace("bold ", ""), 5))
    if saved and nd.saved_nbytes:
        segs.append((saved_text(nd), "magenta", 4))
    if nd.origin:  # the line that made the op (anomaly mode)
        segs.append(("at " + nd.origin, "dim", 3))
    detail = node_detail(nd, 28)
    if detail:
        segs.append((detail, "dim", 1))
    if nd.kind == "op" and nd.calls and g.depth is None:
        info = g.modules[g.calls[nd.calls[-1]].module]
        segs.append(("@" + info.label, "dim italic", 3))
    return segs


def _lanes_view(g: Graph, width: int, grads: bool, values: bool, saved: bool) -> _Rows:
    max_lanes = max(2, min(12, (width - 36) // 2))
    rows, conts, refs, widest = _lane_cells(g, max_lanes)
    col = widest + 1
    id_width = max((len(nd.id) for nd in g.nodes), default=2)
    budget = max(8, width - col)
    lines: list[list[Piece]] = []
    for v, nd in enumerate(g.nodes):
        segs = _row_segments(g, nd, refs[v], grads, saved, id_width)
        lines.append([(rows[v].ljust(col), "")] + _fit(segs, budget))
        room = max(8, budget - id_width - 1)
        extra = value_lines(nd, room) if values else []
        if grads and values:
            extra += grad_stats_lines(nd, room)
        for e in extra:
            lead = conts[v].ljust(col) + " " * (id_width + 1)
            lines.append([(lead, "")] + _fit([(e, "dim", 9)], room))
    return _Rows(lines)


# ---------------------------------------------------------------------------- boxes


def _box_plan(g: Graph) -> tuple[list[int], dict[int, list[int]]]:
    """Nodes that get a box, and the leaves listed inside each box (leaves read once)."""
    inside: dict[int, list[int]] = {}
    boxed: list[int] = []
    for nd in g.nodes:
        cons = g.consumers(nd.index)
        if nd.is_leaf and len(cons) == 1 and nd.index not in g.roots:
            inside.setdefault(cons[0], []).append(nd.index)
        else:
            boxed.append(nd.index)
    return boxed, inside


def _leaf_line(g: Graph, nd: Node, grads: bool) -> Text:
    t = Text("+ ", style="dim")
    t.append(node_title(nd), style=_node_style(g, nd, grads))
    t.append(" " + shape_text(nd, short_dtype=True))
    if grads and nd.grad is not None:
        t.append(" " + grad_text(nd), style=_node_style(g, nd, grads).replace("bold ", ""))
    for f in nd.flags:
        t.append(" " + _flag_badge(f), style=_flag_style(f))
    for note in nd.notes:
        t.append(" · " + note, style="dim")
    return t


def _boxes_view(g: Graph, width: int, grads: bool, values: bool, saved: bool) -> list[Any]:
    boxed, inside = _box_plan(g)
    box_width = min(width, 64)
    parts: list[Any] = []
    prev: int | None = None
    for v in boxed:
        nd = g.nodes[v]
        body: list[Text] = []
        detail = node_detail(nd)
        head = Text(node_title(nd), style=_node_style(g, nd, grads))
        for f in nd.flags:
            head.append(" " + _flag_badge(f), style=_flag_style(f))
        for note in nd.notes:
            head.append(" · " + note, style="dim")
        body.append(head)
        info = Text(shape_text(nd, short_dtype=True))
        if detail:
            info.append("  " + detail, style="dim")
        if nd.origin:  # the line that made the op (anomaly mode)
            info.append("  at " + nd.origin, style="dim")
        body.append(info)
        others = [p for p in g.parents(v) if p != prev and p not in inside.get(v, [])]
        if others:
            body.append(Text("← " + ", ".join(g.nodes[p].id for p in others), style="cyan"))
        for leaf in inside.get(v, []):
            body.append(_leaf_line(g, g.nodes[leaf], grads))
        stats = []
        if grads and grad_text(nd):
            stats.append((grad_text(nd), _node_style(g, nd, grads).replace("bold ", "")))
        if saved and nd.saved_nbytes:
            stats.append((saved_text(nd), "magenta"))
        if stats:
            line = Text()
            for k, (t, style) in enumerate(stats):
                line.append(("  " if k else "") + t, style=style)
            body.append(line)
        room = box_width - 4
        stat_lines = value_lines(nd, room) if values else []
        if grads and values:
            stat_lines += grad_stats_lines(nd, room)
        body += [Text(line, style="dim") for line in stat_lines]
        for t in body:
            t.no_wrap = True
            t.overflow = "ellipsis"
        border = "dim"
        if nd.flags:
            border = "red" if any(f in SEVERE for f in nd.flags) else "yellow"
        elif grads and nd.grad is not None:
            border = g.scale.color(nd.grad.norm) or "dim"
        if prev is not None:
            arrow = "│" if v in g.consumers(prev) else "┊"
            parts.append(Text(" " * 4 + arrow, style="dim"))
        parts.append(
            Panel(
                Group(*body),
                title=nd.id,
                title_align="left",
                box=box.ROUNDED,
                width=box_width,
                border_style=border,
                padding=(0, 1),
            )
        )
        prev = v
    return parts


# ---------------------------------------------------------------------------- frame


def _header(g: Graph) -> Text:
    kinds: dict[str, int] = {}
    for nd in g.nodes:
        kinds[nd.kind] = kinds.get(nd.kind, 0) + 1
    parts = [f"{v} {k}{'' if v == 1 else 's'}" for k, v in kinds.items()]
    n = len(g.nodes)
    text = Text(f"graph: {n} node{'' if n == 1 else 's'}", style="bold")
    text.append(" (" + ", ".join(parts) + ")")
    if g.depth is not None and ("module" in kinds or "repeat" in kinds):
        text.append(f", modules folded to depth {g.depth}")
    return text


def _scale_bar(scale: GradScale, color: bool) -> Text:
    t = Text("‖grad‖ ")
    if not color:
        t.append(
            f"log scale: vanishing < {fmt_float(scale.vanish)} < healthy < "
            f"{fmt_float(scale.explode)} < exploding"
        )
        return t
    t.append(fmt_float(scale.vanish) + " ")
    for k in range(24):
        t.append("█", style=scale.color(scale.norm_at((k + 0.5) / 24)) or "")
    t.append(" " + fmt_float(scale.explode))
    return t


def _footer(g: Graph, grads: bool, saved: bool, color: bool) -> list[Text]:
    lines: list[Text] = []
    if grads and g.grads != "none":
        lines.append(_scale_bar(g.scale, color))
        if g.grads == "leaves":
            lines.append(Text("gradients of leaves only", style="dim"))
    flagged = g.flagged()
    for f, idx in flagged.items():
        ids = ", ".join(g.nodes[i].id for i in idx[:8]) + (" …" if len(idx) > 8 else "")
        t = Text(_flag_badge(f), style=_flag_style(f), no_wrap=True, overflow="ellipsis")
        t.append(f" ×{len(idx)}: {ids}")
        lines.append(t)
    if g.unused:
        t = Text(_flag_badge("no-grad"), style=_flag_style("no-grad"), no_wrap=True)
        t.overflow = "ellipsis"
        t.append(f" ×{len(g.unused)} (not in the graph): {', '.join(g.unused)}")
        lines.append(t)
    if saved or g.saved_nbytes:
        lines.append(Text(f"saved for backward: {fmt_bytes(g.saved_nbytes)}", style="dim"))
    for note in g.notes:
        lines.append(Text("note: " + note, style="dim italic"))
    return lines


def graph_renderable(
    g: Graph,
    *,
    width: int = 80,
    show_grads: bool | None = None,
    show_values: bool = False,
    show_saved: bool = False,
    layout: str = "auto",
    color: bool = True,
    title: str | None = None,
) -> RenderableType:
    """A rich renderable of an (already traced and folded) graph, ``width`` cells wide."""
    grads = g.grads != "none" if show_grads is None else bool(show_grads)
    if layout == "auto":
        boxed, _ = _box_plan(g)
        layout = "boxes" if len(boxed) <= _BOX_LIMIT and width >= 30 else "lanes"
    if layout not in ("lanes", "boxes"):
        raise ValueError(f"viz.show: layout must be 'auto', 'lanes' or 'boxes', got {layout!r}")
    parts: list[Any] = []
    if title:
        parts.append(Text(title, style="bold underline"))
    parts.append(_header(g))
    if layout == "lanes":
        parts.append(_lanes_view(g, width, grads, show_values, show_saved))
    else:
        parts.extend(_boxes_view(g, width, grads, show_values, show_saved))
    parts.extend(_footer(g, grads, show_saved, color))
    return Group(*parts)


def show(
    x: Any, options: ViewOptions | None = None, *, console: Console | None = None, **kwargs: Any
) -> None:
    """Draw the graph behind ``x`` (a Tensor, a list of Tensors, or a traced Graph) in the
    terminal.

    ``options``: a :class:`viz.ViewOptions`; its fields can also be given as keyword
    arguments (``depth=1``, ``show_grads=True``, ``layout="lanes"``, ...), which override
    it. ``console``: the rich Console to print to (default: a new one on stdout; it fits its
    width, and prints plain text where colour is off, e.g. ``NO_COLOR`` or a file).
    """
    o = ViewOptions.make(options, "viz.show", **kwargs)
    g = o.graph_of(x)
    console = console or Console()
    console.print(
        graph_renderable(
            g,
            width=console.width,
            show_grads=o.show_grads,
            show_values=o.show_values,
            show_saved=o.show_saved,
            layout=o.layout,
            color=_has_color(console),
            title=o.title,
        ),
        crop=True,
        soft_wrap=False,
    )
