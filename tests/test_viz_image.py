"""viz.show_image: half-block pixels with colour, a character ramp without."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

import tinygrad_cnn as tg
import viz
from viz.image import NEG_RAMP, POS_RAMP, RAMP

SNAPSHOT = Path(__file__).parent / "snapshots" / "viz_image_filters.txt"


def plain(x, width: int = 80, **options) -> str:
    console = Console(record=True, width=width, color_system=None, force_terminal=False)
    viz.show_image(x, console=console, **options)
    return console.export_text()


def coloured(x, **options) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system="truecolor")
    viz.show_image(x, console=console, **options)
    return buf.getvalue()


def test_ramp_without_colour_maps_low_to_high():
    ramp = np.linspace(0, 1, 10).reshape(1, 10)
    lines = plain(ramp, scale=1).splitlines()
    assert lines[0].startswith("shape 1×10, range [0, 1]")
    assert lines[1] == "".join(ch * 2 for ch in RAMP).rstrip()  # 2 characters per pixel
    assert lines[-1].startswith("0 ") and lines[-1].endswith(" 1")


def test_signed_data_uses_a_diverging_map_centred_on_zero():
    a = np.array([[-2.0, -0.1, 0.0, 0.1, 1.0]])
    lines = plain(a, scale=1).splitlines()
    # symmetric limits ±2: -2 is the strongest negative, +1 half-way up the positive side
    assert lines[1] == NEG_RAMP[-1] * 2 + "  " * 3 + POS_RAMP[1] * 2
    assert "(0 in the middle)" in lines[-1] and lines[-1].startswith("-2 ")


def test_colour_uses_half_blocks_with_two_pixels_per_cell():
    img = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = coloured(img, scale=1, legend=False)
    rows = [line for line in out.splitlines() if "▀" in line]
    assert len(rows) == 2  # 4 pixel rows -> 2 rows of half blocks
    assert all(line.count("▀") == 3 for line in rows)
    assert "\x1b[38;2;" in out and ";48;2;" in out  # foreground and background colours
    odd = coloured(np.ones((3, 2)), scale=1, legend=False)
    assert sum("▀" in line for line in odd.splitlines()) == 2


def test_no_color_environment(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    console = Console(file=buf, width=80, force_terminal=True, color_system="truecolor")
    viz.show_image(np.eye(3), console=console)
    out = buf.getvalue()
    assert "▀" not in out and "@" in out


def test_grids_and_labels():
    chw = tg.Tensor(np.random.default_rng(0).random((3, 4, 4)).astype(np.float32))
    text = plain(chw)
    assert text.splitlines()[1].split() == ["0", "1", "2"]
    nchw = np.random.default_rng(1).random((2, 3, 5, 5))
    labels = [line.split() for line in plain(nchw).splitlines() if "," in line and "[" not in line]
    assert labels == [["0,0", "0,1", "0,2"], ["1,0", "1,1", "1,2"]]  # N rows of C columns
    many = plain(np.zeros((100, 1, 3, 3)))
    assert "showing 64 of 100" in many


def test_fits_the_console_width():
    w = np.random.default_rng(2).standard_normal((32, 1, 5, 5))
    for width in (80, 40):
        text = plain(w, width=width)
        assert all(cell_len(line) <= width for line in text.splitlines())
    wide = plain(np.zeros((2, 200)), width=40)
    assert all(cell_len(line) <= 40 for line in wide.splitlines())


def test_nan_pixels_and_options():
    a = np.array([[0.0, np.nan], [1.0, 2.0]])
    assert "?" in plain(a, scale=1)
    assert "magenta" not in coloured(a)  # drawn as a colour, not as a style name
    text = plain(np.array([[0.0, 10.0]]), vmin=0, vmax=20, cmap="gray", scale=1)
    assert text.splitlines()[1] == RAMP[0] * 2 + RAMP[5] * 2
    each = plain(np.stack([np.eye(2), 100 * np.eye(2)]), normalize="each")
    assert "per image" in each
    with pytest.raises(ValueError, match=r"\(2, 2, 2, 2, 2\)"):
        plain(np.zeros((2, 2, 2, 2, 2)))
    with pytest.raises(ValueError, match="cmap"):
        plain(np.eye(2), cmap="nope")


def test_filter_snapshot():
    w = np.linspace(-1, 1, 4 * 9, dtype=np.float32).reshape(4, 1, 3, 3)
    text = plain(w, title="conv1.weight")
    path = SNAPSHOT
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
