"""The op table: every differentiable op registered once, for every backend.

``OPS`` lists each op once: how hypothesis draws its inputs (domain, kinks and ties kept away),
how to call it, and a NumPy formula for its forward value. ``tests/test_op_table.py`` runs each
entry's forward and first- and second-order gradients on every device (NumPy always, CuPy
where a GPU is present); ``tests/test_cupy.py`` adds what is CuPy-specific (CuPy against NumPy
on the same drawn inputs, in float32 and float64).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import backend
from tinygrad_cnn.testing.cnn_strategies import (
    ConvSettings,
    conv_settings,
    conv_transpose_settings,
    pool_settings,
    tie_free_images,
)
from tinygrad_cnn.testing.strategies import arrays, broadcastable_shapes, shapes

DTYPES = (np.float32, np.float64)
# |cupy − numpy| ≤ atol·max(1, max|numpy|) + rtol·|numpy|: summation order (cuBLAS vs OpenBLAS,
# GPU reductions) and last-ulp differences in exp/log/tanh, amplified by sums of a few hundred
# terms at most; a wrong kernel is off by O(1)
TOLERANCE = {np.dtype(np.float32): (1e-4, 5e-5), np.dtype(np.float64): (1e-10, 1e-11)}
# gradcheck on every element up to this many input elements; along one direction above
FULL_CHECK_LIMIT = 48

_PROFILE_EXAMPLES = settings().max_examples  # the loaded profile's ("ci": 8, "dev": 25)
_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
DIFF_SETTINGS = settings(
    max_examples=max(2, min(_PROFILE_EXAMPLES, 12)), deadline=None, suppress_health_check=_HEALTH
)
GRAD_SETTINGS = settings(
    max_examples=max(1, min(_PROFILE_EXAMPLES, 3)), deadline=None, suppress_health_check=_HEALTH
)


# ------------------------------------------------------------------------------- the op table
@dataclass
class Example:
    """Inputs of one call: ``arrays`` are the differentiable inputs (float64 values, cast to
    the dtype under test); ``consts`` follow them as plain tensors (integer targets, masks,
    running statistics; float ones are cast too); ``params`` are the call's settings."""

    arrays: tuple[np.ndarray, ...]
    consts: tuple[np.ndarray, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Op:
    name: str
    kind: str  # elementwise, reduction, movement, matmul, conv, pool, norm, loss
    draw: Callable[[Any], Example]  # hypothesis draw function → Example
    fn: Callable[..., tg.Tensor]  # fn(params, *tensors, *consts)
    ref: Callable[..., np.ndarray]  # ref(params, *arrays, *consts) on float64 NumPy arrays
    order2: bool = True  # second-order gradients are checked

    def __str__(self) -> str:
        return self.name

    def examples(self) -> st.SearchStrategy[Example]:
        return st.composite(lambda draw: self.draw(draw))()


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _logsumexp(x: np.ndarray, axis, keepdims: bool = False) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _values(draw, shape, lo=-2.0, hi=2.0, kinks=(), distinct=False) -> np.ndarray:
    return draw(arrays(tuple(shape), np.float64, lo, hi, kinks=kinks, distinct=distinct))


def _axes(draw, ndim: int) -> tuple[int, ...] | None:
    """None (all axes) or a non-empty subset, sometimes written with negative numbers."""
    if ndim == 0 or draw(st.booleans()):
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


OPS: list[Op] = []


def _unary(name, method, ref, lo=-2.0, hi=2.0, kinks=(), order2=True, distinct=False):
    def draw(d):
        return Example((_values(d, d(shapes(0, 3, 1, 4)), lo, hi, kinks, distinct),))

    OPS.append(Op(name, "elementwise", draw, lambda p, x: method(x), lambda p, x: ref(x), order2))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _softplus(x, beta, threshold):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


_unary("neg", lambda x: -x, lambda x: -x)
_unary("exp", lambda x: x.exp(), np.exp)
_unary("log", lambda x: x.log(), np.log, 0.2, 3.0)
_unary("sqrt", lambda x: x.sqrt(), np.sqrt, 0.2, 3.0)
_unary("abs", lambda x: x.abs(), np.abs, kinks=(0.0,))
_unary("sin", lambda x: x.sin(), np.sin)
_unary("cos", lambda x: x.cos(), np.cos)
_unary("tanh", lambda x: x.tanh(), np.tanh)
_unary("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), -5.0, 5.0)
_unary("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0), kinks=(0.0,))
_unary(
    "leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x), kinks=(0,)
)
_unary("gelu", lambda x: F.gelu(x), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), -3, 3)
_unary("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh, -3.0, 3.0)
_unary(
    "softplus",
    lambda x: F.softplus(x, beta=2.0, threshold=2.0),
    lambda x: _softplus(x, 2.0, 2.0),
    kinks=(1.0,),  # β·x = threshold: the switch to the linear branch
)
_unary("clip", lambda x: x.clip(-1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0), kinks=(-1.0, 1.0))
# the math functions (tinygrad_cnn/ops/math.py and composites)
_unary("log1p", lambda x: x.log1p(), np.log1p, -0.8, 2.0)
_unary("expm1", lambda x: x.expm1(), np.expm1)
_unary("log2", lambda x: x.log2(), np.log2, 0.2, 3.0)
_unary("log10", lambda x: x.log10(), np.log10, 0.2, 3.0)
_unary("exp2", lambda x: x.exp2(), np.exp2)
_unary("rsqrt", lambda x: x.rsqrt(), lambda x: 1 / np.sqrt(x), 0.2, 3.0)
_unary("reciprocal", lambda x: x.reciprocal(), np.reciprocal, 0.3, 3.0)
_unary("square", lambda x: x.square(), np.square)
_unary("tan", lambda x: x.tan(), np.tan, -1.2, 1.2)
_unary("asin", lambda x: x.asin(), np.arcsin, -0.9, 0.9)
_unary("acos", lambda x: x.acos(), np.arccos, -0.9, 0.9)
_unary("atan", lambda x: x.atan(), np.arctan)
_unary("sinh", lambda x: x.sinh(), np.sinh)
_unary("cosh", lambda x: x.cosh(), np.cosh)
_unary("erf", lambda x: x.erf(), _erf)
_unary("frac", lambda x: x.frac(), lambda x: x - np.trunc(x), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0))
_unary("flip", lambda x: x.flip(-1) if x.ndim else x, lambda x: np.flip(x, -1) if x.ndim else x)
_unary(
    "cumsum", lambda x: x.cumsum(-1) if x.ndim else x, lambda x: np.cumsum(x, -1) if x.ndim else x
)
_unary(
    "cumprod",
    lambda x: x.cumprod(-1) if x.ndim else x,
    lambda x: np.cumprod(x, -1) if x.ndim else x,
)
_unary(
    "sort_values",
    lambda x: x.sort(-1).values if x.ndim else x,
    lambda x: np.sort(x, -1) if x.ndim else x,
    distinct=True,  # a tie is a kink
)
_unary(
    "einsum_trace",
    lambda x: tg.einsum(
        "...ij,...jk->...ik",
        x.reshape(-1, 1, 1) if x.ndim else x.reshape(1, 1),
        x.reshape(-1, 1, 1) if x.ndim else x.reshape(1, 1),
    ),
    lambda x: (x.reshape(-1, 1, 1) ** 2) if x.ndim else x.reshape(1, 1) ** 2,
)


def _draw_pow_scalar(d):
    exponent = d(st.sampled_from([2, 3, 0.5, -1.5]))
    return Example((_values(d, d(shapes(0, 3, 1, 4)), 0.3, 2.0),), params={"p": exponent})


OPS.append(
    Op(
        "pow_scalar",
        "elementwise",
        _draw_pow_scalar,
        lambda p, x: x ** p["p"],
        lambda p, x: x ** p["p"],
    )
)


def _binary(name, method, ref, lo_b=-2.0, hi_b=2.0, kinks_b=(), lo_a=-2.0, hi_a=2.0):
    def draw(d):
        sa, sb = d(broadcastable_shapes(2, 0, 3, 1, 3))
        return Example((_values(d, sa, lo_a, hi_a), _values(d, sb, lo_b, hi_b, kinks_b)))

    OPS.append(
        Op(name, "elementwise", draw, lambda p, a, b: method(a, b), lambda p, a, b: ref(a, b))
    )


_binary("add", lambda a, b: a + b, np.add)
_binary("sub", lambda a, b: a - b, np.subtract)
_binary("mul", lambda a, b: a * b, np.multiply)
_binary("div", lambda a, b: a / b, np.divide, kinks_b=(0.0,))
_binary("pow", lambda a, b: a**b, np.power, lo_a=0.5, hi_a=2.0)
_binary("atan2", lambda a, b: tg.atan2(a, b), np.arctan2, lo_b=0.3, hi_b=2.0)
_binary(
    "maximum_distinct", lambda a, b: tg.maximum(a, b + 10.0), lambda a, b: np.maximum(a, b + 10)
)
_binary("fmod", lambda a, b: tg.fmod(a, b), np.fmod, lo_b=2.5, hi_b=3.0, lo_a=-2.0, hi_a=2.0)
_binary("lerp", lambda a, b: tg.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a))


def _draw_maximum(d):
    a = _values(d, d(shapes(0, 3, 1, 4)))
    gap = _values(d, a.shape, -1.0, 1.0, kinks=(0.0,))  # no ties, not even after a small step
    return Example((a, a + gap))


OPS.append(
    Op(
        "maximum",
        "elementwise",
        _draw_maximum,
        lambda p, a, b: a.maximum(b),
        lambda p, a, b: np.maximum(a, b),
    )
)


def _draw_where(d):
    sc, sa, sb = d(broadcastable_shapes(3, 0, 3, 1, 3))
    cond = np.asarray(d(arrays(sc, np.float64, -1.0, 1.0)) > 0)
    return Example((_values(d, sa), _values(d, sb)), (cond,))


OPS.append(
    Op(
        "where",
        "elementwise",
        _draw_where,
        lambda p, a, b, c: tg.where(c, a, b),
        lambda p, a, b, c: np.where(c, a, b),
    )
)


# --- reductions
def _reduction(name, method, ref, distinct=False, min_side=1):
    def draw(d):
        shape = d(shapes(1, 3, min_side, 4))
        x = _values(d, shape, distinct=distinct)
        return Example((x,), params={"axis": _axes(d, len(shape)), "keep": d(st.booleans())})

    OPS.append(
        Op(
            name,
            "reduction",
            draw,
            lambda p, x: method(x, p["axis"], p["keep"]),
            lambda p, x: ref(x, p["axis"], p["keep"]),
        )
    )


_reduction("sum", lambda x, a, k: x.sum(a, keepdim=k), lambda x, a, k: x.sum(a, keepdims=k))
_reduction("mean", lambda x, a, k: x.mean(a, keepdim=k), lambda x, a, k: x.mean(a, keepdims=k))
_reduction(
    "amax",
    lambda x, a, k: x.amax(a, keepdim=k),
    lambda x, a, k: x.max(a, keepdims=k),
    distinct=True,
)
_reduction(
    "var",
    lambda x, a, k: x.var(a, keepdim=k),
    lambda x, a, k: x.var(a, ddof=1, keepdims=k),
    min_side=2,
)
_reduction(
    "std",
    lambda x, a, k: x.std(a, keepdim=k),
    lambda x, a, k: x.std(a, ddof=1, keepdims=k),
    min_side=2,
    distinct=True,  # std = √var has a kink at zero variance
)
_reduction("logsumexp", lambda x, a, k: x.logsumexp(a, keepdim=k), _logsumexp)
_reduction(
    "prod",
    lambda x, a, k: x.prod(a[0], keepdim=k) if a and len(a) == 1 else x.prod(),
    lambda x, a, k: np.prod(x, a[0], keepdims=k) if a and len(a) == 1 else np.prod(x),
)


def _draw_softmax(d):
    shape = d(shapes(1, 3, 1, 4))
    return Example(
        (_values(d, shape, -4.0, 4.0),), params={"axis": d(st.integers(-1, len(shape) - 1))}
    )


OPS.append(
    Op(
        "softmax",
        "reduction",
        _draw_softmax,
        lambda p, x: x.softmax(p["axis"]),
        lambda p, x: np.exp(x - _logsumexp(x, p["axis"], True)),
    )
)
OPS.append(
    Op(
        "log_softmax",
        "reduction",
        _draw_softmax,
        lambda p, x: x.log_softmax(p["axis"]),
        lambda p, x: x - _logsumexp(x, p["axis"], True),
    )
)


# --- movement and indexing
def _draw_3d(d, min_side=1):
    return Example((_values(d, d(shapes(3, 3, min_side, 4))),))


OPS.append(
    Op(
        "permute_reshape",
        "movement",
        _draw_3d,
        lambda p, x: x.permute(2, 0, 1).reshape(x.shape[2], -1) * 1.5,
        lambda p, x: x.transpose(2, 0, 1).reshape(x.shape[2], -1) * 1.5,
    )
)


def _draw_expand(d):
    shape = d(shapes(1, 3, 1, 3))
    x = _values(d, shape)
    target = (2,) + tuple(d(st.integers(1, 3)) if n == 1 else n for n in shape)
    return Example((x,), params={"shape": target})


OPS.append(
    Op(
        "expand",
        "movement",
        _draw_expand,
        lambda p, x: x.expand(*p["shape"]),
        lambda p, x: np.broadcast_to(x, p["shape"]),
    )
)

_SLICES = (slice(1, None), slice(None, None, 2), None, Ellipsis, slice(None, None, -1))
OPS.append(
    Op(
        "getitem_slices",
        "movement",
        lambda d: _draw_3d(d, 2),
        lambda p, x: x[_SLICES],
        lambda p, x: x[_SLICES],
    )
)


def _draw_getitem_int(d):
    shape = d(shapes(2, 3, 1, 4))
    x = _values(d, shape)
    n0, n1 = shape[0], shape[1]
    i = np.asarray(d(st.lists(st.integers(-n0, n0 - 1), min_size=1, max_size=6)), dtype=np.int64)
    j = np.asarray(d(st.lists(st.integers(0, n1 - 1), min_size=len(i), max_size=len(i))))
    return Example((x,), (i, j.astype(np.int64)), params={"pair": d(st.booleans())})


OPS.append(
    Op(
        "getitem_int",
        "movement",
        _draw_getitem_int,
        lambda p, x, i, j: x[i, j] if p["pair"] else x[i],  # repeats accumulate
        lambda p, x, i, j: x[i, j] if p["pair"] else x[i],
    )
)


def _draw_getitem_bool(d):
    x = _values(d, d(shapes(1, 3, 1, 4)))
    mask = np.asarray(d(arrays(x.shape, np.float64, -1.0, 1.0)) > 0)
    mask.flat[d(st.integers(0, mask.size - 1))] = True  # at least one element is selected
    return Example((x,), (mask,))


OPS.append(
    Op("getitem_bool", "movement", _draw_getitem_bool, lambda p, x, m: x[m], lambda p, x, m: x[m])
)


def _draw_pad(d):
    x = _values(d, d(shapes(2, 4, 2, 4)))
    mode = d(st.sampled_from(["constant", "circular", "reflect", "replicate"]))
    pads: tuple[int, ...] = ()
    for k in range(d(st.integers(1, 2))):  # (left, right) of the last axis, then the one before
        most = min(2, x.shape[x.ndim - 1 - k] - 1)  # reflect needs pad < size
        pads += (d(st.integers(0, most)), d(st.integers(0, most)))
    return Example((x,), params={"pad": pads, "mode": mode, "value": 0.5})


def _ref_pad(p, x):
    widths = [(0, 0)] * x.ndim
    for k in range(len(p["pad"]) // 2):
        widths[x.ndim - 1 - k] = (p["pad"][2 * k], p["pad"][2 * k + 1])
    if p["mode"] == "constant":
        return np.pad(x, widths, constant_values=p["value"])
    mode = {"circular": "wrap", "reflect": "reflect", "replicate": "edge"}[p["mode"]]
    return np.pad(x, widths, mode=mode)


def _pad(p, x):
    value = p["value"] if p["mode"] == "constant" else None
    return F.pad(x, p["pad"], mode=p["mode"], value=value)


OPS.append(Op("pad", "movement", _draw_pad, _pad, _ref_pad))


def _draw_cat(d):
    shape = d(shapes(1, 3, 1, 3))
    axis = d(st.integers(0, len(shape) - 1))
    other = list(shape)
    other[axis] = d(st.integers(1, 3))
    return Example((_values(d, shape), _values(d, other)), params={"axis": axis})


OPS.append(
    Op(
        "cat",
        "movement",
        _draw_cat,
        lambda p, a, b: tg.cat([a, b, a], axis=p["axis"]),
        lambda p, a, b: np.concatenate([a, b, a], axis=p["axis"]),
    )
)


def _draw_stack(d):
    shape = d(shapes(0, 3, 1, 3))
    return Example(
        (_values(d, shape), _values(d, shape)), params={"axis": d(st.integers(0, len(shape)))}
    )


OPS.append(
    Op(
        "stack",
        "movement",
        _draw_stack,
        lambda p, a, b: tg.stack([a, b], axis=p["axis"]),
        lambda p, a, b: np.stack([a, b], axis=p["axis"]),
    )
)


# --- matrix products
def _draw_matmul(d):
    M, K, N = (d(st.integers(1, 4)) for _ in range(3))
    ba, bb = d(broadcastable_shapes(2, 0, 2, 1, 3))
    vec = d(st.sampled_from(["none", "left", "right"]))
    a_shape = (K,) if vec == "left" else ba + (M, K)
    b_shape = (K,) if vec == "right" else bb + (K, N)
    return Example((_values(d, a_shape), _values(d, b_shape)))


OPS.append(Op("matmul", "matmul", _draw_matmul, lambda p, a, b: a @ b, lambda p, a, b: a @ b))


def _draw_linear(d):
    N, IN, OUT = (d(st.integers(1, 5)) for _ in range(3))
    lead = d(shapes(0, 1, 1, 3))
    arrays_ = (_values(d, lead + (N, IN)), _values(d, (OUT, IN)))
    if d(st.booleans()):
        arrays_ += (_values(d, (OUT,)),)
    return Example(arrays_)


OPS.append(
    Op(
        "linear",
        "matmul",
        _draw_linear,
        lambda p, *t: F.linear(*t),
        lambda p, x, w, b=None: x @ w.T + (0 if b is None else b),
    )
)


# --- convolutions
def _conv_example(d, s, weight_shape, bias_channels, **params):
    x = _values(d, s.input_shape)
    w = _values(d, weight_shape, -1.0, 1.0)
    arrays_ = (x, w) + ((_values(d, (bias_channels,)),) if d(st.booleans()) else ())
    return Example(arrays_, params=params)


def _draw_conv2d(d):
    s = d(conv_settings())
    return _conv_example(
        d,
        s,
        s.weight_shape,
        s.OC,
        stride=s.stride,
        padding=s.padding,
        dilation=s.dilation,
        groups=s.groups,
    )


def _draw_conv2d_wide(d):
    """Enough input channels that C·KH·KW ≥ 32: the one-large-GEMM ("cnhw") layout."""
    N, C, OC = d(st.integers(1, 2)), d(st.integers(4, 5)), d(st.integers(1, 3))
    H, W = d(st.integers(3, 6)), d(st.integers(3, 6))
    stride, padding = (d(st.integers(1, 2)),) * 2, (d(st.integers(0, 1)),) * 2
    s = ConvSettings(N, C, H, W, OC, 3, 3, stride, padding, (1, 1), 1)
    return _conv_example(
        d, s, s.weight_shape, OC, stride=stride, padding=padding, dilation=(1, 1), groups=1
    )


def _ref_conv2d(p, x, w, b=None):
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    G, (sh, sw), (ph, pw), (dh, dw) = p["groups"], p["stride"], p["padding"], p["dilation"]
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.zeros((N, OC, OH, OW))
    OCg = OC // G
    for g in range(G):
        xg, wg = xpad[:, g * Cg : (g + 1) * Cg], w[g * OCg : (g + 1) * OCg]
        for i in range(KH):
            for j in range(KW):
                rows = slice(i * dh, i * dh + sh * (OH - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
                patch = xg[:, :, rows, cols]  # (N, Cg, OH, OW)
                out[:, g * OCg : (g + 1) * OCg] += np.einsum("nchw,oc->nohw", patch, wg[:, :, i, j])
    return out if b is None else out + b.reshape(1, OC, 1, 1)


def _conv2d(p, *t):
    return F.conv2d(
        *t, stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"]
    )


OPS.append(Op("conv2d", "conv", _draw_conv2d, _conv2d, _ref_conv2d))
OPS.append(Op("conv2d_wide", "conv", _draw_conv2d_wide, _conv2d, _ref_conv2d))


def _draw_conv_transpose2d(d):
    s = d(conv_transpose_settings())
    return _conv_example(
        d,
        s,
        s.transpose_weight_shape,
        s.OC,
        stride=s.stride,
        padding=s.padding,
        output_padding=s.output_padding,
        dilation=s.dilation,
        groups=s.groups,
    )


def _ref_conv_transpose2d(p, x, w, b=None):
    N, IC, H, W = x.shape
    _, OCg, KH, KW = w.shape
    G, (sh, sw), (ph, pw) = p["groups"], p["stride"], p["padding"]
    (dh, dw), (oph, opw) = p["dilation"], p["output_padding"]
    ICg, OC = IC // G, OCg * G
    FH, FW = (H - 1) * sh + dh * (KH - 1) + 1 + oph, (W - 1) * sw + dw * (KW - 1) + 1 + opw
    full = np.zeros((N, OC, FH, FW))
    for g in range(G):
        xg, wg = x[:, g * ICg : (g + 1) * ICg], w[g * ICg : (g + 1) * ICg]
        for i in range(KH):
            for j in range(KW):
                rows = slice(i * dh, i * dh + sh * (H - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (W - 1) + 1, sw)
                full[:, g * OCg : (g + 1) * OCg, rows, cols] += np.einsum(
                    "nchw,co->nohw", xg, wg[:, :, i, j]
                )
    out = full[:, :, ph : FH - ph, pw : FW - pw]
    return out if b is None else out + b.reshape(1, OC, 1, 1)


OPS.append(
    Op(
        "conv_transpose2d",
        "conv",
        _draw_conv_transpose2d,
        lambda p, *t: F.conv_transpose2d(*t, **p),
        _ref_conv_transpose2d,
    )
)


# --- pooling
def _out_len(n, k, s, p, d, ceil):
    span = n + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _draw_max_pool(d):
    s = d(pool_settings())
    x = d(tie_free_images(s.input_shape))
    return Example((x,), params=s.max_kwargs)


def _ref_max_pool(p, x):
    N, C, H, W = x.shape
    k, s, pad, dil = p["kernel_size"], p["stride"], p["padding"], p["dilation"]
    OH = _out_len(H, k[0], s[0], pad[0], dil[0], p["ceil_mode"])
    OW = _out_len(W, k[1], s[1], pad[1], dil[1], p["ceil_mode"])
    out = np.empty((N, C, OH, OW))
    for oh in range(OH):
        rows = [oh * s[0] - pad[0] + i * dil[0] for i in range(k[0])]
        rows = [r for r in rows if 0 <= r < H]
        for ow in range(OW):
            cols = [ow * s[1] - pad[1] + j * dil[1] for j in range(k[1])]
            cols = [c for c in cols if 0 <= c < W]
            out[:, :, oh, ow] = x[:, :, rows][:, :, :, cols].max(axis=(2, 3))
    return out


OPS.append(
    Op("max_pool2d", "pool", _draw_max_pool, lambda p, x: F.max_pool2d(x, **p), _ref_max_pool)
)


def _draw_max_pool_tiles(d):
    """kernel = stride, no padding: the reshape fast path (with leftover rows/cols)."""
    k = d(st.integers(2, 3))
    shape = (d(st.integers(1, 2)), d(st.integers(1, 3)), d(st.integers(k, 7)), d(st.integers(k, 7)))
    p = dict(kernel_size=(k, k), stride=(k, k), padding=(0, 0), dilation=(1, 1), ceil_mode=False)
    return Example((d(tie_free_images(shape)),), params=p)


OPS.append(
    Op(
        "max_pool2d_tiles",
        "pool",
        _draw_max_pool_tiles,
        lambda p, x: F.max_pool2d(x, **p),
        _ref_max_pool,
    )
)


def _max_unpool(p, x):
    y, idx = F.max_pool2d(x, p["k"], return_indices=True)
    return F.max_unpool2d(y * 2.0, idx, p["k"], output_size=x.shape[-2:])


def _ref_max_unpool(p, x):
    k = p["k"]
    N, C, H, W = x.shape
    out = np.zeros_like(x)
    for oh in range(H // k):
        for ow in range(W // k):
            win = x[:, :, oh * k : (oh + 1) * k, ow * k : (ow + 1) * k].reshape(N, C, -1)
            first = win.argmax(axis=2)  # the first maximum in scan order
            for n in range(N):
                for c in range(C):
                    r, q = divmod(int(first[n, c]), k)
                    out[n, c, oh * k + r, ow * k + q] = 2.0 * win[n, c, first[n, c]]
    return out


def _draw_max_unpool(d):
    k = d(st.integers(2, 3))
    shape = (d(st.integers(1, 2)), d(st.integers(1, 2)), d(st.integers(k, 6)), d(st.integers(k, 6)))
    return Example((d(tie_free_images(shape)),), params={"k": k})


OPS.append(Op("max_unpool2d", "pool", _draw_max_unpool, _max_unpool, _ref_max_unpool))


def _draw_avg_pool(d):
    s = d(pool_settings(dilation=False))
    return Example(
        (_values(d, s.input_shape),), params=dict(s.avg_kwargs, count_include_pad=d(st.booleans()))
    )


def _ref_avg_pool(p, x):
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = p["kernel_size"], p["stride"], p["padding"]
    OH = _out_len(H, kh, sh, ph, 1, p["ceil_mode"])
    OW = _out_len(W, kw, sw, pw, 1, p["ceil_mode"])
    out = np.empty((N, C, OH, OW))
    for oh in range(OH):
        h0 = oh * sh - ph
        h1 = min(h0 + kh, H + ph)
        for ow in range(OW):
            w0 = ow * sw - pw
            w1 = min(w0 + kw, W + pw)
            size = (h1 - h0) * (w1 - w0)  # PyTorch: the window clipped to the padded input
            r0, r1, c0, c1 = max(h0, 0), min(h1, H), max(w0, 0), min(w1, W)
            if not p["count_include_pad"]:
                size = (r1 - r0) * (c1 - c0)
            out[:, :, oh, ow] = x[:, :, r0:r1, c0:c1].sum(axis=(2, 3)) / size
    return out


OPS.append(
    Op("avg_pool2d", "pool", _draw_avg_pool, lambda p, x: F.avg_pool2d(x, **p), _ref_avg_pool)
)


def _draw_adaptive(d):
    shape = (d(st.integers(1, 2)), d(st.integers(1, 2)), d(st.integers(1, 7)), d(st.integers(1, 7)))
    size = (d(st.integers(1, shape[2])), d(st.integers(1, shape[3])))
    return Example((_values(d, shape),), params={"size": size})


def _ref_adaptive(p, x):
    H, W = x.shape[2:]
    OH, OW = p["size"]
    out = np.empty(x.shape[:2] + (OH, OW))
    for i in range(OH):
        r0, r1 = (i * H) // OH, -((-(i + 1) * H) // OH)
        for j in range(OW):
            c0, c1 = (j * W) // OW, -((-(j + 1) * W) // OW)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


OPS.append(
    Op(
        "adaptive_avg_pool2d",
        "pool",
        _draw_adaptive,
        lambda p, x: F.adaptive_avg_pool2d(x, p["size"]),
        _ref_adaptive,
    )
)


# --- batch normalisation
def _draw_batch_norm(d):
    C = d(st.integers(1, 3))
    shape = d(st.sampled_from([(4, C), (2, C, 2, 3), (3, C, 2, 2)]))
    x = d(tie_free_images(shape, low=-2.0, high=2.0))  # spread out: the batch variance is not tiny
    weight, bias = _values(d, (C,), 0.5, 1.5), _values(d, (C,))
    running = (_values(d, (C,), -0.5, 0.5), _values(d, (C,), 0.5, 2.0))
    return Example((x, weight, bias), running, params={"training": d(st.booleans())})


def _batch_norm(p, x, w, b, running_mean, running_var):
    return F.batch_norm(x, running_mean, running_var, w, b, training=p["training"], eps=1e-5)


def _ref_batch_norm(p, x, w, b, running_mean, running_var):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if p["training"]:
        mean, var = x.mean(axis=axes), x.var(axis=axes)  # biased batch variance
    else:
        mean, var = running_mean, running_var
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) * w.reshape(
        shape
    ) + b.reshape(shape)


OPS.append(Op("batch_norm", "norm", _draw_batch_norm, _batch_norm, _ref_batch_norm))


# --- losses
def _reduce_ref(loss, reduction, divisor=None):
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / (loss.size if divisor is None else divisor)
    return loss


def _draw_cross_entropy(d):
    N, C = d(st.integers(1, 4)), d(st.integers(2, 5))
    extra = d(st.sampled_from([(), (2,)]))
    logits = _values(d, (N, C) + extra, -4.0, 4.0)
    target = np.asarray(d(arrays((N,) + extra, np.float64, 0, C - 1e-9)), dtype=np.int64)
    ignore = d(st.booleans())
    if ignore and target.size > 1:
        target.flat[0] = -100  # one ignored target (the others still count)
    weight = _values(d, (C,), 0.5, 2.0) if d(st.booleans()) else None
    params = {
        "reduction": d(st.sampled_from(["mean", "sum", "none"])),
        "label_smoothing": d(st.sampled_from([0.0, 0.1])),
        "nll": d(st.booleans()),  # nll_loss of the logits themselves instead
    }
    if params["nll"]:
        params["label_smoothing"] = 0.0
    consts = (target,) + (() if weight is None else (weight,))
    return Example((logits,), consts, params)


def _cross_entropy(p, x, target, weight=None):
    if p["nll"]:
        return F.nll_loss(x, target, weight=weight, reduction=p["reduction"])
    return F.cross_entropy(
        x, target, weight=weight, reduction=p["reduction"], label_smoothing=p["label_smoothing"]
    )


def _ref_cross_entropy(p, x, target, weight=None):
    C = x.shape[1]
    logp = x if p["nll"] else x - _logsumexp(x, 1, True)
    w = np.ones(C) if weight is None else weight
    valid = target != -100
    t = np.where(valid, target, 0)
    picked = -np.take_along_axis(logp, t[:, None], axis=1)[:, 0] * w[t]
    bshape = (1, C) + (1,) * (x.ndim - 2)
    smooth = -(logp * w.reshape(bshape)).sum(axis=1)
    eps = p["label_smoothing"]
    loss = ((1 - eps) * picked + eps / C * smooth) * valid
    return _reduce_ref(loss, p["reduction"], (w[t] * valid).sum())


OPS.append(Op("cross_entropy", "loss", _draw_cross_entropy, _cross_entropy, _ref_cross_entropy))


def _draw_soft_targets(d):
    N, C = d(st.integers(1, 4)), d(st.integers(2, 5))
    probs = _values(d, (N, C), 0.0, 1.0) + 0.1
    return Example(
        (_values(d, (N, C), -4.0, 4.0),),
        (probs / probs.sum(1, keepdims=True),),
        {"reduction": d(st.sampled_from(["mean", "sum", "none"]))},
    )


OPS.append(
    Op(
        "cross_entropy_probs",
        "loss",
        _draw_soft_targets,
        lambda p, x, t: F.cross_entropy(x, t, reduction=p["reduction"]),
        lambda p, x, t: _reduce_ref(-(t * (x - _logsumexp(x, 1, True))).sum(1), p["reduction"]),
    )
)


def _pointwise_loss(name, fn, ref, kinks, **params):
    def draw(d):
        x = _values(d, d(shapes(1, 3, 1, 4)))
        gap = _values(d, x.shape, -2.0, 2.0, kinks=kinks)
        return Example((x,), (x - gap,), {"reduction": d(st.sampled_from(["mean", "sum", "none"]))})

    OPS.append(
        Op(
            name,
            "loss",
            draw,
            lambda p, x, t: fn(x, t, reduction=p["reduction"], **params),
            lambda p, x, t: _reduce_ref(ref(x - t), p["reduction"]),
        )
    )


_pointwise_loss("mse_loss", F.mse_loss, lambda e: e * e, ())
_pointwise_loss("l1_loss", F.l1_loss, np.abs, (0.0,))
_pointwise_loss(
    "huber_loss",
    F.huber_loss,
    lambda e: np.where(np.abs(e) < 0.8, 0.5 * e * e, 0.8 * (np.abs(e) - 0.4)),
    (-0.8, 0.8),
    delta=0.8,
)
_pointwise_loss(
    "smooth_l1_loss",
    F.smooth_l1_loss,
    lambda e: np.where(np.abs(e) < 0.5, e * e, np.abs(e) - 0.25),
    (-0.5, 0.5),
    beta=0.5,
)


def _draw_bce(d):
    shape = d(shapes(1, 2, 1, 4))
    logits = d(st.booleans())
    x = _values(d, shape, -3.0, 3.0) if logits else _values(d, shape, 0.05, 0.95)
    target = _values(d, shape, 0.0, 1.0)
    weight = _values(d, shape[-1:], 0.5, 2.0)  # broadcast over the last axis
    return Example(
        (x,),
        (target, weight),
        {"logits": logits, "reduction": d(st.sampled_from(["mean", "sum", "none"]))},
    )


def _bce(p, x, t, w):
    if p["logits"]:
        return F.binary_cross_entropy_with_logits(x, t, pos_weight=w, reduction=p["reduction"])
    return F.binary_cross_entropy(x, t, weight=w, reduction=p["reduction"])


def _ref_bce(p, x, t, w):
    if p["logits"]:
        tail = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)  # log(1 + e^(−x))
        return _reduce_ref((1 - t) * x + (1 + (w - 1) * t) * tail, p["reduction"])
    return _reduce_ref(-w * (t * np.log(x) + (1 - t) * np.log(1 - x)), p["reduction"])


OPS.append(Op("binary_cross_entropy", "loss", _draw_bce, _bce, _ref_bce))

OP_IDS = [op.name for op in OPS]
assert len(set(OP_IDS)) == len(OP_IDS), "op names must be unique"


# ------------------------------------------------------------------------------- helpers
def module(device: str):
    return np if device == "cpu" else backend.cupy_module()


def placed(values: np.ndarray, dtype, device: str, layout: str):
    """``values`` as a ``dtype`` array on ``device``: contiguous, or a non-contiguous view
    (axes reversed in memory, or every other element of a larger buffer)."""
    xp = module(device)
    base = backend.to_device(np.ascontiguousarray(values, dtype=dtype), device)
    if layout == "transposed" and base.ndim >= 2:
        return xp.ascontiguousarray(base.T).T
    if layout == "strided" and base.ndim >= 1:
        buffer = xp.zeros(tuple(2 * n for n in base.shape), dtype=dtype)
        view = buffer[(slice(None, None, 2),) * base.ndim]
        view[...] = base
        return view
    return base


def consts_on(example: Example, dtype, device: str) -> list[tg.Tensor]:
    out = []
    for c in example.consts:
        c = np.asarray(c)
        out.append(tg.Tensor(c.astype(dtype) if c.dtype.kind == "f" else c, device=device))
    return out


def assert_close(got: np.ndarray, want: np.ndarray, dtype, what: str) -> None:
    rtol, atol = TOLERANCE[np.dtype(dtype)]
    want = np.asarray(want, dtype=np.float64)
    got = np.asarray(got)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(
        got.astype(np.float64), want, rtol=rtol, atol=atol * scale, err_msg=what
    )


def run(op: Op, example: Example, dtype, device: str, layouts: tuple[str, ...]) -> dict:
    """Forward value, the gradient of ⟨out, v⟩ and (where checked) the derivative of
    Σ⟨grad, w⟩, all as host arrays; v and w are drawn from a fixed seed on the host."""
    xs = [
        tg.Tensor(placed(a, dtype, device, layout), requires_grad=True)
        for a, layout in zip(example.arrays, layouts, strict=True)
    ]
    out = op.fn(example.params, *xs, *consts_on(example, dtype, device))
    assert out.device == device, f"{op}: the output is on {out.device}, not {device}"
    rng = np.random.default_rng(7)
    v = tg.Tensor(rng.standard_normal(out.shape).astype(dtype), device=device)
    grads = tg.grad(out, xs, grad_outputs=v, create_graph=op.order2, allow_unused=True)
    result = {"out": out.numpy(), "out.dtype": out.dtype}
    for i, (x, g) in enumerate(zip(xs, grads, strict=True)):
        assert g is None or (g.device == device and g.dtype == x.dtype), f"{op}: grad {i}"
        result[f"grad{i}"] = np.zeros(x.shape) if g is None else g.numpy()
    if op.order2:
        live = [g for g in grads if g is not None and g.requires_grad]
        result["live"] = len(live)
        if live:
            ws = [
                tg.Tensor(rng.standard_normal(g.shape).astype(dtype), device=device) for g in live
            ]
            second = tg.grad(live, xs, grad_outputs=ws, allow_unused=True)
            for i, (x, h) in enumerate(zip(xs, second, strict=True)):
                result[f"hvp{i}"] = np.zeros(x.shape) if h is None else h.numpy()
    return result
