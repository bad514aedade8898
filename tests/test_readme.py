"""The README's manual SGD example runs as written, trains, and matches PyTorch step by step."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _manual_sgd_block() -> str:
    text = README.read_text()
    match = re.search(r"<!-- manual-sgd:.*?-->\n```python\n(.*?)```", text, re.S)
    assert match, "README: the manual SGD example (marked <!-- manual-sgd ... -->) is missing"
    return match.group(1)


def _run(code: str, steps: int | None = None, torch: bool = False) -> dict:
    if steps is not None:
        code = code.replace("range(100)", f"range({steps})")
    if torch:
        code = code.replace("import tinygrad_cnn as tg", "import torch as tg")
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    return scope


def test_the_manual_sgd_example_trains(capsys):
    scope = _run(_manual_sgd_block())
    assert "loss" in capsys.readouterr().out
    assert scope["loss"].item() < 1e-4
    np.testing.assert_allclose([scope["w"].item(), scope["b"].item()], [3.0, -0.5], atol=1e-2)


def test_the_manual_sgd_example_matches_pytorch_for_three_steps(capsys):
    pytest.importorskip("torch")
    ours = _run(_manual_sgd_block(), steps=3)
    theirs = _run(_manual_sgd_block(), steps=3, torch=True)
    for name in ("w", "b", "loss"):
        np.testing.assert_allclose(
            ours[name].detach().numpy(), theirs[name].detach().numpy(), rtol=1e-6, atol=1e-7
        )
