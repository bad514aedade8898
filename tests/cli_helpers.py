"""Helpers shared by the tests of the ``tinygrad-cnn`` command (tests/test_cli*.py).

Every run uses a temporary data cache (``TINYGRAD_CNN_CACHE``) and a temporary ``--out``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a tiny Ising run: 8×8 lattices, 24 per temperature (the data is generated once per cache)
SMALL = ["--lattice", "8", "--samples-per-t", "24", "--batch-size", "32"]


def cli_env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TINYGRAD_CNN_CACHE"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["COLUMNS"] = "100"
    return env


def run(
    args: list[str], cache: Path, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", *args],
        cwd=cwd,
        env=cli_env(cache),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_usage_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 2, the error first and in one line, then the usage and where to get help;
    no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("tinygrad-cnn") and ": error: " in lines[0], lines
    assert any(ln.startswith("usage: tinygrad-cnn") for ln in lines[1:]), lines
    assert "--help" in lines[-1], lines
    assert "Traceback" not in proc.stderr + proc.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])


def assert_command_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    """Exit status 1 and a one-line error; no traceback."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and ": error: " in lines[0], lines
    assert "Traceback" not in proc.stderr + proc.stdout
    for w in words:
        assert w in lines[0], (w, lines[0])


def write_idx(folder: Path, n_train: int = 96, n_test: int = 32, side: int = 28) -> Path:
    """Four small IDX files in the layout of MNIST and Fashion-MNIST, images whose class is
    where a bright square sits (so a network can learn them)."""
    import gzip

    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 40, (n, side, side)).astype(np.uint8)
        for i, c in enumerate(labels):
            r, col = divmod(int(c), 5)
            images[i, 4 + 10 * r : 10 + 10 * r, 2 + 5 * col : 6 + 5 * col] = 255
        head = b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in (n, side, side))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(head + images.tobytes())
        )
        head = b"\x00\x00\x08\x01" + n.to_bytes(4, "big")
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(head + labels.tobytes())
        )
    return folder
