"""``tinygrad-cnn export RUN --onnx``: the model of a run as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .checkpoint import checkpoint_of, read_checkpoint
from .errors import CommandError, UsageError
from .modelfile import build_model
from .paths import check_file

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    from ..tensor import Tensor

    if not args.onnx:
        raise UsageError("choose the format to write: --onnx (the only one so far)")
    path = checkpoint_of(Path(args.run), "RUN")
    out = Path(args.output) if args.output else path.with_suffix(".onnx")
    check_file(out, "-o")
    state = read_checkpoint(path)
    kwargs = state["model"]["kwargs"]
    side = kwargs.get("image_size", kwargs.get("L"))
    if side is None:
        side = state["data"].get("L") if state["data"]["name"] == "ising" else None
    if side is None:
        side = {"digits": 8, "mnist": 28, "fashion-mnist": 28}.get(state["data"]["name"])
    if side is None:
        raise CommandError(f"{path}: the input size of the model is unknown")
    model = build_model(state["model"])
    model.load_state_dict(state["state_dict"])
    example = Tensor(np.zeros((1, kwargs.get("in_channels", 1), side, side), np.float32))
    from .. import onnx

    try:
        onnx.export(model, example, out, opset_version=args.opset)
    except ImportError as e:
        raise CommandError(str(e)) from None
    except ValueError as e:  # an opset the installed onnx does not know
        raise UsageError(f"--opset: {e}") from None
    except OSError as e:
        raise CommandError(f"cannot write {out}: {e.strerror or e}") from None
    label = state["model"].get("name") or state["model"].get("function")
    print(f"wrote {out} ({label}, input (batch, {example.shape[1]}, {side}, {side}))")
    return 0
