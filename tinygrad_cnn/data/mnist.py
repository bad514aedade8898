"""MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits, 28×28 grey levels.

The data comes in four IDX files (optionally gzipped). IDX is a tiny binary format: a 4-byte
magic number — two zero bytes, a type code (0x08 = unsigned byte, ...) and the number of
dimensions — then each dimension as a big-endian uint32, then the values, row-major, big-endian.
Image files are 0x00000803 (3 dimensions: N, 28, 28), label files 0x00000801 (1 dimension: N).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..serialization import atomic_write
from .dataset import TensorDataset
from .ising import default_cache_dir

__all__ = ["mnist", "load_idx_dataset", "parse_idx", "MIRRORS", "MD5", "CLASSES", "SYSTEM_DIR"]

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Public mirrors of the original gzipped files, tried in this order."""

MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
"""The published MD5 checksums of the four gzipped files."""

CLASSES = [
    f"{d} - {w}" for d, w in enumerate("zero one two three four five six seven eight nine".split())
]
"""The names of the labels 0..9 (as torchvision names them)."""

SYSTEM_DIR = Path("/usr/share/datasets/mnist")
"""Where a system-wide copy of the IDX files is looked for when ``root`` does not have them."""

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def parse_idx(data: bytes, source: str = "IDX data") -> np.ndarray:
    """Parse the bytes of an IDX file into an array of native byte order.

    Checks the magic number (two zero bytes, a known type code, ≥ 1 dimension) and that the
    length matches the dimensions exactly; raises ValueError naming ``source`` otherwise.
    """
    if len(data) < 4:
        raise ValueError(f"{source}: too short for an IDX file ({len(data)} bytes)")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    magic = int.from_bytes(data[:4], "big")
    if zero0 != 0 or zero1 != 0 or code not in _IDX_TYPES or ndim == 0:
        raise ValueError(
            f"{source}: bad IDX magic number 0x{magic:08x} (expected 00 00, a type code in "
            f"{{{', '.join(f'0x{c:02x}' for c in _IDX_TYPES)}}}, and ≥ 1 dimension)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{source}: truncated IDX header ({len(data)} bytes, need {header})")
    dims = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{source}: IDX header says shape {dims} of {dtype.name} ({expected} bytes of data) "
            f"but the file holds {len(data) - header} bytes after the header"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _read_idx_file(path: Path, what: str) -> np.ndarray:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{what}: {path} is not a valid gzip file ({e})") from e
    return parse_idx(data, f"{what}: {path}")


def _find(folders: list[Path], name: str) -> Path | None:
    """``name`` or ``name.gz`` in the first of ``folders`` that has it."""
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _fetch(url: str, timeout: float = 60.0) -> bytes:
    """The body of ``url`` (replaced in tests: they never touch the network)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - fixed https URLs
        return response.read()


def _download(what: str, root: Path, name: str, mirrors: tuple[str, ...], md5: dict) -> Path:
    """Fetch ``name.gz`` from the first mirror that serves it with the right MD5; write it into
    ``root`` atomically (a failed download leaves no partial file)."""
    gz = f"{name}.gz"
    errors = []
    for mirror in mirrors:
        url = mirror + gz
        try:
            data = _fetch(url)
        except Exception as e:  # network errors come in many types (URLError, timeout, ...)
            errors.append(f"{url}: {type(e).__name__}: {e}")
            continue
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if digest != md5[gz]:
            errors.append(f"{url}: MD5 mismatch (got {digest}, expected {md5[gz]})")
            continue
        root.mkdir(parents=True, exist_ok=True)
        target = root / gz
        atomic_write(target, lambda f, data=data: f.write(data))
        return target
    raise RuntimeError(
        f"{what}: could not download {gz}:\n  " + "\n  ".join(errors) + f"\nTo fix: download "
        f"{gz} from {mirrors[0]} into {root}, or check your network connection and retry."
    )


def load_idx_dataset(
    what: str,
    root: str | os.PathLike | None,
    train: bool,
    download: bool,
    *,
    layout: str,
    system_dir: Path,
    system_hint: str,
    mirrors: tuple[str, ...],
    md5: dict[str, str],
    classes: list[str],
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[Any], Any] | None = None,
) -> TensorDataset:
    """An MNIST-format data set (four IDX files) as a ``TensorDataset`` of ``(x, y)``.

    The files are looked for in ``root`` (and torchvision's ``root/<layout>/raw``), then in
    ``system_dir``; with ``download=True`` the missing ones are fetched from ``mirrors``,
    checked against ``md5`` and stored in ``root`` (default: the cache folder).
    ``transform``/``target_transform`` go to the ``TensorDataset`` (applied per sample).
    """
    names = list(_FILES[bool(train)])
    folders = [system_dir]
    if root is not None:
        root = Path(root).expanduser()
        folders = [root, root / layout / "raw", system_dir]
    paths = {n: _find(folders, n) for n in names}
    missing = [n for n, p in paths.items() if p is None]
    if missing and not download:
        looked = ", ".join(str(f) for f in folders)
        files = ", ".join(f"{n}.gz" for n in missing)
        raise FileNotFoundError(
            f"{what}: {', '.join(missing)} (.gz or raw) not found in {looked}. Three ways to get "
            f"them: pass root= a folder that holds {files}; or {system_hint} (it puts them in "
            f"{system_dir}); or pass download=True to fetch them from {mirrors[0]}."
        )
    target = root if root is not None else default_cache_dir() / layout
    for n in missing:
        paths[n] = _download(what, target, n, mirrors, md5)

    images = _read_idx_file(paths[names[0]], what)
    labels = _read_idx_file(paths[names[1]], what)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{what}: {paths[names[0]]} should hold uint8 images (N, H, W) (magic 0x00000803), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(
            f"{what}: {paths[names[1]]} should hold uint8 labels (N,) (magic 0x00000801), "
            f"got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{what}: {len(images)} images but {len(labels)} labels "
            f"({paths[names[0]].name}, {paths[names[1]].name})"
        )
    if labels.size and labels.max() >= len(classes):
        raise ValueError(
            f"{what}: {paths[names[1]]} has label {labels.max()}, expected 0..{len(classes) - 1}"
        )
    x = (images.astype(np.float32) / 255.0)[:, None]  # (N, 1, H, W)
    dataset = TensorDataset(
        x, labels.astype(np.int64), transform=transform, target_transform=target_transform
    )
    dataset.classes = list(classes)
    return dataset


def mnist(
    root: str | os.PathLike | None = None,
    train: bool = True,
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[Any], Any] | None = None,
    download: bool = False,
) -> TensorDataset:
    """The MNIST training (60,000) or test (10,000) set as a ``TensorDataset`` of ``(x, y)``.

    x: float32 (N, 1, 28, 28), grey levels scaled from 0..255 to [0, 1]; y: int64 (N,), 0..9;
    ``classes`` names the ten labels.

    Looks for the IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each raw or ``.gz``) in ``root``
    or ``root/MNIST/raw``, then in ``/usr/share/datasets/mnist``. With ``download=True``
    missing files are fetched from ``MIRRORS``, checked against the published MD5 sums and
    stored in ``root`` (default: the cache folder, see ``default_cache_dir``).

    ``transform`` is applied to each image (a float32 (1, 28, 28) Tensor in [0, 1]) and
    ``target_transform`` to each label when a sample is read, as torchvision's ``MNIST`` does.
    """
    return load_idx_dataset(
        "mnist",
        root,
        train,
        download,
        layout="MNIST",
        system_dir=SYSTEM_DIR,
        system_hint="put a copy of MNIST there",
        mirrors=MIRRORS,
        md5=MD5,
        classes=CLASSES,
        transform=transform,
        target_transform=target_transform,
    )
