"""In a notebook, viz's objects display themselves: graphs as SVG (or, without Graphviz's
``dot``, as the terminal drawing in HTML), summaries as an HTML table."""

from __future__ import annotations

import shutil
from collections import OrderedDict
from html.parser import HTMLParser

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
import viz
from tinygrad_cnn import nn

HAS_DOT = shutil.which("dot") is not None


def small_loss() -> tg.Tensor:
    rng = np.random.default_rng(0)
    model = nn.Sequential(OrderedDict(fc1=nn.Linear(3, 4), relu=nn.ReLU(), fc2=nn.Linear(4, 2)))
    x = tg.Tensor(rng.standard_normal((5, 3)).astype(np.float32))
    return F.cross_entropy(model(x), tg.Tensor(np.array([0, 1, 0, 1, 1])))


def cnn() -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(1, 4, 3),
            bn=nn.BatchNorm2d(4),
            relu=nn.ReLU(),
            block=nn.Sequential(OrderedDict(pool=nn.MaxPool2d(2), flat=nn.Flatten())),
            fc=nn.Linear(4 * 3 * 3, 2),
        )
    )


class Table(HTMLParser):
    """The cells of an HTML table, row by row, with the caption."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.caption = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption"):
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.caption += data
        elif self._in:
            self.rows[-1][-1] += data


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")
def test_graphs_display_as_svg() -> None:
    loss = small_loss()
    view = viz.graph(loss, depth=1)
    assert "<svg" in view._repr_svg_()
    assert view._repr_html_() is None  # the SVG is the picture
    bundle = view._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "text/html" not in bundle
    # a traced Graph (plain data) displays the same way
    graph_bundle = viz.trace(loss)._repr_mimebundle_()
    assert "<svg" in graph_bundle["image/svg+xml"] and "cross_entropy" in graph_bundle["text/plain"]


def test_without_dot_graphs_display_as_html_text(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no 'dot' to be found
    view = viz.graph(small_loss())
    assert view._repr_svg_() is None
    html_text = view._repr_html_()
    assert html_text.startswith("<pre") and html_text.endswith("</pre>")
    assert "fc1.weight" in html_text and "cross_entropy" in html_text
    assert "<" not in html_text[html_text.index(">") + 1 : html_text.rindex("</pre>")]  # escaped
    bundle = viz.trace(small_loss())._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}


def test_summary_displays_as_an_html_table() -> None:
    s = viz.summary(cnn(), input_shape=(2, 1, 8, 8), verbose=False)
    table = Table()
    table.feed(s._repr_html_())
    assert table.caption == "Sequential on input 2×1×8×8 (train mode)"
    head, *body, total = table.rows
    assert head[:2] == ["Layer (type)", "Output shape"] and "Mult-adds" in head
    assert len(body) == len(s.rows)
    names = [cells[0].replace("\xa0", " ").strip() for cells in body]
    assert names == [
        "conv (Conv2d)",
        "bn (BatchNorm2d)",
        "relu (ReLU)",
        "block (Sequential)",
        "pool (MaxPool2d)",
        "flat (Flatten)",
        "fc (Linear)",
    ]
    assert body[4][0].startswith("\xa0\xa0") and body[3][0][0] != "\xa0"  # nested: indented
    assert body[0][1] == "2×4×6×6"
    assert total[0] == "Total" and total[2] == f"{s.trainable:,}"
    assert s.to_html() == s._repr_html_()


def test_ipython_picks_the_rich_formats() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    fmt = formatters.DisplayFormatter()
    data, _ = fmt.format(viz.summary(cnn(), input_shape=(1, 1, 8, 8), verbose=False))
    assert "<table" in data["text/html"] and "ModelSummary" in data["text/plain"]
    data, _ = fmt.format(viz.graph(small_loss()))
    assert ("image/svg+xml" in data) == HAS_DOT and ("text/html" in data) != HAS_DOT
