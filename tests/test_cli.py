"""The ``tinygrad-cnn`` command, end to end in subprocesses, at a small size.

Every run uses a temporary data cache (``TINYGRAD_CNN_CACHE``) and a temporary ``--out``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--lattice", "8", "--samples-per-t", "24", "--batch-size", "32"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TINYGRAD_CNN_CACHE"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "100"
    return env


def run(
    args: list[str], cache: Path, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", *args],
        cwd=cwd,
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_usage_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 2, the error first and in one line, then the usage; no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("tinygrad-cnn") and ": error: " in lines[0], lines
    assert any(ln.startswith("usage: tinygrad-cnn") for ln in lines[1:]), lines
    assert "Traceback" not in proc.stderr + proc.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])


def assert_command_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 1 and a one-line error; no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ": error: " in lines[0], lines
    assert "Traceback" not in proc.stderr + proc.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])


# ----------------------------------------------------------------------------- help and errors
def test_help_explains_every_command_and_option(cache_dir: Path, tmp_path: Path) -> None:
    top = run(["--help"], cache_dir, tmp_path)
    assert top.returncode == 0
    for cmd in ("train", "evaluate", "graph", "summary"):
        assert cmd in top.stdout
    train = run(["train", "--help"], cache_dir, tmp_path)
    assert train.returncode == 0
    for opt in (
        "--dataset",
        "--epochs",
        "--batch-size",
        "--lr",
        "--optimizer",
        "--device",
        "--seed",
        "--out",
        "--data-dir",
        "--download",
    ):
        assert opt in train.stdout, opt
    graph = run(["graph", "--help"], cache_dir, tmp_path)
    assert graph.returncode == 0
    assert "def build()" in graph.stdout and "--format" in graph.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "--epochs", "0"], ["--epochs"]),
        (["train", "--epochs", "two"], ["--epochs"]),
        (["train", "--lr", "-1"], ["--lr"]),
        (["train", "--dataset", "cifar"], ["--dataset", "cifar"]),
        (["train", "--optimizer", "lbfgs"], ["--optimizer"]),
        (["train", "--device", "tpu"], ["--device"]),
        (["--epochs", "0"], ["--epochs"]),  # options without a command go to train
        (["train", "--bogus"], ["--bogus"]),
        (["train", "--epcohs", "1"], ["train", "--epcohs", "did you mean --epochs"]),
        (["summary", "--modle", "lenet"], ["summary", "did you mean --model"]),
        (["frobnicate"], ["frobnicate"]),
        (["evaluate"], ["CHECKPOINT"]),
        (["evaluate", "no/such/model.ckpt"], ["no/such/model.ckpt"]),
        (["graph", "--format", "gif"], ["--format"]),
        (["graph", "-o", "g.png"], ["g.png", "--format"]),  # term cannot write a file
        (["graph", "--model", "resnet"], ["resnet"]),
        (["summary", "--model", "missing_file.py"], ["missing_file.py"]),
    ],
)
def test_bad_arguments_give_one_line_and_the_usage(
    args: list[str], words: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    assert_usage_error(run(args, cache_dir, tmp_path), *words)


def test_missing_mnist_says_how_to_get_it(cache_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run(["train", "--dataset", "mnist", "--data-dir", str(empty)], cache_dir, tmp_path)
    assert_command_error(proc, "MNIST", "--download")


def test_cuda_without_a_gpu_is_a_usage_error(cache_dir: Path, tmp_path: Path) -> None:
    from tinygrad_cnn.backend import cupy_module

    try:
        cupy_module()
        pytest.skip("a GPU is available here")
    except RuntimeError:
        pass
    assert_usage_error(run(["train", "--device", "cuda"], cache_dir, tmp_path), "cuda")


def test_evaluate_rejects_a_file_that_is_not_a_checkpoint(cache_dir: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.ckpt"
    bogus.write_text("not a checkpoint")
    assert_command_error(run(["evaluate", str(bogus)], cache_dir, tmp_path), "notes.ckpt")


def test_evaluate_of_a_run_folder_points_at_its_checkpoint(cache_dir: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "model.ckpt").write_bytes(b"")
    proc = run(["evaluate", str(run_dir)], cache_dir, tmp_path)
    assert_usage_error(proc, "is a folder", str(run_dir / "model.ckpt"))


# ----------------------------------------------------------------------------- train / evaluate
@pytest.fixture(scope="module")
def trained(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("cli_train")
    out = work / "run"
    proc = run(["train", "--epochs", "2", *SMALL, "--out", str(out)], cache_dir, work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_train_writes_checkpoint_metrics_and_report(trained: tuple[Path, str]) -> None:
    out, stdout = trained
    assert (out / "model.ckpt").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["dataset"] == "ising" and metrics["config"]["epochs"] == 2
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["tc_exact"] == pytest.approx(2.269185, abs=1e-5)
    curve = metrics["curve"]
    assert len(curve["temperature"]) == len(curve["p_ordered"]) == 26
    # the report: the per-epoch table, accuracy, T_c against the exact value, where things went
    for text in ("train loss", "test acc", "Test accuracy", "2.269", "P(ordered)"):
        assert text in stdout, text
    assert str(out / "model.ckpt") in stdout and str(out / "metrics.json") in stdout
    if metrics["tc_estimate"] is not None:
        assert "Estimated T_c" in stdout
        assert 1.0 <= metrics["tc_estimate"] <= 3.5


def test_train_is_reproducible_from_the_cache(
    trained: tuple[Path, str], cache_dir: Path, tmp_path: Path
) -> None:
    """Same seed, same arguments: the data comes from the cache and the metrics repeat."""
    out, _ = trained
    again = tmp_path / "again"
    proc = run(["--epochs", "2", *SMALL, "--out", str(again)], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first["history"][-1]["test_loss"] == pytest.approx(
        second["history"][-1]["test_loss"], rel=1e-6
    )


def test_evaluate_reproduces_the_final_test_accuracy(
    trained: tuple[Path, str], cache_dir: Path, tmp_path: Path
) -> None:
    out, _ = trained
    proc = run(["evaluate", str(out / "model.ckpt")], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert f"{metrics['test_accuracy']:.2%}" in proc.stdout
    assert "2.269" in proc.stdout


def test_ctrl_c_keeps_the_last_completed_checkpoint(cache_dir: Path, tmp_path: Path) -> None:
    from tinygrad_cnn.serialization import load

    out = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tinygrad_cnn",
            "train",
            "--epochs",
            "500",
            *SMALL,
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=_env(cache_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "model.ckpt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / "model.ckpt").exists(), "no checkpoint within 60 s"
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (stdout[-2000:], stderr[-2000:])
    assert "Traceback" not in stdout + stderr
    assert "Interrupted" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interrupted"] is True
    state = load(out / "model.ckpt")
    assert state["epoch"] == len(metrics["history"]) >= 1


# ----------------------------------------------------------------------------- graph / summary
MODEL_FILE = """
import tinygrad_cnn as tg
from tinygrad_cnn import nn

def build():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3))
    return model, tg.randn(2, 1, 6, 6)
"""


def test_graph_in_the_terminal(cache_dir: Path, tmp_path: Path) -> None:
    proc = run(["graph", "--model", "ising", "--format", "term"], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Conv2d" in proc.stdout


def test_graph_as_dot_text_and_file(cache_dir: Path, tmp_path: Path) -> None:
    proc = run(["graph", "--model", "lenet", "--format", "dot"], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.lstrip().startswith("digraph")
    target = tmp_path / "g.dot"
    proc = run(
        ["graph", "--model", "ising", "--format", "dot", "-o", str(target)], cache_dir, tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert target.read_text().lstrip().startswith("digraph")
    missing = tmp_path / "no" / "such" / "folder" / "g.dot"
    proc = run(["graph", "--format", "dot", "-o", str(missing)], cache_dir, tmp_path)
    assert_command_error(proc, "cannot write", str(missing))


def test_graph_as_svg_or_a_clear_error(cache_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "g.svg"
    proc = run(
        ["graph", "--model", "ising", "--format", "svg", "-o", str(target)], cache_dir, tmp_path
    )
    if shutil.which("dot"):
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "<svg" in target.read_text()
    else:
        assert_command_error(proc, "dot")


def test_graph_and_summary_of_a_model_file(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "tiny_model.py"
    path.write_text(MODEL_FILE)
    proc = run(["graph", "--model", str(path), "--format", "term"], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    proc = run(["summary", "--model", str(path)], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Linear" in proc.stdout and "Conv2d" in proc.stdout


def test_summary_of_a_builtin_model(cache_dir: Path, tmp_path: Path) -> None:
    proc = run(["summary", "--model", "lenet"], cache_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Conv2d" in proc.stdout and "BatchNorm2d" in proc.stdout


def test_model_file_without_build_is_a_one_line_error(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_build.py"
    path.write_text("x = 1\n")
    assert_command_error(run(["summary", "--model", str(path)], cache_dir, tmp_path), "build()")
    broken = tmp_path / "broken.py"
    broken.write_text("def build():\n    raise ValueError('nope')\n")
    assert_command_error(run(["graph", "--model", str(broken)], cache_dir, tmp_path), "nope")
