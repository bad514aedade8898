"""models: shapes, parameter counts, the registry, and the Ising CNN's symmetries."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.models import MODELS, get_model, ising_cnn, lenet


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("image_size,side", [(28, 7), (8, 2), (16, 4), (7, 1)])
def test_lenet_shapes_and_parameter_count(image_size, side):
    model = lenet(image_size=image_size)
    assert model.fc1.in_features == 64 * side * side
    out = model(tg.randn(3, 1, image_size, image_size))
    assert out.shape == (3, 10)
    convs = (32 * 9 + 32) + (64 * 32 * 9 + 64)
    bns = 2 * 32 + 2 * 64
    fcs = (64 * side * side * 128 + 128) + (128 * 10 + 10)
    assert count(model) == convs + bns + fcs
    with pytest.raises(ValueError, match="too small"):
        lenet(image_size=3)


def test_lenet_options_and_backward():
    model = lenet(in_channels=3, num_classes=4, image_size=12)
    x = tg.randn(2, 3, 12, 12)
    loss = nn.CrossEntropyLoss()(model(x), tg.Tensor(np.array([0, 3])))
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_lenet_train_and_eval_differ_only_through_bn_and_dropout():
    tg.manual_seed(0)
    model = lenet(image_size=8).eval()
    x = tg.randn(4, 1, 8, 8)
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())  # eval is deterministic
    model.train()
    tg.manual_seed(1)
    a = model(x).numpy()
    tg.manual_seed(1)
    b = model(x).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)  # dropout masks follow the seed


@pytest.mark.parametrize("L", [4, 8, 16, 20])
def test_ising_cnn_any_lattice_size(L):
    model = ising_cnn(L)
    assert model(tg.randn(2, 1, L, L)).shape == (2, 2)


def test_ising_cnn_is_invariant_to_even_translations_and_a_single_model_serves_all_sizes():
    tg.manual_seed(0)
    model = ising_cnn(16).eval()
    spins = np.where(np.random.default_rng(0).random((3, 1, 16, 16)) < 0.5, -1.0, 1.0)
    out = model(tg.Tensor(spins.astype(np.float32))).numpy()
    # circular convolutions commute with translations; 2×2 pooling with even ones; the global
    # average then forgets the position entirely
    for shift in [(2, 0), (0, 4), (6, 10)]:
        moved = np.roll(spins, shift, axis=(2, 3)).astype(np.float32)
        np.testing.assert_allclose(model(tg.Tensor(moved)).numpy(), out, rtol=1e-5, atol=1e-6)
    # a lattice made of 2×2 tiled copies of a configuration has the same logits
    tiled = np.tile(spins, (1, 1, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(model(tg.Tensor(tiled)).numpy(), out, rtol=1e-5, atol=1e-6)


def test_ising_cnn_uses_circular_padding():
    convs = [m for m in ising_cnn().modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(c.padding_mode == "circular" for c in convs)
    with pytest.raises(ValueError):
        ising_cnn(1)


def test_registry_and_get_model():
    assert {"lenet", "ising"} <= set(MODELS)
    for name, spec in MODELS.items():
        model, x = get_model(name)
        assert isinstance(model, nn.Module) and x.shape == spec.input_shape
        assert x.dtype == np.float32 and spec.description
        out = model.eval()(x)
        assert out.shape[0] == x.shape[0] and out.ndim == 2
    _, x = get_model("ising", batch_size=5)
    assert x.shape == (5, 1, 16, 16) and set(np.unique(x.numpy())) == {-1.0, 1.0}
    with pytest.raises(KeyError, match="unknown model 'resnet'"):
        get_model("resnet")
