"""ModuleDict, ParameterList, ParameterDict, Unflatten, Identity, Embedding (and
F.embedding), and the Module API: full backward hooks, forward pre-hooks, traversal, apply,
requires_grad_, dtype casts and zero_grad; compared with PyTorch where installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import functional as F
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck

# ---------------------------------------------------------------- ModuleDict


def test_module_dict_registers_and_behaves_like_a_dict(torch):
    md = nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "act": nn.ReLU()})
    md["fc"] = nn.Linear(4, 2)
    assert list(md) == ["conv", "act", "fc"] and len(md) == 3 and "act" in md
    assert [k for k, _ in md.items()] == list(md.keys())
    assert [n for n, _ in md.named_parameters()] == [
        "conv.weight",
        "conv.bias",
        "fc.weight",
        "fc.bias",
    ]
    assert isinstance(md.pop("act"), nn.ReLU) and "act" not in md
    md.update([("tanh", nn.Tanh())])
    del md["conv"]
    assert list(md) == ["fc", "tanh"]
    tmd = torch.nn.ModuleDict({"fc": torch.nn.Linear(4, 2), "tanh": torch.nn.Tanh()})
    assert repr(md) == repr(tmd)
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []
    assert repr(nn.ModuleDict()) == "ModuleDict()"
    with pytest.raises(TypeError, match="ModuleDict.update: element #0 should be a"):
        nn.ModuleDict([nn.ReLU()])


# ---------------------------------------------------------------- ParameterList / Dict


def test_parameter_list(torch):
    pl = nn.ParameterList([nn.Parameter(tg.zeros(2, 3)), tg.ones(4, dtype=tg.float64)])
    assert isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    pl.append(tg.zeros(1))
    pl += [tg.zeros(5)]
    assert len(pl) == 4 and [p.shape for p in pl] == [(2, 3), (4,), (1,), (5,)]
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2", "3"]
    assert pl[-1] is pl[3] and len(pl[1:3]) == 2
    new = nn.Parameter(tg.ones(7))
    pl[0] = new
    assert pl[0] is new and list(pl.parameters())[0] is new
    tpl = torch.nn.ParameterList(
        [torch.zeros(7), torch.zeros(4, dtype=torch.float64), torch.zeros(1), torch.zeros(5)]
    )
    assert repr(pl) == repr(tpl).replace("torch.", "")
    with pytest.raises(IndexError, match="ParameterList: index 4 is out of range"):
        pl[4]
    # a model with a ParameterList trains its entries
    model = nn.Module()
    model.scales = nn.ParameterList([tg.ones(3), tg.ones(3)])
    assert [n for n, _ in model.named_parameters()] == ["scales.0", "scales.1"]
    assert set(model.state_dict()) == {"scales.0", "scales.1"}


def test_parameter_dict(torch):
    pd = nn.ParameterDict({"a": nn.Parameter(tg.zeros(2)), "b": tg.zeros(3)})
    pd["c"] = tg.ones(1)
    assert list(pd) == ["a", "b", "c"] and "b" in pd and len(pd) == 3
    assert isinstance(pd["b"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.get("zzz") is None and pd.pop("a").shape == (2,)
    del pd["b"]
    assert list(pd.keys()) == ["c"] and [n for n, _ in pd.named_parameters()] == ["c"]
    pd.update({"d": tg.zeros(2, 2)})
    tpd = torch.nn.ParameterDict({"c": torch.zeros(1), "d": torch.zeros(2, 2)})
    want = repr(tpd).replace("torch.FloatTensor", "float32")
    assert repr(pd) == want
    with pytest.raises(KeyError):
        pd["zzz"]
    with pytest.raises(TypeError, match="ParameterDict: keys must be strings"):
        pd[1] = tg.zeros(1)
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []


# ---------------------------------------------------------------- Unflatten, Identity


def test_unflatten_and_identity(torch):
    x = np.arange(24.0).reshape(2, 12)
    for dim, sizes in ((1, (3, 4)), (-1, (2, -1)), (0, (1, 2))):
        m, tm = nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes)
        assert repr(m) == repr(tm)
        assert m(tg.tensor(x)).numpy().tolist() == tm(torch.tensor(x)).numpy().tolist()
    seq = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (3, 4)))
    assert seq(tg.tensor(x.reshape(2, 3, 4))).shape == (2, 3, 4)
    with pytest.raises(RuntimeError, match=r"Unflatten: unflattened_size \(5, 2\) does not"):
        nn.Unflatten(1, (5, 2))(tg.tensor(x))
    with pytest.raises(TypeError, match="Unflatten: unflattened_size must be a tuple"):
        nn.Unflatten(1, 3)
    ident = nn.Identity(54, unused="argument")
    t = tg.ones(2)
    assert ident(t) is t and repr(ident) == repr(torch.nn.Identity())


# ---------------------------------------------------------------- Embedding


def test_embedding_forward_init_and_repr(torch):
    tg.manual_seed(0)
    e = nn.Embedding(10, 3, padding_idx=2)
    assert e.weight.shape == (10, 3) and e.weight.requires_grad
    assert (e.weight.numpy()[2] == 0).all()
    w = e.weight.numpy()
    assert abs(w.std() - 1) < 0.5  # N(0, 1)
    idx = np.array([[1, 2, 9], [0, 0, 4]])
    got = e(tg.tensor(idx))
    assert got.shape == (2, 3, 3)
    np.testing.assert_array_equal(got.numpy(), w[idx])
    for kwargs in (
        {},
        {"padding_idx": 0},
        {"max_norm": 1.0, "norm_type": 1.0},
        {"scale_grad_by_freq": True},
    ):
        assert repr(nn.Embedding(5, 4, **kwargs)) == repr(torch.nn.Embedding(5, 4, **kwargs))
    assert nn.Embedding(5, 4, padding_idx=-1).padding_idx == 4


@pytest.mark.parametrize(
    "kwargs", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True}, {"max_norm": 0.8}]
)
def test_embedding_gradients_match_pytorch(kwargs, torch):
    w = np.random.default_rng(0).standard_normal((6, 4))
    idx = np.array([[1, 3, 1], [5, 1, 0]])
    g = np.random.default_rng(1).standard_normal((2, 3, 4))
    e = nn.Embedding.from_pretrained(tg.tensor(w.copy()), freeze=False, **kwargs)
    te = torch.nn.Embedding.from_pretrained(torch.tensor(w.copy()), freeze=False, **kwargs)
    y, ty = e(tg.tensor(idx)), te(torch.tensor(idx))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(e.weight.numpy(), te.weight.detach().numpy(), rtol=1e-12)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(e.weight.grad.numpy(), te.weight.grad.numpy(), rtol=1e-12)


@given(rows=st.integers(1, 5), dim=st.integers(1, 3))
def test_embedding_gradcheck(rows, dim):
    # padding_idx and scale_grad_by_freq change the gradient on purpose (it is then not the
    # derivative): the PyTorch comparison above covers them
    w = tg.tensor(np.random.default_rng(3).standard_normal((rows, dim)), requires_grad=True)
    idx = tg.tensor(np.random.default_rng(4).integers(0, rows, (2, 3)))

    def fn(w):
        return F.embedding(idx, w) ** 2

    assert gradcheck(fn, [w])
    assert gradgradcheck(fn, [w])


def test_embedding_frozen_and_errors():
    e = nn.Embedding.from_pretrained(tg.ones(3, 2))
    assert not e.weight.requires_grad
    with pytest.raises(IndexError, match=r"embedding: index 3 is out of range for a weight of 3"):
        e(tg.tensor([0, 3]))
    with pytest.raises(RuntimeError, match="embedding: expected integer indices"):
        e(tg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"Embedding: padding_idx \(5\) must be within"):
        nn.Embedding(3, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match="embedding: sparse gradients"):
        F.embedding(tg.tensor([0]), tg.ones(3, 2), sparse=True)


# ---------------------------------------------------------------- full backward hooks


def test_full_backward_hook_sees_and_replaces_gradients(torch):
    x = np.random.default_rng(1).standard_normal((4, 3))
    results = []
    for lib, Tensor in ((nn, tg.tensor), (torch.nn, torch.tensor)):
        seen = []

        def hook(module, grad_input, grad_output, seen=seen):
            seen.append(
                (type(module).__name__, grad_input[0].numpy().copy(), grad_output[0].numpy().copy())
            )
            return (grad_input[0] * 3,)

        m = nn.Linear(3, 2) if lib is nn else torch.nn.Linear(3, 2)
        results.append((m, hook, seen, Tensor))
    (m, hook, seen, _), (tm, thook, tseen, _) = results
    m.double()
    tm.double()
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(m.weight.numpy()))
        tm.bias.copy_(torch.tensor(m.bias.numpy()))
    handle = m.register_full_backward_hook(hook)
    tm.register_full_backward_hook(thook)
    xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (m(xt) ** 2).sum().backward()
    (tm(tx) ** 2).sum().backward()
    assert len(seen) == len(tseen) == 1 and seen[0][0] == "Linear"
    np.testing.assert_allclose(seen[0][1], tseen[0][1], rtol=1e-12)
    np.testing.assert_allclose(seen[0][2], tseen[0][2], rtol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-12)  # tripled
    np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-12)
    handle.remove()
    xt = tg.tensor(x, requires_grad=True)
    (m(xt) ** 2).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(3 * xt.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_full_backward_hook_several_inputs_and_no_grad_inputs():
    class Mix(nn.Module):
        def forward(self, a, scale, b):
            return a * scale + b * b, a - b

    m, calls = Mix(), []
    m.register_full_backward_hook(
        lambda mod, gi, go: calls.append(
            ([g if g is None else g.shape for g in gi], [g if g is None else g.shape for g in go])
        )
    )
    a = tg.ones(2, 3, requires_grad=True)
    b = tg.ones(3, dtype=tg.float64, requires_grad=True)
    out, diff = m(a, 2.0, b)
    (out.sum() + diff.sum()).backward()
    assert calls == [([(2, 3), None, (3,)], [(2, 3), (2, 3)])]
    np.testing.assert_allclose(b.grad.numpy(), [2 * 2 * 1.0 - 2] * 3)  # b²: 2b·2, −b: −2
    assert b.grad.dtype == np.float64
    # no input requires grad: the hook runs with grad_input None once the outputs' are in
    calls.clear()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gi, go: calls.append((gi, go[0].shape)))
    lin(tg.ones(4, 3)).sum().backward()
    assert calls == [((None,), (4, 2))]


def test_full_backward_hook_bad_replacements_are_errors():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gi, go: (tg.zeros(5, 3),))
    with pytest.raises(RuntimeError, match=r"Linear: backward hook .* shape \(5, 3\) .* \(4, 3\)"):
        lin(tg.ones(4, 3, requires_grad=True)).sum().backward()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gi, go: (tg.zeros(4, 3, dtype=tg.float64),))
    with pytest.raises(RuntimeError, match=r"Linear: backward hook .*float64.*float32"):
        lin(tg.ones(4, 3, requires_grad=True)).sum().backward()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="Linear: backward hook .* returned 2 values where"):
        lin(tg.ones(4, 3, requires_grad=True)).sum().backward()


def test_full_backward_hook_keeps_second_order_gradients():
    lin = nn.Linear(3, 1).double()
    lin.register_full_backward_hook(lambda mod, gi, go: None)
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda x: lin(x) ** 3, [x])
    assert gradgradcheck(lambda x: lin(x) ** 3, [x])


def test_no_hook_machinery_under_no_grad():
    lin, calls = nn.Linear(3, 2), []
    lin.register_full_backward_hook(lambda *a: calls.append(a))
    with tg.no_grad():
        y = lin(tg.ones(1, 3, requires_grad=True))
    assert not y.requires_grad and y.op is None and calls == []


# ---------------------------------------------------------------- the rest of the module API


def test_forward_pre_hook_traversal_apply_and_casts(torch):
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))
    )
    assert [n for n, _ in model.named_modules()] == [n for n, _ in tmodel.named_modules()]
    assert [type(c).__name__ for c in model.children()] == ["Linear", "Sequential"]
    order = []
    model.apply(lambda m: order.append(type(m).__name__))
    torder = []
    tmodel.apply(lambda m: torder.append(type(m).__name__))
    assert order == torder
    handle = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    assert (model(tg.ones(1, 2)).numpy() == model[1](model[0](tg.zeros(1, 2))).numpy()).all()
    handle.remove()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    assert model.half() is model and {p.dtype for p in model.parameters()} == {np.dtype(np.float16)}
    assert {p.dtype for p in model.double().parameters()} == {np.dtype(np.float64)}
    assert {p.dtype for p in model.float().parameters()} == {np.dtype(np.float32)}
    model(tg.ones(4, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all((p.grad.numpy() == 0).all() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
