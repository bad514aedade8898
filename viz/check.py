"""``viz.check(loss)``: a numerical gradient check of every op on the tape.

    report = viz.check(loss)    # before loss.backward(), or after backward(retain_graph=True)
    print(report)               # one line per op: ok / FAILED / kink / skipped, and the error
    report.show()               # the graph, with failing ops marked "wrong backward" in red

Each recorded op is run again, alone, on float64 copies of the inputs it actually received.
Along a random unit direction u of each differentiable input and a random projection v of
the output, the op's backward (d⟨op(x + t·u), v⟩/dt at t = 0) is compared with central
differences by :func:`tinygrad_cnn.testing.gradcheck`, so a wrong backward is found at the
node where it is, whatever the network around it. A direction that crosses a kink (a ReLU at
exactly 0, a tie in a max-pool window) has no derivative there; such ops are reported as
``kink`` instead of being judged. Batch norm in training mode is re-run with the batch
statistics of the perturbed input, which its backward accounts for.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import tinygrad_cnn as tg
from tinygrad_cnn.ops.norm import batch_stats
from tinygrad_cnn.testing import GradcheckError, gradcheck

from ._format import fmt_shape
from ._tape import Tape, caller_names, tape
from .trace import Graph

__all__ = ["CheckReport", "NodeCheck", "check"]

FLAG = "bad-grad"


@dataclass(frozen=True)
class NodeCheck:
    """The gradient check of one op node."""

    node: str  # node id, as in viz.show / viz.to_dot
    index: int
    op: str
    name: str
    in_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    status: str  # "ok", "failed", "kink" (not differentiable there), "skipped"
    max_error: float | None  # max |analytic − numerical| over the checked inputs
    detail: str = ""  # why it failed or was skipped
    origin: str | None = None  # where the op was made (anomaly mode)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class CheckReport:
    """What :func:`check` found; ``print(report)`` for the table, ``report.show()`` for the
    graph with failing ops flagged."""

    nodes: list[NodeCheck]
    graph: Graph  # the traced graph, failing ops flagged "bad-grad"
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[NodeCheck]:
        return [c for c in self.nodes if c.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no op failed (ops at a kink or skipped do not count)."""
        return not self.failed

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.nodes:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    def mark(self, graph: Graph) -> Graph:
        """Flag the failing ops in another trace of the same tensor (matched by node id)."""
        bad = {c.node for c in self.failed}
        for nd in graph.nodes:
            if nd.id in bad and FLAG not in nd.flags:
                nd.flags = nd.flags + (FLAG,)
        return graph

    def show(self, **options: Any) -> None:
        """The graph in the terminal, failing ops in red; options as :func:`viz.show`."""
        from .terminal import show

        show(self.graph, **options)

    def to_dot(self, **options: Any) -> str:
        from .dot import to_dot

        return to_dot(self.graph, **options)

    def render(self, path: str, **options: Any) -> Any:
        from .render import render

        return render(self.graph, path, **options)

    def table(self) -> Table:
        t = Table(title="gradient check", title_justify="left", pad_edge=False)
        for col in ("node", "op", "shapes", "status", "max error"):
            t.add_column(col, justify="right" if col == "max error" else "left")
        style = {"ok": "green", "failed": "bold red", "kink": "yellow", "skipped": "dim"}
        for c in self.nodes:
            shapes = ", ".join(fmt_shape(s) for s in c.in_shapes) + " → " + fmt_shape(c.out_shape)
            err = "—" if c.max_error is None else f"{c.max_error:.2g}"
            status = c.status.upper() if c.status == "failed" else c.status
            t.add_row(c.node, c.op, shapes, f"[{style[c.status]}]{status}[/]", err)
        return t

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in self.counts().items())
        head = f"{len(self.nodes)} ops checked: {parts}"
        for c in self.failed:
            where = f" (made at {c.origin})" if c.origin else ""
            head += f"\n{c.op} at node {c.node}{where} has a wrong backward: {c.detail}"
        return head

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield self.table()
        yield self.summary()
        yield from self.notes

    def __str__(self) -> str:
        buf = io.StringIO()
        Console(file=buf, width=80, color_system=None).print(self)
        return buf.getvalue()

    def __repr__(self) -> str:
        return f"<viz.CheckReport {self.summary().splitlines()[0]}>"


def _f64(t: tg.Tensor) -> tg.Tensor:
    a = np.array(t.numpy(), copy=True)
    return tg.Tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)


def _run_op(op: Any, inputs: list[tg.Tensor]) -> tg.Tensor:
    """``op``'s class applied again to ``inputs`` with its recorded parameters."""
    if op.name == "BatchNorm" and len(inputs) == 5 and _is_batch_stats(op):
        x = inputs[0]
        mean, var = batch_stats(np, x.numpy())
        inputs = [x, inputs[1], inputs[2], tg.Tensor(mean), tg.Tensor(var)]
    return type(op).apply(*inputs, **op.params)


def _is_batch_stats(op: Any) -> bool:
    x, _, _, mean, var = (t.numpy() for t in op.inputs)
    m, v = batch_stats(np, x.astype(np.float64))
    return bool(np.allclose(m, mean, rtol=1e-4, atol=1e-6) and np.allclose(v, var, rtol=1e-4))


def _check_op(op: Any, seed: int, eps: float, atol: float, rtol: float) -> tuple[str, Any, str]:
    """(status, max error, detail) of one op."""
    if op.freed or any(t.is_freed for t in op.inputs):
        return "skipped", None, "the graph was freed by backward (check before, or retain it)"
    base = [_f64(t) for t in op.inputs]
    slots = [
        k
        for k, (e, t) in enumerate(zip(op.edges, base, strict=False))
        if e is not None and t.dtype == np.float64 and t.numel() > 0
    ]
    if not slots:
        return "skipped", None, "no differentiable input"
    status, err, detail = _attempt(op, base, slots, seed, eps, atol, rtol, avoid_zeros=False)
    if status == "kink":  # ReLU at 0 and max-pool ties among zeros: step around exact zeros
        status, err, again = _attempt(op, base, slots, seed, eps, atol, rtol, avoid_zeros=True)
        if status != "kink":
            detail = "checked along directions that leave the input's exact zeros alone " + (
                f"(a kink or tie there); {again}" if again else "(a kink or tie there)"
            )
    return status, err, detail


def _attempt(
    op: Any,
    base: list[tg.Tensor],
    slots: list[int],
    seed: int,
    eps: float,
    atol: float,
    rtol: float,
    avoid_zeros: bool,
) -> tuple[str, Any, str]:
    rng = np.random.default_rng(seed)
    dirs = {}
    for k in slots:
        u = rng.standard_normal(base[k].shape)
        if avoid_zeros:
            u = np.where(base[k].numpy() == 0, 0.0, u)
        norm = float(np.linalg.norm(u))
        if norm == 0:
            return "kink", None, "every entry of an input is exactly 0"
        dirs[k] = tg.Tensor(u / norm)

    def fn(*ts: tg.Tensor) -> tg.Tensor:
        args = list(base)
        for k, t in zip(slots, ts, strict=True):
            args[k] = base[k] + t * dirs[k]
        return _run_op(op, args)

    ts = [tg.zeros((), dtype=tg.float64, requires_grad=True) for _ in slots]
    with tg.enable_grad():
        out0 = fn(*ts)
    if out0.dtype != np.float64:
        return "skipped", None, f"the op returns {out0.dtype} whatever its inputs"
    if not out0.requires_grad:
        return "skipped", None, "the op records no gradient"
    v = np.random.default_rng(seed).standard_normal(out0.shape)  # gradcheck's projection

    def project(*values: float) -> float:
        with tg.no_grad():
            ts_ = [tg.tensor(float(x), dtype=tg.float64) for x in values]
            return float(np.sum(fn(*ts_).numpy() * v))

    analytic = tg.grad(out0, ts, grad_outputs=tg.Tensor(v), allow_unused=True)
    p0 = float(np.sum(out0.numpy() * v))
    errors, kinks = [], []
    for j, _ in enumerate(slots):
        at = [0.0] * len(slots)
        at[j] = eps
        plus = project(*at)
        at[j] = -eps
        minus = project(*at)
        numerical = (plus - minus) / (2 * eps)
        a = 0.0 if analytic[j] is None else float(analytic[j].item())
        errors.append(abs(a - numerical))
        # a kink: the one-sided slopes differ by more than a smooth function allows
        kinks.append(abs(plus + minus - 2 * p0) / eps > atol + rtol * abs(numerical))
    max_error = max(errors)
    if not all(math.isfinite(e) for e in errors):
        return "skipped", None, "the op's value or gradient is not finite at its inputs"
    if any(kinks):
        return "kink", max_error, "not differentiable at the recorded input along u"
    try:
        gradcheck(fn, ts, eps=eps, atol=atol, rtol=rtol, seed=seed)
    except GradcheckError as err:
        return "failed", max_error, str(err)
    return "ok", max_error, ""


def check(
    loss: tg.Tensor,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    ops: Callable[[str], bool] | None = None,
) -> CheckReport:
    """Check each recorded op's backward against finite differences on its recorded inputs.

    Args:
        loss: the tensor whose graph is checked (its saved values must still be there:
            call before ``backward``, or after ``backward(retain_graph=True)``).
        eps, atol, rtol: as for :func:`tinygrad_cnn.testing.gradcheck` (float64 throughout).
        seed: of the random directions and projections.
        ops: a predicate on op names to check only some ops (default: all).

    Returns:
        A :class:`CheckReport`: one :class:`NodeCheck` per op node (in the graph's node
        order), and the traced graph with failing ops flagged ``"bad-grad"``.
    """
    tp: Tape = tape(loss, caller_names())
    g = tp.graph
    results: list[NodeCheck] = []
    for i, nd in enumerate(g.nodes):
        t = tp.tensors[i]
        if t is None or t.op is None or (ops is not None and not ops(t.op.name)):
            continue
        op = t.op
        try:
            status, err, detail = _check_op(op, seed + i, eps, atol, rtol)
        except (TypeError, ValueError, RuntimeError) as e:
            status, err, detail = "skipped", None, f"{type(e).__name__}: {e}"
        results.append(
            NodeCheck(
                node=nd.id,
                index=i,
                op=op.name,
                name=tp.name(i),
                in_shapes=tuple(tuple(x.shape) for x in op.inputs),
                out_shape=tuple(t.shape),
                status=status,
                max_error=err,
                detail=detail,
                origin=str(op.origin) if op.origin is not None else None,
            )
        )
    report = CheckReport(results, g)
    report.mark(report.graph)
    if any(c.status == "skipped" and "freed" in c.detail for c in results):
        report.notes.append(
            "some ops were not checked: backward freed the graph; call viz.check(loss) before "
            "loss.backward(), or after loss.backward(retain_graph=True)"
        )
    return report
