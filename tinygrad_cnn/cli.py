"""The ``tinygrad-cnn`` command: train and evaluate CNNs, draw their graphs, summarise them.

    tinygrad-cnn                      # = tinygrad-cnn train: the Ising CNN, then T_c
    tinygrad-cnn train --dataset digits --epochs 10
    tinygrad-cnn evaluate runs/ising-20240101-120000/model.ckpt
    tinygrad-cnn export runs/ising-20240101-120000 --onnx
    tinygrad-cnn graph --model lenet --format term
    tinygrad-cnn summary --model my_model.py

This is the one module of the framework that imports ``rich`` (progress bars, tables); the
visualizer (``viz``) is imported only by the ``graph`` and ``summary`` commands.

A model file for ``graph`` and ``summary`` is a Python file that defines ``build()``, returning
``(model, example_input)``: an ``nn.Module`` and a Tensor (or a tuple of Tensors) to call it
on. See ``MODEL_FILE_HELP``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import difflib
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "build_parser", "estimate_tc", "load_model_file", "MODEL_FILE_HELP"]

PROG = "tinygrad-cnn"
CHECKPOINT_FORMAT = "tinygrad-cnn/checkpoint-v1"
BAR_EVERY = 10  # training steps between loss readings shown in the progress bar

# The Ising run: temperatures from deep in the ordered phase to well above T_c, 0.1 apart so
# that the crossing P(ordered) = 1/2 can be located between neighbours. As in Mehta et al.,
# training uses only T < 2.0 (ordered) and T > 2.5 (disordered); the band in between, around
# T_c ≈ 2.269, is never seen in training.
ISING_TEMPERATURES: tuple[float, ...] = tuple(round(1.0 + 0.1 * k, 2) for k in range(26))
ORDERED_BELOW = 2.0
DISORDERED_ABOVE = 2.5
TEST_FRACTION = 0.25
ISING_CHANNELS = (
    8  # channels of models.ising_cnn: 8 tell the phases apart as well as 16, ~4× faster
)

# Defaults that depend on the data set: (epochs, batch size).
_DATASET_DEFAULTS = {"ising": (2, 64), "digits": (12, 32), "mnist": (2, 64)}
# Default learning rates by (dataset, optimizer).
_LR_DEFAULTS = {
    ("ising", "adam"): 3e-3,
    ("ising", "sgd"): 0.05,
    ("digits", "adam"): 2e-3,
    ("digits", "sgd"): 0.05,
    ("mnist", "adam"): 1e-3,
    ("mnist", "sgd"): 0.05,
}

MODEL_FILE_HELP = """\
A model file is a Python file that defines a function build() returning (model, example_input):

    # my_model.py
    import tinygrad_cnn as tg
    from tinygrad_cnn import nn

    def build():
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10)
        )
        return model, tg.randn(1, 1, 28, 28)

example_input may also be a tuple of tensors, passed to the model as separate arguments."""


class UsageError(Exception):
    """A bad command line: reported in one line, followed by the usage."""


class CommandError(Exception):
    """The command could not do its job (missing data, unreadable file): one line, no usage."""


# --------------------------------------------------------------------------- argument parsing
class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error first, then the usage, then where to get help."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        self.print_usage(sys.stderr)
        sys.stderr.write(f"Run '{self.prog} --help' for the options.\n")
        raise SystemExit(2)


def _number(convert: Callable[[str], Any], ok: Callable[[Any], bool], what: str):
    """An argparse ``type`` that converts a value and checks it, with one message for both."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_positive_int = _number(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
_positive_float = _number(float, lambda v: v > 0 and math.isfinite(v), "a positive number")


_FORMATTER = argparse.RawDescriptionHelpFormatter
# summary --format: the method of the summary that writes each one
SUMMARY_FORMATS = {
    "term": "",
    "md": "to_markdown",
    "csv": "to_csv",
    "tex": "to_latex",
    "json": "to_json",
}


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command, with one sub-parser per command."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_FORMATTER,
        description=(
            "Train and inspect convolutional networks written with tinygrad_cnn.\n\n"
            "Without a command, runs 'train' with its defaults: a CNN learns the ordered and\n"
            "disordered phases of the 2D Ising model from generated configurations and then\n"
            "estimates the critical temperature."
        ),
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    # ---- train
    p = sub.add_parser(
        "train",
        help="train a CNN (default: Ising phases) and write a checkpoint and metrics",
        formatter_class=_FORMATTER,
        description=(
            "Train a CNN and write model.ckpt (the weights of the last completed epoch) and\n"
            "metrics.json to the output folder. Ctrl-C stops after keeping the last completed\n"
            "epoch's checkpoint.\n\n"
            "ising   configurations of the 2D Ising model generated by Monte Carlo (no download;\n"
            "        cached in $TINYGRAD_CNN_CACHE, default ~/.cache/tinygrad_cnn). Trained on\n"
            f"        T < {ORDERED_BELOW} (ordered) and T > {DISORDERED_ABOVE} (disordered) only;"
            " then P(ordered)\n"
            "        is predicted at every temperature and T_c estimated where it crosses 1/2,\n"
            "        to compare with Onsager's exact 2/ln(1+sqrt 2) = 2.269.\n"
            "digits  scikit-learn's 1,797 8x8 handwritten digits (needs scikit-learn).\n"
            "mnist   the 70,000 28x28 MNIST digits, from --data-dir (add --download to fetch)."
        ),
    )
    p.add_argument(
        "--dataset",
        choices=("ising", "digits", "mnist"),
        default="ising",
        help="what to learn (default: ising)",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="passes over the training set (default: ising 2, digits 12, mnist 2)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        help="samples per optimizer step (default: ising 64, digits 32, mnist 64)",
    )
    p.add_argument(
        "--lr",
        type=_positive_float,
        help="learning rate (default: adam 3e-3 for ising, 2e-3 digits, 1e-3 mnist; sgd 0.05)",
    )
    p.add_argument(
        "--optimizer",
        choices=("adam", "sgd"),
        default="adam",
        help="adam, or sgd with momentum 0.9 (default: adam)",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="cpu (NumPy) or cuda (CuPy on an NVIDIA GPU) (default: cpu)",
    )
    p.add_argument(
        "--seed",
        type=_non_negative_int,
        metavar="N",
        default=0,
        help="seed of data generation, initialisation and shuffling (default: 0)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: runs/<dataset>-<date>-<time>)",
    )
    g = p.add_argument_group("ising options")
    g.add_argument(
        "--lattice",
        type=_positive_int,
        default=16,
        metavar="L",
        help="lattice side L of the L×L configurations (default: 16)",
    )
    g.add_argument(
        "--samples-per-t",
        type=_positive_int,
        default=150,
        metavar="N",
        help=f"configurations per temperature, {len(ISING_TEMPERATURES)} temperatures from "
        f"{ISING_TEMPERATURES[0]} to {ISING_TEMPERATURES[-1]} (default: 150)",
    )
    g = p.add_argument_group("mnist options")
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        default="data",
        help="folder with the four MNIST IDX files, raw or .gz (default: data)",
    )
    g.add_argument(
        "--download",
        action="store_true",
        help="fetch missing MNIST files (about 11 MB) into --data-dir",
    )
    p.set_defaults(func=_cmd_train, parser=p)

    # ---- evaluate
    p = sub.add_parser(
        "evaluate",
        help="evaluate a checkpoint written by train on its test set",
        formatter_class=_FORMATTER,
        description=(
            "Load a checkpoint written by 'train', rebuild its model and evaluate it on the\n"
            "test set it was trained against (for ising: accuracy and the T_c estimate)."
        ),
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a model.ckpt file written by train")
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="cpu or cuda (default: cpu)",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="for mnist: where the IDX files are (default: the folder used in training)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive_int,
        metavar="N",
        default=256,
        help="samples per forward pass (default: 256)",
    )
    p.set_defaults(func=_cmd_evaluate, parser=p)

    # ---- export
    p = sub.add_parser(
        "export",
        help="write a trained model as an ONNX file (needs the [onnx] extra)",
        formatter_class=_FORMATTER,
        description=(
            "Load the checkpoint of a run written by 'train' and write its model as ONNX\n"
            "(for onnxruntime, Netron and other inference engines), with a variable batch\n"
            "size. Needs the onnx package: pip install tinygrad-cnn[onnx]."
        ),
    )
    p.add_argument("run", metavar="RUN", help="a run folder written by train, or its model.ckpt")
    p.add_argument("--onnx", action="store_true", help="write ONNX (the one format, required)")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="where to write (default: RUN/model.onnx)"
    )
    p.add_argument(
        "--opset", type=_positive_int, metavar="N", help="ONNX opset version (default: 17)"
    )
    p.set_defaults(func=_cmd_export, parser=p)

    # ---- graph
    model_help = "lenet, lenet-digits, ising, or a Python file (see above) (default: ising)"
    p = sub.add_parser(
        "graph",
        help="draw a model's computation graph (terminal, DOT, SVG or PNG)",
        formatter_class=_FORMATTER,
        description=(
            "Run a model once on an example input and draw the computation graph of its\n"
            "output, folded into one box per layer down to --depth.\n\n" + MODEL_FILE_HELP
        ),
    )
    p.add_argument("--model", default="ising", help=model_help)
    p.add_argument(
        "--format",
        choices=("term", "dot", "svg", "png"),
        default="term",
        help="term: drawn in the terminal; dot: Graphviz source text; svg/png: an image, "
        "which needs the Graphviz 'dot' program (default: term)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (default: dot to the terminal, svg/png to graph.svg / graph.png)",
    )
    p.add_argument(
        "--depth",
        type=_non_negative_int,
        metavar="N",
        default=1,
        help="module nesting shown as boxes: 0 the whole model as one box, 1 one box per "
        "layer of the top-level model, ... (default: 1)",
    )
    p.add_argument(
        "--ops",
        action="store_true",
        help="show every primitive operation instead of folding them into layers",
    )
    p.set_defaults(func=_cmd_graph, parser=p)

    # ---- summary
    p = sub.add_parser(
        "summary",
        help="a table of a model's layers: output shapes, parameters, memory",
        formatter_class=_FORMATTER,
        description=(
            "Run a model once on an example input and print each layer's output shape,\n"
            "parameter count, multiply-adds and the memory it keeps for backward.\n\n"
            + MODEL_FILE_HELP
        ),
    )
    p.add_argument("--model", default="ising", help=model_help)
    p.add_argument(
        "--format",
        choices=SUMMARY_FORMATS,
        default="term",
        help="term: a table in the terminal; md, csv, tex, json: Markdown, CSV, LaTeX or JSON "
        "text, for reports (default: term)",
    )
    p.set_defaults(func=_cmd_summary, parser=p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # No command (or options only) means "train".
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "train")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.error("a command is required")
    if extra:  # report a misspelt option against its command, not the top-level parser
        args.parser.error(_unrecognized(extra, args.parser))
    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        args.parser.error(str(e))
    except CommandError as e:
        sys.stderr.write(f"{args.parser.prog}: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{args.parser.prog}: interrupted\n")
        return 130
    return 0


def _unrecognized(extra: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """'unrecognized arguments: ...', with the closest option of the command when one is near."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    known = [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    for word in extra:
        if word.startswith("--"):
            close = difflib.get_close_matches(word.split("=")[0], known, n=1)
            if close:
                return f"{message} (did you mean {close[0]}?)"
    return message


# --------------------------------------------------------------------------- helpers
def _console():
    from rich.console import Console

    return Console(highlight=False)


def _check_device(device: str) -> str:
    if device == "cuda":
        from .backend import cupy_module

        try:
            cupy_module()
        except RuntimeError as e:
            raise UsageError(f"--device cuda: {e}") from None
    return device


def estimate_tc(temperatures: Sequence[float], p_ordered: Sequence[float]) -> float | None:
    """Where P(ordered) crosses 1/2, by linear interpolation between neighbouring temperatures.

    ``temperatures`` (sorted ascending) and ``p_ordered`` have the same length. If noise makes
    the curve cross more than once, the median crossing is returned; None if it never crosses.
    """
    t = np.asarray(temperatures, dtype=np.float64)
    p = np.asarray(p_ordered, dtype=np.float64) - 0.5
    crossings = []
    for i in range(len(t) - 1):
        if p[i] == 0.0:
            crossings.append(t[i])
        elif p[i] * p[i + 1] < 0:
            crossings.append(t[i] + (t[i + 1] - t[i]) * p[i] / (p[i] - p[i + 1]))
    if len(t) and p[-1] == 0.0:
        crossings.append(t[-1])
    return float(np.median(crossings)) if crossings else None


def _curve_text(
    ts: np.ndarray, ps: np.ndarray, tc_exact: float, tc_est: float | None, width: int = 58
) -> list[str]:
    """P(ordered) against T as rich-markup lines: dots for the data, ┊ at the exact T_c, a
    dotted line at P = 1/2 and ▲ under the estimate."""
    height = 11  # rows for P = 1.0, 0.9, ..., 0.0
    t0, t1 = float(ts.min()), float(ts.max())

    def col(t: float) -> int:
        return int(round((t - t0) / (t1 - t0) * (width - 1))) if t1 > t0 else 0

    grid = [[" "] * width for _ in range(height)]
    half = (height - 1) // 2
    for c in range(width):
        grid[half][c] = "[dim]┄[/dim]"
    tc_col = col(tc_exact)
    if 0 <= tc_col < width:
        for r in range(height):
            grid[r][tc_col] = "[yellow]┊[/yellow]"
    for t, p in zip(ts, ps, strict=True):
        r = int(round((1.0 - float(p)) * (height - 1)))
        grid[r][col(float(t))] = "[bold cyan]●[/bold cyan]"
    lines = []
    for r in range(height):
        label = {0: "1.0", half: "0.5", height - 1: "0.0"}.get(r, "")
        lines.append(f"{label:>5} │" + "".join(grid[r]))
    axis = [" "] * width
    if tc_est is not None and 0 <= col(tc_est) < width:
        axis[col(tc_est)] = "[bold green]▲[/bold green]"
    lines.append("      └" + "─" * width)
    lines.append("       " + "".join(axis))
    left, right = f"{t0:g}", f"{t1:g}"
    mid = f"T_c={tc_exact:.3f}"
    pad = max(1, tc_col - len(left) - len(mid) // 2)
    rest = max(1, width - len(left) - pad - len(mid) - len(right))
    lines.append("       " + left + " " * pad + f"[yellow]{mid}[/yellow]" + " " * rest + right)
    lines.append(
        "       [bold cyan]●[/bold cyan] P(ordered) at T   [yellow]┊[/yellow] exact T_c   "
        "[bold green]▲[/bold green] estimate"
    )
    return lines


# --------------------------------------------------------------------------- data sets
@dataclass
class _Data:
    """What a training run needs to know about its data."""

    name: str
    train: Any
    test: Any
    spec: dict[str, Any]  # enough to rebuild the same data later (stored in the checkpoint)
    model_name: str
    model_kwargs: dict[str, Any]
    curve: Any = None  # ising: the samples whose P(ordered) makes the curve
    curve_temperatures: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _progress(console, transient: bool = True):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=28),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=transient,
    )


def _ising_data(spec: dict[str, Any], console) -> _Data:
    from .data import Subset, ising

    L, n, seed = spec["L"], spec["samples_per_T"], spec["seed"]
    temps = spec["temperatures"]
    with _progress(console) as bar:
        task = bar.add_task(
            f"Ising configurations {L}×{L}, {len(temps)} T × {n}", total=None, info=""
        )

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        t0 = time.perf_counter()
        ds = ising(L=L, temperatures=temps, samples_per_T=n, seed=seed, progress=report)
        elapsed = time.perf_counter() - t0
    T = np.asarray(ds.temperatures)
    labelled = np.flatnonzero((T < ORDERED_BELOW) | (T > DISORDERED_ABOVE))
    critical = np.flatnonzero((T >= ORDERED_BELOW) & (T <= DISORDERED_ABOVE))
    perm = np.random.default_rng(seed).permutation(labelled)
    n_test = int(round(spec["test_fraction"] * len(perm)))
    test_idx, train_idx = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    curve_idx = np.sort(np.concatenate([test_idx, critical]))
    console.print(
        f"Ising data: {len(ds)} configurations {L}×{L} at {len(temps)} temperatures "
        f"({elapsed:.1f} s)"
    )
    console.print(
        f"Training on T < {ORDERED_BELOW} and T > {DISORDERED_ABOVE}: {len(train_idx)} train, "
        f"{len(test_idx)} test; {len(critical)} near T_c held out"
    )
    return _Data(
        name="ising",
        train=Subset(ds, train_idx),
        test=Subset(ds, test_idx),
        spec=spec,
        model_name="ising_cnn",
        model_kwargs={"L": L, "channels": ISING_CHANNELS},
        curve=Subset(ds, curve_idx),
        curve_temperatures=T[curve_idx],
        extra={"generation_seconds": elapsed},
    )


def _mnist_missing(root: Path) -> str:
    return (
        f"MNIST not found in {root} (it needs train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or .gz): add --download to "
        "fetch them (about 11 MB), or copy them there, or point --data-dir at them"
    )


def _load_data(spec: dict[str, Any], console) -> _Data:
    name = spec["name"]
    if name == "ising":
        return _ising_data(spec, console)
    if name == "digits":
        from .data import digits

        try:
            train, test = digits(train=True), digits(train=False)
        except ImportError as e:
            raise CommandError(str(e)) from None
        console.print(f"digits: {len(train)} train, {len(test)} test images, 8×8")
        return _Data("digits", train, test, spec, "lenet", {"image_size": 8})
    if name == "mnist":
        from .data import mnist

        root = Path(spec["root"])
        try:
            train = mnist(root, train=True, download=spec.get("download", False))
            test = mnist(root, train=False, download=spec.get("download", False))
        except FileNotFoundError:
            raise CommandError(_mnist_missing(root)) from None
        except (OSError, RuntimeError, ValueError) as e:
            raise CommandError(str(e)) from None
        console.print(f"MNIST: {len(train)} train, {len(test)} test images, 28×28")
        return _Data("mnist", train, test, spec, "lenet", {"image_size": 28})
    raise CommandError(f"unknown dataset {name!r} in the checkpoint")


_BUILDERS = ("ising_cnn", "lenet")


def _build_model(name: str, kwargs: dict[str, Any]):
    from . import models

    if name not in _BUILDERS:
        raise CommandError(f"unknown model {name!r} (expected one of {', '.join(_BUILDERS)})")
    return getattr(models, name)(**kwargs)


# --------------------------------------------------------------------------- evaluation
def _evaluate(model, dataset, batch_size: int, device: str) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``dataset`` in eval mode."""
    from . import autograd
    from . import functional as F
    from .data import DataLoader

    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with autograd.no_grad():  # sums stay on the device until the end (no per-batch sync)
        for x, y in DataLoader(dataset, batch_size=batch_size, device=device):
            logits = model(x)
            total_loss = total_loss + F.cross_entropy(logits, y, reduction="sum")
            correct = correct + (logits.argmax(axis=1) == y).sum()
            count += len(y)
    return float(total_loss) / max(count, 1), int(correct) / max(count, 1)


def _p_ordered_curve(model, data: _Data, batch_size: int, device: str) -> tuple[np.ndarray, ...]:
    """Temperatures, mean P(ordered) at each, and the count of samples behind each mean."""
    from . import autograd
    from .data import DataLoader
    from .tensor import cat

    model.eval()
    probs = []
    with autograd.no_grad():
        for x, _ in DataLoader(data.curve, batch_size=batch_size, device=device):
            probs.append(model(x).softmax(axis=1)[:, 1])
    p = cat(probs).numpy()  # one read from the device
    ts = np.unique(data.curve_temperatures)
    means = np.array([p[data.curve_temperatures == t].mean() for t in ts])
    counts = np.array([(data.curve_temperatures == t).sum() for t in ts])
    return ts, means, counts


def _ising_report(model, data: _Data, batch_size: int, device: str, console) -> dict[str, Any]:
    from .data import T_c

    ts, ps, _ = _p_ordered_curve(model, data, batch_size, device)
    tc = estimate_tc(ts, ps)
    console.print()
    console.print(
        "[bold]P(ordered) predicted at every temperature[/bold] "
        f"(trained only on T < {ORDERED_BELOW} and T > {DISORDERED_ABOVE}):"
    )
    for line in _curve_text(ts, ps, T_c, tc):
        console.print(line)
    console.print()
    if tc is None:
        console.print("[red]P(ordered) never crosses 1/2: no estimate of T_c[/red]")
        rel = None
    else:
        rel = (tc - T_c) / T_c
        console.print(
            f"Estimated T_c = [bold]{tc:.3f}[/bold]   exact (Onsager) 2/ln(1+√2) = {T_c:.3f}   "
            f"difference {100 * rel:+.1f} %"
        )
    return {
        "tc_estimate": tc,
        "tc_exact": T_c,
        "tc_relative_error": rel,
        "curve": {"temperature": ts.tolist(), "p_ordered": ps.tolist()},
    }


# --------------------------------------------------------------------------- train
def _default_out(dataset: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{dataset}-{stamp}"
    k = 1
    while out.exists():
        k += 1
        out = Path("runs") / f"{dataset}-{stamp}-{k}"
    return out


def _write_json(path: Path, obj: Any) -> None:
    from .serialization import atomic_write

    text = json.dumps(obj, indent=2, allow_nan=True).encode()
    atomic_write(path, lambda f: f.write(text))


def _make_optimizer(name: str, params, lr: float):
    from . import optim

    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    return optim.Adam(params, lr=lr)


def _cmd_train(args: argparse.Namespace) -> int:
    import tinygrad_cnn as tg

    from . import functional as F
    from .data import DataLoader
    from .serialization import save

    console = _console()
    device = _check_device(args.device)
    epochs = args.epochs or _DATASET_DEFAULTS[args.dataset][0]
    batch_size = args.batch_size or _DATASET_DEFAULTS[args.dataset][1]
    lr = args.lr or _LR_DEFAULTS[(args.dataset, args.optimizer)]
    if args.dataset == "ising":
        if args.lattice < 4:
            raise UsageError(f"--lattice must be at least 4, got {args.lattice}")
        spec = {
            "name": "ising",
            "L": args.lattice,
            "temperatures": list(ISING_TEMPERATURES),
            "samples_per_T": args.samples_per_t,
            "seed": args.seed,
            "test_fraction": TEST_FRACTION,
        }
    elif args.dataset == "mnist":
        spec = {"name": "mnist", "root": str(Path(args.data_dir)), "download": args.download}
    else:
        spec = {"name": "digits"}
    out = Path(args.out) if args.out else _default_out(args.dataset)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")

    started = time.perf_counter()
    data = _load_data(spec, console)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"cannot create the output folder {out}: {e.strerror}") from None
    ckpt_path, metrics_path = out / "model.ckpt", out / "metrics.json"

    tg.manual_seed(args.seed)
    model = _build_model(data.model_name, data.model_kwargs).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = _make_optimizer(args.optimizer, model.parameters(), lr)
    loader = DataLoader(
        data.train, batch_size=batch_size, shuffle=True, seed=args.seed, device=device
    )
    config = {
        "dataset": args.dataset,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "optimizer": args.optimizer,
        "device": device,
        "seed": args.seed,
        "model": data.model_name,
        "model_kwargs": data.model_kwargs,
        "parameters": n_params,
    }
    console.print(
        f"Model {data.model_name} ({n_params:,} parameters), {args.optimizer} lr={lr:g}, "
        f"batch {batch_size}, {epochs} epochs on {device}"
    )

    header = (
        f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'test loss':>9}  "
        f"{'test acc':>8}  {'time':>6}"
    )
    history: list[dict[str, Any]] = []
    metrics: dict[str, Any] = {"config": config, "data": data.spec, "history": history}
    interrupted = False
    with _progress(console) as bar:
        console.print(f"[bold]{header}[/bold]")  # a row follows each epoch
        try:
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                task = bar.add_task(f"epoch {epoch}/{epochs}", total=len(loader), info="")
                model.train()
                # running sums stay on the device: on a GPU, reading a value every step
                # would stall it, so the bar shows the loss every BAR_EVERY steps only
                loss_sum, correct, seen = 0.0, 0, 0
                for step, (x, y) in enumerate(loader, 1):
                    logits = model(x)
                    loss = F.cross_entropy(logits, y)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    loss_sum = loss_sum + loss.detach() * len(y)
                    correct = correct + (logits.argmax(axis=1) == y).sum()
                    seen += len(y)
                    info = f"loss {float(loss_sum) / seen:.4f}" if step % BAR_EVERY == 0 else None
                    bar.update(task, advance=1, **({"info": info} if info else {}))
                loss_sum, correct = float(loss_sum), int(correct)
                bar.remove_task(task)
                test_loss, test_acc = _evaluate(model, data.test, 256, device)
                row = {
                    "epoch": epoch,
                    "train_loss": loss_sum / seen,
                    "train_accuracy": correct / seen,
                    "test_loss": test_loss,
                    "test_accuracy": test_acc,
                    "seconds": time.perf_counter() - t0,
                }
                state = {
                    "format": CHECKPOINT_FORMAT,
                    "model": {"name": data.model_name, "kwargs": data.model_kwargs},
                    "data": data.spec,
                    "config": config,
                    "epoch": epoch,
                    "test_accuracy": test_acc,
                    "state_dict": model.state_dict(),
                }
                save(state, ckpt_path)  # atomic: an interrupt leaves the previous one intact
                history.append(row)
                console.print(
                    f"{epoch:>5}  {row['train_loss']:>10.4f}  {row['train_accuracy']:>9.2%}  "
                    f"{test_loss:>9.4f}  {test_acc:>8.2%}  {row['seconds']:>5.1f}s"
                )
        except KeyboardInterrupt:
            interrupted = True

    metrics["train_seconds"] = time.perf_counter() - started
    metrics.update(data.extra)
    if interrupted:
        metrics["interrupted"] = True
        _write_json(metrics_path, metrics)
        console.print()
        if history:
            console.print(
                f"[yellow]Interrupted[/yellow] during epoch {len(history) + 1}: kept the "
                f"checkpoint of epoch {len(history)} in {ckpt_path}"
            )
        else:
            console.print(
                "[yellow]Interrupted[/yellow] before the first epoch finished: "
                "no checkpoint was written"
            )
        console.print(f"Metrics so far: {metrics_path}")
        return 130

    final = history[-1]
    metrics["test_accuracy"] = final["test_accuracy"]
    if data.name == "ising":
        metrics.update(_ising_report(model, data, 256, device, console))
    metrics["total_seconds"] = time.perf_counter() - started
    _write_json(metrics_path, metrics)
    console.print(
        f"Test accuracy: [bold]{final['test_accuracy']:.2%}[/bold] ({len(data.test)} samples)"
    )
    console.print(f"Checkpoint: {ckpt_path}")
    console.print(f"Metrics:    {metrics_path}")
    console.print(f"Total time: {metrics['total_seconds']:.1f} s")
    console.print("Evaluate it again with:")
    console.print(f"  {PROG} evaluate {ckpt_path}", soft_wrap=True)  # copyable: never wrapped
    return 0


# --------------------------------------------------------------------------- evaluate
def _read_checkpoint(path: Path) -> dict[str, Any]:
    """The contents of a checkpoint written by ``train``; a one-line error otherwise."""
    from .serialization import load

    try:
        state = load(path)
    except Exception as e:  # any unreadable file: say which and why, no traceback
        raise CommandError(f"{path} is not a readable checkpoint ({e})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CommandError(f"{path} was not written by '{PROG} train'")
    return state


def _cmd_evaluate(args: argparse.Namespace) -> int:
    console = _console()
    device = _check_device(args.device)
    path = Path(args.checkpoint)
    if path.is_dir():
        hint = f"; did you mean {path / 'model.ckpt'}?" if (path / "model.ckpt").is_file() else ""
        raise UsageError(f"{path} is a folder, not a checkpoint file{hint}")
    if not path.is_file():
        raise UsageError(f"no such checkpoint file: {path}")
    state = _read_checkpoint(path)
    spec = dict(state["data"])
    if spec["name"] == "mnist" and args.data_dir:
        spec["root"] = args.data_dir
    spec["download"] = False
    model = _build_model(state["model"]["name"], state["model"]["kwargs"])
    model.load_state_dict(state["state_dict"])
    model.to(device)
    console.print(
        f"Checkpoint {path}: {state['model']['name']} after epoch {state['epoch']} "
        f"on {spec['name']}",
        soft_wrap=True,  # the path stays whole
    )
    data = _load_data(spec, console)
    loss, acc = _evaluate(model, data.test, args.batch_size, device)
    result: dict[str, Any] = {"test_loss": loss, "test_accuracy": acc}
    if data.name == "ising":
        result.update(_ising_report(model, data, args.batch_size, device, console))
    console.print(
        f"Test accuracy: [bold]{acc:.2%}[/bold] ({len(data.test)} samples), test loss {loss:.4f}"
    )
    return 0


# --------------------------------------------------------------------------- export
def _cmd_export(args: argparse.Namespace) -> int:
    from .tensor import Tensor

    if not args.onnx:
        raise UsageError("choose the format to write: --onnx (the only one so far)")
    run = Path(args.run)
    path = run / "model.ckpt" if run.is_dir() else run
    if not path.is_file():
        raise UsageError(f"no checkpoint at {path} (RUN is a folder written by train)")
    state = _read_checkpoint(path)
    kwargs = state["model"]["kwargs"]
    side = kwargs.get("image_size", kwargs.get("L"))
    if side is None:
        raise CommandError(f"{path}: the input size of model {state['model']['name']} is unknown")
    model = _build_model(state["model"]["name"], kwargs)
    model.load_state_dict(state["state_dict"])
    example = Tensor(np.zeros((1, kwargs.get("in_channels", 1), side, side), np.float32))
    out = Path(args.output) if args.output else path.with_suffix(".onnx")
    from . import onnx

    try:
        onnx.export(model, example, out, opset_version=args.opset)
    except ImportError as e:
        raise CommandError(str(e)) from None
    except ValueError as e:  # an opset the installed onnx does not know
        raise UsageError(f"--opset: {e}") from None
    except OSError as e:
        raise CommandError(f"cannot write {out}: {e.strerror or e}") from None
    print(
        f"wrote {out} ({state['model']['name']}, input (batch, {example.shape[1]}, {side}, {side}))"
    )
    return 0


# --------------------------------------------------------------------------- graph / summary
def load_model_file(path: str | os.PathLike) -> tuple[Any, tuple[Any, ...]]:
    """Import a model file and call its ``build()``: returns ``(model, inputs)`` where
    ``inputs`` is a tuple of Tensors to call the model with. See ``MODEL_FILE_HELP``."""
    from .tensor import Tensor

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--model {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_tinygrad_cnn_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"--model {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise CommandError(f"{path}: importing it raised {type(e).__name__}: {e}") from None
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


def _resolve_model(name: str) -> tuple[Any, tuple[Any, ...], str]:
    from . import models

    if name.endswith(".py") or os.sep in name or "/" in name:
        model, inputs = load_model_file(name)
        return model, inputs, Path(name).name
    if name not in models.MODELS:
        choices = ", ".join(sorted(models.MODELS))
        raise UsageError(f"--model: unknown model {name!r} (choose from {choices}, or a .py file)")
    model, example = models.get_model(name)
    return model, (example,), name


def _run_model(model, inputs):
    if hasattr(model, "eval"):
        model.eval()  # dropout off, batch norm on running statistics: one example is enough
    try:
        return model(*inputs)
    except Exception as e:
        shapes = ", ".join(str(tuple(x.shape)) for x in inputs)
        raise CommandError(
            f"running the model on an input of shape {shapes} failed: {type(e).__name__}: {e}"
        ) from None


def _cmd_graph(args: argparse.Namespace) -> int:
    import viz

    if args.format == "term" and args.output:
        raise UsageError(
            f"-o {args.output} needs --format dot, svg or png "
            "(the default, --format term, draws in the terminal)"
        )
    model, inputs, label = _resolve_model(args.model)
    out = _run_model(model, inputs)
    depth = None if args.ops else args.depth
    if args.format == "term":
        viz.show(out, depth=depth)
        return 0
    if args.format == "dot":
        text = viz.to_dot(out, depth=depth)
        if args.output:
            try:
                Path(args.output).write_text(text)
            except OSError as e:
                raise CommandError(f"cannot write {args.output}: {e.strerror}") from None
            print(f"wrote {args.output}")
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0
    target = Path(args.output or f"graph.{args.format}")
    if not viz.dot_available():
        raise CommandError(
            f"--format {args.format} needs the Graphviz 'dot' program, which was not found "
            "(install it with 'apt-get install graphviz' or 'brew install graphviz'), "
            "or use --format dot or --format term"
        )
    try:
        written = viz.render(out, target, format=args.format, depth=depth)
    except (RuntimeError, OSError) as e:
        raise CommandError(str(e).splitlines()[0]) from None
    print(f"wrote {written} (graph of {label})")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    import viz

    model, inputs, _ = _resolve_model(args.model)
    if hasattr(model, "eval"):
        model.eval()
    try:
        s = viz.summary(model, input=inputs[0] if len(inputs) == 1 else list(inputs), verbose=False)
    except Exception as e:
        raise CommandError(f"summary failed: {type(e).__name__}: {e}") from None
    if args.format == "term":
        _console().print(s)
    else:
        sys.stdout.write(getattr(s, SUMMARY_FORMATS[args.format])())
    return 0
