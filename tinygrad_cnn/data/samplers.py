"""Samplers: the order in which a ``DataLoader`` visits a dataset, as ``torch.utils.data``'s.

A sampler is an iterable of dataset indices (a batch sampler: of lists of indices). Random ones
draw from ``generator`` (a ``tg.Generator``) when given, else from the global generator
(``tg.manual_seed``); ``RandomSampler`` without a generator draws one seed from the global
generator at the start of each pass and permutes with a stream of its own, as PyTorch's does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..random import numpy_rng, seed_from

__all__ = [
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
]


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_))


def _check_positive_int(op: str, name: str, value: Any) -> int:
    if not _is_int(value) or value <= 0:
        raise ValueError(
            f"{op}: {name} should be a positive integer value, but got {name}={value!r}"
        )
    return int(value)


def _check_bool(op: str, name: str, value: Any, error: type[Exception] = ValueError) -> bool:
    if not _is_bool(value):
        raise error(f"{op}: {name} should be a boolean value, but got {name}={value!r}")
    return bool(value)


class Sampler:
    """Base class: subclasses define ``__iter__`` (and ``__len__`` when they know it)."""

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``: a new permutation each pass, or with
    ``replacement=True`` ``num_samples`` independent uniform draws.

    ``RandomSampler(data_source, replacement=False, num_samples=None, generator=None)``;
    ``num_samples`` defaults to ``len(data_source)``; without replacement a larger value chains
    permutations (each block of n is one) and cuts the last.
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        _check_bool("RandomSampler", "replacement", replacement, TypeError)
        if num_samples is not None:
            _check_positive_int("RandomSampler", "num_samples", num_samples)
        numpy_rng(generator, "RandomSampler")  # check its type now, not at the first pass
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, k = len(self.data_source), self.num_samples
        if n == 0:
            return  # an empty data set: an empty pass (PyTorch refuses it when constructing)
        if self.generator is None:
            rng = np.random.Generator(np.random.PCG64(seed_from()))
        else:
            rng = numpy_rng(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=k).tolist()
            return
        for _ in range(k // n):
            yield from rng.permutation(n).tolist()
        if k % n:
            yield from rng.permutation(n)[: k % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one each pass)."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        numpy_rng(generator, "SubsetRandomSampler")
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[Any]:
        for i in numpy_rng(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices 0..len(weights)−1 drawn with probabilities proportional to
    ``weights`` (need not sum to 1), with replacement by default, as ``torch.multinomial``.
    Without replacement, each index appears at most once."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        _check_positive_int("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        from ..backend import to_numpy
        from ..tensor import Tensor

        w = to_numpy(weights._data) if isinstance(weights, Tensor) else weights
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                f"shape {tuple(w.shape)}"
            )
        numpy_rng(generator, "WeightedRandomSampler")
        self.weights = w
        self.num_samples = int(num_samples)
        self.replacement = bool(replacement)
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        w, k = self.weights, self.num_samples
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise RuntimeError(
                "WeightedRandomSampler: invalid multinomial distribution (weights must be finite "
                "and non-negative)"
            )
        total = w.sum()
        if total <= 0:
            raise RuntimeError(
                "WeightedRandomSampler: invalid multinomial distribution (sum of weights <= 0)"
            )
        if not self.replacement and k > np.count_nonzero(w):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {k} samples without replacement from "
                f"{np.count_nonzero(w)} non-zero weights"
            )
        rng = numpy_rng(self.generator)
        yield from rng.choice(len(w), size=k, replace=self.replacement, p=w / total).tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` consecutive indices from ``sampler``; the last list is shorter
    unless ``drop_last=True`` drops it. ``BatchSampler(SequentialSampler(range(10)), 3, False)``
    gives [0, 1, 2], [3, 4, 5], [6, 7, 8], [9]."""

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool) -> None:
        self.sampler = sampler
        self.batch_size = _check_positive_int("BatchSampler", "batch_size", batch_size)
        self.drop_last = _check_bool("BatchSampler", "drop_last", drop_last)

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
