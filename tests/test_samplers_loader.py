"""Samplers and the DataLoader against PyTorch's semantics (orders, distributions, argument
checks), and loading in worker threads against loading without them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)
from tinygrad_cnn.data import transforms as T

CHI2_99_9 = {4: 18.47, 9: 27.88}  # 99.9 % quantiles of χ² with that many degrees of freedom


def _chi2(counts, expected):
    counts, expected = np.asarray(counts, float), np.asarray(expected, float)
    return float(((counts - expected) ** 2 / expected).sum())


def _gen(seed):
    return tg.Generator().manual_seed(seed)


# ---------------------------------------------------------------- samplers
def test_sequential_sampler():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


def test_random_sampler_permutes_each_pass_and_follows_the_seed():
    s = RandomSampler(range(10))
    tg.manual_seed(0)
    a, b = list(s), list(s)
    assert sorted(a) == list(range(10)) and sorted(b) == list(range(10)) and a != b
    tg.manual_seed(0)
    assert list(s) == a
    g = RandomSampler(range(10), generator=_gen(4))
    assert list(g) == list(RandomSampler(range(10), generator=_gen(4)))


def test_random_sampler_positions_are_uniform():
    tg.manual_seed(1)
    first = np.bincount([next(iter(RandomSampler(range(5)))) for _ in range(5000)], minlength=5)
    assert _chi2(first, [1000] * 5) < CHI2_99_9[4]


def test_random_sampler_num_samples_without_replacement_chains_permutations():
    tg.manual_seed(2)
    got = list(RandomSampler(range(5), num_samples=12))
    assert len(got) == 12 and len(RandomSampler(range(5), num_samples=12)) == 12
    assert sorted(got[:5]) == sorted(got[5:10]) == list(range(5)) and len(set(got[10:])) == 2
    torch = pytest.importorskip("torch")
    ref = list(torch.utils.data.RandomSampler(range(5), num_samples=12))
    assert sorted(ref[:5]) == sorted(ref[5:10]) == list(range(5)) and len(set(ref[10:])) == 2


def test_random_sampler_with_replacement_is_uniform():
    draws = list(RandomSampler(range(10), replacement=True, num_samples=20000, generator=_gen(3)))
    assert len(draws) == 20000
    assert _chi2(np.bincount(draws, minlength=10), [2000] * 10) < CHI2_99_9[9]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"replacement": 1}, TypeError),
        ({"num_samples": 0}, ValueError),
        ({"num_samples": 2.5}, ValueError),
    ],
)
def test_random_sampler_errors_like_pytorch(kwargs, error):
    with pytest.raises(error, match=r"RandomSampler: "):
        RandomSampler(range(4), **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(error):
        torch.utils.data.RandomSampler(range(4), **kwargs)


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    s = SubsetRandomSampler(idx, generator=_gen(0))
    a, b = list(s), list(s)
    assert sorted(a) == idx and sorted(b) == idx and len(s) == 4
    tg.manual_seed(5)
    firsts = [next(iter(SubsetRandomSampler(idx))) for _ in range(4000)]
    assert _chi2([firsts.count(i) for i in idx], [1000] * 4) < 16.27  # χ²(3) at 99.9 %


def test_weighted_random_sampler_frequencies_follow_the_weights():
    w = [1.0, 2.0, 0.0, 5.0, 2.0]
    draws = list(WeightedRandomSampler(w, 20000, generator=_gen(6)))
    counts = np.bincount(draws, minlength=5)
    assert counts[2] == 0
    keep = [0, 1, 3, 4]
    expected = 20000 * np.array(w)[keep] / 10
    assert _chi2(counts[keep], expected) < 16.27
    tg.manual_seed(3)
    a = list(WeightedRandomSampler(tg.tensor(w), 7))
    tg.manual_seed(3)
    assert list(WeightedRandomSampler(np.array(w), 7)) == a


def test_weighted_random_sampler_without_replacement():
    for seed in range(20):
        got = list(
            WeightedRandomSampler([1, 1, 0, 3, 1], 4, replacement=False, generator=_gen(seed))
        )
        assert sorted(got) == [0, 1, 3, 4]
    with pytest.raises(RuntimeError, match=r"cannot draw 5 samples without replacement"):
        list(WeightedRandomSampler([1, 1, 0, 3, 1], 5, replacement=False))


def test_weighted_random_sampler_errors_like_pytorch():
    torch = pytest.importorskip("torch")
    for make, error in [
        (lambda cls: cls([[1.0, 2.0]], 2), ValueError),
        (lambda cls: cls([1.0, 2.0], 0), ValueError),
        (lambda cls: cls([1.0, 2.0], 2, replacement=0), ValueError),
    ]:
        with pytest.raises(error, match=r"WeightedRandomSampler: "):
            make(WeightedRandomSampler)
        with pytest.raises(error):
            make(torch.utils.data.WeightedRandomSampler)
    with pytest.raises(RuntimeError, match=r"invalid multinomial distribution"):
        list(WeightedRandomSampler([1.0, -1.0], 2))
    with pytest.raises(RuntimeError):
        list(torch.utils.data.WeightedRandomSampler([1.0, -1.0], 2))


@pytest.mark.parametrize(
    "n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]
)
def test_batch_sampler_matches_pytorch(n, bs, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    want = [list(range(i, min(i + bs, n))) for i in range(0, n, bs)]
    if drop_last:
        want = [b for b in want if len(b) == bs]
    assert list(ours) == want and len(ours) == len(want)
    torch = pytest.importorskip("torch")
    ref = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop_last)
    assert list(ref) == want and len(ref) == len(ours)


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match=r"BatchSampler: batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match=r"BatchSampler: drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


# ---------------------------------------------------------------- DataLoader arguments
_DS = TensorDataset(np.arange(10))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sampler": [0, 1], "shuffle": True}, "sampler option is mutually exclusive with shuffle"),
        ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
        ({"batch_sampler": [[0]], "sampler": [0]}, "batch_sampler option is mutually exclusive"),
        ({"batch_size": None, "drop_last": True}, "batch_size=None option disables auto-batching"),
        ({"num_workers": -1}, "num_workers option should be non-negative"),
        ({"timeout": -1}, "timeout option should be non-negative"),
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified in multiproc"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used"),
    ],
)
def test_loader_argument_checks_like_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=f"DataLoader: {message}"):
        DataLoader(_DS, **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.utils.data.DataLoader(range(10), **kwargs)


def test_loader_attributes_are_fixed_after_init():
    loader = DataLoader(_DS, batch_size=2)
    with pytest.raises(ValueError, match=r"DataLoader: batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 2  # allowed, as in PyTorch


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 3},
        {"batch_size": 3, "drop_last": True},
        {"batch_size": None},
        {"sampler": [4, 1, 1, 7]},
        {"batch_sampler": [[0, 1], [5], [9, 8, 7]]},
        {"batch_size": 4, "sampler": SequentialSampler(range(10))},
    ],
)
def test_loader_orders_and_lengths_match_pytorch(kwargs):
    ours = DataLoader(_DS, **kwargs)
    got = [b[0].tolist() if isinstance(b, tuple) else b.tolist() for b in ours]
    torch = pytest.importorskip("torch")
    ref = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(10)), **kwargs)
    want = [b[0].tolist() for b in ref]
    assert got == want and len(ours) == len(ref)


def test_loader_generator_and_seed():
    a = [b[0].tolist() for b in DataLoader(_DS, batch_size=4, shuffle=True, generator=_gen(1))]
    b = [b[0].tolist() for b in DataLoader(_DS, batch_size=4, shuffle=True, generator=_gen(1))]
    assert a == b and sorted(sum(a, [])) == list(range(10))
    with pytest.raises(ValueError, match=r"DataLoader: give generator or seed, not both"):
        DataLoader(_DS, generator=_gen(1), seed=2)
    with pytest.raises(TypeError, match=r"DataLoader: generator must be a tinygrad_cnn.Gen"):
        DataLoader(_DS, generator="rng")


# ---------------------------------------------------------------- workers
class _Slow(Dataset):
    """Per-sample data (no arrays()), a random augmentation, and a little sleep so that worker
    threads really run out of order."""

    def __init__(self, n=23):
        self.n = n
        self.x = np.random.default_rng(0).random((n, 1, 8, 8)).astype(np.float32)
        self.augment = T.Compose(
            [T.RandomCrop(8, padding=2), T.RandomRotation(25, interpolation="bilinear")]
        )

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(0.001 * ((i * 7) % 3))
        return self.augment(tg.Tensor(self.x[i])), i


def _epochs(loader, n=2):
    out = []
    for _ in range(n):
        out.append([(xb.numpy().copy(), yb.tolist()) for xb, yb in loader])
    return out


def _same(a, b):
    return all(
        np.array_equal(p[0], q[0]) and p[1] == q[1]
        for ea, eb in zip(a, b, strict=True)
        for p, q in zip(ea, eb, strict=True)
    )


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("persistent", [False, True])
def test_workers_give_the_same_batches_and_augmentations(workers, persistent):
    ds = _Slow()
    tg.manual_seed(7)
    plain = _epochs(DataLoader(ds, batch_size=4, shuffle=True))
    tg.manual_seed(7)
    threaded = DataLoader(
        ds, batch_size=4, shuffle=True, num_workers=workers, persistent_workers=persistent
    )
    assert _same(plain, _epochs(threaded))
    assert not np.array_equal(plain[0][0][0], plain[1][0][0])  # new augmentations each epoch


def test_workers_with_arrays_fast_path_custom_collate_and_no_batching():
    x = np.random.default_rng(1).random((17, 3)).astype(np.float32)
    ds = TensorDataset(x, np.arange(17))
    for kwargs in (
        {"batch_size": 5, "shuffle": True, "generator": _gen(2)},
        {"batch_size": 5, "collate_fn": lambda s: [int(t[1]) for t in s]},
        {"batch_size": None, "sampler": [3, 1, 4]},
    ):
        plain = list(DataLoader(ds, **kwargs))
        kwargs = {**kwargs, "generator": _gen(2)} if "generator" in kwargs else kwargs
        threaded = list(DataLoader(ds, num_workers=2, **kwargs))
        assert len(plain) == len(threaded)
        for p, q in zip(plain, threaded, strict=True):
            if isinstance(p, list):
                assert p == q
            else:
                for a, b in zip(p, q, strict=True):
                    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_worker_init_fn_worker_info_and_errors():
    seen, lock = [], threading.Lock()

    def init(worker_id):
        with lock:
            seen.append(worker_id)

    class Info(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            return info.id if info is not None else -1

    ids = sum((b.tolist() for b in DataLoader(Info(), 2, num_workers=3, worker_init_fn=init)), [])
    assert sorted(seen) == [0, 1, 2] and set(ids) <= {0, 1, 2}
    assert get_worker_info() is None
    assert sum((b.tolist() for b in DataLoader(Info(), 2)), []) == [-1] * 8

    class Broken(Info):
        def __getitem__(self, i):
            if i == 5:
                raise KeyError(f"sample {i} is missing")
            return i

    with pytest.raises(KeyError, match=r"sample 5 is missing"):
        list(DataLoader(Broken(), 2, num_workers=2))


def test_breaking_out_of_a_threaded_epoch_is_fine():
    loader = DataLoader(_Slow(), batch_size=2, num_workers=2)
    for k, _ in enumerate(loader):
        if k == 1:
            break
    assert len(list(loader)) == len(loader) == 12


def test_subset_and_concat_datasets_load_through_workers():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, [9, 3, 5])
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2, num_workers=2)] == [[90, 30], [50]]
    both = tg.data.ConcatDataset([sub, ds])
    assert len(both) == 13 and both[3][0].item() == 0


def test_signatures_have_pytorchs_parameters():
    import inspect

    torch = pytest.importorskip("torch")
    pairs = [
        (DataLoader, torch.utils.data.DataLoader),
        (RandomSampler, torch.utils.data.RandomSampler),
        (WeightedRandomSampler, torch.utils.data.WeightedRandomSampler),
        (SubsetRandomSampler, torch.utils.data.SubsetRandomSampler),
        (BatchSampler, torch.utils.data.BatchSampler),
        (SequentialSampler, torch.utils.data.SequentialSampler),
    ]
    for ours, theirs in pairs:
        mine = inspect.signature(ours).parameters
        for name, p in inspect.signature(theirs).parameters.items():
            assert name in mine, f"{ours.__name__} lacks {name}"
            assert mine[name].default == p.default, (ours.__name__, name)


def test_empty_dataset_gives_an_empty_pass():
    empty = TensorDataset(np.zeros((0, 2)))
    assert list(RandomSampler(empty)) == [] and len(RandomSampler(empty)) == 0
    assert list(DataLoader(empty, batch_size=3, shuffle=True, num_workers=2)) == []
