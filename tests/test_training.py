"""Training works end to end: the LeNet on scikit-learn's 8×8 digits reaches ≥ 97 % test
accuracy in 6 epochs, about ten seconds of training on 2 shared cores."""

from __future__ import annotations

import time

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, digits
from tinygrad_cnn.models import lenet
from tinygrad_cnn.optim.lr_scheduler import CosineAnnealingLR

EPOCHS = 6


def accuracy(model: nn.Module, dataset) -> float:
    x, y = dataset.tensors
    model.eval()
    with tg.no_grad():
        pred = model(x).argmax(axis=1).numpy()
    model.train()
    return float(np.mean(pred == y.numpy()))


def test_lenet_learns_digits_to_97_percent():
    pytest.importorskip("sklearn")
    # scikit-learn brings threadpoolctl. On a busy 2-core machine OpenBLAS's spinning worker
    # threads make these small GEMMs 3-10x slower than one thread does; the result is the same.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        _train_and_check()


def _train_and_check() -> None:
    tg.manual_seed(0)
    train, test = digits(train=True), digits(train=False)
    model = lenet(image_size=8)
    opt = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = CosineAnnealingLR(opt, T_max=EPOCHS)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(train, batch_size=32, shuffle=True, seed=0)
    start = time.perf_counter()
    losses = []
    for _ in range(EPOCHS):
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
    elapsed = time.perf_counter() - start
    acc = accuracy(model, test)
    train_acc = accuracy(model, train)
    print(
        f"digits: {acc:.2%} test, {train_acc:.2%} train accuracy after {EPOCHS} epochs "
        f"in {elapsed:.1f} s"
    )
    assert np.mean(losses[-10:]) < 0.2 * np.mean(losses[:10])
    assert acc >= 0.97, f"test accuracy {acc:.2%} after {EPOCHS} epochs"
    assert train_acc >= 0.98
    assert elapsed < 120, f"training took {elapsed:.1f} s (expected a few seconds)"
