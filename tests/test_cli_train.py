"""``tinygrad-cnn train``: its options, data sets, models, the files of a run folder, and the
checks made before any work starts. Tiny data, one or two epochs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import SMALL, assert_usage_error, cli_env, run, write_idx

import tinygrad_cnn as tg
from tinygrad_cnn.cli.metrics import COLUMNS, read_metrics


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_idx(tmp_path_factory.mktemp("idx"))


def _ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr


# ----------------------------------------------------------------------------- the bare command
def test_bare_command_prints_help_and_does_nothing(cache_dir: Path, tmp_path: Path) -> None:
    proc = run([], cache_dir, tmp_path)
    assert proc.returncode == 0
    assert "usage: tinygrad-cnn" in proc.stdout and "train" in proc.stdout
    assert list(tmp_path.iterdir()) == []  # no runs/ folder, nothing trained
    assert list(cache_dir.iterdir()) == []  # no data generated


def test_the_training_path_never_imports_the_visualizer(cache_dir: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from tinygrad_cnn.cli import main\n"
        f"status = main(['train', '--epochs', '1', *{SMALL!r}, '--limit', '32', '--out', 'r'])\n"
        "assert status == 0, status\n"
        "print('viz loaded:', 'viz' in sys.modules)\n"
        "main(['summary', '--model', 'ising'])\n"
        "print('viz loaded:', 'viz' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=cli_env(cache_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    _ok(proc)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("viz loaded:")]
    assert lines == ["viz loaded: False", "viz loaded: True"], proc.stdout[-2000:]


# ----------------------------------------------------------------------------- wrong values
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dataset", "cifar"], ["--dataset", "cifar"]),
        (["--model", "resnet"], ["--model", "resnet", "lenet"]),
        (["--model", "nofile.py:net"], ["nofile.py"]),
        (["--model", "net.py"], ["net.py"]),
        (["--optimizer", "lbfgs"], ["--optimizer", "lbfgs"]),
        (["--scheduler", "sometimes"], ["--scheduler"]),
        (["--weight-decay", "-1"], ["--weight-decay"]),
        (["--log-every", "x"], ["--log-every"]),
        (["--limit", "0"], ["--limit"]),
        (["--dataset", "digits", "--lattice", "8"], ["--lattice", "digits"]),
        (["--data-dir", "d"], ["--data-dir", "ising"]),
        (["--lattice", "2"], ["--lattice"]),
        (["--resume", "no/such/run"], ["no/such/run"]),
    ],
)
def test_wrong_values_are_one_line_usage_errors(
    args: list[str], words: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    proc = run(["train", *args], cache_dir, tmp_path)
    assert_usage_error(proc, *words)
    assert "Ising data" not in proc.stdout  # refused before any work


# ----------------------------------------------------------------------------- paths
def test_paths_are_checked_before_any_work(cache_dir: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for out, words in (
        (a_file, ["--out", "is a file"]),
        (a_file / "run", ["--out", "is a file"]),
    ):
        proc = run(["train", *SMALL, "--out", str(out)], cache_dir, tmp_path)
        assert_usage_error(proc, *words)
        assert "Ising data" not in proc.stdout
    proc = run(["train", "--dataset", "mnist", "--data-dir", str(a_file)], cache_dir, tmp_path)
    assert_usage_error(proc, "--data-dir", "is a file")
    held = tmp_path / "held"
    held.mkdir()
    (held / "model.ckpt").write_bytes(b"")
    proc = run(["train", *SMALL, "--out", str(held)], cache_dir, tmp_path)
    assert_usage_error(proc, "already holds a run", "--resume")
    odd = tmp_path / "odd"
    (odd / "metrics.csv").mkdir(parents=True)
    proc = run(["train", *SMALL, "--out", str(odd)], cache_dir, tmp_path)
    assert_usage_error(proc, "metrics.csv", "is a folder")


def test_an_unwritable_out_folder_is_refused(cache_dir: Path, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    proc = run(["train", *SMALL, "--out", str(locked / "run")], cache_dir, tmp_path)
    assert_usage_error(proc, "not writable")


# ----------------------------------------------------------------------------- a run's files
@pytest.fixture(scope="module")
def ising_run(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("ising_run")
    out = work / "run"
    args = ["train", "--epochs", "2", *SMALL, "--log-every", "5", "--out", str(out)]
    _ok(run(args, cache_dir, work))
    return out


def test_metrics_csv_has_a_row_per_epoch_and_per_n_steps(ising_run: Path) -> None:
    rows = read_metrics(ising_run / "metrics.csv")
    assert list(rows[0]) == list(COLUMNS)
    epochs = [r for r in rows if r["kind"] == "epoch"]
    steps = [r for r in rows if r["kind"] == "step"]
    assert [int(r["epoch"]) for r in epochs] == [1, 2]
    total = int(epochs[-1]["step"])  # optimizer steps of the run
    assert [int(r["step"]) for r in steps] == list(range(5, total + 1, 5))
    for r in epochs:
        assert 0 <= float(r["test_accuracy"]) <= 1 and float(r["test_loss"]) > 0
    for r in steps:
        assert r["test_loss"] == "" and float(r["train_loss"]) > 0
    history = json.loads((ising_run / "metrics.json").read_text())["history"]
    assert [float(r["test_loss"]) for r in epochs] == [h["test_loss"] for h in history]


def test_config_json_holds_every_setting(ising_run: Path) -> None:
    config = json.loads((ising_run / "config.json").read_text())
    s = config["settings"]
    assert s["dataset"] == "ising" and s["epochs"] == 2 and s["lattice"] == 8
    assert s["optimizer"] == "adam" and s["scheduler"] == "none" and s["log_every"] == 5
    assert config["model"] == {
        "name": "ising_cnn",
        "kwargs": {"L": 8, "channels": 8, "num_classes": 2},
    }
    model = tg.models.ising_cnn(**config["model"]["kwargs"])
    assert config["parameters"] == sum(p.numel() for p in model.parameters())


def test_figures_are_written(ising_run: Path) -> None:
    pytest.importorskip("matplotlib")
    for name in ("curves.png", "phase.png"):
        data = (ising_run / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name


def test_figures_are_drawn_with_matplotlib(tmp_path: Path) -> None:
    """The figure functions themselves: the Onsager label is on phase.png's axes."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    from tinygrad_cnn.cli import figures

    calls = []
    original = plt.Figure.savefig

    def keep(fig, *args, **kwargs):
        calls.append([t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()])
        return original(fig, *args, **kwargs)

    plt.Figure.savefig = keep
    try:
        figures.write_phase(
            [1.0, 2.0, 3.0], [1.0, 0.6, 0.0], 2.2, 2.269185, tmp_path / "p.png", 2, 2.5
        )
    finally:
        plt.Figure.savefig = original
    assert any("Onsager" in t and "2.269" in t for t in calls[0]), calls
    assert any("estimate" in t and "2.200" in t for t in calls[0]), calls
    assert (tmp_path / "p.png").stat().st_size > 5000


# ----------------------------------------------------------------------------- data sets, models
def test_mnist_with_the_pytorch_example_network(
    idx_dir: Path, cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = ["train", "--dataset", "mnist", "--data-dir", str(idx_dir), "--model", "mnist-net"]
    args += ["--optimizer", "adadelta", "--scheduler", "step", "--augment", "--epochs", "2"]
    args += ["--limit", "32", "--batch-size", "16"]
    proc = run([*args, "--out", str(out)], cache_dir, tmp_path)
    _ok(proc)
    state = tg.load(out / "model.ckpt")
    assert state["model"] == {
        "name": "Net",
        "kwargs": {"in_channels": 1, "num_classes": 10, "image_size": 28},
    }
    model = tg.models.Net()
    model.load_state_dict(state["state_dict"])
    lrs = [float(r["lr"]) for r in read_metrics(out / "metrics.csv") if r["kind"] == "epoch"]
    assert lrs == pytest.approx([1.0, 0.7])  # StepLR ×0.7 after each epoch
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.49)


def test_fashion_mnist_with_sgd_and_weight_decay(
    idx_dir: Path, cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    args = ["train", "--dataset", "fashion-mnist", "--data-dir", str(idx_dir), "--epochs", "1"]
    args += ["--optimizer", "sgd", "--weight-decay", "1e-3", "--augment", "--limit", "64"]
    _ok(run([*args, "--out", str(out)], cache_dir, tmp_path))
    state = tg.load(out / "model.ckpt")
    group = state["optimizer"]["param_groups"][0]
    assert group["weight_decay"] == 1e-3 and group["momentum"] == 0.9
    assert state["data"]["name"] == "fashion-mnist" and state["model"]["name"] == "lenet"
    assert json.loads((out / "config.json").read_text())["settings"]["augment"] is True


MODEL_FUNCTION = """
from tinygrad_cnn import nn

def small(num_classes, image_size):
    return nn.Sequential(nn.Flatten(), nn.Linear(image_size * image_size, 16), nn.ReLU(),
                         nn.Linear(16, num_classes))
"""


def test_a_model_from_a_file_trains_and_evaluates(cache_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    (tmp_path / "my_net.py").write_text(MODEL_FUNCTION)
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits", "--model", "my_net.py:small", "--epochs", "2"]
    args += ["--optimizer", "adamw", "--scheduler", "cosine", "--limit", "96"]
    _ok(run([*args, "--out", str(out)], cache_dir, tmp_path))
    state = tg.load(out / "model.ckpt")
    assert state["model"]["function"] == "small"
    assert state["model"]["kwargs"] == {"num_classes": 10, "image_size": 8}
    assert state["optimizer"]["param_groups"][0]["weight_decay"] == 0.01  # adamw's default
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)
    proc = run(["evaluate", str(out / "model.ckpt")], cache_dir, tmp_path)
    _ok(proc)
    assert f"{state['test_accuracy']:.2%}" in proc.stdout


def test_a_model_function_that_is_missing_is_a_usage_error(cache_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "my_net.py").write_text(MODEL_FUNCTION)
    proc = run(["train", *SMALL, "--model", "my_net.py:large"], cache_dir, tmp_path)
    assert_usage_error(proc, "large")


def test_augmentation_keeps_the_labels_and_changes_the_images() -> None:
    from tinygrad_cnn.cli.data import augmentation

    tg.manual_seed(0)
    img = tg.Tensor(np.arange(64, dtype=np.float32).reshape(1, 8, 8))
    seen = {augmentation("ising", 8)(img).numpy().tobytes() for _ in range(30)}
    flips = {
        np.asarray(a).tobytes()
        for a in (
            img.numpy(),
            img.numpy()[:, ::-1],
            img.numpy()[:, :, ::-1],
            img.numpy()[:, ::-1, ::-1],
        )
    }
    assert seen == flips  # the four mirror images of the lattice, nothing else
    shifted = augmentation("digits", 8)(img).numpy()
    assert shifted.shape == (1, 8, 8)
