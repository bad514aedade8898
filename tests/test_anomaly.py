"""Anomaly mode: op origins, and one error at the first NaN/Inf in forward or backward."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console

import tinygrad_cnn as tg
import viz
from tinygrad_cnn import anomaly

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _line_of(text: str) -> int:
    with open(__file__) as f:
        for k, line in enumerate(f, 1):
            if text in line and "_line_of" not in line:
                return k
    raise AssertionError(text)


def test_forward_nan_names_the_op_shapes_and_line():
    x = tg.tensor([6.0, 7.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            y = (x - 5).log()  # planted: log of a negative number
            y.sum().backward()
    msg = str(info.value)
    line = _line_of("planted: log of a negative")
    assert "Log produced 1 NaN" in msg and "input shapes (3,), output shape (3,)" in msg
    assert f"test_anomaly.py:{line} in test_forward_nan_names_the_op_shapes_and_line" in msg
    assert "y = (x - 5).log()" in msg


def test_backward_inf_names_the_op_not_the_ops_its_backward_used():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    with tg.autograd.detect_anomaly():
        w = (x - 1).sqrt()  # finite forward, infinite gradient at 0
        loss = w.sum()
        with pytest.raises(RuntimeError, match=r"Sqrt\.backward returned 1 Inf") as info:
            loss.backward()
    assert f"test_anomaly.py:{_line_of('finite forward, infinite gradient')}" in str(info.value)
    assert "input shapes (2, 2), output shape (2, 2)" in str(info.value)


def test_origin_is_recorded_only_in_anomaly_mode():
    x = tg.ones(2, requires_grad=True)
    assert (x * 2).op.origin is None
    with tg.autograd.detect_anomaly():
        y = x * 2  # origin here
    o = y.op.origin
    assert isinstance(o, anomaly.Origin)
    assert (o.line, o.function) == (
        _line_of("y = x * 2  # origin here"),
        "test_origin_is_recorded_only_in_anomaly_mode",
    )
    assert o.short == f"test_anomaly.py:{o.line}" and o.code == "y = x * 2  # origin here"


def test_ops_inside_framework_functions_get_the_users_line():
    x = tg.randn(2, 5, requires_grad=True)
    with tg.autograd.detect_anomaly():
        loss = tg.nn.functional.cross_entropy(x, tg.tensor([1, 3]))  # composite
    lines = {t.op.origin.line for t in tg.toposort(loss) if t.op is not None}
    assert lines == {_line_of("# composite")}


def test_values_that_arrive_non_finite_do_not_raise():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        masked = x.masked_fill(tg.tensor([False, True, False]), -np.inf)  # a deliberate -inf
        p = masked.softmax(0)
        p.sum().backward()
    np.testing.assert_allclose(p.numpy()[1], 0.0)


def test_check_nan_false_records_origins_only():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.autograd.detect_anomaly(check_nan=False):
        assert tg.autograd.is_anomaly_enabled() and not anomaly.is_anomaly_check_nan_enabled()
        y = (x - 5).log()
    assert np.isnan(y.numpy()).all() and y.op.origin is not None


def test_set_detect_anomaly_call_context_and_decorator():
    assert not tg.autograd.is_anomaly_enabled()
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.autograd.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.set_detect_anomaly(True):
        assert tg.autograd.is_anomaly_enabled() and tg.is_anomaly_enabled()
        assert tg.is_anomaly_check_nan_enabled()
        with tg.autograd.set_detect_anomaly(False):
            assert not tg.autograd.is_anomaly_enabled()
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()

    @tg.autograd.detect_anomaly()
    def f():
        return tg.autograd.is_anomaly_enabled()

    @tg.autograd.set_detect_anomaly(True)
    def g():
        return tg.autograd.is_anomaly_enabled()

    assert not tg.autograd.is_anomaly_enabled()
    assert f() and g() and f()
    assert not tg.autograd.is_anomaly_enabled()


def test_mode_is_restored_after_an_error():
    with pytest.raises(ValueError), tg.autograd.detect_anomaly():
        raise ValueError("boom")
    assert not tg.autograd.is_anomaly_enabled()


def test_training_step_is_unchanged_in_anomaly_mode():
    tg.manual_seed(0)
    model = tg.nn.Sequential(
        tg.nn.Conv2d(1, 4, 3), tg.nn.ReLU(), tg.nn.Flatten(), tg.nn.Linear(64, 3)
    )
    x, y = tg.randn(2, 1, 6, 6), tg.tensor([0, 2])
    tg.nn.functional.cross_entropy(model(x), y).backward()
    plain = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    with tg.autograd.detect_anomaly():
        tg.nn.functional.cross_entropy(model(x), y).backward()
    for a, p in zip(plain, model.parameters()):
        np.testing.assert_array_equal(a, p.grad.numpy())


def test_off_does_no_anomaly_work(monkeypatch):
    def fail(*args):
        raise AssertionError("anomaly work while anomaly mode is off")

    monkeypatch.setattr(anomaly, "forward_hook", fail)
    monkeypatch.setattr(anomaly, "backward_hook", fail)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x - 5).log().sum().backward()  # NaN, but nobody is looking
    assert np.isnan(x.grad.numpy()).sum() == 0 and (x * 2).op.origin is None


def test_viz_shows_the_origin_of_each_op():
    x = tg.tensor([6.0, 7.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = (x - 5).log()  # drawn with its line
    line = _line_of("drawn with its line")
    g = viz.trace(y.sum())
    log = next(nd for nd in g.nodes if nd.op == "Log")
    assert log.origin == f"test_anomaly.py:{line}"
    assert f"at test_anomaly.py:{line}" in viz.to_dot(y.sum())
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    viz.show(g, console=console)
    assert f"at test_anomaly.py:{line}" in console.export_text()
    assert all(nd.origin is None for nd in viz.trace((x * 2).sum()).nodes)


def test_the_list_view_of_a_large_graph_shows_origins_too():
    x = tg.ones(3, requires_grad=True)
    with tg.autograd.detect_anomaly():
        for _ in range(40):
            x = x * 1.0  # a long chain
    console = Console(record=True, width=80, file=open("/dev/null", "w"))  # noqa: SIM115
    viz.show(viz.trace(x.sum()), console=console)
    text = console.export_text()
    assert "╭─" not in text  # not boxes: the list view
    assert text.count(f"at test_anomaly.py:{_line_of('# a long chain')}") == 40
