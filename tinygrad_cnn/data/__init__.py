"""Datasets and batching: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``random_split``, ``DataLoader`` and its samplers (``SequentialSampler``, ``RandomSampler``,
``SubsetRandomSampler``, ``WeightedRandomSampler``, ``BatchSampler``), the image augmentations
of ``tinygrad_cnn.data.transforms``, and the data sets of the tutorials — 2D Ising
configurations (``ising``), boosted-jet images (``jet_images``), Gaussian random fields
(``gaussian_random_fields``), scikit-learn's 8×8 digits (``digits``), MNIST (``mnist``) and
Fashion-MNIST (``fashion_mnist``). Also importable as ``tinygrad_cnn.utils.data``."""

from __future__ import annotations

from . import transforms
from .dataset import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)
from .digits import digits
from .fashion_mnist import fashion_mnist
from .ising import DEFAULT_TEMPERATURES, IsingDataset, T_c, default_cache_dir, ising
from .jets import JetDataset, jet_images
from .mnist import mnist
from .random_fields import RandomFieldDataset, gaussian_random_fields
from .samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "transforms",
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "DataLoader",
    "random_split",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "WorkerInfo",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "ising",
    "IsingDataset",
    "T_c",
    "DEFAULT_TEMPERATURES",
    "default_cache_dir",
    "jet_images",
    "JetDataset",
    "gaussian_random_fields",
    "RandomFieldDataset",
    "digits",
    "mnist",
    "fashion_mnist",
]
