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
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np

from ..backend import get_array_module, index_array_like
from ..dtypes import get_default_dtype
from ..random import Generator, numpy_rng, seed_from, thread_default_rng
from ..tensor import Tensor
from .samplers import BatchSampler, RandomSampler, SequentialSampler

__all__ = [
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

    ``TensorDataset(x, y, transform=None, target_transform=None)``: each positional argument is a
    Tensor or an array (wrapped as a Tensor without a copy); all must have the same size N in
    dimension 0. ``ds.tensors`` is the tuple of Tensors. ``transform`` (e.g. a
    ``transforms.Compose``) is applied to the first field of each sample, ``target_transform``
    to the second, when a sample is read (``ds[i]``, and so in the ``DataLoader``); without
    them, the loader gathers whole batches with one indexing operation per field.
    """

    def __init__(
        self,
        *tensors: Any,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
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
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise TypeError(f"TensorDataset: {name} must be callable, got {fn!r}")
        if target_transform is not None and len(self.tensors) < 2:
            raise ValueError("TensorDataset: target_transform needs a second tensor (the target)")
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        if self.transform is None and self.target_transform is None:
            return tuple(Tensor(t._data[index]) for t in self.tensors)
        if isinstance(index, Tensor) and index.ndim == 0:
            index = index.item()
        if isinstance(index, (int, np.integer)):
            return self._transformed(int(index))
        # a slice or an index array: transform sample by sample, then stack each field
        rows = np.arange(len(self))[_host_index(index)]
        samples = [self._transformed(int(i)) for i in np.atleast_1d(rows)]
        return default_collate(samples)

    def _transformed(self, i: int) -> tuple[Any, ...]:
        fields = [Tensor(t._data[i]) for t in self.tensors]
        if self.transform is not None:
            fields[0] = self.transform(fields[0])
        if self.target_transform is not None:
            fields[1] = self.target_transform(fields[1])
        return tuple(fields)

    def arrays(self) -> tuple[Any, ...]:
        """The fields as backend arrays, (N, ...) each (untransformed)."""
        return tuple(t._data for t in self.tensors)

    def __repr__(self) -> str:
        fields = ", ".join(f"{t.shape} {t.dtype}" for t in self.tensors)
        extra = "".join(
            f", {name}={fn!r}"
            for name, fn in (
                ("transform", self.transform),
                ("target_transform", self.target_transform),
            )
            if fn is not None
        )
        return f"{type(self).__name__}(N={len(self)}: {fields}{extra})"


def _host_index(index: Any) -> Any:
    """A slice, list or array index on the host (Tensor indices are read back)."""
    if isinstance(index, Tensor):
        from ..backend import to_numpy

        return to_numpy(index._data)
    return index


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
    if getattr(dataset, "transform", None) is not None:
        return None  # samples must go through the transform one by one
    if getattr(dataset, "target_transform", None) is not None:
        return None
    get = getattr(dataset, "arrays", None)
    return (tuple(get()), None) if callable(get) else None


def _index_for(a: Any, idx: np.ndarray) -> Any:
    """An index array on the same device as ``a``."""
    return index_array_like(a, idx)


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: Any = None,
    seed: int | None = None,
) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each subset
    gets floor(fraction·n); the remainder goes round-robin to the first subsets, as in PyTorch).
    The permutation comes from ``generator`` (a ``tg.Generator``, a ``numpy.random.Generator``,
    or a seed) or ``seed`` if given, else from the global generator (``tg.manual_seed``).
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
    if generator is None and seed is not None:
        generator = np.random.default_rng(seed)
    elif not (generator is None or isinstance(generator, (Generator, np.random.Generator))):
        raise TypeError(
            f"{op}: generator must be a tinygrad_cnn.Generator, a numpy.random.Generator or a "
            f"seed, got {type(generator).__name__}"
        )
    perm = numpy_rng(generator, op).permutation(n)
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


def default_convert(data: Any) -> Any:
    """What the loader does to each sample without batching (``batch_size=None``): NumPy arrays
    become Tensors (integers as int64), inside tuples, lists and dicts too; the rest is kept."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return _as_batch_tensor(data, None)
    if isinstance(data, tuple):
        return tuple(default_convert(d) for d in data)
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    if isinstance(data, dict):
        return {k: default_convert(v) for k, v in data.items()}
    return data


class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a loader worker: its ``id`` (0-based),
    ``num_workers``, ``seed`` (the epoch's seed plus ``id``) and ``dataset``."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """In a ``DataLoader`` worker thread: its ``WorkerInfo``; elsewhere None."""
    return getattr(_worker, "info", None)


_AFTER_INIT_FIXED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")


class DataLoader:
    """Iterate over a dataset in batches, as ``torch.utils.data.DataLoader``.

    ``DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *, prefetch_factor=None,
    persistent_workers=False, seed=None, device=None)``.

    Indices come from ``sampler`` (default: ``SequentialSampler``, or ``RandomSampler`` with
    ``shuffle=True``), grouped by a ``BatchSampler(sampler, batch_size, drop_last)`` unless
    ``batch_sampler`` is given; ``batch_size=None`` yields single samples. Each batch is a tuple
    of Tensors, one per field, with the batch as the first dimension (integer fields as int64).
    ``len(loader)`` is the number of batches.

    ``num_workers > 0`` loads batches in that many threads, ``prefetch_factor`` (2) batches
    ahead each, and yields them in order. Every pass draws one seed from ``generator`` (else
    from the global generator); each batch is loaded with its own generator made from that seed
    and the batch number, which random transforms draw from: batches and augmentations are the
    same with and without workers, and ``tg.manual_seed`` (or ``tg.set_rng_state``) fixes them.
    (A transform given a ``generator=`` of its own draws from that one, shared by the threads in
    whatever order they run: leave it out for augmentations that workers must reproduce.)

    ``seed``: the loader owns ``Generator().manual_seed(seed)`` (a shorthand for
    ``generator=``). ``device`` moves each batch (e.g. ``"cuda"``). Datasets with ``arrays()``
    and no transform are batched by one indexing operation per field.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
        device: str | None = None,
    ) -> None:
        op = "DataLoader"
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"{op}: dataset must have __len__ and __getitem__ (a map-style dataset), "
                f"got {type(dataset).__name__}"
            )
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"{op}: batch_size must be a positive int, got {batch_size!r}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if flag is not None and not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{op}: {name} must be True or False, got {flag!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)):
            raise TypeError(f"{op}: num_workers must be an int, got {num_workers!r}")
        if num_workers < 0:
            raise ValueError(
                f"{op}: num_workers option should be non-negative; use num_workers=0 to disable "
                f"multiprocessing (got {num_workers})"
            )
        if timeout < 0:
            raise ValueError(f"{op}: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                f"{op}: prefetch_factor option could only be specified in multiprocessing. let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"{op}: prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError(f"{op}: persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(
                f"{op}: multiprocessing_context can only be used with multi-process loading "
                f"(num_workers > 0), but got num_workers={num_workers}"
            )
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"{op}: worker_init_fn must be callable, got {worker_init_fn!r}")
        if sampler is not None and shuffle:
            raise ValueError(f"{op}: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    f"{op}: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                f"{op}: batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )
        if seed is not None:
            if generator is not None:
                raise ValueError(f"{op}: give generator or seed, not both")
            generator = Generator().manual_seed(seed)
        numpy_rng(generator, op)  # a clear error for a wrong generator now
        if sampler is None:
            if shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))

        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.in_order = in_order
        self.seed = seed
        self.device = device
        self._pool: ThreadPoolExecutor | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in _AFTER_INIT_FIXED:
            raise ValueError(
                f"DataLoader: {name} attribute should not be set after DataLoader is initialized"
            )
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        return len(self._index_sampler)

    def _fetch(self, b: int, indices: Any, base_seed: int, source: Any) -> Any:
        """Batch number ``b`` (indices from the sampler), loaded with its own generator."""
        if source is not None:  # no transforms run: nothing random, one gather per field
            fields, rows = source
            idx = np.asarray(indices, dtype=np.int64)
            if rows is not None:
                idx = rows[idx]  # loader indices → rows of the underlying arrays
            return tuple(_as_batch_tensor(a[_index_for(a, idx)], self.device) for a in fields)
        rng = np.random.Generator(np.random.PCG64([base_seed, b]))
        with thread_default_rng(rng):
            if not self._auto_collation:
                sample = self.dataset[indices]
                return (
                    default_convert(sample) if self.collate_fn is None else self.collate_fn(sample)
                )
            samples = [self.dataset[int(i) if isinstance(i, np.integer) else i] for i in indices]
            if self.collate_fn is not None:
                return self.collate_fn(samples)
            return default_collate(samples, self.device)

    def _start_pool(self, base_seed: int) -> ThreadPoolExecutor:
        ids = iter(range(self.num_workers))
        lock = threading.Lock()

        def init() -> None:
            with lock:
                worker_id = next(ids)
            _worker.info = WorkerInfo(
                worker_id, self.num_workers, base_seed + worker_id, self.dataset
            )
            if self.worker_init_fn is not None:
                self.worker_init_fn(worker_id)

        pool = ThreadPoolExecutor(self.num_workers, "DataLoader-worker", initializer=init)
        # start every worker now, as PyTorch does (an executor would start them as needed): each
        # waits at the barrier until all have started, so none can take a second task
        barrier = threading.Barrier(self.num_workers)
        for f in [pool.submit(barrier.wait) for _ in range(self.num_workers)]:
            f.result()
        return pool

    def __iter__(self) -> Iterator[Any]:
        base_seed = seed_from(self.generator)
        batches = iter(self._index_sampler)
        source = None
        if self._auto_collation and self.collate_fn is None:
            source = _array_source(self.dataset)
        if self.num_workers == 0:
            for b, indices in enumerate(batches):
                yield self._fetch(b, indices, base_seed, source)
            return
        yield from self._iter_workers(batches, base_seed, source)

    def _iter_workers(self, batches: Iterator[Any], base_seed: int, source: Any) -> Iterator[Any]:
        pool = self._pool if self.persistent_workers else None
        if pool is None:
            pool = self._start_pool(base_seed)
            if self.persistent_workers:
                self._pool = pool
        ahead = max(1, self.num_workers * self.prefetch_factor)
        pending: deque[Future] = deque()
        try:
            for b, indices in enumerate(batches):
                pending.append(pool.submit(self._fetch, b, indices, base_seed, source))
                if len(pending) >= ahead:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        finally:
            for f in pending:
                f.cancel()
            if not self.persistent_workers:
                pool.shutdown(wait=True, cancel_futures=True)

    def _result(self, future: Future) -> Any:
        try:
            return future.result(timeout=self.timeout or None)
        except FutureTimeout:
            raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
            f"num_workers={self.num_workers})"
        )
