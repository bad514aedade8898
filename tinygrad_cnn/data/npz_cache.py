"""The ``.npz`` cache of the generated data sets (Ising configurations, jet images, random
fields): a file per set of arguments, named by a digest of them, holding the arrays and the
key they were made with. A missing, corrupt or mismatching file is a miss; an unwritable cache
directory is a warning, never a lost data set."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..serialization import atomic_write

__all__ = ["default_cache_dir", "cache_path", "read_cached", "write_cached"]


def default_cache_dir() -> Path:
    """``$TINYGRAD_CNN_CACHE`` if set, else ``~/.cache/tinygrad_cnn``."""
    env = os.environ.get("TINYGRAD_CNN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinygrad_cnn"


def cache_path(cache_dir: str | os.PathLike | None, stem: str, key: dict) -> tuple[Path, str]:
    """(file path, key text) for the entry ``key`` (a JSON-serialisable dict)."""
    key_text = json.dumps(key, sort_keys=True)
    digest = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return root / f"{stem}_{digest}.npz", key_text


def read_cached(
    path: Path, key_text: str, names: tuple[str, ...], valid: Callable[[dict], bool]
) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` of the entry, or None if the file is missing, unreadable, made with
    another key, or fails ``valid`` (shapes and dtypes: a file is never trusted blindly)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if z["key"].tobytes().decode("utf-8") != key_text:
                return None
            arrays = {name: z[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile):
        return None
    return arrays if valid(arrays) else None


def write_cached(path: Path, key_text: str, arrays: dict[str, np.ndarray], who: str) -> None:
    """Write the entry atomically; warn (naming ``who``) if the cache cannot be written."""
    entries = {**arrays, "key": np.frombuffer(key_text.encode(), dtype=np.uint8)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: np.savez(f, **entries))
    except OSError as e:
        warnings.warn(f"{who}: could not write the cache file {path} ({e})", stacklevel=3)
