"""``tinygrad-cnn evaluate CHECKPOINT``: the model of a checkpoint on the test set it was
trained against (for Ising also the P(ordered) curve and the estimate of T_c)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .checkpoint import CHECKPOINT_NAME, read_checkpoint
from .data import load_data
from .device import check_device
from .errors import UsageError
from .modelfile import build_model
from .report import console as make_console
from .report import evaluate, ising_report

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    console = make_console()
    device = check_device(args.device)
    path = Path(args.checkpoint)
    if path.is_dir():
        ckpt = path / CHECKPOINT_NAME
        hint = f"; did you mean {ckpt}?" if ckpt.is_file() else ""
        raise UsageError(f"{path} is a folder, not a checkpoint file{hint}")
    if not path.is_file():
        raise UsageError(f"no such checkpoint file: {path}")
    state = read_checkpoint(path)
    spec = dict(state["data"])
    if spec["name"] in ("mnist", "fashion-mnist") and args.data_dir:
        spec["root"] = args.data_dir
    spec["download"] = False
    model = build_model(state["model"])
    model.load_state_dict(state["state_dict"])
    model.to(device)
    label = state["model"].get("name") or state["model"].get("function")
    console.print(
        f"Checkpoint {path}: {label} after epoch {state['epoch']} on {spec['name']}",
        soft_wrap=True,  # the path stays whole
    )
    data = load_data(spec, console)
    loss, acc = evaluate(model, data.test, args.batch_size, device)
    result: dict[str, Any] = {"test_loss": loss, "test_accuracy": acc}
    if data.name == "ising":
        result.update(ising_report(model, data, args.batch_size, device, console))
    console.print(
        f"Test accuracy: [bold]{acc:.2%}[/bold] ({len(data.test)} samples), test loss {loss:.4f}"
    )
    return 0
