"""nn.init: gains, fans, the statistics of every initialiser, the layers' defaults, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.nn import init


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(1234)  # statistical checks below are then deterministic


def empty(*shape, dtype=np.float32):
    return tg.Tensor(np.zeros(shape, dtype=dtype))


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0) == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fans():
    assert init.calculate_fan_in_and_fan_out(empty(5, 3)) == (3, 5)
    assert init.calculate_fan_in_and_fan_out(empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.calculate_fan_in_and_fan_out(empty(5))


def _uniform_stats(t, bound):
    v = t.numpy()
    assert v.min() >= -bound and v.max() <= bound
    assert v.min() < -0.98 * bound and v.max() > 0.98 * bound  # the whole range is used
    assert abs(v.mean()) < 0.02 * bound
    assert v.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_kaiming_uniform_bound():
    t = init.kaiming_uniform_(empty(400, 50, 3, 3), a=0, nonlinearity="relu")
    _uniform_stats(t, math.sqrt(2) * math.sqrt(3 / 450))
    t = init.kaiming_uniform_(empty(200, 100), mode="fan_out")  # leaky_relu, slope 0.01
    _uniform_stats(t, math.sqrt(2 / (1 + 1e-4)) * math.sqrt(3 / 200))


def test_kaiming_normal_std():
    t = init.kaiming_normal_(empty(300, 60, 2, 2), nonlinearity="relu").numpy()
    assert t.std() == pytest.approx(math.sqrt(2 / 240), rel=0.02)
    assert abs(t.mean()) < 0.02 * t.std()
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(empty(3, 3), mode="fan_avg")


def test_xavier():
    t = init.xavier_uniform_(empty(300, 200), gain=2.0)
    _uniform_stats(t, 2.0 * math.sqrt(6 / 500))
    v = init.xavier_normal_(empty(300, 200)).numpy()
    assert v.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)


def test_normal_uniform_constant_and_trunc_normal():
    v = init.normal_(empty(100_000), mean=3.0, std=0.5).numpy()
    assert v.mean() == pytest.approx(3.0, abs=0.01) and v.std() == pytest.approx(0.5, rel=0.02)
    v = init.uniform_(empty(100_000), -2.0, 6.0).numpy()
    assert v.min() >= -2 and v.max() <= 6 and v.mean() == pytest.approx(2.0, abs=0.05)
    assert np.all(init.constant_(empty(3, 2), 0.25).numpy() == 0.25)
    assert np.all(init.ones_(empty(4)).numpy() == 1) and np.all(
        init.zeros_(tg.ones(4)).numpy() == 0
    )
    v = init.trunc_normal_(empty(50_000), std=1.0, a=-1.0, b=0.5).numpy()
    assert v.min() >= -1.0 and v.max() <= 0.5 and v.min() < -0.99 and v.max() > 0.49
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(tg.Tensor(np.zeros(3, dtype=np.int64)))


def test_init_keeps_dtype_and_writes_in_place():
    t = empty(20, 10, dtype=np.float64)
    data = t._data
    out = init.kaiming_uniform_(t)
    assert out is t and t._data is data and t.dtype == np.float64 and np.any(data != 0)


def test_default_linear_and_conv_init_follow_pytorch():
    # kaiming_uniform(a=√5) gives U(−1/√fan_in, 1/√fan_in) for the weight; the bias likewise
    lin = nn.Linear(512, 600)
    _uniform_stats(lin.weight, 1 / math.sqrt(512))
    b = lin.bias.numpy()
    assert np.abs(b).max() <= 1 / math.sqrt(512) and b.std() > 0.5 / math.sqrt(3 * 512)
    conv = nn.Conv2d(16, 256, 5)
    fan_in = 16 * 25
    _uniform_stats(conv.weight, 1 / math.sqrt(fan_in))
    assert np.abs(conv.bias.numpy()).max() <= 1 / math.sqrt(fan_in)
    convt = nn.ConvTranspose2d(64, 32, 4)  # fan_in is computed from weight.shape[1] = 32
    assert np.abs(convt.weight.numpy()).max() <= 1 / math.sqrt(32 * 16)
    assert np.abs(convt.weight.numpy()).max() > 0.95 / math.sqrt(32 * 16)
    bn = nn.BatchNorm2d(3)
    assert np.all(bn.weight.numpy() == 1) and np.all(bn.bias.numpy() == 0)


def test_manual_seed_makes_init_reproducible():
    tg.manual_seed(7)
    a = nn.Conv2d(3, 8, 3)
    tg.manual_seed(7)
    b = nn.Conv2d(3, 8, 3)
    c = nn.Conv2d(3, 8, 3)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    assert not np.array_equal(a.weight.numpy(), c.weight.numpy())
    gen = np.random.default_rng(5)
    x = init.normal_(empty(4), generator=gen).numpy()
    np.testing.assert_array_equal(x, np.random.default_rng(5).normal(0, 1, 4).astype(np.float32))
