"""Checks, made before any work starts, that the places a command will write to can be
written: a long training run must not end with 'cannot write the checkpoint'."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

__all__ = ["check_folder", "check_file"]


def _existing_ancestor(path: Path) -> Path:
    """The nearest part of ``path`` (itself or a parent) that exists."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def check_folder(path: Path, option: str) -> None:
    """``path`` is a folder that exists and can be written, or can be created."""
    if path.exists():
        if not path.is_dir():
            raise UsageError(f"{option} {path} is a file, not a folder")
        if not _writable(path):
            raise UsageError(f"{option} {path}: the folder is not writable")
        return
    base = _existing_ancestor(path)
    if not base.is_dir():
        raise UsageError(f"{option} {path}: {base} is a file, so the folder cannot be created")
    if not _writable(base):
        raise UsageError(f"{option} {path}: cannot create it, {base} is not writable")


def check_file(path: Path, option: str) -> None:
    """``path`` names a file that can be written: its folder exists and is writable, and it
    is not itself a folder."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        base = _existing_ancestor(folder)
        what = f"{base} is a file" if not base.is_dir() else f"the folder {folder} does not exist"
        raise UsageError(f"{option} {path}: cannot write it, {what}")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path}: the file is not writable")
    if not path.exists() and not _writable(folder):
        raise UsageError(f"{option} {path}: cannot write it, {folder} is not writable")
