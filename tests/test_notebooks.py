"""Every lesson runs as a notebook: converted by jupytext, executed cell by cell by nbclient
in a real IPython kernel, with no cell raising and the closing checks passing.

This is what a reader who opens a lesson in Jupyter gets (``make notebooks``). It differs
from the script run (tests/test_tutorials.py) where it matters: the code runs under an
IPython kernel, so ``tinygrad_cnn.plot`` draws matplotlib figures instead of text and rich
renders for a notebook. Skips cleanly where nbclient, ipykernel or jupytext is missing
(``pip install 'tinygrad-cnn[notebook]'``).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lessons import LESSON_IDS, LESSONS, lesson_env

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _outputs(nb, kind: str) -> list:
    return [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == kind
    ]


@pytest.mark.parametrize("path", LESSONS, ids=LESSON_IDS)
def test_lesson_runs_as_a_notebook(
    path: Path, lesson_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in lesson_env(lesson_cache).items():  # the kernel inherits them
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TINYGRAD_CNN_PLOT", raising=False)
    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = KERNEL
    client = nbclient.NotebookClient(
        nb,
        timeout=300,  # per cell
        kernel_name=KERNEL["name"],
        # lessons must not depend on the working directory or write into the repository
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{path.name}: a cell raised as a notebook\n{str(err)[-5000:]}")
    elapsed = time.perf_counter() - start

    stdout = "".join(out["text"] for out in _outputs(nb, "stream") if out.get("name") == "stdout")
    assert "checks passed" in stdout, stdout[-2000:]
    assert not _outputs(nb, "error")
    # no cell ends in an expression whose value means nothing to a reader (a Generator ...)
    stray = [
        o["data"]["text/plain"]
        for o in _outputs(nb, "execute_result")
        if " at 0x" in o["data"].get("text/plain", "")
    ]
    assert not stray, f"{path.name}: a cell shows {stray[0]!r}; end it with a statement"
    # a lesson that draws with tinygrad_cnn.plot shows figures inline, not text art
    if "from tinygrad_cnn.plot import" in path.read_text(encoding="utf-8"):
        pngs = [o for o in _outputs(nb, "display_data") if "image/png" in o.get("data", {})]
        assert pngs, f"{path.name} draws with tinygrad_cnn.plot but showed no figure"
    print(f"{path.name} as a notebook: {elapsed:.1f} s")
