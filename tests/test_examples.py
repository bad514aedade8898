"""The complete programs in examples/: each runs as written here, and (where PyTorch is
installed) the same file with PyTorch's import block is a valid PyTorch program that learns as
well."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed in {FASHION} (apt-get install dataset-fashion-mnist)",
)
IMPORTS = re.compile(r"# --- imports: this framework\n(.*?)# --- end of imports\n", re.S)
PYTORCH_IMPORTS = re.compile(r"# PyTorch's:\n((?:#     .*\n)+)")


def _module(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"examples/{name}.py", "exec"), module.__dict__)
    return module


def _as_pytorch(source: str) -> str:
    """The same program with PyTorch's import block in place of ours."""
    theirs = PYTORCH_IMPORTS.search(source)
    assert IMPORTS.search(source) and theirs, "the example must mark both import blocks"
    block = "".join(line[6:] + "\n" for line in theirs.group(1).splitlines())
    swapped = IMPORTS.sub(lambda m: block, source)
    assert "tinygrad_cnn" not in swapped, "only the import block may name this framework"
    return swapped


QUICK = ["--epochs", "1", "--max-steps", "120", "--test-size", "1000", "--log-interval", "1000"]


@needs_fashion
def test_mnist_like_pytorch_learns_and_so_does_its_pytorch_twin(capsys):
    source = (EXAMPLES / "mnist_like_pytorch.py").read_text()
    ours = _module(source, "mnist_like_pytorch").main(QUICK)
    assert "Test set: Average loss" in capsys.readouterr().out
    assert ours >= 0.65, f"accuracy after 120 steps: {ours:.3f}"
    pytest.importorskip("torch")
    theirs = _module(_as_pytorch(source), "mnist_like_pytorch_torch").main(QUICK)
    assert theirs >= 0.65 and abs(ours - theirs) < 0.1, (ours, theirs)
