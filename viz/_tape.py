"""What the instruments (``explain``, ``check``, ``lint``) share: the traced graph next to the
tensors it was traced from, and short names for tensors."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

import tinygrad_cnn as tg

from .trace import Graph, trace

__all__ = ["Tape", "caller_names", "small_values", "tape"]


class Tape:
    """A traced :class:`Graph` and, for each of its nodes, the tensor it stands for."""

    def __init__(self, graph: Graph, tensors: list[Any], names: dict[int, str]) -> None:
        self.graph = graph
        self.tensors = tensors
        self.names = names

    def name(self, i: int) -> str:
        """A tensor's variable or parameter name when known, else its node id."""
        t = self.tensors[i]
        nd = self.graph.nodes[i]
        if t is not None and id(t) in self.names:
            return self.names[id(t)]
        if nd.name:
            return nd.name
        if nd.kind == "const" and nd.const is not None:
            return nd.const
        return nd.id

    def inputs(self, i: int) -> list[int]:
        """Node indices of node ``i``'s inputs, by slot."""
        return [e.src for e in sorted(self.graph.in_edges(i), key=lambda e: e.slot)]


def _match(g: Graph, roots: list[tg.Tensor]) -> list[Any]:
    """The tensor behind each node, found by walking from the roots along the edges (each edge
    ``slot`` is the input position, so node ``i``'s inputs are its tensor's ``parents``)."""
    found: list[Any] = [None] * len(g.nodes)
    stack = list(zip(g.roots, roots, strict=True))
    while stack:
        i, t = stack.pop()
        if found[i] is not None:
            continue
        found[i] = t
        parents = t.parents
        for e in g.in_edges(i):
            if e.slot < len(parents):
                stack.append((e.src, parents[e.slot]))
    return found


def tape(root: tg.Tensor, names: dict[int, str] | None = None) -> Tape:
    """Trace ``root`` (without gradients) and pair each node with its tensor."""
    if not isinstance(root, tg.Tensor):
        raise TypeError(f"expected a Tensor, got {type(root).__name__}")
    g = trace(root, grads=False)
    return Tape(g, _match(g, [root]), names or {})


def caller_names(depth: int = 2) -> dict[int, str]:
    """Variable names of the tensors in the frame ``depth`` levels up (the user's code):
    ``{id(tensor): name}``, for names that stand for one tensor only."""
    frame = sys._getframe(depth)
    names: dict[int, str] = {}
    clash: set[int] = set()
    for scope in (frame.f_globals, frame.f_locals):
        for name, value in list(scope.items()):
            if isinstance(value, tg.Tensor) and not name.startswith("_"):
                key = id(value)
                if key in names and names[key] != name:
                    clash.add(key)
                names[key] = name
    for key in clash:
        del names[key]
    return names


def small_values(t: Any, limit: int = 8) -> list[float] | float | None:
    """The values of a tensor of at most ``limit`` entries (a float for a 0-d one)."""
    if t is None or t.numel() > limit:
        return None
    a = np.asarray(t.numpy(), dtype=np.float64)
    return float(a) if a.ndim == 0 else a.tolist()
