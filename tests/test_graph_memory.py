"""What a graph holds after backward, and copying tensors (deepcopy, pickle)."""

from __future__ import annotations

import copy
import gc
import os
import pickle
import tracemalloc

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import models, nn
from viz.trace import trace


def _lenet_step(batch: int, size: int = 28):
    tg.manual_seed(0)
    model = models.lenet(image_size=size)
    opt = tg.optim.SGD(model.parameters(), lr=0.01)
    x, y = tg.randn(batch, 1, size, size), tg.randint(0, 10, (batch,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def test_a_kept_lenet_loss_holds_less_than_a_mebibyte():
    step = _lenet_step(64)
    step()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = step()
        gc.collect()
        with_loss = tracemalloc.get_traced_memory()[0] - base
        del loss
        gc.collect()
        without = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    held = with_loss - without
    assert 0 < held < 1 << 20, f"a kept loss holds {held / 2**20:.2f} MiB"


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_a_thousand_kept_losses_grow_rss_by_less_than_20_mib():
    step = _lenet_step(2, size=8)  # the same ops as at batch 64 on 28×28, but quick
    for _ in range(10):
        step()
    gc.collect()
    before = _rss_mib()
    losses = [step() for _ in range(1000)]
    gc.collect()
    grown = _rss_mib() - before
    assert len(losses) == 1000 and grown < 20, f"RSS grew by {grown:.1f} MiB"


def test_a_freed_graph_keeps_its_shape_for_the_visualizer():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = tg.randn(5, 4)
    loss = model(x).sum()
    before = trace(loss, grads=False)
    loss.backward()
    after = trace(loss, grads=False)
    assert [(n.op, n.shape, n.name) for n in after.nodes] == [
        (n.op, n.shape, n.name) for n in before.nodes
    ]
    assert [(e.src, e.dst) for e in after.edges] == [(e.src, e.dst) for e in before.edges]
    assert after.modules.keys() == before.modules.keys()
    freed = [p for p in loss.op.inputs if p.is_freed]
    assert freed and all(p.op is not None for p in freed)
    with pytest.raises(RuntimeError, match="freed"):
        freed[0].numpy()
    assert all(not p.is_freed for p in model.parameters())


def test_stand_ins_a_tensor_the_user_holds_keeps_its_values_one_nobody_holds_is_freed():
    x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    held = x * 2.0  # the user keeps this one
    loss = (held.exp() + (held * 3.0).tanh().exp()).sum()  # shared: two ops read `held`
    loss.backward()
    np.testing.assert_allclose(held.numpy(), [2.0, 4.0, 6.0])  # still its own values
    assert not held.is_freed and held.op is not None
    ops = [t.op for t in tg.autograd.toposort(loss) if t.op is not None]
    readers = [t for op in ops for t in op.inputs if t.shape == (3,) and t.op is held.op]
    assert len(readers) == 2 and readers[0] is readers[1]  # one stand-in, however often read
    assert readers[0] is not held and readers[0].is_freed
    # an activation only the graph held became its own stand-in: no values anywhere
    inner = [t for op in ops for t in op.inputs if t.op is not None and t.op.name == "Tanh"]
    assert inner and all(t.is_freed for t in inner)
    with pytest.raises(RuntimeError, match="freed"):
        inner[0].numpy()
    with pytest.raises(AttributeError):
        inner[0].grad = tg.ones(3)  # stand-ins are read-only
    assert sum(op.saved_nbytes for op in ops) == 0


def test_deepcopy_and_pickle_of_leaves():
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.name = "w"
    c = copy.deepcopy(w)
    assert c is not w and c._data is not w._data and c.requires_grad and c.is_leaf
    assert c.tolist() == [1.0, 2.0] and c.grad.tolist() == [2.0, 4.0] and c.name == "w"
    p = pickle.loads(pickle.dumps(w))
    assert p.tolist() == [1.0, 2.0] and p.requires_grad and p.dtype == np.float32
    i = pickle.loads(pickle.dumps(tg.Tensor([1, 2])))
    assert i.dtype == np.int64 and i.tolist() == [1, 2]
    param = nn.Parameter(tg.ones(2))
    assert type(copy.deepcopy(param)) is nn.Parameter
    assert type(pickle.loads(pickle.dumps(param))) is nn.Parameter


def test_copying_a_non_leaf_is_refused_in_one_line_even_for_long_graphs():
    x = tg.ones(2, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
    for copier in (copy.deepcopy, pickle.dumps):
        with pytest.raises(RuntimeError, match=r"only tensors created by the user .* Mul"):
            copier(y)
    assert copy.deepcopy(y.detach()).tolist() == [1.0, 1.0]


def test_modules_deep_copy_after_training_ops():
    model = models.lenet()
    out = model(tg.randn(2, 1, 28, 28))
    F.cross_entropy(out, tg.Tensor([1, 2])).backward()
    twin = copy.deepcopy(model)
    for (name, a), (_, b) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert a is not b and a._data is not b._data, name
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = tg.randn(2, 1, 28, 28)
    model.eval()
    twin.eval()
    np.testing.assert_allclose(model(x).numpy(), twin(x).numpy())
