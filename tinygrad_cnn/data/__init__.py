"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``random_split``, ``DataLoader``, and the data sets of the tutorials — 2D Ising configurations
(``ising``), scikit-learn's 8×8 digits (``digits``), MNIST (``mnist``) and Fashion-MNIST
(``fashion_mnist``). Also importable as ``tinygrad_cnn.utils.data``."""

from __future__ import annotations

from .dataset import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from .digits import digits
from .fashion_mnist import fashion_mnist
from .ising import DEFAULT_TEMPERATURES, IsingDataset, T_c, default_cache_dir, ising
from .mnist import mnist

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "DataLoader",
    "random_split",
    "default_collate",
    "ising",
    "IsingDataset",
    "T_c",
    "DEFAULT_TEMPERATURES",
    "default_cache_dir",
    "digits",
    "mnist",
    "fashion_mnist",
]
