"""Where NumPy and CuPy differ is decided in two modules only: ``backend`` and the workspace
allocator (``ops/workspace``). Everything else asks them (``is_host_module``,
``ignore_float_errors``, ``workspace_empty``, ...), so a branch on the array module elsewhere is
a bug waiting for the GPU."""

from __future__ import annotations

import re
from pathlib import Path

import tinygrad_cnn

PACKAGE = Path(tinygrad_cnn.__file__).parent
ALLOWED = {PACKAGE / "backend.py", PACKAGE / "ops" / "workspace.py"}
BRANCH = re.compile(r"\b(?:xp|\w+_xp|xp_\w*)\s+is\s+(?:not\s+)?np\b|\bnp\s+is\s+(?:not\s+)?xp\b")


def test_no_numpy_or_cupy_branch_outside_backend_and_workspace():
    found = [
        f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BRANCH.search(line)
    ]
    assert not found, "branch on the array module outside backend/workspace:\n" + "\n".join(found)


def test_the_pattern_finds_what_it_looks_for():
    assert BRANCH.search("    if xp is np and n > 3:")
    assert BRANCH.search("return a if xp is not np else b")
    assert not BRANCH.search("if xp is cupy:")
    assert not ALLOWED - set(PACKAGE.rglob("*.py"))  # the allowed modules exist
