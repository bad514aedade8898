"""One options object for every view: :func:`viz.to_dot`, :func:`viz.show`,
:func:`viz.render` and :func:`viz.graph` take ``options=ViewOptions(...)`` and/or the same
fields as keyword arguments (keywords win)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .group import as_graph

__all__ = ["ViewOptions"]


@dataclass(frozen=True)
class ViewOptions:
    """How to trace, fold and draw a graph.

    Attributes:
        depth: fold ops into one node per module (or function) call at this depth
            (0 = outermost module; 1 = its children, and ``cross_entropy`` as one box);
            ``None`` (default) draws every op.
        show_grads: gradient norms and colours; ``None`` (default): when gradients exist
            (``True`` also computes intermediate gradients, see :func:`viz.trace`).
        show_values: value statistics (and full gradient statistics) in each node.
        show_saved: bytes each op keeps for backward.
        collapse: merge repeated identical blocks into ``× n`` (default: when folding).
        consts: draw Python-number constants as nodes instead of inside op labels.
        clusters: (DOT) draw module calls as nested clusters.
        rankdir: (DOT) ``"TB"`` (top to bottom, default) or ``"LR"``.
        layout: (terminal) ``"auto"``, ``"lanes"`` or ``"boxes"``.
        title: a heading for the drawing.
        vanish, explode: gradient-norm thresholds of the colour scale (and ``explode`` of
            the exploding flag).
        model: the model (or its parameters); parameters not in the graph are listed.
    """

    depth: int | None = None
    show_grads: bool | None = None
    show_values: bool = False
    show_saved: bool = False
    collapse: bool | None = None
    consts: bool = False
    clusters: bool = True
    rankdir: str = "TB"
    layout: str = "auto"
    title: str | None = None
    vanish: float = 1e-6
    explode: float = 1e3
    model: Any = None

    @classmethod
    def make(cls, options: ViewOptions | None, caller: str, **overrides: Any) -> ViewOptions:
        """``options`` (or the defaults) with ``overrides``; unknown names are a TypeError
        naming ``caller``."""
        base = options if options is not None else cls()
        if not isinstance(base, cls):
            raise TypeError(
                f"{caller}: options must be a viz.ViewOptions, got {type(options).__name__}"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(
                f"{caller}: unexpected keyword argument(s) {', '.join(unknown)}; the options "
                f"are {', '.join(sorted(names))}"
            )
        return dataclasses.replace(base, **overrides) if overrides else base

    def graph_of(self, x: Any) -> Any:
        """The graph to draw: ``x`` traced (or taken as is), constants inlined, folded."""
        return as_graph(
            x,
            depth=self.depth,
            collapse=self.collapse,
            consts=self.consts,
            grads=self.show_grads,
            values=self.show_values,
            vanish=self.vanish,
            explode=self.explode,
            model=self.model,
        )
