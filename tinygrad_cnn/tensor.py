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
from . import return_types as RT
from .backend import (
    device,
    device_of,
    get_array_module,
    is_host_module,
    normalize_device,
    to_device,
    to_numpy,
)
from .dtypes import get_default_dtype, result_type
from .inplace import bump, check_writable, inplace
from .ops import elementwise as E
from .ops import index as I
from .ops import linalg as L
from .ops import math as MX
from .ops import movement as M
from .ops import reduce as R
from .ops import sort as S
from .random import default_rng

__all__ = ["Tensor", "as_tensor"]

# float32, the initial default; the current one is dtypes.get_default_dtype()
_DEFAULT_FLOAT = np.dtype(np.float32)
_DEVICES = {"cpu": device("cpu"), "cuda": device("cuda")}


def _ragged(data: Any, dim: int = 0) -> str | None:
    """Where a nested list stops being rectangular, in PyTorch's words (None if it is)."""
    if not isinstance(data, (list, tuple)) or not data:
        return None
    sized = [isinstance(d, (list, tuple)) for d in data]
    if any(sized) and not all(sized):
        return f"mixes sequences and numbers at dim {dim + 1}"
    if not all(sized):
        return None
    n = len(data[0])
    for d in data:
        if len(d) != n:
            return f"expected sequence of length {n} at dim {dim + 1} (got {len(d)})"
    for d in data:
        inner = _ragged(d, dim + 1)
        if inner:
            return inner
    return None


def _as_array(data: Any, dtype: Any) -> Any:
    """The backend array for ``data``: arrays keep their dtype; Python floats become the
    default dtype (float32), Python ints int64."""
    if isinstance(data, Tensor):
        data = data._data
    xp = get_array_module(data)
    if is_host_module(xp) and not isinstance(data, (np.ndarray, np.generic)):
        if isinstance(data, (str, bytes)):
            raise TypeError(f"Tensor: cannot make a tensor from {type(data).__name__} {data!r}")
        try:
            arr = np.asarray(data)
        except ValueError:
            where = _ragged(data)
            if where is None:
                raise
            raise ValueError(f"Tensor: cannot make a tensor from ragged lists: {where}") from None
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(get_default_dtype())
        elif arr.dtype.kind in "iu" and dtype is None:
            arr = arr.astype(np.int64)
        elif arr.dtype.kind in "US":
            raise TypeError(f"Tensor: cannot make a tensor from strings ({type(data).__name__})")
        elif arr.dtype.kind not in "fiub":
            kind = f"{type(data).__name__} ({arr.dtype})"
            raise RuntimeError(f"Tensor: cannot make a tensor from {kind}: no dtype for it")
    else:
        arr = xp.asarray(data)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Tensor: unknown dtype {dtype!r} (e.g. tg.float32)") from None
        arr = arr.astype(dtype, copy=False)
    return arr


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    ``Tensor(data, dtype=None, device=None, requires_grad=False)``: ``data`` may be a number, a
    nested list, a NumPy or CuPy array, or a Tensor. Python floats default to float32 (the
    default dtype, ``tg.set_default_dtype``), Python ints to int64.

        x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        loss = (x @ x.T).relu().sum()
        loss.backward()                  # x.grad: Tensor of x's shape

    Data: ``.numpy()`` (a read-only view on the CPU), ``.item()``, ``.tolist()``, ``.shape``,
    ``.dtype``, ``.device``; ``.data`` is the storage as a tensor without history, as in
    PyTorch. Autograd: ``.requires_grad``, ``.grad``, ``.backward()``, ``.detach()``,
    ``.retain_grad()``, ``.register_hook()``; a tensor made by an operation records it in
    ``.op`` (alias ``.grad_fn``) and its inputs in ``.parents``.

    In place, as PyTorch: ``x += y`` (and ``-= *= /= **= @=``), ``x[i] = v``, ``add_``,
    ``mul_``, ``clamp_``, ``zero_``, ``fill_``, ``copy_``, ``masked_fill_``, ``scatter_``,
    ``uniform_``, ... write into the storage and return the tensor. A leaf that requires grad
    may be changed only under ``tg.no_grad()`` (the optimizer step); a change of a non-leaf is
    recorded in the graph. Each storage has a version counter: a tensor that backward needs,
    changed after the forward pass, is an error naming the op, never a wrong gradient.

    Operators ``+ - * / ** @`` and comparisons broadcast like NumPy and promote
    dtypes as PyTorch (``tg.result_type``: ``int tensor + 2.5`` is float32, ``float32 tensor +
    0-d float64`` stays float32); float functions (``exp``, ``sigmoid``, ``mean``, ...) of integer
    tensors give the default float dtype. Reductions
    (``sum``, ``mean``, ``amax``, ...) take ``dim=`` (alias ``axis=``) and ``keepdim=``; as in
    PyTorch, ``max(dim)``/``min(dim)``, ``sort``, ``topk``, ``kthvalue``, ``median(dim)``,
    ``mode`` and ``cummax``/``cummin`` return a named tuple ``(values, indices)``. Functions
    of several tensors (``cat``, ``stack``, ``where``) and constructors (``zeros``, ``randn``,
    ...) live in the ``tinygrad_cnn`` namespace; CNN layers in ``tinygrad_cnn.functional``.

    Elementwise math (``exp``, ``log1p``, ``atan2``, ``erfinv``, ``floor``, ``round(decimals=)``,
    ``fmod``, ``lerp``, ``addcmul``, ...), comparisons as methods (``eq``, ``lt``, ...), tests
    (``isnan``, ``isinf``, ``isclose``, ``allclose``, ``equal``, ``all``/``any`` with ``dim``,
    ``count_nonzero``), conversions (``float``, ``double``, ``half``, ``long``, ``int``,
    ``bool``, ``type``, ``type_as``) and ``new_zeros``/``new_ones``/``new_full``/``new_empty``/
    ``new_tensor`` are methods; each elementwise one is also a function, ``tg.exp(x)``.
    Gradients at edge points are PyTorch's: e.g. ReLU and clamp give 0 to an off unit even from
    a NaN upstream gradient; ``std`` has gradient 0 at zero spread; rounding has gradient 0.
    """

    __slots__ = (
        "_data",
        "requires_grad",
        "grad",
        "op",
        "name",
        "hooks",
        "retains_grad",
        "_counter",
        "_view",
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
        self.hooks: list[Callable] | tuple = ()  # a list once a hook is registered
        self.retains_grad = False
        self.requires_grad = False
        self._counter = [0]  # bumped by every in-place write; shared by views of the storage
        self._view = None  # (base, base.op at the time) for an autograd view of another tensor
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, arr: Any) -> Tensor:
        """A tensor around a backend array, as it is (no conversion, no copy): for ops."""
        t = object.__new__(cls)
        t._data = np.asarray(arr) if isinstance(arr, np.generic) else arr  # writable storage
        t.grad = None
        t.op = None
        t.name = None
        t.hooks = ()
        t.retains_grad = False
        t.requires_grad = False
        t._counter = [0]
        t._view = None
        return t

    # ---------------------------------------------------------------- properties

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape  # a tuple in NumPy and CuPy alike

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        """``tg.device``: ``"cpu"`` or ``"cuda"`` (it compares equal to those strings)."""
        return _DEVICES[device_of(self._data)]

    @property
    def xp(self):
        """The array module of this tensor's data (numpy or cupy)."""
        return get_array_module(self._data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (and for every tensor that does not require
        grad); False for the result of a recorded operation."""
        return self.op is None

    @property
    def grad_fn(self):
        """The operation that produced this tensor (``None`` for leaves); read-only."""
        return self.op

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's storage has seen (shared with its views)."""
        return self._counter[0]

    @property
    def data(self) -> Tensor:
        """This tensor's storage as a tensor without history, as in PyTorch: in-place changes
        through it (``p.data -= lr * p.grad``) change this tensor. Unlike PyTorch, it shares the
        version counter, so such a change between forward and backward is caught."""
        t = Tensor._make(self._data)
        t._counter = self._counter
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data: expected a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._counter = value._counter

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
        if dim is None:
            return self.shape
        if self.ndim == 0:
            R.normalize_dim(dim, 0, "size")
            raise IndexError("size: a 0-d tensor has no dimensions")
        return self.shape[R.normalize_dim(dim, self.ndim, "size")]

    def numel(self) -> int:
        return int(math.prod(self.shape))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ---------------------------------------------------------------- conversion

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array. On the CPU it is a read-only view of this tensor's
        storage (no copy): a write through it would bypass the version counters and could
        silently change gradients. ``.numpy().copy()`` gives an array of your own; change the
        tensor itself with its in-place methods (``x[i] = v``, ``x.add_(1)``)."""
        arr = to_numpy(self._data)
        if arr is self._data:
            arr = arr.view()
            arr.flags.writeable = False
        return arr

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(  # PyTorch's category
                f"item: only one-element tensors can be converted to a Python number, "
                f"got {self.numel()} elements, shape {self.shape}"
            )
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
        """The same data, cut from the graph (shares memory and the version counter)."""
        t = Tensor._make(self._data)
        t._counter = self._counter
        return t

    def clone(self) -> Tensor:
        """A copy with storage of its own; differentiable (the gradient passes through)."""
        return E.Clone.apply(self)

    def to(
        self,
        *args: Any,
        device: Any = None,
        dtype: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
    ) -> Tensor:
        """``to("cuda")``, ``to(tg.device("cpu"))``, ``to(tg.float64)``, ``to(device, dtype)``,
        ``to(other)`` (other's device and dtype), or ``device=``/``dtype=``; differentiable.
        ``non_blocking`` is accepted (copies are synchronous); ``copy=True`` always copies."""
        device, dtype = _to_args("to", args, device, dtype)
        out = self
        if dtype is not None and dtype != out.dtype:
            out = E.Cast.apply(out, dtype=dtype)
        if device is not None and device != out.device:
            out = E.ToDevice.apply(out, device=device)
        return out.clone() if copy and out is self else out

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
                f"requires_grad: only floating point tensors can require gradients (this one is "
                f"{self.dtype})"
            )
        if not requires_grad and not self.is_leaf:
            raise RuntimeError("requires_grad_(False) is only allowed on leaves; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (a no-op on leaves)."""
        if not self.requires_grad:
            raise RuntimeError(
                f"retain_grad: the tensor (shape {self.shape}) does not require grad, so it "
                "will never have a gradient"
            )
        if self.op is not None:
            self.retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a function that removes the hook."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad")
        if not isinstance(self.hooks, list):
            self.hooks = []
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
        """A Python number or array as a tensor on this device; a number takes the dtype that
        PyTorch's promotion gives it next to this tensor."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (bool, int, float)):
            return Tensor(self.xp.asarray(other, dtype=self._scalar_dtype(other)))
        if other is None or isinstance(other, (str, bytes, dict, set)):
            raise TypeError(
                f"unsupported operand type {type(other).__name__!r} for a Tensor operation "
                "(expected a tensor, a number or an array)"
            )
        return Tensor(other, device=self.device)

    def _scalar_dtype(self, other: bool | int | float) -> np.dtype:
        """The dtype of ``self <op> other`` for a Python number (PyTorch's promotion)."""
        kind = self.dtype.kind
        if kind == "f" or type(other) is bool or (kind in "iu" and type(other) is int):
            return self.dtype  # a number of the same or a lower category never widens
        return result_type(self, other)

    def _promoted(self, other: Any) -> tuple[Tensor, Tensor]:
        """``self`` and ``other`` as tensors of their common dtype (``tg.result_type``)."""
        if isinstance(other, Tensor):
            if other._data.dtype == self._data.dtype:
                return self, other
            dtype = result_type(self, other)
        elif isinstance(other, (bool, int, float)):
            dtype = self._scalar_dtype(other)
        elif isinstance(other, np.generic):  # a NumPy number counts as a Python one
            dtype = result_type(self, other)
        else:  # arrays and nested lists: as the tensors they make
            other = self._lift(other)
            dtype = result_type(self, other)
        b = self._lift(other)
        a = self if self.dtype == dtype else self.to(dtype)
        return a, (b if b.dtype == dtype else b.to(dtype))

    def _binary(self, fn, other: Any, reverse: bool = False) -> Tensor:
        if isinstance(other, Tensor) and other._data.dtype == self._data.dtype:
            a, b = self, other  # (the first case of _promoted, without the call)
        else:
            a, b = self._promoted(other)
        if reverse:
            a, b = b, a
        try:
            return fn.apply(a, b)
        except ValueError:
            _check_broadcast(fn.__name__.lower(), a.shape, b.shape)
            raise

    def _compare(self, other: Any, fn: Callable) -> Tensor:
        a, b = self._promoted(other)
        return Tensor(fn(a._data, b._data))

    def _float(self) -> Tensor:
        """This tensor, or for an integer/bool one its value in the default float dtype: the
        input of every float function (exp, sigmoid, mean, softmax, ...), as in PyTorch."""
        return self if self.dtype.kind == "f" else self.to(get_default_dtype())

    # ---------------------------------------------------------------- arithmetic

    def __add__(self, other):
        return self._binary(E.Add, other)

    def __radd__(self, other):
        return self._binary(E.Add, other, reverse=True)

    def __sub__(self, other):
        self._check_bool_sub(other)
        return self._binary(E.Sub, other)

    def __rsub__(self, other):
        self._check_bool_sub(other)
        return self._binary(E.Sub, other, reverse=True)

    def _check_bool_sub(self, other: Any) -> None:
        """PyTorch refuses ``-`` with a bool operand (a mask is inverted with ``~``)."""
        if (
            self.dtype.kind == "b"
            or isinstance(other, (bool, np.bool_))
            or (getattr(other, "dtype", None) is not None and np.dtype(other.dtype).kind == "b")
        ):
            raise RuntimeError(
                "sub: subtraction, the `-` operator, with a bool tensor is not supported; "
                "to invert a mask use `~`"
            )

    def __mul__(self, other):
        return self._binary(E.Mul, other)

    def __rmul__(self, other):
        return self._binary(E.Mul, other, reverse=True)

    def __truediv__(self, other):
        if result_type(self, other).kind != "f":  # true division: integers give floats
            return self._float() / other
        return self._binary(E.Div, other)

    def __rtruediv__(self, other):
        if result_type(self, other).kind != "f":
            return other / self._float()
        return self._binary(E.Div, other, reverse=True)

    def __pow__(self, exponent):
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            dtype = result_type(self, exponent)
            if dtype.kind != "f" and exponent < 0:
                raise RuntimeError(
                    f"pow: integers to negative integer powers are not allowed "
                    f"({self.dtype} tensor ** {exponent})"
                )
            x = self if self.dtype == dtype else self.to(dtype)
            exponent = float(exponent) if isinstance(exponent, float) else int(exponent)
            return E.PowScalar.apply(x, exponent=exponent)  # a Python number: never widens x
        return self._binary(E.Pow, exponent)

    def __rpow__(self, base):
        return self._binary(E.Pow, base, reverse=True)

    def __neg__(self):
        if self.dtype.kind == "b":
            raise RuntimeError(
                "neg: negation, the `-` operator, on a bool tensor is not supported; "
                "to invert a mask use `~`"
            )
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
        if self.dtype != other.dtype:  # PyTorch does not promote in matmul
            raise RuntimeError(
                f"matmul: both operands need the same dtype, got {self.dtype} @ {other.dtype}; "
                "convert one with .to(...)"
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

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where some element (over ``dim``: an int, a tuple, or None for all) is non-zero."""
        axes = R.normalize_axes(dim, self.ndim, "any")
        return Tensor(self.xp.any(self._data, axis=axes, keepdims=keepdim))

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        """True where every element (over ``dim``) is non-zero."""
        axes = R.normalize_axes(dim, self.ndim, "all")
        return Tensor(self.xp.all(self._data, axis=axes, keepdims=keepdim))

    def isnan(self) -> Tensor:
        return Tensor(self.xp.isnan(self._data))

    def isfinite(self) -> Tensor:
        return Tensor(self.xp.isfinite(self._data))

    # ---------------------------------------------------------------- elementwise

    def exp(self) -> Tensor:
        return E.Exp.apply(self._float())

    def log(self) -> Tensor:
        return E.Log.apply(self._float())

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(self._float())

    def abs(self) -> Tensor:
        return E.Abs.apply(self)

    def sin(self) -> Tensor:
        return E.Sin.apply(self._float())

    def cos(self) -> Tensor:
        return E.Cos.apply(self._float())

    def tanh(self) -> Tensor:
        return E.Tanh.apply(self._float())

    def sigmoid(self) -> Tensor:
        return E.Sigmoid.apply(self._float())

    def relu(self) -> Tensor:
        return E.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return E.LeakyRelu.apply(self._float(), negative_slope=negative_slope)

    def gelu(self, approximate: str = "none") -> Tensor:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return E.Gelu.apply(self._float(), approximate=approximate)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return E.Softplus.apply(self._float(), beta=beta, threshold=threshold)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        if min is None and max is None:
            raise ValueError("clip: at least one of min and max must be given")
        bounds = [b for b in (min, max) if b is not None]
        for b in bounds:
            if isinstance(b, bool) or not isinstance(b, (int, float, np.integer, np.floating)):
                raise TypeError(f"clip: min and max must be numbers, got {b!r}")
        dtype = result_type(self, *bounds)  # an int tensor clipped at 0.5 is float, as PyTorch
        x = self if self.dtype == dtype else self.to(dtype)
        as_number = float if dtype.kind == "f" else int  # a NumPy bound must not widen x
        min, max = (None if b is None else as_number(b) for b in (min, max))
        return E.Clip.apply(x, min=min, max=max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return self._binary(E.Maximum, other)

    def minimum(self, other: Any) -> Tensor:
        return -((-self).maximum(-self._lift(other)))

    def square(self) -> Tensor:
        return self * self

    # ---------------------------------------------------------------- reductions

    def sum(self, axis=None, keepdim: bool = False, *, dim=None, dtype=None) -> Tensor:
        """The sum over ``dim`` (all by default); ``dtype`` converts the input first and is the
        result's dtype (integer sums are int64 otherwise, as in PyTorch)."""
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "sum")
        if dtype is None:
            return R.Sum.apply(self, axis=axes, keepdim=keepdim)
        dtype = np.dtype(dtype)
        x = self if dtype == self.dtype else self.to(dtype)
        out = R.Sum.apply(x, axis=axes, keepdim=keepdim)
        return out if out.dtype == dtype else out.to(dtype)

    def mean(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "mean")
        count = math.prod(self.shape[a] for a in axes)
        if count == 0:  # the mean of nothing is NaN, as in PyTorch (without NumPy's warning)
            with np.errstate(invalid="ignore"):
                return self._float().sum(axes, keepdim) / count
        return self._float().sum(axes, keepdim) / count

    def var(
        self,
        dim=None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        axis=None,
    ) -> Tensor:
        """Variance; ``correction=1`` (the default, as in PyTorch) divides by n − 1. PyTorch's
        signatures: ``var(dim, unbiased, keepdim)``, ``var(dim, keepdim=..., correction=...)``
        and ``var(unbiased)``."""
        dim, correction = _variance_args(dim, unbiased, correction, axis, "var")
        axes = R.normalize_axes(dim, self.ndim, "var")
        count = math.prod(self.shape[a] for a in axes)
        x = self._float()
        centred = x - x.mean(axes, keepdim=True)
        return (centred * centred).sum(axes, keepdim) / max(count - correction, 0)

    def std(
        self,
        dim=None,
        unbiased: bool | None = None,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        axis=None,
    ) -> Tensor:
        """Standard deviation (the arguments of ``var``); its gradient is 0 where the spread is
        0 (as PyTorch), not NaN."""
        dim, correction = _variance_args(dim, unbiased, correction, axis, "std")
        R.normalize_axes(dim, self.ndim, "std")  # errors name std
        var = self.var(dim, keepdim=keepdim, correction=correction)
        return MX.StdSqrt.apply(var)

    def _shift_for_exp(self, axes: tuple[int, ...]) -> Tensor:
        """The maximum over ``axes`` (kept), as a constant; 0 where it is not finite or where
        the axes are empty."""
        xp = self.xp
        if any(self.shape[a] == 0 for a in axes):
            return Tensor(xp.zeros(R.kept_shape(self.shape, axes), dtype=self.dtype))
        top = xp.max(self._data, axis=axes, keepdims=True)
        return Tensor(xp.where(xp.isfinite(top), top, 0))

    def logsumexp(self, axis=None, keepdim: bool = False, *, dim=None) -> Tensor:
        """log Σ exp(x), stable: the maximum is subtracted first (as a constant). Over an
        empty axis: −inf, as in PyTorch."""
        axes = R.normalize_axes(dim if dim is not None else axis, self.ndim, "logsumexp")
        if self.dtype.kind != "f":
            return self._float().logsumexp(axes, keepdim)
        if any(self.shape[a] == 0 for a in axes):  # log 0, without the log (and its warning)
            return self.sum(axes, keepdim) - math.inf
        top = self._shift_for_exp(axes)
        out = (self - top).exp().sum(axes, keepdim=True).log() + top
        return out if keepdim else out.squeeze(axes)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """x − logsumexp(x), computed as (x − max) − log Σ exp(x − max): subtracting the full
        logsumexp would round it at the scale of max (1e4 in float32 loses ~1e-3)."""
        axes = (R.normalize_dim(dim if dim is not None else axis, self.ndim, "log_softmax"),)
        axes = axes if self.ndim else ()
        if self.dtype.kind != "f":
            return self._float().log_softmax(dim if dim is not None else axis)
        shifted = self - self._shift_for_exp(axes)
        if any(self.shape[a] == 0 for a in axes):  # nothing to normalise
            return shifted
        return shifted - shifted.exp().sum(axes, keepdim=True).log()

    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        dim = dim if dim is not None else axis
        R.normalize_dim(dim, self.ndim, "softmax")
        return self.log_softmax(dim).exp()

    # ---------------------------------------------------------------- movement

    def reshape(self, *shape) -> Tensor:
        shape = _shape_arg(shape, "reshape")
        if shape.count(-1) > 1 or any(n < -1 for n in shape):
            raise RuntimeError(
                f"reshape: invalid shape {shape} (one -1 at most, other sizes non-negative) "
                f"for input of shape {self.shape}"
            )
        target = shape
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            if known == 0 or self.numel() % known:
                raise RuntimeError(
                    f"reshape: shape {tuple(shape)} is invalid for input of shape {self.shape} "
                    f"({self.numel()} elements)"
                )
            target = tuple(self.numel() // known if n == -1 else n for n in shape)
        if math.prod(target) != self.numel():
            raise RuntimeError(
                f"reshape: shape {tuple(shape)} is invalid for input of shape {self.shape}"
            )
        if tuple(target) == self.shape:
            return self
        return M.Reshape.apply(self, shape=tuple(target))

    view = reshape

    def permute(self, *dims) -> Tensor:
        given = _shape_arg(dims)
        if len(given) != self.ndim:
            raise RuntimeError(
                f"permute: the tensor has {self.ndim} dimensions (shape {self.shape}) but the "
                f"ordering {given} has {len(given)}"
            )
        dims = tuple(R.normalize_dim(d, self.ndim, "permute") for d in given)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute: duplicate dims are not allowed, got {given}")
        if dims == tuple(range(self.ndim)):
            return self
        return M.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        d0 = R.normalize_dim(dim0, self.ndim, "transpose")
        d1 = R.normalize_dim(dim1, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(*dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        start = R.normalize_dim(start_dim, self.ndim, "flatten")
        end = R.normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise RuntimeError(
                f"flatten: start_dim cannot come after end_dim (got start_dim={start_dim}, "
                f"end_dim={end_dim} for {self.ndim} dimensions)"
            )
        if self.ndim == 0:
            return self.reshape(1)
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return self.reshape(shape)

    def squeeze(self, axis=None, *, dim=None) -> Tensor:
        axis = dim if dim is not None else axis
        if axis is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        elif isinstance(axis, (tuple, list)) and not axis:
            return self
        else:
            axes = R.normalize_axes(axis, self.ndim, "squeeze")
            axes = tuple(a for a in axes if self.shape[a] == 1)  # PyTorch: non-1 axes are left
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        axis = dim if dim is not None else axis
        axis = R.normalize_dim(axis, self.ndim, "unsqueeze", new_axis=True)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def expand(self, *shape) -> Tensor:
        shape = _shape_arg(shape, "expand")
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: cannot expand shape {self.shape} to {tuple(shape)}")
        for i, n in enumerate(shape):
            if n < -1 or (n == -1 and i < lead):
                where = "a new leading dimension" if i < lead else "a size"
                raise RuntimeError(
                    f"expand: size {n} is not allowed as {where} (dimension {i} of "
                    f"{tuple(shape)}, input shape {self.shape})"
                )
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
        """``x[index] = value`` in place (value broadcast and cast to x's dtype, as PyTorch);
        recorded in the graph when x or value takes part in autograd."""
        idx = _normalize_index(index, self)
        in_autograd = self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
        in_autograd = in_autograd or (self._view is not None and self._view[0].requires_grad)
        if not (autograd.is_grad_enabled() and in_autograd):  # a plain write, no full copy
            array = value._data if isinstance(value, Tensor) else value
            if isinstance(value, Tensor) and value.device != self.device:
                array = to_device(array, self.device)
            check_writable("__setitem__", self)
            self._data[idx] = array
            bump(self)
            return

        def put(x: Tensor) -> Tensor:
            target = x._data[idx].shape
            v = self._lift(value).to(x.dtype)
            while v.ndim > len(target) and v.shape[0] == 1:  # as PyTorch: leading 1s dropped
                v = v.squeeze(0)
            v = v.expand(*target)
            return M.IndexPut.apply(x, v, index=idx)

        inplace("__setitem__", self, put)

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
            for (lo, hi), n in zip(widths, self.shape):
                if lo > n or hi > n:
                    raise ValueError(f"pad: circular padding {pad} is larger than axis of size {n}")
            return M.CircularPad.apply(self, widths=tuple(widths))
        raise ValueError(f"pad: mode must be 'constant' or 'circular', got {mode!r}")

    def split(self, split_size_or_sections, axis: int = 0, *, dim=None) -> tuple[Tensor, ...]:
        return split(self, split_size_or_sections, dim if dim is not None else axis)

    def chunk(self, chunks: int, axis: int = 0, *, dim=None) -> tuple[Tensor, ...]:
        return chunk(self, chunks, dim if dim is not None else axis)

    def where(self, condition: Any, other: Any) -> Tensor:
        return where(condition, self, other)

    # ---------------------------------------------------------------- in place
    # Each method computes its result out of place and writes it into this tensor's storage
    # (see inplace.py for the rules); each returns the tensor itself.

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return inplace("add_", self, lambda x: x + (other if alpha == 1 else other * alpha))

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        return inplace("sub_", self, lambda x: x - (other if alpha == 1 else other * alpha))

    def mul_(self, other: Any) -> Tensor:
        return inplace("mul_", self, lambda x: x * other)

    def div_(self, other: Any) -> Tensor:
        return inplace("div_", self, lambda x: x / other)

    def pow_(self, exponent: Any) -> Tensor:
        return inplace("pow_", self, lambda x: x**exponent)

    def neg_(self) -> Tensor:
        return inplace("neg_", self, lambda x: -x)

    def abs_(self) -> Tensor:
        return inplace("abs_", self, lambda x: x.abs())

    def exp_(self) -> Tensor:
        return inplace("exp_", self, lambda x: x.exp())

    def log_(self) -> Tensor:
        return inplace("log_", self, lambda x: x.log())

    def sqrt_(self) -> Tensor:
        return inplace("sqrt_", self, lambda x: x.sqrt())

    def relu_(self) -> Tensor:
        return inplace("relu_", self, lambda x: x.relu())

    def sigmoid_(self) -> Tensor:
        return inplace("sigmoid_", self, lambda x: x.sigmoid())

    def tanh_(self) -> Tensor:
        return inplace("tanh_", self, lambda x: x.tanh())

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return inplace("clamp_", self, lambda x: x.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        return inplace("masked_fill_", self, lambda x: x.masked_fill(mask, value))

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        return inplace("index_fill_", self, lambda x: x.index_fill(dim, index, value))

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None, **kw):
        return inplace("scatter_", self, lambda x: x.scatter(dim, index, src, value=value, **kw))

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcast, cast, moved to this device) into this tensor."""

        def copied(x: Tensor) -> Tensor:
            s = src if isinstance(src, Tensor) else Tensor(src)
            s = s.to(x.device).to(x.dtype)
            try:
                return s.expand(*x.shape)
            except RuntimeError:
                raise RuntimeError(
                    f"copy_: the source of shape {s.shape} cannot be broadcast to {x.shape}"
                ) from None

        return inplace("copy_", self, copied)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value`` (a number, or a 0-d tensor that may require grad)."""
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(
                    f"fill_: only a 0-d tensor can fill a tensor, got shape {value.shape}"
                )
            return self.copy_(value)
        return inplace("fill_", self, lambda x: Tensor._make(x.xp.full(x.shape, value, x.dtype)))

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def _random_(self, name: str, draw: Callable[[Any], np.ndarray]) -> Tensor:
        if self.dtype.kind != "f" and name != "bernoulli_":
            raise RuntimeError(f"{name}: needs a floating point tensor, got {self.dtype}")
        values = to_device(draw(default_rng()).astype(self.dtype), self.device)
        return inplace(name, self, lambda x: Tensor._make(values))

    def uniform_(self, from_: float = 0.0, to: float = 1.0) -> Tensor:
        """Fill with draws from U(from_, to) (PyTorch's ``from``, a Python keyword)."""
        if not from_ <= to:
            raise RuntimeError(f"uniform_: expects from <= to, got from={from_}, to={to}")
        return self._random_("uniform_", lambda rng: rng.uniform(from_, to, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        if not std >= 0:
            raise RuntimeError(f"normal_: expects std >= 0.0, got std={std}")
        return self._random_("normal_", lambda rng: rng.normal(mean, std, self.shape))

    def bernoulli_(self, p: float = 0.5) -> Tensor:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_: expects 0 <= p <= 1, got p={p}")
        return self._random_("bernoulli_", lambda rng: rng.random(self.shape) < p)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __imatmul__(self, other):
        return inplace("__imatmul__", self, lambda x: x @ other)

    # ---------------------------------------------------------------- copying and freeing

    def __deepcopy__(self, memo: dict) -> Tensor:
        """Leaves copy with their data, ``requires_grad`` and ``.grad``, as in PyTorch."""
        self._refuse_copy("deepcopy")
        new = type(self)._make(self._data.copy())
        new.requires_grad, new.name = self.requires_grad, self.name
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        return new

    def __reduce_ex__(self, protocol: int):
        self._refuse_copy("pickle")
        return (_rebuild, (type(self), self.numpy().copy(), self.requires_grad, self.device))

    def _refuse_copy(self, what: str) -> None:
        if self.op is not None:
            raise RuntimeError(
                f"{what}: only tensors created by the user (graph leaves) can be copied, but this "
                f"one (shape {self.shape}) was computed by {self.op.name}; .detach() it first"
            )

    #: True for the stand-ins that a freed graph keeps in place of its tensors: they have the
    #: shape, dtype, op and name, but their values are gone (read-only: a class attribute)
    is_freed = False

    def _freed_copy(self) -> Tensor:
        """A stand-in for this tensor in a freed graph (this tensor keeps its values)."""
        ghost = object.__new__(_FreedTensor)  # the other slots are class defaults there
        ghost._data, ghost.op, ghost.requires_grad, ghost.name = (
            _freed_view(self._data),
            self.op,
            self.requires_grad,
            self.name,
        )
        return ghost

    # ---------------------------------------------------------------- reductions with indices

    def max(self, dim=None, keepdim: bool = False, *, axis=None):
        """``max()``: the largest element, 0-d (tied maxima share the gradient, as in
        PyTorch). ``max(dim, keepdim=False)``: the named tuple ``(values, indices)`` of the
        maxima along ``dim`` and the first index of each (NaN counts as the largest); the
        gradient goes to that index only. ``max(other)``: the elementwise maximum."""
        return self._max_or_min(dim, keepdim, axis, True)

    def min(self, dim=None, keepdim: bool = False, *, axis=None):
        """As ``max``, for the smallest: ``min()``, ``min(dim)`` → ``(values, indices)``,
        ``min(other)`` (the elementwise minimum)."""
        return self._max_or_min(dim, keepdim, axis, False)

    def amax(self, dim=(), keepdim: bool = False, *, axis=None) -> Tensor:
        """The maximum over one or several dims (``()``/``None``: all); tied maxima share the
        gradient equally, as in PyTorch."""
        return self._extreme(_dim_or_axis(dim, axis, "amax"), keepdim, True, "amax")

    def amin(self, dim=(), keepdim: bool = False, *, axis=None) -> Tensor:
        """The minimum over one or several dims; ties share the gradient, as ``amax``."""
        return self._extreme(_dim_or_axis(dim, axis, "amin"), keepdim, False, "amin")

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """The index (int64) of the first maximum along ``dim``, or in the flattened tensor
        (``dim=None``); NaN counts as the largest. The indices of ``max(dim)``."""
        return self._arg_extreme(_dim_or_axis(dim, axis, "argmax"), keepdim, True, "argmax")

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """The index of the first minimum (NaN counts as the smallest); see ``argmax``."""
        return self._arg_extreme(_dim_or_axis(dim, axis, "argmin"), keepdim, False, "argmin")

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False):
        """``(values, indices)`` sorted along ``dim``. The sort is always stable (equal values
        keep their order); NaN sorts as the largest value."""
        d = R.normalize_dim(dim, self.ndim, "sort")
        order = S.sort_indices(self._at_least_1d()._data, d, descending)
        return self._gathered(order, d, False, RT.sort)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """The indices (int64) that sort the tensor along ``dim``: ``sort(...).indices``."""
        d = R.normalize_dim(dim, self.ndim, "argsort")
        order = S.sort_indices(self._at_least_1d()._data, d, descending)
        return Tensor(order.reshape(self.shape))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements
        along ``dim``, in sorted order (also for ``sorted=False``); among equal values the
        lower index comes first."""
        d = R.normalize_dim(dim, self.ndim, "topk")
        k = self._checked_k(k, d, 0, "topk")
        order = S.sort_indices(self._at_least_1d()._data, d, descending=largest)
        order = order[(slice(None),) * d + (slice(0, k if self.ndim else 1),)]
        return self._gathered(order, d, False, RT.topk)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """``(values, indices)`` of the ``k``-th smallest element (k = 1 is the minimum) along
        ``dim``; among equal values the lower index counts as the smaller."""
        d = R.normalize_dim(dim, self.ndim, "kthvalue")
        R.check_reducible(self.shape, (d,), "kthvalue")
        k = self._checked_k(k, d, 1, "kthvalue")
        order = S.sort_indices(self._at_least_1d()._data, d)
        index = order[(slice(None),) * d + (slice(k - 1, k),)]
        return self._gathered(index, d, not keepdim, RT.kthvalue)

    def _checked_k(self, k: Any, dim: int, lowest: int, op: str) -> int:
        """``k`` as an int in [lowest, n] for the n elements along ``dim`` (RuntimeError)."""
        n, k = self._at_least_1d().shape[dim], _int_arg(k, op, "k")
        if not lowest <= k <= n:
            raise RuntimeError(
                f"{op}: k ({k}) is out of range for dimension {dim} of size {n} "
                f"(expected {lowest} <= k <= {n})"
            )
        return k

    def median(self, dim: int | None = None, keepdim: bool = False):
        """``median()``: the lower median of all elements, 0-d (of 2n values the n-th smallest;
        NaN if there is one; tied medians share the gradient, as in PyTorch).
        ``median(dim)``: ``(values, indices)`` along ``dim``; the gradient goes to the index."""
        if dim is not None:
            d = R.normalize_dim(dim, self.ndim, "median")
            R.check_reducible(self.shape, (d,), "median")
            index = S.median_indices(self._at_least_1d()._data, d)
            return self._gathered(index, d, not keepdim, RT.median)
        xp, flat = self.xp, self.reshape(-1)
        if flat.numel() == 0:
            if self.dtype.kind != "f":
                raise RuntimeError(f"median: the median of an empty {self.dtype} tensor")
            return Tensor(xp.asarray(np.nan, dtype=self.dtype))
        top = flat._data[S.median_indices(flat._data, 0)]  # (1,)
        if self.dtype.kind != "f":
            return Tensor(top.reshape(()))
        ties = (flat._data == top) | (xp.isnan(flat._data) & xp.isnan(top))
        tied = Tensor(xp.flatnonzero(ties).astype(np.int64))
        # the maximum of the tied medians (all equal): its gradient splits among them
        return I.GatherAlong.apply(flat, tied, dim=0).amax()

    def mode(self, dim: int = -1, keepdim: bool = False):
        """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
        frequent ones) and the index of its last occurrence; the gradient goes to that index."""
        d = R.normalize_dim(dim, self.ndim, "mode")
        R.check_reducible(self.shape, (d,), "mode")
        index = S.mode_indices(self._at_least_1d()._data, d)
        return self._gathered(index, d, not keepdim, RT.mode)

    def cummax(self, dim: int):
        """``(values, indices)``: the running maximum along ``dim`` and where it was attained
        (on ties the latest index); gradients go to those indices."""
        d = R.normalize_dim(dim, self.ndim, "cummax")
        index = S.cumulative_indices(self._at_least_1d()._data, d, largest=True)
        return self._gathered(index, d, False, RT.cummax)

    def cummin(self, dim: int):
        """``(values, indices)``: the running minimum along ``dim``; see ``cummax``."""
        d = R.normalize_dim(dim, self.ndim, "cummin")
        index = S.cumulative_indices(self._at_least_1d()._data, d, largest=False)
        return self._gathered(index, d, False, RT.cummin)

    def _at_least_1d(self) -> Tensor:
        return self if self.ndim else self.reshape(1)

    def _gathered(self, index: Any, dim: int, squeeze: bool, result: type):
        """``result(values, indices)``: this tensor's elements at the int64 array ``index``
        along ``dim`` (of the tensor seen as at least 1-D), differentiable in the values.
        ``squeeze`` drops ``dim`` (a reduction without keepdim); a 0-d tensor gives 0-d."""
        indices = Tensor(index)
        values = I.GatherAlong.apply(self._at_least_1d(), indices, dim=dim)
        if self.ndim == 0:
            values, indices = values.reshape(()), indices.reshape(())
        elif squeeze:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return result(values, indices)

    def _max_or_min(self, dim, keepdim: bool, axis, largest: bool):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        op = "max" if largest else "min"
        dim = _dim_or_axis(dim, axis, op)
        if dim is None:
            return self._extreme(None, False, largest, op)
        return self._extreme_along(dim, keepdim, largest, op)

    def _extreme(self, dim, keepdim: bool, largest: bool, op: str) -> Tensor:
        """amax/amin over ``dim`` (None or () for all), ties sharing the gradient."""
        axes = R.normalize_axes(dim, self.ndim, op)
        every = dim is None or (isinstance(dim, (tuple, list)) and not dim)
        R.check_reducible(self.shape, None if every else axes, op)
        return (R.Max if largest else R.Min).apply(self, axis=axes, keepdim=keepdim)

    def _extreme_along(self, dim, keepdim: bool, largest: bool, op: str):
        d = R.normalize_dim(dim, self.ndim, op)
        R.check_reducible(self.shape, (d,), op)
        x = self._at_least_1d()._data
        pick = self.xp.argmax if largest else self.xp.argmin
        index = pick(x, axis=d, keepdims=True).astype(np.int64)
        return self._gathered(index, d, not keepdim, RT.max if largest else RT.min)

    def _arg_extreme(self, dim, keepdim: bool, largest: bool, op: str) -> Tensor:
        xp = self.xp
        pick = xp.argmax if largest else xp.argmin
        if dim is None:
            R.check_reducible(self.shape, None, op)
            index = pick(self._data.reshape(-1))
            shape = (1,) * self.ndim if keepdim else ()
            return Tensor(index.astype(np.int64).reshape(shape))
        d = R.normalize_dim(dim, self.ndim, op)
        R.check_reducible(self.shape, (d,), op)
        if self.ndim == 0:
            return Tensor(xp.zeros((), dtype=np.int64))
        return Tensor(pick(self._data, axis=d, keepdims=keepdim).astype(np.int64))

    # ---------------------------------------------------------------- pointwise and conversions

    def _floating(self) -> Tensor:
        """Integer and bool tensors as the default float dtype (the rule of float functions)."""
        return self if self.dtype.kind == "f" else self.to(_DEFAULT_FLOAT)

    def log1p(self) -> Tensor:
        return MX.Log1p.apply(self._floating())

    def expm1(self) -> Tensor:
        return MX.Expm1.apply(self._floating())

    def log2(self) -> Tensor:
        return MX.Log2.apply(self._floating())

    def log10(self) -> Tensor:
        return MX.Log10.apply(self._floating())

    def exp2(self) -> Tensor:
        return MX.Exp2.apply(self._floating())

    def rsqrt(self) -> Tensor:
        """1/√x."""
        return MX.Rsqrt.apply(self._floating())

    def reciprocal(self) -> Tensor:
        return MX.Reciprocal.apply(self._floating())

    def tan(self) -> Tensor:
        return MX.Tan.apply(self._floating())

    def asin(self) -> Tensor:
        return MX.Asin.apply(self._floating())

    def acos(self) -> Tensor:
        return MX.Acos.apply(self._floating())

    def atan(self) -> Tensor:
        return MX.Atan.apply(self._floating())

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self) -> Tensor:
        return MX.Sinh.apply(self._floating())

    def cosh(self) -> Tensor:
        return MX.Cosh.apply(self._floating())

    def erf(self) -> Tensor:
        return MX.Erf.apply(self._floating())

    def erfinv(self) -> Tensor:
        """The inverse of ``erf``: ±inf at ±1, NaN outside [−1, 1]."""
        return MX.Erfinv.apply(self._floating())

    def floor(self) -> Tensor:
        """Rounding down; gradient 0 (as all the rounding functions and ``sign``)."""
        return MX.Floor.apply(self) if self.dtype.kind == "f" else self

    def ceil(self) -> Tensor:
        return MX.Ceil.apply(self) if self.dtype.kind == "f" else self

    def trunc(self) -> Tensor:
        """Rounding toward 0."""
        return MX.Trunc.apply(self) if self.dtype.kind == "f" else self

    fix = trunc

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even, at ``decimals`` places (negative: tens, hundreds, ...)."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round: decimals must be an int, got {decimals!r}")
        if self.dtype.kind != "f":
            if decimals:
                raise NotImplementedError(f"round: decimals needs a float tensor, not {self.dtype}")
            return self
        return MX.Round.apply(self, decimals=int(decimals))

    def frac(self) -> Tensor:
        """x − trunc(x) (the sign of x); gradient 1."""
        if self.dtype.kind != "f":
            raise NotImplementedError(f"frac: needs a floating-point tensor, got {self.dtype}")
        return self - self.trunc()

    def sign(self) -> Tensor:
        """−1, 0 or 1 (0 for NaN, as PyTorch); gradient 0."""
        return MX.Sign.apply(self) if self.dtype.kind != "b" else self

    sgn = sign

    def _floating_pair(self, other: Any) -> tuple[Tensor, Tensor]:
        a, b = self._floating(), self._lift(other)
        b = b._floating()
        if a.dtype != b.dtype:
            common = np.promote_types(a.dtype, b.dtype)
            a, b = a.to(common), b.to(common)
        return a, b

    def atan2(self, other: Any) -> Tensor:
        """The angle of the point (other, self) in (−π, π]; ``self`` is y."""
        return MX.Atan2.apply(*self._floating_pair(other))

    arctan2 = atan2

    def fmod(self, other: Any) -> Tensor:
        """a − trunc(a/b)·b (the sign of ``self``, C's fmod)."""
        return self._modulo(MX.Fmod, other, "fmod")

    def remainder(self, other: Any) -> Tensor:
        """a − floor(a/b)·b (the sign of ``other``, Python's ``%``)."""
        return self._modulo(MX.Remainder, other, "remainder")

    def _modulo(self, fn: type, other: Any, op: str) -> Tensor:
        b = self._lift(other)
        if self.dtype.kind in "iub" and b.dtype.kind in "iub" and not bool(b._data.all()):
            raise RuntimeError(f"{op}: integer division by zero (ZeroDivisionError)")
        return self._binary(fn, b)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """self + weight·(end − self), evaluated as PyTorch does (from the nearer end)."""
        end = self._lift(end)
        if isinstance(weight, (int, float)):
            if abs(weight) < 0.5:
                return self + weight * (end - self)
            return end - (end - self) * (1 - weight)
        w = self._lift(weight)
        near_start = Tensor(self.xp.abs(w._data) < 0.5)
        return where(near_start, self + w * (end - self), end - (end - self) * (1 - w))

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """self + value · tensor1 · tensor2."""
        return self + value * self._lift(tensor1) * tensor2

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
        """self + value · tensor1 / tensor2."""
        return self + value * (self._lift(tensor1) / tensor2)

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        """NaN → ``nan``, ±inf → ``posinf``/``neginf`` (default: the dtype's largest finite
        values). Gradient: upstream × isfinite(x)."""
        if self.dtype.kind != "f":
            return self
        return MX.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def neg(self) -> Tensor:
        return -self

    negative = neg

    def add(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self + alpha · other."""
        return self + (other if alpha == 1 else alpha * self._lift(other))

    def sub(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self − alpha · other."""
        return self - (other if alpha == 1 else alpha * self._lift(other))

    subtract = sub

    def mul(self, other: Any) -> Tensor:
        return self * other

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """self / other; ``rounding_mode`` ``"trunc"`` or ``"floor"`` rounds the quotient
        (integers stay integers then)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(
                f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
            )
        b = self._lift(other)
        integers = self.dtype.kind in "iub" and b.dtype.kind in "iub"
        if integers and not bool(b._data.all()):
            raise RuntimeError("div: integer division by zero (ZeroDivisionError)")
        q = self / b
        q = q.trunc() if rounding_mode == "trunc" else q.floor()
        return q.to(np.promote_types(self.dtype, b.dtype)) if integers else q

    divide = true_divide = div

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    # comparisons as methods: bool tensors, no gradient
    def eq(self, other: Any) -> Tensor:
        return self == other

    def ne(self, other: Any) -> Tensor:
        return self != other

    def lt(self, other: Any) -> Tensor:
        return self < other

    def le(self, other: Any) -> Tensor:
        return self <= other

    def gt(self, other: Any) -> Tensor:
        return self > other

    def ge(self, other: Any) -> Tensor:
        return self >= other

    not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge

    def isinf(self) -> Tensor:
        return Tensor(self.xp.isinf(self._data))

    def isposinf(self) -> Tensor:
        return Tensor(self.xp.isposinf(self._data))

    def isneginf(self) -> Tensor:
        return Tensor(self.xp.isneginf(self._data))

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        """|self − other| ≤ atol + rtol·|other|, elementwise (a bool tensor)."""
        b = self._lift(other)
        close = self.xp.isclose(self._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
        return Tensor(close)

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """True when ``isclose`` holds everywhere (a Python bool)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def equal(self, other: Any) -> bool:
        """True when both have the same shape and the same values (a Python bool)."""
        b = self._lift(other)
        return self.shape == b.shape and bool(self.xp.all(self._data == b._data))

    def count_nonzero(self, dim=None) -> Tensor:
        """The number of non-zero elements (over ``dim``), as int64."""
        axes = R.normalize_axes(dim, self.ndim, "count_nonzero")
        out = self.xp.count_nonzero(self._data, axis=axes)
        return Tensor(self.xp.asarray(out, dtype=np.int64))

    # conversions and shapes
    def half(self) -> Tensor:
        """float16 (NumPy's half precision; slow on the CPU: no BLAS kernels)."""
        return self.to(np.float16)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def type(self, dtype: Any = None) -> Any:
        """Without an argument, the type name (``"tinygrad_cnn.FloatTensor"``); with a dtype
        or such a name, a converted tensor."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.dtype.name)
            return f"tinygrad_cnn.{name}" if name else f"tinygrad_cnn.Tensor[{self.dtype}]"
        if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPE_DTYPES:
            dtype = _TYPE_DTYPES[dtype.rsplit(".", 1)[-1]]
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"type: unknown dtype {dtype!r}") from None
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def element_size(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def dim(self) -> int:
        return self.ndim

    def nelement(self) -> int:
        return self.numel()

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """This tensor if its data is C-ordered, else a C-ordered copy (differentiable)."""
        return self if self.is_contiguous() else MX.Contiguous.apply(self)

    def _new(self, op: str, size: tuple, fill: Any, dtype: Any, device: Any, requires_grad: bool):
        shape = _shape_arg(size)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"{op}: negative dimension in size {shape}")
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        xp = self.xp
        arr = xp.empty(shape, dtype=dtype) if fill is None else xp.full(shape, fill, dtype=dtype)
        return Tensor(arr, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device (unless given)."""
        return self._new("new_zeros", size, 0, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new("new_ones", size, 1, dtype, device, requires_grad)

    def new_full(
        self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False
    ) -> Tensor:
        return self._new("new_full", (size,), fill_value, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """Uninitialised memory of ``size`` (fill it before reading)."""
        return self._new("new_empty", size, None, dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new tensor (a copy of ``data``) with this tensor's dtype and device by default."""
        if isinstance(data, Tensor):
            data = data._data
        arr = self.xp.array(data, dtype=self.dtype if dtype is None else np.dtype(dtype))
        return Tensor(arr, device=device, requires_grad=requires_grad)

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

    def flip(self, *args, dims=None) -> Tensor:
        """``input`` reversed along each of ``dims``; see ``tinygrad_cnn.flip``."""
        return _shape.flip(self, *args, dims=dims)

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

    # ---------------------------------------------------------------- everyday PyTorch idioms

    def t(self) -> Tensor:
        """The transpose of a matrix; a 0-d or 1-d tensor as it is (as PyTorch)."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t: expects a tensor with <= 2 dimensions, but got {self.ndim}-d "
                f"(shape {self.shape}); use transpose(dim0, dim1) or permute"
            )
        return self.transpose(0, 1) if self.ndim == 2 else self.view(self.shape)

    def ravel(self) -> Tensor:
        return self.reshape(-1)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dimension ``dim`` into ``sizes`` (one of them may be −1), as
        ``x.flatten(1).unflatten(1, (C, H, W))`` undoes a flatten."""
        d = R.normalize_dim(dim, self.ndim, "unflatten")
        sizes = _shape_arg(tuple(sizes), "unflatten")
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        n, known = self.shape[d], math.prod(k for k in sizes if k != -1)
        fits = n % known == 0 if (-1 in sizes and known) else math.prod(sizes) == n
        if sizes.count(-1) > 1 or not fits:
            raise RuntimeError(
                f"unflatten: sizes {sizes} do not multiply to the size {n} of dimension {dim} "
                f"(shape {self.shape})"
            )
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    def byte(self) -> Tensor:
        return self.to(np.uint8)

    def short(self) -> Tensor:
        return self.to(np.int16)

    def ndimension(self) -> int:
        return self.ndim

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def floor_divide(self, other: Any) -> Tensor:
        """``self // other``: the quotient rounded down (integers stay integers)."""
        return self.div(other, rounding_mode="floor")

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        return self._lift(other).floor_divide(self)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return self._lift(other).remainder(self)

    def __abs__(self):
        return self.abs()

    def __pos__(self):
        return self

    def __xor__(self, other):
        return self._compare(other, lambda a, b: a ^ b)

    def __rand__(self, other):
        return self._compare(other, lambda a, b: b & a)

    def __ror__(self, other):
        return self._compare(other, lambda a, b: b | a)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return super().__format__(spec)

    # ---------------------------------------------------------------- display

    def __repr__(self) -> str:
        body = np.array2string(
            self.numpy(), separator=", ", precision=4, threshold=100, prefix="Tensor("
        )
        extras = []
        if self.dtype not in (get_default_dtype(), np.int64, np.bool_):
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


_FREED_VIEWS: dict[tuple, Any] = {}  # (array type, dtype, shape) -> the array such ghosts share
_FREED_COUNTER = [0]  # ghosts cannot be written to: one shared counter


def _freed_view(arr: Any) -> Any:
    """Read-only zeros of ``arr``'s shape and dtype, shared by every stand-in of that kind (a
    training loop has few shapes)."""
    key = (type(arr), arr.dtype, arr.shape)
    view = _FREED_VIEWS.get(key)
    if view is None:
        if len(_FREED_VIEWS) > 4096:
            _FREED_VIEWS.clear()
        xp = get_array_module(arr)
        view = _FREED_VIEWS[key] = xp.broadcast_to(xp.zeros((), dtype=arr.dtype), arr.shape)
    return view


class _FreedTensor(Tensor):
    """What a freed graph keeps of a tensor: shape, dtype, device, op and name, no values.
    Read-only: the remaining attributes are class defaults (they shadow Tensor's slots, so
    assigning one is an AttributeError) and its array is a shared broadcast zero view."""

    __slots__ = ()
    grad = None
    hooks = ()
    retains_grad = False
    _counter = _FREED_COUNTER
    _view = None

    is_freed = True

    def numpy(self) -> np.ndarray:
        raise RuntimeError(
            f"this tensor (shape {self.shape}) belongs to a graph that backward freed; its "
            "values are gone (pass retain_graph=True to backward to keep them)"
        )


def _rebuild(cls: type, array: np.ndarray, requires_grad: bool, device: str) -> Tensor:
    t = cls._make(to_device(array, device))
    t.requires_grad = requires_grad
    return t


_TYPE_NAMES = {
    "float16": "HalfTensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}
_TYPE_DTYPES = {name: np.dtype(dtype) for dtype, name in _TYPE_NAMES.items()}


def as_tensor(x: Any, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor (unchanged if it already is one)."""
    if isinstance(x, Tensor):
        return x
    return like._lift(x) if like is not None else Tensor(x)


def _to_args(op: str, args: tuple, device: Any, dtype: Any) -> tuple[str | None, Any]:
    """The (device, dtype) that ``to(*args, device=, dtype=)`` asks for (None: unchanged)."""
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, str) and a.lower().startswith(("cpu", "cuda")):
            device = a
        elif isinstance(a, str):
            try:
                dtype = np.dtype(a)
            except TypeError:
                raise ValueError(
                    f"{op}: unknown device or dtype {a!r}: expected 'cpu', 'cuda' or a dtype name"
                ) from None
        else:
            dtype = a
    if device is not None:
        device = normalize_device(device)
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(
                f"{op}: expected a device ('cpu', 'cuda', tg.device), a dtype or a tensor, "
                f"got {dtype!r}"
            ) from None
    return device, dtype


def _variance_args(dim: Any, unbiased: Any, correction: Any, axis: Any, op: str):
    """``(dim, correction)`` from PyTorch's ways of calling ``var``/``std``: ``(dim, unbiased,
    keepdim)``, ``(dim, correction=c)``, ``(unbiased)``; ``axis`` is another name for dim."""
    if isinstance(dim, bool):  # var(False): the unbiased flag, over every dim
        dim, unbiased = None, dim
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}")
        dim = axis
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased={unbiased!r} or correction={correction!r}, not both")
    if unbiased is not None:
        return dim, int(bool(unbiased))
    return dim, 1 if correction is None else correction


def _shape_arg(shape: tuple, op: str = "shape") -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``; every entry an int (2.5 is a TypeError)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be ints, got {tuple(shape)!r}")
    return tuple(int(n) for n in shape)


def _dim_or_axis(dim: Any, axis: Any, op: str) -> Any:
    """The dim given as ``dim`` or by its NumPy name ``axis`` (not both)."""
    if axis is None:
        return dim
    if dim is not None and dim != ():
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; pass one")
    return axis


def _int_arg(value: Any, op: str, name: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} ({value!r})")
    return int(value)


def _check_broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """PyTorch's error for shapes that do not broadcast (returns if they do)."""
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and a[-i] != 1 and b[-i] != 1:
            dim = max(len(a), len(b)) - i
            raise RuntimeError(
                f"{op}: the size of tensor a ({a[-i]}) must match the size of tensor b "
                f"({b[-i]}) at non-singleton dimension {dim} (shapes {a} and {b})"
            )


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
    common = result_type(*tensors)  # PyTorch promotes the inputs of cat (and stack)
    tensors = [t if t.dtype == common else t.to(common) for t in tensors]
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    axis = R.normalize_dim(axis, first.ndim, "cat")
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
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    if len({t.shape for t in tensors}) > 1:
        shapes = [t.shape for t in tensors]
        raise RuntimeError(f"stack: all tensors need the same shape, got {shapes}")
    axis = R.normalize_dim(axis, tensors[0].ndim, "stack", new_axis=True)
    return cat([t.unsqueeze(axis) for t in tensors], axis=axis)


def split(x: Tensor, split_size_or_sections, axis: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``x`` along ``axis``: of equal size (an int; the last may be smaller) or of the
    given sizes (a list that sums to the axis length)."""
    axis = R.normalize_dim(axis, x.ndim, "split")
    if x.ndim == 0:
        raise RuntimeError("split: cannot split a 0-d tensor")
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split size must be positive, got {split_size_or_sections}")
        step = split_size_or_sections
        sizes = [min(step, n - s) for s in range(0, n, step)] or [0]  # empty: one empty piece
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
    axis = R.normalize_dim(axis, x.ndim, "chunk")
    if x.ndim == 0:
        raise RuntimeError("chunk: cannot split a 0-d tensor")
    return split(x, max(-(-x.shape[axis] // chunks), 1), axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b``, broadcasting; differentiable in ``a`` and ``b``."""
    like = next((t for t in (a, b) if isinstance(t, Tensor)), None)
    if like is None:
        like = Tensor(a)
    common = result_type(a, b)
    a, b = like._lift(a), like._lift(b)
    cond = condition if isinstance(condition, Tensor) else Tensor(condition, device=like.device)
    if cond.dtype.kind != "b":
        cond = Tensor(cond._data != 0)
    a = a if a.dtype == common else a.to(common)
    b = b if b.dtype == common else b.to(common)
    try:
        return E.Where.apply(cond, a, b)
    except ValueError:
        try:
            np.broadcast_shapes(cond.shape, a.shape, b.shape)
        except ValueError:
            raise RuntimeError(
                f"where: condition shape {cond.shape}, input shape {a.shape} and other shape "
                f"{b.shape} do not broadcast together"
            ) from None
        raise


def maximum(a: Any, b: Any) -> Tensor:
    return as_tensor(a).maximum(b) if isinstance(a, Tensor) else as_tensor(b)._lift(a).maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    return as_tensor(a).minimum(b) if isinstance(a, Tensor) else as_tensor(b)._lift(a).minimum(b)


# the module-level functions behind the indexing, shape and linear-algebra methods import Tensor
from . import contraction as _products  # noqa: E402
from . import indexing as _ix  # noqa: E402
from . import shape_ops as _shape  # noqa: E402
