"""save/load: round trips of nested state, no pickle, atomic writes, clear errors."""

from __future__ import annotations

import io
import math
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_cnn.serialization as ser
from tinygrad_cnn import Tensor
from tinygrad_cnn.serialization import load, save


def _assert_same(a, b):
    """Structural equality that also checks types and dtypes (NaN equals NaN)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert type(k) is type(next(kk for kk in b if kk == k))
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_state_dict_round_trip(tmp_path):
    state = {
        "model": {
            "conv1.weight": Tensor(np.random.default_rng(0).normal(size=(8, 1, 3, 3))).float(),
            "conv1.bias": Tensor(np.zeros(8, dtype=np.float32), requires_grad=True),
            "bn.num_batches_tracked": Tensor(np.array(7, dtype=np.int64)),
            "fc.weight64": Tensor(np.eye(3)),
        },
        "optim": {
            "state": {0: {"step": 12, "exp_avg": np.ones((2, 2), np.float32)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "epoch": 3,
        "best": float("inf"),
        "nan": float("nan"),
        "flag": False,
        "note": "Ising CNN — T_c ≈ 2.269 \u2603",
        "nothing": None,
        "mask": np.array([True, False]),
        "scalar": np.float32(0.5),
        "big": 2**70,
    }
    path = tmp_path / "run.ckpt"
    save(state, path)
    assert path.exists() and not (tmp_path / "run.ckpt.npz").exists()  # exactly at path
    loaded = load(path)
    _assert_same(state, loaded)
    assert isinstance(loaded["model"]["conv1.weight"], Tensor)
    assert loaded["model"]["conv1.weight"].dtype == np.float32
    assert loaded["model"]["bn.num_batches_tracked"].dtype == np.int64
    assert isinstance(loaded["optim"]["state"][0]["exp_avg"], np.ndarray)
    assert isinstance(loaded["optim"]["param_groups"][0]["betas"], tuple)


def test_file_objects_round_trip():
    buf = io.BytesIO()
    save({"w": Tensor([1.0, 2.0])}, buf)
    buf.seek(0)
    out = load(buf)
    np.testing.assert_array_equal(out["w"].numpy(), [1.0, 2.0])


def test_file_is_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "x.npz"
    save({"a": np.arange(3), "b": [Tensor([1.0])]}, path)
    with np.load(path, allow_pickle=False) as z:  # readable by plain NumPy, no pickle needed
        assert "__checkpoint__" in z.files
        assert z["__checkpoint__"].dtype == np.uint8
        arrays = [z[k] for k in z.files if k != "__checkpoint__"]
    assert sorted(a.tolist() for a in arrays) == [[0, 1, 2], [1.0]]


_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.builds(lambda v: np.asarray(v, np.float32), st.lists(st.floats(-1e3, 1e3), max_size=4)),
    st.builds(lambda v: Tensor(np.asarray(v, np.int64)), st.lists(st.integers(-9, 9), max_size=4)),
)
_tree = st.recursive(
    _leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.lists(kids, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(-5, 5)), kids, max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(_tree)
def test_round_trip_property(obj):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    _assert_same(obj, load(buf))


@pytest.mark.parametrize(
    ("obj", "where"),
    [
        ({"model": {"layer": {"w": object()}}}, "obj['model']['layer']['w']"),
        ({"a": [1, {2, 3}]}, "obj['a'][1]"),
        ({"opt": {(1, 2): 3}}, "obj['opt']"),
        ({"x": np.array([None, 1], dtype=object)}, "obj['x']"),
        ({"f": lambda: 0}, "obj['f']"),
    ],
)
def test_unsupported_values_name_the_key_path(tmp_path, obj, where):
    with pytest.raises(TypeError) as info:
        save(obj, tmp_path / "bad.ckpt")
    assert where in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing written, not even a temp file


def test_reference_cycle_is_an_error(tmp_path):
    a: list = [1]
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        save({"a": a}, tmp_path / "c.ckpt")


def test_shared_subobjects_are_not_cycles():
    shared = [1, 2]
    buf = io.BytesIO()
    save({"x": shared, "y": shared}, buf)
    buf.seek(0)
    assert load(buf) == {"x": [1, 2], "y": [1, 2]}


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    save({"version": 1}, path)
    before = path.read_bytes()

    def broken_write(f, entries):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(ser, "_write_npz", broken_write)
    with pytest.raises(OSError, match="disk full"):
        save({"version": 2}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ckpt"]  # no temp file left
    monkeypatch.undo()
    assert load(path) == {"version": 1}


def test_atomic_write_uses_replace_after_fsync(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1]
    )
    save({"a": 1}, tmp_path / "a.ckpt")
    assert calls.index("fsync") < calls.index("replace")


def test_overwrite_and_permissions(tmp_path):
    path = tmp_path / "a.ckpt"
    save({"a": 1}, path)
    save({"a": 2}, path)
    assert load(path) == {"a": 2}
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_load_rejects_files_that_are_not_checkpoints(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a tinygrad_cnn checkpoint"):
        load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(2))
    with pytest.raises(ValueError, match="not a tinygrad_cnn checkpoint"):
        load(plain)
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(2))
    with pytest.raises(ValueError, match="not a tinygrad_cnn checkpoint"):
        load(npy)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.ckpt")


def test_load_rejects_truncated_file(tmp_path):
    path = tmp_path / "t.ckpt"
    save({"w": np.arange(1000.0)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="checkpoint|corrupt"):
        load(path)


def test_load_never_unpickles(tmp_path):
    """An .npz whose array entry is a pickled object array is refused, not executed."""
    path = tmp_path / "evil.ckpt"
    save({"w": np.zeros(2)}, path)
    evil = tmp_path / "evil2.ckpt"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            if name == "a0.npy":
                buf = io.BytesIO()
                np.save(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
                dst.writestr(name, buf.getvalue())
            else:
                dst.writestr(name, src.read(name))
    with pytest.raises(ValueError):
        load(evil)


def test_load_to_device_cpu(tmp_path):
    path = tmp_path / "d.ckpt"
    save({"w": Tensor([1.0])}, path)
    assert load(path, device="cpu")["w"].device == "cpu"
