"""What the lesson tests share: where the lessons are and the environment they run in.

Lessons are found by their file names (``NN_name.py``), so a new lesson is tested as soon as
it exists. They run in their small mode (``TUTORIAL_FAST=1``) with the data cache in a
temporary folder that all lesson tests of a session share (the Ising configurations one
lesson generates, the next reads); the cache writes atomically, so runs may overlap.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
LESSONS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
LESSON_IDS = [p.stem for p in LESSONS]

__all__ = ["LESSONS", "LESSON_IDS", "ROOT", "TUTORIALS", "lesson_env"]


def lesson_env(cache: Path) -> dict[str, str]:
    """The variables a lesson run sets on top of the current environment."""
    return {
        "TUTORIAL_FAST": "1",
        "TINYGRAD_CNN_CACHE": str(cache),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "100",
    }
