"""Argument checkers shared by the functional modules (private)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = [
    "_tensor",
    "_pair",
    "_same_dtype",
    "_batched",
    "_images",
    "_reduce",
    "_legacy_reduction",
    "IntPair",
]

IntPair = int | Sequence[int]


def _tensor(x: Any, name: str, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except Exception as e:
        raise TypeError(f"{op}: {name} must be a Tensor or array, got {type(x).__name__}") from e


def _pair(v: IntPair, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints → a pair, each ≥ ``minimum``."""
    if isinstance(v, (int, np.integer)):
        pair = (int(v), int(v))
    else:
        try:
            pair = tuple(int(n) for n in v)
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}") from None
        if len(pair) == 1:
            pair = pair * 2
        if len(pair) != 2:
            raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {v!r}")
    return pair  # type: ignore[return-value]


def _same_dtype(op: str, **tensors: Tensor | None) -> None:
    """PyTorch-style dtype check: every given tensor has the first one's dtype."""
    items = [(name, t) for name, t in tensors.items() if t is not None]
    first_name, first = items[0]
    for name, t in items[1:]:
        if t.dtype != first.dtype:
            raise RuntimeError(
                f"{op}: {first_name} dtype ({first.dtype}) and {name} dtype ({t.dtype}) should "
                f"be the same; convert one with .float() or .double()"
            )


def _batched(x: Any, op: str, layout: str) -> tuple[Tensor, bool]:
    """A float input of the unbatched ``layout`` (e.g. ``"C, H, W"``) with a batch axis in
    front, or without one and given a batch of one (returns ``unbatched``)."""
    x = _tensor(x, "input", op)
    n = layout.count(",") + 1
    if x.ndim not in (n, n + 1):
        raise RuntimeError(
            f"{op}: expected a {n}-D ({layout}) or {n + 1}-D (N, {layout}) input, got shape "
            f"{x.shape}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    return (x.unsqueeze(0), True) if x.ndim == n else (x, False)


def _images(x: Any, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input, or (C, H, W) turned into a batch of one (returns ``unbatched``)."""
    return _batched(x, op, "C, H, W")


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str, loss: str) -> str:
    """``reduction`` from the deprecated flags when either is given (both default to True)."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn(
        f"{loss}: size_average and reduce are deprecated, use reduction= instead",
        UserWarning,
        stacklevel=4,
    )
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"
