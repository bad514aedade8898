"""The 8×8 handwritten digits that ship with scikit-learn (1,797 images, 10 classes)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from .dataset import TensorDataset

__all__ = ["digits"]


def _load_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 8, 8) with values 0..16, labels (N,)) from scikit-learn's bundled copy."""
    try:
        datasets = importlib.import_module("sklearn.datasets")
    except ImportError as e:
        raise ImportError(
            "digits() reads the 8×8 digits bundled with scikit-learn, which is not installed: "
            "`pip install scikit-learn` (or `pip install tinygrad-cnn[digits]`)"
        ) from e
    bunch = datasets.load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target)


def _stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """Boolean test mask with round(test_fraction · n_c) samples of every class c, chosen at
    random with ``seed``: the same seed always gives the same split, and both parts keep the
    class balance of the whole set."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        k = int(round(test_fraction * len(members)))
        test[rng.permutation(members)[:k]] = True
    return test


def digits(
    train: bool = True,
    test_fraction: float = 0.2,
    seed: int = 0,
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[Any], Any] | None = None,
) -> TensorDataset:
    """scikit-learn's 8×8 digits as a ``TensorDataset`` of ``(x, y)``.

    x: float32 (N, 1, 8, 8), grey levels scaled from 0..16 to [0, 1]; y: int64 (N,), 0..9.
    The train/test split is stratified by class (each class contributes
    round(test_fraction · its size) test images) and deterministic given ``seed``;
    ``train=False`` returns the complementary test part. Default: 80/20, seed 0 (1,438/359).
    ``transform``/``target_transform`` are applied per sample (image, label) when it is read.
    Needs scikit-learn (``pip install scikit-learn``).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction}")
    images, labels = _load_sklearn_digits()
    test = _stratified_split(labels, test_fraction, seed)
    keep = ~test if train else test
    x = (images[keep] / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    y = labels[keep].astype(np.int64)
    return TensorDataset(x, y, transform=transform, target_transform=target_transform)
