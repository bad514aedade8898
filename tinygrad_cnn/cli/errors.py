"""The two kinds of failure every command reports, and the program's name."""

from __future__ import annotations

__all__ = ["PROG", "UsageError", "CommandError"]

PROG = "tinygrad-cnn"


class UsageError(Exception):
    """A bad command line: reported in one line, followed by the usage (exit status 2)."""


class CommandError(Exception):
    """The command could not do its job (missing data, unreadable file, training diverged):
    one line, no usage (exit status 1)."""
