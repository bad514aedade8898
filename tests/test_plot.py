"""tinygrad_cnn.plot: line plots and image panels, as text in a terminal and as matplotlib
figures in a notebook; matplotlib stays optional."""

from __future__ import annotations

import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import tinygrad_cnn as tg
from tinygrad_cnn import plot as tplot
from tinygrad_cnn.plot.blocks import RAMP


def plain_console(width: int = 80) -> Console:
    return Console(record=True, width=width, color_system=None, force_terminal=False)


def spins(n: int = 3, L: int = 8, seed: int = 0) -> np.ndarray:
    s = np.where(np.random.default_rng(seed).random((n, 1, L, L)) < 0.5, -1.0, 1.0)
    s[0] = 1.0  # the all-up state
    return s


TITLES = ["T = 1.50", "T = 2.27", "T = 3.20"]


# ---------------------------------------------------------------- terminal drawing
def test_terminal_panels_are_framed_and_titled() -> None:
    console = plain_console()
    tplot.images(
        spins(),
        TITLES,
        vmin=-1,
        vmax=1,
        cmap="gray",
        title="Ising",
        console=console,
        backend="text",
    )
    lines = console.export_text().splitlines()
    assert lines[0] == "Ising"
    assert all(t in lines[1] for t in TITLES)
    assert lines[2].count("┌") == 3 and lines[2].count("┐") == 3
    # the all-up panel: every pixel at the bright end of the ramp, inside a border
    body = [ln for ln in lines if ln.startswith("│")]
    assert len(body) == 8
    assert all(ln.split("│")[1] == RAMP[-1] * 16 for ln in body)  # two characters per pixel
    assert lines[11].count("└") == 3
    assert lines[-1].startswith("gray: -1 ") and lines[-1].endswith(" 1")


def test_terminal_spin_down_is_dark_and_up_is_bright() -> None:
    x = np.array([[-1.0, 1.0]])
    console = plain_console()
    tplot.images(
        x, vmin=-1, vmax=1, cmap="gray", scale=1, colorbar=False, console=console, backend="text"
    )
    lines = console.export_text().splitlines()
    assert lines == ["┌────┐", "│" + RAMP[0] * 2 + RAMP[-1] * 2 + "│", "└────┘"]


def test_terminal_colour_uses_half_blocks() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system="truecolor")
    tplot.images(np.arange(12.0).reshape(4, 3), scale=1, console=console, backend="text")
    rows = [ln for ln in buf.getvalue().splitlines() if "▀" in ln]
    assert len(rows) == 2 and all(ln.count("▀") == 3 for ln in rows)
    assert "\x1b[38;2;" in buf.getvalue() and ";48;2;" in buf.getvalue()


def test_terminal_wraps_panels_to_the_console_width() -> None:
    console = plain_console(width=40)
    tplot.images(np.zeros((5, 4, 4)), scale=1, console=console, backend="text", colorbar=False)
    tops = [ln for ln in console.export_text().splitlines() if ln.startswith("┌")]
    assert [t.count("┌") for t in tops] == [3, 2]  # 10 + 2 columns per panel, 2 between


def test_terminal_shows_how_many_were_cut() -> None:
    console = plain_console()
    tplot.images(np.zeros((10, 2, 2)), max_images=4, console=console, backend="text")
    assert "showing 4 of 10" in console.export_text()


def test_line_plot_text_draws_the_series() -> None:
    console = plain_console()
    tplot.plot(
        {"loss": ([1, 2, 3], [3.0, 2.0, 1.0])},
        title="loss",
        ylabel="nats",
        console=console,
        backend="text",
    )
    out = console.export_text()
    assert out.splitlines()[0] == "loss  (nats)"
    assert out.count("●") == 4  # three points and the legend


def test_tensor_input_and_nchw_layout() -> None:
    x = tg.Tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 4)).astype(np.float32))
    p = tplot.panels_of(x)
    assert len(p.images) == 6 and p.ncols == 3  # N rows by C columns
    assert p.cmap == "coolwarm" and p.vmin == -p.vmax  # signed data, zero in the middle


# ---------------------------------------------------------------- matplotlib figures
def rendered(fig) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def test_image_figure_under_agg() -> None:
    pytest.importorskip("matplotlib")
    fig = tplot.image_figure(
        spins(), TITLES, vmin=-1, vmax=1, cmap="gray", title="Ising", xlabel="x", ylabel="y"
    )
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in panels] == TITLES
    assert fig.get_suptitle() == "Ising"
    assert panels[0].get_ylabel() == "y" and panels[1].get_ylabel() == ""
    assert all(ax.get_xlabel() == "x" for ax in panels)
    assert len(fig.axes) == 4  # three panels and the colour bar
    px = rendered(fig)
    assert px.size > 0 and px.std() > 0
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_all_up_state_is_visible_on_a_white_page() -> None:
    pytest.importorskip("matplotlib")
    up = np.ones((16, 16))
    fig = tplot.image_figure(up, ["all up"], vmin=-1, vmax=1, cmap="gray", colorbar=False)
    fig.set_facecolor("white")
    px = rendered(fig)
    ax = fig.axes[0]
    x0, y0, x1, y1 = (int(round(v)) for v in ax.get_window_extent().extents)
    h = px.shape[0]
    inside = px[h - y1 + 4 : h - y0 - 4, x0 + 4 : x1 - 4]
    assert inside.min() == 255  # the panel itself is white ...
    frame_row = px[h - y1 : h - y1 + 3, x0 + 4 : x1 - 4]
    assert frame_row.min() < 64  # ... and a dark frame around it shows where it is


def test_line_figure_under_agg() -> None:
    pytest.importorskip("matplotlib")
    fig = tplot.line_figure(
        {"train": ([1, 2, 3], [1.0, 0.5, 0.2]), "test": ([1, 2, 3], [1.1, 0.7, 0.4])},
        title="loss",
        logy=True,
        xlabel="epoch",
        ylabel="loss",
        hlines=[0.5],
        vlines=[2],
    )
    (ax,) = fig.axes
    assert ax.get_title() == "loss" and ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    assert rendered(fig).std() > 0


# ---------------------------------------------------------------- choosing the drawing
def fake_ipython(monkeypatch: pytest.MonkeyPatch, kernel: bool = True) -> list[dict]:
    """An IPython whose shell has a kernel (a notebook) and whose display records bundles."""
    shown: list[dict] = []
    shell = types.SimpleNamespace(kernel=object() if kernel else None)
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display = types.ModuleType("IPython.display")
    display.display = lambda obj, raw=False: shown.append(obj)
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return shown


def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails


def test_a_script_gets_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINYGRAD_CNN_PLOT", raising=False)
    fake_ipython(monkeypatch, kernel=False)  # a terminal IPython is no notebook
    assert not tplot.in_notebook()
    assert tplot.choose_backend() == "text"


def test_a_notebook_gets_figures_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("TINYGRAD_CNN_PLOT", raising=False)
    shown = fake_ipython(monkeypatch)
    assert tplot.in_notebook() and tplot.choose_backend() == "matplotlib"
    tplot.images(spins(), TITLES, vmin=-1, vmax=1, title="Ising")
    tplot.plot({"loss": ([1, 2], [2.0, 1.0])}, title="loss")
    assert len(shown) == 2
    assert all(b["image/png"][:4] == b"\x89PNG" for b in shown)
    assert shown[0]["text/plain"] == "<figure Ising>"


def test_environment_overrides_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_ipython(monkeypatch)
    monkeypatch.setenv("TINYGRAD_CNN_PLOT", "text")
    assert tplot.choose_backend() == "text"
    monkeypatch.setenv("TINYGRAD_CNN_PLOT", "svg")
    with pytest.raises(ValueError, match=r"images: \$TINYGRAD_CNN_PLOT .* 'svg'"):
        tplot.images(np.zeros((2, 2)))


def test_without_matplotlib_a_notebook_falls_back_to_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINYGRAD_CNN_PLOT", raising=False)
    shown = fake_ipython(monkeypatch)
    no_matplotlib(monkeypatch)
    assert tplot.choose_backend() == "text"
    console = plain_console()
    tplot.images(spins(), TITLES, vmin=-1, vmax=1, console=console)
    tplot.plot({"loss": ([1, 2], [2.0, 1.0])}, console=console)
    out = console.export_text()
    assert shown == [] and "T = 2.27" in out and "● loss" in out
    with pytest.raises(ImportError, match="images: backend='matplotlib' needs matplotlib"):
        tplot.images(np.zeros((2, 2)), backend="matplotlib")
    with pytest.raises(ImportError, match="matplotlib is not installed"):
        tplot.image_figure(np.zeros((2, 2)))


def test_matplotlib_outside_a_notebook_says_how_to_save(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setitem(sys.modules, "IPython", None)
    with pytest.raises(RuntimeError, match=r"plot: .*line_figure\(\.\.\.\).*savefig"):
        tplot.plot({"a": ([0, 1], [0, 1])}, backend="matplotlib")


# ---------------------------------------------------------------- bad calls
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(x=np.zeros((2, 2, 2, 2, 2))), r"images: expected .* got shape \(2, 2, 2, 2, 2\)"),
        (dict(x=np.zeros((3, 2, 2)), titles=["a"]), "images: got 1 titles for 3 images"),
        (dict(x=np.zeros((2, 2)), cmap="jet"), "images: unknown cmap 'jet'"),
        (dict(x=np.zeros((2, 2)), vmin=1, vmax=0), "images: vmin must not exceed vmax"),
        (dict(x=np.zeros((2, 2)), backend="svg"), "images: backend must be one of"),
        (dict(x=[np.zeros((2, 2)), np.zeros(3)]), r"images: a list .* got \(3,\)"),
    ],
)
def test_bad_calls_name_the_function(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tplot.images(console=plain_console(), **kwargs)


def test_empty_plot_is_an_error() -> None:
    with pytest.raises(ValueError, match="plot: no series"):
        tplot.plot({})


def test_terminal_needs_one_shape_but_figures_do_not() -> None:
    mixed = [np.zeros((2, 2)), np.ones((3, 3))]
    with pytest.raises(ValueError, match=r"images: the terminal drawing needs images of one shape"):
        tplot.images(mixed, console=plain_console(), backend="text")
    pytest.importorskip("matplotlib")
    fig = tplot.image_figure(mixed, ["2×2", "3×3"])
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["2×2", "3×3"]


def test_a_script_never_imports_matplotlib_or_ipython() -> None:
    import subprocess

    code = (
        "import sys, numpy as np\n"
        "from tinygrad_cnn.plot import images, plot\n"
        "images(np.ones((3, 3)), ['all up'])\n"
        "plot({'a': ([0, 1], [1, 0])})\n"
        "print(sorted(m for m in ('matplotlib', 'IPython') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    ).stdout
    assert "all up" in out and out.splitlines()[-1] == "[]"
