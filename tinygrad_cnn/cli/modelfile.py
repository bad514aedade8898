"""Models from the command line: the names in ``tg.models``, and user files.

Two kinds of user file: for ``graph``/``summary`` a file with ``build()`` returning
``(model, example_input)`` (``MODEL_FILE_HELP``); for ``train`` a ``FILE.py:FUNCTION`` that
returns an ``nn.Module`` (``TRAIN_MODEL_HELP``). A trained model is described by a *record*
stored in the checkpoint, from which ``build_model`` makes the same network again:

    {"name": "lenet", "kwargs": {"image_size": 8}}              # tg.models.lenet(image_size=8)
    {"file": "/abs/my_net.py", "function": "small", "kwargs": {...}}
"""

from __future__ import annotations

import importlib.util
import inspect
import os
from pathlib import Path
from typing import Any

from .errors import CommandError, UsageError
from .parser import TRAIN_MODELS

__all__ = [
    "load_model_file",
    "resolve_model",
    "train_model_record",
    "check_train_model",
    "build_model",
    "ISING_CHANNELS",
]

# channels of models.ising_cnn: 8 tell the phases apart as well as 16, ~4× faster
ISING_CHANNELS = 8


def _import_file(path: Path, option: str = "--model") -> Any:
    if not path.is_file():
        raise UsageError(f"{option} {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_tinygrad_cnn_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"{option} {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise CommandError(f"{path}: importing it raised {type(e).__name__}: {e}") from None
    return module


def load_model_file(path: str | os.PathLike) -> tuple[Any, tuple[Any, ...]]:
    """Import a model file and call its ``build()``: returns ``(model, inputs)`` where
    ``inputs`` is a tuple of Tensors to call the model with. See ``MODEL_FILE_HELP``."""
    from ..tensor import Tensor

    path = Path(path)
    module = _import_file(path)
    build = getattr(module, "build", None)
    if not callable(build):
        raise CommandError(f"{path} defines no build() function returning (model, example_input)")
    try:
        result = build()
    except Exception as e:
        raise CommandError(f"{path}: build() raised {type(e).__name__}: {e}") from None
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CommandError(f"{path}: build() must return (model, example_input)")
    model, example = result
    inputs = example if isinstance(example, tuple) else (example,)
    if not callable(model) or not all(isinstance(x, Tensor) for x in inputs):
        raise CommandError(
            f"{path}: build() must return (model, example_input) with a callable model and a "
            "Tensor (or a tuple of Tensors) as the example"
        )
    return model, inputs


def resolve_model(name: str) -> tuple[Any, tuple[Any, ...], str]:
    """``(model, inputs, label)`` for ``graph``/``summary --model NAME|FILE``."""
    from .. import models

    if name.endswith(".py") or os.sep in name or "/" in name:
        model, inputs = load_model_file(name)
        return model, inputs, Path(name).name
    if name not in models.MODELS:
        choices = ", ".join(sorted(models.MODELS))
        raise UsageError(f"--model: unknown model {name!r} (choose from {choices}, or a .py file)")
    model, example = models.get_model(name)
    return model, (example,), name


def check_train_model(text: str) -> None:
    """A usage error now, before any work, for a ``--model`` that cannot be right."""
    if text in TRAIN_MODELS:
        return
    file, sep, function = text.rpartition(":")
    if not sep or not file.endswith(".py"):
        choices = ", ".join(TRAIN_MODELS)
        raise UsageError(
            f"--model: unknown model {text!r} (choose from {choices}, or FILE.py:FUNCTION)"
        )
    if not function.isidentifier():
        raise UsageError(f"--model {text}: {function!r} is not a function name")
    if not Path(file).is_file():
        raise UsageError(f"--model {text}: no such file {file}")


def train_model_record(text: str, image_size: int, num_classes: int, in_channels: int) -> dict:
    """The record (see the module's docstring) of ``train --model TEXT`` for this data."""
    if text in TRAIN_MODELS:
        ctor = TRAIN_MODELS[text]
        if ctor == "ising_cnn":
            kwargs = {"L": image_size, "channels": ISING_CHANNELS, "num_classes": num_classes}
            if in_channels != 1:
                raise UsageError("--model ising-cnn takes one input channel")
        else:
            kwargs = {
                "in_channels": in_channels,
                "num_classes": num_classes,
                "image_size": image_size,
            }
        return {"name": ctor, "kwargs": kwargs}
    file, _, function = text.rpartition(":")
    path = Path(file).resolve()
    fn = _function(path, function)
    offered = {"in_channels": in_channels, "num_classes": num_classes, "image_size": image_size}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    kwargs = {k: v for k, v in offered.items() if k in params}
    return {"file": str(path), "function": function, "kwargs": kwargs}


def _function(path: Path, function: str) -> Any:
    module = _import_file(path)
    fn = getattr(module, function, None)
    if not callable(fn):
        raise UsageError(f"--model {path}:{function}: the file defines no function {function}()")
    return fn


def build_model(record: dict[str, Any]) -> Any:
    """The network a record describes, freshly initialised (from the global generator)."""
    from .. import models, nn

    if "file" in record:
        fn = _function(Path(record["file"]), record["function"])
        label = f"{record['file']}:{record['function']}()"
        try:
            model = fn(**record["kwargs"])
        except Exception as e:
            raise CommandError(f"{label} raised {type(e).__name__}: {e}") from None
        if not isinstance(model, nn.Module):
            raise CommandError(f"{label} returned {type(model).__name__}, not an nn.Module")
        return model
    name = record["name"]
    if name not in TRAIN_MODELS.values():
        known = ", ".join(TRAIN_MODELS.values())
        raise CommandError(f"unknown model {name!r} (expected one of {known})")
    try:
        return getattr(models, name)(**record["kwargs"])
    except ValueError as e:  # e.g. an image too small for the network's poolings
        raise UsageError(f"--model: {e}") from None
