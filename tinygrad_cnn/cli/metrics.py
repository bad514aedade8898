"""``metrics.csv``: one row per epoch (``kind=epoch``) and, with ``--log-every N``, one row
every N training steps (``kind=step``), appended and flushed as training goes, so the file can
be read (or plotted) while a run is still going."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "MetricsLog", "read_metrics"]

COLUMNS = (
    "kind",  # epoch or step
    "epoch",
    "step",  # optimizer steps since the start of the run
    "train_loss",  # epoch: mean over the epoch; step: mean over the last N steps
    "train_accuracy",
    "test_loss",  # epoch rows only
    "test_accuracy",
    "lr",
    "samples_per_second",
    "seconds",  # since the start of training
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    return str(value)


class MetricsLog:
    """Appends rows to ``path``; ``keep_until_epoch`` (on resume) first drops the rows written
    after the checkpoint's epoch, so the file tells the story of the run that continues."""

    def __init__(self, path: Path, keep_until_epoch: int | None = None) -> None:
        self.path = path
        rows = read_metrics(path) if keep_until_epoch is not None and path.exists() else []
        rows = [r for r in rows if int(r["epoch"]) <= (keep_until_epoch or 0)]
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([r[c] for c in COLUMNS])

    def write(self, **row: Any) -> None:
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise KeyError(f"MetricsLog.write: unknown columns {sorted(unknown)}")
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([_cell(row.get(c)) for c in COLUMNS])


def read_metrics(path: Path) -> list[dict[str, str]]:
    """The rows of a ``metrics.csv`` as dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
