"""``train --resume RUN``: a run stopped after epoch k and resumed ends with the same weights,
bit for bit, as one that never stopped; Ctrl-C keeps the last completed epoch."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import SMALL, assert_usage_error, cli_env, run

import tinygrad_cnn as tg
from tinygrad_cnn import cli
from tinygrad_cnn.cli import train as train_module
from tinygrad_cnn.cli.metrics import read_metrics

# dropout, batch norm, momentum, a schedule and augmentation: every kind of state there is
SETTINGS = [*SMALL, "--model", "lenet", "--optimizer", "sgd", "--scheduler", "cosine"]
SETTINGS += ["--augment", "--limit", "96", "--epochs", "3", "--log-every", "2"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


@pytest.fixture
def in_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TINYGRAD_CNN_CACHE", str(cache_dir))
    return cache_dir


def _stop_in_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """Ctrl-C at the end of the training steps of ``epoch`` (before its test pass)."""
    calls = {"n": 0}
    evaluate = train_module.evaluate

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise KeyboardInterrupt
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(train_module, "evaluate", interrupted)


def _timeless(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {k: v for k, v in r.items() if k not in ("seconds", "samples_per_second")} for r in rows
    ]


@pytest.mark.parametrize("stop_in", [2, 3])
def test_a_resumed_run_ends_bit_identical_to_an_uninterrupted_one(
    stop_in: int, in_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert cli.main(["train", *SETTINGS, "--out", str(whole)]) == 0
    with monkeypatch.context() as m:
        _stop_in_epoch(m, stop_in)
        assert cli.main(["train", *SETTINGS, "--out", str(parts)]) == 130
    assert tg.load(parts / "model.ckpt")["epoch"] == stop_in - 1
    tg.manual_seed(12345)  # whatever happened since must not matter
    assert cli.main(["train", "--resume", str(parts)]) == 0

    a, b = tg.load(whole / "model.ckpt"), tg.load(parts / "model.ckpt")
    assert a["epoch"] == b["epoch"] == 3 and a["step"] == b["step"]
    for key, value in a["state_dict"].items():
        assert np.array_equal(value.numpy(), b["state_dict"][key].numpy()), key
    for idx, state in a["optimizer"]["state"].items():
        for name, value in state.items():
            other = b["optimizer"]["state"][idx][name]
            assert np.array_equal(np.asarray(value), np.asarray(other)), (idx, name)
    assert a["scheduler"] == b["scheduler"]
    assert np.array_equal(a["rng"]["global"].numpy(), b["rng"]["global"].numpy())
    assert _timeless(read_metrics(whole / "metrics.csv")) == _timeless(
        read_metrics(parts / "metrics.csv")
    )


def test_resume_can_extend_a_finished_run(in_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [*SMALL, "--limit", "64", "--scheduler", "step"]
    assert cli.main(["train", *args, "--epochs", "1", "--out", str(out)]) == 0
    assert cli.main(["train", "--resume", str(out), "--epochs", "2"]) == 0
    state = tg.load(out / "model.ckpt")
    assert state["epoch"] == 2 and [h["epoch"] for h in state["history"]] == [1, 2]
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["epochs"] == 2 and config["settings"]["scheduler"] == "step"


def test_resume_refuses_what_it_cannot_do(cache_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = run(
        ["train", *SMALL, "--limit", "32", "--epochs", "1", "--out", str(out)], cache_dir, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert_usage_error(
        run(["train", "--resume", str(out), "--lr", "1"], cache_dir, tmp_path), "--lr"
    )
    assert_usage_error(
        run(["train", "--resume", str(out)], cache_dir, tmp_path),
        "already completed epoch 1",
        "--epochs",
    )
    assert_usage_error(
        run(["train", "--resume", str(tmp_path)], cache_dir, tmp_path), "config.json"
    )


@contextmanager
def _training(cache_dir: Path, tmp_path: Path, epochs: int, sigint) -> Iterator[subprocess.Popen]:
    """``train`` in a child process whose SIGINT starts as ``sigint`` (SIG_DFL: a terminal's
    foreground job; SIG_IGN: what a shell gives a job it starts in the background), whatever
    this test process inherited; killed on the way out if still running."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinygrad_cnn",
            "train",
            "--epochs",
            str(epochs),
            *SMALL,
            "--out",
            str(tmp_path / "run"),
        ],
        cwd=tmp_path,
        env=cli_env(cache_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _wait_for_checkpoint(proc: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 120
    while not (out / "model.ckpt").exists() and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    assert (out / "model.ckpt").exists(), "no checkpoint within 120 s"


def test_ctrl_c_keeps_the_last_completed_checkpoint(cache_dir: Path, tmp_path: Path) -> None:
    """A real SIGINT at a random moment: the checkpoint, metrics.json's history and
    metrics.csv all end at the same epoch (they are written as one, Ctrl-C waits for them)."""
    out = tmp_path / "run"
    with _training(cache_dir, tmp_path, 500, signal.SIG_DFL) as proc:
        _wait_for_checkpoint(proc, out)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout[-2000:], stderr[-2000:])
    assert "Traceback" not in stdout + stderr
    assert "Interrupted" in stdout and "--resume" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interrupted"] is True
    state = tg.load(out / "model.ckpt")
    epochs = [int(r["epoch"]) for r in read_metrics(out / "metrics.csv") if r["kind"] == "epoch"]
    assert state["epoch"] == len(metrics["history"]) == len(epochs) >= 1
    assert epochs == list(range(1, state["epoch"] + 1))


def test_an_ignored_sigint_stays_ignored(cache_dir: Path, tmp_path: Path) -> None:
    """A job a shell starts in the background ignores SIGINT: the run goes on to its last
    epoch, also when the signal lands while a checkpoint is written."""
    out = tmp_path / "run"
    with _training(cache_dir, tmp_path, 30, signal.SIG_IGN) as proc:
        _wait_for_checkpoint(proc, out)
        for _ in range(20):  # some land inside the checkpoint writes
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGINT)
            time.sleep(0.005)
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, (stdout[-2000:], stderr[-2000:])
    assert tg.load(out / "model.ckpt")["epoch"] == 30
