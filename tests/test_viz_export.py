"""Summary export: Markdown, CSV, LaTeX and JSON, and `tinygrad-cnn summary --format`."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

import tinygrad_cnn as tg
import viz
from tinygrad_cnn import cli, models, nn


@pytest.fixture(scope="module")
def s():
    tg.manual_seed(0)
    return viz.summary(models.lenet(image_size=8), input_shape=(2, 1, 8, 8), verbose=False)


def test_markdown_is_a_pipe_table_with_a_row_per_layer_and_totals(s):
    md = s.to_markdown()
    lines = md.splitlines()
    assert lines[0] == "**Sequential** on input 2×1×8×8"
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + len(s.rows) + 1  # header, rule, rows, total
    widths = {line.count("|") - line.count("\\|") for line in table}
    assert widths == {table[0].count("|")}  # the same columns on every line
    n = table[0].count("|") - 1
    assert table[1] == "|:---|:---|" + "---:|" * (n - 2)
    conv1 = next(line for line in table if "conv1 (Conv2d)" in line)
    assert "2×32×8×8" in conv1 and "| 320 |" in conv1
    assert table[-1].startswith("| **Total** |") and f"**{s.trainable:,}**" in table[-1]


def test_csv_parses_back_to_the_numbers(s):
    rows = list(csv.DictReader(io.StringIO(s.to_csv())))
    assert [r["name"] for r in rows] == [r.name for r in s.rows]
    for parsed, row in zip(rows, s.rows, strict=True):
        assert int(parsed["trainable"]) == row.trainable
        assert int(parsed["non_trainable"]) == row.non_trainable
        assert int(parsed["mult_adds"]) == row.mult_adds
        assert int(parsed["saved_nbytes"]) == row.saved_nbytes
        shape = tuple(int(d) for d in parsed["output_shape"].split("x"))
        assert shape == row.output_shape
    assert sum(int(r["trainable"]) for r in rows) == s.trainable


def test_json_round_trips(s):
    data = json.loads(s.to_json())
    assert data["model_type"] == "Sequential" and data["input_shapes"] == [[2, 1, 8, 8]]
    assert data["total_params"] == s.total_params and data["mult_adds"] == s.mult_adds
    assert [tuple(r["output_shape"]) for r in data["rows"]] == [r.output_shape for r in s.rows]
    assert json.loads(s.to_json(indent=None)) == data


def _balanced(tex: str) -> None:
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not close"
    assert not stack, f"unclosed {stack}"
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


def test_latex_is_a_balanced_tabular_with_escaped_text(s):
    tex = s.to_latex(caption="LeNet on 8×8 digits", label="tab:lenet_summary")
    _balanced(tex)
    spec = re.search(r"\\begin\{tabular\}\{(\w+)\}", tex).group(1)
    body = tex.split(r"\begin{tabular}")[1].split(r"\end{tabular}")[0]
    rows = [line for line in body.splitlines() if line.endswith(r"\\")]
    assert len(rows) == 1 + len(s.rows) + 1
    assert all(line.count("&") == len(spec) - 1 for line in rows)
    assert r"\caption{LeNet on 8$\times$8 digits}" in tex and r"\label{tab:lenet\_summary}" in tex
    assert r"2$\times$32$\times$8$\times$8" in tex


def test_latex_and_markdown_escape_special_characters():
    class Odd_Net(nn.Module):  # noqa: N801 -- a name with characters to escape
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(x)

    s = viz.summary(Odd_Net(), input_shape=(1, 3), verbose=False)
    assert r"Odd\_Net" in s.to_latex()
    _balanced(s.to_latex())
    assert "**Odd_Net**" in s.to_markdown()


@pytest.mark.parametrize("fmt", ["md", "csv", "tex", "json"])
def test_cli_summary_format(fmt, capsys):
    assert cli.main(["summary", "--model", "lenet-digits", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "md":
        assert "| conv1 (Conv2d) |" in out
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows[0]["name"] == "conv1" and rows[0]["type"] == "Conv2d"
    elif fmt == "tex":
        _balanced(out)
        assert r"\begin{tabular}" in out
    else:
        assert json.loads(out)["model_type"] == "Sequential"


def test_cli_summary_rejects_an_unknown_format(capsys):
    with pytest.raises(SystemExit):
        cli.main(["summary", "--format", "xlsx"])
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err
