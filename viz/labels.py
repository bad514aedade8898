"""The words each node is drawn with, shared by the DOT and terminal renderers."""

from __future__ import annotations

from ._format import fmt_bytes, fmt_count, fmt_dtype, fmt_float, fmt_params, fmt_shape
from .graph import FLAGS, Node, Stats

__all__ = [
    "flag_texts",
    "grad_stats_lines",
    "grad_text",
    "note_texts",
    "node_detail",
    "node_title",
    "op_text",
    "saved_text",
    "shape_text",
    "value_lines",
]


def op_text(nd: Node) -> str:
    """``'Relu'``; with constant inputs inlined, ``'Mul(·, 2)'``."""
    name = nd.op or "?"
    if not nd.consts:
        return name
    consts = dict(nd.consts)
    n = max(nd.n_inputs, max(consts) + 1)
    args = ", ".join(consts.get(slot, "·") for slot in range(n))
    return f"{name}({args})"


def node_title(nd: Node) -> str:
    """First line of a node: op, parameter name, ``'Conv2d conv1'`` or ``'Linear → ReLU × 3'``."""
    if nd.kind == "op":
        return op_text(nd)
    if nd.kind == "module":
        return f"{nd.op} {nd.name}" if nd.name else str(nd.op)
    if nd.kind == "repeat":
        return f"{' → '.join(nd.block)} × {nd.repeat}"
    if nd.kind == "const":
        return f"const {nd.const}" if nd.const is not None else f"const of {nd.made_by}"
    return nd.name or nd.kind


def node_detail(nd: Node, limit: int = 48) -> str:
    """Second-line detail: op params, parameter count of modules, names of repeated blocks."""
    if nd.kind == "op":
        text = fmt_params(nd.params, limit)
        return f"{nd.mode}, {text}" if nd.mode and text else (nd.mode or text)
    if nd.kind in ("module", "repeat"):
        parts = [nd.mode] if nd.mode else []
        if nd.kind == "repeat" and nd.name:
            parts.append(nd.name)
        if nd.n_params:
            parts.append(f"{fmt_count(nd.n_params)} params")
        return ", ".join(parts)
    if nd.kind == "param" and not nd.requires_grad:
        return "frozen"
    if nd.kind == "buffer":
        return "buffer"
    if nd.kind == "input" and nd.name:
        return "data"
    return ""


def shape_text(nd: Node, short_dtype: bool = False, dtype: bool = True) -> str:
    """``'64×8×26×26 float32'``; folded nodes: ``'64×1×28×28 → 64×8×26×26'``."""
    out = fmt_shape(nd.shape)
    if nd.kind in ("module", "repeat") and nd.in_shapes:
        ins = ", ".join(fmt_shape(s) for s in nd.in_shapes)
        out = f"{ins} → {out}"
    if dtype:
        out = f"{out} {fmt_dtype(nd.dtype, short_dtype)}"
    return out


def grad_text(nd: Node) -> str:
    """``'‖grad‖ 3.1e-02'`` (a range for repeated blocks), or ``''`` without a gradient."""
    if nd.grad_range is not None and nd.repeat > 1:
        lo, hi = nd.grad_range
        return f"‖grad‖ {fmt_float(lo)}…{fmt_float(hi)}"
    if nd.grad is None:
        return ""
    return f"‖grad‖ {fmt_float(nd.grad.norm)}"


def _stat_tokens(st: Stats) -> list[str]:
    tokens = [
        f"mean {fmt_float(st.mean)}",
        f"std {fmt_float(st.std)}",
        f"min {fmt_float(st.min)}",
        f"max {fmt_float(st.max)}",
        f"zeros {st.zero_frac:.0%}",
    ]
    if st.dead_frac is not None:
        tokens.append(f"dead units {st.dead_frac:.0%}")
    if st.nan or st.inf:
        tokens += [f"nan {st.nan}", f"inf {st.inf}"]
    return tokens


def _pack(prefix: str, tokens: list[str], width: int) -> list[str]:
    """``prefix`` and tokens on as few lines of at most ``width`` characters as fit
    (a token longer than a line gets a line of its own)."""
    lines = [prefix]
    fresh = True  # nothing after the prefix/indent yet
    for tok in tokens:
        if fresh or len(lines[-1]) + 1 + len(tok) <= width:
            lines[-1] += " " + tok
        else:
            lines.append(" " * len(prefix) + " " + tok)
        fresh = False
    return lines


def grad_stats_lines(nd: Node, width: int = 80) -> list[str]:
    """Gradient statistics: ``'grad mean … std … min … max … zeros 0%'``, wrapped."""
    return [] if nd.grad is None else _pack("grad", _stat_tokens(nd.grad), width)


def value_lines(nd: Node, width: int = 80) -> list[str]:
    """Value statistics (plus dead units of ReLUs, NaN/Inf counts), wrapped at ``width``."""
    return [] if nd.value is None else _pack("value", _stat_tokens(nd.value), width)


def saved_text(nd: Node) -> str:
    """``'saved 12.0 KiB'`` or ``''``."""
    return f"saved {fmt_bytes(nd.saved_nbytes)}" if nd.saved_nbytes else ""


def flag_texts(nd: Node) -> list[str]:
    """Readable flags, e.g. ``['vanishing grad', 'dead ReLU']``."""
    return [FLAGS[f] for f in nd.flags]


def note_texts(nd: Node) -> list[str]:
    """Quiet remarks that are no alarm, e.g. ``['redundant before BatchNorm2d']``."""
    return list(nd.notes)
