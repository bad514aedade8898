"""A run whose loss stops being a number, or explodes, stops with one line: where (epoch and
step), what happened, what to try; exit status 1; the last good checkpoint stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import SMALL, assert_command_error, run

import tinygrad_cnn as tg
from tinygrad_cnn.cli.metrics import read_metrics


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


def test_a_huge_learning_rate_stops_with_one_line(cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run(
        ["train", *SMALL, "--lr", "1e9", "--epochs", "3", "--out", str(out)], cache_dir, tmp_path
    )
    assert_command_error(proc, "diverged", "epoch 1, step", "--lr", "1e+09")
    assert "Warning" not in proc.stdout + proc.stderr  # no overflow spew from NumPy
    assert "no checkpoint" in proc.stderr
    assert not (out / "model.ckpt").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert "epoch 1" in metrics["diverged"]


# a network that is fine for the first epoch (12 training steps) and then returns NaN
NAN_LATER = """
from tinygrad_cnn import nn

class Fails(nn.Module):
    def __init__(self, L):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(L * L, 2))
        self.calls = 0

    def forward(self, x):
        if self.training:
            self.calls += 1
        y = self.net(x)
        return y * float("nan") if self.calls > 13 else y

def fails_later(image_size):
    return Fails(image_size)
"""


def test_a_nan_in_a_later_epoch_keeps_the_last_good_checkpoint(
    cache_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "fails.py").write_text(NAN_LATER)
    out = tmp_path / "run"
    args = ["train", *SMALL, "--model", "fails.py:fails_later", "--epochs", "3"]
    proc = run([*args, "--out", str(out)], cache_dir, tmp_path)
    assert_command_error(
        proc, "diverged at epoch 2, step 2", "NaN", "kept the checkpoint of epoch 1"
    )
    state = tg.load(out / "model.ckpt")
    assert state["epoch"] == 1
    epochs = [r for r in read_metrics(out / "metrics.csv") if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == ["1"]
