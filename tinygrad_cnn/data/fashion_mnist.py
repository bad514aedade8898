"""Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, Zalando Research): 60,000 training and 10,000 test
images of clothes in 10 classes, 28×28 grey levels, in exactly MNIST's IDX format.

A drop-in, harder replacement for MNIST: a small CNN reaches ~99 % on MNIST but ~90 % here, so
the differences between models and optimizers show. On Debian and Ubuntu the original files
come with the package ``dataset-fashion-mnist`` (``apt-get install dataset-fashion-mnist``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .dataset import TensorDataset
from .mnist import load_idx_dataset

__all__ = ["fashion_mnist", "CLASSES", "MIRRORS", "MD5", "SYSTEM_DIR"]

CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
"""The names of the labels 0..9."""

MIRRORS: tuple[str, ...] = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
"""Where the original gzipped files are published."""

MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
"""The published MD5 checksums of the four gzipped files."""

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where the Debian package ``dataset-fashion-mnist`` installs the files."""


def fashion_mnist(
    root: str | os.PathLike | None = None,
    train: bool = True,
    transform: Callable[[Any], Any] | None = None,
    target_transform: Callable[[Any], Any] | None = None,
    download: bool = False,
) -> TensorDataset:
    """The Fashion-MNIST training (60,000) or test (10,000) set as a ``TensorDataset``.

    x: float32 (N, 1, 28, 28) in [0, 1]; y: int64 (N,), 0..9; ``classes`` names the labels
    (``ds.classes[y]``). The IDX files are read from ``root`` (or ``root/FashionMNIST/raw``),
    else from ``SYSTEM_DIR`` where the Debian package puts them; with ``download=True``
    missing files are fetched from ``MIRRORS``, checked against ``MD5`` and stored in ``root``
    (default: the cache folder). ``transform`` is applied to each image and
    ``target_transform`` to each label when a sample is read, as in torchvision.
    """
    return load_idx_dataset(
        "fashion_mnist",
        root,
        train,
        download,
        layout="FashionMNIST",
        system_dir=SYSTEM_DIR,
        system_hint="run `apt-get install dataset-fashion-mnist`",
        mirrors=MIRRORS,
        md5=MD5,
        classes=CLASSES,
        transform=transform,
        target_transform=target_transform,
    )
