"""The run folder's checkpoint (``model.ckpt``) and settings (``config.json``).

The format is described in ``docs/checkpoints.md``; ``tg.load(path)["state_dict"]`` is the
model's state dict, which the ``tg.models`` constructor named in ``["model"]`` accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import PROG, CommandError, UsageError

__all__ = [
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_NAME",
    "CONFIG_NAME",
    "read_checkpoint",
    "checkpoint_of",
    "read_config",
]

CHECKPOINT_FORMAT = "tinygrad-cnn/checkpoint-v1"
CHECKPOINT_NAME = "model.ckpt"
CONFIG_NAME = "config.json"


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The contents of a checkpoint written by ``train``; a one-line error otherwise."""
    from ..serialization import load

    try:
        state = load(path)
    except Exception as e:  # any unreadable file: say which and why, no traceback
        raise CommandError(f"{path} is not a readable checkpoint ({e})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CommandError(f"{path} was not written by '{PROG} train'")
    return state


def checkpoint_of(run: Path, option: str) -> Path:
    """The checkpoint of a run folder (or the checkpoint file itself)."""
    path = run / CHECKPOINT_NAME if run.is_dir() else run
    if not path.is_file():
        raise UsageError(
            f"{option} {run}: no checkpoint at {path} (RUN is a folder written by train)"
        )
    return path


def read_config(run: Path) -> dict[str, Any]:
    """A run's ``config.json``: the settings ``train`` ran with."""
    path = run / CONFIG_NAME
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"--resume {run}: no {CONFIG_NAME} there (not a run folder)") from None
    except (OSError, ValueError) as e:
        raise CommandError(f"{path} is not readable ({e})") from None
    if not isinstance(config, dict) or "settings" not in config:
        raise CommandError(f"{path} was not written by '{PROG} train'")
    return config
