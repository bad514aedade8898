"""The reductions with indices as functions, as ``torch.<name>``: ``tg.max(x, 1)``,
``tg.sort(x, descending=True)``, ``tg.topk(x, 3)``, ... Each calls the Tensor method of the
same name (see its docstring for ties, NaN and gradients).

``max``/``min`` also take a second tensor (``tg.max(a, b)``: the elementwise maximum).
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor

__all__ = [
    "max",
    "min",
    "amax",
    "amin",
    "argmax",
    "argmin",
    "sort",
    "argsort",
    "topk",
    "kthvalue",
    "median",
    "mode",
    "cummax",
    "cummin",
]


def _input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    return x


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``max(x)``: 0-d; ``max(x, dim)``: ``(values, indices)``; ``max(x, other)``: elementwise."""
    return _input(input, "max").max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """``min(x)``: 0-d; ``min(x, dim)``: ``(values, indices)``; ``min(x, other)``: elementwise."""
    return _input(input, "min").min(dim, keepdim)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _input(input, "amax").amax(dim, keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    return _input(input, "amin").amin(dim, keepdim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _input(input, "argmax").argmax(dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _input(input, "argmin").argmin(dim, keepdim)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
    return _input(input, "sort").sort(dim, descending, stable=stable)


def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:
    return _input(input, "argsort").argsort(dim, descending, stable=stable)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    return _input(input, "topk").topk(k, dim, largest, sorted)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    return _input(input, "kthvalue").kthvalue(k, dim, keepdim)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    return _input(input, "median").median(dim, keepdim)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    return _input(input, "mode").mode(dim, keepdim)


def cummax(input: Tensor, dim: int) -> Any:
    return _input(input, "cummax").cummax(dim)


def cummin(input: Tensor, dim: int) -> Any:
    return _input(input, "cummin").cummin(dim)
