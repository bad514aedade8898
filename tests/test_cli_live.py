"""``train --live``: the dashboard's numbers (gradient norms, update ratios, dead ReLUs, the
visualizer's flags), its drawing at two terminal sizes, and a real run under a pseudo-terminal."""

from __future__ import annotations

import io
import math
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import SMALL, cli_env, run
from rich.console import Console

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import optim
from tinygrad_cnn.cli import health
from tinygrad_cnn.cli.display import Dashboard
from tinygrad_cnn.cli.health import GradientProbe, LayerHealth, flag_layers


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


def test_the_thresholds_are_the_visualizers() -> None:
    viz_options = pytest.importorskip("viz.options")
    viz_trace = pytest.importorskip("viz.trace")
    assert health.EXPLODE == viz_options.ViewOptions().explode
    assert health.RELATIVE_VANISH == viz_trace.RELATIVE_VANISH


def test_flags_follow_the_visualizers_rules() -> None:
    layers = [
        LayerHealth("a", "Linear", grad_norm=1.0, weight_norm=1.0),
        LayerHealth("b", "Linear", grad_norm=2.0, weight_norm=1.0),
        LayerHealth("c", "Linear", grad_norm=1e-5, weight_norm=1.0),  # 1e-5 < 1e-3 × median
        LayerHealth("d", "Linear", grad_norm=5e3, weight_norm=1.0),
        LayerHealth("e", "Linear", grad_norm=math.nan, weight_norm=1.0),
        LayerHealth("r", "ReLU", dead_frac=1.0),
        LayerHealth("s", "ReLU", dead_frac=0.4),
    ]
    flag_layers(layers)
    assert [lh.flags for lh in layers] == [
        [],
        [],
        ["vanishing"],
        ["exploding"],
        ["nan"],
        ["dead ReLU"],
        [],
    ]


def _one_step(model, probe: GradientProbe, x: tg.Tensor, y: tg.Tensor, opt) -> list:
    probe.arm()
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    probe.before_step()
    opt.step()
    return probe.after_step()


def test_the_probe_measures_what_it_says() -> None:
    tg.manual_seed(0)
    model = tg.models.lenet(image_size=8)
    opt = optim.SGD(model.parameters(), lr=0.1)
    probe = GradientProbe(model)
    x, y = tg.randn(16, 1, 8, 8), tg.Tensor(np.arange(16) % 10)
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    reference = {}

    def dead_units(module, args, output):
        reference["relu3"] = float((output.numpy() == 0).all(axis=0).mean())

    handle = model.relu3.register_forward_hook(dead_units)
    layers = _one_step(model, probe, x, y, opt)
    handle.remove()
    names = [lh.name for lh in layers]
    assert names == ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "fc1", "relu3", "fc2"]
    fc2 = layers[names.index("fc2")]
    w, b = model.fc2.weight, model.fc2.bias
    grad = math.sqrt(float((w.grad.numpy() ** 2).sum() + (b.grad.numpy() ** 2).sum()))
    assert fc2.grad_norm == pytest.approx(grad, rel=1e-6)
    step = np.concatenate(
        [(p.numpy() - before[f"fc2.{k}"]).ravel() for k, p in (("weight", w), ("bias", b))]
    )
    now = np.concatenate([w.numpy().ravel(), b.numpy().ravel()])
    assert fc2.update_ratio == pytest.approx(np.linalg.norm(step) / np.linalg.norm(now), rel=1e-5)
    # the dead fraction of relu3, measured independently on the same forward pass
    assert layers[names.index("relu3")].dead_frac == pytest.approx(reference["relu3"])
    # unarmed, the ReLUs record nothing
    probe._dead.clear()
    F.cross_entropy(model(x), y).backward()
    assert probe._dead == {}


def test_a_dead_relu_is_flagged() -> None:
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.ReLU(), tg.nn.Linear(8, 2))
    with tg.no_grad():
        model[0].bias.fill_(-100.0)  # every unit off for every input
    probe = GradientProbe(model)
    layers = _one_step(
        model,
        probe,
        tg.randn(8, 4),
        tg.Tensor(np.arange(8) % 2),
        optim.SGD(model.parameters(), lr=0.1),
    )
    relu = next(lh for lh in layers if lh.kind == "ReLU")
    assert relu.dead_frac == 1.0 and "dead ReLU" in relu.flags
    assert "zero grad" in next(lh for lh in layers if lh.name == "0").flags


def _dashboard() -> Dashboard:
    tg.manual_seed(0)
    model = tg.models.lenet(image_size=8)
    settings = {
        "dataset": "digits",
        "model": "lenet",
        "optimizer": "sgd",
        "batch_size": 16,
        "lr": 0.1,
        "scheduler": "step",
    }
    history: list = []
    board = Dashboard(model, history, settings)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.randn(16, 1, 8, 8), tg.Tensor(np.arange(16) % 10)
    for epoch in (1, 2):
        board.start_epoch(epoch, 3, 4)
        for step in range(1, 5):
            layers = _one_step(model, board.probe, x, y, opt)
            board.layers(layers)
            board.step(epoch, step, 2.3 - 0.1 * step, 2.2, 0.1 * 0.7 ** (epoch - 1), 16)
        history.append(
            {
                "epoch": epoch,
                "train_loss": 2.0,
                "train_accuracy": 0.2 * epoch,
                "test_loss": 2.1,
                "test_accuracy": 0.15 * epoch,
                "seconds": 0.1,
            }
        )
    return board


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_dashboard_draws_at_every_size(width: int, height: int) -> None:
    board = _dashboard()
    out = io.StringIO()
    console = Console(
        file=out, force_terminal=True, width=width, height=height, color_system="truecolor"
    )
    console.print(board.render())
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    lines = text.splitlines()
    assert len(lines) == height
    assert all(len(ln) <= width for ln in lines), max(len(ln) for ln in lines)
    for panel in ("loss", "accuracy", "learning rate", "gradients per layer", "progress"):
        assert f" {panel} " in text, panel
    for words in ("ETA", "samples/s", "epoch 2/3", "conv1", "Δw/w", "‖grad‖", "now 0.07"):
        assert words in text, words
    assert "\x1b[" in out.getvalue()  # colours: the console is a terminal


def test_live_without_a_terminal_falls_back_to_the_progress_bar(
    cache_dir: Path, tmp_path: Path
) -> None:
    proc = run(
        ["train", *SMALL, "--limit", "32", "--epochs", "1", "--live", "--out", str(tmp_path / "r")],
        cache_dir,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "needs a terminal" in proc.stdout and "train loss" in proc.stdout


def test_live_under_a_pseudo_terminal(cache_dir: Path, tmp_path: Path) -> None:
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    out = tmp_path / "run"
    args = ["train", *SMALL, "--epochs", "2", "--limit", "64", "--live", "--out", str(out)]
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = cli_env(cache_dir)
    env.pop("COLUMNS", None)
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_cnn", *args],
        cwd=tmp_path,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 120)
            if not ready:
                break
            try:
                data = os.read(leader, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        status = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    assert status == 0, text[-3000:]
    assert "gradients per layer" in text and "learning rate" in text and "ETA" in text
    assert "Test accuracy" in text and "Traceback" not in text
    assert (out / "model.ckpt").is_file()


def test_the_readme_shows_the_dashboard() -> None:
    from cli_helpers import ROOT

    svg = ROOT / "docs" / "live-dashboard.svg"
    text = svg.read_text()
    assert text.lstrip().startswith("<svg") and "gradients per layer" in text.replace("&#160;", " ")
    assert "docs/live-dashboard.svg" in (ROOT / "README.md").read_text()
