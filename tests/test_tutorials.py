"""Every tutorial runs as a script, in a fresh interpreter, and its closing assertions hold.

Each lesson ends by asserting the claim it teaches, so a passing run means the claim still holds
with the current framework. ``TUTORIAL_FAST=1`` selects the smaller sizes that a lesson offers
(only where the claim stays honest at that size); the Ising data goes to a temporary cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
LESSONS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tinygrad_cnn_cache")


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TUTORIAL_FAST"] = "1"
    env["TINYGRAD_CNN_CACHE"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "100"
    return env


def test_lessons_are_numbered_consecutively_from_01() -> None:
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers == list(range(1, len(LESSONS) + 1)), [p.name for p in LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs(path: Path, cache_dir: Path, tmp_path: Path) -> None:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,  # lessons must not depend on the working directory or write into the repo
        env=_env(cache_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        pytest.fail(
            f"{path.name} exited with {proc.returncode} after {elapsed:.1f} s\n"
            f"--- stdout (end) ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-5000:]}"
        )
    assert "checks passed" in proc.stdout, proc.stdout[-2000:]
    print(f"{path.name}: {elapsed:.1f} s")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_is_a_percent_notebook(path: Path) -> None:
    """Cells in the percent format: prose cells and code cells, opening with a title."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# %% [markdown]", "a lesson opens with a prose cell"
    assert re.match(r"# # Lesson \d+ — ", lines[1]), lines[1]
    markers = [ln for ln in lines if ln.startswith("# %%")]
    assert all(m in ("# %%", "# %% [markdown]") for m in markers), set(markers)
    assert markers.count("# %% [markdown]") >= 3 and markers.count("# %%") >= 3
    # The last code cell states the claim with assertions.
    last_code = text.rsplit("\n# %%\n", 1)[1]
    assert "assert " in last_code


def test_index_lists_every_lesson() -> None:
    index = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in index, f"tutorials/README.md does not mention {path.name}"
