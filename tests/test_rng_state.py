"""Reproducibility: tg.Generator, get_rng_state/set_rng_state, randperm, and a training run
resumed from a checkpoint that continues bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset, random_split
from tinygrad_cnn.data import transforms as T


# ---------------------------------------------------------------- Generator
def test_generator_seeding_and_defaults():
    g = tg.Generator()
    assert g.initial_seed() == 67280421310721  # PyTorch's default seed
    assert tg.rand(3, generator=tg.Generator()).tolist() == tg.rand(3, generator=g).tolist()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = tg.randn(4, generator=g).tolist()
    assert tg.randn(4, generator=tg.Generator().manual_seed(5)).tolist() == a
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2**63
    assert tg.manual_seed(3) is tg.default_generator and tg.initial_seed() == 3
    assert tg.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # wraps, as PyTorch


def test_generator_state_round_trip_and_errors():
    g = tg.Generator().manual_seed(9)
    tg.randn(3, generator=g)
    state = g.get_state()
    assert state.dtype == np.uint8 and state.shape == (48,)
    a = (tg.rand(5, generator=g).tolist(), tg.randint(0, 100, (4,), generator=g).tolist())
    g.set_state(state)
    assert (tg.rand(5, generator=g).tolist(), tg.randint(0, 100, (4,), generator=g).tolist()) == a
    other = tg.Generator().set_state(state)
    assert other.initial_seed() == 9 and tg.rand(5, generator=other).tolist() == a[0]
    with pytest.raises(TypeError, match=r"set_state: expected a uint8 Tensor made by get_state"):
        g.set_state([1, 2])
    with pytest.raises(RuntimeError, match=r"set_state: expected a uint8 tensor of shape \(48,\)"):
        g.set_state(tg.zeros(48))
    with pytest.raises(RuntimeError, match=r"set_state: the tensor is not a generator state"):
        g.set_state(tg.zeros(48, dtype=tg.uint8))
    with pytest.raises(TypeError, match=r"manual_seed: seed must be an int, got float"):
        g.manual_seed(1.5)
    with pytest.raises(RuntimeError, match=r"manual_seed: seed must be within"):
        g.manual_seed(2**64)


def test_global_rng_state_restores_every_kind_of_draw():
    tg.manual_seed(0)
    tg.rand(2)
    state = tg.get_rng_state()

    def draws():
        x = tg.ones(6, 6)
        return [
            tg.rand(3).tolist(),
            tg.randn(2, 2).tolist(),
            tg.randint(10, size=(3,)).tolist(),
            tg.randperm(7).tolist(),
            F.dropout(x, 0.5).tolist(),
            nn.Linear(3, 2).weight.tolist(),
        ]

    first = draws()
    tg.set_rng_state(state)
    assert draws() == first
    assert draws() != first


def test_rng_state_goes_into_a_checkpoint(tmp_path):
    tg.manual_seed(4)
    tg.save({"rng": tg.get_rng_state()}, tmp_path / "rng.ckpt")
    want = tg.rand(4).tolist()
    tg.set_rng_state(tg.load(tmp_path / "rng.ckpt")["rng"])
    assert tg.rand(4).tolist() == want


def test_randperm():
    p = tg.randperm(10, generator=tg.Generator().manual_seed(1))
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    assert p.tolist() == tg.randperm(10, generator=tg.Generator().manual_seed(1)).tolist()
    assert tg.randperm(4, dtype=tg.float32).dtype == np.float32
    assert tg.randperm(0).shape == (0,)
    tg.manual_seed(2)
    counts = np.zeros((4, 4))
    for _ in range(4000):
        counts[np.arange(4), tg.randperm(4).numpy()] += 1
    assert np.abs(counts - 1000).max() < 150  # each value at each place: binomial(4000, 1/4)
    with pytest.raises(RuntimeError, match=r"randperm: n must be non-negative, got -1"):
        tg.randperm(-1)
    with pytest.raises(TypeError, match=r"randperm: n must be an int"):
        tg.randperm(2.0)
    with pytest.raises(TypeError, match=r"randperm: generator must be a tinygrad_cnn.Generator"):
        tg.randperm(3, generator=3)


def test_random_split_takes_a_generator():
    ds = TensorDataset(np.arange(10))
    a = random_split(ds, [6, 4], generator=tg.Generator().manual_seed(3))
    b = random_split(ds, [6, 4], generator=tg.Generator().manual_seed(3))
    assert [list(s.indices) for s in a] == [list(s.indices) for s in b]


def test_nn_init_takes_a_generator():
    w1, w2 = tg.zeros(3, 4), tg.zeros(3, 4)
    nn.init.normal_(w1, generator=tg.Generator().manual_seed(1))
    nn.init.normal_(w2, generator=tg.Generator().manual_seed(1))
    assert w1.tolist() == w2.tolist() and w1.abs().sum().item() > 0


# ---------------------------------------------------------------- resuming a training run
class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.fc(self.drop(x.flatten(1)))


def _data():
    rng = np.random.default_rng(0)
    x = rng.random((12, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 12)
    augment = T.Compose(
        [
            T.RandomCrop(8, padding=1),
            T.RandomHorizontalFlip(),
            T.RandomRotation(15, interpolation="bilinear"),
            T.RandomErasing(p=0.3),
        ]
    )
    return TensorDataset(x, y, transform=augment)


def _epochs(model, opt, loader, n):
    """n epochs of 3 steps; the losses and the final weights, exactly."""
    losses = []
    model.train()
    for _ in range(n):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("resume_workers", [0, 2])
def test_resumed_run_continues_bit_for_bit(tmp_path, resume_workers):
    tg.manual_seed(0)
    model = _Net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(_data(), batch_size=4, shuffle=True)
    _epochs(model, opt, loader, 2)
    tg.save(
        {"model": model.state_dict(), "opt": opt.state_dict(), "rng": tg.get_rng_state()},
        tmp_path / "run.ckpt",
    )
    losses, weights = _epochs(model, opt, loader, 3)

    tg.manual_seed(123)  # a fresh process would start anywhere
    ckpt = tg.load(tmp_path / "run.ckpt")
    model2 = _Net()
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(ckpt["opt"])
    tg.set_rng_state(ckpt["rng"])
    loader2 = DataLoader(_data(), batch_size=4, shuffle=True, num_workers=resume_workers)
    losses2, weights2 = _epochs(model2, opt2, loader2, 3)

    assert losses2 == losses and len(losses) == 9
    for a, b in zip(weights, weights2, strict=True):
        np.testing.assert_array_equal(a, b)
