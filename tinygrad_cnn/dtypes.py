"""Dtype names, the default floating dtype and PyTorch's type promotion.

Dtypes are NumPy dtype objects under PyTorch's names (``tg.float32``, ``tg.long``, ...).

Promotion follows PyTorch: the categories are bool < integer < floating. Operands come in three
priorities — tensors with at least one dimension, 0-d tensors (and 0-d arrays), Python numbers
(and NumPy scalars). An operand of a lower priority changes the result only when its category
is higher than every operand above it: ``float32 tensor + float64 0-d tensor`` stays float32,
``int32 tensor + 7`` stays int32, but ``int32 tensor + 2.5`` is the default float dtype and
``bool tensor + 1`` is int64. A Python float counts as the default float dtype, a Python int as
int64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "float16",
    "float32",
    "float64",
    "half",
    "float",
    "double",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "short",
    "int",
    "long",
    "bool",
    "bool_",
    "get_default_dtype",
    "set_default_dtype",
    "promote_types",
    "result_type",
    "finfo",
    "iinfo",
]

_bool, _float, _int = bool, float, int  # the builtins, before this module's names shadow them

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001 (PyTorch's name)
float64 = double = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool = bool_ = np.dtype(np.bool_)  # noqa: A001

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The floating dtype of factories (``zeros``, ``randn``, ...), Python floats, and integer
    tensors in float functions (``sigmoid``, ``mean``, ``/``): float32 unless changed."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (``tg.float32`` or ``tg.float64``) the default floating dtype."""
    global _default_float
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"set_default_dtype: expected a dtype such as tg.float64, got {dtype!r}"
        ) from None
    if d not in (float32, float64):
        raise TypeError(
            f"set_default_dtype: only float32 and float64 can be the default dtype, got {d}"
        )
    _default_float = d


def _category(d: np.dtype, op: str) -> _int:
    if d.kind == "b":
        return 0
    if d.kind in "iu":
        return 1
    if d.kind == "f":
        return 2
    raise TypeError(f"{op}: dtype {d} is not supported (only bool, integer and float dtypes)")


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """The smallest dtype both convert to, as ``torch.promote_types``: the higher category wins
    (``int64`` with ``float16`` is ``float16``); within a category the wider type."""
    a, b = np.dtype(type1), np.dtype(type2)
    if a == b:
        _category(a, "promote_types")
        return a
    ca, cb = _category(a, "promote_types"), _category(b, "promote_types")
    if ca != cb:
        return a if ca > cb else b
    out = np.promote_types(a, b)
    if out.kind not in "iuf" or _category(out, "promote_types") != ca:
        raise TypeError(f"promote_types: {a} and {b} have no common type in PyTorch's table")
    return out


def _operand_dtype(x: Any, op: str) -> tuple[_int, np.dtype]:
    """(priority, dtype): 2 for a tensor with dimensions, 1 for a 0-d one, 0 for a number."""
    if isinstance(x, (_bool, np.bool_)):
        return 0, bool_
    if isinstance(x, (_int, np.integer)):
        return 0, int64
    if isinstance(x, (_float, np.floating)):
        return 0, _default_float
    dtype = getattr(x, "dtype", None)
    ndim = getattr(x, "ndim", None)
    if dtype is not None and ndim is not None:
        d = np.dtype(dtype)
        _category(d, op)
        return (2 if ndim else 1), d
    try:
        d = np.dtype(x)
    except TypeError:
        raise TypeError(
            f"{op}: expected tensors, arrays, numbers or dtypes, got {type(x).__name__}"
        ) from None
    _category(d, op)
    return 2, d


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's rule: ``lower`` (of lower priority) counts only if its category is higher."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _category(higher, "result_type"), _category(lower, "result_type")
    if ch == 2:
        return higher
    if ch == 0 or cl == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> np.dtype:
    """The dtype of a binary op (or ``where``) on ``operands``: tensors, arrays, Python or NumPy
    numbers, or dtypes (a dtype counts as a tensor with dimensions)."""
    if not operands:
        raise TypeError("result_type: expected at least one operand")
    best: list[np.dtype | None] = [None, None, None]
    for x in operands:
        prio, d = _operand_dtype(x, "result_type")
        best[prio] = d if best[prio] is None else promote_types(best[prio], d)
    return _combine(best[2], _combine(best[1], best[0]))  # type: ignore[return-value]


class finfo:  # noqa: N801 (PyTorch's name)
    """The limits of a floating dtype as Python floats, as ``torch.finfo``: ``bits``, ``eps``,
    ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution``, ``dtype`` (its name).
    Without an argument, the default dtype's."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002 (PyTorch's name)
        d = get_default_dtype() if type is None else np.dtype(type)
        if d.kind != "f":
            raise TypeError(f"finfo: needs a floating dtype, got {d} (use tg.iinfo for integers)")
        info = np.finfo(d)
        self.bits = _int(info.bits)
        self.eps, self.max, self.min = _float(info.eps), _float(info.max), _float(info.min)
        self.tiny = self.smallest_normal = _float(info.smallest_normal)
        self.resolution = _float(info.resolution)
        self.dtype = d.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 (PyTorch's name)
    """The limits of an integer (or bool) dtype as Python ints, as ``torch.iinfo``: ``bits``,
    ``max``, ``min``, ``dtype`` (its name)."""

    def __init__(self, type: Any) -> None:  # noqa: A002 (PyTorch's name)
        d = np.dtype(type)
        if d.kind not in "iub":
            raise TypeError(f"iinfo: needs an integer dtype, got {d} (use tg.finfo for floats)")
        info = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.bits = _int(info.bits)
        self.max, self.min = (1, 0) if d.kind == "b" else (_int(info.max), _int(info.min))
        self.dtype = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
