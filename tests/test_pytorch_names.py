"""The names PyTorch code imports: ``nn.functional`` (the same module as ``functional``),
``utils.data``, ``tg.device``, ``tg.cuda``, ``tg.inference_mode``, ``tg.autograd``, dtype names,
the default dtype, ``tensor``/``as_tensor``/``from_numpy``/``is_tensor``/``numel``; and the
layout of the functional package."""

from __future__ import annotations

import importlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F_direct
import tinygrad_cnn.nn.functional as F
from tinygrad_cnn.nn import functional as F_from

# ---------------------------------------------------------------- nn.functional, utils.data


def test_nn_functional_is_the_functional_module_itself():
    assert F is F_direct is F_from is tg.nn.functional is tg.functional
    assert sys.modules["tinygrad_cnn.nn.functional"] is F_direct
    assert importlib.import_module("tinygrad_cnn.nn.functional") is F_direct


def test_nn_functional_imports_in_a_fresh_interpreter_first():
    code = (
        "import tinygrad_cnn.nn.functional as F\n"
        "import tinygrad_cnn.functional as G\n"
        "from tinygrad_cnn.nn.functional import relu\n"
        "from tinygrad_cnn.utils.data import DataLoader\n"
        "import tinygrad_cnn.utils.data as D, tinygrad_cnn.data as E\n"
        "assert F is G and relu is G.relu and D is E and DataLoader is E.DataLoader\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


FUNCTIONAL_MODULES = {  # module: one of its functions
    "conv": "conv2d",
    "pool": "max_pool2d",
    "norm": "batch_norm",
    "dropout": "dropout2d",
    "linear": "linear",
    "activation": "gelu",
    "loss": "cross_entropy",
    "encoding": "one_hot",
    "distance": "cosine_similarity",
    "resample": "interpolate",
    "group_conv": "p4_conv_z2",
}


def test_functional_is_a_package_of_one_module_per_kind_with_the_same_names():
    assert hasattr(F, "__path__")  # a package
    everything = []
    for name, example in FUNCTIONAL_MODULES.items():
        module = importlib.import_module(f"tinygrad_cnn.functional.{name}")
        assert example in module.__all__, name
        for n in module.__all__:
            assert getattr(F, n) is getattr(module, n), n
        everything += module.__all__
    assert sorted(F.__all__) == sorted(everything)
    assert len(F.__all__) == len(set(F.__all__))  # each name exported once


def test_utils_data_reexports_the_data_package():
    from tinygrad_cnn.utils.data import (
        ConcatDataset,
        DataLoader,
        Dataset,
        Subset,
        TensorDataset,
        default_collate,
        random_split,
    )

    assert tg.utils.data is tg.data
    assert (DataLoader, Dataset, Subset, TensorDataset) == (
        tg.data.DataLoader,
        tg.data.Dataset,
        tg.data.Subset,
        tg.data.TensorDataset,
    )
    assert default_collate is tg.data.default_collate and random_split is tg.data.random_split
    assert ConcatDataset is tg.data.ConcatDataset


def test_concat_dataset_as_pytorch(torch):
    from tinygrad_cnn.utils.data import ConcatDataset, DataLoader, TensorDataset

    parts = [np.arange(3), np.arange(10, 12), np.arange(20, 24)]
    ours = ConcatDataset([TensorDataset(p) for p in parts])
    theirs = torch.utils.data.ConcatDataset(
        [torch.utils.data.TensorDataset(torch.from_numpy(p)) for p in parts]
    )
    assert len(ours) == len(theirs) == 9
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-9, 9):
        assert int(ours[i][0].item()) == int(theirs[i][0])
    batches = [b[0].tolist() for b in DataLoader(ours, batch_size=4)]
    assert batches == [[0, 1, 2, 10], [11, 20, 21, 22], [23]]
    with pytest.raises(IndexError, match="ConcatDataset: index 9 is out of range"):
        ours[9]
    with pytest.raises(ValueError, match="ConcatDataset: datasets should not be empty|empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="ConcatDataset: every dataset needs"):
        ConcatDataset([5])


def test_random_split_takes_fractions_and_a_generator():
    from tinygrad_cnn.utils.data import TensorDataset, random_split

    ds = TensorDataset(np.arange(10))
    a = random_split(ds, [0.7, 0.3], generator=np.random.default_rng(1))
    b = random_split(ds, [0.7, 0.3], generator=np.random.default_rng(1))
    assert [len(p) for p in a] == [7, 3]
    assert list(a[0].indices) == list(b[0].indices)
    assert sorted(list(a[0].indices) + list(a[1].indices)) == list(range(10))
    assert [len(p) for p in random_split(ds, [0.34, 0.33, 0.33], generator=5)] == [4, 3, 3]
    with pytest.raises(TypeError, match="random_split: generator must be"):
        random_split(ds, [5, 5], generator="rng")
    with pytest.raises(ValueError, match="random_split: give generator or seed"):
        random_split(ds, [5, 5], generator=1, seed=2)


def test_random_split_fraction_counts_match_pytorch(torch):
    for n in (7, 10, 11, 101):
        for fractions in ([0.5, 0.5], [0.34, 0.33, 0.33], [0.1, 0.2, 0.7], [0.25] * 4):
            ds = torch.utils.data.TensorDataset(torch.arange(n))
            want = [len(p) for p in torch.utils.data.random_split(ds, fractions)]
            got = [
                len(p) for p in tg.data.random_split(tg.data.TensorDataset(np.arange(n)), fractions)
            ]
            assert got == want, (n, fractions)


# ---------------------------------------------------------------- device and cuda


def test_the_device_idiom():
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    x = tg.randn(2, 3, device=device)
    assert x.device == device
    model = tg.nn.Linear(3, 1).to(device)
    assert model(x.to(device)).device == device


def test_device_type_index_str_repr_eq():
    d = tg.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == (
        "cuda",
        1,
        "cuda:1",
        "device(type='cuda', index=1)",
    )
    assert tg.device("cuda", 0) == tg.device("cuda:0") == "cuda:0"
    assert tg.device("cpu").index is None and repr(tg.device("cpu")) == "device(type='cpu')"
    assert tg.device("cpu") != tg.device("cuda")
    assert tg.device(tg.device("cpu")) == "cpu"
    assert hash(tg.device("cpu")) == hash(tg.device("cpu"))
    assert pickle.loads(pickle.dumps(tg.device("cuda:0"))) == tg.device("cuda:0")
    assert isinstance(tg.ones(1).device, tg.device) and tg.ones(1).device.type == "cpu"


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("tpu",), RuntimeError, "device: expected one of"),
        (("cuda:x",), RuntimeError, "device: invalid device string"),
        (("cuda:0", 1), RuntimeError, "device: index given twice"),
        (("cuda", -1), RuntimeError, "device: index must be non-negative"),
        (("cuda", 1.5), TypeError, "device: index must be an int"),
        ((3.5,), TypeError, "device: expected a string"),
    ],
)
def test_bad_devices(args, error, match):
    with pytest.raises(error, match=match):
        tg.device(*args)


def test_devices_go_where_device_names_go():
    cpu = tg.device("cpu")
    x = tg.ones(2, device=cpu)
    assert x.to(cpu) is x
    assert tg.zeros(2, device=cpu).device == "cpu"
    assert tg.tensor([1.0], device=cpu).device == "cpu"
    m = tg.nn.Linear(2, 2)
    assert m.to(cpu) is m


def test_cuda_is_available_and_device_count_agree():
    n = tg.cuda.device_count()
    assert isinstance(n, int) and n >= 0
    assert tg.cuda.is_available() == (n > 0)


def test_cuda_functions_say_no_without_cupy(monkeypatch):
    import builtins

    from tinygrad_cnn import backend

    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("no cupy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_cupy)
    monkeypatch.setattr(importlib, "import_module", lambda name: no_cupy(name))
    assert tg.cuda.device_count() == 0 and tg.cuda.is_available() is False


# ---------------------------------------------------------------- grad modes and autograd


def test_inference_mode_as_context_manager_and_decorator():
    w = tg.ones(2, requires_grad=True)
    with tg.inference_mode():
        assert not (w * 2).requires_grad
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled() and (w * 2).requires_grad

    @tg.inference_mode()
    def f(x):
        return x * 2

    @tg.inference_mode
    def g(x):
        return x * 2

    assert not f(w).requires_grad and not g(w).requires_grad
    with tg.inference_mode(False):
        assert (w * 2).requires_grad
    with tg.no_grad(), tg.inference_mode(mode=False):
        assert (w * 2).requires_grad


def test_autograd_grad_and_backward():
    assert tg.autograd.grad is tg.grad
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    tg.autograd.backward((x * x).sum())
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    tg.autograd.backward([x * 3], [tg.ones(2)])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


# ---------------------------------------------------------------- dtypes


def test_dtype_names_are_pytorchs(torch):
    names = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
    names += ["half", "float", "double", "short", "int", "long"]
    for name in names:
        want = str(getattr(torch, name)).replace("torch.", "")
        assert str(getattr(tg, name)) == want, name
    assert tg.bool_ == tg.bool == np.bool_
    assert str(tg.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch.", "")


def test_dtype_names_work_in_factories_and_casts():
    assert tg.zeros(2, dtype=tg.long).dtype == np.int64
    assert tg.ones(2).to(tg.half).dtype == np.float16
    assert tg.Tensor([1, 2], dtype=tg.double).dtype == np.float64
    assert tg.Tensor([0, 2], dtype=tg.bool).tolist() == [False, True]


# ---------------------------------------------------------------- tensor, as_tensor, from_numpy


def test_tensor_copies_and_infers_like_torch_tensor(torch):
    a = np.array([1.0, 2.0])
    t = tg.tensor(a)
    a[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.dtype == np.float64  # arrays keep their dtype
    src = tg.ones(2)
    copy = tg.tensor(src)
    assert copy._data is not src._data and not np.shares_memory(copy._data, src._data)
    for data in (3, 2.5, True, [1, 2], [1.5, 2], [[True], [False]], [[1, 2], [3, 4]]):
        want = str(torch.tensor(data).dtype).replace("torch.", "")
        got = tg.tensor(data)
        assert str(got.dtype) == want, data
        assert got.tolist() == torch.tensor(data).tolist()


def test_as_tensor_and_from_numpy_share_memory():
    a = np.arange(3.0)
    for t in (tg.from_numpy(a), tg.as_tensor(a)):
        assert np.shares_memory(t._data, a) and t.dtype == np.float64
    a[1] = 7.0
    assert tg.from_numpy(a).tolist() == [0.0, 7.0, 2.0]
    x = tg.ones(2)
    assert tg.as_tensor(x) is x
    assert tg.as_tensor(x, dtype=tg.float64).dtype == np.float64
    assert tg.as_tensor([1, 2]).dtype == np.int64
    assert tg.as_tensor(a, dtype=tg.float32).dtype == np.float32  # a cast copies
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        tg.from_numpy([1, 2])


def test_is_tensor_and_numel():
    assert tg.is_tensor(tg.ones(1)) and tg.is_tensor(tg.nn.Parameter(tg.ones(1)))
    assert not tg.is_tensor(np.ones(1)) and not tg.is_tensor(1.0)
    assert tg.numel(tg.ones(2, 3)) == 6 and tg.numel(tg.ones(())) == 1
    with pytest.raises(TypeError, match="numel: expected a Tensor"):
        tg.numel([1, 2])


def test_to_takes_pytorchs_argument_forms():
    x = tg.ones(2)
    cpu = tg.device("cpu")
    assert x.to(cpu, non_blocking=True) is x
    assert x.to(cpu, tg.float64).dtype == tg.float64
    assert x.to(device="cpu", dtype=tg.float64).dtype == tg.float64
    assert x.to(tg.zeros(1, dtype=tg.float64)).dtype == tg.float64
    assert x.to("float64").dtype == tg.float64
    copy = x.to(cpu, copy=True)
    assert copy is not x and not np.shares_memory(copy._data, x._data)
    y = tg.ones(2, requires_grad=True)
    y.to(cpu, tg.float64).sum().backward()
    assert y.grad.dtype == tg.float32 and y.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="to: unknown device or dtype 'tpu'"):
        x.to("tpu")
    with pytest.raises(TypeError, match="to: expected a device"):
        x.to(3.5j)


def test_module_to_takes_pytorchs_argument_forms():
    m = tg.nn.BatchNorm1d(2)
    assert m.to(tg.device("cpu"), non_blocking=True) is m
    m.to("cpu", tg.float64)
    assert m.weight.dtype == tg.float64 and m.num_batches_tracked.dtype == tg.int64
    m.to(dtype=tg.float32)
    assert m.running_mean.dtype == tg.float32
    m.to(tg.zeros(1, dtype=tg.float64))
    assert m.weight.dtype == tg.float64
    with pytest.raises(TypeError, match="Module.to: only floating dtypes"):
        m.to(tg.int64)
