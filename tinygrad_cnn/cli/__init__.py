"""The ``tinygrad-cnn`` command: train and evaluate CNNs, draw their graphs, summarise them.

    tinygrad-cnn train                          # the Ising CNN, then T_c
    tinygrad-cnn train --dataset digits --epochs 10 --live
    tinygrad-cnn train --resume runs/ising-20240101-120000 --epochs 4
    tinygrad-cnn evaluate runs/ising-20240101-120000/model.ckpt
    tinygrad-cnn export runs/ising-20240101-120000 --onnx
    tinygrad-cnn graph --model lenet --format term
    tinygrad-cnn summary --model my_model.py

This package is the application layer (progress bars, tables and the ``--live`` dashboard
are drawn with ``rich``). One module per command (``train``, ``evaluate``, ``export``, and
``graph`` for graph and summary) with shared ``parser``, ``data``, ``report`` and
``checkpoint`` modules; ``main`` imports only the module of the command it runs, so only
``graph`` and ``summary`` load the visualizer.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from .errors import PROG, CommandError, UsageError
from .parser import MODEL_FILE_HELP, build_parser, unrecognized

__all__ = ["main", "build_parser", "estimate_tc", "load_model_file", "MODEL_FILE_HELP"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:  # a bare command: say what it can do, and do nothing else
        parser.print_help()
        return 0
    if argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        parser.error(
            f"options come after a command, e.g. '{PROG} train {' '.join(argv)}' "
            "(commands: train, evaluate, export, graph, summary)"
        )
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.error("choose a command: train, evaluate, export, graph or summary")
    if extra:  # report a misspelt option against its command, not the top-level parser
        args.parser.error(unrecognized(extra, args.parser))
    module = importlib.import_module(f"{__name__}.{args.handler}")
    try:
        return int(module.run(args) or 0)
    except UsageError as e:
        args.parser.error(str(e))
    except CommandError as e:
        sys.stderr.write(f"{args.parser.prog}: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{args.parser.prog}: interrupted\n")
        return 130
    return 0


def estimate_tc(temperatures, p_ordered):
    """See :func:`tinygrad_cnn.cli.report.estimate_tc`."""
    from .report import estimate_tc as _estimate

    return _estimate(temperatures, p_ordered)


def load_model_file(path):
    """See :func:`tinygrad_cnn.cli.modelfile.load_model_file`."""
    from .modelfile import load_model_file as _load

    return _load(path)
