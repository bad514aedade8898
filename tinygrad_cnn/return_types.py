"""The named tuples that reductions with indices return, as ``torch.return_types``:
``values, indices = x.max(1)``, ``x.max(1).indices``, ``x.max(1)[1]`` all work.

One class per operation, so that the result says where it came from:
``tinygrad_cnn.return_types.max(values=Tensor(...), indices=Tensor(...))``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "ValuesIndices",
    "max",
    "min",
    "sort",
    "topk",
    "kthvalue",
    "median",
    "mode",
    "cummax",
    "cummin",
]


class ValuesIndices(NamedTuple):
    """``(values, indices)``: the selected values (differentiable) and their int64 indices."""

    values: Any
    indices: Any

    def __repr__(self) -> str:
        where = f"tinygrad_cnn.return_types.{type(self).__name__}"
        return f"{where}(\nvalues={self.values!r},\nindices={self.indices!r})"


class max(ValuesIndices):  # PyTorch's name (shadows the builtin in this module only)
    __slots__ = ()


class min(ValuesIndices):
    __slots__ = ()


class sort(ValuesIndices):
    __slots__ = ()


class topk(ValuesIndices):
    __slots__ = ()


class kthvalue(ValuesIndices):
    __slots__ = ()


class median(ValuesIndices):
    __slots__ = ()


class mode(ValuesIndices):
    __slots__ = ()


class cummax(ValuesIndices):
    __slots__ = ()


class cummin(ValuesIndices):
    __slots__ = ()
