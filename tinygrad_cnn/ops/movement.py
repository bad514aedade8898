"""Shape and indexing primitives. Each one's backward is another primitive of this file:
GetItem ↔ IndexAdd, Pad → GetItem, CircularPad ↔ CircularFold, Cat → GetItem, Permute →
Permute, Expand → Sum."""

from __future__ import annotations

from ..backend import scatter_add
from ..function import Function
from .elementwise import sum_to
from .workspace import empty_like, empty_ordered

__all__ = [
    "Reshape",
    "Permute",
    "Expand",
    "GetItem",
    "IndexAdd",
    "IndexPut",
    "Pad",
    "CircularPad",
    "CircularFold",
    "Cat",
    "is_basic_index",
]


def is_basic_index(index: tuple) -> bool:
    """True when ``index`` selects a view (ints, slices, None, ...) with no repeated elements."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)


class Reshape(Function):
    view = True

    def forward(self, x, *, shape):
        return x.reshape(shape)

    def backward(self, grad_out):
        return grad_out.reshape(self.inputs[0].shape)


class Permute(Function):
    view = True

    def forward(self, x, *, dims):
        return x.transpose(dims)

    def backward(self, grad_out):
        dims = self.params["dims"]
        inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return grad_out.permute(*inverse)


class Expand(Function):
    view = True

    def forward(self, x, *, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, grad_out):
        return sum_to(grad_out, self.inputs[0].shape)


class GetItem(Function):
    """``x[index]`` for a normalised index tuple (arrays for advanced parts)."""

    view = True

    def forward(self, x, *, index):
        if not any(i is Ellipsis for i in index):
            index = index + (Ellipsis,)  # x[0, ...] is a 0-d view where x[0] is a scalar copy
        return x[index]

    def backward(self, grad_out):
        return IndexAdd.apply(grad_out, index=self.params["index"], shape=self.inputs[0].shape)


class IndexAdd(Function):
    """zeros(shape) with ``values`` added at ``index`` (repeated indices accumulate)."""

    def forward(self, values, *, index, shape):
        out = self.xp.zeros(shape, dtype=values.dtype)
        if is_basic_index(index):
            out[index] = values
        else:
            scatter_add(out, index, values)
        return out

    def backward(self, grad_out):
        return GetItem.apply(grad_out, index=self.params["index"])


class IndexPut(Function):
    """``x`` with ``x[index] = values``; ``values`` has the shape of ``x[index]``."""

    def forward(self, x, values, *, index):
        out = x.copy()
        out[index] = values
        return out

    def backward(self, grad_out):
        index = self.params["index"]
        x, values = self.inputs
        grad_x = None
        if x.requires_grad:  # the overwritten elements had no effect
            zeros = type(grad_out)._make(self.xp.zeros(values.shape, dtype=grad_out.dtype))
            grad_x = IndexPut.apply(grad_out, zeros, index=index)
        grad_values = GetItem.apply(grad_out, index=index) if values.requires_grad else None
        return grad_x, grad_values


class Pad(Function):
    """Constant padding; ``widths`` is one (before, after) pair per axis, all non-negative."""

    def forward(self, x, *, widths, value=0.0):
        return self.xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, grad_out):
        index = tuple(
            slice(lo, n + lo) for (lo, _), n in zip(self.params["widths"], self.inputs[0].shape)
        )
        return GetItem.apply(grad_out, index=index)


class CircularPad(Function):
    """Periodic padding (a torus): ``widths`` is one (before, after) pair per axis, each at
    most the axis' length. One output array: the interior copied once, then each axis' borders
    copied from the opposite side, axis by axis (later axes see earlier axes padded), which is
    what concatenating wrapped slices gives, without their full-size temporaries."""

    def forward(self, x, *, widths):
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, widths))
        out = empty_ordered(x, padded, x.dtype)  # x's memory order
        inner = tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape, widths))
        out[inner] = x
        for axis, (lo, hi) in enumerate(widths):
            n = x.shape[axis]
            head, tail = (slice(None),) * axis, inner[axis + 1 :]
            if lo:  # padded positions [0, lo) hold x[n - lo:], at padded [n, n + lo)
                out[head + (slice(0, lo),) + tail] = out[head + (slice(n, n + lo),) + tail]
            if hi:  # [lo + n, lo + n + hi) hold x[:hi], at padded [lo, lo + hi)
                out[head + (slice(lo + n, lo + n + hi),) + tail] = out[
                    head + (slice(lo, lo + hi),) + tail
                ]
        return out

    def backward(self, grad_out):
        return CircularFold.apply(grad_out, widths=self.params["widths"])


class CircularFold(Function):
    """The adjoint of ``CircularPad``: each border of a padded array added onto the side it
    was copied from, then cropped to the interior (axes in reverse order)."""

    def forward(self, g, *, widths):
        cur = empty_like(g)
        cur[...] = g
        for axis in reversed(range(len(widths))):
            lo, hi = widths[axis]
            n = cur.shape[axis] - lo - hi
            head = (slice(None),) * axis
            if lo:
                cur[head + (slice(n, n + lo),)] += cur[head + (slice(0, lo),)]
            if hi:
                cur[head + (slice(lo, lo + hi),)] += cur[head + (slice(lo + n, lo + n + hi),)]
            cur = cur[head + (slice(lo, lo + n),)]
        return cur

    def backward(self, grad_out):
        return CircularPad.apply(grad_out, widths=self.params["widths"])


class Cat(Function):
    def forward(self, *xs, axis):
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, grad_out):
        axis = self.params["axis"]
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(GetItem.apply(grad_out, index=index) if x.requires_grad else None)
            start = stop
        return tuple(grads)
