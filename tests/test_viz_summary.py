"""viz.summary checked against figures computed by hand for a LeNet."""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

import tinygrad_cnn as tg
import viz
from tinygrad_cnn import nn
from tinygrad_cnn.random import default_rng

SNAPSHOT = Path(__file__).parent / "snapshots" / "viz_summary_lenet.txt"


def lenet() -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            features=nn.Sequential(
                OrderedDict(
                    conv1=nn.Conv2d(1, 6, 5),  # 28 -> 24
                    bn1=nn.BatchNorm2d(6),
                    relu1=nn.ReLU(),
                    pool1=nn.MaxPool2d(2),  # 24 -> 12
                    conv2=nn.Conv2d(6, 16, 5),  # 12 -> 8
                    relu2=nn.ReLU(),
                    pool2=nn.MaxPool2d(2),  # 8 -> 4
                )
            ),
            flatten=nn.Flatten(),
            fc1=nn.Linear(16 * 4 * 4, 120),
            relu3=nn.ReLU(),
            fc2=nn.Linear(120, 84),
            relu4=nn.ReLU(),
            fc3=nn.Linear(84, 10),
        )
    )


def conv_mult_adds(N, OC, OH, OW, IC, KH, KW, groups=1):
    return N * OC * OH * OW * (IC // groups * KH * KW)


def linear_mult_adds(N, n_in, n_out):
    return N * n_in * n_out


def quiet_summary(model, *args, **kwargs):
    return viz.summary(model, *args, verbose=False, **kwargs)


def test_lenet_figures_by_hand():
    N = 2
    s = quiet_summary(lenet(), input_shape=(N, 1, 28, 28), depth=2)
    rows = {r.name: r for r in s.rows}
    assert list(rows) == [
        "features",
        "features.conv1",
        "features.bn1",
        "features.relu1",
        "features.pool1",
        "features.conv2",
        "features.relu2",
        "features.pool2",
        "flatten",
        "fc1",
        "relu3",
        "fc2",
        "relu4",
        "fc3",
    ]
    shapes = {
        "features.conv1": (N, 6, 24, 24),
        "features.bn1": (N, 6, 24, 24),
        "features.pool1": (N, 6, 12, 12),
        "features.conv2": (N, 16, 8, 8),
        "features": (N, 16, 4, 4),
        "flatten": (N, 256),
        "fc1": (N, 120),
        "fc2": (N, 84),
        "fc3": (N, 10),
    }
    for name, shape in shapes.items():
        assert rows[name].output_shape == shape, name
    # parameters: conv OC*IC*KH*KW + OC; linear in*out + out; batchnorm weight+bias
    # trainable, running_mean + running_var + num_batches_tracked not
    conv1, conv2 = 6 * 1 * 5 * 5 + 6, 16 * 6 * 5 * 5 + 16
    fc1, fc2, fc3 = 256 * 120 + 120, 120 * 84 + 84, 84 * 10 + 10
    assert (rows["features.conv1"].trainable, rows["features.conv1"].non_trainable) == (156, 0)
    assert conv1 == 156 and conv2 == 2416
    bn1 = rows["features.bn1"]
    assert (bn1.trainable, bn1.non_trainable, bn1.buffers) == (12, 0, 13)
    assert rows["features"].trainable == conv1 + 12 + conv2
    assert (rows["fc1"].trainable, rows["fc2"].trainable, rows["fc3"].trainable) == (
        fc1,
        fc2,
        fc3,
    )
    assert s.trainable == conv1 + 12 + conv2 + fc1 + fc2 + fc3 == 44_438
    assert (s.non_trainable, s.buffers) == (0, 13)
    # mult-adds: conv N*OC*OH*OW*(IC/groups*KH*KW), linear N*in*out, everything else 0
    ma_conv1 = conv_mult_adds(N, 6, 24, 24, 1, 5, 5)  # 172,800
    ma_conv2 = conv_mult_adds(N, 16, 8, 8, 6, 5, 5)  # 307,200
    assert rows["features.conv1"].mult_adds == ma_conv1 == 172_800
    assert rows["features.conv2"].mult_adds == ma_conv2 == 307_200
    assert rows["features"].mult_adds == ma_conv1 + ma_conv2
    assert rows["fc1"].mult_adds == linear_mult_adds(N, 256, 120) == 61_440
    assert rows["fc2"].mult_adds == linear_mult_adds(N, 120, 84)
    assert rows["fc3"].mult_adds == linear_mult_adds(N, 84, 10)
    for name in ("features.bn1", "features.relu1", "features.pool1", "flatten", "relu3"):
        assert rows[name].mult_adds == 0, name
    assert s.mult_adds == 172_800 + 307_200 + 61_440 + 20_160 + 1_680 == 563_280
    # memory
    n_values = 44_438 + 6 + 6  # float32 parameters and running statistics
    assert s.param_nbytes == 4 * n_values + 8  # + the int64 batch counter
    assert s.input_nbytes == 4 * N * 28 * 28


def test_saved_bytes_match_the_tape():
    """Saved bytes per layer: at most the sum of Function.saved_nbytes of the ops run inside
    it (read here straight from the tape), each buffer counted once and views of parameters
    (Linear's transposed weight) not at all."""
    model = lenet()
    s = quiet_summary(model, input_shape=(2, 1, 28, 28), depth=2)
    model.train()
    out = model(tg.zeros((2, 1, 28, 28)))
    ops = [t.op for t in tg.toposort(out) if t.op is not None]
    for name, module in model.named_modules():
        if not name:
            continue
        expected = sum(op.saved_nbytes for op in ops if any(m is module for m in op.scope))
        row = next(r for r in s.rows if r.name == name)
        assert row.saved_nbytes <= expected, name
    assert 0 < s.saved_nbytes < sum(op.saved_nbytes for op in ops)
    fc1 = next(r for r in s.rows if r.name.endswith("fc1"))
    assert 0 < fc1.saved_nbytes < 4 * fc1.trainable  # its input, not its own weight again
    relu1 = next(r for r in s.rows if r.name == "features.relu1")
    assert relu1.saved_nbytes > 0


def test_summary_restores_mode_buffers_and_random_state():
    model = lenet()
    model.eval()
    bn = model.features.bn1
    before = {k: v._data.copy() for k, v in model.named_buffers()}
    state = default_rng().bit_generator.state
    quiet_summary(model, input_shape=(4, 1, 28, 28))
    assert all(not m.training for m in model.modules())
    for k, v in model.named_buffers():
        np.testing.assert_array_equal(v._data, before[k])
    assert int(bn.num_batches_tracked.item()) == 0
    assert default_rng().bit_generator.state == state
    model.train()
    quiet_summary(model, input_shape=(4, 1, 28, 28))
    assert all(m.training for m in model.modules())


def test_depth_input_tensor_and_table():
    model = lenet()
    x = tg.zeros((1, 1, 28, 28))
    s = quiet_summary(model, x, depth=1)  # a tensor where the shape goes (as the CLI does)
    assert [r.name for r in s.rows][:2] == ["features", "flatten"]
    assert all(r.depth == 1 for r in s.rows)
    assert s.input_shapes == [(1, 1, 28, 28)] and s.output_shapes == [(1, 10)]
    text = str(s)
    assert all(cell_len(line) <= 80 for line in text.splitlines())
    assert "44,438" in text and "buffers 13" in text  # parameters; buffers apart
    assert "563,280" not in text  # batch 1: mult-adds halve
    assert f"{563_280 // 2:,}" in text
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


def test_prints_to_console_and_counts_repeated_calls():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(self.act(self.fc(x))))

    console = Console(record=True, width=80, color_system=None, force_terminal=False)
    s = viz.summary(Twice(), input_shape=(3, 4), console=console)
    text = console.export_text()
    assert "fc (Linear) ×2" in text and "act (ReLU) ×2" in text
    fc = next(r for r in s.rows if r.name == "fc")
    assert fc.calls == 2 and fc.mult_adds == 2 * linear_mult_adds(3, 4, 4)
    assert fc.trainable == 20  # counted once however often it runs


def test_frozen_parameters_are_non_trainable():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model[0].requires_grad_(False)
    s = quiet_summary(model, input_shape=(1, 3))
    assert (s.trainable, s.non_trainable) == (3, 8)


def test_errors():
    with pytest.raises(ValueError, match="input_shape"):
        quiet_summary(lenet())
    with pytest.raises(Exception, match="shape"):
        quiet_summary(lenet(), input_shape=(1, 3, 28, 28))  # wrong channel count


def test_mult_adds_of_grouped_conv():
    conv = nn.Conv2d(4, 8, 3, padding=1, groups=2)
    s = quiet_summary(nn.Sequential(conv), input_shape=(2, 4, 6, 6))
    assert s.mult_adds == conv_mult_adds(2, 8, 6, 6, 4, 3, 3, groups=2)
    assert math.prod(conv.weight.shape) == 8 * 2 * 3 * 3
