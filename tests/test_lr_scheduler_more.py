"""Learning-rate schedulers against PyTorch: every scheduler for 200 steps alone, two on one
optimizer, after a learning rate changed by hand, resumed from state dicts, with the momentum
(or β₁) that CyclicLR/OneCycleLR cycle; ReduceLROnPlateau on a noisy metric; argument checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_cnn import nn, optim
from tinygrad_cnn.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 200


class Lib:
    """The two libraries behind one interface: ``S`` the scheduler module, ``O`` optim."""

    def __init__(self, ours):
        self.S = lr_scheduler if ours else torch.optim.lr_scheduler
        self.O = optim if ours else torch.optim
        self.ours = ours

    def param(self):
        return nn.Parameter(np.zeros(1)) if self.ours else torch.zeros(1, requires_grad=True)

    def sgd(self, **kw):
        groups = [{"params": [self.param()]}, {"params": [self.param()], "lr": 0.02}]
        return self.O.SGD(groups, lr=0.1, momentum=0.9, **kw)

    def adam(self):
        groups = [{"params": [self.param()]}, {"params": [self.param()], "lr": 0.003}]
        return self.O.Adam(groups, lr=0.01, betas=(0.9, 0.99))


class Halve:
    """A callable object (its attributes go into the state dict, as in PyTorch)."""

    def __init__(self, every):
        self.every = every

    def __call__(self, epoch):
        return 0.5 ** (epoch // self.every)


ALONE = {
    "lambda": lambda L, o: L.S.LambdaLR(o, lambda e: 0.95**e),
    "lambda-per-group": lambda L, o: L.S.LambdaLR(o, [lambda e: 1 / (1 + e), Halve(30)]),
    "multiplicative": lambda L, o: L.S.MultiplicativeLR(o, lambda e: 0.97 if e % 3 else 1.01),
    "step": lambda L, o: L.S.StepLR(o, step_size=30, gamma=0.5),
    "multistep": lambda L, o: L.S.MultiStepLR(o, milestones=[20, 50, 50, 120], gamma=0.5),
    "constant": lambda L, o: L.S.ConstantLR(o, factor=0.5, total_iters=40),
    "linear": lambda L, o: L.S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=50),
    "exponential": lambda L, o: L.S.ExponentialLR(o, gamma=0.99),
    "polynomial": lambda L, o: L.S.PolynomialLR(o, total_iters=150, power=2.0),
    "cosine": lambda L, o: L.S.CosineAnnealingLR(o, T_max=40, eta_min=0.001),
    "cyclic": lambda L, o: L.S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=20),
    "cyclic-triangular2": lambda L, o: L.S.CyclicLR(
        o, [0.01, 0.001], [0.1, 0.05], step_size_up=15, step_size_down=5, mode="triangular2"
    ),
    "cyclic-exp-range": lambda L, o: L.S.CyclicLR(
        o, 0.01, 0.1, step_size_up=10, mode="exp_range", gamma=0.99, base_momentum=0.7
    ),
    "cyclic-scale-fn": lambda L, o: L.S.CyclicLR(
        o,
        0.01,
        0.1,
        step_size_up=12,
        scale_fn=lambda x: 1 / (1 + 0.05 * x),
        scale_mode="iterations",
    ),
    "one-cycle": lambda L, o: L.S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS),
    "one-cycle-three-phase-linear": lambda L, o: L.S.OneCycleLR(
        o,
        max_lr=[0.5, 0.2],
        epochs=10,
        steps_per_epoch=20,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        div_factor=10.0,
        final_div_factor=100.0,
    ),  # fmt: skip
    "warm-restarts": lambda L, o: L.S.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=2, eta_min=1e-3
    ),
    "warm-restarts-fixed": lambda L, o: L.S.CosineAnnealingWarmRestarts(o, T_0=17),
    "sequential": lambda L, o: L.S.SequentialLR(
        o,
        [L.S.LinearLR(o, start_factor=0.1, total_iters=10), L.S.ExponentialLR(o, gamma=0.98)],
        milestones=[10],
    ),
    "sequential-three": lambda L, o: L.S.SequentialLR(
        o,
        [
            L.S.ConstantLR(o, factor=0.2, total_iters=5),
            L.S.CosineAnnealingLR(o, T_max=60),
            L.S.StepLR(o, step_size=25, gamma=0.3),
        ],
        milestones=[8, 90],
    ),
    "chained": lambda L, o: L.S.ChainedScheduler(
        [L.S.ConstantLR(o, factor=0.5, total_iters=5), L.S.ExponentialLR(o, gamma=0.99)]
    ),
    "chained-cosine-multistep": lambda L, o: L.S.ChainedScheduler(
        [L.S.CosineAnnealingLR(o, T_max=30), L.S.MultiStepLR(o, [40, 70], 0.5)], optimizer=o
    ),
}

COMPOSED = [
    ("step", "exponential"),
    ("cosine", "multistep"),
    ("linear", "exponential"),
    ("constant", "polynomial"),
    ("multiplicative", "step"),
    ("lambda", "step"),  # LambdaLR overwrites the rate; StepLR's factor applies on its epochs
    ("cosine", "linear"),
    ("cyclic", "exponential"),
    ("polynomial", "warm-restarts"),  # the warm restarts overwrite: as the second alone
    ("one-cycle", "step"),
    ("sequential", "multistep"),
    ("chained", "cosine"),
    ("exponential", "sequential-three"),
]

# schedules that only multiply the current rate: a rate scaled by hand stays scaled
MULTIPLICATIVE = [
    "step", "multistep", "exponential", "linear", "constant", "polynomial", "multiplicative",
    "sequential", "chained",
]  # fmt: skip


def momentum_of(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def run(lib, makers, steps=STEPS, optimizer="sgd", manual=None):
    """Learning rates and momenta of both groups after construction and after each step."""
    opt = getattr(lib, optimizer)()
    scheds = [ALONE[m](lib, opt) for m in makers]
    lrs, moms = [[g["lr"] for g in opt.param_groups]], [momentum_of(opt)]
    for i in range(steps):
        opt.step()
        for s in scheds:
            s.step()
        if manual is not None and i == manual:
            for g in opt.param_groups:
                g["lr"] *= 0.3
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momentum_of(opt))
        assert scheds[-1].get_last_lr() == [g["lr"] for g in opt.param_groups] or manual == i
    return np.array(lrs, dtype=float), np.array(moms, dtype=float), opt, scheds


def compare(makers, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = run(Lib(False), makers, **kw)
    ours = run(Lib(True), makers, **kw)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15)
    return ours, theirs


@pytest.mark.parametrize("name", list(ALONE))
def test_scheduler_alone_matches_pytorch(name):
    ours, _ = compare([name])
    assert np.ptp(ours[0][:, 0]) > 0  # the schedule moved the rate
    lasts = ours[3][-1].get_last_lr()
    assert isinstance(lasts, list) and len(lasts) == 2


@pytest.mark.parametrize("name", ["cyclic", "one-cycle", "cyclic-exp-range"])
def test_beta1_is_cycled_for_adam_as_in_pytorch(name):
    ours, _ = compare([name], optimizer="adam")
    assert np.ptp(ours[1][:, 0]) > 0.05
    assert all(len(g["betas"]) == 2 and g["betas"][1] == 0.99 for g in ours[2].param_groups)


@pytest.mark.parametrize("pair", COMPOSED, ids=["+".join(p) for p in COMPOSED])
def test_two_schedulers_on_one_optimizer_compose_as_in_pytorch(pair):
    ours, _ = compare(list(pair))
    alone = run(Lib(True), [pair[1]])[0]
    if pair[1] == "warm-restarts":  # not chainable: it sets the rate from the epoch alone
        np.testing.assert_allclose(ours[0], alone, rtol=1e-13)
    else:  # composed is not simply the second one alone
        assert not np.allclose(ours[0], alone)


@pytest.mark.parametrize("name", list(ALONE))
def test_manual_lr_change_is_carried_on_as_in_pytorch(name):
    ours, _ = compare([name], manual=60)
    if name in MULTIPLICATIVE:  # the hand-made factor 0.3 stays in the rate from then on
        plain = run(Lib(True), [name])[0]
        np.testing.assert_allclose(ours[0][61:], 0.3 * plain[61:], rtol=1e-9)


@pytest.mark.parametrize("name", list(ALONE))
def test_resume_from_state_dicts_continues_the_schedule(name):
    lib = Lib(True)
    full = run(lib, [name])[0]
    _, _, opt, scheds = run(lib, [name], steps=70)
    saved_opt, saved_sched = opt.state_dict(), scheds[0].state_dict()
    assert "optimizer" not in saved_sched
    opt2 = lib.sgd()
    sched2 = ALONE[name](lib, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    lrs = []
    for _ in range(STEPS - 70):
        opt2.step()
        sched2.step()
        lrs.append([g["lr"] for g in opt2.param_groups])
    np.testing.assert_allclose(lrs, full[71:], rtol=1e-13)


def test_lambda_state_dict_keeps_callable_objects_state_as_pytorch():
    ours, theirs = Lib(True), Lib(False)
    s_o = ALONE["lambda-per-group"](ours, ours.sgd())
    s_t = ALONE["lambda-per-group"](theirs, theirs.sgd())
    assert s_o.state_dict()["lr_lambdas"] == s_t.state_dict()["lr_lambdas"] == [None, {"every": 30}]
    state = s_o.state_dict()
    state["lr_lambdas"] = [None, {"every": 5}]
    s_o.load_state_dict(state)
    assert s_o.lr_lambdas[1].every == 5


def test_step_with_an_epoch_uses_the_closed_form_as_pytorch():
    for name in ["step", "multistep", "exponential", "cosine", "linear", "constant", "polynomial"]:
        got = []
        for lib in (Lib(True), Lib(False)):
            opt = lib.sgd()
            sched = ALONE[name](lib, opt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for epoch in (3, 45, 45, 7, 130):
                    opt.step()
                    sched.step(epoch)
            got.append([g["lr"] for g in opt.param_groups])
        np.testing.assert_allclose(got[0], got[1], rtol=1e-13, err_msg=name)
    rates = []
    for lib in (Lib(True), Lib(False)):  # fractional epochs of the warm restarts
        opt = lib.sgd()
        sched = lib.S.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
        out = []
        for epoch in np.arange(0, 60, 0.7):
            sched.step(float(epoch))
            out.append(opt.param_groups[0]["lr"])
        rates.append(out)
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-12)


def test_reduce_lr_on_plateau_composes_with_a_chainable_scheduler_as_pytorch():
    rng = np.random.default_rng(0)
    metrics = np.cumsum(rng.normal(0, 1, STEPS)) * 0.1 + np.linspace(10, 0, STEPS) ** 0.2
    out = []
    for lib in (Lib(True), Lib(False)):
        opt = lib.sgd()
        plateau = lib.S.ReduceLROnPlateau(opt, factor=0.5, patience=3, cooldown=2, min_lr=1e-3)
        decay = lib.S.ExponentialLR(opt, gamma=0.995)
        assert isinstance(plateau, lib.S.LRScheduler)
        lrs = []
        for i, m in enumerate(metrics):
            opt.step()
            decay.step()
            plateau.step(float(m))
            if i == 100:
                opt.add_param_group({"params": [lib.param()], "lr": 0.05})
            lrs.append([g["lr"] for g in opt.param_groups][:2])
        out.append(np.array(lrs))
        assert plateau.get_last_lr() == [g["lr"] for g in opt.param_groups]
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)
    assert out[0][-1, 0] < 0.1 * 0.995**STEPS  # reduced on top of the decay


def test_one_cycle_refuses_steps_past_total():
    opt = Lib(True).sgd()
    sched = lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 4 times; total_steps is 3"):
        sched.step()


BAD = [
    (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "LambdaLR: lr_lambda must"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.5), TypeError, "MultiplicativeLR: lr_lambda"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, r"ConstantLR: factor must"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, "LinearLR: start_factor"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError, "LinearLR: end_factor"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="x"), ValueError, "CyclicLR: mode 'x'"),
    (lambda o: lr_scheduler.CyclicLR(o, [0.1], 1.0), ValueError, "CyclicLR: base_lr must have"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError, "OneCycleLR: you must define"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=2.0), ValueError, "pct_start"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="x"), ValueError, "anneal"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 0), ValueError, "OneCycleLR: total_steps must"),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
        ValueError,
        "CosineAnnealingWarmRestarts: T_0 must be a positive int",
    ),
    (
        lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0),
        ValueError,
        "CosineAnnealingWarmRestarts: T_mult must be an int >= 1",
    ),
    (
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.StepLR(o, 2)], milestones=[3]),
        ValueError,
        "SequentialLR expects one milestone fewer than schedulers",
    ),
    (
        lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], []),
        ValueError,
        "SequentialLR does not support ReduceLROnPlateau",
    ),
    (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "ChainedScheduler expects at least"),
    (
        lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.StepLR(Lib(True).sgd(), 2)], o),
        ValueError,
        "ChainedScheduler expects all schedulers to belong to the same optimizer",
    ),
    (lambda o: lr_scheduler.StepLR("sgd", 2), TypeError, "StepLR: str is not an Optimizer"),
]


@pytest.mark.parametrize("make,error,match", BAD, ids=[m for _, _, m in BAD])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(Lib(True).sgd())


def test_cycle_momentum_needs_a_momentum():
    opt = optim.Adagrad([nn.Parameter(np.zeros(1))])
    with pytest.raises(ValueError, match="CyclicLR: optimizer must support momentum or beta1"):
        lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="OneCycleLR: optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
    sched = lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10, cycle_momentum=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 25) and sched.last_epoch == 0
