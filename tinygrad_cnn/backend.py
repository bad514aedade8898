"""Array backends: NumPy on the CPU, CuPy on an NVIDIA GPU.

This is the only module that imports CuPy, and only when a GPU array is asked for. The array
module always follows the data (``get_array_module(x)``): there is no global device switch.
Where NumPy and CuPy differ (scatter-add, window views, DLPack), the difference lives here.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import sys
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "common_array_module",
    "is_host_module",
    "ignore_float_errors",
    "index_array_like",
    "DEVICES",
    "device",
    "cuda_device_count",
    "cupy_module",
    "get_array_module",
    "device_of",
    "shares_memory",
    "overlaps_itself",
    "normalize_device",
    "to_device",
    "to_numpy",
    "scatter_add",
    "sliding_window_view",
    "stable_argsort",
    "accumulate",
    "doubling_scan",
    "masked_select_zero",
    "erf",
    "erfinv",
    "from_dlpack",
    "CUDA_INSTALL_HINT",
]

DEVICES = ("cpu", "cuda")
CUDA_INSTALL_HINT = (
    "install CuPy for your CUDA version, e.g. `pip install tinygrad-cnn[gpu]` "
    "or `pip install cupy-cuda12x`, on a machine with an NVIDIA GPU"
)

_cupy: ModuleType | None = None


def cupy_module() -> ModuleType:
    """Import CuPy on first use and check that a GPU is visible; raise a clear error if not."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        cp = importlib.import_module("cupy")
    except ImportError as e:
        raise RuntimeError(
            f"device 'cuda' needs CuPy, which is not installed: {CUDA_INSTALL_HINT}"
        ) from e
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # CuPy raises its own runtime error types
        raise RuntimeError(
            f"device 'cuda': CuPy is installed but no CUDA GPU is usable ({e})"
        ) from e
    if count == 0:
        raise RuntimeError("device 'cuda': CuPy is installed but no CUDA GPU was found")
    _cupy = cp
    return cp


def _loaded_cupy() -> ModuleType | None:
    """CuPy if some code already imported it; never triggers the import itself."""
    if _cupy is not None:
        return _cupy
    # sys is imported at module level: an import statement here cost ~2.5 µs per call, and
    # every op calls this several times
    return sys.modules.get("cupy")


def get_array_module(*arrays: Any) -> ModuleType:
    """``numpy`` or ``cupy``, whichever owns the given arrays (NumPy for plain Python values)."""
    cp = _loaded_cupy()
    if cp is not None:
        for a in arrays:
            if isinstance(a, cp.ndarray):
                return cp
    return np


def is_host_module(xp: ModuleType) -> bool:
    """True for NumPy (arrays in host memory, where reading a value costs no device sync and
    BLAS calls have CPU thresholds), False for CuPy."""
    return xp is np


def ignore_float_errors(xp: ModuleType) -> Any:
    """A context in which division by zero and invalid operations give inf/NaN silently
    (NumPy warns by default; CuPy never does)."""
    return np.errstate(divide="ignore", invalid="ignore") if xp is np else contextlib.nullcontext()


def index_array_like(a: Any, idx: np.ndarray) -> Any:
    """The host index array ``idx`` on the device of ``a``."""
    xp = get_array_module(a)
    return idx if xp is np else xp.asarray(idx)


def common_array_module(arrays: Any) -> ModuleType | None:
    """The array module of all of ``arrays`` (an op's inputs), or None when they mix NumPy and
    CuPy arrays. Without CuPy loaded that is NumPy at once: the common case costs nothing."""
    cp = _loaded_cupy()
    if cp is None:
        return np
    on_gpu = [isinstance(a, cp.ndarray) for a in arrays]
    if all(on_gpu):
        return cp if on_gpu else np
    return None if any(on_gpu) else np


def shares_memory(a: Any, b: Any) -> bool:
    """True when the two arrays may overlap in memory (a bounds check: fast, never a false
    negative)."""
    return bool(get_array_module(a).may_share_memory(a, b))


def overlaps_itself(array: Any) -> bool:
    """True when several elements of ``array`` are one memory location (a broadcast view), or
    NumPy marks it read-only: writing into it would be wrong."""
    if isinstance(array, np.ndarray) and not array.flags.writeable:
        return True
    return any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape))


def device_of(array: Any) -> str:
    """``"cuda"`` for a CuPy array, ``"cpu"`` otherwise."""
    return "cuda" if get_array_module(array) is not np else "cpu"


class device(str):  # noqa: N801 (PyTorch's name)
    """A device, as ``torch.device``: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``,
    ``device("cuda", 0)``. It is the string itself (``device("cpu") == "cpu"``), so it goes
    wherever a device name does (``Tensor.to``, ``device=`` of factories, ``Module.to``).
    ``.type`` is ``"cpu"`` or ``"cuda"``; ``.index`` the GPU number or None."""

    __slots__ = ()

    def __new__(cls, type: Any, index: int | None = None) -> device:  # noqa: A002
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, _, number = type.partition(":")
        if name not in DEVICES:
            raise RuntimeError(f"device: expected one of {DEVICES} at the start of {type!r}")
        if number:
            if index is not None:
                raise RuntimeError(f"device: index given twice ({type!r} and {index!r})")
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device string {type!r}")
            index = int(number)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise TypeError(f"device: index must be an int, got {index!r}")
            if index < 0:
                raise RuntimeError(f"device: index must be non-negative, got {index}")
            if name == "cpu" and index != 0:
                raise RuntimeError(f"device: the CPU has only index 0, got {index}")
        return super().__new__(cls, name if index is None else f"{name}:{int(index)}")

    @property
    def type(self) -> str:
        return str(self).partition(":")[0]

    @property
    def index(self) -> int | None:
        number = str(self).partition(":")[2]
        return int(number) if number else None

    def __repr__(self) -> str:
        index = self.index
        return f"device(type={self.type!r}" + (f", index={index})" if index is not None else ")")

    def __reduce__(self) -> tuple:
        return (device, (str(self),))


def cuda_device_count() -> int:
    """How many CUDA GPUs CuPy sees (0 when CuPy or a GPU is missing; never raises)."""
    if _cupy is not None:
        return int(_cupy.cuda.runtime.getDeviceCount())
    try:
        cp = importlib.import_module("cupy")
        return int(cp.cuda.runtime.getDeviceCount())
    except Exception:  # no CuPy, no driver, no GPU: all mean "none"
        return 0


def normalize_device(device: Any) -> str:
    """Accept ``"cpu"``, ``"cuda"``, ``"cuda:0"`` (any case); reject everything else clearly."""
    name = str(device).lower()
    if name.startswith("cuda:") and name[5:].isdigit():  # one GPU for now: cuda:N is cuda
        name = "cuda"
    if name not in DEVICES:
        raise ValueError(f"unknown device {device!r}: expected one of {DEVICES}")
    return name


def to_device(array: Any, device: str) -> Any:
    """Copy ``array`` to ``device`` (a no-op when it is already there)."""
    device = normalize_device(device)
    if device == "cuda":
        cp = cupy_module()
        return array if isinstance(array, cp.ndarray) else cp.asarray(array)
    return to_numpy(array)


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array with the same values (copies from the GPU when needed)."""
    if isinstance(array, np.ndarray):
        return array
    cp = _loaded_cupy()
    if cp is not None and isinstance(array, cp.ndarray):
        return cp.asnumpy(array)
    return np.asarray(array)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` where repeated indices accumulate (unbuffered).

    ``index`` is an index tuple (ints, slices, None, Ellipsis, integer or bool arrays). Only
    integer arrays can select an element twice; without them a plain ``+=`` is exact (and
    needs no atomics). NumPy: ``np.add.at``. CuPy: ``cupy.add.at`` (atomic adds on the GPU),
    or ``cupyx.scatter_add`` on CuPy versions whose ufuncs have no ``at``.
    """
    parts = index if isinstance(index, tuple) else (index,)
    if not any(getattr(p, "dtype", None) is not None and p.dtype.kind in "iu" for p in parts):
        target[index] += values
        return
    xp = get_array_module(target)
    if xp is np:
        np.add.at(target, index, values)
        return
    add_at = getattr(xp.add, "at", None)
    if add_at is not None:
        add_at(target, index, values)
    else:
        importlib.import_module("cupyx").scatter_add(target, index, values)


def sliding_window_view(x: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    """A read-only strided view of all windows (NumPy's function; CuPy via its lib module)."""
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
    return xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def stable_argsort(x: Any, axis: int) -> Any:
    """Indices that sort ``x`` along ``axis``, equal elements keeping their order. NumPy needs
    ``kind="stable"``; CuPy's sort is always stable (older versions take no ``kind``)."""
    xp = get_array_module(x)
    if xp is np:
        return np.argsort(x, axis=axis, kind="stable")
    return xp.argsort(x, axis=axis)


def accumulate(ufunc_name: str, x: Any, axis: int) -> Any:
    """``xp.<ufunc_name>.accumulate(x, axis)`` for an associative ufunc (a running maximum,
    minimum, ...). NumPy has it for every ufunc; where CuPy lacks it, a scan by doubling
    steps (log₂ n elementwise calls): after the step of width w every element combines the
    w before it."""
    xp = get_array_module(x)
    ufunc = getattr(xp, ufunc_name)
    if xp is np:
        return ufunc.accumulate(x, axis=axis)
    try:
        return ufunc.accumulate(x, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        return doubling_scan(ufunc, x, axis)


def doubling_scan(ufunc: Any, x: Any, axis: int) -> Any:
    """The running ``ufunc`` along ``axis`` by doubling steps (any backend)."""
    out, n, width = x.copy(), x.shape[axis], 1
    while width < n:
        later = (slice(None),) * axis + (slice(width, None),)
        earlier = (slice(None),) * axis + (slice(None, n - width),)
        out[later] = ufunc(out[later], out[earlier])  # the right side is read before writing
        width *= 2
    return out


def masked_select_zero(mask: Any, values: Any, out: Any = None) -> Any:
    """``values`` where the bool ``mask`` holds and 0 elsewhere, also where ``values`` is NaN
    or ±inf (so not just ``values * mask``: NaN·0 is NaN). The fast path below gives −0 for
    a negative value outside the mask (equal to 0 in every comparison).

    NumPy's ``where`` is several times slower than a product (6 ms against 0.9 ms on 1.6M
    float32), so on NumPy the product is used whenever ``values`` is all finite (one sum
    checks it) and ``where`` only otherwise. CuPy's ``where`` is as fast as a product, and
    the check would cost a device synchronisation: it always selects.
    """
    xp = get_array_module(values)
    zero = values.dtype.type(0)
    if xp is not np:
        return xp.where(mask, values, zero)
    if np.isfinite(values.sum()):  # ``out`` (optional): where the product goes
        return np.multiply(values, mask, dtype=values.dtype, out=out)
    return np.where(mask, values, zero)


def _erfc_scaled(y: Any, terms: int = 60) -> Any:
    """√π · e^(y²) · erfc(y) (NumPy, float64) by the continued fraction
    erfc(y) = e^(−y²)/√π · 1/(y + (1/2)/(y + 1/(y + (3/2)/(y + …)))), evaluated from the back.
    60 terms reach float64 round-off for y ≥ 2, 200 for y ≥ 1; e^(y²) is never formed."""
    frac = np.zeros_like(y)
    for k in range(terms, 0, -1):
        frac = (k / 2) / (y + frac)
    return 1 / (y + frac)


def erf(x: Any) -> Any:
    """The error function, elementwise, to float64 precision, on either backend.

    NumPy has no erf; CuPy's lives in cupyx. For |x| < 1 the Maclaurin series
    2/√π · Σ (−1)ⁿ x^(2n+1) / (n!·(2n+1)) by Horner's rule (within 2 ulps); for 1 ≤ |x| < 3
    the series erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose terms are all
    positive (no cancellation); beyond, the continued fraction for erfc converges in a few
    dozen steps.
    """
    xp = get_array_module(x)
    if xp is not np:
        return importlib.import_module("cupyx.scipy.special").erf(x)
    a = np.abs(np.asarray(x, dtype=np.float64))
    near = np.minimum(a, 1.0)
    z = near * near
    coefficients = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(26)]
    horner = np.full_like(z, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        horner = horner * z + c
    maclaurin = 2 / math.sqrt(math.pi) * near * horner
    small = np.minimum(a, 3.0)
    term = small.copy()
    total = small.copy()
    for n in range(1, 90):
        term = term * 2 * small * small / (2 * n + 1)
        total += term
    series = 2 / np.sqrt(np.pi) * np.exp(-small * small) * total
    big = np.maximum(a, 3.0)
    tail = 1 - np.exp(-big * big) / np.sqrt(np.pi) * _erfc_scaled(big)
    out = np.where(a < 1.0, maclaurin, np.where(a < 3.0, series, tail))
    return (np.sign(x) * out).astype(np.result_type(x, np.float32))


_ERFC_1 = 0.15729920705028513  # erfc(1): for 1 − |x| below it, erfinv(x) is beyond 1


def erfinv(x: Any) -> Any:
    """The inverse error function, elementwise, on either backend: erfinv(±1) = ±inf, NaN
    outside [−1, 1] and for NaN.

    NumPy: Winitzki's closed form (relative error below 2·10⁻³) as a start, then Newton steps,
    each of which squares the error. Where y = erfinv(|x|) < 1 the steps solve erf(y) = |x|;
    beyond, where erf(y) is too close to 1 to be compared with |x|, they solve
    log erfc(y) = log(1 − |x|) (1 − |x| is exact there), so the result keeps full relative
    precision up to |x| = 1 − 2⁻⁵³.
    """
    xp = get_array_module(x)
    if xp is not np:
        return importlib.import_module("cupyx.scipy.special").erfinv(x)
    x64 = np.asarray(x, dtype=np.float64)
    a = np.abs(x64)
    with np.errstate(invalid="ignore"):
        inside = a < 1  # False for NaN
    y = np.where(np.isnan(a), np.nan, np.where(a == 1, np.inf, np.nan))
    a_in = a[inside]
    k = 0.147
    log_1ma2 = np.log1p(-a_in * a_in)
    half = 2 / (np.pi * k) + 0.5 * log_1ma2
    start = np.sqrt(np.sqrt(half * half - log_1ma2 / k) - half)
    c = 1 - a_in  # exact where it matters (|x| ≥ 1/2, Sterbenz)
    tail = c < _ERFC_1
    mid = start[~tail]
    for _ in range(6):  # y ← y − (erf(y) − |x|) / (2/√π · e^(−y²))
        mid = mid - (erf(mid) - a_in[~tail]) * (np.sqrt(np.pi) / 2) * np.exp(mid * mid)
    far, log_c = np.maximum(start[tail], 0.9), np.log(c[tail])
    for _ in range(6):  # log erfc(y) = −y² − log √π + log s(y), d/dy = −2/s(y)
        s = _erfc_scaled(far, terms=200)
        far = far + (-far * far - 0.5 * np.log(np.pi) + np.log(s) - log_c) * s / 2
    y_in = np.empty_like(a_in)
    y_in[~tail], y_in[tail] = mid, far
    y[inside] = y_in
    return np.copysign(y, x64).astype(np.result_type(x, np.float32))


def from_dlpack(obj: Any) -> Any:
    """An array sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX, ...)."""
    device_type = obj.__dlpack_device__()[0] if hasattr(obj, "__dlpack_device__") else 1
    if int(device_type) == 1:  # kDLCPU
        return np.from_dlpack(obj)
    return cupy_module().from_dlpack(obj)
