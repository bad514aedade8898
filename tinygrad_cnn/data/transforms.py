"""Image transforms and data augmentation, shaped like ``torchvision.transforms``.

    from tinygrad_cnn.data import transforms
    augment = transforms.Compose([
        transforms.RandomCrop(28, padding=2),
        transforms.RandomHorizontalFlip(),
        transforms.Normalize((0.2860,), (0.3530,)),
    ])
    train = tg.data.fashion_mnist(train=True, transform=augment)

Every transform takes an image as a Tensor or a NumPy (or CuPy) array of shape (C, H, W) —
or (H, W), or a batch (..., C, H, W), which then shares one set of random parameters, as in
torchvision — and returns the same kind of object. ``ToTensor`` is the exception: it turns an
(H, W, C) or (H, W) array (uint8 scaled to [0, 1]) into a (C, H, W) Tensor. Transforms work
on the data, outside autograd.

Random transforms draw from ``generator=`` (a ``tg.Generator``) when given, else from the global
generator, so ``tg.manual_seed`` fixes them; inside a ``DataLoader`` they draw from the
generator of the batch being loaded (the same with or without workers).

Geometry follows torchvision exactly: ``rotate``/``RandomRotation`` turn counter-clockwise for
positive angles, ``affine``/``RandomAffine`` clockwise; both sample the input at the inverse
image of each output pixel centre (about the image centre) with nearest or bilinear
interpolation and fill what falls outside with ``fill``. Angles that are multiples of 90° use
exact sines and cosines, so such rotations of a square image equal ``np.rot90``.
The functions behind the classes (``hflip``, ``pad``, ``crop``, ``rotate``, ``affine``,
``gaussian_blur``, ``erase``, ``normalize``, ``to_tensor``) are public, for deterministic use.
"""

from __future__ import annotations

import enum
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..dtypes import get_default_dtype
from ..random import numpy_rng
from ..tensor import Tensor

__all__ = [
    "InterpolationMode",
    "Compose",
    "ToTensor",
    "Normalize",
    "Lambda",
    "RandomApply",
    "RandomHorizontalFlip",
    "RandomVerticalFlip",
    "RandomCrop",
    "CenterCrop",
    "Pad",
    "RandomRotation",
    "RandomAffine",
    "GaussianBlur",
    "RandomErasing",
    "to_tensor",
    "normalize",
    "hflip",
    "vflip",
    "pad",
    "crop",
    "rotate",
    "affine",
    "gaussian_blur",
    "erase",
]


class InterpolationMode(enum.Enum):
    """How ``rotate``/``affine`` read the input between pixel centres."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


# ---------------------------------------------------------------- helpers
def _image(img: Any, op: str, min_ndim: int = 2) -> tuple[Any, bool]:
    """(backend array, whether ``img`` was a Tensor); checks the type and the dimensions."""
    if isinstance(img, Tensor):
        arr, is_tensor = img._data, True
    elif hasattr(img, "shape") and hasattr(img, "dtype") and hasattr(img, "__array_namespace__"):
        arr, is_tensor = img, False
    elif isinstance(img, np.ndarray):
        arr, is_tensor = img, False
    else:
        raise TypeError(f"{op}: img should be a Tensor or an array, got {type(img).__name__}")
    if arr.ndim < min_ndim:
        layout = "(..., C, H, W)" if min_ndim == 3 else "(..., H, W)"
        raise ValueError(f"{op}: expected an image of shape {layout}, got shape {tuple(arr.shape)}")
    return arr, is_tensor


def _like(arr: Any, is_tensor: bool) -> Any:
    return Tensor(arr) if is_tensor else arr


def _to_float(arr: Any) -> tuple[Any, Any]:
    """A float version of ``arr`` (float32 for integer images) and the dtype to return to."""
    if arr.dtype.kind == "f":
        return arr, None
    return arr.astype(np.float32), arr.dtype


def _from_float(arr: Any, dtype: Any) -> Any:
    """Back to an integer image dtype: rounded half to even first, as torchvision."""
    if dtype is None:
        return arr
    xp = get_array_module(arr)
    return xp.rint(arr).astype(dtype)


def _size_pair(size: Any, op: str, what: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Number) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(
            f"{op}: please provide only two dimensions (h, w) for {what}, got {size!r}"
        )
    return int(size[0]), int(size[1])


def _check_p(p: Any, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability p should be between 0 and 1, got {p!r}")
    return p


def _setup_angle(x: Any, name: str, req_sizes: tuple[int, ...], op: str) -> list[float]:
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        if x < 0:
            raise ValueError(f"{op}: if {name} is a single number, it must be positive, got {x}")
        return [float(-x), float(x)]
    if not isinstance(x, Sequence) or len(x) not in req_sizes:
        sizes = " or ".join(str(s) for s in req_sizes)
        raise ValueError(
            f"{op}: {name} should be a number or a sequence of length {sizes}, got {x!r}"
        )
    return [float(d) for d in x]


def _interpolation(mode: Any, op: str) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str) and mode in ("nearest", "bilinear"):
        return InterpolationMode(mode)
    raise ValueError(
        f"{op}: interpolation must be InterpolationMode.NEAREST or BILINEAR ('nearest' or "
        f"'bilinear'), got {mode!r}"
    )


def _check_fill(fill: Any, op: str) -> Any:
    if fill is None:
        return 0
    if isinstance(fill, numbers.Number) or (
        isinstance(fill, Sequence) and all(isinstance(v, numbers.Number) for v in fill)
    ):
        return fill
    raise TypeError(f"{op}: fill should be either a sequence or a number, got {fill!r}")


def _format_transforms(name: str, lines: list[str]) -> str:
    body = "".join(f"\n    {line}" for line in lines)
    return f"{name}({body}\n)"


# ---------------------------------------------------------------- deterministic functions
def to_tensor(pic: Any) -> Tensor:
    """(H, W, C) or (H, W) array → (C, H, W) Tensor; uint8 is scaled to the default float dtype
    in [0, 1], other dtypes are kept. A Tensor is taken as already (C, H, W) ((H, W) gains a
    channel) and a uint8 one is scaled the same way."""
    op = "ToTensor"
    if isinstance(pic, Tensor):
        arr = pic._data
        if arr.ndim == 2:
            arr = arr[None]
    elif isinstance(pic, np.ndarray) or hasattr(pic, "__array_namespace__"):
        if pic.ndim not in (2, 3):
            raise ValueError(f"{op}: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        xp = get_array_module(pic)
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        arr = xp.ascontiguousarray(arr.transpose(2, 0, 1))  # (H, W, C) → (C, H, W)
    else:
        raise TypeError(f"{op}: pic should be an ndarray or a Tensor. Got {type(pic).__name__}")
    if arr.dtype == np.uint8:
        arr = arr.astype(get_default_dtype()) / 255
    return Tensor(arr)


def normalize(img: Any, mean: Sequence[float], std: Sequence[float]) -> Any:
    """(img − mean[c]) / std[c] per channel c of a float image (..., C, H, W)."""
    op = "Normalize"
    arr, is_tensor = _image(img, op, min_ndim=3)
    if arr.dtype.kind != "f":
        raise TypeError(f"{op}: input tensor should be a float tensor. Got {arr.dtype}.")
    xp = get_array_module(arr)
    m = xp.asarray(np.asarray(mean, dtype=arr.dtype))
    s = xp.asarray(np.asarray(std, dtype=arr.dtype))
    if bool((s == 0).any()):
        raise ValueError(
            f"{op}: std evaluated to zero after conversion to {arr.dtype}, leading to division "
            f"by zero (std={std})"
        )
    if m.ndim == 1:
        m = m[:, None, None]
    if s.ndim == 1:
        s = s[:, None, None]
    return _like((arr - m) / s, is_tensor)


def hflip(img: Any) -> Any:
    """Mirror left ↔ right (the last dimension)."""
    arr, is_tensor = _image(img, "hflip")
    return _like(arr[..., ::-1].copy(), is_tensor)


def vflip(img: Any) -> Any:
    """Mirror top ↔ bottom (the second last dimension)."""
    arr, is_tensor = _image(img, "vflip")
    return _like(arr[..., ::-1, :].copy(), is_tensor)


_PAD_MODES = {
    "constant": "constant",
    "edge": "edge",
    "reflect": "reflect",
    "symmetric": "symmetric",
}


def _check_padding_mode(padding_mode: Any, op: str) -> None:
    if padding_mode not in _PAD_MODES:
        raise ValueError(
            f"{op}: padding mode should be either constant, edge, reflect or symmetric, got "
            f"{padding_mode!r}"
        )


def _parse_padding(padding: Any, op: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, or a 1-, 2- (left/right, top/bottom) or 4-tuple."""
    if isinstance(padding, bool) or not isinstance(padding, (numbers.Integral, tuple, list)):
        raise TypeError(f"{op}: got inappropriate padding arg {padding!r}")
    if isinstance(padding, numbers.Integral):
        p = [int(padding)] * 4
    elif len(padding) == 1:
        p = [int(padding[0])] * 4
    elif len(padding) == 2:
        p = [int(padding[0]), int(padding[1])] * 2
    elif len(padding) == 4:
        p = [int(v) for v in padding]
    else:
        raise ValueError(
            f"{op}: padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
            "element tuple"
        )
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return p[0], p[1], p[2], p[3]


def pad(img: Any, padding: Any, fill: float = 0, padding_mode: str = "constant") -> Any:
    """Pad the last two dimensions: ``padding`` is an int (all sides), (left/right, top/bottom)
    or (left, top, right, bottom); ``padding_mode`` constant (with ``fill``), edge, reflect
    (without repeating the edge) or symmetric (repeating it)."""
    op = "pad"
    arr, is_tensor = _image(img, op)
    _check_padding_mode(padding_mode, op)
    left, top, right, bottom = _parse_padding(padding, op)
    if padding_mode == "reflect" and (
        max(left, right) >= arr.shape[-1] or max(top, bottom) >= arr.shape[-2]
    ):
        raise RuntimeError(
            f"{op}: reflect padding {padding!r} must be less than the image size "
            f"{tuple(arr.shape[-2:])}"
        )
    xp = get_array_module(arr)
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    kwargs = {"constant_values": fill} if padding_mode == "constant" else {}
    return _like(xp.pad(arr, widths, mode=_PAD_MODES[padding_mode], **kwargs), is_tensor)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The window rows top..top+height−1, columns left..left+width−1 (inside the image)."""
    arr, is_tensor = _image(img, "crop")
    return _like(arr[..., top : top + height, left : left + width].copy(), is_tensor)


def _cos_sin(degrees: float) -> tuple[float, float]:
    """cos and sin of an angle in degrees, exact at multiples of 90°."""
    if float(degrees).is_integer() and int(degrees) % 90 == 0:
        return ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))[(int(degrees) // 90) % 4]
    rad = math.radians(degrees)
    return math.cos(rad), math.sin(rad)


def _tan(degrees: float) -> float:
    return 0.0 if degrees == 0 else math.tan(math.radians(degrees))


def _inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """The 2×3 matrix taking output pixel coordinates to input ones (both relative to the image
    centre): the inverse of translate ∘ centre ∘ rotate·scale·shear ∘ centre⁻¹ (torchvision's)."""
    cx, cy = center
    tx, ty = translate
    sx, sy = shear
    cos_ry, sin_ry = _cos_sin(angle - sy)
    cos_sy, _ = _cos_sin(sy)
    cos_r, sin_r = _cos_sin(angle)
    tan_sx = _tan(sx)
    a = cos_ry / cos_sy
    b = -cos_ry * tan_sx / cos_sy - sin_r
    c = sin_ry / cos_sy
    d = -sin_ry * tan_sx / cos_sy + cos_r
    m = [v / scale for v in (d, -b, 0.0, -c, a, 0.0)]  # the inverse of [[a, b], [c, d]] (det 1)
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """(height, width) that holds the whole transformed image (``expand=True``)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1], [-0.5 * w, 0.5 * h, 1], [0.5 * w, 0.5 * h, 1],
                    [0.5 * w, -0.5 * h, 1]])  # fmt: skip
    new = pts @ np.asarray(matrix, dtype=np.float64).reshape(2, 3).T  # (4, 2)
    lo = new.min(axis=0) + (0.5 * w, 0.5 * h)
    hi = new.max(axis=0) + (0.5 * w, 0.5 * h)
    tol = 1e-4  # ignore rounding noise before ceil/floor
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[1]), int(size[0])


def _sample(x: Any, ix: Any, iy: Any, mode: InterpolationMode) -> tuple[Any, Any]:
    """Read x (..., H, W) at the index-space points (ix, iy), each (OH, OW), with zeros
    outside; also the weight that fell inside the image (the mask), (OH, OW)."""
    xp = get_array_module(x)
    H, W = x.shape[-2:]
    if mode is InterpolationMode.NEAREST:
        jx, jy = xp.rint(ix).astype(np.int64), xp.rint(iy).astype(np.int64)
        inside = (jx >= 0) & (jx < W) & (jy >= 0) & (jy < H)
        vals = x[..., xp.clip(jy, 0, H - 1), xp.clip(jx, 0, W - 1)]
        mask = inside.astype(x.dtype)
        return xp.where(inside, vals, 0), mask
    x0, y0 = xp.floor(ix), xp.floor(iy)
    fx, fy = (ix - x0).astype(x.dtype), (iy - y0).astype(x.dtype)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = xp.zeros(x.shape[:-2] + ix.shape, dtype=x.dtype)
    mask = xp.zeros(ix.shape, dtype=x.dtype)
    for dy, wy in ((0, 1 - fy), (1, fy)):  # corners in the order nw, ne, sw, se
        for dx, wx in ((0, 1 - fx), (1, fx)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx < W) & (cy >= 0) & (cy < H)
            w = wy * wx * inside.astype(x.dtype)
            vals = x[..., xp.clip(cy, 0, H - 1), xp.clip(cx, 0, W - 1)]
            out = out + xp.where(inside, vals, 0) * w
            mask = mask + w
    return out, mask


def _warp(
    img: Any,
    matrix: list[float],
    out_hw: tuple[int, int] | None,
    interpolation: InterpolationMode,
    fill: Any,
    op: str,
) -> Any:
    """Output pixel (i, j) ← input at ``matrix`` · (pixel centre relative to the centre)."""
    arr, is_tensor = _image(img, op)
    x, dtype = _to_float(arr)
    xp = get_array_module(x)
    H, W = x.shape[-2:]
    oh, ow = (H, W) if out_hw is None else out_hw
    xs = np.arange(ow) + 0.5 - 0.5 * ow  # output pixel centres, relative to the centre
    ys = (np.arange(oh) + 0.5 - 0.5 * oh)[:, None]
    m = matrix
    ix = xp.asarray(m[0] * xs + m[1] * ys + m[2] + 0.5 * W - 0.5)  # (OH, OW) input columns
    iy = xp.asarray(m[3] * xs + m[4] * ys + m[5] + 0.5 * H - 0.5)  # (OH, OW) input rows
    out, mask = _sample(x, ix, iy, interpolation)
    fill_values = np.atleast_1d(np.asarray(fill, dtype=x.dtype))
    if fill_values.size > 1:
        if x.ndim < 3 or fill_values.size != x.shape[-3]:
            raise ValueError(
                f"{op}: fill has {fill_values.size} values but the image has "
                f"{x.shape[-3] if x.ndim >= 3 else 1} channels"
            )
        fill_arr = xp.asarray(fill_values)[:, None, None]  # (C, 1, 1)
    else:
        fill_arr = xp.asarray(fill_values[0])
    if interpolation is InterpolationMode.NEAREST:
        out = xp.where(mask < 0.5, fill_arr, out)
    else:  # blend towards fill by the weight that fell outside, as torchvision does
        out = out * mask + (1 - mask) * fill_arr
    return _like(_from_float(out.astype(x.dtype), dtype), is_tensor)


def rotate(
    img: Any,
    angle: float,
    interpolation: Any = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Any = 0,
) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (pixel coordinates; default
    the image centre). ``expand=True`` enlarges the output to hold the whole rotated image."""
    op = "rotate"
    mode = _interpolation(interpolation, op)
    arr, _ = _image(img, op)
    H, W = arr.shape[-2:]
    c = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (W, H))]
    matrix = _inverse_affine_matrix(c, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    out_hw = _affine_output_size(matrix, W, H) if expand else None
    return _warp(img, matrix, out_hw, mode, _check_fill(fill, op), op)


def affine(
    img: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: Any = InterpolationMode.NEAREST,
    fill: Any = 0,
    center: Sequence[float] | None = None,
) -> Any:
    """Rotate by ``angle`` degrees clockwise, scale, shear (degrees, along x then y) about
    ``center``, then translate by ``translate`` = (dx, dy) pixels, as torchvision's ``affine``."""
    op = "affine"
    mode = _interpolation(interpolation, op)
    if not isinstance(translate, Sequence) or len(translate) != 2:
        raise TypeError(
            f"{op}: argument translate should be a sequence of length 2, got {translate!r}"
        )
    if scale <= 0.0:
        raise ValueError(f"{op}: argument scale should be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    elif isinstance(shear, Sequence) and len(shear) in (1, 2):
        shear = [float(shear[0])] * 2 if len(shear) == 1 else [float(s) for s in shear]
    else:
        raise ValueError(
            f"{op}: shear should be a number or a sequence of 1 or 2 values, got {shear!r}"
        )
    arr, _ = _image(img, op)
    H, W = arr.shape[-2:]
    c = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (W, H))]
    matrix = _inverse_affine_matrix(c, angle, [float(t) for t in translate], scale, shear)
    return _warp(img, matrix, None, mode, _check_fill(fill, op), op)


def _gaussian_kernel1d(size: int, sigma: float, dtype: Any) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return (pdf / pdf.sum()).astype(dtype)


def gaussian_blur(img: Any, kernel_size: Any, sigma: Any = None) -> Any:
    """Convolve each channel with a Gaussian of ``kernel_size`` = (kx, ky) (odd, positive; an
    int for both) and ``sigma`` = (σx, σy) (default 0.3·((k − 1)·0.5 − 1) + 0.8, as OpenCV and
    torchvision), the image padded by reflection."""
    op = "gaussian_blur"
    arr, is_tensor = _image(img, op)
    kx, ky = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    for k in (kx, ky):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0 or k % 2 == 0:
            raise ValueError(
                f"{op}: kernel size value should be an odd and positive number, got {kernel_size!r}"
            )
    if sigma is None:
        sigma = [0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in (kx, ky)]
    elif isinstance(sigma, numbers.Number):
        sigma = [float(sigma)] * 2
    else:
        sigma = [float(s) for s in sigma] * (2 if len(sigma) == 1 else 1)
    if len(sigma) != 2 or min(sigma) <= 0:
        raise ValueError(f"{op}: sigma should have positive values, got {sigma!r}")
    x, dtype = _to_float(arr)
    xp = get_array_module(x)
    k2d = np.outer(
        _gaussian_kernel1d(ky, sigma[1], x.dtype), _gaussian_kernel1d(kx, sigma[0], x.dtype)
    )
    padded = pad(x, [kx // 2, ky // 2], padding_mode="reflect")
    H, W = x.shape[-2:]
    out = xp.zeros_like(x)
    for u in range(ky):  # one shifted copy per kernel offset: (..., H, W) each
        for v in range(kx):
            out = out + padded[..., u : u + H, v : v + W] * x.dtype.type(k2d[u, v])
    return _like(_from_float(out, dtype), is_tensor)


def erase(img: Any, i: int, j: int, h: int, w: int, v: Any) -> Any:
    """A copy of ``img`` (..., C, H, W) with rows i..i+h−1, columns j..j+w−1 set to ``v``
    (a number or an array that broadcasts to (C, h, w))."""
    arr, is_tensor = _image(img, "erase", min_ndim=3)
    xp = get_array_module(arr)
    out = arr.copy()
    v = v._data if isinstance(v, Tensor) else v
    out[..., i : i + h, j : j + w] = xp.asarray(v, dtype=arr.dtype)
    return _like(out, is_tensor)


# ---------------------------------------------------------------- composition
class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _format_transforms(type(self).__name__, [repr(t) for t in self.transforms])


class Lambda:
    """Apply a user function: ``Lambda(lambda x: x * 2)``."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(
                f"Lambda: argument lambd should be callable, got {type(lambd).__name__!r}"
            )
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomApply:
    """Apply all of ``transforms`` with probability ``p``, else none."""

    def __init__(
        self, transforms: Sequence[Callable[[Any], Any]], p: float = 0.5, *, generator: Any = None
    ) -> None:
        self.transforms = list(transforms)
        self.p = _check_p(p, type(self).__name__)
        self.generator = generator
        numpy_rng(generator, type(self).__name__)

    def __call__(self, img: Any) -> Any:
        if self.p < numpy_rng(self.generator).random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        lines = [f"p={self.p}", *(repr(t) for t in self.transforms)]
        return _format_transforms(type(self).__name__, lines)


class _Random:
    """A transform that draws its parameters from ``generator`` (else the global one)."""

    generator: Any = None

    def _rng(self) -> np.random.Generator:
        return numpy_rng(self.generator, type(self).__name__)


# ---------------------------------------------------------------- conversion
class ToTensor:
    """(H, W, C) or (H, W) array → (C, H, W) Tensor, uint8 scaled to [0, 1] (see ``to_tensor``)."""

    def __call__(self, pic: Any) -> Tensor:
        return to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """(x − mean[c]) / std[c] for each channel c of a float image (..., C, H, W)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, img: Any) -> Any:
        return normalize(img, self.mean, self.std)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


# ---------------------------------------------------------------- flips and crops
class RandomHorizontalFlip(_Random):
    """Mirror left ↔ right with probability ``p``."""

    def __init__(self, p: float = 0.5, *, generator: Any = None) -> None:
        self.p = _check_p(p, type(self).__name__)
        self.generator = generator
        self._rng()

    def __call__(self, img: Any) -> Any:
        return hflip(img) if self._rng().random() < self.p else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top ↔ bottom with probability ``p``."""

    def __call__(self, img: Any) -> Any:
        return vflip(img) if self._rng().random() < self.p else img


class RandomCrop(_Random):
    """A random ``size`` = (h, w) window (an int for a square), after padding by ``padding``
    (see ``pad``) and, with ``pad_if_needed``, enough to fit the window."""

    def __init__(
        self,
        size: Any,
        padding: Any = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
        *,
        generator: Any = None,
    ) -> None:
        op = type(self).__name__
        self.size = _size_pair(size, op)
        if padding is not None:
            _parse_padding(padding, op)
        _check_padding_mode(padding_mode, op)
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode
        self.generator = generator
        self._rng()

    def __call__(self, img: Any) -> Any:
        op = type(self).__name__
        if self.padding is not None:
            img = pad(img, self.padding, self.fill, self.padding_mode)
        arr, _ = _image(img, op)
        height, width = arr.shape[-2:]
        th, tw = self.size
        if self.pad_if_needed and width < tw:
            img = pad(img, [tw - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < th:
            img = pad(img, [0, th - height], self.fill, self.padding_mode)
        arr, _ = _image(img, op)
        height, width = arr.shape[-2:]
        if height < th or width < tw:
            raise ValueError(
                f"{op}: required crop size {(th, tw)} is larger than input image size "
                f"{(height, width)}"
            )
        if (height, width) == (th, tw):
            return img
        rng = self._rng()
        i = int(rng.integers(0, height - th + 1))
        j = int(rng.integers(0, width - tw + 1))
        return crop(img, i, j, th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """The central ``size`` = (h, w) window (an int for a square); an image smaller than that is
    padded with zeros first. Offsets are rounded as torchvision rounds them."""

    def __init__(self, size: Any) -> None:
        self.size = _size_pair(size, type(self).__name__)

    def __call__(self, img: Any) -> Any:
        arr, _ = _image(img, type(self).__name__)
        h, w = arr.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            left, top = max(tw - w, 0) // 2, max(th - h, 0) // 2
            right, bottom = (max(tw - w, 0) + 1) // 2, (max(th - h, 0) + 1) // 2
            img = pad(img, [left, top, right, bottom])
            arr, _ = _image(img, type(self).__name__)
            h, w = arr.shape[-2:]
        return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad every side (see ``pad``)."""

    def __init__(self, padding: Any, fill: float = 0, padding_mode: str = "constant") -> None:
        op = type(self).__name__
        _parse_padding(padding, op)
        _check_padding_mode(padding_mode, op)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        return pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
            f"padding_mode={self.padding_mode})"
        )


# ---------------------------------------------------------------- geometry
class RandomRotation(_Random):
    """Rotate by an angle drawn uniformly from ``degrees`` = (min, max) (a number d: (−d, d)),
    counter-clockwise, about ``center``; see ``rotate``. torchvision's default interpolation is
    nearest; pass ``interpolation=InterpolationMode.BILINEAR`` for smooth images."""

    def __init__(
        self,
        degrees: Any,
        interpolation: Any = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Any = 0,
        *,
        generator: Any = None,
    ) -> None:
        op = type(self).__name__
        self.degrees = _setup_angle(degrees, "degrees", (2,), op)
        self.interpolation = _interpolation(interpolation, op)
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"{op}: center should be a sequence of length 2, got {center!r}")
        self.expand, self.center = expand, center
        self.fill = _check_fill(fill, op)
        self.generator = generator
        self._rng()

    def __call__(self, img: Any) -> Any:
        angle = float(self._rng().uniform(self.degrees[0], self.degrees[1]))
        return rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", interpolation={self.interpolation.value}, expand={self.expand}"
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(_Random):
    """Random rotation (``degrees``, clockwise), translation (``translate`` = (a, b): |dx| ≤
    a·W, |dy| ≤ b·H, whole pixels), ``scale`` = (min, max) and ``shear`` (a number s: x-shear
    in (−s, s); (min, max) for x; (xmin, xmax, ymin, ymax)); see ``affine``."""

    def __init__(
        self,
        degrees: Any,
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: Any = None,
        interpolation: Any = InterpolationMode.NEAREST,
        fill: Any = 0,
        center: Sequence[float] | None = None,
        *,
        generator: Any = None,
    ) -> None:
        op = type(self).__name__
        self.degrees = _setup_angle(degrees, "degrees", (2,), op)
        if translate is not None:
            if not isinstance(translate, Sequence) or len(translate) != 2:
                raise ValueError(
                    f"{op}: translate should be a sequence of length 2, got {translate!r}"
                )
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError(
                    f"{op}: translation values should be between 0 and 1, got {translate!r}"
                )
        if scale is not None:
            if not isinstance(scale, Sequence) or len(scale) != 2:
                raise ValueError(f"{op}: scale should be a sequence of length 2, got {scale!r}")
            if any(s <= 0 for s in scale):
                raise ValueError(f"{op}: scale values should be positive, got {scale!r}")
        self.translate, self.scale = translate, scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", (2, 4), op)
        self.interpolation = _interpolation(interpolation, op)
        self.fill = _check_fill(fill, op)
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"{op}: center should be a sequence of length 2, got {center!r}")
        self.center = center
        self.generator = generator
        self._rng()

    def get_params(
        self, height: int, width: int
    ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """(angle, (dx, dy), scale, (shear_x, shear_y)) for one call."""
        rng = self._rng()
        angle = float(rng.uniform(self.degrees[0], self.degrees[1]))
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            tx = int(round(rng.uniform(-max_dx, max_dx)))
            ty = int(round(rng.uniform(-max_dy, max_dy)))
        s = 1.0 if self.scale is None else float(rng.uniform(self.scale[0], self.scale[1]))
        shear_x = shear_y = 0.0
        if self.shear is not None:
            shear_x = float(rng.uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear_y = float(rng.uniform(self.shear[2], self.shear[3]))
        return angle, (tx, ty), s, (shear_x, shear_y)

    def __call__(self, img: Any) -> Any:
        arr, _ = _image(img, type(self).__name__)
        angle, translate, s, shear = self.get_params(*arr.shape[-2:])
        return affine(img, angle, translate, s, shear, self.interpolation, self.fill, self.center)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation is not InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"


# ---------------------------------------------------------------- blur and erasing
class GaussianBlur(_Random):
    """Blur with a Gaussian of ``kernel_size`` (kx, ky) and a σ drawn uniformly from ``sigma``
    = (min, max) (a number: fixed), the same σ along x and y; see ``gaussian_blur``."""

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0), *, generator: Any = None) -> None:
        op = type(self).__name__
        self.kernel_size = _size_pair(kernel_size, op, "kernel size")
        for k in self.kernel_size:
            if k <= 0 or k % 2 == 0:
                raise ValueError(
                    f"{op}: kernel size value should be an odd and positive number, "
                    f"got {kernel_size!r}"
                )
        if isinstance(sigma, numbers.Number) and not isinstance(sigma, bool):
            if sigma <= 0:
                raise ValueError(
                    f"{op}: if sigma is a single number, it must be positive, got {sigma}"
                )
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError(
                    f"{op}: sigma values should be positive and of the form (min, max), "
                    f"got {sigma!r}"
                )
        else:
            raise ValueError(
                f"{op}: sigma should be a single number or a list/tuple with length 2, "
                f"got {sigma!r}"
            )
        self.sigma = sigma
        self.generator = generator
        self._rng()

    def __call__(self, img: Any) -> Any:
        s = float(self._rng().uniform(self.sigma[0], self.sigma[1]))
        return gaussian_blur(img, self.kernel_size, [s, s])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing(_Random):
    """With probability ``p``, set a random rectangle of the image (..., C, H, W) to ``value``
    (a number, one per channel, or ``"random"``: standard normal noise): its area is a fraction
    in ``scale`` of the image's, its aspect ratio h/w log-uniform in ``ratio`` (Zhong et al.
    2017, as torchvision: up to 10 tries, else the image is returned unchanged)."""

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: Any = 0,
        inplace: bool = False,
        *,
        generator: Any = None,
    ) -> None:
        op = type(self).__name__
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError(
                f"{op}: argument value should be either a number or str or a sequence, "
                f"got {value!r}"
            )
        if isinstance(value, str) and value != "random":
            raise ValueError(f"{op}: if value is str, it should be 'random', got {value!r}")
        if not isinstance(scale, Sequence):
            raise TypeError(f"{op}: scale should be a sequence, got {scale!r}")
        if not isinstance(ratio, Sequence):
            raise TypeError(f"{op}: ratio should be a sequence, got {ratio!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn(f"{op}: scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"{op}: scale should be between 0 and 1, got {scale!r}")
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(
                f"{op}: random erasing probability should be between 0 and 1, got {p!r}"
            )
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace
        self.generator = generator
        self._rng()

    def get_params(self, img: Any, value: list[float] | None) -> tuple[int, int, int, int, Any]:
        """(i, j, h, w, v): the rectangle and what goes in it."""
        arr, _ = _image(img, type(self).__name__, min_ndim=3)
        C, H, W = arr.shape[-3:]
        area = H * W
        rng = self._rng()
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            erase_area = area * rng.uniform(self.scale[0], self.scale[1])
            aspect = math.exp(rng.uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < H and w < W):
                continue
            if value is None:
                v = rng.standard_normal((C, h, w)).astype(np.float32)
            else:
                v = np.asarray(value, dtype=np.float64)[:, None, None]
            i = int(rng.integers(0, H - h + 1))
            j = int(rng.integers(0, W - w + 1))
            return i, j, h, w, v
        return 0, 0, H, W, None  # no rectangle found: nothing is erased

    def __call__(self, img: Any) -> Any:
        op = type(self).__name__
        arr, _ = _image(img, op, min_ndim=3)
        if self._rng().random() >= self.p:
            return img
        if isinstance(self.value, numbers.Number):
            value: list[float] | None = [float(self.value)]
        elif isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, arr.shape[-3]):
            raise ValueError(
                f"{op}: if value is a sequence, it should have either a single value or "
                f"{arr.shape[-3]} (number of input channels), got {self.value!r}"
            )
        i, j, h, w, v = self.get_params(img, value)
        if v is None:
            return img
        return erase(img, i, j, h, w, v)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )
