"""Datasets and the DataLoader that batches them, shaped like PyTorch's ``torch.utils._data``.

A *dataset* maps an index to one sample (usually a tuple of fields, e.g. ``(image, label)``).
A ``DataLoader`` draws indices (in order or shuffled), gathers each batch and stacks every
field into one Tensor with a leading batch dimension.

Datasets that hold their fields as whole arrays (``TensorDataset``, ``Subset`` of one, and the
built-in ``ising``/``digits``/``mnist``) define ``arrays()``; the loader then gathers a batch
with one fancy-indexing operation per field instead of a Python loop over samples, so an epoch
over 60,000 samples costs a few hundred array operations, not 60,000 ``__getitem__`` calls.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from ..dtypes import get_default_dtype
from ..random import default_rng
from ..tensor import Tensor

__all__ = [
    "Dataset",
    "TensorDataset",
    "Subset",
    "ConcatDataset",
    "DataLoader",
    "random_split",
    "default_collate",
]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__len__`` and ``__getitem__``.

    Optionally a subclass defines ``arrays()`` returning one array per field, all with the
    sample index as their first dimension; ``DataLoader`` then batches by indexing those arrays.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Samples are the i-th rows of the given tensors: ``ds[i] == (t0[i], t1[i], ...)``.

    ``TensorDataset(x, y)``: each argument is a Tensor or an array (wrapped as a Tensor without a
    copy); all must have the same size N in dimension 0. ``ds.tensors`` is the tuple of Tensors.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for t in self.tensors:
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors need a sample dimension; got a 0-d one")
        sizes = {t.shape[0] for t in self.tensors}
        if len(sizes) != 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise ValueError(
                "TensorDataset: all tensors must have the same size in dimension 0, "
                f"got shapes {shapes}"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(t._data[index]) for t in self.tensors)

    def arrays(self) -> tuple[Any, ...]:
        """The fields as backend arrays, (N, ...) each."""
        return tuple(t._data for t in self.tensors)

    def __repr__(self) -> str:
        fields = ", ".join(f"{t.shape} {t.dtype}" for t in self.tensors)
        return f"{type(self).__name__}(N={len(self)}: {fields})"


class Subset(Dataset):
    """The samples ``dataset[indices[k]]``, k = 0..len(indices)−1, of another dataset."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(
                f"Subset: indices must be a 1-d sequence of ints, got {idx.dtype} {idx.shape}"
            )
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"Subset: indices out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices = idx.astype(np.int64) % max(n, 1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]


class ConcatDataset(Dataset):
    """The samples of several datasets one after another, as ``torch.utils.data.ConcatDataset``:
    ``ConcatDataset([a, b])[len(a)]`` is ``b[0]``. ``cumulative_sizes`` are the running ends."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if not hasattr(d, "__len__") or not hasattr(d, "__getitem__"):
                raise TypeError(
                    f"ConcatDataset: every dataset needs __len__ and __getitem__, got "
                    f"{type(d).__name__}"
                )
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = index + n if index < 0 else int(index)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _array_source(dataset: Any) -> tuple[tuple[Any, ...], np.ndarray | None] | None:
    """Whole-field arrays behind ``dataset`` and the map from its indices to their rows (None:
    the identity), following ``Subset``s down to a dataset with ``arrays()``; None if there is
    no such dataset, and batches must then be built sample by sample."""
    if isinstance(dataset, Subset):
        inner = _array_source(dataset.dataset)
        if inner is None:
            return None
        fields, rows = inner
        return fields, dataset.indices if rows is None else rows[dataset.indices]
    get = getattr(dataset, "arrays", None)
    return (tuple(get()), None) if callable(get) else None


def _index_for(a: Any, idx: np.ndarray) -> Any:
    """An index array on the same device as ``a``."""
    xp = get_array_module(a)
    return idx if xp is np else xp.asarray(idx)


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: np.random.Generator | int | None = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each subset
    gets floor(fraction·n); the remainder goes round-robin to the first subsets, as in PyTorch).
    The permutation comes from ``generator`` (a ``numpy.random.Generator``, or a seed) or
    ``seed`` if given, else from the global generator (``tg.manual_seed``).
    """
    op = "random_split"
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError(f"{op}: lengths must not be empty")
    for v in lengths:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{op}: lengths must be ints or fractions, got {v!r} in {lengths}")
        if v < 0:
            raise ValueError(f"{op}: lengths must be non-negative, got {lengths}")
    if all(isinstance(v, (float, np.floating)) for v in lengths):
        if not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
            raise ValueError(f"{op}: fractions must sum to 1, got {sum(lengths)} ({lengths})")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(v) for v in lengths]
    if sum(counts) != n:
        raise ValueError(f"{op}: lengths {lengths} do not add up to the {n} samples")
    if generator is not None and seed is not None:
        raise ValueError(f"{op}: give generator or seed, not both")
    if isinstance(generator, (int, np.integer)):
        generator, seed = None, int(generator)
    if generator is None:
        generator = np.random.default_rng(seed) if seed is not None else default_rng()
    elif not hasattr(generator, "permutation"):
        raise TypeError(
            f"{op}: generator must be a numpy.random.Generator or a seed, "
            f"got {type(generator).__name__}"
        )
    perm = generator.permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _stack_field(values: list[Any]) -> np.ndarray:
    """Stack one field of a batch into an array: integers become int64, Python floats the
    default dtype (float32 unless ``tg.set_default_dtype`` changed it)."""
    first = values[0]
    if isinstance(first, Tensor):
        arr = get_array_module(first._data).stack([v._data for v in values])
    elif isinstance(first, bool):
        arr = np.asarray(values, dtype=bool)
    elif isinstance(first, float):
        arr = np.asarray(values, dtype=get_default_dtype())
    else:
        xp = get_array_module(first)
        arr = xp.stack([xp.asarray(v) for v in values])
    return arr


def _as_batch_tensor(arr: Any, device: str | None) -> Tensor:
    if arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)  # labels and indices are int64 throughout the framework
    return Tensor(arr, device=device)


def _collate_field(values: list[Any], device: str | None) -> Any:
    if isinstance(values[0], str):
        return list(values)  # e.g. file names: kept as a list, as PyTorch does
    return _as_batch_tensor(_stack_field(values), device)


def default_collate(samples: list[Any], device: str | None = None) -> Any:
    """Stack a list of samples into a batch: a tuple (or list) of fields gives a list of
    Tensors with a leading batch dimension (one Tensor per field), as PyTorch; a named tuple
    gives the same named tuple; a dict gives a dict; a single field gives one Tensor. Integer
    fields become int64, Python floats the default dtype, arrays keep their dtype; string
    fields stay lists of strings.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        n_fields = len(first)
        if any(len(s) != n_fields for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        fields = [_collate_field([s[k] for s in samples], device) for k in range(n_fields)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    if isinstance(first, dict):
        return {k: _collate_field([s[k] for s in samples], device) for k in first}
    return _collate_field(samples, device)


class DataLoader:
    """Iterate over a dataset in batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, device=None,
    collate_fn=None)``. Each batch is a list of Tensors, one per field, with the batch as the
    first dimension (integer fields as int64). ``len(loader)`` is the number of batches:
    ceil(N / batch_size), or floor with ``drop_last=True``.

    With ``shuffle=True`` every pass over the loader draws a new permutation. If ``seed`` is
    given, the loader owns a generator seeded with it, so the sequence of epochs is reproducible
    and independent of other random draws; otherwise it uses the framework's global generator
    (``tg.manual_seed`` makes it reproducible). ``device`` moves each batch (e.g. ``"cuda"``).
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        device: str | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must have __len__ and __getitem__ (a map-style dataset), "
                f"got {type(dataset).__name__}"
            )
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.device = device
        self.collate_fn = collate_fn
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else default_rng()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        n_batches = len(self)
        source = None if self.collate_fn is not None else _array_source(self.dataset)
        if source is not None and source[1] is not None:
            order = source[1][order]  # loader order → rows of the underlying arrays
        for b in range(n_batches):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            if source is not None:
                yield tuple(_as_batch_tensor(a[_index_for(a, idx)], self.device) for a in source[0])
            else:
                samples = [self.dataset[int(i)] for i in idx]
                if self.collate_fn is not None:
                    yield self.collate_fn(samples)
                else:
                    yield default_collate(samples, self.device)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
