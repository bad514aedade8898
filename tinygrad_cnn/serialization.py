"""Save and load state dicts (and other nested containers of arrays) without pickle.

A checkpoint is an ordinary ``.npz`` file (a zip of ``.npy`` arrays):

* every Tensor, NumPy array and NumPy scalar is stored as its own entry ``a0``, ``a1``, ...;
* the structure around them — dicts (str or int keys), lists, tuples, Python numbers, bools,
  ``None``, strings, and for each Tensor its dtype and ``requires_grad`` — is written as JSON
  text in one uint8 entry, ``__checkpoint__``.

``load`` reads it with ``allow_pickle=False``, so loading a checkpoint can never run code, and
arrays of Python objects (which would need pickle) are refused when saving. Files are written
atomically: to a temporary file in the same directory, flushed to disk, then renamed over the
target, so an interrupted save leaves the previous checkpoint intact.

    tg.save({"model": model.state_dict(), "epoch": 3}, "run.ckpt")
    state = tg.load("run.ckpt")
"""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from .backend import get_array_module, to_numpy
from .tensor import Tensor

__all__ = ["save", "load", "atomic_write"]

_META = "__checkpoint__"
_FORMAT = "tinygrad_cnn.checkpoint"
_VERSION = 1

PathLike = str | os.PathLike


def atomic_write(path: PathLike, write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write(file)`` on a new temporary file next to ``path``, fsync it and rename it to
    ``path``. If anything fails, the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with 0o666 gives the file the usual permissions (umask applied), unlike mkstemp.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable (POSIX); not possible on every platform
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _key_path(path: tuple[Any, ...]) -> str:
    return "obj" + "".join(f"[{k!r}]" for k in path) if path else "obj"


class _Encoder:
    """Turns a nested object into JSON-able structure plus a dict of arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()

    def _add_array(self, arr: np.ndarray, path: tuple[Any, ...]) -> str:
        if arr.dtype.hasobject:
            raise TypeError(
                f"save: {_key_path(path)} is an array of Python objects ({arr.dtype}), "
                "which cannot be stored without pickle"
            )
        name = f"a{len(self.arrays)}"
        self.arrays[name] = arr
        return name

    def encode(self, obj: Any, path: tuple[Any, ...] = ()) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, float)):  # after bool: bool is an int
            return obj
        if isinstance(obj, Tensor):
            arr = to_numpy(obj._data)
            entry = self._add_array(arr, path)
            return {"tensor": entry, "dtype": str(arr.dtype), "requires_grad": obj.requires_grad}
        if get_array_module(obj) is not np:  # a CuPy array (optimizer state on the GPU)
            return {"ndarray": self._add_array(to_numpy(obj), path)}
        if isinstance(obj, np.ndarray):
            return {"ndarray": self._add_array(obj, path)}
        if isinstance(obj, np.generic):
            return {"scalar": self._add_array(np.asarray(obj), path)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"save: {_key_path(path)} contains itself (a reference cycle)")
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = []
                    for k, v in obj.items():
                        if isinstance(k, bool) or not isinstance(k, (str, int)):
                            raise TypeError(
                                f"save: {_key_path(path)} has a key {k!r} of type "
                                f"{type(k).__name__}; keys must be str or int"
                            )
                        items.append([k, self.encode(v, (*path, k))])
                    return {"dict": items}
                kind = "list" if isinstance(obj, list) else "tuple"
                return {kind: [self.encode(v, (*path, i)) for i, v in enumerate(obj)]}
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"save: {_key_path(path)} is a {type(obj).__module__}.{type(obj).__qualname__}, which "
            "cannot be saved; supported: dict, list, tuple, Tensor, numpy array or scalar, int, "
            "float, bool, str, None"
        )


def save(obj: Any, path: PathLike | IO[bytes]) -> None:
    """Save ``obj`` (a state dict or any nesting of dicts with str/int keys, lists, tuples,
    Tensors, NumPy arrays and scalars, Python numbers, bools, strings and None) to ``path``.

    The file is written atomically (a crash mid-write leaves an existing file untouched) and
    exactly at ``path`` (no suffix is added). ``path`` may also be a writable binary file
    object. Raises TypeError naming the key path of the first value that cannot be stored.
    """
    enc = _Encoder()
    root = enc.encode(obj)
    meta = {"format": _FORMAT, "version": _VERSION, "root": root}
    text = json.dumps(meta, allow_nan=True)  # ASCII: \u escapes keep any str encodable
    entries = {_META: np.frombuffer(text.encode("utf-8"), dtype=np.uint8), **enc.arrays}

    def write(f: IO[bytes]) -> None:
        _write_npz(f, entries)

    if hasattr(path, "write"):
        write(path)  # type: ignore[arg-type]
        return
    folder = Path(path).parent
    if not folder.is_dir():  # as PyTorch: a RuntimeError naming the folder, nothing created
        what = "is not a folder" if folder.exists() else "does not exist"
        raise RuntimeError(f"save: the folder {str(folder)!r} {what} (saving to {str(path)!r})")
    atomic_write(path, write)


def _write_npz(f: IO[bytes], entries: dict[str, np.ndarray]) -> None:
    np.savez(f, **entries)


class _Decoder:
    def __init__(self, npz: Any, device: str | None, source: str) -> None:
        self.npz = npz
        self.device = device
        self.source = source

    def _array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name == _META or name not in self.npz.files:
            raise ValueError(f"load: {self.source} is corrupt (missing array entry {name!r})")
        return self.npz[name]

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, dict) and len(node) >= 1:
            if "tensor" in node:
                arr = self._array(node["tensor"])
                t = Tensor(arr, dtype=arr.dtype, device=self.device)
                if node.get("requires_grad"):
                    t.requires_grad_(True)
                return t
            if "ndarray" in node:
                return self._array(node["ndarray"])
            if "scalar" in node:
                return self._array(node["scalar"])[()]
            if "dict" in node:
                return {k: self.decode(v) for k, v in node["dict"]}
            if "list" in node:
                return [self.decode(v) for v in node["list"]]
            if "tuple" in node:
                return tuple(self.decode(v) for v in node["tuple"])
        raise ValueError(f"load: {self.source} is corrupt (unknown entry {str(node)[:60]})")


def load(path: PathLike | IO[bytes], device: str | None = None) -> Any:
    """Load what ``save`` wrote. Tensors come back as Tensors (same dtype and requires_grad, on
    ``device`` if given, else on the CPU), arrays as NumPy arrays, containers as they were
    (dicts, lists, tuples). Never unpickles; raises ValueError for a file that is not a
    checkpoint written by ``save``.
    """
    source = repr(os.fspath(path)) if not hasattr(path, "read") else "the file object"
    if hasattr(path, "read"):
        data = path.read()  # type: ignore[union-attr]
        f: Any = io.BytesIO(data)
    else:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        head = f.read(4)
        f.seek(0)
        if head != b"PK\x03\x04":
            raise ValueError(f"load: {source} is not a tinygrad_cnn checkpoint (not an .npz file)")
        try:
            npz = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise ValueError(f"load: {source} is not a readable checkpoint ({e})") from e
        with npz:
            if _META not in npz.files:
                raise ValueError(
                    f"load: {source} is an .npz file but not a tinygrad_cnn checkpoint "
                    f"(no {_META!r} entry; found {npz.files[:5]})"
                )
            try:
                meta = json.loads(npz[_META].tobytes().decode("utf-8"))
            except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as e:
                raise ValueError(f"load: {source} is corrupt (bad structure entry: {e})") from e
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError(f"load: {source} is not a tinygrad_cnn checkpoint")
            if meta.get("version") != _VERSION:
                raise ValueError(
                    f"load: {source} has checkpoint format version {meta.get('version')}; "
                    f"this version of tinygrad_cnn reads version {_VERSION}"
                )
            try:
                return _Decoder(npz, device, source).decode(meta.get("root"))
            except (zipfile.BadZipFile, EOFError, OSError) as e:
                raise ValueError(f"load: {source} is corrupt ({e})") from e
    finally:
        f.close()
