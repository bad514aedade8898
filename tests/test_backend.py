"""Array backends: array-module dispatch, device moves, scatter-add, window views, erf and
DLPack. Tests that run on either backend are parametrised over devices; the CUDA leg skips
cleanly without CuPy or a GPU."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import backend
from tinygrad_cnn.testing import gradcheck, gradgradcheck


def _cuda_available() -> bool:
    try:
        backend.cupy_module()
    except RuntimeError:
        return False
    return True


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    if request.param == "cuda" and not _cuda_available():
        pytest.skip("CuPy or a CUDA GPU is not available")
    return request.param


def test_numpy_is_the_default_module():
    assert backend.get_array_module(np.zeros(2)) is np
    assert backend.get_array_module(1.0, [1, 2]) is np
    assert backend.device_of(np.zeros(2)) == "cpu"
    assert backend.to_numpy([1, 2]).tolist() == [1, 2]
    a = np.arange(3)
    assert backend.to_numpy(a) is a and backend.to_device(a, "cpu") is a


@pytest.mark.parametrize(
    ("name", "expected"), [("cpu", "cpu"), ("CUDA", "cuda"), ("cuda:0", "cuda"), ("cuda:1", "cuda")]
)
def test_normalize_device(name, expected):
    assert backend.normalize_device(name) == expected


@pytest.mark.parametrize("bad", ["gpu", "cudax", "cuda:", "cuda:a", "", "mps"])
def test_normalize_device_rejects_other_names(bad):
    with pytest.raises(ValueError, match="unknown device"):
        backend.normalize_device(bad)


def test_cupy_missing_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now fails
    with pytest.raises(RuntimeError, match="needs CuPy, which is not installed") as info:
        backend.to_device(np.zeros(2), "cuda")
    assert backend.CUDA_INSTALL_HINT in str(info.value)
    # and nothing else imports CuPy behind our back: CPU work still uses NumPy
    assert backend.get_array_module(np.zeros(2)) is np


def test_scatter_add_accumulates_repeated_indices(device):
    xp = np if device == "cpu" else backend.cupy_module()
    target = xp.zeros((3, 2))
    index = (xp.asarray([0, 2, 0, 0]),)
    values = xp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    backend.scatter_add(target, index, values)
    np.testing.assert_array_equal(backend.to_numpy(target), [[13, 16], [0, 0], [3, 4]])


def test_sliding_window_view(device):
    x = backend.to_device(np.arange(20.0).reshape(4, 5), device)
    w = backend.sliding_window_view(x, (2, 3), axis=(0, 1))
    assert w.shape == (3, 3, 2, 3)
    np.testing.assert_array_equal(backend.to_numpy(w[1, 2]), [[7, 8, 9], [12, 13, 14]])


def test_erf_is_accurate_everywhere():
    x = np.concatenate(
        [
            np.linspace(-8, 8, 4001),
            [0.0, -0.0, 1e-300, 2.9999999, 3.0, 3.0000001, 30.0, -30.0, np.inf, -np.inf],
        ]
    )
    got = backend.erf(x)
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, expected, rtol=2e-15, atol=2e-16)
    assert backend.erf(np.float32(0.5)).dtype == np.float32
    assert backend.erf(np.array([0.5], dtype=np.float32)).dtype == np.float32


def test_erf_is_nan_for_nan():
    assert np.isnan(backend.erf(np.array([np.nan]))).all()


def test_tensor_ops_on_each_device(device):
    x = tg.Tensor(
        np.linspace(-1, 1, 6).reshape(2, 3), dtype=tg.float64, device=device, requires_grad=True
    )
    assert x.device == device
    y = (x @ x.T).tanh().sum()
    y.backward()
    assert x.grad.device == device
    ref = np.linspace(-1, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(float(y.item()), np.tanh(ref @ ref.T).sum())
    assert gradcheck(lambda x: (x @ x.T).softmax(-1), [x])
    assert gradgradcheck(lambda x: x[:, [0, 2, 0]].sigmoid(), [x])


def test_moving_between_devices_is_differentiable(device):
    x = tg.Tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = x.to(device)
    assert y.device == device
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    z = tg.randn(3, device=device)
    assert z.device == device and z.to("cpu").device == "cpu"


def test_from_dlpack_of_a_numpy_array(device):
    arr = backend.to_device(np.arange(4.0), device)
    t = tg.from_dlpack(arr)
    assert t.device == device and t.tolist() == [0.0, 1.0, 2.0, 3.0]
