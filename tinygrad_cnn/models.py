"""Ready-made models for the tutorials, the command line and the visualizer.

``get_model(name)`` returns ``(model, example_input)``; ``MODELS`` lists the names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import nn
from .tensor import Tensor

__all__ = ["lenet", "ising_cnn", "Net", "ModelSpec", "MODELS", "get_model"]


def _pooled(size: int, times: int) -> int:
    """Side length after ``times`` 2×2 max-pools with stride 2 (each floors: 7 → 3)."""
    for _ in range(times):
        size //= 2
    return size


def lenet(in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> nn.Sequential:
    """A LeNet-style CNN for ``(N, in_channels, image_size, image_size)`` images.

    conv(3×3, 32, pad 1)–BN–ReLU–maxpool 2 → conv(3×3, 64, pad 1)–BN–ReLU–maxpool 2 → flatten →
    linear(64·s·s → 128)–ReLU–dropout 0.5 → linear(128 → num_classes), where s is the side after
    two poolings (28 → 7 for MNIST, 8 → 2 for the 8×8 digits). Output: logits ``(N, classes)``.
    """
    side = _pooled(int(image_size), 2)
    if side < 1:
        raise ValueError(f"lenet: image_size {image_size} is too small for two 2×2 poolings")
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(in_channels, 32, 3, padding=1),
            bn1=nn.BatchNorm2d(32),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(32, 64, 3, padding=1),
            bn2=nn.BatchNorm2d(64),
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc1=nn.Linear(64 * side * side, 128),
            relu3=nn.ReLU(),
            dropout=nn.Dropout(0.5),
            fc2=nn.Linear(128, num_classes),
        )
    )


def ising_cnn(L: int = 16, channels: int = 16, num_classes: int = 2) -> nn.Sequential:
    """A small CNN that tells the ordered from the disordered phase of L×L Ising lattices.

    Input ``(N, 1, L, L)`` spins ±1, output logits ``(N, num_classes)``. The convolutions use
    circular padding, which matches the periodic lattice (the network commutes with
    translations); global average pooling makes the head independent of L, so a model trained
    on one size can be run on another (finite-size scaling). ``L`` only sets the example input
    used by ``get_model``; the model itself accepts any size ≥ 2.

    conv(3×3, channels, circular)–ReLU → conv(3×3, channels, circular)–ReLU → maxpool 2 →
    global average pool → flatten → linear(channels → num_classes)
    """
    if L < 2:
        raise ValueError(f"ising_cnn: L must be at least 2, got {L}")
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, channels, 3, padding=1, padding_mode="circular"),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(channels, channels, 3, padding=1, padding_mode="circular"),
            relu2=nn.ReLU(),
            pool=nn.MaxPool2d(2),
            gap=nn.AdaptiveAvgPool2d(1),
            flatten=nn.Flatten(),
            fc=nn.Linear(channels, num_classes),
        )
    )


class Net(nn.Module):
    """The network of PyTorch's MNIST example (``examples/mnist_like_pytorch.py``), with the
    same parameter names, so a state dict moves between the two unchanged.

    conv(3×3, 32)–ReLU → conv(3×3, 64)–ReLU → maxpool 2 → dropout 0.25 → flatten →
    linear(64·s·s → 128)–ReLU → dropout 0.5 → linear(128 → num_classes) → log_softmax, where
    s = (image_size − 4) // 2 (12 for 28×28 images: 9216 inputs to fc1, as in PyTorch's).
    Input ``(N, in_channels, image_size, image_size)``; output log-probabilities
    ``(N, num_classes)`` (``cross_entropy`` of them equals ``nll_loss``: log_softmax is
    idempotent).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, image_size: int = 28) -> None:
        super().__init__()
        side = (int(image_size) - 4) // 2
        if side < 1:
            raise ValueError(f"Net: image_size {image_size} is too small (needs at least 6)")
        self.conv1 = nn.Conv2d(in_channels, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(64 * side * side, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        from . import functional as F

        x = F.relu(self.conv1(x))  # (N, 32, H − 2, W − 2)
        x = F.relu(self.conv2(x))  # (N, 64, H − 4, W − 4)
        x = self.dropout1(F.max_pool2d(x, 2))  # (N, 64, s, s)
        x = self.dropout2(F.relu(self.fc1(x.flatten(1))))  # (N, 128)
        return F.log_softmax(self.fc2(x), dim=1)


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: how to build it, and the shape of one example batch."""

    build: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    description: str


MODELS: dict[str, ModelSpec] = {
    "lenet": ModelSpec(
        build=lambda: lenet(1, 10, 28),
        input_shape=(1, 1, 28, 28),
        description="LeNet-style CNN for 28×28 MNIST digits (2 conv–BN–ReLU–pool blocks, MLP head)",
    ),
    "lenet-digits": ModelSpec(
        build=lambda: lenet(1, 10, 8),
        input_shape=(1, 1, 8, 8),
        description="the same LeNet sized for scikit-learn's 8×8 digits",
    ),
    "ising": ModelSpec(
        build=lambda: ising_cnn(16),
        input_shape=(1, 1, 16, 16),
        description="small circular-padding CNN for Ising phases on 16×16 lattices",
    ),
    "mnist-net": ModelSpec(
        build=lambda: Net(1, 10, 28),
        input_shape=(1, 1, 28, 28),
        description="the network of PyTorch's MNIST example (2 conv, dropout, 2 linear)",
    ),
}


def get_model(name: str, batch_size: int | None = None) -> tuple[nn.Module, Tensor]:
    """``(model, example_input)`` for a name in ``MODELS``; the example is random (from the
    seeded global generator), of the model's input shape, with batch ``batch_size`` if given.
    Ising examples are random ±1 spins."""
    if name not in MODELS:
        raise KeyError(f"get_model: unknown model {name!r}; choose from {sorted(MODELS)}")
    from .random import default_rng

    spec = MODELS[name]
    shape = spec.input_shape if batch_size is None else (batch_size, *spec.input_shape[1:])
    rng = default_rng()
    if name == "ising":
        x = np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)
    else:
        x = rng.standard_normal(shape).astype(np.float32)
    return spec.build(), Tensor(x)
