"""viz: look at tinygrad_cnn computation graphs, models and tensors.

    import viz
    loss = F.cross_entropy(model(x), y); loss.backward()
    viz.show(loss)                                  # the graph in the terminal
    viz.show(loss, depth=1)                         # one node per layer
    viz.to_dot(loss, show_grads=True)               # DOT text (no Graphviz needed)
    viz.render(loss, "graph.svg")                   # SVG/PNG/PDF through Graphviz
    viz.graph(loss)                                 # displays itself in Jupyter
    viz.summary(model, input_shape=(1, 1, 28, 28))  # layer table
    viz.show_image(model[0].weight)                 # filters as coloured pixels
    viz.explain(loss)                               # backward, one node at a time
    viz.check(loss)                                 # gradient check of every op on the tape
    viz.lint(loss)                                  # numerically unstable patterns, and fixes
    opts = viz.ViewOptions(depth=1, show_grads=True)  # one options object for every view
    viz.to_dot(loss, opts); viz.show(loss, opts, layout="lanes")

Every view starts from :func:`trace`, which turns a tensor's graph into plain data
(:class:`Graph`, in :mod:`viz.graph`, which draws nothing) through the framework's public
graph API only; functional composites (``F.cross_entropy``) are scopes like modules.
Gradients: after ``backward`` only leaves hold ``.grad``; intermediate gradients are
computed when the graph was kept (``loss.backward(retain_graph=True)``), see :func:`trace`.
"""

from __future__ import annotations

from .check import CheckReport, NodeCheck, check
from .colors import GradScale
from .dot import dot_escape, to_dot
from .explain import Send, Step, explain
from .graph import FLAGS, Call, Edge, Graph, ModuleInfo, Node, Stats, tensor_stats
from .group import collapse_repeats, fold, inline_consts
from .image import show_image
from .lint import LintWarning, lint
from .options import ViewOptions
from .render import GraphView, dot_available, graph, render
from .summary import LayerRow, ModelSummary, summary
from .terminal import show
from .trace import trace

__all__ = [
    "FLAGS",
    "Call",
    "CheckReport",
    "Edge",
    "GradScale",
    "Graph",
    "GraphView",
    "LayerRow",
    "LintWarning",
    "ModelSummary",
    "ModuleInfo",
    "Node",
    "NodeCheck",
    "Send",
    "Stats",
    "Step",
    "check",
    "ViewOptions",
    "collapse_repeats",
    "dot_available",
    "dot_escape",
    "explain",
    "fold",
    "graph",
    "inline_consts",
    "lint",
    "render",
    "show",
    "show_image",
    "summary",
    "tensor_stats",
    "to_dot",
    "trace",
]
