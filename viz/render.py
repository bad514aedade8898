"""Drawing DOT through Graphviz (SVG/PNG/PDF), and the notebook-friendly :class:`GraphView`.

The ``graphviz`` Python package only runs the ``dot`` program; when ``dot`` is not
installed, :func:`render` says so in one line (with how to install it), writes the DOT text
next to the requested file, and returns that path instead of raising.
"""

from __future__ import annotations

import html
import io
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from .dot import to_dot
from .graph import Graph
from .options import ViewOptions
from .terminal import graph_renderable

__all__ = [
    "DOT_MISSING_HINT",
    "DotNotFound",
    "GraphView",
    "dot_available",
    "graph",
    "render",
    "render_bytes",
]

DOT_MISSING_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS), or `conda install graphviz`"
)
_FORMATS = {"svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps"}


class DotNotFound(RuntimeError):
    """The Graphviz ``dot`` program (or the ``graphviz`` package) is missing."""


def render_bytes(dot_text: str, fmt: str = "svg") -> bytes:
    """Run ``dot -T<fmt>`` on DOT text through the ``graphviz`` package.

    Raises :class:`DotNotFound` when the package or the ``dot`` program is missing.
    """
    try:
        import graphviz
    except ImportError as err:  # pragma: no cover - graphviz is a dependency
        raise DotNotFound("the graphviz Python package is missing (pip install graphviz)") from err
    try:
        return graphviz.Source(dot_text).pipe(format=fmt)
    except graphviz.ExecutableNotFound as err:
        raise DotNotFound("the Graphviz 'dot' program was not found on PATH") from err


def dot_available() -> bool:
    """True when the ``dot`` program can be run."""
    try:
        render_bytes("digraph { a }", "svg")
    except DotNotFound:
        return False
    return True


def render(
    x: Any,
    path: str | Path,
    options: ViewOptions | None = None,
    *,
    format: str | None = None,
    **kwargs: Any,
) -> Path:
    """Draw the graph behind ``x`` (Tensor, list of Tensors, or Graph) to ``path``.

    The format comes from ``format`` or the file suffix: ``.svg``, ``.png``, ``.pdf`` (any
    format ``dot -T`` knows), or ``.dot``/``.gv`` for the DOT text itself. ``options`` (a
    :class:`viz.ViewOptions`) and keyword arguments as for :func:`viz.to_dot`.

    Returns the path written. When the ``dot`` program is missing, prints one line saying so
    and how to install it, writes the DOT text to ``path`` with suffix ``.dot``, and returns
    that path.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".") or "svg").lower()
    dot_text = to_dot(x, ViewOptions.make(options, "viz.render", **kwargs))
    if fmt in ("dot", "gv"):
        path.write_text(dot_text, encoding="utf-8")
        return path
    try:
        data = render_bytes(dot_text, fmt)
    except DotNotFound as err:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot_text, encoding="utf-8")
        print(
            f"viz.render: cannot draw {path}: {err}; {DOT_MISSING_HINT}. "
            f"Wrote the DOT text to {dot_path} instead (viz.show draws the graph in the terminal).",
            file=sys.stderr,
        )
        return dot_path
    path.write_bytes(data)
    return path


class GraphView:
    """A traced graph plus how to draw it (a :class:`viz.ViewOptions`); displays itself in
    Jupyter (SVG through Graphviz, or the terminal drawing as preformatted HTML and text when
    ``dot`` is missing) and in rich consoles."""

    def __init__(self, graph: Graph, options: ViewOptions | None = None, **kwargs: Any) -> None:
        self.graph = graph
        self.options = ViewOptions.make(options, "viz.GraphView", **kwargs)
        self._svg: str | None = None

    def _drawn(self, **kwargs: Any) -> ViewOptions:
        # the graph is already traced and folded: only the drawing options still apply
        o = ViewOptions.make(self.options, "viz.GraphView", **kwargs)
        return ViewOptions.make(o, "viz.GraphView", depth=None, collapse=None, consts=True)

    def to_dot(self, **kwargs: Any) -> str:
        """DOT text (keyword options override the view's)."""
        return to_dot(self.graph, self._drawn(**kwargs))

    def render(self, path: str | Path, **kwargs: Any) -> Path:
        """Write SVG/PNG/PDF; see :func:`viz.render`."""
        return render(self.graph, path, self._drawn(**kwargs))

    def show(self, console: Console | None = None, **kwargs: Any) -> None:
        """Draw in the terminal; see :func:`viz.show`."""
        from .terminal import show

        show(self.graph, self._drawn(**kwargs), console=console)

    def svg(self) -> str | None:
        """The SVG text, or None when Graphviz's ``dot`` is missing."""
        if self._svg is None:
            try:
                self._svg = render_bytes(self.to_dot(), "svg").decode("utf-8")
            except DotNotFound:
                return None
        return self._svg

    def text(self, width: int = 100) -> str:
        """The terminal drawing as plain text."""
        buf = io.StringIO()
        console = Console(file=buf, width=width, color_system=None, force_terminal=False)
        console.print(
            graph_renderable(self.graph, width=width, color=False, **self._term_options()),
            crop=True,
        )
        return buf.getvalue()

    def _term_options(self) -> dict[str, Any]:
        o = self.options
        return dict(
            show_grads=o.show_grads,
            show_values=o.show_values,
            show_saved=o.show_saved,
            layout=o.layout,
            title=o.title,
        )

    def _repr_svg_(self) -> str | None:
        return self.svg()

    def _repr_html_(self) -> str | None:
        """The terminal drawing in a ``<pre>``: the notebook's picture where ``dot`` is missing."""
        if self.svg() is not None:
            return None  # the SVG is the picture
        return f'<pre style="line-height:1.2">{html.escape(self.text())}</pre>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/plain": self.text()}
        svg = self.svg()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        else:
            bundle["text/html"] = self._repr_html_()
        return bundle

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield graph_renderable(
            self.graph,
            width=options.max_width,
            color=console.color_system is not None,
            **self._term_options(),
        )

    def __repr__(self) -> str:
        return f"<viz.GraphView of {self.graph!r}>"


def graph(x: Any, options: ViewOptions | None = None, **kwargs: Any) -> GraphView:
    """Trace ``x`` once and return a :class:`GraphView`: it displays itself in a notebook
    (``_repr_svg_``/``_repr_mimebundle_``) and has ``.show()``, ``.to_dot()``,
    ``.render(path)``. ``options`` (a :class:`viz.ViewOptions`) and keyword arguments as for
    :func:`viz.to_dot` and :func:`viz.show`."""
    o = ViewOptions.make(options, "viz.graph", **kwargs)
    return GraphView(o.graph_of(x), o)
