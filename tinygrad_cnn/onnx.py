"""Export a trained model to ONNX, the exchange format that onnxruntime, Netron and most
inference engines read.

    import tinygrad_cnn as tg
    model = tg.models.lenet()
    tg.onnx.export(model, tg.randn(1, 1, 28, 28), "lenet.onnx")

The export walks the model's modules: ``nn.Sequential`` containers (nested too) and the layers
listed in ``supported_layers()``, each written as one or a few ONNX operators whose node names
are the layers' qualified names (``conv1``, ``features.0``), and whose initializers carry the
state-dict names (``conv1.weight``, ``bn1.running_mean``) in float32. It does not trace
arbitrary Python: a module with its own ``forward`` is not exported (``UnsupportedLayerError``
names it). The model runs once on ``example_input`` in eval mode (dropout off, batch norm on
its running statistics) to learn every layer's shapes; its training flags are restored after.

Needs the ``onnx`` package (``pip install tinygrad-cnn[onnx]``, which brings ``onnxruntime``
as well to run the file); it is imported only when ``export`` is called.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["export", "supported_layers", "UnsupportedLayerError", "DEFAULT_OPSET", "MIN_OPSET"]

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax over one axis and Split/Slice/Clip with tensor inputs


class UnsupportedLayerError(RuntimeError):
    """A module that ``export`` cannot write as ONNX operators."""


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "tinygrad_cnn.onnx.export needs the 'onnx' package: pip install tinygrad-cnn[onnx] "
            "(or pip install onnx onnxruntime)"
        ) from None
    return onnx


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _array(t: Any) -> np.ndarray:
    """A float32 NumPy copy of a Tensor's values (from any device)."""
    return np.array(t.detach().cpu().numpy(), dtype=np.float32)


# ------------------------------------------------------------------------------ graph builder
class _Graph:
    """The nodes and initializers of the graph being written, with unique names."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx, self.opset = onnx, opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def name(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._names:
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def const(self, hint: str, value: Any, dtype: Any = np.float32) -> str:
        """An initializer (float32 unless ``dtype``); returns its name."""
        name = self.name(hint)
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        """Add one ``op`` node named ``hint`` (made unique) with one output; returns it."""
        name = self.name(hint)
        out = self.name(f"{hint}:out")
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out], name=name, **attrs))
        return out


# ------------------------------------------------------------------------------ layers
# A writer gets (graph, module, qualified name, input name, input value, output value) and
# returns the name of its output; the values are the Tensors of the example run.
Writer = Callable[[_Graph, Any, str, str, Any, Any], str]


def _write_conv2d(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    kh, kw = m.kernel_size
    dh, dw = m.dilation
    if m.padding == "valid":
        pads = [0, 0, 0, 0]
    elif m.padding == "same":  # the odd pixel goes to the bottom/right, as in PyTorch
        th, tw = dh * (kh - 1), dw * (kw - 1)
        pads = [th // 2, tw // 2, th - th // 2, tw - tw // 2]
    else:
        ph, pw = m.padding
        pads = [ph, pw, ph, pw]
    mode = m.padding_mode
    if mode != "zeros" and any(pads):
        x = _mode_pad(g, q, x, pads, mode)
        pads = [0, 0, 0, 0]
    inputs = [x, g.const(f"{q}.weight", _array(m.weight))]
    if m.bias is not None:
        inputs.append(g.const(f"{q}.bias", _array(m.bias)))
    return g.node(
        "Conv",
        inputs,
        q,
        kernel_shape=[kh, kw],
        strides=list(m.stride),
        dilations=[dh, dw],
        pads=pads,
        group=m.groups,
    )


def _mode_pad(g: _Graph, q: str, x: str, pads: list[int], mode: str) -> str:
    """Conv2d's padding_mode other than zeros; pads as (top, left, bottom, right) of NCHW."""
    top, left, bottom, right = pads
    if mode in ("reflect", "replicate"):
        onnx_pads = g.const(f"{q}.pads", [0, 0, top, left, 0, 0, bottom, right], np.int64)
        kind = "reflect" if mode == "reflect" else "edge"
        return g.node("Pad", [x, onnx_pads], f"{q}/pad", mode=kind)
    if mode != "circular":
        raise UnsupportedLayerError(f"padding_mode={mode!r} has no ONNX export")
    # circular: the last rows/columns are copied before the first and the first after the
    # last (Slice + Concat works in every opset; Pad's "wrap" mode needs opset 19)
    for axis, before, after in ((2, top, bottom), (3, left, right)):
        if not before and not after:
            continue
        parts = []
        if before:
            parts.append(_slice(g, f"{q}/wrap{axis}a", x, -before, 2**62, axis))
        parts.append(x)
        if after:
            parts.append(_slice(g, f"{q}/wrap{axis}b", x, 0, after, axis))
        x = g.node("Concat", parts, f"{q}/wrap{axis}", axis=axis)
    return x


def _slice(g: _Graph, hint: str, x: str, start: int, end: int, axis: int) -> str:
    args = [g.const(f"{hint}.{k}", [v], np.int64) for k, v in (("starts", start), ("ends", end))]
    return g.node("Slice", [x, *args, g.const(f"{hint}.axes", [axis], np.int64)], hint)


def _write_batchnorm(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    if m.running_mean is None:
        raise UnsupportedLayerError(
            "it has no running statistics (track_running_stats=False), "
            "so in eval it normalises with each batch's own statistics, which ONNX inference "
            "cannot do"
        )
    c = m.num_features
    scale = _array(m.weight) if m.weight is not None else np.ones(c, np.float32)
    shift = _array(m.bias) if m.bias is not None else np.zeros(c, np.float32)
    inputs = [
        x,
        g.const(f"{q}.weight", scale),
        g.const(f"{q}.bias", shift),
        g.const(f"{q}.running_mean", _array(m.running_mean)),
        g.const(f"{q}.running_var", _array(m.running_var)),
    ]
    return g.node("BatchNormalization", inputs, q, epsilon=float(m.eps))


def _pool_pads(xv: Any, yv: Any, k: tuple[int, int], s: tuple[int, int], p, d=(1, 1)) -> list[int]:
    """ONNX pads (top, left, bottom, right) that give, without ceil mode, the output size of
    our (PyTorch's) pooling: ceil mode's extra windows at the bottom/right become extra
    padding there, so no runtime's own reading of ceil mode (where the last window may
    start) comes into it."""
    pads = [p[0], p[1], p[0], p[1]]
    for i in range(2):
        size, out = xv.shape[2 + i], yv.shape[2 + i]
        span = d[i] * (k[i] - 1) + 1
        pads[2 + i] += max(0, (out - 1) * s[i] + span - size - 2 * p[i])
    return pads


def _write_maxpool(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    if m.return_indices:
        raise UnsupportedLayerError("return_indices=True has no ONNX export")
    k, s, p, d = (_pair(v) for v in (m.kernel_size, m.stride, m.padding, m.dilation))
    pads = _pool_pads(xv, yv, k, s, p, d)
    return g.node(
        "MaxPool", [x], q, kernel_shape=list(k), strides=list(s), pads=pads, dilations=list(d)
    )


def _write_avgpool(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    k, s, p = (_pair(v) for v in (m.kernel_size, m.stride, m.padding))
    pads = _pool_pads(xv, yv, k, s, p)
    attrs = {"kernel_shape": list(k), "strides": list(s)}
    if m.divisor_override is not None:
        # every window lies inside the padded input: the mean over k·k counting the padding,
        # times k·k, is the window's sum
        y = g.node("AveragePool", [x], q, pads=pads, count_include_pad=1, **attrs)
        factor = g.const(f"{q}.divisor", k[0] * k[1] / m.divisor_override)
        return g.node("Mul", [y, factor], f"{q}/divide")
    extra = pads[2] > p[0] or pads[3] > p[1]
    if not m.count_include_pad or not extra:
        return g.node(
            "AveragePool", [x], q, pads=pads, count_include_pad=int(m.count_include_pad), **attrs
        )
    # ceil mode with count_include_pad: PyTorch counts the zero padding but not the part of
    # the last window past it. So the padding becomes real zeros and only the rest is excluded.
    if any(p):
        x = _zero_pad(g, q, x, p)
    pads = [0, 0, pads[2] - p[0], pads[3] - p[1]]
    return g.node("AveragePool", [x], q, pads=pads, count_include_pad=0, **attrs)


def _zero_pad(g: _Graph, q: str, x: str, p: tuple[int, int]) -> str:
    pads = g.const(f"{q}.pads", [0, 0, p[0], p[1], 0, 0, p[0], p[1]], np.int64)
    return g.node("Pad", [x, pads], f"{q}/pad", mode="constant")


def _write_adaptive_avgpool(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    (h, w), (oh, ow) = xv.shape[2:], yv.shape[2:]
    if (oh, ow) == (1, 1):
        return g.node("GlobalAveragePool", [x], q)
    if h % oh or w % ow:
        raise UnsupportedLayerError(
            f"output size {(oh, ow)} does not divide the input size "
            f"{(h, w)}, so its windows overlap unevenly and no ONNX pooling matches it"
        )
    k = [h // oh, w // ow]
    return g.node("AveragePool", [x], q, kernel_shape=k, strides=k)


def _write_linear(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    weight = _array(m.weight)
    if xv.ndim == 2:
        inputs = [x, g.const(f"{q}.weight", weight)]
        if m.bias is not None:
            inputs.append(g.const(f"{q}.bias", _array(m.bias)))
        return g.node("Gemm", inputs, q, transB=1)
    y = g.node("MatMul", [x, g.const(f"{q}.weight_t", weight.T)], q)
    if m.bias is None:
        return y
    return g.node("Add", [y, g.const(f"{q}.bias", _array(m.bias))], f"{q}/bias")


def _write_flatten(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    n = max(xv.ndim, 1)
    start, end = m.start_dim % n, m.end_dim % n
    if start == end:
        return g.node("Identity", [x], q)
    if start == 1 and end == n - 1:
        return g.node("Flatten", [x], q, axis=1)
    # 0 keeps a dimension (the batch, whatever its size), -1 is the merged one
    shape = [0] * start + [-1] + [int(v) for v in xv.shape[end + 1 :]]
    return g.node("Reshape", [x, g.const(f"{q}.shape", shape, np.int64)], q)


def _identity(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    return g.node("Identity", [x], q)


def _softmax_axis(m: Any, xv: Any) -> int:
    if m.dim is not None:
        return int(m.dim)
    return 0 if xv.ndim in (0, 1, 3) else 1  # PyTorch's implicit choice


def _write_softmax(op: str, negate: bool = False) -> Writer:
    def write(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
        if negate:
            x = g.node("Neg", [x], f"{q}/neg")
        return g.node(op, [x], q, axis=_softmax_axis(m, xv))

    return write


def _write_softmax2d(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    return g.node("Softmax", [x], q, axis=-3)


def _op(op: str, **fixed: Any) -> Writer:
    """A layer that is one ONNX operator with fixed attributes."""

    def write(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
        return g.node(op, [x], q, **fixed)

    return write


def _write_leaky_relu(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    return g.node("LeakyRelu", [x], q, alpha=float(m.negative_slope))


def _write_elu(op: str) -> Writer:
    def write(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
        return g.node(op, [x], q, alpha=float(m.alpha))

    return write


def _write_gelu(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    if g.opset >= 20:
        return g.node("Gelu", [x], q, approximate=m.approximate)
    if m.approximate == "tanh":  # ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        cube = g.node("Mul", [x, g.node("Mul", [x, x], f"{q}/square")], f"{q}/cube")
        inner = g.node("Mul", [cube, g.const(f"{q}.c", 0.044715)], f"{q}/scale_cube")
        inner = g.node("Add", [x, inner], f"{q}/add_cube")
        inner = g.node("Mul", [inner, g.const(f"{q}.k", math.sqrt(2 / math.pi))], f"{q}/scale")
        phi = g.node("Tanh", [inner], f"{q}/tanh")
    else:  # ½x(1 + erf(x/√2))
        phi = g.node("Erf", [g.node("Mul", [x, g.const(f"{q}.k", 0.5**0.5)], f"{q}/scale")], q)
    phi = g.node("Add", [phi, g.const(f"{q}.one", 1.0)], f"{q}/add_one")
    half = g.node("Mul", [x, g.const(f"{q}.half", 0.5)], f"{q}/half")
    return g.node("Mul", [half, phi], f"{q}/mul")


def _softplus(g: _Graph, q: str, x: str, beta: float, threshold: float) -> str:
    """log(1 + e^(βx))/β, and x where βx > threshold (as PyTorch)."""
    bx = x if beta == 1 else g.node("Mul", [x, g.const(f"{q}.beta", beta)], f"{q}/beta")
    y = g.node("Softplus", [bx], q)
    if beta != 1:
        y = g.node("Div", [y, g.const(f"{q}.beta_div", beta)], f"{q}/div_beta")
    above = g.node("Greater", [bx, g.const(f"{q}.threshold", threshold)], f"{q}/above")
    return g.node("Where", [above, x, y], f"{q}/linear")


def _write_softplus(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    return _softplus(g, q, x, float(m.beta), float(m.threshold))


def _write_mish(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    t = g.node("Tanh", [_softplus(g, f"{q}/softplus", x, 1.0, 20.0)], f"{q}/tanh")
    return g.node("Mul", [x, t], q)


def _write_gated(op: str, **attrs: Any) -> Writer:
    """x · op(x): SiLU (Sigmoid) and Hardswish (HardSigmoid)."""

    def write(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
        return g.node("Mul", [x, g.node(op, [x], f"{q}/{op.lower()}", **attrs)], q)

    return write


def _write_hardtanh(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    bounds = [g.const(f"{q}.{k}", getattr(m, k)) for k in ("min_val", "max_val")]
    return g.node("Clip", [x, *bounds], q)


def _write_tanhshrink(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    return g.node("Sub", [x, g.node("Tanh", [x], f"{q}/tanh")], q)


def _write_logsigmoid(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    sp = g.node("Softplus", [g.node("Neg", [x], f"{q}/neg")], f"{q}/softplus")
    return g.node("Neg", [sp], q)


def _write_threshold(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    above = g.node("Greater", [x, g.const(f"{q}.threshold", m.threshold)], f"{q}/above")
    return g.node("Where", [above, x, g.const(f"{q}.value", m.value)], q)


def _write_prelu(g: _Graph, m: Any, q: str, x: str, xv: Any, yv: Any) -> str:
    slope = _array(m.weight)
    if slope.size > 1 and xv.ndim > 2:  # one slope per channel (dimension 1)
        slope = slope.reshape(-1, *([1] * (xv.ndim - 2)))
    return g.node("PRelu", [x, g.const(f"{q}.weight", slope)], q)


_SELU = {"alpha": 1.6732632423543772848170429916717, "gamma": 1.0507009873554804934193349852946}

# layer class name in tinygrad_cnn.nn → writer; names not in nn (yet) are skipped
_WRITERS: dict[str, Writer] = {
    "Conv2d": _write_conv2d,
    "BatchNorm1d": _write_batchnorm,
    "BatchNorm2d": _write_batchnorm,
    "MaxPool2d": _write_maxpool,
    "AvgPool2d": _write_avgpool,
    "AdaptiveAvgPool2d": _write_adaptive_avgpool,
    "Linear": _write_linear,
    "Flatten": _write_flatten,
    "Identity": _identity,
    "Dropout": _identity,
    "Dropout1d": _identity,
    "Dropout2d": _identity,
    "ReLU": _op("Relu"),
    "LeakyReLU": _write_leaky_relu,
    "Sigmoid": _op("Sigmoid"),
    "Tanh": _op("Tanh"),
    "GELU": _write_gelu,
    "Softplus": _write_softplus,
    "ELU": _write_elu("Elu"),
    "CELU": _write_elu("Celu"),
    "SELU": _op("Selu", **_SELU),
    "SiLU": _write_gated("Sigmoid"),
    "Mish": _write_mish,
    "Hardtanh": _write_hardtanh,
    "ReLU6": _write_hardtanh,
    "Hardsigmoid": _op("HardSigmoid", alpha=1 / 6, beta=0.5),
    "Hardswish": _write_gated("HardSigmoid", alpha=1 / 6, beta=0.5),
    "Softsign": _op("Softsign"),
    "Tanhshrink": _write_tanhshrink,
    "LogSigmoid": _write_logsigmoid,
    "Threshold": _write_threshold,
    "PReLU": _write_prelu,
    "Softmax": _write_softmax("Softmax"),
    "LogSoftmax": _write_softmax("LogSoftmax"),
    "Softmin": _write_softmax("Softmax", negate=True),
    "Softmax2d": _write_softmax2d,
}


def _writer_table() -> dict[type, Writer]:
    from . import nn

    return {
        getattr(nn, name): w
        for name, w in _WRITERS.items()
        if isinstance(getattr(nn, name, None), type)
    }


def supported_layers() -> list[str]:
    """The names of the ``nn`` layers that ``export`` writes (besides ``nn.Sequential``)."""
    return sorted(cls.__name__ for cls in _writer_table())


def _find_writer(module: Any, table: dict[type, Writer]) -> Writer | None:
    """The writer of the nearest class in ``module``'s MRO that has one, provided the module
    still runs that class's ``forward`` (a subclass with its own forward is not known)."""
    for cls in type(module).__mro__:
        if cls in table:
            return table[cls] if type(module).forward is cls.forward else None
    return None


# ------------------------------------------------------------------------------ the walk
def _walk(g: _Graph, module: Any, q: str, x: str, xv: Any, table: dict[type, Writer]):
    """Write ``module`` applied to the tensor named ``x`` (value ``xv``); returns the output's
    name and value."""
    from .nn import Sequential

    if isinstance(module, Sequential) and type(module).forward is Sequential.forward:
        for name, child in module._modules.items():
            x, xv = _walk(g, child, f"{q}.{name}" if q else name, x, xv, table)
        return x, xv
    writer = _find_writer(module, table)
    label = q or "the model"
    if writer is None:
        raise UnsupportedLayerError(
            f"cannot export {label} ({type(module).__name__}): export writes nn.Sequential "
            f"and these layers only: {', '.join(supported_layers())}"
        )
    yv = module(xv)
    try:
        return writer(g, module, q or type(module).__name__, x, xv, yv), yv
    except UnsupportedLayerError as e:  # a writer says why; the message says who
        raise UnsupportedLayerError(
            f"cannot export {label} ({type(module).__name__}): {e}"
        ) from None


def _value_info(onnx: Any, name: str, shape: Sequence[int], dynamic_batch: bool):
    dims: list[Any] = list(shape)
    if dynamic_batch and dims:
        dims[0] = "batch"
    return onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims)


def _one_name(names: Sequence[str] | None, default: str, what: str) -> str:
    if names is None:
        return default
    if isinstance(names, str) or len(names) != 1 or not isinstance(names[0], str):
        raise ValueError(f"export: {what} must be a list of one name, got {names!r}")
    return names[0]


def export(
    model: Any,
    example_input: Any,
    path: str | os.PathLike | None,
    opset_version: int | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_batch: bool = True,
):
    """Write ``model`` as an ONNX file at ``path`` and return the ``onnx.ModelProto``
    (``path=None``: only return it).

    ``example_input``: a Tensor (or a tuple of one) of the shape the model is run on; its
    values do not matter. ``opset_version``: the ONNX operator set (default 17, at least 13),
    recorded in the file. ``input_names``/``output_names``: one name each (default ``input``
    and ``output``). ``dynamic_batch``: the first dimension is named ``batch`` and any size is
    accepted (the other dimensions are fixed by the example). The model is checked with
    ``onnx.checker.check_model``. Raises ``UnsupportedLayerError`` (a RuntimeError) naming the
    first layer that cannot be written.
    """
    onnx = _import_onnx()
    from . import __version__
    from .autograd import no_grad
    from .nn import Module
    from .tensor import Tensor

    if not isinstance(model, Module):
        raise TypeError(f"export: model must be an nn.Module, got {type(model).__name__}")
    if isinstance(example_input, tuple) and len(example_input) == 1:
        example_input = example_input[0]
    if not isinstance(example_input, Tensor):
        raise TypeError(
            f"export: example_input must be a Tensor (or a tuple of one), got "
            f"{type(example_input).__name__}"
        )
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"export: opset_version must be an int from {MIN_OPSET} to {newest} (the newest "
            f"the installed onnx knows), got {opset!r}"
        )
    in_name = _one_name(input_names, "input", "input_names")
    out_name = _one_name(output_names, "output", "output_names")

    g = _Graph(onnx, opset)
    g._names.add(in_name)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            last, yv = _walk(g, model, "", in_name, example_input.detach(), _writer_table())
    finally:
        for m, mode in modes:
            m.__dict__["training"] = mode
    if last == in_name:  # nothing but identities: still one node from input to output
        last = g.node("Identity", [in_name], "identity")
    for node in g.nodes:  # the last tensor takes the output's name
        node.output[:] = [out_name if o == last else o for o in node.output]
        node.input[:] = [out_name if i == last else i for i in node.input]

    graph = onnx.helper.make_graph(
        g.nodes,
        type(model).__name__,
        [_value_info(onnx, in_name, example_input.shape, dynamic_batch)],
        [_value_info(onnx, out_name, yv.shape, dynamic_batch)],
        initializer=g.initializers,
    )
    opset_ids = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(
        graph,
        opset_imports=opset_ids,
        producer_name="tinygrad_cnn",
        producer_version=__version__,
        ir_version=onnx.helper.find_min_ir_version_for(opset_ids),
    )
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        from .serialization import atomic_write

        data = proto.SerializeToString()
        atomic_write(path, lambda f: f.write(data))
    return proto
