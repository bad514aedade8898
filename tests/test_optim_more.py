"""optim, the whole family against PyTorch: 20 steps of every optimizer, with the options that
change its update, on a small network from the same initial weights (float64 to 1e-10, float32
to its round-off); parameter groups added midway; state dicts (a resumed run continues
exactly); L-BFGS on Rosenbrock functions with both line searches; the argument checks; and
``parameters_to_vector``/``vector_to_parameters``."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn, optim
from tinygrad_cnn.nn.utils import parameters_to_vector, vector_to_parameters
from tinygrad_cnn.serialization import load, save

torch = pytest.importorskip("torch")

STEPS = 20

# (optimizer name, keyword arguments): each option that changes the update rule
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("SGD", dict(lr=0.02, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True, eps=1e-3)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.05, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.1, eps=1e-4)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.02, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, betas=(0.8, 0.9))),
    ("NAdam", dict(lr=0.01, maximize=True)),
    ("RAdam", dict(lr=0.02)),  # β₂ = 0.999: the rectified step starts at step 6
    ("RAdam", dict(lr=0.02, betas=(0.9, 0.8), weight_decay=0.1)),  # ρ∞ = 9: starts at step 3
    ("RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES]


@contextlib.contextmanager
def torch_default_dtype(dtype):
    """PyTorch keeps scalar state (NAdam's μ product, step counts) in the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (3,), (2, 3), (2,)]
    return [rng.uniform(-0.8, 0.8, s) for s in shapes]


def data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 4)), rng.standard_normal((8, 2))


class OurNet:
    """Linear 4→3, tanh, Linear 3→2 and the mean squared error, in tinygrad_cnn."""

    def __init__(self, weights, dtype):
        self.model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
        self.model.double() if dtype == np.float64 else self.model.float()
        names = list(self.model.state_dict())
        self.model.load_state_dict(
            {k: w.astype(dtype) for k, w in zip(names, weights, strict=True)}
        )
        x, y = data()
        self.x, self.y = tg.Tensor(x.astype(dtype)), tg.Tensor(y.astype(dtype))

    def params(self):
        return list(self.model.parameters())

    def loss(self):
        return nn.functional.mse_loss(self.model(self.x), self.y)

    def weights(self):
        return [p.numpy().copy() for p in self.params()]


class TorchNet:
    def __init__(self, weights, dtype):
        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        self.model = torch.nn.Sequential(
            torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2)
        ).to(tdtype)
        with torch.no_grad():
            for p, w in zip(self.model.parameters(), weights, strict=True):
                p.copy_(torch.from_numpy(w.astype(dtype)))
        x, y = data()
        self.x, self.y = torch.from_numpy(x.astype(dtype)), torch.from_numpy(y.astype(dtype))

    def params(self):
        return list(self.model.parameters())

    def loss(self):
        return torch.nn.functional.mse_loss(self.model(self.x), self.y)

    def weights(self):
        return [p.detach().numpy().copy() for p in self.params()]


def train(net, opt, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = net.loss()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


TOL = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=1e-5, atol=2e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_optimizer_matches_pytorch(name, kw, dtype):
    weights = initial_weights()
    ours, theirs = OurNet(weights, dtype), TorchNet(weights, dtype)
    opt_o = getattr(optim, name)(ours.params(), **kw)
    with torch_default_dtype(torch.float64 if dtype == np.float64 else torch.float32):
        opt_t = getattr(torch.optim, name)(theirs.params(), **kw)
        losses_t = train(theirs, opt_t, STEPS)
    losses_o = train(ours, opt_o, STEPS)
    np.testing.assert_allclose(losses_o, losses_t, **TOL[dtype])
    for a, b in zip(ours.weights(), theirs.weights(), strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **TOL[dtype])
    assert abs(losses_o[-1] - losses_o[0]) > 1e-4  # the steps did something
    if kw.get("maximize"):
        assert losses_o[-1] > losses_o[0]


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_param_group_added_midway_matches_pytorch(name, kw):
    """Start with the first layer only; add the second layer with its own lr after 7 steps."""
    weights = initial_weights(seed=2)
    ours, theirs = OurNet(weights, np.float64), TorchNet(weights, np.float64)
    with torch_default_dtype(torch.float64):
        opt_o = getattr(optim, name)(ours.params()[:2], **kw)
        opt_t = getattr(torch.optim, name)(theirs.params()[:2], **kw)
        train(ours, opt_o, 7)
        train(theirs, opt_t, 7)
        lr = kw.get("lr", opt_o.defaults["lr"]) / 2
        opt_o.add_param_group({"params": ours.params()[2:], "lr": lr})
        opt_t.add_param_group({"params": theirs.params()[2:], "lr": lr})
        assert opt_o.param_groups[1]["lr"] == lr
        for key, value in opt_t.param_groups[1].items():  # the other options: the defaults
            if key in opt_o.param_groups[1] and key != "params":
                assert opt_o.param_groups[1][key] == value, key
        np.testing.assert_allclose(
            train(ours, opt_o, 13), train(theirs, opt_t, 13), **TOL[np.float64]
        )
    for a, b in zip(ours.weights(), theirs.weights(), strict=True):
        np.testing.assert_allclose(a, b, **TOL[np.float64])


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_state_dict_round_trip_continues_exactly(name, kw, tmp_path):
    weights = initial_weights(seed=3)
    full = OurNet(weights, np.float32)
    train(full, getattr(optim, name)(full.params(), **kw), STEPS)

    half = OurNet(weights, np.float32)
    opt = getattr(optim, name)(half.params(), **kw)
    train(half, opt, STEPS // 2)
    save({"optim": opt.state_dict(), "model": half.model.state_dict()}, tmp_path / "ckpt")
    saved = load(tmp_path / "ckpt")
    resumed = OurNet(initial_weights(seed=9), np.float32)  # other weights, then the checkpoint
    resumed.model.load_state_dict(saved["model"])
    opt2 = getattr(optim, name)(resumed.params(), **kw)
    opt2.load_state_dict(saved["optim"])
    assert opt2.param_groups[0].keys() == opt.param_groups[0].keys()
    train(resumed, opt2, STEPS - STEPS // 2)
    for a, b in zip(full.weights(), resumed.weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_state_keys_match_pytorch():
    weights = initial_weights()
    for name, kw in CASES:
        ours, theirs = OurNet(weights, np.float64), TorchNet(weights, np.float64)
        opt_o = getattr(optim, name)(ours.params(), **kw)
        with torch_default_dtype(torch.float64):
            opt_t = getattr(torch.optim, name)(theirs.params(), **kw)
            train(theirs, opt_t, 2)
        train(ours, opt_o, 2)
        sd_o, sd_t = opt_o.state_dict(), opt_t.state_dict()
        assert set(sd_o["state"]) == set(sd_t["state"]), name
        for i in sd_t["state"]:
            assert set(sd_o["state"][i]) == set(sd_t["state"][i]), (name, kw)
            for key, value in sd_t["state"][i].items():
                if isinstance(value, torch.Tensor) and value.ndim:
                    np.testing.assert_allclose(
                        sd_o["state"][i][key], value.numpy(), rtol=1e-10, atol=1e-14, err_msg=name
                    )
                else:
                    assert float(sd_o["state"][i][key]) == pytest.approx(float(value)), key


# ---------------------------------------------------------------------------- L-BFGS
def rosenbrock(xs, lib):
    """Σ 100·(x[i+1] − x[i]²)² + (1 − x[i])², over the entries of the concatenated tensors."""
    x = lib.cat([t.reshape(-1) for t in xs])
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


LBFGS_CASES = [
    (dict(lr=0.25), [np.array([-1.5, 2.0])], 4),  # (lr=1 without a search is chaotic here)
    (dict(line_search_fn="strong_wolfe"), [np.array([-1.5, 2.0])], 4),
    (dict(lr=0.5, history_size=3, max_iter=10), [np.array([-1.2, 1.0, 0.5]), np.array([0.3])], 6),
    (
        dict(line_search_fn="strong_wolfe", history_size=4, max_iter=7, max_eval=9),
        [np.array([[-1.2, 1.0], [0.5, -0.3]]), np.array([0.3, 1.4])],
        5,
    ),
    (dict(line_search_fn="strong_wolfe", tolerance_change=1e-5, lr=0.8), [np.zeros(5)], 3),
]


@pytest.mark.parametrize("kw,init,steps", LBFGS_CASES)
def test_lbfgs_matches_pytorch_on_rosenbrock(kw, init, steps):
    ours = [nn.Parameter(tg.Tensor(v.copy())) for v in init]
    theirs = [torch.tensor(v, requires_grad=True) for v in init]
    opt_o, opt_t = optim.LBFGS(ours, **kw), torch.optim.LBFGS(theirs, **kw)
    calls = {"ours": 0, "theirs": 0}

    def closure_o():
        calls["ours"] += 1
        opt_o.zero_grad()
        loss = rosenbrock(ours, tg)
        loss.backward()
        return loss

    def closure_t():
        calls["theirs"] += 1
        opt_t.zero_grad()
        loss = rosenbrock(theirs, torch)
        loss.backward()
        return loss

    with torch_default_dtype(torch.float64):
        for _ in range(steps):
            first_o, first_t = opt_o.step(closure_o), opt_t.step(closure_t)
            assert isinstance(first_o, tg.Tensor)
            assert first_o.item() == pytest.approx(first_t.item(), rel=1e-9, abs=1e-12)
            for p, q in zip(ours, theirs, strict=True):
                np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12)
            assert calls["ours"] == calls["theirs"]
    state_o, state_t = opt_o.state[ours[0]], opt_t.state[theirs[0]]
    assert state_o["n_iter"] == state_t["n_iter"] and state_o["func_evals"] == state_t["func_evals"]
    assert len(state_o["old_dirs"]) == len(state_t["old_dirs"]) <= opt_o.defaults["history_size"]
    final = rosenbrock(ours, tg).item()
    assert final < rosenbrock([tg.Tensor(v) for v in init], tg).item()


def test_lbfgs_reaches_the_minimum_and_resumes_from_a_state_dict(tmp_path):
    p = nn.Parameter(tg.Tensor(np.array([-1.5, 2.0])))
    opt = optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=8)

    def closure():
        opt.zero_grad()
        loss = rosenbrock([p], tg)
        loss.backward()
        return loss

    opt.step(closure)
    save(opt.state_dict(), tmp_path / "lbfgs")
    q = nn.Parameter(tg.Tensor(p.numpy().copy()))
    opt2 = optim.LBFGS([q], line_search_fn="strong_wolfe", max_iter=8)
    opt2.load_state_dict(load(tmp_path / "lbfgs"))
    assert len(opt2.state[q]["old_dirs"]) == len(opt.state[p]["old_dirs"]) > 0

    def closure2():
        opt2.zero_grad()
        loss = rosenbrock([q], tg)
        loss.backward()
        return loss

    for _ in range(6):
        opt.step(closure)
        opt2.step(closure2)
    np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert rosenbrock([p], tg).item() < 1e-9
    np.testing.assert_allclose(p.numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_at_a_minimum_returns_after_one_evaluation():
    p = nn.Parameter(tg.Tensor(np.array([1.0, 1.0])))  # the gradient is exactly 0
    opt = optim.LBFGS([p])

    def closure():
        opt.zero_grad()
        loss = rosenbrock([p], tg)
        loss.backward()
        return loss

    assert opt.step(closure).item() == 0.0
    assert opt.state[p] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(p.numpy(), [1.0, 1.0])


def test_lbfgs_errors():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(TypeError, match="LBFGS.step needs a closure"):
        opt.step()
    with pytest.raises(ValueError, match="LBFGS: line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([a], line_search_fn="wolfe")
    with pytest.raises(ValueError, match="LBFGS: invalid lr -1"):
        optim.LBFGS([a], lr=-1)
    with pytest.raises(ValueError, match="LBFGS: history_size must be a positive int, got 0"):
        optim.LBFGS([a], history_size=0)
    assert optim.LBFGS([a], max_iter=8).defaults["max_eval"] == 10  # max_iter·5//4


# ---------------------------------------------------------------------------- argument checks
BAD = [
    ("Adagrad", dict(lr=-0.1), r"Adagrad: invalid lr -0.1"),
    ("Adagrad", dict(lr_decay=-1), r"Adagrad: invalid lr_decay -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), r"Adagrad: invalid initial_accumulator_value"),
    ("Adagrad", dict(eps=-1), r"Adagrad: invalid eps -1"),
    ("Adadelta", dict(rho=1.5), r"Adadelta: invalid rho 1.5 \(must be in \[0, 1\]\)"),
    ("Adadelta", dict(rho=-0.5), r"Adadelta: invalid rho -0.5"),
    ("Adadelta", dict(weight_decay=-1), r"Adadelta: invalid weight_decay -1"),
    ("Adamax", dict(betas=(0.9, 1.0)), r"Adamax: betas must be in \[0, 1\).*index 1: 1.0"),
    ("Adamax", dict(eps=-1), r"Adamax: invalid eps -1"),
    ("NAdam", dict(momentum_decay=-1), r"NAdam: invalid momentum_decay -1"),
    ("NAdam", dict(betas=(-0.1, 0.9)), r"NAdam: betas must be in \[0, 1\).*index 0: -0.1"),
    ("RAdam", dict(lr=-1), r"RAdam: invalid lr -1"),
    ("RAdam", dict(weight_decay=-1e-3), r"RAdam: invalid weight_decay -0.001"),
    ("SGD", dict(lr=0.1, momentum=-0.5), r"SGD: invalid momentum -0.5"),
    ("SGD", dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1), r"SGD: nesterov"),
    ("LBFGS", dict(lr=-1), r"LBFGS: invalid lr -1"),
]


@pytest.mark.parametrize("name,kw,match", BAD, ids=[m for _, _, m in BAD])
def test_bad_arguments_raise_value_error_naming_the_optimizer(name, kw, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([nn.Parameter(np.ones(2))], **kw)
    with pytest.raises(ValueError):  # PyTorch refuses them with a ValueError too
        getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kw)


def test_a_groups_own_bad_hyperparameter_is_refused():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="Adagrad: invalid lr -1"):
        optim.Adagrad([{"params": [p], "lr": -1}])
    opt = optim.NAdam([p])
    with pytest.raises(ValueError, match="NAdam: invalid momentum_decay -0.5"):
        opt.add_param_group({"params": [nn.Parameter(np.ones(1))], "momentum_decay": -0.5})


# ---------------------------------------------------------------------------- vector utilities
def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    with torch.no_grad():
        for p, q in zip(model.parameters(), tmodel.parameters(), strict=True):
            q.copy_(torch.from_numpy(p.numpy().copy()))
    vec = parameters_to_vector(model.parameters())
    tvec = torch.nn.utils.parameters_to_vector(tmodel.parameters())
    assert vec.shape == (11,) and vec.dtype == tg.float32 and vec.requires_grad
    np.testing.assert_array_equal(vec.numpy(), tvec.detach().numpy())
    (vec * tg.Tensor(np.arange(11, dtype=np.float32))).sum().backward()  # differentiable
    np.testing.assert_array_equal(model[0].weight.grad.numpy(), np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.grad.numpy(), [10.0])

    new = np.linspace(-1, 1, 11).astype(np.float32)
    weight = model[0].weight
    version = weight._version
    vector_to_parameters(tg.Tensor(new), model.parameters())
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new), tmodel.parameters())
    assert model[0].weight is weight and weight._version > version  # written in place
    for p, q in zip(model.parameters(), tmodel.parameters(), strict=True):
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).numpy(), new)


def test_vector_utility_errors():
    params = [nn.Parameter(np.ones((2, 2))), nn.Parameter(np.ones(3))]
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor, but got ndarray"):
        vector_to_parameters(np.ones(7), params)
    with pytest.raises(RuntimeError, match=r"vec must be 1-D with 7 elements.*\(6,\)"):
        vector_to_parameters(tg.Tensor(np.ones(6)), params)
    with pytest.raises(TypeError, match="parameters_to_vector: expected Tensors, but got int"):
        parameters_to_vector([params[0], 3])


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_float32_parameters_and_state_stay_float32_in_place(name):
    p = nn.Parameter(np.ones((3, 3), dtype=np.float32))
    storage = p._data
    opt = getattr(optim, name)([p], weight_decay=0.1)
    for _ in range(8):  # RAdam's rectified branch starts at step 6
        p.grad = tg.Tensor(np.full((3, 3), 0.5, dtype=np.float32))
        opt.step()
    assert p._data is storage and p.dtype == np.float32 and p.is_leaf and p.op is None
    assert np.all(p.numpy() < 1)
    arrays = [v for v in opt.state[p].values() if hasattr(v, "dtype")]
    assert arrays and all(v.dtype == np.float32 for v in arrays)
