"""The data sets ``train`` and ``evaluate`` use, rebuilt from a small ``spec`` dict that the
checkpoint stores (so ``evaluate`` and ``--resume`` see exactly the data of training)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CommandError
from .parser import DISORDERED_ABOVE, ISING_TEMPERATURES, ORDERED_BELOW
from .report import progress

__all__ = ["Data", "load_data", "ising_spec", "image_spec", "augmentation", "Augmented"]

TEST_FRACTION = 0.25  # of the labelled Ising configurations


@dataclass
class Data:
    """What a training run needs to know about its data."""

    name: str
    train: Any
    test: Any
    spec: dict[str, Any]  # enough to rebuild the same data later (stored in the checkpoint)
    image_size: int
    num_classes: int
    in_channels: int = 1
    curve: Any = None  # ising: the samples whose P(ordered) makes the curve
    curve_temperatures: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def ising_spec(L: int, samples_per_t: int, seed: int, limit: int | None) -> dict[str, Any]:
    return {
        "name": "ising",
        "L": L,
        "temperatures": list(ISING_TEMPERATURES),
        "samples_per_T": samples_per_t,
        "seed": seed,
        "test_fraction": TEST_FRACTION,
        "limit": limit,
    }


def image_spec(name: str, root: str | None, download: bool, limit: int | None) -> dict[str, Any]:
    return {"name": name, "root": root, "download": download, "limit": limit}


class Augmented:
    """A data set whose images go through ``transform`` each time a sample is read (drawing
    from the generator of the batch being loaded, so a seed fixes every augmentation)."""

    def __init__(self, dataset: Any, transform: Any) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        x, y = self.dataset[index]
        return self.transform(x), y


def augmentation(name: str, image_size: int):
    """The ``--augment`` transform of a data set: only changes that keep the label true."""
    from ..data import transforms as T

    if name == "ising":  # mirror images of a periodic lattice are equally likely states
        return T.Compose([T.RandomHorizontalFlip(), T.RandomVerticalFlip()])
    shift = max(1, image_size // 14)  # 2 pixels of 28, 1 of 8
    steps = [T.RandomCrop(image_size, padding=shift)]
    if name == "fashion-mnist":  # a mirrored shirt is a shirt; a mirrored 2 is not a 2
        steps.append(T.RandomHorizontalFlip())
    return T.Compose(steps)


def _first(dataset: Any, limit: int | None) -> Any:
    from ..data import Subset

    if limit is None or limit >= len(dataset):
        return dataset
    return Subset(dataset, np.arange(limit))


def _ising_data(spec: dict[str, Any], console) -> Data:
    from ..data import Subset, ising

    L, n, seed = spec["L"], spec["samples_per_T"], spec["seed"]
    temps = spec["temperatures"]
    with progress(console) as bar:
        task = bar.add_task(
            f"Ising configurations {L}×{L}, {len(temps)} T × {n}", total=None, info=""
        )

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        t0 = time.perf_counter()
        ds = ising(L=L, temperatures=temps, samples_per_T=n, seed=seed, progress=report)
        elapsed = time.perf_counter() - t0
    T = np.asarray(ds.temperatures)
    labelled = np.flatnonzero((T < ORDERED_BELOW) | (T > DISORDERED_ABOVE))
    critical = np.flatnonzero((T >= ORDERED_BELOW) & (T <= DISORDERED_ABOVE))
    perm = np.random.default_rng(seed).permutation(labelled)
    n_test = int(round(spec["test_fraction"] * len(perm)))
    test_idx, train_idx = np.sort(perm[:n_test]), np.sort(perm[n_test:])
    limit = spec.get("limit")
    if limit is not None:  # a random sample of each part (the first ones are all cold)
        train_idx, test_idx = np.sort(perm[n_test:][:limit]), np.sort(perm[:n_test][:limit])
    curve_idx = np.sort(np.concatenate([test_idx, critical]))
    console.print(
        f"Ising data: {len(ds)} configurations {L}×{L} at {len(temps)} temperatures "
        f"({elapsed:.1f} s)"
    )
    console.print(
        f"Training on T < {ORDERED_BELOW} and T > {DISORDERED_ABOVE}: {len(train_idx)} train, "
        f"{len(test_idx)} test; {len(critical)} near T_c held out"
    )
    return Data(
        name="ising",
        train=Subset(ds, train_idx),
        test=Subset(ds, test_idx),
        spec=spec,
        image_size=L,
        num_classes=2,
        curve=Subset(ds, curve_idx),
        curve_temperatures=T[curve_idx],
        extra={"generation_seconds": elapsed},
    )


def _idx_missing(name: str, root: Path | None) -> str:
    where = f"in {root}" if root is not None else "in the cache or the system's folder"
    title = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}[name]
    size = {"mnist": "about 11 MB", "fashion-mnist": "about 30 MB"}[name]
    return (
        f"{title} not found {where} (it needs train-images-idx3-ubyte, "
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, raw or "
        f".gz): add --download to fetch them ({size}), or copy them there, or point "
        "--data-dir at them"
    )


def load_data(spec: dict[str, Any], console) -> Data:
    """The data described by ``spec`` (see ``ising_spec`` and ``image_spec``)."""
    name = spec["name"]
    limit = spec.get("limit")
    if name == "ising":
        return _ising_data(spec, console)
    if name == "digits":
        from ..data import digits

        try:
            train, test = digits(train=True), digits(train=False)
        except ImportError as e:
            raise CommandError(str(e)) from None
        train, test = _first(train, limit), _first(test, limit)
        console.print(f"digits: {len(train)} train, {len(test)} test images, 8×8")
        return Data("digits", train, test, spec, image_size=8, num_classes=10)
    if name in ("mnist", "fashion-mnist"):
        from ..data import fashion_mnist, mnist

        load = mnist if name == "mnist" else fashion_mnist
        root = None if spec.get("root") is None else Path(spec["root"])
        download = bool(spec.get("download"))
        try:
            train = load(root, train=True, download=download)
            test = load(root, train=False, download=download)
        except FileNotFoundError:
            raise CommandError(_idx_missing(name, root)) from None
        except (OSError, RuntimeError, ValueError) as e:
            raise CommandError(str(e).splitlines()[0]) from None
        train, test = _first(train, limit), _first(test, limit)
        side = int(train[0][0].shape[-1])
        console.print(f"{name}: {len(train)} train, {len(test)} test images, {side}×{side}")
        return Data(name, train, test, spec, image_size=side, num_classes=10)
    raise CommandError(f"unknown dataset {name!r} in the checkpoint")
