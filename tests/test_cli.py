"""The ``tinygrad-cnn`` command, end to end in subprocesses, at a small size: help, errors,
the default Ising run and its report, evaluate, graph and summary.

Training options, resume, divergence and the live dashboard have files of their own
(tests/test_cli_*.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_helpers import SMALL, assert_command_error, assert_usage_error, run


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


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
        "--model",
        "--scheduler",
        "--weight-decay",
        "--augment",
        "--resume",
        "--log-every",
        "--live",
        "FILE.py:FUNCTION",
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
        (["--epochs", "0"], ["--epochs", "train"]),  # options need a command
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
    settings = metrics["config"]["settings"]
    assert settings["dataset"] == "ising" and settings["epochs"] == 2
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
    proc = run(["train", "--epochs", "2", *SMALL, "--out", str(again)], cache_dir, tmp_path)
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
    assert_usage_error(proc, "cannot write", str(missing))  # checked before the model runs


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
