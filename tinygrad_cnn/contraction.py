"""Products of tensors as ``torch.<name>``: ``einsum``, ``tensordot``, ``matmul``, ``mm``,
``bmm``, ``mv``, ``dot``, plus ``meshgrid`` and ``cdist``.

``einsum`` adds no primitive: it takes repeated labels of one operand as a diagonal (an
index), sums the labels nobody else needs, and contracts the operands two at a time with
permute, expand, reshape and one batched matmul. So its gradients, and their gradients, are
those of these primitives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .ops.indexing import check_dim, check_tensor
from .shape_ops import diagonal, norm
from .tensor import Tensor

__all__ = ["einsum", "tensordot", "matmul", "mm", "bmm", "mv", "dot", "meshgrid", "cdist"]

Label = Any  # a letter, or a negative int for the k-th axis (from the right) of an ellipsis


# ---------------------------------------------------------------- einsum
def _parse_term(term: str, x: Tensor, k: int) -> list[Label]:
    """One operand's subscripts as labels (an ellipsis expands to negative ints)."""
    if term.count("...") > 1 or term.replace("...", "").count(".") > 0:
        raise RuntimeError(f"einsum(): operand {k} subscript {term!r} has an invalid ellipsis")
    letters = term.replace("...", "")
    for c in letters:
        if not c.isalpha():
            raise RuntimeError(
                f"einsum(): invalid subscript {c!r} in {term!r}; subscripts are letters [a-zA-Z]"
            )
    if "..." not in term:
        if len(letters) != x.ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in {term!r} ({len(letters)}) does not "
                f"match the number of dimensions of operand {k} ({x.ndim}, shape {x.shape})"
            )
        return list(letters)
    n_ell = x.ndim - len(letters)
    if n_ell < 0:
        raise RuntimeError(
            f"einsum(): operand {k} has {x.ndim} dimensions but {term!r} names {len(letters)}"
        )
    head, tail = term.split("...")
    return list(head) + list(range(-n_ell, 0)) + list(tail)


def _take_diagonals(x: Tensor, labels: list[Label]) -> tuple[Tensor, list[Label]]:
    """A label repeated within one operand: keep only its diagonal (one axis, last)."""
    while len(set(labels)) != len(labels):
        label = next(lab for lab in labels if labels.count(lab) > 1)
        i = labels.index(label)
        j = labels.index(label, i + 1)
        if x.shape[i] != x.shape[j]:
            raise RuntimeError(
                f"einsum(): subscript {label!r} is repeated for dimensions of sizes "
                f"{x.shape[i]} and {x.shape[j]}"
            )
        x = diagonal(x, 0, i, j)
        labels = [lab for k, lab in enumerate(labels) if k not in (i, j)] + [label]
    return x, labels


def _sum_out(x: Tensor, labels: list[Label], keep: set) -> tuple[Tensor, list[Label]]:
    axes = tuple(i for i, lab in enumerate(labels) if lab not in keep)
    if not axes:
        return x, labels
    return x.sum(axes), [lab for lab in labels if lab in keep]


def _contract(
    a: Tensor, la: list[Label], b: Tensor, lb: list[Label], keep: set
) -> tuple[Tensor, list[Label]]:
    """a ⊗ b summed over the shared labels not in ``keep``, as one batched matmul."""
    a, la = _sum_out(a, la, keep | set(lb))
    b, lb = _sum_out(b, lb, keep | set(la))
    batch = [lab for lab in la if lab in lb and lab in keep]
    summed = [lab for lab in la if lab in lb and lab not in keep]
    left = [lab for lab in la if lab not in lb]
    right = [lab for lab in lb if lab not in la]
    size: dict = {}
    for x, labels in ((a, la), (b, lb)):
        for lab, n in zip(labels, x.shape):
            m = size.get(lab)
            if m is None or m == 1:
                size[lab] = n
            elif n not in (1, m):
                raise RuntimeError(
                    f"einsum(): subscript {lab!r} has size {n} for one operand and {m} for "
                    "another, which do not broadcast"
                )
    a = a.permute(*[la.index(lab) for lab in batch + left + summed])
    a = a.expand(*[size[lab] for lab in batch], *a.shape[len(batch) : len(batch) + len(left)],
                 *[size[lab] for lab in summed])  # fmt: skip
    b = b.permute(*[lb.index(lab) for lab in batch + summed + right])
    b = b.expand(*[size[lab] for lab in batch + summed], *b.shape[len(batch) + len(summed) :])
    nb = math.prod(size[lab] for lab in batch)
    nl = math.prod(a.shape[len(batch) : len(batch) + len(left)])
    ns = math.prod(size[lab] for lab in summed)
    nr = math.prod(b.shape[len(batch) + len(summed) :])
    out_shape = tuple(a.shape[: len(batch) + len(left)]) + tuple(
        b.shape[len(batch) + len(summed) :]
    )
    out = a.reshape(nb, nl, ns) @ b.reshape(nb, ns, nr)  # (batch, left, right)
    return out.reshape(out_shape), batch + left + right


def _from_sublists(args: tuple) -> tuple[str, tuple]:
    """``(x, [0, 1], y, [1, 2], [0, 2])`` → ``("ab,bc->ac", (x, y))``."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def term(sublist) -> str:
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < len(letters):
                out.append(letters[s])
            else:
                raise RuntimeError(
                    f"einsum(): subscript in sublist format must be in range [0, 52), got {s!r}"
                )
        return "".join(out)

    pairs = len(args) // 2  # (operand, sublist) pairs, then maybe the output sublist
    operands, terms = args[0 : 2 * pairs : 2], args[1 : 2 * pairs : 2]
    if not all(isinstance(t, (list, tuple)) for t in terms):
        raise RuntimeError("einsum(): in sublist format, each operand needs a sublist")
    equation = ",".join(term(t) for t in terms)
    if len(args) % 2:
        equation += "->" + term(args[-1])
    return equation, tuple(operands)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over the labelled axes, as ``torch.einsum``: ``"ij,jk->ik"`` is a
    matrix product, ``"ii->i"`` a diagonal, ``"...ij->...ji"`` a batched transpose; without
    ``->`` the output holds the labels used once, in alphabetical order (after the
    ellipsis). Operands may also be passed as one list, or in the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (ints for labels, ``...`` for an ellipsis)."""
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    operands = tuple(
        x if isinstance(x, Tensor) else operands[0]._lift(x) if isinstance(operands[0], Tensor)
        else Tensor(x) for x in operands
    )  # fmt: skip
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError(
            f"einsum(): {equation!r} has {len(terms)} operand subscripts but "
            f"{len(operands)} operands were given"
        )
    labels = [_parse_term(t, x, k) for k, (t, x) in enumerate(zip(terms, operands))]
    n_ell = max(-min((lab for lab in ls if isinstance(lab, int)), default=0) for ls in labels)
    ellipsis = list(range(-n_ell, 0))
    if arrow:
        if rhs.count("...") > 1 or rhs.replace("...", "").count("."):
            raise RuntimeError(f"einsum(): the output subscript {rhs!r} has an invalid ellipsis")
        letters = rhs.replace("...", "")
        for c in letters:
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid output subscript {c!r} in {rhs!r}")
            if not any(c in ls for ls in labels):
                raise RuntimeError(
                    f"einsum(): output subscript {c!r} does not appear in the equation for any "
                    "input operand"
                )
        if len(set(letters)) != len(letters):
            raise RuntimeError(f"einsum(): output subscript {rhs!r} repeats a subscript")
        if "..." in rhs:
            head, tail = rhs.split("...")
            output = list(head) + ellipsis + list(tail)
        else:
            output = list(letters)
    else:
        every = [lab for ls in labels for lab in ls if not isinstance(lab, int)]
        output = ellipsis + sorted({c for c in every if every.count(c) == 1})

    parts = []
    for x, ls in zip(operands, labels):
        x, ls = _take_diagonals(x, ls)
        parts.append((x, ls))
    # sum what only one operand has and the output does not need, then contract in order
    result, rl = parts[0]
    rest = parts[1:]
    needed = set(output).union(*[set(ls) for _, ls in rest])
    result, rl = _sum_out(result, rl, needed)
    for k, (x, ls) in enumerate(rest):
        keep = set(output).union(*[set(lab) for _, lab in rest[k + 1 :]])
        result, rl = _contract(result, rl, x, ls, keep)
    result, rl = _sum_out(result, rl, set(output))
    return result.permute(*[rl.index(lab) for lab in output]) if output else result.reshape(())


# ---------------------------------------------------------------- named products
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum over the last ``dims`` axes of ``a`` and the first ``dims`` of ``b`` (an int), or
    over the axes paired in ``dims = (axes_of_a, axes_of_b)``."""
    check_tensor(a, "tensordot", "a")
    b = a._lift(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(
                f"tensordot: dims={dims} is larger than the dimensions of {a.shape} or {b.shape}"
            )
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError(
                f"tensordot: both dimension lists should have the same length, got {da}, {db}"
            )
        da = [check_dim(d, a.ndim, "tensordot") for d in da]
        db = [check_dim(d, b.ndim, "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size "
                f"{a.shape[i]} in dim {i} and second has size {b.shape[j]} in dim {j}"
            )
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    n = math.prod(a.shape[d] for d in da)
    left = a.permute(*free_a, *da).reshape(-1 if free_a else 1, n)
    right = b.permute(*db, *free_b).reshape(n, -1 if free_b else 1)
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return (left @ right).reshape(shape)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with broadcasting, as the ``@`` operator."""
    check_tensor(input, "matmul")
    return input.matmul(other)


def _need(x: Tensor, ndim: int, op: str, what: str) -> None:
    if x.ndim != ndim:
        raise RuntimeError(f"{op}: {what} must be {ndim}-d, got shape {x.shape}")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (no broadcasting)."""
    check_tensor(input, "mm")
    mat2 = input._lift(mat2)
    _need(input, 2, "mm", "self")
    _need(mat2, 2, "mm", "mat2")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mm: mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} "
            f"and {mat2.shape[0]}x{mat2.shape[1]})"
        )
    return input @ mat2


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix products of (B, n, m) and (B, m, p) (no broadcasting)."""
    check_tensor(input, "bmm")
    mat2 = input._lift(mat2)
    _need(input, 3, "bmm", "batch1")
    _need(mat2, 3, "bmm", "batch2")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(
            f"bmm: shapes {input.shape} and {mat2.shape} do not match (expected (B, n, m) and "
            "(B, m, p))"
        )
    return input @ mat2


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """A matrix times a vector."""
    check_tensor(input, "mv")
    vec = input._lift(vec)
    _need(input, 2, "mv", "the matrix")
    _need(vec, 1, "mv", "the vector")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got matrix {input.shape} and vector {vec.shape}")
    return input @ vec


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-d tensors of one size (a 0-d tensor)."""
    check_tensor(input, "dot")
    other = input._lift(other)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(
            f"dot: 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors"
        )
    if input.shape != other.shape:
        raise RuntimeError(
            f"dot: inconsistent tensor size, expected tensor {input.shape} and src "
            f"{other.shape} to have the same number of elements"
        )
    return input @ other


# ---------------------------------------------------------------- grids and distances
def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors: with ``indexing="ij"`` output k varies along axis
    k; with ``"xy"`` the first two axes are swapped (Cartesian, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    ts = []
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"meshgrid: expects tensors, got {type(t).__name__} at {k}")
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {t.shape}")
        ts.append(t.reshape(-1))
    sizes = [t.shape[0] for t in ts]
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) >= 2:
        axes[0], axes[1] = 1, 0  # input k varies along axis axes[k]
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, axis in zip(ts, axes):
        shape = [1] * len(ts)
        shape[axis] = t.shape[0]
        out.append(t.reshape(shape).expand(*sizes))
    return tuple(out)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """The p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M):
    a (..., P, R) tensor (batch axes broadcast). The gradient at a zero distance is 0."""
    check_tensor(x1, "cdist", "x1")
    x2 = x1._lift(x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(
            f"cdist: only supports at least 2D tensors, got {x1.ndim}D and {x2.ndim}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: x1 and x2 must have the same number of columns, got {x1.shape[-1]} and "
            f"{x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError(f"cdist: only supports non-negative p values, got {p}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return norm(diff, p, dim=-1)
