"""viz.lint: each numerically unstable pattern is found, with its fix; healthy CNNs are clean."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

import tinygrad_cnn as tg
import tinygrad_cnn.nn.functional as F
import viz
from tinygrad_cnn import models, nn

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _lint(loss):
    return viz.lint(loss, verbose=False)


def _rules(loss):
    return [(w.rule, w.op) for w in _lint(loss)]


def _logits():
    tg.manual_seed(0)
    return tg.randn(4, 5, requires_grad=True)


def test_log_of_softmax():
    assert _rules(F.softmax(_logits(), dim=1).log().sum()) == [("log-softmax", "Log")]
    x = _logits()
    e = x.exp()
    by_hand = e / e.sum(1, keepdim=True)
    (w,) = _lint(by_hand.log().sum())
    assert w.rule == "log-softmax" and "F.log_softmax" in w.fix
    assert _rules(F.log_softmax(_logits(), dim=1).sum()) == []
    assert _rules(F.cross_entropy(_logits(), tg.tensor([0, 1, 2, 3]))) == []


def test_log_of_sigmoid_and_bce_on_probabilities():
    x = _logits()
    assert _rules(x.sigmoid().log().sum()) == [("log-sigmoid", "Log")]
    assert _rules((1 - x.sigmoid()).log().sum()) == [("log-sigmoid", "Log")]
    target = tg.ones(4, 5)
    (w,) = _lint(F.binary_cross_entropy(x.sigmoid(), target))
    assert (w.rule, w.op) == ("log-sigmoid", "BinaryCrossEntropy")
    assert "binary_cross_entropy_with_logits" in w.fix
    assert _rules(F.binary_cross_entropy_with_logits(x, target)) == []


def test_exp_of_large_inputs():
    x = tg.tensor([1.0, 60.0], requires_grad=True)
    (w,) = _lint(x.exp().sum())
    assert w.rule == "exp-overflow" and "up to 60" in w.message and "near overflow" in w.message
    (w,) = _lint((x * 2).exp().sum())
    assert "overflows to inf" in w.message
    assert _rules(tg.tensor([1.0, 40.0], requires_grad=True).exp().sum()) == []
    big64 = tg.tensor([60.0], dtype=tg.float64, requires_grad=True)
    assert _rules(big64.exp().sum()) == []  # float64 has room up to 709


@pytest.mark.parametrize(
    ("make", "op", "what"),
    [
        (lambda x: x.sqrt(), "Sqrt", "sqrt"),
        (lambda x: x.log(), "Log", "log"),
        (lambda x: 1.0 / x, "Div", "division"),
        (lambda x: x.rsqrt(), "Rsqrt", "rsqrt"),
    ],
)
def test_near_zero_without_eps(make, op, what):
    x = tg.tensor([0.0, 1.0, 4.0], requires_grad=True)
    (w,) = _lint(make(x).sum())
    assert (w.rule, w.op) == ("near-zero", op) and what in w.message and "eps" in w.fix
    assert _rules(make(x + 1e-3).sum()) == []  # with an eps: fine


def test_float32_sum_of_many_terms():
    x = tg.ones(2**20, requires_grad=True)
    (w,) = _lint(x.sum())
    assert w.rule == "float32-sum" and "1,048,576 terms" in w.message and "double" in w.fix
    assert _rules(x.double().sum()) == []
    assert _rules(tg.ones(2**20 - 1, requires_grad=True).sum()) == []
    assert _rules(tg.ones(2, 2**19, requires_grad=True).sum(1).sum()) == []


def test_origin_is_named_in_anomaly_mode():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly(check_nan=False):
        y = x.sqrt()  # lint names this line
    (w,) = _lint(y.sum())
    assert w.origin is not None and "test_viz_lint.py" in w.origin and "x.sqrt()" in w.origin
    assert "made at" in str(w)


def test_prints_findings_and_a_note_when_values_were_freed():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    loss = (x * 1).log().sum()  # backward frees the product, the leaf x stays
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    viz.lint(loss, console=console)
    text = console.export_text()
    assert "log of values as small as 0" in text and "fix: log(x + eps)" in text
    loss.backward()
    assert _lint(loss) == []  # values gone after backward
    viz.lint(loss, console=console)
    text = console.export_text()
    assert "values were freed by backward" in text and "no numerically unstable" in text


def test_readme_cnn_and_lenet_are_clean():
    tg.manual_seed(0)
    readme = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10),
    )  # fmt: skip
    x = tg.rand(64, 1, 28, 28)
    y = tg.randint(0, 10, (64,))
    assert _lint(F.cross_entropy(readme(x), y)) == []
    lenet = models.lenet()
    assert _lint(F.cross_entropy(lenet(x), y)) == []
    lenet.eval()
    assert _lint(F.cross_entropy(lenet(x), y)) == []
    assert np.isfinite(F.cross_entropy(lenet(x), y).item())
