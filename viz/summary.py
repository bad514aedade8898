"""``summary(model, input_shape=...)``: a layer table like torchinfo's, read off the tape.

The model runs once on zeros, in training mode with gradients on (so the bytes each op keeps
for backward are real); its modes, buffers (batchnorm running statistics) and the global
random generator are restored afterwards. Every figure comes from the traced graph:

* output shape: the tensor a layer's call hands on (last call when called several times);
* parameters and buffers, in three columns as torchinfo counts them: trainable
  (``requires_grad``), non-trainable (frozen parameters) and buffers (``running_mean``,
  ``running_var``, ``num_batches_tracked``), over the layer and its children; the graph's
  module boxes count parameters the same way;
* mult-adds: matrix products (``Matmul`` of (…, M, K) @ (…, K, N): batch·M·K·N), so a
  convolution written as im2col + matmul costs N·OC·OH·OW·(IC/groups·KH·KW) and a linear
  layer N·in·out; a fused convolution or linear op is counted with the same formulas;
  every other op (adds, activations, pooling, normalisation) counts 0;
* saved: the bytes the ops that ran inside the layer keep for backward, each underlying
  buffer counted once, and nothing for views of parameters (see ``viz.trace``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

import tinygrad_cnn as tg
from tinygrad_cnn.random import default_rng

from ._format import fmt_bytes, fmt_count, fmt_shape
from .graph import Graph
from .group import call_output
from .trace import trace

__all__ = ["MULT_ADDS", "LayerRow", "ModelSummary", "op_mult_adds", "summary"]


def _matmul_mult_adds(out: tuple[int, ...], ins: list[tuple[int, ...]]) -> int:
    # out (…, M, N) and a (…, M, K): every output entry is a K-long dot product
    if len(ins) < 1 or len(ins[0]) < 1:
        return 0
    return math.prod(out) * ins[0][-1]


def _conv_mult_adds(out: tuple[int, ...], ins: list[tuple[int, ...]]) -> int:
    # out (N, OC, OH, OW), weight (OC, IC/groups, KH, KW): N·OC·OH·OW·(IC/groups·KH·KW)
    if len(ins) < 2:
        return 0
    return math.prod(out) * math.prod(ins[1][1:])


def _linear_mult_adds(out: tuple[int, ...], ins: list[tuple[int, ...]]) -> int:
    # out (…, out_features), weight (out_features, in_features)
    if len(ins) < 2:
        return 0
    return math.prod(out) * ins[1][-1]


# op name (lower case) -> mult-adds from (output shape, input shapes in slot order)
MULT_ADDS: dict[str, Callable[[tuple[int, ...], list[tuple[int, ...]]], int]] = {
    "matmul": _matmul_mult_adds,
    "conv2d": _conv_mult_adds,
    "conv": _conv_mult_adds,
    "linear": _linear_mult_adds,
}


def op_mult_adds(g: Graph, i: int) -> int:
    """Mult-adds of node ``i`` of a traced (unfolded) graph; 0 for ops not in ``MULT_ADDS``."""
    nd = g.nodes[i]
    if nd.kind != "op" or nd.op is None:
        return 0
    fn = MULT_ADDS.get(nd.op.lower())
    if fn is None:
        return 0
    ins = [g.nodes[e.src].shape for e in sorted(g.in_edges(i), key=lambda e: e.slot)]
    return int(fn(nd.shape, ins))


@dataclass
class LayerRow:
    """One module of the summary (figures include its children)."""

    name: str  # qualified name; "" for the model itself
    type: str
    depth: int  # 0 for the model, 1 for its children, ...
    output_shape: tuple[int, ...] | None  # None when the layer did not run
    trainable: int
    non_trainable: int  # frozen parameters
    mult_adds: int
    saved_nbytes: int
    calls: int
    buffers: int = 0  # entries of the buffers (running statistics)


@dataclass
class ModelSummary:
    """The result of :func:`summary`; ``print(s)`` or ``console.print(s)`` draws the table."""

    model_type: str
    input_shapes: list[tuple[int, ...]]
    output_shapes: list[tuple[int, ...]]
    rows: list[LayerRow] = field(default_factory=list)
    trainable: int = 0
    non_trainable: int = 0  # frozen parameters
    buffers: int = 0  # entries of the buffers
    mode: str = "train"  # the mode the model ran in
    mult_adds: int = 0
    saved_nbytes: int = 0  # all ops of the forward pass, inside layers or not
    param_nbytes: int = 0  # parameters and buffers
    input_nbytes: int = 0

    @property
    def total_params(self) -> int:
        """Parameters, trainable or not (buffers are not parameters)."""
        return self.trainable + self.non_trainable

    def table(self) -> Table:
        """The rich Table (fits 80 columns)."""
        inputs = ", ".join(fmt_shape(s) for s in self.input_shapes)
        t = Table(
            box=box.SIMPLE_HEAD,
            title=f"{self.model_type} on input {inputs} ({self.mode} mode)",
            title_justify="left",
            pad_edge=False,
            show_footer=True,
        )
        t.add_column("Layer (type)", footer="Total", overflow="ellipsis", no_wrap=True)
        t.add_column("Output shape", footer="", overflow="ellipsis", no_wrap=True)
        t.add_column("Params", justify="right", footer=fmt_count(self.trainable), no_wrap=True)
        # the frozen and buffer columns only where the model has any (the table fits 80 cells)
        frozen, buffers = self.non_trainable > 0, self.buffers > 0
        if frozen:
            t.add_column(
                "Frozen", justify="right", footer=fmt_count(self.non_trainable), min_width=6
            )
        if buffers:
            t.add_column("Buffers", justify="right", footer=fmt_count(self.buffers), min_width=7)
        t.add_column("Mult-adds", justify="right", footer=fmt_count(self.mult_adds), no_wrap=True)
        t.add_column("Saved", justify="right", footer=fmt_bytes(self.saved_nbytes), no_wrap=True)
        for r in self.rows:
            short = r.name.rsplit(".", 1)[-1] if r.name else ""
            label = "  " * max(r.depth - 1, 0) + (f"{short} ({r.type})" if short else r.type)
            if r.calls > 1:
                label += f" ×{r.calls}"
            cells = [
                label,
                fmt_shape(r.output_shape) if r.output_shape is not None else "—",
                fmt_count(r.trainable) if r.trainable else "—",
            ]
            if frozen:
                cells.append(fmt_count(r.non_trainable) if r.non_trainable else "—")
            if buffers:
                cells.append(fmt_count(r.buffers) if r.buffers else "—")
            t.add_row(
                *cells,
                fmt_count(r.mult_adds) if r.mult_adds else "—",
                fmt_bytes(r.saved_nbytes) if r.saved_nbytes else "—",
            )
        return t

    def totals(self) -> list[str]:
        """The lines under the table."""
        return [
            f"params: {fmt_count(self.total_params)} (trainable {fmt_count(self.trainable)}, "
            f"non-trainable {fmt_count(self.non_trainable)}); buffers {fmt_count(self.buffers)}",
            f"mult-adds: {fmt_count(self.mult_adds)} ({self.mult_adds / 1e6:.2f} M) for this batch",
            f"memory: input {fmt_bytes(self.input_nbytes)}, params+buffers "
            f"{fmt_bytes(self.param_nbytes)}, saved for backward {fmt_bytes(self.saved_nbytes)}",
        ]

    # ---------------------------------------------------------------- export (viz/export.py)
    def to_markdown(self) -> str:
        """A Markdown table (see :mod:`viz.export`)."""
        from .export import to_markdown

        return to_markdown(self)

    def to_csv(self) -> str:
        """CSV, one row per layer, plain numbers (see :mod:`viz.export`)."""
        from .export import to_csv

        return to_csv(self)

    def to_latex(self, caption: str | None = None, label: str | None = None) -> str:
        """A LaTeX ``table``/``tabular`` (see :mod:`viz.export`)."""
        from .export import to_latex

        return to_latex(self, caption, label)

    def to_json(self, indent: int | None = 2) -> str:
        """Every figure as JSON (see :mod:`viz.export`)."""
        from .export import to_json

        return to_json(self, indent)

    def to_html(self) -> str:
        """An HTML table (see :mod:`viz.export`)."""
        from .export import to_html

        return to_html(self)

    def _repr_html_(self) -> str:  # a notebook draws the summary as an HTML table
        return self.to_html()

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.table()
        for line in self.totals():
            yield Text(line)

    def __str__(self) -> str:
        buf = io.StringIO()
        Console(file=buf, width=80, color_system=None, force_terminal=False).print(self)
        return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())

    def __repr__(self) -> str:
        return (
            f"<ModelSummary {self.model_type}: {fmt_count(self.total_params)} params, "
            f"{fmt_count(self.mult_adds)} mult-adds>"
        )


def _inputs(
    input_shape: Any, input: Any, dtype: Any, device: str | None
) -> tuple[list[tg.Tensor], list[tuple[int, ...]]]:
    if isinstance(input_shape, tg.Tensor) or (
        isinstance(input_shape, (list, tuple))
        and input_shape
        and all(isinstance(t, tg.Tensor) for t in input_shape)
    ):  # summary(model, x): a tensor where the shape would go
        input, input_shape = input_shape, None
    if input is not None:
        xs = list(input) if isinstance(input, (list, tuple)) else [input]
        xs = [x if isinstance(x, tg.Tensor) else tg.Tensor(x) for x in xs]
        return xs, [tuple(x.shape) for x in xs]
    if input_shape is None:
        raise ValueError("summary: give input_shape=(N, C, H, W) or input=<tensor>")
    shapes: list[tuple[int, ...]]
    if len(input_shape) and isinstance(input_shape[0], (tuple, list)):
        shapes = [tuple(int(d) for d in s) for s in input_shape]
    else:
        shapes = [tuple(int(d) for d in input_shape)]
    xs = [tg.zeros(s, dtype=dtype, device=device) for s in shapes]
    return xs, shapes


def _tensors(out: Any) -> list[tg.Tensor]:
    if isinstance(out, tg.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _tensors(o)]
    return []


def summary(
    model: Any,
    input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None,
    input: Any = None,
    *,
    depth: int = 3,
    dtype: Any = np.float32,
    device: str | None = None,
    console: Console | None = None,
    verbose: bool = True,
    mode: str = "train",
) -> ModelSummary:
    """Layer table of ``model``: output shape, parameters, mult-adds and bytes kept for
    backward per layer, and totals.

    Args:
        model: an ``nn.Module``.
        input_shape: shape of the input including the batch, e.g. ``(1, 1, 28, 28)``; a list
            of shapes for several inputs. The model runs on zeros of this shape. A tensor
            here is taken as ``input``.
        input: a tensor (or list of tensors) to run instead of zeros.
        depth: show layers down to this nesting depth (1 = the model's children; default 3).
        dtype, device: of the zeros input (default float32 on the CPU).
        console: where to print (default: a new rich Console).
        verbose: print the table (default True); the summary is returned either way.
        mode: ``"train"`` (default: batch norm on batch statistics, dropout on, as in a
            training step) or ``"eval"`` (running statistics, no dropout); the model's own
            mode is restored afterwards.

    Returns:
        A :class:`ModelSummary` (rows and totals as numbers; ``print()`` draws it).
    """
    if mode not in ("train", "eval"):
        raise ValueError(f"summary: mode must be 'train' or 'eval', got {mode!r}")
    xs, shapes = _inputs(input_shape, input, dtype, device)
    modules = list(model.named_modules())
    modes = [(m, m.training) for _, m in modules]
    # a training-mode forward updates batchnorm statistics and draws dropout masks: undo both
    buffers = {name: b._data.copy() for name, b in model.named_buffers()}
    rng = default_rng()
    rng_state = rng.bit_generator.state
    try:
        model.train(mode == "train")
        with tg.enable_grad():
            out = model(*xs)
        outs = _tensors(out)
        if not outs:
            raise TypeError(f"summary: {type(model).__name__} returned no tensor ({type(out)})")
        g = trace(*outs, grads=False)
    finally:
        for m, was in modes:
            m.training = was
        for name, b in model.named_buffers():
            if name in buffers:
                b._data = buffers[name]
        rng.bit_generator.state = rng_state

    calls_of: dict[str, list[str]] = {}
    for cid, call in g.calls.items():
        calls_of.setdefault(g.modules[call.module].name, []).append(cid)
    mult = [op_mult_adds(g, i) for i in range(len(g.nodes))]

    rows: list[LayerRow] = []
    for name, m in modules:
        d = 0 if not name else name.count(".") + 1
        if d > depth or (d == 0 and len(modules) > 1):
            continue
        cids = calls_of.get(name, [])
        ops = sorted({i for c in cids for i in g.calls[c].nodes if g.nodes[i].kind == "op"})
        out_shape = None
        if cids:
            out_shape = g.nodes[call_output(g, cids[-1])].shape
        params = list(m.parameters())
        trainable = sum(p.numel() for p in params if p.requires_grad)
        frozen = sum(p.numel() for p in params if not p.requires_grad)
        rows.append(
            LayerRow(
                name=name,
                type=type(m).__name__,
                depth=d,
                output_shape=out_shape,
                trainable=trainable,
                non_trainable=frozen,
                mult_adds=sum(mult[i] for i in ops),
                saved_nbytes=sum(g.nodes[i].saved_nbytes for i in ops),
                calls=len(cids),
                buffers=sum(b.numel() for b in m.buffers()),
            )
        )
    params = list(model.parameters())
    bufs = list(model.buffers())
    result = ModelSummary(
        model_type=type(model).__name__,
        input_shapes=shapes,
        output_shapes=[tuple(o.shape) for o in outs],
        rows=rows,
        trainable=sum(p.numel() for p in params if p.requires_grad),
        non_trainable=sum(p.numel() for p in params if not p.requires_grad),
        buffers=sum(b.numel() for b in bufs),
        mode=mode,
        mult_adds=sum(mult),
        saved_nbytes=g.saved_nbytes,
        param_nbytes=sum(int(t._data.nbytes) for t in params + bufs),
        input_nbytes=sum(int(x._data.nbytes) for x in xs),
    )
    if verbose:
        (console or Console()).print(result)
    return result
