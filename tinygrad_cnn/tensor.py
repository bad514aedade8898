"""``Tensor``: an array (NumPy or CuPy) plus what reverse-mode autograd needs.

A tensor made by an operation remembers it in ``op`` (a ``Function``); ``parents`` are that
op's inputs. Leaves (``op is None``) that ``requires_grad`` receive ``.grad`` on backward.
Methods here only prepare arguments and call primitives (``ops/``) or compose them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd
from .backend import device_of, get_array_module, normalize_device, to_device, to_numpy
from .ops import elementwise as E
from .ops import linalg as L
from .ops import movement as M
from .ops import reduce as R

__all__ = ["Tensor", "as_tensor"]

_DEFAULT_FLOAT = np.dtype(np.float32)


def _as_array(data: Any, dtype: Any) -> Any:
    """The backend array for ``data``: arrays keep their dtype; Python floats become float32."""
    if isinstance(data, Tensor):
        data = data._data
    xp = get_array_module(data)
    if xp is np and not isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(_DEFAULT_FLOAT)
        elif arr.dtype.kind in "iu" and dtype is None:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "fiub":
            kind = f"{type(data).__name__} ({arr.dtype})"
            raise TypeError(f"Tensor: cannot make a tensor from {kind}")
    else:
        arr = xp.asarray(data)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    return arr


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, dtype=None, device=None, requires_grad=False)``: ``data`` may be a number, a
    nested list, a NumPy or CuPy array, or a Tensor. Python floats default to float32, Python
    ints to int64.

        x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        loss = (x @ x.T).relu().sum()
        loss.backward()                  # x.grad: Tensor of x's shape

    Data: ``.data`` (the NumPy/CuPy array), ``.numpy()``, ``.item()``, ``.shape``, ``.dtype``,
    ``.device``. Autograd: ``.requires_grad``, ``.grad``, ``.backward()``, ``.detach()``; a
    tensor made by an operation records it in ``.op`` (a ``Function``) and its inputs in
    ``.parents``. Operators ``+ - * / ** @`` and comparisons broadcast like NumPy; reductions
    (``sum``, ``mean``, ``max``, ...) take ``axis=`` (alias ``dim=``) and ``keepdim=``. Functions
    of several tensors (``cat``, ``stack``, ``where``) and constructors (``zeros``, ``randn``,
    ...) live in the ``tinygrad_cnn`` namespace; CNN layers in ``tinygrad_cnn.functional``.
    """

    __slots__ = (
        "_data",
        "requires_grad",
        "grad",
        "op",
        "name",
        "hooks",
        "retains_grad",
        "__weakref__",
    )
    __array_priority__ = 1000  # NumPy defers to Tensor for `array * tensor`

    def __init__(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> None:
        arr = _as_array(data, dtype)
        if device is not None:
            arr = to_device(arr, device)
        self._data = arr
        self.grad: Tensor | None = None
        self.op = None
        self.name: str | None = None
        self.hooks: list[Callable] = []
        self.retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ---------------------------------------------------------------- properties

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> str:
        return device_of(self._data)

    @property
    def xp(self):
        """The array module of this tensor's data (numpy or cupy)."""
        return get_array_module(self._data)

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The inputs of the op that produced this tensor (empty for leaves)."""
        return self.op.inputs if self.op is not None else ()

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """Transpose of the last two axes (a batch of matrices)."""
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(math.prod(self.shape))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ---------------------------------------------------------------- conversion

    def numpy(self) -> np.ndarray:
        return to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.numel() != 1:
            raise ValueError(f"item: only one-element tensors can be converted, shape {self.shape}")
        return self.numpy().reshape(()).item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __hash__(self) -> int:
        return id(self)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory)."""
        return Tensor(self._data)

    def clone(self) -> Tensor:
        return self + 0 if self.requires_grad else Tensor(self._data.copy())

    def to(self, target: Any) -> Tensor:
        """``to("cuda")``, ``to("cpu")`` or ``to(tg.float64)``; differentiable either way."""
        if isinstance(target, str) and target.lower().startswith(("cpu", "cuda")):
            device = normalize_device(target)
            return self if device == self.device else E.ToDevice.apply(self, device=device)
        dtype = np.dtype(target)
        return self if dtype == self.dtype else E.Cast.apply(self, dtype=dtype)

    def __dlpack__(self, *, stream: Any = None, **kwargs: Any) -> Any:
        """Share this tensor's memory with another library (no copy)."""
        if stream is not None:
            kwargs["stream"] = stream
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._data.__dlpack_device__()

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    # ---------------------------------------------------------------- autograd

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(
                f"only floating point tensors can require gradients (this one is {self.dtype})"
            )
        if not requires_grad and not self.is_leaf:
            raise RuntimeError("requires_grad_(False) is only allowed on leaves; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self.retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a function that removes the hook."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad")
        self.hooks.append(hook)
        return lambda: self.hooks.remove(hook)

    def backward(
        self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (added to what is there).

        ``gradient``: d(loss)/d(self), with self's shape; may be omitted only for a scalar
        (then 1). The graph's saved arrays are freed afterwards unless ``retain_graph=True``
        (default: ``create_graph``). ``create_graph=True`` records the backward pass itself,
        so the gradients can be differentiated again.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    def zeros_like(self) -> Tensor:
        return Tensor(self.xp.zeros(self.shape, dtype=self.dtype))

    # ---------------------------------------------------------------- helpers

    def _lift(self, other: Any) -> Tensor:
        """A Python number or array as a tensor on this device (ints join floats as floats)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)):
            dtype = self.dtype
            if isinstance(other, float) and dtype.kind != "f":
                dtype = _DEFAULT_FLOAT
            return Tensor(self.xp.asarray(other, dtype=dtype))
        return Tensor(other, device=self.device)

    def _binary(self, fn, other: Any, reverse: bool = False) -> Tensor:
        a, b = self, self._lift(other)
        if a.dtype != b.dtype:  # float wins over int/bool; otherwise NumPy's promotion
            if a.dtype.kind == "f" and b.dtype.kind != "f":
                b = b.to(a.dtype)
            elif b.dtype.kind == "f" and a.dtype.kind != "f":
                a = a.to(b.dtype)
        return fn.apply(b, a) if reverse else fn.apply(a, b)

    def _compare(self, other: Any, fn: Callable) -> Tensor:
        other = self._lift(other)
        return Tensor(fn(self._data, other._data))

    # ---------------------------------------------------------------- arithmetic

    def __add__(self, other):
        return self._binary(E.Add, other)

    def __radd__(self, other):
        return self._binary(E.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(E.Sub, other)

    def __rsub__(self, other):
        return self._binary(E.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(E.Mul, other)

    def __rmul__(self, other):
        return self._binary(E.Mul, other, reverse=True)

    def __truediv__(self, other):
        if self.dtype.kind != "f" and not (isinstance(other, Tensor) and other.dtype.kind == "f"):
            return self.to(_DEFAULT_FLOAT) / other
        return self._binary(E.Div, other)

    def __rtruediv__(self, other):
        if self.dtype.kind != "f":
            return other / self.to(_DEFAULT_FLOAT)
        return self._binary(E.Div, other, reverse=True)

    def __pow__(self, exponent):
        if isinstance(exponent, (int, float)):
            return E.PowScalar.apply(self, exponent=exponent)
        return self._binary(E.Pow, exponent)

    def __rpow__(self, base):
        return self._binary(E.Pow, base, reverse=True)

    def __neg__(self):
        return E.Neg.apply(self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._lift(other).matmul(self)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with NumPy's rules: batched, broadcasting, 1-D operands allowed."""
        other = self._lift(other)
        if self.ndim == 0 or other.ndim == 0:
            raise RuntimeError(
                f"matmul: both operands need at least 1 dimension, got {self.shape} @ {other.shape}"
            )
        a = self.unsqueeze(0) if self.ndim == 1 else self
        b = other.unsqueeze(-1) if other.ndim == 1 else other
        if a.shape[-1] != b.shape[-2]:
            raise RuntimeError(
                f"matmul: shapes {self.shape} and {other.shape} do not align "
                f"({a.shape[-1]} != {b.shape[-2]})"
            )
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(
                f"matmul: batch axes of {self.shape} and {other.shape} do not broadcast"
            ) from None
        out = L.Matmul.apply(a, b)
        if self.ndim == 1:
            out = out.squeeze(-2)
        if other.ndim == 1:
            out = out.squeeze(-1)
        return out

    # comparisons give bool tensors and no gradient
    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __invert__(self):
        if self.dtype.kind != "b":
            raise TypeError(f"~ needs a bool tensor, got {self.dtype}")
        return Tensor(~self._data)

    def __and__(self, other):
        return self._compare(other, lambda a, b: a & b)

    def __or__(self, other):
        return self._compare(other, lambda a, b: a | b)

    def any(self) -> Tensor:
        return Tensor(self.xp.any(self._data))

    def all(self) -> Tensor:
        return Tensor(self.xp.all(self._data))

    def isnan(self) -> Tensor:
        return Tensor(self.xp.isnan(self._data))

    def isfinite(self) -> Tensor:
        return Tensor(self.xp.isfinite(self._data))

    # ---------------------------------------------------------------- elementwise

    def exp(self) -> Tensor:
        return E.Exp.apply(self)

    def log(self) -> Tensor:
        return E.Log.apply(self)

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return E.Abs.apply(self)

    def sin(self) -> Tensor:
        return E.Sin.apply(self)

    def cos(self) -> Tensor:
        return E.Cos.apply(self)

    def tanh(self) -> Tensor:
        return E.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return E.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return E.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return E.LeakyRelu.apply(self, negative_slope=negative_slope)

    def gelu(self, approximate: str = "none") -> Tensor:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return E.Gelu.apply(self, approximate=approximate)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return E.Softplus.apply(self, beta=beta, threshold=threshold)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        return E.Clip.apply(self, min=min, max=max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return self._binary(E.Maximum, other)

    def minimum(self, other: Any) -> Tensor:
        return -((-self).maximum(-self._lift(other)))

    def square(self) -> Tensor:
        return self * self

    # ---------------------------------------------------------------- reductions

    def sum(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "sum")
        return R.Sum.apply(self, axis=axes, keepdim=keepdim)

    def mean(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "mean")
        count = math.prod(self.shape[a] for a in axes)
        return self.sum(axes, keepdim) / count

    def max(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "max")
        return R.Max.apply(self, axis=axes, keepdim=keepdim)

    def min(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        return -((-self).max(axis, keepdim, dim=dim))

    amax = max
    amin = min

    def var(
        self,
        axis=None,
        keepdim: bool = False,
        *,
        dim=None,
        correction: int = 1,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Variance; ``correction=1`` (the default, as in PyTorch) divides by n − 1."""
        if unbiased is not None:
            correction = int(unbiased)
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "var")
        count = math.prod(self.shape[a] for a in axes)
        centred = self - self.mean(axes, keepdim=True)
        return (centred * centred).sum(axes, keepdim) / max(count - correction, 0)

    def std(
        self,
        axis=None,
        keepdim: bool = False,
        *,
        dim=None,
        correction: int = 1,
        unbiased: bool | None = None,
    ) -> Tensor:
        return self.var(axis, keepdim, dim=dim, correction=correction, unbiased=unbiased).sqrt()

    def _shift_for_exp(self, axes: tuple[int, ...]) -> Tensor:
        """The maximum over ``axes`` (kept), as a constant; 0 where it is not finite."""
        top = self.xp.max(self._data, axis=axes, keepdims=True)
        return Tensor(self.xp.where(self.xp.isfinite(top), top, 0))

    def logsumexp(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        """log Σ exp(x), stable: the maximum is subtracted first (as a constant)."""
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "logsumexp")
        top = self._shift_for_exp(axes)
        out = (self - top).exp().sum(axes, keepdim=True).log() + top
        return out if keepdim else out.squeeze(axes)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x − logsumexp(x), computed as (x − max) − log Σ exp(x − max): subtracting the full
        logsumexp would round it at the scale of max (1e4 in float32 loses ~1e-3)."""
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "log_softmax")
        shifted = self - self._shift_for_exp(axes)
        return shifted - shifted.exp().sum(axes, keepdim=True).log()

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        return self.log_softmax(axis, dim=dim).exp()

    def argmax(self, axis: int | None = None, keepdim: bool = False, *, dim=None) -> Tensor:
        axis = dim if dim is not None else axis
        out = self.xp.argmax(self._data, axis=axis)
        if keepdim and axis is not None:
            out = self.xp.expand_dims(out, axis)
        return Tensor(out.astype(np.int64))

    def argmin(self, axis: int | None = None, keepdim: bool = False, *, dim=None) -> Tensor:
        return (-self).argmax(axis, keepdim, dim=dim)

    # ---------------------------------------------------------------- movement

    def reshape(self, *shape) -> Tensor:
        shape = _shape_arg(shape)
        target = self._data.reshape(shape).shape if -1 in shape else shape
        if math.prod(target) != self.numel():
            raise RuntimeError(
                f"reshape: shape {tuple(shape)} is invalid for input of shape {self.shape}"
            )
        if tuple(target) == self.shape:
            return self
        return M.Reshape.apply(self, shape=tuple(target))

    view = reshape

    def permute(self, *dims) -> Tensor:
        dims = tuple(d % max(self.ndim, 1) for d in _shape_arg(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: {dims} is not a permutation of the axes of {self.shape}")
        if dims == tuple(range(self.ndim)):
            return self
        return M.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(*dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return self.reshape(shape)

    def squeeze(self, axis=None, *, dim=None) -> Tensor:
        axis = dim if dim is not None else axis
        if axis is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        else:
            axes = tuple(a % self.ndim for a in ((axis,) if isinstance(axis, int) else axis))
            axes = tuple(a for a in axes if self.shape[a] == 1)  # PyTorch: non-1 axes are left
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *shape) -> Tensor:
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: cannot expand shape {self.shape} to {tuple(shape)}")
        target = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        for i, n in enumerate(self.shape):
            if n != 1 and n != target[i + lead]:
                raise RuntimeError(f"expand: cannot expand shape {self.shape} to {tuple(shape)}")
        if target == self.shape:
            return self
        return M.Expand.apply(self, shape=target)

    def broadcast_to(self, shape) -> Tensor:
        return self.expand(*shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(*other.shape)

    def __getitem__(self, index) -> Tensor:
        return M.GetItem.apply(self, index=_normalize_index(index, self))

    def __setitem__(self, index, value) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                "in-place assignment to a tensor that requires grad is not supported; "
                "build a new tensor (e.g. with tg.where) or assign under tg.no_grad()"
            )
        value = value._data if isinstance(value, Tensor) else value
        self._data[_normalize_index(index, self)] = value

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def pad(self, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
        """Pad the last ``len(pad)//2`` axes, PyTorch order: (left, right, top, bottom, ...).

        ``mode`` is ``"constant"`` or ``"circular"`` (periodic boundary, as on a torus)."""
        pad = tuple(int(p) for p in pad)
        if len(pad) % 2 or len(pad) // 2 > self.ndim:
            raise ValueError(
                f"pad: {pad} must hold (before, after) pairs for at most {self.ndim} axes"
            )
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {pad} is not supported")
        widths = [(0, 0)] * self.ndim
        for k in range(len(pad) // 2):
            widths[self.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
        if mode == "constant":
            return M.Pad.apply(self, widths=tuple(widths), value=value)
        if mode == "circular":
            out = self
            for axis, (lo, hi) in enumerate(widths):
                n = self.shape[axis]
                if lo > n or hi > n:
                    raise ValueError(f"pad: circular padding {pad} is larger than axis of size {n}")
                if lo or hi:
                    head = (slice(None),) * axis
                    parts = [out[head + (slice(n - lo, n),)]] if lo else []
                    parts += [out] + ([out[head + (slice(0, hi),)]] if hi else [])
                    out = cat(parts, axis=axis)
            return out
        raise ValueError(f"pad: mode must be 'constant' or 'circular', got {mode!r}")

    def split(self, split_size_or_sections, axis: int = 0, *, dim=None) -> tuple[Tensor, ...]:
        return split(self, split_size_or_sections, dim if dim is not None else axis)

    def chunk(self, chunks: int, axis: int = 0, *, dim=None) -> tuple[Tensor, ...]:
        return chunk(self, chunks, dim if dim is not None else axis)

    def where(self, condition: Any, other: Any) -> Tensor:
        return where(condition, self, other)

    # ---------------------------------------------------------------- indexing by index and mask

    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        """``out[i][j] = input[index[i][j]][j]`` for ``dim=0`` (and likewise for other dims); see
        ``tinygrad_cnn.gather``."""
        return _ix.gather(self, dim, index)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """``gather`` with broadcasting: ``input`` and ``indices`` are broadcast against each other
        on every axis but ``dim``; see ``tinygrad_cnn.take_along_dim``."""
        return _ix.take_along_dim(self, indices, dim)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value=None, reduce=None) -> Tensor:
        """A copy with ``src`` written at ``index`` along ``dim``
        (``out[index[i][j]][j] = src[i][j]`` for ``dim=0``), or the number ``value`` everywhere
        ``index`` points; see ``tinygrad_cnn.scatter``."""
        return _ix.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """``input`` plus ``src`` added at ``index`` along ``dim``; see
        ``tinygrad_cnn.scatter_add``."""
        return _ix.scatter_add(self, dim, index, src)

    def scatter_reduce(
        self, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        return _ix.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices of ``input`` at positions ``index`` (a vector) along ``dim``; see
        ``tinygrad_cnn.index_select``."""
        return _ix.index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """``input`` with ``alpha * source[k]`` added to the slice ``index[k]`` along ``dim``
        (repeated indices accumulate); see ``tinygrad_cnn.index_add``."""
        return _ix.index_add(self, dim, index, source, alpha=alpha)

    def index_copy(self, dim: int, index: Any, source: Tensor) -> Tensor:
        """``input`` with the slice ``index[k]`` along ``dim`` replaced by ``source[k]``; see
        ``tinygrad_cnn.index_copy``."""
        return _ix.index_copy(self, dim, index, source)

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
        0-d tensor, which then receives the sum of their gradients); see
        ``tinygrad_cnn.index_fill``."""
        return _ix.index_fill(self, dim, index, value)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``input`` with ``value`` (a number or a 0-d tensor) wherever the bool ``mask`` is True;
        see ``tinygrad_cnn.masked_fill``."""
        return _ix.masked_fill(self, mask, value)

    def masked_select(self, mask: Any) -> Tensor:
        """The elements of ``input`` where ``mask`` is True, as a 1-d tensor (both broadcast); see
        ``tinygrad_cnn.masked_select``."""
        return _ix.masked_select(self, mask)

    def masked_scatter(self, mask: Any, source: Tensor) -> Tensor:
        """``input`` with the positions where ``mask`` is True filled, in order, by the first
        elements of ``source`` (which needs at least as many elements as there are Trues); see
        ``tinygrad_cnn.masked_scatter``."""
        return _ix.masked_scatter(self, mask, source)

    def take(self, index: Any) -> Tensor:
        """``input.flatten()[index]``: the result has ``index``'s shape; see
        ``tinygrad_cnn.take``."""
        return _ix.take(self, index)

    # ---------------------------------------------------------------- rearranging, products, norms

    def repeat(self, *sizes) -> Tensor:
        """``input`` tiled ``sizes[i]`` times along axis i (``sizes`` may add leading axes); see
        ``tinygrad_cnn.repeat``."""
        return _shape.repeat(self, *sizes)

    def tile(self, *dims) -> Tensor:
        """``repeat`` where fewer ``dims`` than axes means ones in front; see
        ``tinygrad_cnn.tile``."""
        return _shape.tile(self, _shape_arg(dims))

    def repeat_interleave(self, repeats: Any, dim: int | None = None, *, output_size=None):
        """Each element (or slice along ``dim``) repeated ``repeats`` times in place:
        ``[1, 2] → [1, 1, 2, 2]``; see ``tinygrad_cnn.repeat_interleave``."""
        return _shape.repeat_interleave(self, repeats, dim)

    def flip(self, *dims) -> Tensor:
        """``input`` reversed along each of ``dims``; see ``tinygrad_cnn.flip``."""
        return _shape.flip(self, *dims)

    def fliplr(self) -> Tensor:
        """Reversed along axis 1 (left/right); see ``tinygrad_cnn.fliplr``."""
        return _shape.fliplr(self)

    def flipud(self) -> Tensor:
        """Reversed along axis 0 (up/down); see ``tinygrad_cnn.flipud``."""
        return _shape.flipud(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Shift elements along ``dims`` by ``shifts`` (cyclically); see ``tinygrad_cnn.roll``."""
        return _shape.roll(self, shifts, dims)

    def rot90(self, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
        """Rotate by 90° ``k`` times in the plane of ``dims``, from the first towards the second;
        see ``tinygrad_cnn.rot90``."""
        return _shape.rot90(self, k, dims)

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The ``length`` elements from ``start`` along ``dim`` (a view, as slicing); see
        ``tinygrad_cnn.narrow``."""
        return _shape.narrow(self, dim, start, length)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, with that axis removed; see ``tinygrad_cnn.unbind``."""
        return _shape.unbind(self, dim)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        """Axes ``source`` moved to positions ``destination``; see ``tinygrad_cnn.movedim``."""
        return _shape.movedim(self, source, destination)

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Axes ``axis0`` and ``axis1`` exchanged; see ``tinygrad_cnn.swapaxes``."""
        return _shape.swapaxes(self, axis0, axis1)

    swapdims = swapaxes

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (on and below ``diagonal``); see
        ``tinygrad_cnn.tril``."""
        return _shape.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (on and above ``diagonal``); see
        ``tinygrad_cnn.triu``."""
        return _shape.triu(self, diagonal)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A 1-d input becomes a square matrix with it on the ``diagonal``; see
        ``tinygrad_cnn.diag``."""
        return _shape.diag(self, diagonal)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        """The ``offset`` diagonal of the matrices in axes ``dim1``, ``dim2``, as a new last axis;
        see ``tinygrad_cnn.diagonal``."""
        return _shape.diagonal(self, offset, dim1, dim2)

    def trace(self) -> Tensor:
        """The sum of the main diagonal of a matrix; see ``tinygrad_cnn.trace``."""
        return _shape.trace(self)

    def outer(self, vec2: Tensor) -> Tensor:
        """``out[i, j] = input[i] * vec2[j]`` for two vectors; see ``tinygrad_cnn.outer``."""
        return _shape.outer(self, vec2)

    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (default: the first axis of size 3); see
        ``tinygrad_cnn.cross``."""
        return _shape.cross(self, other, dim)

    def kron(self, other: Tensor) -> Tensor:
        """The Kronecker product: block (i, j, ...) of the result is ``input[i, j, ...] * other``;
        see ``tinygrad_cnn.kron``."""
        return _shape.kron(self, other)

    def cumsum(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Running sum along ``dim``: ``out[i] = x[0] + ... + x[i]``; see ``tg.cumsum``."""
        return _shape.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype: Any = None) -> Tensor:
        """Running product along ``dim``, as a scan of log₂ n Mul steps (no division), so the
        gradient is exact where inputs are zero; see ``tinygrad_cnn.cumprod``."""
        return _shape.cumprod(self, dim, dtype=dtype)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        """The product of all elements, or along ``dim``; see ``tinygrad_cnn.prod``."""
        return _shape.prod(self, dim, keepdim, dtype=dtype)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype=None) -> Tensor:
        """The vector p-norm over ``dim`` (default: all elements): ``p`` is a number (2, 1,
        ``inf``, ``-inf``, 0, any positive p) or ``"fro"`` (= 2); see ``tinygrad_cnn.norm``."""
        return _shape.norm(self, p, dim, keepdim, dtype)

    def dist(self, other: Tensor, p: float = 2) -> Tensor:
        """``norm(input - other, p)`` (the two broadcast); see ``tinygrad_cnn.dist``."""
        return _shape.dist(self, other, p)

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with
        ``as_tuple=True`` one 1-d tensor per axis; see ``tinygrad_cnn.nonzero``."""
        return _shape.nonzero(self, as_tuple=as_tuple)

    def argwhere(self) -> Tensor:
        """Same as ``nonzero(input)``: an (n, ndim) int64 tensor of indices; see
        ``tinygrad_cnn.argwhere``."""
        return _shape.argwhere(self)

    def unique(self, sorted: bool = True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), or distinct slices along ``dim``; see
        ``tinygrad_cnn.unique``."""
        return _shape.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        """How often each value 0, 1, ... occurs (1-d, non-negative integers); see
        ``tinygrad_cnn.bincount``."""
        return _shape.bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
        """A histogram of ``bins`` equal-width bins between ``min`` and ``max`` (the data's own
        range when both are 0); see ``tinygrad_cnn.histc``."""
        return _shape.histc(self, bins, min, max)

    def bucketize(self, boundaries: Tensor, *, out_int32: bool = False, right: bool = False):
        """The bucket of each value given sorted 1-d ``boundaries``: i with
        ``boundaries[i-1] < x <= boundaries[i]`` (``<=`` and ``<`` swapped with ``right=True``);
        see ``tinygrad_cnn.bucketize``."""
        return _shape.bucketize(self, boundaries, out_int32=out_int32, right=right)

    # ---------------------------------------------------------------- products of tensors

    def mm(self, mat2: Tensor) -> Tensor:
        """The product of two matrices (no broadcasting); see ``tinygrad_cnn.mm``."""
        return _products.mm(self, mat2)

    def bmm(self, mat2: Tensor) -> Tensor:
        """Batched matrix products of (B, n, m) and (B, m, p) (no broadcasting); see
        ``tinygrad_cnn.bmm``."""
        return _products.bmm(self, mat2)

    def mv(self, vec: Tensor) -> Tensor:
        """A matrix times a vector; see ``tinygrad_cnn.mv``."""
        return _products.mv(self, vec)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-d tensors of one size (a 0-d tensor); see
        ``tinygrad_cnn.dot``."""
        return _products.dot(self, other)

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        body = np.array2string(
            self.numpy(), separator=", ", precision=4, threshold=100, prefix="Tensor("
        )
        extras = []
        if self.dtype != _DEFAULT_FLOAT and self.dtype != np.int64 and self.dtype != np.bool_:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self.op is not None:
            extras.append(f"op=<{self.op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name='{self.name}'")
        return "Tensor(" + ", ".join([body] + extras) + ")"


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor (unchanged if it already is one)."""
    if isinstance(x, Tensor):
        return x
    return like._lift(x) if like is not None else Tensor(x)


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _normalize_index(index: Any, x: Tensor) -> tuple:
    """Turn an index into a tuple of ints, slices, None, Ellipsis and backend arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for part in index:
        if isinstance(part, Tensor):
            part = part._data
        elif isinstance(part, (list, np.ndarray)) or (
            not isinstance(part, (int, slice))
            and part is not None
            and part is not Ellipsis
            and hasattr(part, "__array__")
        ):
            part = x.xp.asarray(part)
        elif isinstance(part, (bool, np.bool_)):
            part = x.xp.asarray(part)
        elif isinstance(part, np.integer):
            part = int(part)
        if hasattr(part, "dtype") and part.dtype.kind not in "iub":
            raise IndexError(
                f"index: arrays used as indices must be integer or bool, got {part.dtype}"
            )
        if hasattr(part, "dtype") and get_array_module(part) is not x.xp:
            part = to_device(part, x.device)
        out.append(part)
    return tuple(out)


# ---------------------------------------------------------------- functions on several tensors
def cat(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis."""
    axis = dim if dim is not None else axis
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    first = tensors[0]
    axis = axis % first.ndim
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        ):
            shapes = [t.shape for t in tensors]
            raise RuntimeError(f"cat: shapes {shapes} differ outside axis {axis}")
    return M.Cat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of one shape along a new axis."""
    axis = dim if dim is not None else axis
    tensors = [as_tensor(t) for t in tensors]
    if len({t.shape for t in tensors}) > 1:
        shapes = [t.shape for t in tensors]
        raise RuntimeError(f"stack: all tensors need the same shape, got {shapes}")
    return cat([t.unsqueeze(axis) for t in tensors], axis=axis)


def split(x: Tensor, split_size_or_sections, axis: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``x`` along ``axis``: of equal size (an int; the last may be smaller) or of the
    given sizes (a list that sums to the axis length)."""
    n = x.shape[axis]
    axis = axis % x.ndim
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
        sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not sum to {n} (axis {axis} of {x.shape})")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * axis + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def chunk(x: Tensor, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` pieces of (almost) equal size along ``axis``, as ``torch.chunk``."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    return split(x, -(-x.shape[axis] // chunks), axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``, broadcasting; differentiable in ``a`` and ``b``."""
    like = next((t for t in (a, b) if isinstance(t, Tensor)), None)
    if like is None:
        like = Tensor(a)
    a, b = like._lift(a), like._lift(b)
    cond = condition if isinstance(condition, Tensor) else Tensor(condition, device=like.device)
    if cond.dtype.kind != "b":
        cond = Tensor(cond._data != 0)
    if a.dtype != b.dtype:
        common = np.result_type(a.dtype, b.dtype)
        a, b = a.to(common), b.to(common)
    return E.Where.apply(cond, a, b)


def maximum(a: Any, b: Any) -> Tensor:
    return as_tensor(a).maximum(b) if isinstance(a, Tensor) else as_tensor(b)._lift(a).maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    return as_tensor(a).minimum(b) if isinstance(a, Tensor) else as_tensor(b)._lift(a).minimum(b)


# the module-level functions behind the indexing, shape and linear-algebra methods import Tensor
from . import contraction as _products  # noqa: E402
from . import indexing as _ix  # noqa: E402
from . import shape_ops as _shape  # noqa: E402
