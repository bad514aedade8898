"""Real data: the Fashion-MNIST files of the Debian package ``dataset-fashion-mnist``, read and
learned from. Skipped (with the reason) where the package is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data.fashion_mnist import CLASSES, SYSTEM_DIR
from tinygrad_cnn.nn import functional as F

pytestmark = pytest.mark.skipif(
    not (SYSTEM_DIR / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST not installed in {SYSTEM_DIR} (apt-get install dataset-fashion-mnist)",
)


def test_the_installed_files_are_the_original_data_set():
    train, test = tg.data.fashion_mnist(train=True), tg.data.fashion_mnist(train=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    x, y = test.tensors
    assert x.shape == (10_000, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 == float(x.amin()) and float(x.amax()) == 1.0
    counts = np.bincount(y.numpy(), minlength=10)
    assert counts.tolist() == [1000] * 10  # the test set is balanced, 1,000 per class
    assert test.classes == CLASSES and test.classes[9] == "Ankle boot"
    # read through root= as well: the same arrays
    again = tg.data.fashion_mnist(SYSTEM_DIR, train=False)
    np.testing.assert_array_equal(again.tensors[0].numpy(), x.numpy())


def test_a_small_cnn_learns_fashion_mnist():
    """2,000 training images × 2 epochs in batches of 16: at least 80 % on 2,000 test images
    (80.4-82.7 % for seeds 0-3; a few seconds on 2 cores)."""
    tg.manual_seed(0)
    train, test = tg.data.fashion_mnist(train=True), tg.data.fashion_mnist(train=False)
    x_train, y_train = (t[:2000] for t in train.tensors)
    x_test, y_test = (t[:2000] for t in test.tensors)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip
    opt = optim.Adam(model.parameters(), lr=2e-3)
    loader = tg.utils.data.DataLoader(
        tg.utils.data.TensorDataset(x_train, y_train), batch_size=16, shuffle=True
    )
    for _ in range(2):
        model.train()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with tg.no_grad():
        _, pred = model(x_test).max(1)
    accuracy = pred.eq(y_test).float().mean().item()
    assert accuracy >= 0.80, f"test accuracy {accuracy:.3f}"
