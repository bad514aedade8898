"""The Tensor object: construction, dtypes, devices, properties, conversions, factories,
random seeding and DLPack."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import backend
from tinygrad_cnn.testing import gradcheck
from tinygrad_cnn.testing.strategies import shapes

# the module, not the tg.tensor factory that shadows its name on the package
tensor_module = importlib.import_module("tinygrad_cnn.tensor")
function_module = importlib.import_module("tinygrad_cnn.function")


# ------------------------------------------------------------------------------ construction
@pytest.mark.parametrize(
    ("data", "dtype", "shape"),
    [
        (3.0, np.float32, ()),
        (3, np.int64, ()),
        (True, np.bool_, ()),
        ([1, 2, 3], np.int64, (3,)),
        ([1.0, 2, 3], np.float32, (3,)),
        ([[True, False]], np.bool_, (1, 2)),
        ([[1.5], [2.5]], np.float32, (2, 1)),
        (np.arange(3, dtype=np.float64), np.float64, (3,)),  # arrays keep their dtype
        (np.arange(3, dtype=np.int32), np.int32, (3,)),
        (np.float64(2.0), np.float64, ()),
        ([], np.float32, (0,)),
    ],
)
def test_construction_and_dtype_defaults(data, dtype, shape):
    t = tg.Tensor(data)
    assert t.dtype == dtype and t.shape == shape
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))
    assert tg.tensor(data).dtype == dtype


def test_explicit_dtype_and_tensor_input():
    t = tg.Tensor([1, 2], dtype=tg.float64)
    assert t.dtype == np.float64
    assert tg.Tensor(1.5, dtype=tg.float64).dtype == np.float64
    u = tg.Tensor(t)
    assert u.dtype == np.float64 and u._data is t._data and not u.requires_grad
    assert tg.Tensor([1.7, -1.2], dtype=tg.int64).tolist() == [1, -1]


def test_bad_data_is_refused():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        tg.Tensor("abc")
    with pytest.raises(RuntimeError, match="cannot make a tensor"):  # PyTorch: RuntimeError
        tg.Tensor([object()])


def test_integer_and_bool_tensors_cannot_require_grad():
    for data in ([1, 2], [True]):
        with pytest.raises(RuntimeError, match="only floating point"):
            tg.Tensor(data, requires_grad=True)
    with pytest.raises(RuntimeError, match="only floating point"):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)


def test_properties():
    t = tg.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and len(t) == 2
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and tg.Tensor(5.0).numel() == 1
    assert t.device == "cpu" and t.dtype == np.float32
    assert t.is_leaf and t.op is None and t.parents == () and t.grad is None
    assert t.name is None
    with pytest.raises(TypeError, match="0-d"):
        len(tg.Tensor(1.0))
    x = tg.Tensor([1.0], requires_grad=True)
    y = x * 2
    assert not y.is_leaf and y.parents[0] is x and y.op.name == "Mul"
    assert [r.tolist() for r in tg.Tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_item_numpy_tolist_and_python_conversions():
    t = tg.Tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert isinstance(tg.Tensor(3).item(), int)
    assert float(t) == 2.5 and int(tg.Tensor(7)) == 7 and bool(tg.Tensor(True))
    with pytest.raises(RuntimeError, match=r"only one-element tensors.*\(2,\)"):
        tg.Tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.Tensor([1.0, 2.0]))
    arr = np.arange(4.0)
    t = tg.Tensor(arr)
    assert t.numpy() is arr or np.shares_memory(t.numpy(), arr)  # no copy on the CPU
    assert np.asarray(t).dtype == np.float64
    assert tg.Tensor([[1, 2]]).tolist() == [[1, 2]]
    assert tg.from_numpy(arr)._data is arr


def test_to_dtype_is_differentiable():
    x = tg.Tensor([1.5, -2.0], requires_grad=True)
    y = x.to(tg.float64)
    assert y.dtype == np.float64 and y.op is not None
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -4.0])
    assert x.to(tg.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.long().tolist() == [1, -2] and not x.long().requires_grad
    assert gradcheck(
        lambda x: x.to(tg.float32).to(tg.float64) * 2,
        [tg.randn(3, dtype=tg.float64, requires_grad=True)],
        atol=1e-5,
        rtol=1e-3,
        eps=1e-3,
    )


def test_clone_is_a_differentiable_copy():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c._data is not x._data
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    d = tg.Tensor([3.0]).clone()
    assert not d.requires_grad


def test_repr_names_the_op_and_interesting_attributes():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], requires_grad=True)"
    y = (x * 2).exp()
    assert "op=<Exp>" in repr(y)
    assert "dtype=float64" in repr(tg.Tensor([1.0], dtype=tg.float64))
    assert "dtype" not in repr(tg.Tensor([1, 2]))
    x.name = "conv1.weight"
    assert "name='conv1.weight'" in repr(x)
    big = repr(tg.zeros(1000))
    assert "..." in big and len(big) < 400


# ------------------------------------------------------------------------------ devices
def test_device_argument_and_unknown_devices():
    assert tg.Tensor([1.0], device="cpu").device == "cpu"
    assert tg.zeros(2, device="CPU").device == "cpu"
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*cpu.*cuda"):
        tg.Tensor([1.0], device="tpu")
    with pytest.raises(ValueError, match="unknown device"):
        tg.Tensor([1.0]).to("cudax9")  # a "cuda..." string that is not a cuda device


@pytest.fixture
def no_cupy(monkeypatch):
    """Make ``import cupy`` fail, as on a machine without it (whatever is installed here)."""
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(__import__("sys").modules, "cupy", None)


def test_to_cuda_without_cupy_says_how_to_install(no_cupy):
    x = tg.Tensor([1.0, 2.0])
    for attempt in (lambda: x.to("cuda"), lambda: x.cuda(), lambda: tg.zeros(2, device="cuda:0")):
        with pytest.raises(RuntimeError, match=r"needs CuPy.*pip install cupy-cuda12x") as info:
            attempt()
        assert "tinygrad-cnn[gpu]" in str(info.value)


class _FakeGpuArray(np.ndarray):
    """A NumPy array that claims to live on the GPU (to reach the mixed-device check)."""


def test_mixing_devices_is_a_clear_error_naming_both(monkeypatch):
    real = backend.device_of
    monkeypatch.setattr(
        tensor_module, "device_of", lambda a: "cuda" if isinstance(a, _FakeGpuArray) else real(a)
    )
    real_common = backend.common_array_module

    def common(arrays):  # the ops' one-module check, as it answers for a CPU/GPU mix
        fake = [isinstance(a, _FakeGpuArray) for a in arrays]
        return None if any(fake) and not all(fake) else real_common(arrays)

    monkeypatch.setattr(function_module, "common_array_module", common)
    cpu = tg.Tensor(np.ones((2, 3)))

    def on_fake_gpu(shape):
        t = tg.Tensor(np.ones(shape))
        t._data = t._data.view(_FakeGpuArray)  # set after construction, which makes plain arrays
        return t

    assert on_fake_gpu((1,)).device == "cuda"
    with pytest.raises(RuntimeError, match=r"Add: expected all tensors on one device.*cpu.*cuda"):
        cpu + on_fake_gpu((2, 3))
    with pytest.raises(RuntimeError, match=r"Matmul:.*\(2, 3\) on cpu.*\(3, 2\) on cuda"):
        cpu @ on_fake_gpu((3, 2))


# ------------------------------------------------------------------------------ factories
def test_zeros_ones_full_eye():
    assert tg.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert tg.zeros((2, 3)).shape == (2, 3) and tg.zeros(2, 3).dtype == np.float32
    assert tg.ones(4, dtype=tg.int64).tolist() == [1, 1, 1, 1]
    assert tg.full((2,), 7.5).tolist() == [7.5, 7.5] and tg.full(3, 1.0).shape == (3,)
    np.testing.assert_array_equal(tg.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))
    z = tg.zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf


def test_factories_treat_dtype_none_as_the_default():
    for make in (tg.zeros, tg.ones, tg.rand, tg.randn, tg.eye):
        assert make(2, dtype=None).dtype == np.float32
    assert tg.full(2, 1.0, dtype=None).dtype == np.float32
    assert tg.linspace(0, 1, 3, dtype=None).dtype == np.float32


def test_arange_and_linspace():
    a = tg.arange(5)
    assert a.dtype == np.int64 and a.tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(1, 7, 2).tolist() == [1, 3, 5]
    f = tg.arange(0, 1, 0.25)
    assert f.dtype == np.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tg.arange(3, dtype=tg.float64).dtype == np.float64
    lin = tg.linspace(-1, 1, 5)
    assert lin.dtype == np.float32 and lin.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]


def test_like_factories_follow_the_template():
    x = tg.randn(2, 3, dtype=tg.float64)
    for make in (tg.zeros_like, tg.ones_like, tg.rand_like, tg.randn_like):
        y = make(x)
        assert y.shape == (2, 3) and y.dtype == np.float64 and y.device == "cpu"
        assert make(x, dtype=tg.float32).dtype == np.float32
    assert tg.full_like(x, 3.0).tolist() == [[3.0] * 3] * 2
    assert tg.ones_like(x, requires_grad=True).requires_grad


@given(shape=shapes(max_dims=3, max_side=5), seed=st.integers(0, 2**31 - 1))
def test_random_factories_shapes_ranges_and_seeding(shape, seed):
    tg.manual_seed(seed)
    r, n = tg.rand(*shape), tg.randn(shape)
    i = tg.randint(-3, 4, size=shape)
    assert r.shape == n.shape == i.shape == shape
    assert r.dtype == n.dtype == np.float32 and i.dtype == np.int64
    assert np.all((r.numpy() >= 0) & (r.numpy() < 1))
    assert np.all((i.numpy() >= -3) & (i.numpy() < 4))
    tg.manual_seed(seed)
    np.testing.assert_array_equal(tg.rand(*shape).numpy(), r.numpy())
    np.testing.assert_array_equal(tg.randn(shape).numpy(), n.numpy())
    np.testing.assert_array_equal(tg.randint(-3, 4, size=shape).numpy(), i.numpy())


def test_random_statistics_and_different_seeds():
    tg.manual_seed(0)
    a = tg.randn(20_000, dtype=tg.float64).numpy()
    assert abs(a.mean()) < 0.03 and abs(a.std() - 1) < 0.03
    u = tg.rand(20_000).numpy()
    assert abs(u.mean() - 0.5) < 0.01
    assert set(tg.randint(5, size=(1000,)).tolist()) == {0, 1, 2, 3, 4}
    tg.manual_seed(1)
    assert not np.array_equal(tg.randn(10_000, dtype=tg.float64).numpy()[:10], a[:10])
    assert tg.randn(3, dtype=tg.float64).dtype == np.float64
    assert tg.rand(2, requires_grad=True).requires_grad


# ------------------------------------------------------------------------------ DLPack
def test_dlpack_round_trip_with_numpy_shares_memory():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    view = np.from_dlpack(x)
    assert view.shape == (2, 3) and np.shares_memory(view, x._data)
    back = tg.from_dlpack(view)
    assert back.dtype == np.float64 and np.shares_memory(back._data, x._data)
    back._data[0, 0] = 42.0
    assert x.tolist()[0][0] == 42.0
    assert x.__dlpack_device__()[0] == 1  # kDLCPU


def test_dlpack_round_trip_with_torch(torch):
    x = tg.Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    t = torch.from_dlpack(x)
    assert t.dtype == torch.float32 and tuple(t.shape) == (2, 3)
    t[0, 0] = -1.0  # shared memory
    assert x.tolist()[0][0] == -1.0
    back = tg.from_dlpack(torch.arange(4, dtype=torch.int64))
    assert back.dtype == np.int64 and back.tolist() == [0, 1, 2, 3]


def test_float_precision_of_python_scalars_follows_the_tensor():
    x = tg.Tensor([1.0], dtype=tg.float64)
    assert (x * 0.1).dtype == np.float64
    assert (x * 0.1).item() == 0.1  # 0.1 not rounded through float32
    y = tg.Tensor([1.0])
    assert (y + 1e-3).dtype == np.float32
    assert math.isclose((y + 1e-3).item(), 1.001, rel_tol=1e-6)
