"""Group-equivariant convolutions (Cohen & Welling, "Group Equivariant Convolutional Networks",
ICML 2016) for the group p4 (translations and rotations by 90°) and p4m (p4 and mirror
reflections), and pooling over the group axis.

A feature map on a group has a group axis: ``(N, C, G, H, W)`` with ``G = 4`` for p4 and
``G = 8`` for p4m. Every layer transforms one filter bank by the group elements — rotating and
mirroring its spatial axes and permuting its group axis — and calls ``conv2d`` once, so its
gradients (of every order) come from ordinary Tensor operations.

**The convention.** ``R`` is a rotation of the spatial axes by 90°, ``rot90(x, 1, dims=(-2,
-1))`` (as ``torch.rot90``: from the row axis towards the column axis — anticlockwise as an
image is drawn, row 0 at the top), and ``M`` is the mirror ``flip(x, dims=(-1,))`` (left ↔
right). The group element at index ``r + 4·m`` of the group axis is ``R^r M^m`` (mirror first,
then rotate; p4 has only ``m = 0``), with ``M R M = R⁻¹``. A group element ``k`` acts on an
image by transforming it, and on a feature map ``f`` on the group by
``(k·f)[g] = k(f[k⁻¹g])``: every map is transformed spatially *and* the group axis is
permuted. Every layer here is equivariant, ``layer(k·x) = k·layer(x)``. Concretely:

- rotating the input by 90° (k = R) rotates every output map by 90° and shifts the group axis
  cyclically by one: ``out'[:, :, r] = rot90(out[:, :, r − 1])`` (indices mod 4), that is
  ``out' = roll(rot90(out), 1, dim=2)`` for p4; for p4m each half (m = 0 and m = 1) rolls by
  one in the same way;
- mirroring the input (k = M, p4m) mirrors every output map, swaps the two halves and reverses
  the rotation index: ``out'[:, :, r + 4m] = flip(out[:, :, (−r mod 4) + 4(1 − m)])``.

**Exactness.** Rotations map the pixel grid to itself only if the geometry is square-symmetric:
square kernels (required), the same stride, padding and dilation along both axes (required),
``padding="same"`` only for an odd (dilated) kernel (required: an even one pads unevenly), and
a square input (``H == W``) for rotations (mirroring needs nothing more). A stride ``S > 1``
keeps every ``S``-th output; the kept grid is carried onto itself by a rotation only when
``(H + 2P − D(K − 1) − 1)`` is divisible by ``S`` — choose the padding so that it is, or the
equivariance is broken (as a stride breaks translation equivariance).
"""

from __future__ import annotations

from typing import Any

from ..autograd import functional_scope
from ..tensor import Tensor, stack
from ._args import IntPair, _pair, _same_dtype, _tensor
from .conv import conv2d

__all__ = [
    "p4_conv_z2",
    "p4_conv_p4",
    "p4m_conv_z2",
    "p4m_conv_p4m",
    "group_max_pool",
    "group_avg_pool",
]

# The group elements (r, m) = R^r M^m at group-axis index r + 4m.
_P4 = tuple((r, 0) for r in range(4))
_P4M = tuple((r, m) for m in range(2) for r in range(4))
_GROUPS = {"p4": _P4, "p4m": _P4M}


def _compose(g: tuple[int, int], h: tuple[int, int]) -> tuple[int, int]:
    """g·h for g = R^a M^m, h = R^b M^n: R^a M^m R^b M^n = R^(a + (−1)^m b) M^(m + n)."""
    (a, m), (b, n) = g, h
    return (a + (-b if m else b)) % 4, (m + n) % 2


def _inverse(g: tuple[int, int]) -> tuple[int, int]:
    r, m = g
    return (r, 1) if m else ((-r) % 4, 0)  # a mirrored element is its own inverse


def _transform(w: Tensor, g: tuple[int, int]) -> Tensor:
    """The spatial action of g = R^r M^m on the last two axes: mirror, then rotate."""
    r, m = g
    if m:
        w = w.flip(-1)
    return w.rot90(r, dims=(-2, -1)) if r else w


def _filter_bank(weight: Tensor, elements: tuple, lifting: bool) -> Tensor:
    """The filter of every output group element g, stacked into one conv2d weight.

    Lifting: weight (OC, C, K, K) → (OC·G, C, K, K), filter g = g(weight).
    Group to group: weight (OC, C, G, K, K) → (OC·G, C·G, K, K), filter g at input element h
    = g(weight[:, :, index of g⁻¹h]) — the filter as a function on the group, moved by g.
    """
    OC, C = weight.shape[:2]
    K = weight.shape[-1]
    index = {g: i for i, g in enumerate(elements)}
    filters = []
    for g in elements:
        if lifting:
            filters.append(_transform(weight, g))
        else:
            perm = [index[_compose(_inverse(g), h)] for h in elements]
            filters.append(_transform(weight[:, :, perm], g))
    G = len(elements)
    bank = stack(filters, 1)  # (OC, G, C, K, K) or (OC, G, C, G, K, K)
    return bank.reshape(OC * G, C * (1 if lifting else G), K, K)


def _symmetric(value: IntPair, name: str, op: str, minimum: int) -> int:
    pair = _pair(value, name, op, minimum)
    if pair[0] != pair[1]:
        raise ValueError(
            f"{op}: {name} must be the same along both axes for the layer to be equivariant, "
            f"got {value!r}"
        )
    return pair[0]


def _geometry(
    op: str, kernel_size: int, stride: IntPair, padding: IntPair | str, dilation: IntPair
) -> tuple[int, int | str, int]:
    """(stride, padding, dilation) as single values, checked to keep the layer equivariant:
    the same along both axes, and ``"same"`` only where it pads evenly (odd dilated kernel,
    stride 1). The layers call it at construction, so a bad layer fails where it is made."""
    stride_ = _symmetric(stride, "stride", op, 1)
    dilation_ = _symmetric(dilation, "dilation", op, 1)
    if not isinstance(padding, str):
        return stride_, _symmetric(padding, "padding", op, 0), dilation_
    if padding not in ("same", "valid"):
        raise ValueError(
            f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
        )
    if padding == "same" and stride_ != 1:
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
    if padding == "same" and dilation_ * (kernel_size - 1) % 2:
        raise ValueError(
            f"{op}: padding='same' with an even (dilated) kernel of size "
            f"{dilation_ * (kernel_size - 1) + 1} pads unevenly and breaks the equivariance"
        )
    return stride_, padding, dilation_


def _group_conv(
    op: str,
    group: str,
    lifting: bool,
    input: Any,
    weight: Any,
    bias: Any,
    stride: IntPair,
    padding: IntPair | str,
    dilation: IntPair,
) -> Tensor:
    elements = _GROUPS[group]
    G = len(elements)
    x = _tensor(input, "input", op)
    w = _tensor(weight, "weight", op)
    b = None if bias is None else _tensor(bias, "bias", op)
    layout = "(N, C, H, W)" if lifting else f"(N, C, {G}, H, W)"
    w_layout = "(OC, C, K, K)" if lifting else f"(OC, C, {G}, K, K)"
    if x.ndim != (4 if lifting else 5):
        raise RuntimeError(f"{op}: expected input {layout}, got shape {x.shape}")
    if not lifting and x.shape[2] != G:
        raise RuntimeError(
            f"{op}: the group axis (dim 2) of the input must have size {G} for {group}, got "
            f"shape {x.shape}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    if w.ndim != len(w_layout.split(",")) or (not lifting and w.shape[2] != G):
        raise RuntimeError(f"{op}: weight must have shape {w_layout}, got {w.shape}")
    if w.shape[-1] != w.shape[-2]:
        raise RuntimeError(
            f"{op}: the kernel must be square so that rotated filters fit, got weight shape "
            f"{w.shape}"
        )
    OC, C, K = w.shape[0], w.shape[1], w.shape[-1]
    if x.shape[1] != C:
        raise RuntimeError(
            f"{op}: input has {x.shape[1]} channels but weight expects {C} (input shape "
            f"{x.shape}, weight shape {w.shape})"
        )
    if b is not None and b.shape != (OC,):
        raise RuntimeError(f"{op}: bias must have shape ({OC},), got {b.shape}")
    _same_dtype(op, input=x, weight=w, bias=b)
    stride_, padding_, dilation_ = _geometry(op, K, stride, padding, dilation)
    H, W = x.shape[-2:]
    # (N, C, G, H, W) → (N, C·G, H, W): the channel index is c·G + h, matching the bank
    x2 = x if lifting else x.reshape(x.shape[0], C * G, H, W)
    bank = _filter_bank(w, elements, lifting)
    b2 = None if b is None else b.reshape(OC, 1).expand(OC, G).reshape(OC * G)  # shared over G
    out = conv2d(x2, bank, b2, stride_, padding_, dilation_)
    return out.reshape(x.shape[0], OC, G, *out.shape[-2:])  # (N, OC, G, OH, OW)


@functional_scope("p4_conv_z2")
def p4_conv_z2(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """The lifting convolution to p4: images (N, C, H, W) → (N, OC, 4, OH, OW).

    ``out[:, o, r] = conv2d(input, R^r weight)[:, o] + bias[o]``: the correlation with the
    filter rotated by r·90°. weight (OC, C, K, K), square; bias (OC,) or None, one per output
    channel, the same for every rotation. stride, padding (int, equal pair, "valid", or "same"
    for an odd kernel) and dilation as in ``conv2d``; OH as there. The convention (and when a
    stride keeps the equivariance exact) is in this module's docstring.
    """
    return _group_conv("p4_conv_z2", "p4", True, input, weight, bias, stride, padding, dilation)


@functional_scope("p4_conv_p4")
def p4_conv_p4(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """The group convolution on p4: (N, C, 4, H, W) → (N, OC, 4, OH, OW).

    ``out[:, o, r] = Σ_s conv2d(input[:, :, s], R^r weight[:, :, (s − r) mod 4])[:, o]
    + bias[o]``: the filter, a function on the group, moved by the rotation r (its maps
    rotated, its group axis rolled by r). weight (OC, C, 4, K, K); bias (OC,) or None. Other
    arguments as in ``p4_conv_z2``.
    """
    return _group_conv("p4_conv_p4", "p4", False, input, weight, bias, stride, padding, dilation)


@functional_scope("p4m_conv_z2")
def p4m_conv_z2(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """The lifting convolution to p4m: images (N, C, H, W) → (N, OC, 8, OH, OW).

    ``out[:, o, r + 4m] = conv2d(input, R^r M^m weight)[:, o] + bias[o]`` with M the mirror
    ``flip(dims=(-1,))`` applied before the rotation. weight (OC, C, K, K); bias (OC,) or None.
    Other arguments as in ``p4_conv_z2``.
    """
    return _group_conv("p4m_conv_z2", "p4m", True, input, weight, bias, stride, padding, dilation)


@functional_scope("p4m_conv_p4m")
def p4m_conv_p4m(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
) -> Tensor:
    """The group convolution on p4m: (N, C, 8, H, W) → (N, OC, 8, OH, OW).

    ``out[:, o, g] = Σ_h conv2d(input[:, :, h], g(weight[:, :, g⁻¹h]))[:, o] + bias[o]`` over
    the eight elements g, h = R^r M^m (index r + 4m). weight (OC, C, 8, K, K); bias (OC,) or
    None. Other arguments as in ``p4_conv_z2``.
    """
    return _group_conv("p4m_conv_p4m", "p4m", False, input, weight, bias, stride, padding, dilation)


def _group_pool(op: str, input: Any, reduce: str) -> Tensor:
    x = _tensor(input, "input", op)
    if x.ndim != 5:
        raise RuntimeError(f"{op}: expected input (N, C, G, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got {x.dtype}")
    return x.amax(dim=2) if reduce == "max" else x.mean(dim=2)


@functional_scope("group_max_pool")
def group_max_pool(input: Tensor) -> Tensor:
    """The maximum over the group axis: (N, C, G, H, W) → (N, C, H, W).

    A group element permutes the group axis and transforms each map, so the result transforms
    like an image: it is rotated (and mirrored) with the input, without a shift of any axis."""
    return _group_pool("group_max_pool", input, "max")


@functional_scope("group_avg_pool")
def group_avg_pool(input: Tensor) -> Tensor:
    """The mean over the group axis: (N, C, G, H, W) → (N, C, H, W); transforms like an image,
    as ``group_max_pool``."""
    return _group_pool("group_avg_pool", input, "mean")
