"""Elementwise functions with PyTorch's names: ``tg.exp(x)`` is ``x.exp()``, as
``torch.exp(x)`` is ``x.exp()``. Each one checks that its first argument is a Tensor and calls
the method; the primitives live in ``ops/elementwise.py`` and ``ops/math.py``.

    import tinygrad_cnn as tg
    y = tg.sqrt(tg.abs(x)) + tg.atan2(x, 1.0)
"""

from __future__ import annotations

from typing import Any

from .ops.math import Threshold
from .tensor import Tensor, maximum, minimum, where

__all__ = [
    "abs",
    "absolute",
    "acos",
    "arccos",
    "asin",
    "arcsin",
    "atan",
    "arctan",
    "atan2",
    "arctan2",
    "add",
    "addcdiv",
    "addcmul",
    "all",
    "allclose",
    "any",
    "ceil",
    "clamp",
    "clip",
    "cos",
    "cosh",
    "count_nonzero",
    "div",
    "divide",
    "eq",
    "equal",
    "erf",
    "erfinv",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "floor",
    "fmod",
    "frac",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "le",
    "lerp",
    "less",
    "less_equal",
    "log",
    "log10",
    "log1p",
    "log2",
    "lt",
    "maximum",
    "minimum",
    "mul",
    "multiply",
    "nan_to_num",
    "ne",
    "neg",
    "negative",
    "not_equal",
    "pow",
    "reciprocal",
    "relu",
    "remainder",
    "round",
    "rsqrt",
    "sigmoid",
    "sign",
    "sgn",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "sub",
    "subtract",
    "tan",
    "tanh",
    "threshold",
    "true_divide",
    "trunc",
    "where",
]


def _input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")
    return x


# one argument
def abs(input: Tensor) -> Tensor:
    return _input(input, "abs").abs()


absolute = abs


def acos(input: Tensor) -> Tensor:
    return _input(input, "acos").acos()


def asin(input: Tensor) -> Tensor:
    return _input(input, "asin").asin()


def atan(input: Tensor) -> Tensor:
    return _input(input, "atan").atan()


arccos, arcsin, arctan = acos, asin, atan


def ceil(input: Tensor) -> Tensor:
    return _input(input, "ceil").ceil()


def cos(input: Tensor) -> Tensor:
    return _input(input, "cos").cos()


def cosh(input: Tensor) -> Tensor:
    return _input(input, "cosh").cosh()


def erf(input: Tensor) -> Tensor:
    return _input(input, "erf").erf()


def erfinv(input: Tensor) -> Tensor:
    return _input(input, "erfinv").erfinv()


def exp(input: Tensor) -> Tensor:
    return _input(input, "exp").exp()


def exp2(input: Tensor) -> Tensor:
    return _input(input, "exp2").exp2()


def expm1(input: Tensor) -> Tensor:
    return _input(input, "expm1").expm1()


def floor(input: Tensor) -> Tensor:
    return _input(input, "floor").floor()


def frac(input: Tensor) -> Tensor:
    return _input(input, "frac").frac()


def log(input: Tensor) -> Tensor:
    return _input(input, "log").log()


def log10(input: Tensor) -> Tensor:
    return _input(input, "log10").log10()


def log1p(input: Tensor) -> Tensor:
    return _input(input, "log1p").log1p()


def log2(input: Tensor) -> Tensor:
    return _input(input, "log2").log2()


def neg(input: Tensor) -> Tensor:
    return -_input(input, "neg")


negative = neg


def reciprocal(input: Tensor) -> Tensor:
    return _input(input, "reciprocal").reciprocal()


def relu(input: Tensor) -> Tensor:
    return _input(input, "relu").relu()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return _input(input, "round").round(decimals)


def rsqrt(input: Tensor) -> Tensor:
    return _input(input, "rsqrt").rsqrt()


def sigmoid(input: Tensor) -> Tensor:
    return _input(input, "sigmoid").sigmoid()


def sign(input: Tensor) -> Tensor:
    return _input(input, "sign").sign()


sgn = sign


def sin(input: Tensor) -> Tensor:
    return _input(input, "sin").sin()


def sinh(input: Tensor) -> Tensor:
    return _input(input, "sinh").sinh()


def sqrt(input: Tensor) -> Tensor:
    return _input(input, "sqrt").sqrt()


def square(input: Tensor) -> Tensor:
    return _input(input, "square").square()


def tan(input: Tensor) -> Tensor:
    return _input(input, "tan").tan()


def tanh(input: Tensor) -> Tensor:
    return _input(input, "tanh").tanh()


def trunc(input: Tensor) -> Tensor:
    return _input(input, "trunc").trunc()


fix = trunc


def clamp(input: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
    return _input(input, "clamp").clamp(min, max)


clip = clamp


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """``input`` where it is above ``threshold``, else ``value`` (ReLU is threshold(x, 0, 0));
    gradient 1 above the threshold, 0 at and below it."""
    x = _input(input, "threshold")
    return Threshold.apply(x, threshold=float(threshold), value=float(value))


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    return _input(input, "nan_to_num").nan_to_num(nan, posinf, neginf)


def isnan(input: Tensor) -> Tensor:
    return _input(input, "isnan").isnan()


def isinf(input: Tensor) -> Tensor:
    return _input(input, "isinf").isinf()


def isposinf(input: Tensor) -> Tensor:
    return _input(input, "isposinf").isposinf()


def isneginf(input: Tensor) -> Tensor:
    return _input(input, "isneginf").isneginf()


def isfinite(input: Tensor) -> Tensor:
    return _input(input, "isfinite").isfinite()


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _input(input, "all").all(dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _input(input, "any").any(dim, keepdim)


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    return _input(input, "count_nonzero").count_nonzero(dim)


# two or more arguments
def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input + alpha · other."""
    if not isinstance(input, Tensor):
        return _input(other, "add")._lift(input).add(other, alpha=alpha)
    return input.add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """input − alpha · other."""
    if not isinstance(input, Tensor):
        return _input(other, "sub")._lift(input).sub(other, alpha=alpha)
    return input.sub(other, alpha=alpha)


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    if not isinstance(input, Tensor):
        return _input(other, "mul").__rmul__(input)
    return input * other


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if not isinstance(input, Tensor):
        input = _input(other, "div")._lift(input)
    return input.div(other, rounding_mode=rounding_mode)


divide = true_divide = div


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent; either may be a number (not both)."""
    if not isinstance(input, Tensor):
        return _input(exponent, "pow").__rpow__(input)
    return input**exponent


def atan2(input: Tensor, other: Any) -> Tensor:
    return _input(input, "atan2").atan2(other)


arctan2 = atan2


def fmod(input: Tensor, other: Any) -> Tensor:
    return _input(input, "fmod").fmod(other)


def remainder(input: Any, other: Any) -> Tensor:
    if not isinstance(input, Tensor):
        input = _input(other, "remainder")._lift(input)
    return input.remainder(other)


def lerp(input: Tensor, end: Any, weight: Any) -> Tensor:
    return _input(input, "lerp").lerp(end, weight)


def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    return _input(input, "addcmul").addcmul(tensor1, tensor2, value=value)


def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    return _input(input, "addcdiv").addcdiv(tensor1, tensor2, value=value)


def eq(input: Tensor, other: Any) -> Tensor:
    return _input(input, "eq").eq(other)


def ne(input: Tensor, other: Any) -> Tensor:
    return _input(input, "ne").ne(other)


def lt(input: Tensor, other: Any) -> Tensor:
    return _input(input, "lt").lt(other)


def le(input: Tensor, other: Any) -> Tensor:
    return _input(input, "le").le(other)


def gt(input: Tensor, other: Any) -> Tensor:
    return _input(input, "gt").gt(other)


def ge(input: Tensor, other: Any) -> Tensor:
    return _input(input, "ge").ge(other)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    return _input(input, "isclose").isclose(other, rtol, atol, equal_nan)


def allclose(
    input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    return _input(input, "allclose").allclose(other, rtol, atol, equal_nan)


def equal(input: Tensor, other: Tensor) -> bool:
    return _input(input, "equal").equal(other)
