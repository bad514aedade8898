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
from lessons import LESSON_IDS, LESSONS, TUTORIALS, lesson_env

# a comment line that is really a Markdown heading: "# # Title", "# ## Section", "# ### ..."
HEADING_COMMENT = re.compile(r"^\s*#\s+#{1,6}\s+\S")


def test_lessons_are_numbered_consecutively_from_01() -> None:
    numbers = [int(p.name[:2]) for p in LESSONS]
    assert numbers and numbers == list(range(1, len(numbers) + 1)), [p.name for p in LESSONS]


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_runs(path: Path, lesson_cache: Path, tmp_path: Path) -> None:
    # a copy, run from a temporary folder: a lesson may not import from the tutorials folder,
    # read files next to it, depend on the working directory or write into the repository
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(copy)],
        cwd=tmp_path,
        env={**os.environ, **lesson_env(lesson_cache)},
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


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
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


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_prose_stays_in_markdown_cells(path: Path) -> None:
    """As jupytext reads the lesson: it opens with a Markdown cell holding the ``# `` title,
    and no code cell holds a heading written as a comment (it would show as code)."""
    jupytext = pytest.importorskip("jupytext")
    cells = jupytext.read(path).cells
    assert cells[0].cell_type == "markdown", f"{path.name}: the first cell is not prose"
    assert cells[0].source.startswith("# "), f"{path.name}: the first cell has no '# ' title"
    assert not any(c.source.startswith("# ") for c in cells[1:] if c.cell_type == "markdown"), (
        f"{path.name}: a second '# ' title"
    )
    for k, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            assert not HEADING_COMMENT.match(line), (
                f"{path.name}, cell {k}: the heading {line.strip()!r} is inside a code cell; "
                "start a '# %% [markdown]' cell for it"
            )


def test_heading_check_would_catch_a_heading_in_code() -> None:
    jupytext = pytest.importorskip("jupytext")
    text = "# %% [markdown]\n# # Title\n\n# %%\nx = 1\n#\n# ### Training curves\n"
    (code,) = [c for c in jupytext.reads(text, fmt="py:percent").cells if c.cell_type == "code"]
    assert any(HEADING_COMMENT.match(line) for line in code.source.splitlines())
    assert not HEADING_COMMENT.match("# the #1 reason")  # an ordinary comment is not a heading


def test_index_lists_every_lesson() -> None:
    index = (TUTORIALS / "README.md").read_text(encoding="utf-8")
    for path in LESSONS:
        assert path.name in index, f"tutorials/README.md does not mention {path.name}"
