"""The command line's grammar: one ``argparse`` parser with a sub-parser per command.

Each sub-parser names the module that runs it (``handler``); ``main`` imports only that one, so
``train`` never loads the visualizer that ``graph`` and ``summary`` need.
"""

from __future__ import annotations

import argparse
import difflib
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import PROG

__all__ = [
    "build_parser",
    "unrecognized",
    "MODEL_FILE_HELP",
    "SUMMARY_FORMATS",
    "DATASETS",
    "OPTIMIZERS",
    "SCHEDULERS",
    "TRAIN_MODELS",
    "RESUMABLE",
]

# The Ising run: temperatures from deep in the ordered phase to well above T_c, 0.1 apart so
# that the crossing P(ordered) = 1/2 can be located between neighbours. As in Mehta et al.,
# training uses only T < 2.0 (ordered) and T > 2.5 (disordered); the band in between, around
# T_c ≈ 2.269, is never seen in training.
ISING_TEMPERATURES: tuple[float, ...] = tuple(round(1.0 + 0.1 * k, 2) for k in range(26))
ORDERED_BELOW = 2.0
DISORDERED_ABOVE = 2.5

DATASETS = ("ising", "digits", "mnist", "fashion-mnist")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adadelta")
SCHEDULERS = ("none", "step", "exponential", "cosine")
# --model names for train, and the tg.models constructor behind each
TRAIN_MODELS = {"lenet": "lenet", "ising-cnn": "ising_cnn", "mnist-net": "Net"}
# the options that --resume accepts; every other setting comes from the run's config.json
RESUMABLE = ("epochs", "live")

# summary --format: the method of the summary that writes each one
SUMMARY_FORMATS = {
    "term": "",
    "md": "to_markdown",
    "csv": "to_csv",
    "tex": "to_latex",
    "json": "to_json",
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

TRAIN_MODEL_HELP = """\
--model for train is a name (lenet, ising-cnn, mnist-net: the network of PyTorch's MNIST
example), or FILE.py:FUNCTION, a function that returns an nn.Module; it is called with the
keyword arguments among in_channels, num_classes and image_size that it accepts:

    # my_net.py                      tinygrad-cnn train --dataset digits --model my_net.py:small
    from tinygrad_cnn import nn

    def small(num_classes, image_size):
        return nn.Sequential(nn.Flatten(), nn.Linear(image_size**2, num_classes))"""


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


positive_int = _number(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _number(int, lambda v: v >= 0, "an integer ≥ 0")
positive_float = _number(float, lambda v: v > 0 and math.isfinite(v), "a positive number")
non_negative_float = _number(float, lambda v: v >= 0 and math.isfinite(v), "a number ≥ 0")

_FORMATTER = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    """The parser of the whole command, with one sub-parser per command."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_FORMATTER,
        description=(
            "Train and inspect convolutional networks written with tinygrad_cnn.\n\n"
            f"Start with '{PROG} train': a CNN learns the ordered and disordered phases of the\n"
            "2D Ising model from generated configurations and then estimates the critical\n"
            "temperature."
        ),
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    _add_evaluate(sub)
    _add_export(sub)
    _add_graph_and_summary(sub)
    return parser


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a CNN (default: Ising phases) and write a checkpoint and metrics",
        formatter_class=_FORMATTER,
        description=(
            "Train a CNN and write to the run folder: model.ckpt (the weights, optimizer,\n"
            "scheduler and random state of the last completed epoch), config.json,\n"
            "metrics.csv (a row per epoch and per --log-every steps), metrics.json and, with\n"
            "matplotlib installed, curves.png (and phase.png for ising). Ctrl-C stops after\n"
            "keeping the last completed epoch's checkpoint; --resume RUN continues it.\n\n"
            "ising          configurations of the 2D Ising model generated by Monte Carlo (no\n"
            "               download; cached in $TINYGRAD_CNN_CACHE, default\n"
            f"               ~/.cache/tinygrad_cnn). Trained on T < {ORDERED_BELOW} (ordered) and"
            f" T > {DISORDERED_ABOVE}\n"
            "               (disordered) only; then P(ordered) is predicted at every\n"
            "               temperature and T_c estimated where it crosses 1/2, to compare\n"
            "               with Onsager's exact 2/ln(1+sqrt 2) = 2.269.\n"
            "digits         scikit-learn's 1,797 8x8 handwritten digits (needs scikit-learn).\n"
            "mnist          the 70,000 28x28 MNIST digits, from --data-dir (--download fetches).\n"
            "fashion-mnist  70,000 28x28 clothing images, from --data-dir or the system's copy.\n\n"
            + TRAIN_MODEL_HELP
        ),
    )
    p.add_argument(
        "--dataset", choices=DATASETS, help="what to learn (default: ising)", metavar="NAME"
    )
    p.add_argument(
        "--model",
        metavar="NAME|FILE.py:FUNCTION",
        help="lenet, ising-cnn, mnist-net, or a function in a file, see above "
        "(default: ising-cnn for ising, lenet otherwise)",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        metavar="N",
        help="passes over the training set (default: ising 2, digits 12, mnist 2); with "
        "--resume: the total to reach",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        help="samples per optimizer step (default: ising 64, digits 32, mnist 64)",
    )
    p.add_argument(
        "--lr",
        type=positive_float,
        help="learning rate (default: adam/adamw 3e-3 for ising, 2e-3 digits, 1e-3 mnist; "
        "sgd 0.05; rmsprop 1e-3; adadelta 1.0)",
    )
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        metavar="NAME",
        help="adam, adamw, sgd (momentum 0.9), rmsprop or adadelta (default: adam)",
    )
    p.add_argument(
        "--weight-decay",
        type=non_negative_float,
        metavar="W",
        help="L2 penalty (decoupled for adamw) (default: 0; adamw 0.01)",
    )
    p.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        metavar="NAME",
        help="learning rate schedule, stepped after each epoch: none, step (×0.7 every "
        "epoch, as PyTorch's MNIST example), exponential (×0.9 every epoch) or cosine "
        "(to 0 at the last epoch) (default: none)",
    )
    p.add_argument(
        "--augment",
        action="store_true",
        default=None,
        help="augment the training data: random flips for ising (symmetries of the lattice), "
        "random shifts for digits and mnist, shifts and mirror images for fashion-mnist",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        help="cpu (NumPy) or cuda (CuPy on an NVIDIA GPU) (default: cpu)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="N",
        help="seed of data generation, initialisation and shuffling (default: 0)",
    )
    p.add_argument(
        "--limit",
        type=positive_int,
        metavar="N",
        help="use only the first N training and N test samples (a quick look)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="the run folder (default: runs/<dataset>-<date>-<time>)"
    )
    p.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in folder RUN from its last completed epoch, exactly as if it "
        "had not stopped (only --epochs and --live may be given with it)",
    )
    p.add_argument(
        "--log-every",
        type=non_negative_int,
        metavar="N",
        help="also write a row to metrics.csv every N training steps (default: 0, per epoch only)",
    )
    p.add_argument(
        "--live",
        action="store_true",
        default=None,
        help="a live dashboard in the terminal: loss and accuracy curves, learning rate, "
        "per-layer gradient norms and update/weight ratios with vanishing, exploding and "
        "dead-ReLU flags, throughput and ETA (a plain progress bar when not a terminal)",
    )
    g = p.add_argument_group("ising options")
    g.add_argument(
        "--lattice",
        type=positive_int,
        metavar="L",
        help="lattice side L of the L×L configurations (default: 16)",
    )
    g.add_argument(
        "--samples-per-t",
        type=positive_int,
        metavar="N",
        help=f"configurations per temperature, {len(ISING_TEMPERATURES)} temperatures from "
        f"{ISING_TEMPERATURES[0]} to {ISING_TEMPERATURES[-1]} (default: 150)",
    )
    g = p.add_argument_group("mnist and fashion-mnist options")
    g.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the four IDX files, raw or .gz (default: data for mnist; for "
        "fashion-mnist the system's copy, else data)",
    )
    g.add_argument(
        "--download",
        action="store_true",
        default=None,
        help="fetch missing IDX files (about 11 MB for mnist, 30 MB for fashion-mnist) into "
        "--data-dir",
    )
    p.set_defaults(handler="train", parser=p)


def _add_evaluate(sub) -> None:
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
        "--device", choices=("cpu", "cuda"), default="cpu", help="cpu or cuda (default: cpu)"
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="for mnist: where the IDX files are (default: the folder used in training)",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        default=256,
        help="samples per forward pass (default: 256)",
    )
    p.set_defaults(handler="evaluate", parser=p)


def _add_export(sub) -> None:
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
        "--opset", type=positive_int, metavar="N", help="ONNX opset version (default: 17)"
    )
    p.set_defaults(handler="export", parser=p)


def _add_graph_and_summary(sub) -> None:
    model_help = (
        "lenet, lenet-digits, ising, mnist-net, or a Python file (see above) (default: ising)"
    )
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
        type=non_negative_int,
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
    p.set_defaults(handler="graph", parser=p)

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
    p.set_defaults(handler="graph", parser=p)


def unrecognized(extra: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """'unrecognized arguments: ...', with the closest option of the command when one is near."""
    message = f"unrecognized arguments: {' '.join(extra)}"
    known = [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    for word in extra:
        if word.startswith("--"):
            close = difflib.get_close_matches(word.split("=")[0], known, n=1)
            if close:
                return f"{message} (did you mean {close[0]}?)"
    return message
