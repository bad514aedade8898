"""``viz.explain(loss)``: backward, one node at a time, in words and symbols.

    import viz
    a = tg.tensor(1.0, requires_grad=True)
    b = a + a
    c = b * b
    steps = viz.explain(c)          # prints the walk; interactive=True waits for Enter

The walk follows the reverse topological order that backward uses: each op receives the
gradient of its output (∂out), applies its local rule (``Mul: ∂a = ∂out · b``) and sends one
gradient to each input; an input reached a second time gets a ``+=``. The gradients are
computed here, by calling each op's ``backward`` with gradient recording off, so ``.grad``
stays untouched; the graph must still hold its saved values (explain before ``backward``, or
after ``backward(retain_graph=True)``). Tensor hooks are not run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.text import Text

import tinygrad_cnn as tg

from ._format import fmt_float, fmt_shape
from ._tape import Tape, caller_names, small_values, tape
from .trace import Stats, tensor_stats

__all__ = ["RULES", "Send", "Step", "explain", "rule_of"]

# op name -> its local rule, the inputs called a, b, c by position and the output "out"
RULES: dict[str, str] = {
    "Add": "∂{a} = ∂{out},  ∂{b} = ∂{out}  (each summed back to its own shape)",
    "Sub": "∂{a} = ∂{out},  ∂{b} = −∂{out}",
    "Mul": "∂{a} = ∂{out} · {b},  ∂{b} = ∂{out} · {a}",
    "Div": "∂{a} = ∂{out} / {b},  ∂{b} = −∂{out} · {a} / {b}²",
    "Pow": "∂{a} = ∂{out} · {b} · {a}^({b}−1),  ∂{b} = ∂{out} · {out} · ln {a}",
    "PowScalar": "∂{a} = ∂{out} · p · {a}^(p−1)  (p = exponent)",
    "Neg": "∂{a} = −∂{out}",
    "Exp": "∂{a} = ∂{out} · {out}  (exp is its own derivative)",
    "Log": "∂{a} = ∂{out} / {a}",
    "Sqrt": "∂{a} = ∂{out} / (2 · {out})",
    "Abs": "∂{a} = ∂{out} · sign({a})",
    "Sin": "∂{a} = ∂{out} · cos {a}",
    "Cos": "∂{a} = −∂{out} · sin {a}",
    "Tanh": "∂{a} = ∂{out} · (1 − {out}²)",
    "Sigmoid": "∂{a} = ∂{out} · {out} · (1 − {out})",
    "Relu": "∂{a} = ∂{out} · [{a} > 0]  (the gradient passes where the unit was on)",
    "LeakyRelu": "∂{a} = ∂{out} · (1 if {a} > 0 else slope)",
    "Softplus": "∂{a} = ∂{out} · sigmoid({a})",
    "Clip": "∂{a} = ∂{out} where min < {a} < max, 0 where clipped",
    "Maximum": "∂{a} = ∂{out} where {a} > {b},  ∂{b} = ∂{out} where {b} > {a}  (ties split)",
    "Where": "∂{b} = ∂{out} where {a},  ∂{c} = ∂{out} where not {a}",
    "Sum": "∂{a} = ∂{out} copied back over the summed axes",
    "Max": "∂{a} = ∂{out} at the position of the maximum, 0 elsewhere",
    "Matmul": "∂{a} = ∂{out} @ {b}ᵀ,  ∂{b} = {a}ᵀ @ ∂{out}",
    "Linear": "∂{a} = ∂{out} @ {b},  ∂{b} = ∂{out}ᵀ @ {a},  ∂{c} = Σ ∂{out} over the batch",
    "Reshape": "∂{a} = ∂{out} reshaped to {a}'s shape",
    "Permute": "∂{a} = ∂{out} with the axes permuted back",
    "Expand": "∂{a} = ∂{out} summed over the broadcast axes",
    "GetItem": "∂{a} = zeros of {a}'s shape with ∂{out} added at the index",
    "Pad": "∂{a} = ∂{out} with the padding cut off",
    "Cat": "∂{a}, ∂{b}, … = the slices of ∂{out} where each input was placed",
    "Im2col": "∂{a} = col2im(∂{out})  (overlapping windows add up)",
    "Col2im": "∂{a} = im2col(∂{out})",
    "MaxPool2d": "∂{a} = ∂{out} sent to the maximum of each window, 0 elsewhere",
    "PoolScatter": "∂{a} = ∂{out} read at the position each window's maximum came from",
    "PoolGather": "∂{a} = ∂{out} sent to the chosen position of each window, 0 elsewhere",
    "WindowSum": "∂{a} = ∂{out} of every window that covers each input, added up",
    "CircularPad": "∂{a} = ∂{out} with each border added onto the side it was copied from",
    "CircularFold": "∂{a} = ∂{out} padded periodically again (the borders copied back)",
    "BatchNorm": "∂x = γ/σ · (∂{out} − mean ∂{out} − x̂ · mean(∂{out} · x̂)),  ∂γ = Σ ∂{out} · x̂,  "
    "∂β = Σ ∂{out}",
    "Cast": "∂{a} = ∂{out} cast back to {a}'s dtype",
    "Clone": "∂{a} = ∂{out}",
    "Contiguous": "∂{a} = ∂{out}",
    "ToDevice": "∂{a} = ∂{out} moved back to {a}'s device",
    "InPlace": "∂{a} = ∂{out}  (the value written in place)",
}


def rule_of(op: str | None, inputs: tuple[str, ...] = (), out: str = "out") -> str:
    """``'Mul: ∂a = ∂out · b,  ∂b = ∂out · a'``, or with the inputs' and the output's names
    when given (``rule_of("Mul", ("x", "w"), "y")``: ``'Mul: ∂x = ∂y · w,  ∂w = ∂y · x'``); a
    generic line for ops without an entry in :data:`RULES`."""
    if op is None:
        return "leaf: backward adds ∂ into its .grad"
    rule = RULES.get(op)
    if rule is None:
        return f"{op}: ∂input = ∂out · ∂{op}/∂input  (computed by {op}.backward)"
    names = dict(zip("abc", tuple(inputs) + ("a", "b", "c")[len(inputs) :], strict=False))
    return f"{op}: " + rule.format(out=out, **names)


@dataclass
class Send:
    """The gradient one step sends to one input."""

    slot: int
    to: str  # node id of the input
    name: str  # its variable / parameter name, or its node id
    grad: Stats
    values: list | float | None  # the values, for tensors of up to 8 entries
    accumulate: bool  # True: the input was reached before, so this one is added (+=)
    total: list | float | None = None  # the input's running sum after this step (small ones)


@dataclass
class Step:
    """One node of the backward walk."""

    number: int  # 1, 2, ... in backward order
    node: str  # node id, as in viz.show / viz.to_dot
    name: str
    op: str | None  # None for a leaf
    inputs: tuple[str, ...]  # names of the op's inputs, by position
    shape: tuple[int, ...]
    rule: str  # the local rule, inputs called a, b, c
    applied: str  # the same rule with the tensors' names
    grad: Stats  # the gradient of the loss w.r.t. this tensor (all contributions summed)
    values: list | float | None
    arrivals: int  # how many contributions were summed into it (0 for the root)
    sends: list[Send] = field(default_factory=list)
    origin: str | None = None  # where the op was created (anomaly mode)


def _walk(tp: Tape, root_grad: tg.Tensor) -> list[Step]:
    g = tp.graph
    grads: dict[int, tg.Tensor] = {g.roots[0]: root_grad}
    arrivals: dict[int, int] = {}
    steps: list[Step] = []
    for i in reversed(range(len(g.nodes))):
        t = tp.tensors[i]
        if t is None or i not in grads or not t.requires_grad:
            continue
        gi = grads[i]
        op = t.op
        name = tp.name(i)
        inputs = tuple(tp.name(j) for j in tp.inputs(i))
        opname = op.name if op is not None else None
        step = Step(
            number=len(steps) + 1,
            node=g.nodes[i].id,
            name=name,
            op=opname,
            inputs=inputs,
            shape=tuple(t.shape),
            rule=rule_of(opname),
            applied=rule_of(opname, inputs, name),
            grad=tensor_stats(gi),
            values=small_values(gi),
            arrivals=arrivals.get(i, 0),
            origin=str(op.origin) if op is not None and op.origin is not None else None,
        )
        steps.append(step)
        if op is None:
            continue
        if op.freed:
            raise RuntimeError(
                f"viz.explain: backward already freed the graph ({op.name} at {step.node} holds "
                "no saved values); explain needs the graph's saved values: call it before "
                "loss.backward(), or after loss.backward(retain_graph=True)"
            )
        with tg.no_grad():
            pgs = op.backward(gi)
        pgs = pgs if isinstance(pgs, tuple) else (pgs,)
        for slot, (j, edge, pg) in enumerate(zip(tp.inputs(i), op.edges, pgs, strict=False)):
            parent = tp.tensors[j]
            if pg is None or edge is None or parent is None:
                continue
            if pg.dtype != parent.dtype:
                pg = pg.to(parent.dtype)
            again = j in grads
            with tg.no_grad():
                grads[j] = grads[j] + pg if again else pg
            arrivals[j] = arrivals.get(j, 0) + 1
            step.sends.append(
                Send(
                    slot=slot,
                    to=g.nodes[j].id,
                    name=tp.name(j),
                    grad=tensor_stats(pg),
                    values=small_values(pg),
                    accumulate=again,
                    total=small_values(grads[j]) if again else None,
                )
            )
    return steps


def _fmt_values(values: Any, stats: Stats) -> str:
    if values is None:
        return (
            f"norm {fmt_float(stats.norm)}, mean {fmt_float(stats.mean)}, "
            f"min {fmt_float(stats.min)}, max {fmt_float(stats.max)}"
        )
    if isinstance(values, float):
        return f"{values:.6g}"
    return str([round(v, 6) for v in _flat(values)]).replace("'", "")


def _flat(values: Any) -> list[float]:
    if isinstance(values, list):
        return [v for x in values for v in _flat(x)]
    return [values]


def _step_text(step: Step, total: int) -> list[Text]:
    if step.op is None:
        head = f"step {step.number}/{total} · {step.node} {step.name} (leaf)"
    else:
        head = f"step {step.number}/{total} · {step.node} {step.name} = {step.op}("
        head += ", ".join(step.inputs) + ")"
    head += f" · {fmt_shape(step.shape)}"
    lines = [Text(head, style="bold")]
    if step.origin:
        lines.append(Text(f"  made at {step.origin}", style="dim"))
    if step.arrivals == 0:
        where = "seed: ∂loss/∂loss = 1"
    elif step.arrivals == 1:
        where = "from 1 consumer"
    else:
        where = f"sum of {step.arrivals} contributions"
    lines.append(Text(f"  ∂{step.name} = {_fmt_values(step.values, step.grad)}   ({where})"))
    lines.append(Text(f"  rule  {step.rule}", style="cyan"))
    if step.applied != step.rule:
        lines.append(Text(f"  here  {step.applied.split(': ', 1)[1]}", style="cyan"))
    letters = "abcdefgh"
    for s in step.sends:
        letter = letters[s.slot] if s.slot < len(letters) else f"#{s.slot}"
        sign = "+=" if s.accumulate else "= "
        line = Text(f"  → ∂{s.name} {sign} {_fmt_values(s.values, s.grad)}  (input {letter}")
        if s.accumulate:
            line.append(", reached again", style="bold yellow")
            if s.total is not None:
                line.append(f": now {_fmt_values(s.total, s.grad)}")
        line.append(")")
        lines.append(line)
    return lines


def explain(
    loss: tg.Tensor,
    interactive: bool = False,
    *,
    gradient: tg.Tensor | None = None,
    console: Console | None = None,
    verbose: bool = True,
) -> list[Step]:
    """Walk backward from ``loss`` one node at a time, printing each step.

    Args:
        loss: a scalar tensor (or any tensor, with ``gradient=``, as for ``backward``).
        interactive: wait for Enter between steps ('q' + Enter stops the printing).
        gradient: the seed ∂loss for a non-scalar ``loss`` (default: 1 for a scalar).
        console: where to print (default: a rich Console 80 columns wide).
        verbose: print (default True); the steps are returned either way.

    Returns:
        The :class:`Step` list in backward order (plain data: names, rules, gradient
        statistics, and the values of gradients of up to 8 entries).
    """
    if not isinstance(loss, tg.Tensor):
        raise TypeError(f"viz.explain: expected a Tensor, got {type(loss).__name__}")
    if not loss.requires_grad:
        raise RuntimeError(
            f"viz.explain: the tensor (shape {loss.shape}) does not require grad, so backward "
            "has nothing to walk"
        )
    if gradient is None:
        if loss.numel() != 1:
            raise RuntimeError(
                f"viz.explain: loss has shape {loss.shape}; give gradient= of that shape for a "
                "non-scalar output, as for backward"
            )
        gradient = tg.ones_like(loss)
    elif tuple(gradient.shape) != tuple(loss.shape):
        raise RuntimeError(
            f"viz.explain: gradient has shape {gradient.shape} but loss has shape {loss.shape}"
        )
    tp = tape(loss, caller_names())
    steps = _walk(tp, gradient)
    if verbose:
        out = console or Console(width=80, highlight=False)
        for step in steps:
            for line in _step_text(step, len(steps)):
                out.print(line)
            if interactive and step is not steps[-1]:
                if out.input("[dim]Enter: next step, q: stop[/dim] ").strip().lower() == "q":
                    break
    return steps
