"""The checkpoint of a run is what docs/checkpoints.md says, and it loads into the matching
``tg.models`` constructor, which is also the README's CNN."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import ROOT, SMALL, run, write_idx

import tinygrad_cnn as tg

README = ROOT / "README.md"
DOC = ROOT / "docs" / "checkpoints.md"
KEYS = {
    "format",
    "model",
    "state_dict",
    "optimizer",
    "scheduler",
    "rng",
    "epoch",
    "step",
    "test_accuracy",
    "first_loss",
    "history",
    "data",
    "config",
}


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli_cache")


@pytest.fixture(scope="module")
def mnist_run(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("mnist_run")
    idx = write_idx(work / "idx")
    out = work / "run"
    args = ["train", "--dataset", "mnist", "--data-dir", str(idx), "--epochs", "1"]
    proc = run([*args, "--limit", "64", "--out", str(out)], cache_dir, work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _block(marker: str) -> str:
    match = re.search(rf"<!-- {marker}:.*?-->\n```python\n(.*?)```", README.read_text(), re.S)
    assert match, f"README: the block marked <!-- {marker} ... --> is missing"
    return match.group(1)


def test_the_checkpoint_has_the_documented_keys_and_dtypes(mnist_run: Path) -> None:
    state = tg.load(mnist_run / "model.ckpt")
    assert set(state) == KEYS
    doc = DOC.read_text()
    for key in KEYS:
        assert f'`"{key}"`' in doc, key
    assert state["format"] == "tinygrad-cnn/checkpoint-v1"
    for name, t in state["state_dict"].items():
        want = tg.int64 if name.endswith("num_batches_tracked") else tg.float32
        assert t.dtype == want, name
    for rng in state["rng"].values():
        assert rng.dtype == tg.uint8 and tuple(rng.shape) == (48,)
    assert state["epoch"] == 1 and [h["epoch"] for h in state["history"]] == [1]


def test_the_readme_cnn_is_tg_models_lenet_and_loads_a_cli_checkpoint(
    mnist_run: Path, tmp_path: Path
) -> None:
    code = _block("cnn")
    assert 'tg.data.mnist("data", download=True)' in code and '"model.npz"' in code
    rng = np.random.default_rng(0)
    tiny = tg.data.TensorDataset(
        tg.Tensor(rng.random((64, 1, 28, 28), dtype=np.float32)),
        tg.Tensor(rng.integers(0, 10, 64)),
    )
    code = code.replace('tg.data.mnist("data", download=True)', "_tiny")
    code = code.replace('"model.npz"', repr(str(tmp_path / "model.npz")))
    scope: dict = {"_tiny": tiny}
    exec(compile(code, "README.md", "exec"), scope)
    model = scope["model"]
    reference = tg.models.lenet()
    assert list(model.state_dict()) == list(reference.state_dict())
    state = tg.load(mnist_run / "model.ckpt")
    assert list(state["state_dict"]) == list(model.state_dict())
    model.load_state_dict(state["state_dict"])  # strict: every key matches
    for key, value in state["state_dict"].items():
        assert np.array_equal(model.state_dict()[key].numpy(), value.numpy()), key
    reference.load_state_dict(tg.load(tmp_path / "model.npz"))


def test_the_readme_loading_block_rebuilds_the_model(mnist_run: Path) -> None:
    code = _block("load-checkpoint")
    code = code.replace('"runs/mnist-run/model.ckpt"', repr(str(mnist_run / "model.ckpt")))
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    model, state = scope["model"], scope["state"]
    assert type(model) is type(tg.models.lenet())
    x = tg.randn(2, 1, 28, 28)
    model.eval()
    again = tg.models.lenet(**state["model"]["kwargs"])
    again.load_state_dict(state["state_dict"])
    again.eval()
    assert np.array_equal(model(x).numpy(), again(x).numpy())


def test_an_ising_checkpoint_loads_into_tg_models_ising_cnn(
    cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    proc = run(
        ["train", *SMALL, "--limit", "32", "--epochs", "1", "--out", str(out)], cache_dir, tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = tg.load(out / "model.ckpt")
    assert state["model"]["name"] == "ising_cnn"
    model = tg.models.ising_cnn(**state["model"]["kwargs"])
    model.load_state_dict(state["state_dict"])


def test_tg_models_net_is_the_pytorch_example_network() -> None:
    """Same parameter names and shapes as examples/mnist_like_pytorch.py's Net, and the same
    output for the same weights."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "mnist_example", ROOT / "examples" / "mnist_like_pytorch.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    theirs, ours = example.Net(), tg.models.Net()
    shapes = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    ours.load_state_dict(theirs.state_dict())
    theirs.eval(), ours.eval()
    x = tg.randn(3, 1, 28, 28)
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=1e-5, atol=1e-6)
