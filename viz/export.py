"""Export a model summary as Markdown, CSV, LaTeX, JSON or HTML (reports, theses, notebooks).

    s = viz.summary(model, input_shape=(1, 1, 28, 28), verbose=False)
    s.to_markdown()   # a pipe table         s.to_csv()    # one row per layer, plain numbers
    s.to_latex()      # a tabular            s.to_json()   # everything, as numbers
    s.to_html()       # a <table>; a notebook shows a summary through it

Markdown and LaTeX hold the table people read (counts with thousands separators, sizes in
KiB/MiB); CSV and JSON hold plain numbers to compute with. Every field of a summary row goes
into CSV and JSON, so a column added to the summary is exported too.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
from typing import Any

from ._format import fmt_bytes, fmt_count, fmt_shape

__all__ = ["to_csv", "to_html", "to_json", "to_latex", "to_markdown"]


def _shape(shape: Any) -> str:
    return "" if shape is None else "x".join(str(int(d)) for d in shape)


def _label(row: Any) -> str:
    short = row.name.rsplit(".", 1)[-1] if row.name else ""
    label = f"{short} ({row.type})" if short else row.type
    return label + (f" ×{row.calls}" if row.calls > 1 else "")


# (header, value of a row, value of the totals line); counts as text for people
def _columns(summary: Any) -> list[tuple[str, Any, Any]]:
    cols: list[tuple[str, Any, Any]] = [
        ("Layer (type)", _label, lambda s: "Total"),
        (
            "Output shape",
            lambda r: fmt_shape(r.output_shape) if r.output_shape is not None else "-",
            lambda s: "",
        ),
        ("Trainable", lambda r: fmt_count(r.trainable), lambda s: fmt_count(s.trainable)),
        (
            "Non-trainable",
            lambda r: fmt_count(r.non_trainable),
            lambda s: fmt_count(s.non_trainable),
        ),
    ]
    if summary.rows and hasattr(summary.rows[0], "buffers"):
        cols.append(
            (
                "Buffers",
                lambda r: fmt_count(r.buffers),
                lambda s: fmt_count(getattr(s, "buffers", 0)),
            )
        )
    cols += [
        ("Mult-adds", lambda r: fmt_count(r.mult_adds), lambda s: fmt_count(s.mult_adds)),
        ("Saved", lambda r: fmt_bytes(r.saved_nbytes), lambda s: fmt_bytes(s.saved_nbytes)),
    ]
    return cols


def _cells(summary: Any) -> tuple[list[str], list[list[str]], list[str]]:
    cols = _columns(summary)
    head = [c[0] for c in cols]
    body = [[str(c[1](r)) for c in cols] for r in summary.rows]
    total = [str(c[2](summary)) for c in cols]
    return head, body, total


def _indent(summary: Any, k: int) -> int:
    return max(summary.rows[k].depth - 1, 0)


def to_markdown(summary: Any) -> str:
    """A GitHub-flavoured Markdown table, a caption line above it and the totals row last."""
    head, body, total = _cells(summary)

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    right = [False, False] + [True] * (len(head) - 2)
    lines = [f"**{esc(summary.model_type)}** on input {_inputs(summary)}", ""]
    lines.append("| " + " | ".join(esc(h) for h in head) + " |")
    lines.append("|" + "|".join("---:" if r else ":---" for r in right) + "|")
    for k, row in enumerate(body):
        row = [("&nbsp;&nbsp;" * _indent(summary, k)) + esc(row[0])] + [esc(c) for c in row[1:]]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| " + " | ".join(f"**{esc(c)}**" if c else "" for c in total) + " |")
    return "\n".join(lines) + "\n"


def _inputs(summary: Any) -> str:
    return ", ".join(fmt_shape(s) for s in summary.input_shapes)


def _rows(summary: Any) -> list[dict[str, Any]]:
    out = []
    for r in summary.rows:
        d = dataclasses.asdict(r)
        d["output_shape"] = _shape(r.output_shape)
        out.append(d)
    return out


def to_csv(summary: Any) -> str:
    """One line per layer with every field of the row (plain numbers; shapes as ``1x32x28x28``,
    empty when the layer did not run)."""
    rows = _rows(summary)
    fields = [f.name for f in dataclasses.fields(summary.rows[0])] if summary.rows else ["name"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _tex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text).replace("×", r"$\times$")


def to_latex(summary: Any, caption: str | None = None, label: str | None = None) -> str:
    """A ``table`` with a ``tabular`` (plain LaTeX, no packages), caption and label optional."""
    head, body, total = _cells(summary)
    spec = "ll" + "r" * (len(head) - 2)
    lines = [r"\begin{table}[ht]", r"\centering", rf"\begin{{tabular}}{{{spec}}}", r"\hline"]
    lines.append(" & ".join(_tex(h) for h in head) + r" \\")
    lines.append(r"\hline")
    for k, row in enumerate(body):
        first = r"\quad " * _indent(summary, k) + _tex(row[0])
        lines.append(" & ".join([first] + [_tex(c) for c in row[1:]]) + r" \\")
    lines.append(r"\hline")
    lines.append(" & ".join(_tex(c) for c in total) + r" \\")
    lines.append(r"\hline")
    lines.append(r"\end{tabular}")
    text = caption or f"{summary.model_type} on input {_inputs(summary)}"
    lines.append(rf"\caption{{{_tex(text)}}}")
    if label:
        lines.append(rf"\label{{{_tex(label)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_html(summary: Any) -> str:
    """An HTML ``<table>`` with a caption, nested layers indented and the totals as a footer,
    then the totals lines; what a notebook shows for a summary."""
    head, body, total = _cells(summary)
    esc = html.escape
    right = ' style="text-align:right"'

    def row(cells: list[str], tag: str, indent: int = 0) -> str:
        first = "&nbsp;&nbsp;" * indent + esc(cells[0])
        rest = "".join(f"<{tag}{right}>{esc(c)}</{tag}>" for c in cells[1:])
        return f'<tr><{tag} style="text-align:left">{first}</{tag}>{rest}</tr>'

    caption = (
        f"{esc(summary.model_type)} on input {esc(_inputs(summary))} ({esc(summary.mode)} mode)"
    )
    lines = ['<table class="viz-summary">', f"<caption>{caption}</caption>"]
    lines.append("<thead>" + row(head, "th") + "</thead>")
    lines.append("<tbody>")
    lines += [row(cells, "td", _indent(summary, k)) for k, cells in enumerate(body)]
    lines.append("</tbody>")
    lines.append("<tfoot>" + row(total, "th") + "</tfoot>")
    lines.append("</table>")
    lines += [f"<p>{esc(line)}</p>" for line in summary.totals()]
    return "\n".join(lines) + "\n"


def to_json(summary: Any, indent: int | None = 2) -> str:
    """Everything in the summary as JSON: the rows (every field), the shapes and the totals."""
    data = dataclasses.asdict(summary)
    data["total_params"] = summary.total_params
    return json.dumps(data, indent=indent)
