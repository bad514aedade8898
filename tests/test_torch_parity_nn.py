"""Parity with PyTorch (skipped where it is not installed): whole modules loaded with the same
weights give the same outputs, gradients and running statistics; optimizers follow the same
trajectories; schedulers give the same learning rates; clip_grad_norm_ the same norms."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.models import ising_cnn, lenet
from tinygrad_cnn.nn.utils import clip_grad_norm_
from tinygrad_cnn.optim import lr_scheduler

torch = pytest.importorskip("torch")
tnn = torch.nn
# PyTorch notes that it copies the input for padding="same" with even kernels; not our concern
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

RNG = np.random.default_rng(0)


def to_torch(x):
    return torch.from_numpy(np.array(x))


def copy_weights(ours: nn.Module, theirs) -> None:
    """Load our state dict into the PyTorch module (same names by construction)."""
    theirs.load_state_dict({k: to_torch(v.numpy()) for k, v in ours.state_dict().items()})


def assert_same_forward_backward(ours, theirs, x, rtol=1e-9, atol=1e-10):
    """Same outputs, same gradients (input and every parameter), same buffers after the call."""
    xo = tg.Tensor(x, requires_grad=True)
    xt = to_torch(x).requires_grad_(True)
    out_o, out_t = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_o.numpy(), out_t.detach().numpy(), rtol=rtol, atol=atol)
    proj = RNG.standard_normal(out_o.shape)  # a random projection: .sum() hides errors
    (out_o * tg.Tensor(proj)).sum().backward()
    (out_t * to_torch(proj)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    theirs_params = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(theirs_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name
        )
    theirs_buffers = dict(theirs.named_buffers())
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(
            b.numpy(), theirs_buffers[name].numpy(), rtol=rtol, atol=atol, err_msg=name
        )


def torch_lenet(image_size: int):
    side = image_size // 4
    return tnn.Sequential(
        OrderedDict(
            conv1=tnn.Conv2d(1, 32, 3, padding=1),
            bn1=tnn.BatchNorm2d(32),
            relu1=tnn.ReLU(),
            pool1=tnn.MaxPool2d(2),
            conv2=tnn.Conv2d(32, 64, 3, padding=1),
            bn2=tnn.BatchNorm2d(64),
            relu2=tnn.ReLU(),
            pool2=tnn.MaxPool2d(2),
            flatten=tnn.Flatten(),
            fc1=tnn.Linear(64 * side * side, 128),
            relu3=tnn.ReLU(),
            dropout=tnn.Dropout(0.5),
            fc2=tnn.Linear(128, 10),
        )
    )


def test_lenet_matches_pytorch_in_train_and_eval():
    ours, theirs = lenet(image_size=8).double(), torch_lenet(8).double()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    copy_weights(ours, theirs)
    ours.dropout.eval()  # dropout masks come from different generators: switch it off
    theirs.dropout.eval()
    x = RNG.standard_normal((6, 1, 8, 8))
    assert_same_forward_backward(ours, theirs, x)  # train: batch statistics, stats updated
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    assert_same_forward_backward(ours, theirs, RNG.standard_normal((3, 1, 8, 8)))


def test_ising_cnn_circular_matches_pytorch():
    ours = ising_cnn(channels=4).double()
    theirs = tnn.Sequential(
        OrderedDict(
            conv1=tnn.Conv2d(1, 4, 3, padding=1, padding_mode="circular"),
            relu1=tnn.ReLU(),
            conv2=tnn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"),
            relu2=tnn.ReLU(),
            pool=tnn.MaxPool2d(2),
            gap=tnn.AdaptiveAvgPool2d(1),
            flatten=tnn.Flatten(),
            fc=tnn.Linear(4, 2),
        )
    ).double()
    copy_weights(ours, theirs)
    x = np.where(RNG.random((3, 1, 10, 10)) < 0.5, -1.0, 1.0)
    assert_same_forward_backward(ours, theirs, x)


LAYERS = [
    ("linear", lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), (4, 2, 5)),
    (
        "conv-strided-dilated-grouped",
        lambda: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=2, groups=2),
        lambda: tnn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=2, groups=2),
        (2, 4, 9, 7),
    ),
    (
        "conv-same-nobias",
        lambda: nn.Conv2d(3, 2, 4, padding="same", bias=False),
        lambda: tnn.Conv2d(3, 2, 4, padding="same", bias=False),
        (2, 3, 6, 5),
    ),
    (
        "conv-circular-same",
        lambda: nn.Conv2d(2, 3, (3, 4), padding="same", padding_mode="circular"),
        lambda: tnn.Conv2d(2, 3, (3, 4), padding="same", padding_mode="circular"),
        (2, 2, 6, 7),
    ),
    (
        "conv-circular-strided",
        lambda: nn.Conv2d(2, 3, 3, stride=2, padding=(1, 2), padding_mode="circular"),
        lambda: tnn.Conv2d(2, 3, 3, stride=2, padding=(1, 2), padding_mode="circular"),
        (2, 2, 7, 6),
    ),
    (
        "conv-transpose",
        lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        lambda: tnn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 5, 4),
    ),
    (
        "conv-transpose-dilated",
        lambda: nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 2), dilation=2, bias=False),
        lambda: tnn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 2), dilation=2, bias=False),
        (2, 3, 4, 4),
    ),
    ("maxpool", lambda: nn.MaxPool2d(3, 2, 1), lambda: tnn.MaxPool2d(3, 2, 1), (2, 3, 7, 8)),
    (
        "avgpool",
        lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        lambda: tnn.AvgPool2d(3, 2, 1, count_include_pad=False),
        (2, 3, 7, 8),
    ),
    (
        "maxpool-dilated-ceil",
        lambda: nn.MaxPool2d(2, 2, 1, dilation=2, ceil_mode=True),
        lambda: tnn.MaxPool2d(2, 2, 1, dilation=2, ceil_mode=True),
        (2, 3, 8, 7),
    ),
    (
        "avgpool-ceil-divisor",
        lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=4),
        lambda: tnn.AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=4),
        (2, 3, 8, 7),
    ),
    (
        "adaptive-3x2",
        lambda: nn.AdaptiveAvgPool2d((3, 2)),
        lambda: tnn.AdaptiveAvgPool2d((3, 2)),
        (2, 3, 7, 5),
    ),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d(1), lambda: tnn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    ("bn2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 3, 2)),
    (
        "bn1d-cumulative",
        lambda: nn.BatchNorm1d(3, momentum=None),
        lambda: tnn.BatchNorm1d(3, momentum=None),
        (5, 3, 4),
    ),
    (
        "bn1d-no-affine",
        lambda: nn.BatchNorm1d(4, affine=False),
        lambda: tnn.BatchNorm1d(4, affine=False),
        (6, 4),
    ),
    ("leaky", lambda: nn.LeakyReLU(0.1), lambda: tnn.LeakyReLU(0.1), (3, 4)),
    ("gelu", lambda: nn.GELU(), lambda: tnn.GELU(), (3, 4)),
    ("gelu-tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), (3, 4)),
    ("tanh", lambda: nn.Tanh(), lambda: tnn.Tanh(), (3, 4)),
    ("sigmoid", lambda: nn.Sigmoid(), lambda: tnn.Sigmoid(), (3, 4)),
    ("softmax", lambda: nn.Softmax(1), lambda: tnn.Softmax(1), (3, 4, 2)),
    ("logsoftmax", lambda: nn.LogSoftmax(-1), lambda: tnn.LogSoftmax(-1), (3, 4)),
    ("flatten", lambda: nn.Flatten(), lambda: tnn.Flatten(), (2, 3, 4)),
]


@pytest.mark.parametrize("name,make_ours,make_theirs,shape", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_pytorch(name, make_ours, make_theirs, shape):
    ours, theirs = make_ours().double(), make_theirs().double()
    copy_weights(ours, theirs)
    for _ in range(2):  # twice: running statistics accumulate
        ours.zero_grad()
        theirs.zero_grad()
        assert_same_forward_backward(ours, theirs, RNG.standard_normal(shape))
    ours.eval()
    theirs.eval()
    assert_same_forward_backward(ours, theirs, RNG.standard_normal(shape))


def test_loss_modules_match_pytorch():
    logits = RNG.standard_normal((5, 4))
    target = np.array([0, 3, 1, 2, 2])
    weight = np.array([1.0, 2.0, 0.5, 1.5])
    pairs = [
        (nn.CrossEntropyLoss(), tnn.CrossEntropyLoss()),
        (
            nn.CrossEntropyLoss(weight=tg.Tensor(weight), label_smoothing=0.1),
            tnn.CrossEntropyLoss(weight=to_torch(weight), label_smoothing=0.1),
        ),
        (nn.CrossEntropyLoss(reduction="none"), tnn.CrossEntropyLoss(reduction="none")),
    ]
    for ours, theirs in pairs:
        a = ours(tg.Tensor(logits), tg.Tensor(target)).numpy()
        b = theirs(to_torch(logits), to_torch(target)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-10)
    y = RNG.random((5, 4))
    np.testing.assert_allclose(
        nn.MSELoss(reduction="sum")(tg.Tensor(logits), tg.Tensor(y)).item(),
        tnn.MSELoss(reduction="sum")(to_torch(logits), to_torch(y)).item(),
    )
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss()(tg.Tensor(logits), tg.Tensor(y)).item(),
        tnn.BCEWithLogitsLoss()(to_torch(logits), to_torch(y)).item(),
    )


# ---------------------------------------------------------------------------- optimizers
def mlp_pair():
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    theirs = tnn.Sequential(tnn.Linear(4, 8), tnn.Tanh(), tnn.Linear(8, 2)).double()
    copy_weights(ours, theirs)
    return ours, theirs


OPTIMIZERS = [
    ("sgd", optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    ("sgd-momentum-wd", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("sgd-dampening", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.7, dampening=0.5)),
    (
        "sgd-nesterov",
        optim.SGD,
        torch.optim.SGD,
        dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    ("adam", optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    (
        "adam-amsgrad-wd",
        optim.Adam,
        torch.optim.Adam,
        dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.05, amsgrad=True),
    ),
    ("adamw", optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    ("adamw-wd", optim.AdamW, torch.optim.AdamW, dict(lr=0.03, weight_decay=0.3, eps=1e-4)),
    ("rmsprop", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (
        "rmsprop-centered-momentum",
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
    ),
]


def train_steps(model, opt, loss_fn, batches, tensor):
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(tensor(x)), tensor(y)).backward()
        opt.step()


@pytest.mark.parametrize("name,ours_cls,theirs_cls,kw", OPTIMIZERS, ids=[c[0] for c in OPTIMIZERS])
def test_optimizer_trajectory_matches_pytorch(name, ours_cls, theirs_cls, kw):
    ours, theirs = mlp_pair()
    batches = [(RNG.standard_normal((8, 4)), RNG.standard_normal((8, 2))) for _ in range(10)]
    opt_o = ours_cls(ours.parameters(), **kw)
    opt_t = theirs_cls(theirs.parameters(), **kw)
    train_steps(ours, opt_o, nn.MSELoss(), batches, tg.Tensor)
    train_steps(theirs, opt_t, tnn.MSELoss(), batches, to_torch)
    for (name_o, p), (name_t, q) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert name_o == name_t
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-11)
    # the state has PyTorch's names and values
    for i, (p, q) in enumerate(zip(ours.parameters(), theirs.parameters(), strict=True)):
        theirs_state = opt_t.state[q]
        for key, value in opt_o.state[p].items():
            ref = theirs_state[key]
            ref = ref.item() if ref.ndim == 0 else ref.numpy()
            np.testing.assert_allclose(value, ref, rtol=1e-9, atol=1e-11, err_msg=f"{i} {key}")


def test_optimizer_resumes_from_pytorch_state():
    """A state dict converted from PyTorch (tensors → arrays) continues the same trajectory."""
    ours, theirs = mlp_pair()
    batches = [(RNG.standard_normal((8, 4)), RNG.standard_normal((8, 2))) for _ in range(6)]
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.01)
    train_steps(theirs, opt_t, tnn.MSELoss(), batches[:3], to_torch)
    copy_weights_back = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(copy_weights_back)
    sd = opt_t.state_dict()
    converted = {
        "state": {
            i: {k: (v.item() if v.ndim == 0 else v.numpy().copy()) for k, v in s.items()}
            for i, s in sd["state"].items()
        },
        "param_groups": [
            {k: sd["param_groups"][0][k] for k in ("lr", "betas", "eps", "weight_decay", "params")}
        ],
    }
    opt_o = optim.Adam(ours.parameters(), lr=0.5)
    opt_o.load_state_dict(converted)
    assert opt_o.param_groups[0]["lr"] == 0.01
    train_steps(ours, opt_o, nn.MSELoss(), batches[3:], tg.Tensor)
    train_steps(theirs, opt_t, tnn.MSELoss(), batches[3:], to_torch)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_pytorch(norm_type):
    grads = [RNG.standard_normal((3, 4)), RNG.standard_normal(5)]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad = tg.Tensor(g.copy())
        q.grad = to_torch(g)
    total_o = clip_grad_norm_(ours, 0.7, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, 0.7, norm_type)
    np.testing.assert_allclose(total_o.item(), total_t.item(), rtol=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- schedulers
def lr_pair():
    p = nn.Parameter(np.zeros(1))
    q = torch.zeros(1, requires_grad=True)
    return optim.SGD([p], lr=0.3), torch.optim.SGD([q], lr=0.3)


SCHEDULERS = [
    ("step", lr_scheduler.StepLR, torch.optim.lr_scheduler.StepLR, dict(step_size=4, gamma=0.5)),
    (
        "multistep",
        lr_scheduler.MultiStepLR,
        torch.optim.lr_scheduler.MultiStepLR,
        dict(milestones=[3, 7, 8], gamma=0.3),
    ),
    (
        "exponential",
        lr_scheduler.ExponentialLR,
        torch.optim.lr_scheduler.ExponentialLR,
        dict(gamma=0.9),
    ),
    (
        "cosine",
        lr_scheduler.CosineAnnealingLR,
        torch.optim.lr_scheduler.CosineAnnealingLR,
        dict(T_max=7, eta_min=0.01),
    ),
]


@pytest.mark.parametrize("name,ours_cls,theirs_cls,kw", SCHEDULERS, ids=[c[0] for c in SCHEDULERS])
def test_scheduler_matches_pytorch(name, ours_cls, theirs_cls, kw):
    opt_o, opt_t = lr_pair()
    sched_o, sched_t = ours_cls(opt_o, **kw), theirs_cls(opt_t, **kw)
    for _ in range(20):  # past T_max: the cosine comes back up in both
        assert sched_o.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-9, abs=1e-12)
        opt_o.step()
        opt_t.step()
        sched_o.step()
        sched_t.step()
        assert opt_o.param_groups[0]["lr"] == pytest.approx(
            opt_t.param_groups[0]["lr"], rel=1e-9, abs=1e-12
        )


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(mode="max", factor=0.5, patience=2, threshold=0.05, cooldown=2, min_lr=0.01),
        dict(factor=0.3, patience=1, threshold=0.1, threshold_mode="abs", cooldown=1),
    ],
)
def test_reduce_lr_on_plateau_matches_pytorch(kw):
    opt_o, opt_t = lr_pair()
    sched_o = lr_scheduler.ReduceLROnPlateau(opt_o, **kw)
    sched_t = torch.optim.lr_scheduler.ReduceLROnPlateau(opt_t, **kw)
    rng = np.random.default_rng(3)
    metrics = np.cumsum(rng.normal(0, 1, 60)) + 50  # a random walk with plateaus
    for m in metrics:
        sched_o.step(float(m))
        sched_t.step(float(m))
        assert opt_o.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"])
    assert sched_o.num_bad_epochs == sched_t.num_bad_epochs and sched_o.best == sched_t.best
