"""optim: every optimizer against an independent NumPy transcription of its update rule,
parameter groups, state dicts (resuming gives the uninterrupted trajectory), gradient clipping
and the learning-rate schedules against their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.nn.utils import clip_grad_norm_, clip_grad_value_
from tinygrad_cnn.optim import lr_scheduler
from tinygrad_cnn.serialization import load, save

STEPS = 5


def make_problem(seed=0, shapes=((3, 4), (4,))):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(STEPS)]
    return init, grads


def run_ours(make_opt, init, grads):
    params = [nn.Parameter(tg.Tensor(v.copy())) for v in init]  # float64
    opt = make_opt(params)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = tg.Tensor(g.copy())
        opt.step()
    return [p.numpy() for p in params], opt


# ---------------------------------------------------------------------------- references
def ref_sgd(init, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    out = []
    for k, p in enumerate(init):
        p, buf = p.copy(), None
        for step_grads in grads:
            g = step_grads[k] + weight_decay * p
            if momentum:
                buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p = p - lr * g
        out.append(p)
    return out


def ref_adam(
    init, grads, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False
):
    b1, b2 = betas
    out = []
    for k, p in enumerate(init):
        p = p.copy()
        m = np.zeros_like(p)
        v = np.zeros_like(p)
        vmax = np.zeros_like(p)
        for t, step_grads in enumerate(grads, start=1):
            g = step_grads[k]
            if decoupled:
                p = p - lr * weight_decay * p
            else:
                g = g + weight_decay * p
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat = m / (1 - b1**t)
            vmax = np.maximum(vmax, v)
            v_hat = (vmax if amsgrad else v) / (1 - b2**t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


def ref_rmsprop(
    init, grads, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
):
    out = []
    for k, p in enumerate(init):
        p = p.copy()
        s = np.zeros_like(p)
        a = np.zeros_like(p)
        buf = np.zeros_like(p)
        for step_grads in grads:
            g = step_grads[k] + weight_decay * p
            s = alpha * s + (1 - alpha) * g**2
            a = alpha * a + (1 - alpha) * g
            denom = np.sqrt(s - a**2 if centered else s) + eps
            if momentum:
                buf = momentum * buf + g / denom
                p = p - lr * buf
            else:
                p = p - lr * g / denom
        out.append(p)
    return out


CASES = [
    ("sgd", lambda ps: optim.SGD(ps, lr=0.1), lambda i, g: ref_sgd(i, g, 0.1)),
    (
        "sgd-momentum",
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
        lambda i, g: ref_sgd(i, g, 0.05, momentum=0.9),
    ),
    (
        "sgd-dampening-wd",
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
        lambda i, g: ref_sgd(i, g, 0.05, momentum=0.8, dampening=0.3, weight_decay=0.01),
    ),
    (
        "sgd-nesterov",
        lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda i, g: ref_sgd(i, g, 0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    ),
    ("adam", lambda ps: optim.Adam(ps, lr=0.01), lambda i, g: ref_adam(i, g, 0.01)),
    (
        "adam-wd-amsgrad",
        lambda ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True),
        lambda i, g: ref_adam(i, g, 0.02, (0.8, 0.9), weight_decay=0.1, amsgrad=True),
    ),
    (
        "adamw",
        lambda ps: optim.AdamW(ps, lr=0.01),
        lambda i, g: ref_adam(i, g, 0.01, weight_decay=1e-2, decoupled=True),
    ),
    (
        "adamw-wd",
        lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.5, eps=1e-3),
        lambda i, g: ref_adam(i, g, 0.05, eps=1e-3, weight_decay=0.5, decoupled=True),
    ),
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.01), lambda i, g: ref_rmsprop(i, g, 0.01)),
    (
        "rmsprop-centered-momentum",
        lambda ps: optim.RMSprop(
            ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1
        ),
        lambda i, g: ref_rmsprop(
            i, g, 0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1
        ),
    ),
]


@pytest.mark.parametrize("name,make,ref", CASES, ids=[c[0] for c in CASES])
def test_optimizer_matches_reference(name, make, ref):
    init, grads = make_problem()
    ours, _ = run_ours(make, init, grads)
    for a, b in zip(ours, ref(init, grads), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_hand_computed_first_steps():
    # SGD with momentum 0.9, lr 0.1, constant gradient 1: buffers 1, 1.9, 2.71
    p = nn.Parameter(tg.Tensor(np.array([0.0])))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    for expected in (-0.1, -0.29, -0.561):
        p.grad = tg.Tensor(np.array([1.0]))
        opt.step()
        assert p.item() == pytest.approx(expected)
    # Adam's first step moves every entry by lr·g/(|g| + eps): the sign times lr
    q = nn.Parameter(tg.Tensor(np.array([1.0, 1.0, 1.0])))
    q.grad = tg.Tensor(np.array([3.0, -0.001, 1e4]))
    optim.Adam([q], lr=0.5).step()
    np.testing.assert_allclose(q.numpy(), [0.5, 1.5, 0.5], rtol=1e-5)


def test_float32_parameters_stay_float32_in_place():
    p = nn.Parameter(np.ones((3, 3), dtype=np.float32))
    data = p._data
    for make in (
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
        lambda ps: optim.Adam(ps),
        lambda ps: optim.AdamW(ps),
        lambda ps: optim.RMSprop(ps, momentum=0.1, centered=True),
    ):
        opt = make([p])
        for _ in range(2):
            p.grad = tg.Tensor(np.full((3, 3), 0.5, dtype=np.float32))
            opt.step()
        assert p._data is data and p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))
    assert p.is_leaf and p.requires_grad and p.op is None


def test_step_skips_parameters_without_grad_and_builds_no_graph():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    loss = (a * a).sum()
    loss.backward()
    opt.step()
    assert np.all(b.numpy() == 1) and b not in opt.state
    assert np.all(a.numpy() < 1) and a.is_leaf and a.op is None


def test_param_groups_have_their_own_hyperparameters():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[0]["lr"] == 0.1
    a.grad, b.grad = tg.Tensor(np.ones(2)), tg.Tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(a.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 0.5)
    c = nn.Parameter(np.ones(1))
    opt.add_param_group({"params": c, "lr": 1.0})
    assert opt.param_groups[2]["params"] == [c] and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_constructor_errors():
    p = nn.Parameter(np.ones(1))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(p)
    with pytest.raises(ValueError, match="invalid lr"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_zero_grad():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.1)
    a.grad = tg.Tensor(np.ones(2))
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.numpy() == 0) and b.grad is None
    opt.zero_grad()
    assert a.grad is None


def test_closure_runs_with_grad_and_returns_loss():
    p = nn.Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and p.item() == pytest.approx(1.0)


@pytest.mark.parametrize("name,make,ref", CASES, ids=[c[0] for c in CASES])
def test_state_dict_resume_gives_uninterrupted_trajectory(name, make, ref, tmp_path):
    init, grads = make_problem(seed=1)
    full, _ = run_ours(make, init, grads)
    half, opt = run_ours(make, init, grads[:2])
    save({"optim": opt.state_dict()}, tmp_path / "opt.ckpt")
    params = [nn.Parameter(tg.Tensor(v.copy())) for v in half]
    opt2 = make(params)
    opt2.load_state_dict(load(tmp_path / "opt.ckpt")["optim"])
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for step_grads in grads[2:]:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = tg.Tensor(g.copy())
        opt2.step()
    for a, b in zip(full, params, strict=True):
        np.testing.assert_allclose(b.numpy(), a, rtol=1e-10, atol=1e-12)


def test_state_dict_format_and_load_errors():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    a.grad = tg.Tensor(np.ones(2))
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert list(sd["state"]) == [0] and set(sd["state"][0]) == {"momentum_buffer"}
    other = optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="2 parameter groups"):
        other.load_state_dict(sd)
    sd["param_groups"][1]["lr"] = 0.01
    fresh = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1, momentum=0.9)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[1]["lr"] == 0.01
    assert fresh.state[a]["momentum_buffer"] is not opt.state[a]["momentum_buffer"]  # copied


def test_optimizer_keeps_working_after_module_to():
    lin = nn.Linear(3, 2)
    opt = optim.SGD(lin.parameters(), lr=0.1)
    lin.double()
    out = lin(tg.Tensor(np.ones((4, 3))))
    out.sum().backward()
    before = lin.weight.numpy().copy()
    opt.step()
    np.testing.assert_allclose(lin.weight.numpy(), before - 0.1 * 4.0 * np.ones((2, 3)))


# ---------------------------------------------------------------------------- clipping
def test_clip_grad_norm():
    a, b = nn.Parameter(np.zeros(3)), nn.Parameter(np.zeros((2, 2)))
    ga, gb = np.array([3.0, 0.0, 4.0]), np.array([[12.0, 0.0], [0.0, 0.0]])
    a.grad, b.grad = tg.Tensor(ga.copy()), tg.Tensor(gb.copy())
    total = clip_grad_norm_([a, b], max_norm=6.5)
    assert isinstance(total, tg.Tensor) and total.item() == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad.numpy(), ga * 6.5 / (13.0 + 1e-6))
    np.testing.assert_allclose(b.grad.numpy(), gb * 6.5 / (13.0 + 1e-6))
    # below the limit nothing changes; inf-norm is the largest |entry|
    a.grad, b.grad = tg.Tensor(ga.copy()), tg.Tensor(gb.copy())
    assert clip_grad_norm_([a, b], 100.0).item() == pytest.approx(13.0)
    np.testing.assert_allclose(a.grad.numpy(), ga)
    assert clip_grad_norm_([a, b], 100.0, norm_type=math.inf).item() == 12.0
    assert clip_grad_norm_(a, 100.0, norm_type=1).item() == pytest.approx(7.0)
    assert nn.utils.clip_grad_norm_([nn.Parameter(np.ones(2))], 1.0).item() == 0.0
    a.grad = tg.Tensor(np.array([np.nan, 1.0, 1.0]))
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    a = nn.Parameter(np.zeros(4))
    a.grad = tg.Tensor(np.array([-3.0, -0.5, 0.2, 9.0]))
    clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad.numpy(), [-1.0, -0.5, 0.2, 1.0])


# ---------------------------------------------------------------------------- schedulers
def lrs_over(scheduler, opt, epochs):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def sgd(lr=1.0):
    return optim.SGD([nn.Parameter(np.ones(1))], lr=lr)


def test_step_multistep_exponential_lr():
    opt = sgd(0.5)
    lrs = lrs_over(lr_scheduler.StepLR(opt, step_size=3, gamma=0.1), opt, 9)
    np.testing.assert_allclose(lrs, [0.5 * 0.1 ** (e // 3) for e in range(10)])
    opt = sgd(1.0)
    sched = lr_scheduler.MultiStepLR(opt, milestones=[5, 2], gamma=0.5)
    np.testing.assert_allclose(lrs_over(sched, opt, 6), [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25])
    opt = sgd(2.0)
    lrs = lrs_over(lr_scheduler.ExponentialLR(opt, gamma=0.9), opt, 5)
    np.testing.assert_allclose(lrs, [2.0 * 0.9**e for e in range(6)])
    assert lr_scheduler.ExponentialLR(sgd(), 0.5).get_last_lr() == [1.0]


def test_cosine_annealing_lr():
    opt = sgd(0.1)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    lrs = lrs_over(sched, opt, 10)
    ref = [0.001 + 0.099 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    np.testing.assert_allclose(lrs, ref)
    assert lrs[-1] == pytest.approx(0.001)


def test_scheduler_sets_initial_lr_and_resumes_from_state_dict():
    opt = sgd(1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrs_over(sched, opt, 3)
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    assert opt.param_groups[0]["initial_lr"] == 1.0
    opt2 = sgd(1.0)
    sched2 = lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    opt2.load_state_dict(opt.state_dict())  # the schedule goes on from the optimizer's lr
    sched2.load_state_dict(state)
    sched2.step()
    sched.step()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.25
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(sgd(), step_size=2, last_epoch=4)


def test_reduce_lr_on_plateau():
    opt = sgd(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    # bad epochs: 1, 2, 3 → reduce at the 5th metric; cooldown 1 epoch; reduce again 4 later
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    sched.step(4)
    sched.step(4)
    sched.step(4)
    assert opt.param_groups[0]["lr"] == 0.2  # floored at min_lr
    assert sched.get_last_lr() == [0.2]


def test_reduce_lr_on_plateau_modes_and_thresholds():
    opt = sgd(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(
        opt, mode="max", patience=0, threshold=0.1, threshold_mode="abs"
    )
    sched.step(1.0)
    sched.step(1.05)  # not better by 0.1 → one bad epoch > patience 0 → reduce
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    sched.step(1.2)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1) and sched.best == 1.2
    opt = sgd(1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, threshold=0.1)  # rel, min
    sched.step(tg.Tensor(10.0))
    sched.step(9.5)  # needs < 9.0
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    state = sched.state_dict()
    assert state["best"] == 10.0 and state["num_bad_epochs"] == 0
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
