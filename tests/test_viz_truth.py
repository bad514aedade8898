"""The visualizer tells the truth: the real input, labelled leaves, functional scopes folded
like modules, and gradient-flow flags an expert agrees with (each rule with a network built
to trigger it and one built not to). Snapshots: tests/snapshots/viz_truth_*.txt
(``UPDATE_SNAPSHOTS=1`` rewrites them); every DOT text is rendered by ``dot``."""

from __future__ import annotations

import math
import re

import pytest
from test_viz import assert_fits, assert_snapshot, check_dot, plain_console, terminal_text

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
import viz
from tinygrad_cnn import models, nn

KEEP: list = []  # the user's tensors stay alive, as in a training loop (scopes hold them weakly)


def lenet_loss(backward: bool = True):
    tg.manual_seed(0)
    model = models.lenet()
    x, y = tg.randn(2, 1, 28, 28), tg.Tensor([3, 7])
    KEEP[:] = [x, y]
    loss = F.cross_entropy(model(x), y)
    if backward:
        loss.backward()
    return loss


# a bias right before batch norm has a gradient that is zero but for round-off, whose digits
# depend on the BLAS build and its threads: the snapshots hold a placeholder for it
_ROUND_OFF = (  # the terminal puts the note before the norm, the DOT label after it
    re.compile(r"(redundant before BatchNorm2d[^\n]*?‖grad‖ )([0-9.e+-]+)()"),
    re.compile(r"(‖grad‖ )([0-9.e+-]+)(\\n· redundant before BatchNorm2d)"),
)


def _mask_round_off(text: str) -> str:
    for pattern in _ROUND_OFF:
        for value in pattern.findall(text):
            assert float(value[1]) < 1e-5, value  # it must still be round-off
        text = pattern.sub(r"\1<round-off>\3", text)
    return text


def test_lenet_snapshots_depths_0_1_2():
    loss = lenet_loss()
    for depth in (0, 1, 2):
        text = terminal_text(loss, depth=depth)
        assert_fits(text, 80)
        assert_snapshot(f"truth_lenet_term_depth{depth}", _mask_round_off(text))
        dot = check_dot(viz.to_dot(loss, depth=depth))
        assert_snapshot(f"truth_lenet_dot_depth{depth}", _mask_round_off(dot))


def test_lenet_real_input_and_labelled_leaves():
    g = viz.trace(lenet_loss())
    inputs = [n for n in g.nodes if n.kind == "input"]
    assert [(n.shape, n.name) for n in inputs] == [((2, 1, 28, 28), "input"), ((2,), "target")]
    # training-mode batch norm reads the batch statistics (constants it made), not the
    # running ones (it updates those in place)
    assert not [n for n in g.nodes if n.kind == "buffer"]
    made = sorted({n.made_by for n in g.nodes if n.kind == "const" and n.const is None})
    assert made == ["batch_norm", "conv2d", "cross_entropy", "dropout"]
    g1 = viz.fold(g, 1)
    conv1 = next(n for n in g1.nodes if n.name == "conv1")
    assert conv1.in_shapes == ((2, 1, 28, 28),) and conv1.shape == (2, 32, 28, 28)
    assert [n.op for n in g1.nodes if n.kind == "module"][-1] == "cross_entropy"
    modes = {n.name: n.mode for n in g1.nodes if n.kind == "module" and n.mode}
    assert modes == {"bn1": "train", "bn2": "train", "dropout": "train"}


def test_functional_scope_opens_at_a_deeper_level():
    x = tg.randn(4, 5, requires_grad=True)
    loss = F.cross_entropy(x, tg.Tensor([0, 1, 2, 3]))
    g = viz.trace(loss)
    one = viz.fold(g, 1)
    assert [n.op for n in one.nodes if n.kind == "module"] == ["cross_entropy"]
    opened = viz.fold(g, 2, collapse=False)
    assert not [n for n in opened.nodes if n.kind == "module"]
    assert tg.autograd.current_scope() == ()
    with tg.no_grad():  # nothing recorded, nothing to mark
        assert F.softmax(x, 1).op is None


def test_eval_mode_shown():
    tg.manual_seed(0)
    model = models.lenet().eval()
    out = model(tg.randn(1, 1, 28, 28))  # the input is gone: drawn from its recorded shape
    g = viz.trace(out)
    assert [n.shape for n in g.nodes if n.kind == "input"] == [(1, 1, 28, 28)]
    # eval batch norm reads arrays made from the running statistics, no recorded op reads
    # the buffers themselves
    assert {n.made_by for n in g.nodes if n.kind == "const"} == {"conv2d", "batch_norm"}
    g1 = viz.fold(g, 1)
    modes = {n.name: n.mode for n in g1.nodes if n.kind == "module" and n.mode}
    assert modes == {"bn1": "eval", "bn2": "eval"}  # dropout is the identity in eval
    check_dot(viz.to_dot(out, depth=1))


class Shifted(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("offset", tg.ones(2))

    def forward(self, x):
        return self.fc(x) + self.offset


def test_leaf_kinds_parameter_buffer_data_constant():
    model = Shifted()
    model.fc.bias.requires_grad_(False)
    x = tg.randn(4, 3)
    loss = (model(x) * 2.0).sum()
    g = viz.trace(loss)
    kinds = {n.name: n.kind for n in g.nodes if n.is_leaf and n.const is None}
    assert kinds == {"fc.weight": "param", "fc.bias": "param", "offset": "buffer", None: "input"}
    assert [n.const for n in g.nodes if n.const is not None] == ["2"]
    dot = check_dot(viz.to_dot(loss, consts=True))
    assert "buffer" in dot and "frozen" in dot


def test_nan_marked_where_born():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x - 2.0).log()  # log of 0 and of -1: born here
    loss = (y * 2.0).sum() + x.sum()
    g = viz.trace(loss)
    born = [n.op for n in g.nodes if "nan" in n.flags]
    reached = [n.op for n in g.nodes if "nan-reached" in n.flags]
    assert born == ["Log"] and reached and "Log" not in reached
    check_dot(viz.to_dot(loss))
    ok = viz.trace((x * 2.0).sum())
    assert not any(f.startswith("nan") for n in ok.nodes for f in n.flags)


def _sigmoid_mlp(layers: int):
    tg.manual_seed(0)
    mods = []
    for _ in range(layers):
        mods += [nn.Linear(16, 16), nn.Sigmoid()]
    model = nn.Sequential(*mods, nn.Linear(16, 1))
    loss = model(tg.randn(8, 16)).pow(2).mean()
    loss.backward()
    return loss, model


def test_vanishing_in_a_deep_sigmoid_mlp_not_in_a_shallow_one():
    loss, _ = _sigmoid_mlp(20)
    g = viz.trace(loss)
    flagged = [n.name for n in g.nodes if "vanishing" in n.flags]
    assert "0.weight" in flagged and "40.weight" not in flagged
    text = terminal_text(loss, depth=1)
    assert "vanishing grad" in text
    loss, _ = _sigmoid_mlp(2)
    assert not [n for n in viz.trace(loss).nodes if "vanishing" in n.flags]


def _bn_net(bias: bool = True):
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=bias),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1, bias=bias),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 10),
    )
    loss = F.cross_entropy(model(tg.randn(4, 1, 8, 8)), tg.Tensor([0, 1, 2, 3]))
    loss.backward()
    return loss


def test_bias_before_batchnorm_gets_a_note_not_an_alarm():
    g = viz.trace(_bn_net())
    for name in ("0.bias", "3.bias"):
        nd = next(n for n in g.nodes if n.name == name)
        assert nd.notes == ("redundant before BatchNorm2d",) and not nd.flags
    assert not [n for n in g.nodes if n.flags]  # a healthy BN network raises nothing
    text = terminal_text(_bn_net(), depth=1)
    assert "vanishing grad" not in text
    # the Linear's bias (no normalisation after it) gets no note
    fc = next(n for n in g.nodes if n.name == "7.bias")
    assert fc.notes == ()


def test_lenet_raises_no_vanishing_alarm():
    g = viz.trace(lenet_loss())
    assert not [n.name for n in g.nodes if "vanishing" in n.flags]


def test_saved_bytes_once_per_buffer():
    """Two ops that save one activation: the graph counts its bytes once, the ops twice."""
    tg.manual_seed(0)
    fc = nn.Linear(300, 200)
    h = fc(tg.randn(4, 300))
    a, b = tg.randn(200, 3), tg.randn(200, 5)
    out = (h @ a).sum() + (h @ b).sum()
    g = viz.trace(out)
    tape = sum(t.op.saved_nbytes for t in tg.toposort(out) if t.op is not None)
    x_bytes, h_bytes = 4 * 300 * 4, 4 * 200 * 4  # the weight is a parameter: not counted
    assert g.saved_nbytes == x_bytes + h_bytes + 4 * a.numel() + 4 * b.numel()
    assert tape == g.saved_nbytes + h_bytes
    assert math.isfinite(g.saved_nbytes)


def test_one_options_object_for_every_view(tmp_path):
    loss = lenet_loss()
    opts = viz.ViewOptions(depth=1, rankdir="LR", title="LeNet")
    dot = check_dot(viz.to_dot(loss, opts))
    assert dot == viz.to_dot(loss, depth=1, rankdir="LR", title="LeNet")  # keywords still work
    assert viz.to_dot(loss, opts, rankdir="TB") == viz.to_dot(loss, depth=1, title="LeNet")
    console = plain_console(80)
    viz.show(loss, viz.ViewOptions(depth=1), console=console)
    assert console.export_text() == terminal_text(loss, depth=1)
    view = viz.graph(loss, opts)
    assert view.to_dot() == dot
    out = viz.render(loss, tmp_path / "g.dot", opts)
    assert out.read_text(encoding="utf-8") == dot
    with pytest.raises(TypeError, match=r"viz.to_dot: unexpected keyword argument\(s\) dept"):
        viz.to_dot(loss, dept=1)
    with pytest.raises(TypeError, match="options must be a viz.ViewOptions"):
        viz.show(loss, {"depth": 1})


def test_summary_columns_and_eval_mode():
    model = models.lenet()
    model[0].requires_grad_(False)  # conv1 frozen
    s = viz.summary(model, input_shape=(2, 1, 28, 28), verbose=False, mode="eval")
    rows = {r.name: r for r in s.rows}
    assert (rows["conv1"].trainable, rows["conv1"].non_trainable, rows["conv1"].buffers) == (
        0,
        320,
        0,
    )
    assert (rows["bn1"].trainable, rows["bn1"].non_trainable, rows["bn1"].buffers) == (64, 0, 65)
    assert s.mode == "eval" and model.training  # the model's own mode is restored
    assert rows["dropout"].output_shape is None  # the identity in eval: no op ran
    text = str(s)
    assert "(eval mode)" in text and "Frozen" in text and "Buffers" in text
    assert_fits(text, 80)
    # the graph's module box counts parameters as the summary does
    loss = lenet_loss()
    bn1 = next(n for n in viz.fold(viz.trace(loss), 1).nodes if n.name == "bn1")
    assert bn1.n_params == 64
    with pytest.raises(ValueError, match="mode must be 'train' or 'eval'"):
        viz.summary(model, input_shape=(2, 1, 28, 28), verbose=False, mode="test")


def test_lesson6_batchnorm_network_raises_nothing():
    """Lesson 6's network: eight Linear → BatchNorm1d → Sigmoid layers of 64 units."""
    tg.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(8):
        layers += [nn.Linear(64, 64), nn.BatchNorm1d(64), nn.Sigmoid()]
    net = nn.Sequential(*layers, nn.Linear(64, 10))
    x = tg.rand(128, 64)
    loss = F.cross_entropy(net(x), tg.randint(0, 10, (128,)))
    loss.backward(retain_graph=True)
    g = viz.trace(loss)
    assert not [n.id for n in g.nodes if n.flags]
    noted = [n.name for n in g.nodes if n.notes == ("redundant before BatchNorm1d",)]
    assert noted == [f"{3 * k}.bias" for k in range(8)]
    text = terminal_text(loss, depth=1, collapse=False)
    assert "vanishing grad" not in text and "redundant before BatchNorm1d" in text
    check_dot(viz.to_dot(loss, depth=1))
