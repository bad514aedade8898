"""viz.explain (backward step by step) and viz.check (a gradient check of every op)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rich.console import Console

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
import viz
from tinygrad_cnn import nn


def _quiet() -> Console:
    return Console(file=open("/dev/null", "w"), width=80)  # noqa: SIM115


def test_explain_lesson_one_chain_with_a_shared_input():
    a = tg.tensor(1.0, requires_grad=True)
    b = a + a
    c = b * b
    steps = viz.explain(c, console=_quiet())
    assert [(s.name, s.op, s.inputs) for s in steps] == [
        ("c", "Mul", ("b", "b")),
        ("b", "Add", ("a", "a")),
        ("a", None, ()),
    ]
    mul, add, leaf = steps
    assert mul.values == 1.0 and mul.arrivals == 0
    assert [(s.name, s.values, s.accumulate) for s in mul.sends] == [
        ("b", 2.0, False),  # ∂c/∂b through the first input: ∂c · b = 2
        ("b", 2.0, True),  # the second input is b again: +=
    ]
    assert mul.sends[1].total == 4.0
    assert add.values == 4.0 and add.arrivals == 2  # dc/db = 2b = 4
    assert [s.values for s in add.sends] == [4.0, 4.0] and add.sends[1].total == 8.0
    assert leaf.values == 8.0 and leaf.op is None  # dc/da = 8a = 8
    assert mul.rule == "Mul: ∂a = ∂out · b,  ∂b = ∂out · a"
    assert mul.applied == "Mul: ∂b = ∂c · b,  ∂b = ∂c · b"
    assert a.grad is None and b.grad is None  # .grad untouched


def test_explain_diamond_matches_the_hand_derivative_and_backward():
    x = tg.tensor(2.0, requires_grad=True)
    y = x * 3
    z = x.exp()
    d = y * z
    steps = viz.explain(d, console=_quiet())
    by_name = {s.name: s for s in steps}
    e2 = math.exp(2.0)
    assert by_name["y"].values == pytest.approx(e2)  # ∂d/∂y = z
    assert by_name["z"].values == pytest.approx(6.0)  # ∂d/∂z = y
    assert by_name["x"].values == pytest.approx(9 * e2)  # 3e^x + 3x e^x at x = 2
    assert by_name["x"].arrivals == 2
    assert sum(s.accumulate for st in steps for s in st.sends if s.name == "x") == 1
    assert steps[-1].name == "x"  # reverse topological order ends at the leaf
    d.backward()
    assert x.grad.item() == pytest.approx(9 * e2)


def test_explain_prints_the_walk_in_80_columns():
    a = tg.tensor(1.0, requires_grad=True)
    b = a + a
    c = b * b
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    viz.explain(c, console=console)
    text = console.export_text()
    assert "step 1/3 · n2 c = Mul(b, b)" in text
    assert "→ ∂b += 2  (input b, reached again: now 4)" in text
    assert "rule  Mul: ∂a = ∂out · b" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_explain_big_tensors_show_statistics_and_generic_rules():
    x = tg.randn(4, 5, requires_grad=True)
    loss = x.erf().sum()
    steps = viz.explain(loss, console=_quiet())
    erf = next(s for s in steps if s.op == "Erf")
    assert erf.values is None and erf.grad.numel == 20
    assert erf.rule == "Erf: ∂input = ∂out · ∂Erf/∂input  (computed by Erf.backward)"
    assert erf.grad.norm == pytest.approx(math.sqrt(20))  # ∂loss/∂erf(x) = 1 everywhere
    xs = x.numpy().astype(np.float64)
    expected = np.linalg.norm(2 / math.sqrt(math.pi) * np.exp(-(xs**2)))
    assert steps[-1].name == "x" and steps[-1].grad.norm == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("name", ["lenet", "ising_cnn", "Net"])
def test_explain_has_a_rule_for_every_op_of_the_lessons_networks(name):
    """Every op a lesson's network records gets its own rule, not the generic line."""
    from tinygrad_cnn import models
    from viz.explain import RULES

    model, size = {"lenet": (models.lenet(), 28), "ising_cnn": (models.ising_cnn(8), 8)}.get(
        name, (models.Net(), 28)
    )
    loss = F.cross_entropy(model(tg.randn(2, 1, size, size)), tg.tensor([0, 1]))
    ops = {node.op.name for node in tg.toposort(loss) if getattr(node, "op", None) is not None}
    assert ops and not ops - RULES.keys()


def test_explain_interactive_waits_for_enter_and_q_stops(monkeypatch):
    a = tg.tensor(1.0, requires_grad=True)
    c = (a + a) * a
    answers = iter(["", "q"])
    asked = []

    def fake_input(prompt=""):
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", fake_input)
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    steps = viz.explain(c, interactive=True, console=console)
    assert len(asked) == 2 and len(steps) == 3  # all steps returned; printing stopped
    assert "step 3/3" not in console.export_text()


def test_explain_errors():
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.explain(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.explain(tg.ones(2).sum())
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="give gradient= of that shape"):
        viz.explain(x * 2)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"explain needs the graph's saved values"):
        viz.explain(loss, console=_quiet())
    y = x * 2
    steps = viz.explain(y, gradient=tg.tensor([1.0, 2.0, 3.0]), console=_quiet())
    assert steps[-1].values == [2.0, 4.0, 6.0]


# ----------------------------------------------------------------------------- check
class BadSquare(tg.Function):
    """x², with a backward that forgets the factor 2."""

    def forward(self, x):
        return x * x

    uses_inputs = True

    def backward(self, grad_out):
        return grad_out * self.inputs[0]


def _cnn_loss(planted: bool):
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10),
    )
    x, y = tg.randn(8, 1, 8, 8), tg.randint(0, 10, (8,))
    h = model(x)
    if planted:
        h = BadSquare.apply(h)
    return F.cross_entropy(h, y)


def test_check_finds_exactly_the_planted_wrong_backward():
    report = viz.check(_cnn_loss(planted=True))
    failed = report.failed
    assert [c.op for c in failed] == ["BadSquare"] and not report.ok
    bad = failed[0]
    assert bad.in_shapes == ((8, 10),) and bad.out_shape == (8, 10)
    assert bad.max_error > 0.1 and "gradcheck failed" in bad.detail
    ops = {c.op for c in report.nodes}
    assert {"Matmul", "BatchNorm", "Relu", "Sub", "Exp", "Log"} <= ops
    assert all(c.status in ("ok", "kink") for c in report.nodes if c is not bad)
    assert all(c.max_error < 1e-6 for c in report.nodes if c.status == "ok")
    # the graph marks that node, and only it
    marked = [nd for nd in report.graph.nodes if "bad-grad" in nd.flags]
    assert [nd.id for nd in marked] == [bad.node] and marked[0].op == "BadSquare"
    dot = report.to_dot()
    assert "wrong backward" in dot and dot.count("⚠ wrong backward") == 1
    assert "BadSquare at node" in str(report) and "has a wrong backward" in str(report)


def test_check_passes_the_same_network_without_the_planted_op():
    report = viz.check(_cnn_loss(planted=False))
    assert report.ok and report.counts().get("ok", 0) >= 15
    assert not any("bad-grad" in nd.flags for nd in report.graph.nodes)


def test_check_marks_another_trace_and_draws_red_in_the_terminal():
    loss = _cnn_loss(planted=True)
    report = viz.check(loss)
    g = report.mark(viz.trace(loss, grads=False))
    assert [nd.op for nd in g.nodes if "bad-grad" in nd.flags] == ["BadSquare"]
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    viz.show(g, console=console)
    assert "✗ wrong backward" in console.export_text()


def test_check_reports_a_freed_graph_instead_of_judging_it():
    x = tg.randn(3, requires_grad=True, dtype=tg.float64)
    loss = (x.exp() * x).sum()
    loss.backward()
    report = viz.check(loss)
    assert report.ok and {c.status for c in report.nodes} == {"skipped"}
    assert "retain_graph=True" in report.notes[0]


def test_check_steps_around_exact_zeros_and_reports_other_kinks_apart():
    x = tg.tensor([0.0, 1.0, -1.0], requires_grad=True, dtype=tg.float64)
    report = viz.check(x.relu().sum())  # ReLU at exactly 0: no derivative there
    relu = next(c for c in report.nodes if c.op == "Relu")
    assert relu.status == "ok" and "exact zeros" in relu.detail
    tie = tg.ones(1, 1, 2, 2, dtype=tg.float64, requires_grad=True)
    report = viz.check(F.max_pool2d(tie * 1, 2).sum())  # a four-way tie at 1
    pool = next(c for c in report.nodes if c.op == "MaxPool2d")
    assert pool.status == "kink" and report.ok and "kink" in report.summary()


def test_check_finds_no_false_failure_in_lenet():
    tg.manual_seed(1)
    model = tg.models.lenet(image_size=8)
    loss = F.cross_entropy(model(tg.rand(4, 1, 8, 8)), tg.randint(0, 10, (4,)))
    report = viz.check(loss)
    assert report.counts() == {"ok": len(report.nodes)}
    assert {"MaxPool2d", "BatchNorm", "Relu", "Matmul"} <= {c.op for c in report.nodes}
