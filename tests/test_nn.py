"""nn: Module machinery (registration, traversal, modes, devices/dtypes, state dicts, repr,
scopes and names) and every layer's forward against NumPy formulas."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import autograd, nn
from tinygrad_cnn import functional as F
from tinygrad_cnn.models import lenet

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        self.scale = 2.0  # a plain attribute

    def forward(self, x):
        return self.head(F.relu(self.bn(self.conv1(x)))) * self.scale


# ---------------------------------------------------------------------------- Parameter
def test_parameter_is_a_leaf_that_requires_grad_and_shares_data():
    t = tg.Tensor(arr(3, 2))
    p = nn.Parameter(t)
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert p._data is t._data
    assert not nn.Parameter(arr(2), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64  # arrays keep their dtype


# ---------------------------------------------------------------------------- registration
def test_assignment_registers_parameters_buffers_and_submodules():
    net = Net()
    assert list(net._parameters) == []
    assert list(net._modules) == ["conv1", "bn", "head"]
    assert [n for n, _ in net.named_parameters()] == [
        "conv1.weight",
        "conv1.bias",
        "bn.weight",
        "bn.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
    ]
    assert net.scale == 2.0 and "scale" not in net._parameters
    assert [n for n, _ in net.named_children()] == ["conv1", "bn", "head"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "conv1",
        "bn",
        "head",
        "head.0",
        "head.1",
    ]
    assert len(list(net.modules())) == 6
    assert len(list(net.parameters(recurse=False))) == 0
    assert net.get_submodule("head.1") is net.head[1]


def test_reassignment_changes_kind_and_deletion_unregisters():
    m = nn.Module()
    m.w = nn.Parameter(arr(2))
    assert "w" in m._parameters
    m.w = None  # empty parameter slot, like bias=False
    assert m._parameters["w"] is None and list(m.parameters()) == []
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = tg.Tensor(arr(2))
    m.register_buffer("b", tg.zeros(3))
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.b = 3.0
    m.b = tg.ones(3)
    assert m._buffers["b"] is m.b
    m.b = nn.Linear(2, 2)  # a buffer name becomes a submodule
    assert "b" not in m._buffers and m._modules["b"] is m.b
    del m.b
    assert "b" not in m._modules and not hasattr(m, "b")
    m.sub = nn.Linear(2, 3)
    assert len(list(m.parameters())) == 2


def test_assignment_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_register_checks_names_and_types():
    m = nn.Module()
    with pytest.raises(KeyError):
        m.register_buffer("a.b", tg.zeros(1))
    with pytest.raises(TypeError):
        m.register_parameter("w", tg.zeros(1))  # a Tensor, not a Parameter
    with pytest.raises(TypeError):
        m.add_module("x", 3)


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 3  # seq, lin, relu
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    assert len(list(tied.parameters())) == 3


def test_deep_sequential_traversal_needs_no_recursion():
    seq = nn.Sequential()
    for _ in range(3000):
        seq = nn.Sequential(seq)
    assert sum(1 for _ in seq.named_modules()) == 3001


# ---------------------------------------------------------------------------- modes and grads
def test_train_eval_propagate_and_return_self():
    net = Net()
    assert net.training and net.bn.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("no")


def test_zero_grad_to_none_or_zeros_and_requires_grad_():
    net = Net()
    net(tg.Tensor(arr(2, 1, 4, 4))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.conv1.requires_grad_(False)
    net(tg.Tensor(arr(2, 1, 4, 4))).sum().backward()
    assert net.conv1.weight.grad is None and net.head[1].weight.grad is not None


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Conv2d", "BatchNorm2d", "Flatten", "Linear", "Sequential", "Net"]


def test_to_dtype_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    params = list(net.parameters())
    net(tg.Tensor(arr(2, 1, 4, 4))).sum().backward()
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert net.bn.running_mean.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64
    out = net(tg.Tensor(arr(2, 1, 4, 4, dtype=np.float64)))
    assert out.dtype == np.float64
    net.to("cpu").float()
    assert all(p.dtype == np.float32 for p in params)
    with pytest.raises(ValueError, match="unknown device"):
        net.to("tpu")
    with pytest.raises(TypeError):
        net.to(np.int64)


# ---------------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_reproduces_outputs():
    tg.manual_seed(1)
    a, b = Net(), Net()
    x = tg.Tensor(arr(3, 1, 4, 4))
    a(x)  # updates a's running statistics
    a.eval()
    b.eval()
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    sd = a.state_dict()
    assert list(sd) == [
        "conv1.weight",
        "conv1.bias",
        "bn.weight",
        "bn.bias",
        "bn.running_mean",
        "bn.running_var",
        "bn.num_batches_tracked",
        "head.1.weight",
        "head.1.bias",
    ]
    assert all(not t.requires_grad for t in sd.values())
    assert sd["conv1.weight"]._data is a.conv1.weight._data  # shared, like PyTorch
    weight = b.conv1.weight
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.conv1.weight is weight  # loaded in place
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    assert int(b.bn.num_batches_tracked.item()) == 1
    # arrays work as values too, and values are copied (not aliased)
    c = Net()
    c.load_state_dict({k: v.numpy() for k, v in sd.items()})
    c.eval()
    np.testing.assert_array_equal(a(x).numpy(), c(x).numpy())
    assert c.conv1.weight._data is not a.conv1.weight._data


def test_state_dict_through_save_and_load(tmp_path):
    from tinygrad_cnn.serialization import load, save

    tg.manual_seed(2)
    a, b = Net(), Net()
    save(a.state_dict(), tmp_path / "net.ckpt")
    b.load_state_dict(load(tmp_path / "net.ckpt"))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and va.dtype == vb.dtype
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_load_state_dict_reports_every_problem_by_name():
    sd = Net().state_dict()
    del sd["bn.bias"]
    sd["extra.weight"] = tg.zeros(2)
    sd["head.1.weight"] = tg.zeros(5, 64)
    with pytest.raises(RuntimeError) as err:
        Net().load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys: bn.bias" in msg
    assert "unexpected keys: extra.weight" in msg
    assert "head.1.weight: checkpoint has shape (5, 64), the model has (3, 64)" in msg


def test_load_state_dict_non_strict_returns_keys_but_still_checks_shapes():
    sd = Net().state_dict()
    del sd["bn.bias"]
    sd["extra"] = tg.zeros(1)
    missing, unexpected = Net().load_state_dict(sd, strict=False)
    assert missing == ["bn.bias"] and unexpected == ["extra"]
    sd["conv1.bias"] = tg.zeros(7)
    with pytest.raises(RuntimeError, match="conv1.bias"):
        Net().load_state_dict(sd, strict=False)


def test_non_persistent_buffers_are_not_saved_but_move():
    m = nn.Module()
    m.register_buffer("keep", tg.zeros(2))
    m.register_buffer("scratch", tg.zeros(2), persistent=False)
    assert list(m.state_dict()) == ["keep"]
    assert [n for n, _ in m.named_buffers()] == ["keep", "scratch"]
    m.double()
    assert m.scratch.dtype == np.float64


# ---------------------------------------------------------------------------- repr
def test_repr_nested_like_pytorch():
    text = repr(lenet())
    assert text.startswith("Sequential(\n  (conv1): Conv2d(1, 32, kernel_size=(3, 3), ")
    assert "(conv1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert (
        "(bn1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
        in text
    )
    assert "(fc1): Linear(in_features=3136, out_features=128, bias=True)" in text
    assert "(dropout): Dropout(p=0.5, inplace=False)" in text
    assert text.endswith("(fc2): Linear(in_features=128, out_features=10, bias=True)\n)")
    nested = repr(Net())
    assert "  (head): Sequential(\n    (0): Flatten(start_dim=1, end_dim=-1)\n" in nested
    assert repr(nn.ReLU()) == "ReLU()"
    conv = nn.Conv2d(
        2, 4, (3, 5), stride=2, dilation=2, groups=2, bias=False, padding_mode="circular"
    )
    assert repr(conv) == (
        "Conv2d(2, 4, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), groups=2, "
        "bias=False, padding_mode=circular)"
    )


# ---------------------------------------------------------------------------- scopes, names, hooks
def test_call_records_module_scope_on_ops():
    net = Net()
    out = net(tg.Tensor(arr(2, 1, 4, 4), requires_grad=True))
    scopes = [  # modules only (functional calls such as conv2d are scopes too)
        tuple(m for m in node.op.scope if not isinstance(m, autograd.FunctionScope))
        for node in tg.toposort(out)
        if node.op is not None
    ]
    assert all(s[0] is net for s in scopes)
    assert any(len(s) == 3 and s[1] is net.head and s[2] is net.head[1] for s in scopes)
    assert any(s[-1] is net.conv1 for s in scopes)
    assert autograd.current_scope() == ()


def test_parameters_get_qualified_names_on_call():
    net = Net()
    net(tg.Tensor(arr(1, 1, 4, 4)))
    assert net.conv1.weight.name == "conv1.weight"
    assert net.head[1].bias.name == "head.1.bias"
    assert net.bn.running_mean.name == "bn.running_mean"
    net.head(tg.Tensor(arr(1, 4, 4, 4)))  # a submodule called alone keeps the full names
    assert net.head[1].bias.name == "head.1.bias"
    net.extra = nn.Linear(3, 1)  # structure changed: names are refreshed on the next call
    net(tg.Tensor(arr(1, 1, 4, 4)))
    assert net.extra.weight.name == "extra.weight"


def test_forward_hooks_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    handle = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape))
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(tg.Tensor(arr(5, 2)))
    assert calls == [(5, 2)]
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(lin.bias.numpy(), (5, 2)))
    handle.remove()
    pre.remove()
    lin(tg.Tensor(arr(1, 2)))
    assert calls == [(5, 2)]


# ---------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_append_and_delete():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh()]
    seq = nn.Sequential(*layers)
    assert len(seq) == 4 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[3]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    with pytest.raises(IndexError):
        seq[4]
    x = tg.Tensor(arr(5, 2))
    ref = layers[3](layers[2](layers[1](layers[0](x))))
    np.testing.assert_allclose(seq(x).numpy(), ref.numpy())
    seq.append(nn.Linear(4, 1))
    assert seq(x).shape == (5, 1) and [n for n, _ in seq.named_children()][-1] == "4"
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3"]
    seq[0] = nn.Linear(2, 3)
    assert seq[0] is not layers[0]
    named = nn.Sequential(OrderedDict(first=nn.Linear(2, 2), act=nn.ReLU()))
    assert [n for n, _ in named.named_children()] == ["first", "act"]
    assert named.first is named[0]


def test_module_list_registers_and_indexes():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    ml.append(nn.Linear(2, 1))
    ml.insert(0, nn.ReLU())
    assert isinstance(ml[0], nn.ReLU) and [n for n, _ in ml.named_children()] == list("01234")
    del ml[0]
    assert len(ml) == 4 and isinstance(ml[-1], nn.Linear) and ml[-1].out_features == 1
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3


# ---------------------------------------------------------------------------- layers vs NumPy
def np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """Direct convolution (cross-correlation) by loops over output positions."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    OH = (x.shape[2] - dilation[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (x.shape[3] - dilation[1] * (KW - 1) - 1) // stride[1] + 1
    out = np.zeros((N, OC, OH, OW))
    per = OC // groups
    for i in range(OH):
        for j in range(OW):
            rows = i * stride[0] + dilation[0] * np.arange(KH)
            cols = j * stride[1] + dilation[1] * np.arange(KW)
            patch = x[:, :, rows][:, :, :, cols]  # (N, C, KH, KW)
            for g in range(groups):
                pg = patch[:, g * Cg : (g + 1) * Cg]
                wg = w[g * per : (g + 1) * per]
                out[:, g * per : (g + 1) * per, i, j] = np.einsum("nckl,ockl->no", pg, wg)
    if b is not None:
        out += b[None, :, None, None]
    return out


def test_linear_forward_and_shapes():
    lin = nn.Linear(4, 3)
    x = arr(2, 5, 4)
    ref = x @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(lin(tg.Tensor(x)).numpy(), ref, rtol=1e-5, atol=1e-6)
    nobias = nn.Linear(4, 3, bias=False)
    assert nobias.bias is None and len(list(nobias.parameters())) == 1
    np.testing.assert_allclose(
        nobias(tg.Tensor(x)).numpy(), x @ nobias.weight.numpy().T, rtol=1e-5, atol=1e-6
    )
    with pytest.raises(RuntimeError, match=r"Linear: input has shape \(2, 5\).*expects last"):
        lin(tg.Tensor(arr(2, 5)))


@pytest.mark.parametrize(
    "cfg",
    [
        dict(in_channels=2, out_channels=3, kernel_size=3),
        dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=2, padding=(1, 2)),
        dict(in_channels=4, out_channels=6, kernel_size=3, dilation=2, padding=2, groups=2),
        dict(in_channels=3, out_channels=2, kernel_size=3, padding="same", bias=False),
    ],
)
def test_conv2d_matches_direct_convolution(cfg):
    conv = nn.Conv2d(**cfg)
    x = arr(2, cfg["in_channels"], 7, 8)
    padding = conv.padding
    if padding == "same":
        padding = (1, 1)
    b = None if conv.bias is None else conv.bias.numpy()
    ref = np_conv2d(x, conv.weight.numpy(), b, conv.stride, padding, conv.dilation, conv.groups)
    np.testing.assert_allclose(conv(tg.Tensor(x)).numpy(), ref, rtol=1e-4, atol=1e-5)


def test_conv2d_circular_padding_wraps_and_commutes_with_translations():
    conv = nn.Conv2d(1, 3, 3, padding=1, padding_mode="circular")
    x = arr(2, 1, 6, 6)
    wrapped = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="wrap")
    ref = np_conv2d(wrapped, conv.weight.numpy(), conv.bias.numpy())
    out = conv(tg.Tensor(x)).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    shifted = conv(tg.Tensor(np.roll(x, (2, -1), axis=(2, 3)))).numpy()
    np.testing.assert_allclose(shifted, np.roll(out, (2, -1), axis=(2, 3)), rtol=1e-4, atol=1e-5)
    same = nn.Conv2d(1, 1, 4, padding="same", padding_mode="circular")
    assert same(tg.Tensor(x)).shape == (2, 1, 6, 6)


def test_conv2d_errors_name_the_shapes():
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(
        RuntimeError, match=r"expected input \(N, 3, H, W\) or \(3, H, W\), got shape \(2, 1, 5"
    ):
        conv(tg.Tensor(arr(2, 1, 5, 5)))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv(x), y> == <x, conv_transpose(y)> with the same weight and no bias
    convt = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1, bias=False)
    x = arr(2, 2, 8, 8)
    y = arr(2, 3, 4, 4)
    w = convt.weight.numpy()  # (in=3, out=2, 3, 3): as a conv from 2 to 3 channels
    cx = np_conv2d(x, w, stride=(2, 2), padding=(1, 1))
    out = convt(tg.Tensor(y)).numpy()
    assert out.shape == (2, 2, 8, 8)  # (4 − 1)·2 − 2 + 3 + 1
    np.testing.assert_allclose(np.sum(cx * y), np.sum(x * out), rtol=1e-4)
    with_bias = nn.ConvTranspose2d(3, 2, 3)
    assert with_bias(tg.Tensor(y)).shape == (2, 2, 6, 6)


def test_pooling_layers_match_numpy():
    x = arr(2, 3, 6, 6)
    windows = x.reshape(2, 3, 3, 2, 3, 2)
    np.testing.assert_allclose(nn.MaxPool2d(2)(tg.Tensor(x)).numpy(), windows.max((3, 5)))
    np.testing.assert_allclose(
        nn.AvgPool2d(2)(tg.Tensor(x)).numpy(), windows.mean((3, 5)), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool2d(1)(tg.Tensor(x)).numpy(),
        x.mean((2, 3), keepdims=True),
        rtol=1e-5,
        atol=1e-6,
    )
    strided = nn.MaxPool2d(3, stride=1)(tg.Tensor(x)).numpy()
    ref = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3)).max((-2, -1))
    np.testing.assert_allclose(strided, ref)
    assert repr(nn.MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )


def np_batch_norm_train(x, axes):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5)


@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (6, 3), (6, 3, 7)])
def test_batch_norm_train_eval_and_running_stats(shape):
    bn = nn.BatchNorm2d(3) if len(shape) == 4 else nn.BatchNorm1d(3)
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, 3) + (1,) * (len(shape) - 2)
    bn.weight._data[...] = [1.0, 2.0, 0.5]
    bn.bias._data[...] = [0.0, -1.0, 3.0]
    gamma, beta = bn.weight.numpy().reshape(bshape), bn.bias.numpy().reshape(bshape)
    x = arr(*shape) * 3 + 1
    out = bn(tg.Tensor(x)).numpy()
    np.testing.assert_allclose(
        out, np_batch_norm_train(x, axes) * gamma + beta, rtol=1e-4, atol=1e-4
    )
    n = x.size // 3
    mean, var_unbiased = x.mean(axes), x.var(axes) * n / (n - 1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_unbiased, rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    y = arr(*shape)
    rm, rv = bn.running_mean.numpy().reshape(bshape), bn.running_var.numpy().reshape(bshape)
    ref = (y - rm) / np.sqrt(rv + 1e-5) * gamma + beta
    np.testing.assert_allclose(bn(tg.Tensor(y)).numpy(), ref, rtol=1e-4, atol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1  # eval does not count
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)


def test_batch_norm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm2d(2, momentum=None)
    batches = [arr(4, 2, 3, 3) + k for k in range(3)]
    for b in batches:
        bn(tg.Tensor(b))
    expected = np.mean([b.mean((0, 2, 3)) for b in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert int(bn.num_batches_tracked.item()) == 3


def test_batch_norm_without_running_stats_or_affine():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(bn.parameters()) == [] and list(bn.buffers()) == []
    assert list(bn.state_dict()) == []
    x = arr(4, 2, 3, 3)
    bn.eval()  # no running statistics: eval normalises with the batch's own
    np.testing.assert_allclose(
        bn(tg.Tensor(x)).numpy(), np_batch_norm_train(x, (0, 2, 3)), rtol=1e-4, atol=1e-4
    )
    with pytest.raises(RuntimeError, match=r"BatchNorm2d: expected a 4-D input with 2 channels"):
        bn(tg.Tensor(arr(4, 2)))


def test_dropout_train_eval_and_seed():
    drop = nn.Dropout(0.25)
    x = np.ones((200, 100), dtype=np.float32)
    tg.manual_seed(3)
    out = drop(tg.Tensor(x)).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    tg.manual_seed(3)
    np.testing.assert_array_equal(drop(tg.Tensor(x)).numpy(), out)
    drop.eval()
    np.testing.assert_array_equal(drop(tg.Tensor(x)).numpy(), x)
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_activations_match_numpy():
    x = arr(4, 5) * 2
    t = tg.Tensor(x)
    checks = [
        (nn.ReLU(), np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), np.where(x > 0, x, 0.2 * x)),
        (nn.Tanh(), np.tanh(x)),
        (nn.Sigmoid(), 1 / (1 + np.exp(-x))),
        (
            nn.GELU(approximate="tanh"),
            0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
        ),
        (nn.Softmax(dim=1), np.exp(x) / np.exp(x).sum(1, keepdims=True)),
        (nn.LogSoftmax(dim=0), x - np.log(np.exp(x).sum(0, keepdims=True))),
        (nn.Identity(54, unused=1), x),
    ]
    for module, ref in checks:
        np.testing.assert_allclose(
            module(t).numpy(), ref, rtol=1e-5, atol=1e-6, err_msg=repr(module)
        )
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(
        nn.GELU()(t).numpy(), 0.5 * x * (1 + erf(x / math.sqrt(2))), rtol=1e-5, atol=1e-6
    )


def test_flatten():
    x = tg.Tensor(arr(2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(2)(x).shape == (2, 3, 20)


def test_loss_modules_match_numpy():
    logits = arr(6, 4)
    target = np.array([0, 3, 1, 1, 2, 0])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    nll = -logp[np.arange(6), target]
    ce = nn.CrossEntropyLoss()(tg.Tensor(logits), tg.Tensor(target))
    np.testing.assert_allclose(ce.item(), nll.mean(), rtol=1e-5)
    ce_sum = nn.CrossEntropyLoss(reduction="sum")(tg.Tensor(logits), tg.Tensor(target))
    np.testing.assert_allclose(ce_sum.item(), nll.sum(), rtol=1e-5)
    np.testing.assert_allclose(
        nn.NLLLoss()(tg.Tensor(logp), tg.Tensor(target)).item(), nll.mean(), rtol=1e-5
    )
    a, b = arr(3, 2), arr(3, 2)
    np.testing.assert_allclose(
        nn.MSELoss()(tg.Tensor(a), tg.Tensor(b)).item(), ((a - b) ** 2).mean(), rtol=1e-5
    )
    y = (arr(3, 2) > 0).astype(np.float32)
    bce = np.mean(np.maximum(a, 0) - a * y + np.log1p(np.exp(-np.abs(a))))
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss()(tg.Tensor(a), tg.Tensor(y)).item(), bce, rtol=1e-5
    )
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="avg")


def test_backward_reaches_every_parameter():
    net = Net()
    loss = nn.CrossEntropyLoss()(net(tg.Tensor(arr(4, 1, 4, 4))), tg.Tensor(np.array([0, 1, 2, 0])))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
        assert np.isfinite(p.grad.numpy()).all(), name


def test_model_trains_on_cuda_and_its_state_loads_on_the_cpu():
    from tinygrad_cnn import backend, optim
    from tinygrad_cnn.nn.utils import clip_grad_norm_

    try:
        backend.cupy_module()
    except RuntimeError as e:
        pytest.skip(str(e))
    tg.manual_seed(0)
    model = lenet(image_size=8)
    params = list(model.parameters())
    opt = optim.Adam(model.parameters(), lr=1e-3)
    assert model.to("cuda") is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(t.device == "cuda" for t in (*model.parameters(), *model.buffers()))
    x = tg.Tensor(arr(8, 1, 8, 8)).to("cuda")
    y = tg.Tensor(np.arange(8) % 10).to("cuda")
    for _ in range(2):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        assert clip_grad_norm_(model.parameters(), 1.0).device == "cuda"
        opt.step()
    assert all(s["exp_avg"].__class__.__module__.startswith("cupy") for s in opt.state.values())
    nn.init.kaiming_normal_(model.fc2.weight)  # init writes on the device
    assert model.fc2.weight.device == "cuda"
    model.eval()
    out = model(x).numpy()
    cpu = lenet(image_size=8)
    cpu.load_state_dict(model.state_dict())
    cpu.eval()
    np.testing.assert_allclose(cpu(x.to("cpu")).numpy(), out, rtol=1e-4, atol=1e-5)
    opt_cpu = optim.Adam(cpu.parameters())
    opt_cpu.load_state_dict(opt.state_dict())
    assert all(isinstance(s["exp_avg"], np.ndarray) for s in opt_cpu.state.values())
    model.to("cpu")
    assert all(t.device == "cpu" for t in model.parameters())


def test_deepcopy_keeps_structure_and_names():
    import copy

    net = Net()
    net(tg.Tensor(arr(1, 1, 4, 4)))
    twin = copy.deepcopy(net)
    assert twin.conv1.weight is not net.conv1.weight
    assert twin.conv1._parameters["weight"] is twin.conv1.weight
    assert twin.conv1.weight.name == "conv1.weight"
    np.testing.assert_array_equal(twin.conv1.weight.numpy(), net.conv1.weight.numpy())
