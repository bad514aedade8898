"""Differentiable primitives, grouped by kind. Each is a ``Function`` subclass."""

from . import elementwise, linalg, movement, reduce

__all__ = ["elementwise", "linalg", "movement", "reduce"]
