"""Dataset, TensorDataset, Subset, random_split, DataLoader, digits and MNIST (offline)."""

from __future__ import annotations

import gzip
import hashlib
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import Tensor
from tinygrad_cnn.data import DataLoader, Dataset, Subset, TensorDataset, mnist, random_split
from tinygrad_cnn.data import mnist as mnist_fn
from tinygrad_cnn.data.mnist import MD5, MIRRORS, parse_idx

mnist_module = __import__("tinygrad_cnn.data.mnist", fromlist=["_fetch"])


class Squares(Dataset):
    """A plain map-style dataset without arrays(): the per-sample path."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return np.full((2,), float(i), dtype=np.float32), i * i


# ---------------------------------------------------------------------------- Dataset
def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError):
        len(Dataset())
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_tensor_dataset_items_and_errors():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ds = TensorDataset(x, Tensor(y))
    assert len(ds) == 6
    xi, yi = ds[4]
    assert isinstance(xi, Tensor) and xi.tolist() == [8.0, 9.0] and yi.item() == 4
    assert all(isinstance(t, Tensor) for t in ds.tensors)
    with pytest.raises(ValueError, match=r"same size in dimension 0.*\(6, 2\), \(5,\)"):
        TensorDataset(x, y[:5])
    with pytest.raises(ValueError):
        TensorDataset()
    with pytest.raises(ValueError):
        TensorDataset(np.float32(1.0))


def test_subset_and_random_split():
    ds = TensorDataset(np.arange(10))
    sub = Subset(ds, [3, 1, -1])
    assert [sub[i][0].item() for i in range(len(sub))] == [3, 1, 9]
    with pytest.raises(IndexError):
        Subset(ds, [10])
    parts = random_split(ds, [7, 3], seed=0)
    got = sorted(p[i][0].item() for p in parts for i in range(len(p)))
    assert got == list(range(10)) and [len(p) for p in parts] == [7, 3]
    again = random_split(ds, [7, 3], seed=0)
    assert parts[1].indices.tolist() == again[1].indices.tolist()
    assert [len(p) for p in random_split(ds, [0.5, 0.3, 0.2], seed=1)] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="add up"):
        random_split(ds, [5, 4])


# ---------------------------------------------------------------------------- DataLoader
def _collect(loader):
    return [tuple(t.numpy() for t in batch) for batch in loader]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), bs=st.integers(1, 12), drop_last=st.booleans(), shuffle=st.booleans())
def test_loader_covers_dataset(n, bs, drop_last, shuffle):
    ds = TensorDataset(np.arange(n * 3, dtype=np.float32).reshape(n, 3), np.arange(n))
    loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last, seed=5)
    batches = _collect(loader)
    assert len(batches) == len(loader) == (n // bs if drop_last else -(-n // bs))
    if batches:
        assert all(len(b[1]) == bs for b in batches[:-1])
        assert len(batches[-1][1]) == (bs if drop_last else n - bs * (len(batches) - 1))
    seen = np.concatenate([b[1] for b in batches]) if batches else np.zeros(0, int)
    assert len(set(seen.tolist())) == len(seen)  # no sample twice
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))
    for xb, yb in batches:  # fields stay aligned
        np.testing.assert_array_equal(xb[:, 0], yb * 3)


def test_batches_are_tuples_of_tensors_with_int64_labels():
    ds = TensorDataset(np.zeros((5, 1, 4, 4), np.float32), np.arange(5, dtype=np.int32))
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
    assert xb.shape == (4, 1, 4, 4) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and not xb.requires_grad


def test_shuffle_seed_reproducible_and_reshuffles_each_epoch():
    ds = TensorDataset(np.arange(50))
    a = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    b = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    a1, a2 = [next(iter(a))[0].tolist() for _ in range(2)]
    b1, b2 = [next(iter(b))[0].tolist() for _ in range(2)]
    assert (a1, a2) == (b1, b2)  # the same sequence of epochs
    assert a1 != a2  # each epoch draws a new permutation
    assert sorted(a1) == list(range(50))


def test_shuffle_without_seed_follows_manual_seed():
    ds = TensorDataset(np.arange(50))
    tg.manual_seed(123)
    first = next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist()
    tg.manual_seed(123)
    again = next(iter(DataLoader(ds, batch_size=50, shuffle=True)))[0].tolist()
    assert first == again and first != list(range(50))


def test_per_sample_path_matches_fast_path():
    n = 23
    plain = Squares(n)
    arrays = TensorDataset(
        np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, axis=1), np.arange(n) ** 2
    )
    for bs in (1, 5, 23):
        slow = _collect(DataLoader(plain, batch_size=bs, shuffle=True, seed=2))
        fast = _collect(DataLoader(arrays, batch_size=bs, shuffle=True, seed=2))
        assert len(slow) == len(fast)
        for (xs, ys), (xf, yf) in zip(slow, fast, strict=True):
            np.testing.assert_array_equal(xs, xf)
            np.testing.assert_array_equal(ys, yf)
            assert xs.dtype == xf.dtype == np.float32 and ys.dtype == yf.dtype == np.int64


def test_collate_python_values_and_custom_collate():
    class Mixed(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return float(i), i, bool(i % 2), Tensor([i, i])

    xb, ib, bb, tb = next(iter(DataLoader(Mixed(), batch_size=4)))
    assert xb.dtype == np.float32 and ib.dtype == np.int64 and bb.dtype == np.bool_
    assert tb.shape == (4, 2) and tb.dtype == np.int64
    out = next(iter(DataLoader(Mixed(), batch_size=3, collate_fn=lambda s: len(s))))
    assert out == 3

    class Named(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": np.ones(2) * i, "name": f"s{i}"}

    batch = next(iter(DataLoader(Named(), batch_size=3)))
    assert batch["x"].dtype == np.float64 and batch["x"].shape == (3, 2)
    assert batch["name"] == ["s0", "s1", "s2"]


def test_subset_of_tensor_dataset_uses_arrays_and_maps_indices():
    ds = TensorDataset(np.arange(20) * 10)
    sub = Subset(Subset(ds, np.arange(20)[::-1]), [0, 1, 2, 3])  # samples 19, 18, 17, 16
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2)] == [[190, 180], [170, 160]]


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)


def test_epoch_of_60k_is_not_python_loop_bound():
    """The fast path gathers each batch with one indexing op per field (60k samples of 784)."""

    class Counting(TensorDataset):
        calls = 0

        def __getitem__(self, i):
            Counting.calls += 1
            return super().__getitem__(i)

    ds = Counting(np.zeros((60_000, 1, 28, 28), np.float32), np.zeros(60_000, np.int64))
    loader = DataLoader(ds, batch_size=64, shuffle=True, seed=0)
    start = time.perf_counter()
    n = sum(len(yb) for _, yb in loader)
    elapsed = time.perf_counter() - start
    assert n == 60_000 and Counting.calls == 0
    assert elapsed < 3.0  # ~0.2 s here; a per-sample loop takes many seconds


def test_device_argument_cpu():
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.zeros(3, np.int64))
    xb, _ = next(iter(DataLoader(ds, batch_size=2, device="cpu")))
    assert xb.device == "cpu"
    xb, _ = next(iter(DataLoader(Squares(3), batch_size=2, device="cpu")))
    assert xb.device == "cpu"


# ---------------------------------------------------------------------------- digits
def test_digits_split_shapes_and_determinism():
    pytest.importorskip("sklearn")
    from tinygrad_cnn.data import digits

    train, test = digits(train=True), digits(train=False)
    assert len(train) + len(test) == 1797
    assert abs(len(test) - 0.2 * 1797) < 10
    x, y = train.tensors
    assert x.shape == (len(train), 1, 8, 8) and x.dtype == np.float32
    assert y.dtype == np.int64 and set(np.unique(y.numpy())) == set(range(10))
    assert 0.0 <= x.numpy().min() and x.numpy().max() == 1.0
    # disjoint and complete: compare (image, label) rows
    rows = {(a.tobytes(), int(b)) for a, b in zip(x.numpy(), y.numpy(), strict=True)}
    tx, ty = test.tensors
    assert not rows & {(a.tobytes(), int(b)) for a, b in zip(tx.numpy(), ty.numpy(), strict=True)}
    # stratified: every class is ~20 % test
    for c in range(10):
        frac = (ty.numpy() == c).sum() / ((ty.numpy() == c).sum() + (y.numpy() == c).sum())
        assert abs(frac - 0.2) < 0.02
    np.testing.assert_array_equal(digits(seed=0).tensors[1].numpy(), y.numpy())
    assert not np.array_equal(digits(seed=1).tensors[1].numpy(), y.numpy())


def test_digits_without_sklearn_says_how_to_install(monkeypatch):
    import importlib

    from tinygrad_cnn.data import digits

    real = importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        digits()


# ---------------------------------------------------------------------------- MNIST
def _idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def _write_mnist(root, n=7, gz=True, train=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    prefix = "train" if train else "t10k"
    for name, arr in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        data = _idx_bytes(arr)
        if gz:
            (root / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (root / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx_files(tmp_path, gz):
    images, labels = _write_mnist(tmp_path, gz=gz, train=False)
    ds = mnist(tmp_path, train=False)
    x, y = ds.tensors
    assert x.shape == (7, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[:, 0], images / 255.0, rtol=1e-6)
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    assert 0.0 <= x.numpy().min() and x.numpy().max() <= 1.0


def test_mnist_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_mnist(raw, n=3)
    assert len(mnist(tmp_path, train=True)) == 3


def test_parse_idx_types_and_big_endian():
    a = (np.arange(6).reshape(2, 3) - 3).astype(">i4")
    out = parse_idx(_idx_bytes(a, 0x0C))
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, a)
    f = np.linspace(-1, 1, 4).astype(">f8")
    np.testing.assert_array_equal(parse_idx(_idx_bytes(f, 0x0E)), f)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"\x08\x03" + b[2:], "bad IDX magic number 0x08030803"),
        (lambda b: b[:2] + b"\x07" + b[3:], "bad IDX magic"),
        (lambda b: b[:3] + b"\x00" + b[4:], "bad IDX magic"),
        (lambda b: b[:-1], "bytes after the header"),
        (lambda b: b + b"\x00", "bytes after the header"),
        (lambda b: b[:6], "truncated IDX header"),
        (lambda b: b[:2], "too short"),
    ],
)
def test_parse_idx_errors(mutate, message):
    good = _idx_bytes(np.zeros((2, 3, 3), np.uint8))
    parse_idx(good)
    with pytest.raises(ValueError, match=message):
        parse_idx(mutate(good), "some.idx")


def test_mnist_corrupted_files(tmp_path):
    _write_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01" + path.read_bytes()[4:])  # labels magic on images
    with pytest.raises(ValueError, match="train-images-idx3-ubyte"):
        mnist(tmp_path)
    _write_mnist(tmp_path, gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(6, np.uint8)))
    with pytest.raises(ValueError, match="7 images but 6 labels"):
        mnist(tmp_path)
    _write_mnist(tmp_path, gz=False)
    (tmp_path / "train-images-idx3-ubyte").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match="not a valid gzip"):
        mnist(tmp_path)


def test_mnist_missing_files_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        mnist(tmp_path / "nowhere")
    assert "train-images-idx3-ubyte" in str(info.value) and MIRRORS[0] in str(info.value)


def _fake_server(good: dict[str, bytes], bad_mirrors=(), fail_mirrors=()):
    requested = []

    def fetch(url, timeout=60.0):
        requested.append(url)
        mirror, name = url.rsplit("/", 1)
        if mirror + "/" in fail_mirrors:
            raise OSError("connection refused")
        if mirror + "/" in bad_mirrors:
            return b"<html>not the file</html>"
        return good[name]

    return fetch, requested


@pytest.fixture
def real_md5_of_small_files(monkeypatch):
    """Small synthetic IDX .gz files, with MD5 replaced by theirs (the real ones are 11 MB)."""
    rng = np.random.default_rng(1)
    files = {
        "t10k-images-idx3-ubyte.gz": gzip.compress(
            _idx_bytes(rng.integers(0, 256, (4, 28, 28), dtype=np.uint8))
        ),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(_idx_bytes(np.arange(4, dtype=np.uint8))),
    }
    sums = dict(MD5)
    sums.update({k: hashlib.md5(v).hexdigest() for k, v in files.items()})
    monkeypatch.setattr(mnist_module, "MD5", sums)
    return files


def test_mnist_download_verifies_and_falls_back(tmp_path, monkeypatch, real_md5_of_small_files):
    fetch, requested = _fake_server(
        real_md5_of_small_files, bad_mirrors=(MIRRORS[0],), fail_mirrors=(MIRRORS[1],)
    )
    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    ds = mnist_fn(tmp_path / "data", train=False, download=True)
    assert ds.tensors[1].tolist() == [0, 1, 2, 3]
    # first mirror served bad bytes (checksum mismatch), second failed, third worked
    assert [u.rsplit("/", 1)[0] + "/" for u in requested[:3]] == list(MIRRORS)
    stored = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert stored == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    # present now: no further downloads
    requested.clear()
    mnist_fn(tmp_path / "data", train=False, download=True)
    assert requested == []


def test_mnist_checksum_mismatch_everywhere(tmp_path, monkeypatch, real_md5_of_small_files):
    fetch, _ = _fake_server(real_md5_of_small_files, bad_mirrors=MIRRORS)
    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    with pytest.raises(RuntimeError, match="MD5 mismatch") as info:
        mnist_fn(tmp_path, train=False, download=True)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value) and "into" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temp files


def test_mnist_download_network_failure(tmp_path, monkeypatch, real_md5_of_small_files):
    fetch, _ = _fake_server(real_md5_of_small_files, fail_mirrors=MIRRORS)
    monkeypatch.setattr(mnist_module, "_fetch", fetch)
    with pytest.raises(RuntimeError, match="connection refused"):
        mnist_fn(tmp_path, train=False, download=True)


def test_published_checksums_are_the_known_ones():
    assert MD5["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert MD5["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
