"""Tests of the graph visualizer: trace data, DOT text, terminal drawing, rendering.

Snapshot tests compare against tests/snapshots/viz_*.txt; after an intended change, run
``UPDATE_SNAPSHOTS=1 pytest tests/test_viz.py`` and review the diff of the snapshot files.
Every DOT text made here is also run through Graphviz's ``dot`` where it is installed.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import tinygrad_cnn as tg
import viz
from tinygrad_cnn import nn

SNAPSHOTS = Path(__file__).parent / "snapshots"
HAS_DOT = shutil.which("dot") is not None


# ---------------------------------------------------------------------------- helpers


def assert_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with tests/snapshots/viz_<name>.txt (UPDATE_SNAPSHOTS=1 rewrites)."""
    path = SNAPSHOTS / f"viz_{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"snapshot {path.name} is missing; run with UPDATE_SNAPSHOTS=1 to create it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "expected", "actual", lineterm=""
            )
        )
        pytest.fail(f"{path.name} differs (UPDATE_SNAPSHOTS=1 to accept):\n{diff}")


def check_dot(text: str) -> str:
    """``dot`` must render the text without an error (skipped where dot is missing)."""
    assert text.startswith("digraph G {") and text.rstrip().endswith("}")
    if HAS_DOT:
        run = subprocess.run(["dot", "-Tsvg"], input=text.encode(), capture_output=True, timeout=60)
        assert run.returncode == 0, run.stderr.decode()
        assert b"<svg" in run.stdout
    return text


def plain_console(width: int = 80) -> Console:
    return Console(record=True, width=width, color_system=None, force_terminal=False)


def terminal_text(x, width: int = 80, **options) -> str:
    console = plain_console(width)
    viz.show(x, console=console, **options)
    return console.export_text()


def assert_fits(text: str, width: int) -> None:
    from rich.cells import cell_len

    too_long = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_long, f"{len(too_long)} lines wider than {width}: {too_long[:3]}"


def tiny():
    """relu(x @ w + b) used twice; exact inputs so every printed number is reproducible."""
    x = tg.Tensor([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    w = tg.Tensor([[0.5, -1.0], [0.25, 0.5], [-1.0, 2.0]], requires_grad=True)
    w.name = "fc.weight"
    b = tg.Tensor([0.5, -0.5], requires_grad=True)
    b.name = "fc.bias"
    h = (x @ w + b).relu()  # [[0, 0], [1.75, 0]]
    loss = (h * 2.0 + h.exp()).sum()
    return loss, x, w, b, h


def exact(module: nn.Module) -> nn.Module:
    """Replace random initial values by fixed ones, so printed numbers are reproducible."""
    for _, p in module.named_parameters():
        p._data[...] = np.linspace(-1, 1, p.numel(), dtype=np.float32).reshape(p.shape)
    return module


def mlp():
    model = exact(
        nn.Sequential(
            nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU()
        )
    )
    x = tg.Tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32))
    return model, x


# ---------------------------------------------------------------------------- trace


def test_trace_ids_are_topological_and_deterministic():
    loss = tiny()[0]
    g1, g2 = viz.trace(loss), viz.trace(loss)
    assert [n.id for n in g1.nodes] == [f"n{i}" for i in range(len(g1.nodes))]
    assert all(e.src < e.dst for e in g1.edges)
    assert [(n.id, n.label, n.shape) for n in g1.nodes] == [
        (n.id, n.label, n.shape) for n in g2.nodes
    ]
    assert g1.roots == [len(g1.nodes) - 1]
    # public API only: the same order as tg.toposort
    assert [n.shape for n in g1.nodes] == [t.shape for t in tg.toposort(loss)]


def test_trace_nodes_carry_op_shape_dtype_names_and_kinds():
    loss, x, w, b, h = tiny()
    g = viz.trace(loss)
    by_label = {n.label: n for n in g.nodes}
    assert by_label["fc.weight"].kind == "param" and by_label["fc.weight"].shape == (3, 2)
    assert by_label["Matmul"].kind == "op" and by_label["Matmul"].dtype == "float32"
    assert by_label["input"].kind == "input"
    assert [n.const for n in g.nodes if n.kind == "const"] == ["2"]
    relu = by_label["Relu"]
    assert relu.saved_nbytes == h.op.saved_nbytes
    # the ReLU output is measured even without values=True (dead-unit check)
    assert relu.value.zero_frac == 0.75 and relu.value.dead_frac == 0.5


def test_shared_node_appears_once_with_two_consumers():
    loss, *_ = tiny()
    g = viz.inline_consts(viz.trace(loss))
    relu = next(n for n in g.nodes if n.op == "Relu")
    assert [g.nodes[c].label for c in g.consumers(relu.index)] == ["Mul", "Exp"]
    assert sum(1 for n in g.nodes if n.op == "Relu") == 1


def test_tensor_without_grad_is_a_one_node_graph():
    t = tg.Tensor([1.0, 2.0, 3.0])
    g = viz.trace(t)
    assert len(g.nodes) == 1 and g.edges == [] and g.nodes[0].kind == "input"
    assert "n0 input 3 f32" in terminal_text(t, layout="lanes")
    assert "graph: 1 node (1 input)" in terminal_text(t)
    check_dot(viz.to_dot(t))
    # a 0-d constant alone stays visible rather than being folded into a label
    assert "const 5" in check_dot(viz.to_dot(tg.Tensor(5.0)))


def test_no_gradients_yet():
    loss, *_ = tiny()
    g = viz.trace(loss)
    assert g.grads == "none" and all(n.grad is None for n in g.nodes)
    assert "grad" not in terminal_text(loss, layout="lanes")
    forced = terminal_text(loss, layout="lanes", show_grads=True)
    assert "‖grad‖ 1.0e+00" in forced  # the root's own gradient
    # asking for gradients before backward computes them through the live graph, leaves too
    early = viz.trace(loss, grads=True)
    assert early.grads == "all" and early.flagged() == {}
    assert next(n for n in early.nodes if n.name == "fc.weight").grad.norm > 0


def test_intermediate_gradients_when_graph_retained():
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 3.0
    loss = y.sum()
    loss.backward(retain_graph=True)
    g = viz.trace(loss)
    assert g.grads == "all"
    mul = next(n for n in g.nodes if n.op == "Mul")
    assert mul.grad.norm == pytest.approx(2.0)  # ones(2, 2): sqrt(4)
    leaf = next(n for n in g.nodes if n.kind == "param")
    assert leaf.grad.norm == pytest.approx(6.0)  # 3 * ones(2, 2)
    assert x.grad.numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]  # trace left .grad alone


def test_freed_graph_shows_leaf_gradients_with_a_note():
    loss, x, w, b, h = tiny()
    loss.backward()
    g = viz.trace(loss)
    assert g.grads == "leaves"
    assert any("retain_graph=True" in note for note in g.notes)
    assert next(n for n in g.nodes if n.name == "fc.weight").grad is not None
    assert next(n for n in g.nodes if n.op == "Matmul").grad is None
    assert "gradients of leaves only" in terminal_text(loss)


def flag_graph():
    """Every flag once: dead ReLU (and the zero gradient behind it), NaN, vanishing,
    exploding, and a parameter that got no gradient."""
    x = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    w = tg.Tensor([[1.0], [1.0]], requires_grad=True)
    w.name = "dead.weight"
    dead = (x @ (w * -1.0)).relu()  # all outputs zero
    p = tg.Tensor([0.5, 2.0], requires_grad=True)
    p.name = "small"
    q = tg.Tensor([1.0, 1.0], requires_grad=True)
    q.name = "big"
    r = tg.Tensor([-1.0], requires_grad=True)
    r.name = "neg"
    with np.errstate(invalid="ignore"):  # log(-1) is the NaN we want
        loss = dead.sum() + (p * 1e-9).sum() + (q * 1e6).sum() + r.log().sum()
        loss.backward(retain_graph=True)
    unused = tg.Tensor([1.0], requires_grad=True)
    unused.name = "unused"
    return loss + (unused * 0.0).sum()  # traced after backward: unused has no .grad


def test_flags():
    g = viz.trace(flag_graph())
    flags = {n.label: set(n.flags) for n in g.nodes}
    assert "dead-relu" in flags["Relu"]
    assert "zero-grad" in flags["dead.weight"]
    assert "vanishing" in flags["small"]
    assert "exploding" in flags["big"]
    assert "nan" in flags["Log"]
    assert flags["unused"] == {"no-grad"}
    assert set(g.flagged()) == set(viz.FLAGS) - {"bad-grad"}  # that one comes from viz.check


def test_model_parameters_missing_from_the_graph():
    model = exact(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)))
    x = tg.Tensor(np.ones((1, 3), dtype=np.float32))
    loss = model[1](model[0](x)).sum()  # the last layer was forgotten
    loss.backward()
    g = viz.trace(loss, model=model)
    assert g.unused == ["2.weight", "2.bias"]
    text = terminal_text(g)
    assert "✗ no grad ×2 (not in the graph): 2.weight, 2.bias" in text
    assert "no grad (not in the graph): 2.weight, 2.bias" in check_dot(viz.to_dot(g))
    # bare parameters are named by Tensor.name, else by position; never-called layers have
    # no names yet
    assert viz.trace(loss, model=model.parameters()).unused == ["param2", "param3"]


def test_tensor_stats():
    s = viz.tensor_stats(np.array([[3.0, 0.0], [0.0, -4.0]]))
    assert (s.norm, s.mean, s.min, s.max, s.zero_frac) == (5.0, -0.25, -4.0, 3.0, 0.5)
    assert s.std == pytest.approx(np.std([3.0, 0.0, 0.0, -4.0]))
    bad = viz.tensor_stats(np.array([1.0, np.nan, np.inf]))
    assert (bad.nan, bad.inf, bad.finite) == (1, 1, False) and bad.max == 1.0


# ---------------------------------------------------------------------------- DOT


def test_dot_snapshot_forward():
    loss, *_ = tiny()
    assert_snapshot("dot_tiny", check_dot(viz.to_dot(loss)))


def test_dot_snapshot_gradients():
    loss, *_ = tiny()
    loss.backward(retain_graph=True)
    text = check_dot(viz.to_dot(loss, show_grads=True, show_saved=True, show_values=True))
    assert_snapshot("dot_tiny_grads", text)


def test_dot_flags_are_marked():
    text = check_dot(viz.to_dot(flag_graph()))
    for words in ("dead ReLU", "NaN/Inf", "vanishing grad", "exploding grad", "no grad"):
        assert f"⚠ {words}" in text
    assert 'color="#d62728"' in text  # severe flags get a red border


def test_dot_escapes_labels():
    t = tg.Tensor([1.0], requires_grad=True)
    t.name = 'odd "name" \\ with\nnewline {x} <y>'
    y = (t * 2.0).sum()
    text = check_dot(viz.to_dot(y))
    assert r"odd \"name\" \\ with\nnewline {x} <y>" in text
    assert viz.dot_escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


def test_dot_constants_as_nodes_on_request():
    loss, *_ = tiny()
    assert "Mul(·, 2)" in viz.to_dot(loss)
    text = check_dot(viz.to_dot(loss, consts=True))
    assert "const 2" in text and "Mul(·, 2)" not in text


# ---------------------------------------------------------------------------- terminal


def test_terminal_snapshot_lanes_with_gradients():
    loss, *_ = tiny()
    loss.backward(retain_graph=True)
    text = terminal_text(loss, layout="lanes", show_saved=True)
    assert_fits(text, 80)
    assert_snapshot("term_tiny_lanes", text)


def test_terminal_snapshot_boxes():
    loss, *_ = tiny()
    text = terminal_text(loss)  # small graph: boxes by default
    assert "╭─ n2 " in text
    assert_fits(text, 80)
    assert_snapshot("term_tiny_boxes", text)


def test_terminal_snapshot_narrow_with_values():
    loss, *_ = tiny()
    loss.backward(retain_graph=True)
    text = terminal_text(loss, width=40, layout="lanes", show_values=True)
    assert_fits(text, 40)
    assert_snapshot("term_tiny_w40", text)
    assert_fits(terminal_text(loss, width=40, layout="boxes"), 40)


def test_terminal_snapshot_flags():
    text = terminal_text(flag_graph(), layout="lanes")
    assert_fits(text, 80)
    assert_snapshot("term_flags", text)
    for words in ("✗ dead ReLU", "✗ NaN/Inf", "! vanishing grad", "✗ exploding grad"):
        assert words in text


def test_terminal_colour_and_no_color(monkeypatch):
    loss, *_ = tiny()
    loss.backward(retain_graph=True)

    def colour_console(buf):
        return Console(file=buf, width=80, force_terminal=True, color_system="truecolor")

    buf = io.StringIO()
    viz.show(loss, console=colour_console(buf))
    assert "\x1b[38;2;" in buf.getvalue()  # gradient colours
    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    viz.show(loss, console=colour_console(buf))
    out = buf.getvalue()
    assert "\x1b[38;" not in out and "‖grad‖" in out


def test_terminal_to_a_file_is_plain(tmp_path):
    loss, *_ = tiny()
    with open(tmp_path / "out.txt", "w", encoding="utf-8") as f:
        viz.show(loss, console=Console(file=f, width=80))
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text and "Matmul" in text


def branchy(n_blocks: int):
    """Residual-style blocks with shared inputs: many lanes, many rows."""
    x = tg.Tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4), requires_grad=True)
    x.name = "x"
    h = x
    for k in range(n_blocks):
        a = (h * 0.5).tanh()
        b = h.sigmoid() * a
        h = h + b + (x if k % 3 == 0 else a)
    return h.sum()


def test_large_graph_fits_80_columns_and_references_far_inputs():
    y = branchy(90)  # ~630 nodes
    g = viz.trace(y)
    assert len(g.nodes) > 500
    text = terminal_text(y)
    assert_fits(text, 80)
    lines = text.splitlines()
    assert len(lines) >= len(viz.inline_consts(g).nodes)  # one row per node
    assert re.search(r"← n0\b", text)  # x is read far below where it was made
    assert_fits(terminal_text(y, width=40), 40)


def test_ten_thousand_nodes_without_recursion_errors():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    h = x
    for _ in range(5000):
        h = h.tanh() + x
    y = h.sum()
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(400)  # a recursive walk would fail long before 10,000 nodes
    try:
        g = viz.trace(y)
        dot = viz.to_dot(g)
        buf = io.StringIO()
        viz.show(g, console=Console(file=buf, width=80, color_system=None))
    finally:
        sys.setrecursionlimit(old)
    assert len(g.nodes) > 10_000
    assert dot.count(" -> ") == len(g.edges)
    assert buf.getvalue().count("\n") > 10_000


# ---------------------------------------------------------------------------- modules


def test_module_calls_and_names():
    model, x = mlp()
    g = viz.trace(model(x).sum())
    names = {m.name: m.type for m in g.modules.values()}
    assert names == {
        "": "Sequential",
        "0": "Linear",
        "1": "ReLU",
        "2": "Linear",
        "3": "ReLU",
        "4": "Linear",
        "5": "ReLU",
    }
    linears = [n for n in g.nodes if n.op == "Linear"]  # F.linear is one op, as in PyTorch
    assert [g.call_label(n.calls[-1]) for n in linears] == [
        "0 (Linear)",
        "2 (Linear)",
        "4 (Linear)",
    ]
    # parameters sit in the call that uses them; the input stays outside
    weight = next(n for n in g.nodes if n.name == "2.weight")
    assert g.call_label(weight.calls[-1]) == "2 (Linear)"
    assert next(n for n in g.nodes if n.kind == "input").calls == ()


def test_fold_depth_and_collapse():
    model, x = mlp()
    y = model(x).sum()
    g1 = viz.fold(viz.trace(y), 1, collapse=False)
    mods = [n for n in g1.nodes if n.kind == "module"]
    assert [f"{n.op} {n.name}" for n in mods] == [
        "Linear 0",
        "ReLU 1",
        "Linear 2",
        "ReLU 3",
        "Linear 4",
        "ReLU 5",
    ]
    assert mods[0].in_shapes == ((2, 3),) and mods[0].shape == (2, 4)
    assert mods[0].n_params == 3 * 4 + 4
    g1c = viz.fold(viz.trace(y), 1)
    rep = [n for n in g1c.nodes if n.kind == "repeat"]
    assert len(rep) == 1 and rep[0].repeat == 2 and rep[0].block == ("Linear", "ReLU")
    assert rep[0].n_params == 2 * (4 * 4 + 4)
    g0 = viz.fold(viz.trace(y), 0)
    assert [n.label for n in g0.nodes if n.kind == "module"] == ["Sequential"]


def test_shared_module_called_twice_gives_two_calls():
    relu = nn.ReLU()
    lin = exact(nn.Linear(2, 2))
    x = tg.Tensor([[1.0, -1.0]], requires_grad=True)
    y = relu(lin(relu(x * 2.0))).sum()
    g = viz.trace(y)
    relu_calls = [c for c in g.calls.values() if g.modules[c.module].type == "ReLU"]
    assert len(relu_calls) == 2
    folded = viz.fold(g, 0, collapse=False)
    assert [n.label for n in folded.nodes if n.kind != "const"] == [
        "param",
        "Mul",
        "ReLU",
        "Linear",
        "ReLU",
        "Sum",
    ]
    check_dot(viz.to_dot(folded))


def test_modules_snapshots():
    model, x = mlp()
    y = (model(x) ** 2).mean()
    y.backward(retain_graph=True)
    dot = check_dot(viz.to_dot(y))
    assert dot.count("subgraph cluster_") == 7
    assert_snapshot("dot_modules", dot)
    assert_snapshot("dot_modules_depth1", check_dot(viz.to_dot(y, depth=1)))
    text = terminal_text(y, depth=1)
    assert "Linear → ReLU × 2" in text
    assert_fits(text, 80)
    assert_snapshot("term_modules_depth1", text)


# ---------------------------------------------------------------------------- render


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_formats(tmp_path, fmt):
    loss, *_ = tiny()
    out = viz.render(loss, tmp_path / f"graph.{fmt}")
    assert out == tmp_path / f"graph.{fmt}"
    head = out.read_bytes()[:8]
    assert {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[fmt] in head


def test_render_dot_suffix_writes_text(tmp_path):
    loss, *_ = tiny()
    out = viz.render(loss, tmp_path / "graph.dot")
    assert out.read_text(encoding="utf-8") == viz.to_dot(loss)


def test_render_without_dot_program(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no 'dot' to be found
    loss, *_ = tiny()
    out = viz.render(loss, tmp_path / "graph.svg")
    assert out == tmp_path / "graph.dot"
    assert out.read_text(encoding="utf-8") == viz.to_dot(loss)
    assert not (tmp_path / "graph.svg").exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert "graph.dot" in err
    assert viz.dot_available() is False
    view = viz.graph(loss)
    assert view._repr_svg_() is None
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"} and "Matmul" in bundle["text/plain"]


def test_render_when_graphviz_raises_executable_not_found(tmp_path, monkeypatch, capsys):
    graphviz = pytest.importorskip("graphviz")

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    monkeypatch.setattr(graphviz.Source, "pipe", missing)
    out = viz.render(tg.Tensor([1.0]), tmp_path / "g.png")
    assert out.suffix == ".dot" and out.exists()
    assert "install graphviz" in capsys.readouterr().err


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_graph_view_in_notebooks():
    loss, *_ = tiny()
    view = viz.graph(loss, depth=None)
    svg = view._repr_svg_()
    assert svg is not None and "<svg" in svg
    bundle = view._repr_mimebundle_()
    assert {"image/svg+xml", "text/plain"} <= set(bundle)
    assert "<svg" in (viz.graph(viz.trace(loss))._repr_svg_() or "")


# ---------------------------------------------------------------------------- a real CNN


def lenet_loss(backward: bool):
    from tinygrad_cnn import functional as F
    from tinygrad_cnn.models import lenet

    tg.manual_seed(0)
    model = lenet(image_size=8)
    x = tg.Tensor(np.linspace(-1, 1, 2 * 64, dtype=np.float32).reshape(2, 1, 8, 8))
    loss = F.cross_entropy(model(x), tg.Tensor([3, 7]))
    if backward:
        loss.backward(retain_graph=True)
    return loss


def test_lenet_forward_graph_snapshot():
    loss = lenet_loss(backward=False)
    text = terminal_text(loss, depth=1)
    for layer in ("Conv2d conv1", "BatchNorm2d bn1", "MaxPool2d pool2", "Linear fc2"):
        assert layer in text
    assert_fits(text, 80)
    # one row per layer, in order (no snapshot: the core's op decomposition may change)
    rows = [line.split()[2] for line in text.splitlines() if line.startswith("■")]
    assert rows[:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert len(rows) == 14 and rows[-1] == "cross_entropy"  # the loss is one box
    dot = check_dot(viz.to_dot(loss, depth=1))
    assert "Conv2d conv1" in dot and "cluster_c0" in dot


def test_lenet_with_gradients_every_view():
    loss = lenet_loss(backward=True)
    g = viz.trace(loss)
    assert g.grads == "all"
    weights = [n for n in g.nodes if n.name and n.name.endswith(".weight")]
    assert len(weights) == 6 and all(n.grad is not None for n in weights)
    for width in (80, 40):
        assert_fits(terminal_text(g, width=width), width)
        assert_fits(terminal_text(g, width=width, depth=1, show_values=True), width)
    check_dot(viz.to_dot(g, show_values=True, show_saved=True))
    check_dot(viz.to_dot(g, depth=1))


# ---------------------------------------------------------------------------- boundaries


def test_viz_reads_only_public_names_of_the_framework():
    private = ("._saved", "._output", "._parameters", "._buffers", "._modules", "._state")
    for path in Path(viz.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"from tinygrad_cnn[\w.]* import [^\n]*\b_\w", source), path
        for name in private:
            assert name not in source, (path.name, name)


def test_the_framework_does_not_import_rich_or_graphviz():
    code = (
        "import sys, tinygrad_cnn, tinygrad_cnn.nn, tinygrad_cnn.functional;"
        "bad = [m for m in ('rich', 'graphviz', 'viz') if m in sys.modules];"
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode()


def test_graph_and_view_methods(tmp_path):
    loss, *_ = tiny()
    g = viz.trace(loss)
    console = plain_console()  # the Graph is data; the renderers draw it
    viz.show(g, console=console, layout="lanes")
    assert "Matmul" in console.export_text()
    view = viz.graph(loss, depth=None, show_saved=True, layout="lanes")
    assert "saved 4 B" in view.text() and view.to_dot() == viz.to_dot(view.graph, show_saved=True)
    console = plain_console()
    console.print(view)  # rich renderable
    assert "Relu" in console.export_text()
    out = view.render(tmp_path / "g.dot")
    assert out.read_text(encoding="utf-8").startswith("digraph")
    assert "n2" in repr(g.node("n2")) and g.node(2).id == "n2"
    with pytest.raises(KeyError):
        g.node("n999")
