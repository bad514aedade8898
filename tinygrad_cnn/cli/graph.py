"""``tinygrad-cnn graph`` and ``tinygrad-cnn summary``: a model's computation graph and its
table of layers, drawn by the visualizer (``viz``). This is the one command module that
imports ``viz``; the others never load it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import viz

from .errors import CommandError, UsageError
from .modelfile import resolve_model
from .parser import SUMMARY_FORMATS
from .paths import check_file
from .report import console as make_console

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    return _graph(args) if args.command == "graph" else _summary(args)


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


def _graph(args: argparse.Namespace) -> int:
    if args.format == "term" and args.output:
        raise UsageError(
            f"-o {args.output} needs --format dot, svg or png "
            "(the default, --format term, draws in the terminal)"
        )
    target = None
    if args.output:
        target = Path(args.output)
        check_file(target, "-o")
    elif args.format in ("svg", "png"):
        target = Path(f"graph.{args.format}")
        check_file(target, "graph:")
    model, inputs, label = resolve_model(args.model)
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


def _summary(args: argparse.Namespace) -> int:
    model, inputs, _ = resolve_model(args.model)
    if hasattr(model, "eval"):
        model.eval()
    try:
        s = viz.summary(model, input=inputs[0] if len(inputs) == 1 else list(inputs), verbose=False)
    except Exception as e:
        raise CommandError(f"summary failed: {type(e).__name__}: {e}") from None
    if args.format == "term":
        make_console().print(s)
    else:
        sys.stdout.write(getattr(s, SUMMARY_FORMATS[args.format])())
    return 0
