"""Small text formatters shared by the renderers (shapes, dtypes, numbers, bytes)."""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "fmt_bytes",
    "fmt_count",
    "fmt_dtype",
    "fmt_float",
    "fmt_params",
    "fmt_shape",
]

_SHORT_DTYPES = {
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "bool": "bool",
}


def fmt_shape(shape: tuple[int, ...] | None) -> str:
    """``(64, 8, 26, 26)`` -> ``'64×8×26×26'``; a 0-d shape is ``'scalar'``."""
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(int(s)) for s in shape)


def fmt_dtype(dtype: str, short: bool = False) -> str:
    """``'float32'`` -> ``'f32'`` when ``short``; unknown names pass through."""
    return _SHORT_DTYPES.get(dtype, dtype) if short else dtype


def fmt_float(x: float | None, digits: int = 2) -> str:
    """Compact scientific notation that keeps its width: ``3.1e-02``, ``nan``, ``inf``."""
    if x is None:
        return "-"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.{digits - 1}e}"


def fmt_bytes(n: int | float) -> str:
    """Bytes in binary units: ``512 B``, ``3.1 KiB``, ``1.2 MiB``."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def fmt_count(n: int | float) -> str:
    """Large counts with thousands separators: ``1,234,567``."""
    return f"{int(n):,}"


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (tuple, list)):
        inner = ",".join(_fmt_value(x) for x in v)
        return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
    if hasattr(v, "shape") and hasattr(v, "dtype"):  # an array passed as a param
        return f"array{fmt_shape(tuple(v.shape))}"
    text = str(v)
    return text if len(text) <= 24 else text[:23] + "…"


def fmt_params(params: dict[str, Any] | None, limit: int = 60) -> str:
    """``{'axis': 1, 'keepdim': True}`` -> ``'axis=1, keepdim=True'`` (cut at ``limit`` chars)."""
    if not params:
        return ""
    text = ", ".join(f"{k}={_fmt_value(v)}" for k, v in params.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"
