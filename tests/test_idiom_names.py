"""The names that everyday PyTorch code needed and the framework lacked: ``t``, ``//`` and
``%``, ``abs(x)``, ``var``/``std`` with PyTorch's ``(dim, unbiased, keepdim)``, the ``tg.flatten``
family of functions, ``hstack``/``vstack``, ``randperm``/``empty``, the loss modules ``BCELoss``,
``L1Loss``, ``SmoothL1Loss``, ``HuberLoss``; and the clear errors of ``grad``, ``save``,
``reshape`` and ``item``. Forward against NumPy, first and second order by gradcheck in
float64, errors. (PyTorch parity: tests/test_pytorch_idioms.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_cnn as tg
from tinygrad_cnn import nn
from tinygrad_cnn.testing import gradcheck, gradgradcheck
from tinygrad_cnn.testing.strategies import shapes, tensors


def _check_grads(fn, *inputs) -> None:
    assert gradcheck(fn, list(inputs))
    assert gradgradcheck(fn, list(inputs))


# ---------------------------------------------------------------- t, ravel, shape functions


@given(st.data())
def test_t_transposes_matrices_and_keeps_vectors(data):
    x = data.draw(tensors(data.draw(shapes(min_dims=0, max_dims=2, max_side=4))))
    expected = x.numpy().T
    np.testing.assert_array_equal(x.t().numpy(), expected)
    np.testing.assert_array_equal(tg.t(x).numpy(), expected)
    _check_grads(lambda a: a.t() * a.t(), x)


def test_t_of_more_than_two_dims_is_an_error_naming_the_shape():
    with pytest.raises(
        RuntimeError, match=r"t: expects a tensor with <= 2 dimensions.*\(2, 3, 4\)"
    ):
        tg.zeros(2, 3, 4).t()


@given(st.data())
def test_shape_functions_are_the_methods(data):
    x = data.draw(tensors((2, 3, 1)))
    a = x.numpy()
    cases = [
        (tg.flatten(x, 1), a.reshape(2, 3)),
        (tg.reshape(x, (3, 2)), a.reshape(3, 2)),
        (tg.squeeze(x), a.squeeze()),
        (tg.squeeze(x, -1), a.squeeze(-1)),
        (tg.unsqueeze(x, 0), a[None]),
        (tg.transpose(x, 0, 1), a.transpose(1, 0, 2)),
        (tg.permute(x, (2, 0, 1)), a.transpose(2, 0, 1)),
        (tg.ravel(x), a.ravel()),
        (x.ravel(), a.ravel()),
        (tg.broadcast_to(x, (4, 2, 3, 5)), np.broadcast_to(a, (4, 2, 3, 5))),
    ]
    for ours, expected in cases:
        np.testing.assert_array_equal(ours.numpy(), expected)
    _check_grads(lambda v: tg.flatten(tg.permute(v, (2, 0, 1)), 1).tanh(), x)
    assert x.ndimension() == 3


@pytest.mark.parametrize(
    "fn", [tg.flatten, tg.squeeze, tg.t, tg.ravel, tg.sum, tg.softmax, tg.is_floating_point]
)
def test_the_functions_want_a_tensor(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: expected a Tensor as input, got list"):
        fn([1.0, 2.0], 0) if fn in (tg.softmax,) else fn([1.0, 2.0])


# ---------------------------------------------------------------- reductions


@given(st.data())
def test_var_and_std_take_pytorchs_positional_arguments(data):
    x = data.draw(tensors((3, 4), distinct=True))
    a = x.numpy()
    cases = [
        (x.var(0, False), np.var(a, 0)),
        (x.var(0, True), np.var(a, 0, ddof=1)),
        (x.var(1, True, True), np.var(a, 1, ddof=1, keepdims=True)),
        (x.var(False), np.var(a)),
        (x.std(True), np.std(a, ddof=1)),
        (x.std(0, False, True), np.std(a, 0, keepdims=True)),
        (x.var(dim=1, correction=0), np.var(a, 1)),
        (x.var(axis=1, keepdim=True), np.var(a, 1, ddof=1, keepdims=True)),
        (tg.var(x, 0, False), np.var(a, 0)),
        (tg.std(x, dim=(0, 1), correction=2), np.std(a, ddof=2)),
        (tg.sum(x, 1, True), a.sum(1, keepdims=True)),
        (tg.mean(x, (0, 1)), a.mean()),
    ]
    for ours, expected in cases:
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert x.var(0, False).shape == (4,)  # the second positional argument is not keepdim
    _check_grads(lambda v: v.var(0, False) + tg.std(v, 1, True).sum(), x)


def test_var_refuses_unbiased_and_correction_together_and_dim_and_axis():
    x = tg.ones(3, 2)
    with pytest.raises(TypeError, match=r"var: give unbiased=True or correction=0, not both"):
        x.var(0, True, correction=0)
    with pytest.raises(TypeError, match=r"std: got both dim=0 and axis=1"):
        x.std(0, axis=1)


@given(st.data())
def test_softmax_and_logsumexp_functions(data):
    x = data.draw(tensors((2, 3)))
    np.testing.assert_allclose(tg.softmax(x, 1).numpy(), x.softmax(1).numpy(), rtol=1e-15)
    np.testing.assert_allclose(tg.log_softmax(x, 0).numpy(), x.log_softmax(0).numpy())
    np.testing.assert_allclose(tg.logsumexp(x, 1).numpy(), x.logsumexp(1).numpy())
    _check_grads(lambda v: tg.log_softmax(v, 1) * tg.softmax(v, 0), x)


# ---------------------------------------------------------------- joining


@given(st.data())
def test_hstack_vstack_concat(data):
    a, b = data.draw(tensors((2, 3))), data.draw(tensors((2, 3)))
    v, w = data.draw(tensors((3,))), data.draw(tensors((3,)))
    pa, pb, pv, pw = a.numpy(), b.numpy(), v.numpy(), w.numpy()
    np.testing.assert_array_equal(tg.hstack([a, b]).numpy(), np.hstack([pa, pb]))
    np.testing.assert_array_equal(tg.vstack([a, b]).numpy(), np.vstack([pa, pb]))
    np.testing.assert_array_equal(tg.hstack([v, w]).numpy(), np.hstack([pv, pw]))
    np.testing.assert_array_equal(tg.vstack([v, a]).numpy(), np.vstack([pv, pa]))
    np.testing.assert_array_equal(tg.concat([a, b], 1).numpy(), np.concatenate([pa, pb], 1))
    assert tg.concatenate is tg.cat
    _check_grads(lambda p, q, r: tg.vstack([tg.hstack([p, q]), tg.hstack([r, r])]), a, b, v)


# ---------------------------------------------------------------- operators


INTS = st.integers(-20, 20)


@given(st.lists(INTS, min_size=1, max_size=6), st.integers(1, 7), st.booleans())
def test_floor_division_and_modulo_are_pythons(values, d, negative):
    d = -d if negative else d
    a = np.array(values, dtype=np.int64)
    i, f = tg.tensor(values), tg.tensor(values, dtype=tg.float64) / 2
    np.testing.assert_array_equal((i // d).numpy(), a // d)
    np.testing.assert_array_equal((i % d).numpy(), a % d)
    np.testing.assert_array_equal((d // (i.abs() + 1)).numpy(), d // (np.abs(a) + 1))
    np.testing.assert_array_equal((d % (i.abs() + 1)).numpy(), d % (np.abs(a) + 1))
    np.testing.assert_array_equal((f // d).numpy(), (a / 2) // d)
    np.testing.assert_array_equal((f % d).numpy(), np.mod(a / 2, d))
    np.testing.assert_array_equal(tg.floor_divide(i, d).numpy(), a // d)
    assert (i // d).dtype == tg.int64 and (f // d).dtype == tg.float64
    assert (i % 2.5).dtype == tg.float32  # a float number makes the default float dtype


def test_integer_floor_division_by_zero_is_an_error():
    with pytest.raises(RuntimeError, match="div: integer division by zero"):
        tg.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError, match="remainder: integer division by zero"):
        tg.tensor([1, 2]) % tg.tensor([1, 0])


@given(st.data())
def test_abs_pos_and_the_remainder_gradient(data):
    x = data.draw(tensors((3,), min_value=0.1, max_value=0.9))
    np.testing.assert_array_equal(abs(x).numpy(), np.abs(x.numpy()))
    assert +x is x
    _check_grads(lambda v: abs(v) * (v % 1.0), x)  # inside (0, 1): % is the identity


def test_bool_operators_on_either_side():
    a, b = tg.tensor([True, True, False]), tg.tensor([True, False, False])
    assert (a ^ b).tolist() == [False, True, False]
    assert (True & b).tolist() == [True, False, False]
    assert (False | b).tolist() == [True, False, False]


def test_is_floating_point_and_is_cuda():
    assert tg.zeros(2).is_floating_point() and tg.is_floating_point(tg.zeros(2, dtype=tg.half))
    assert not tg.arange(3).is_floating_point() and not tg.zeros(1).is_cuda


# ---------------------------------------------------------------- factories


def test_randperm_is_a_seeded_permutation():
    tg.manual_seed(3)
    p = tg.randperm(20)
    tg.manual_seed(3)
    assert tg.randperm(20).tolist() == p.tolist()
    assert sorted(p.tolist()) == list(range(20)) and p.dtype == tg.int64
    assert tg.randperm(4, dtype=tg.int32).dtype == tg.int32 and tg.randperm(0).shape == (0,)
    with pytest.raises(RuntimeError, match="randperm: n must be non-negative, got -1"):
        tg.randperm(-1)
    with pytest.raises(TypeError, match="randperm: n must be an int, got float"):
        tg.randperm(2.0)


def test_empty_gives_zeros_of_the_shape_and_dtype():
    e = tg.empty(2, 3, dtype=tg.long)
    assert e.shape == (2, 3) and e.dtype == tg.int64 and e.tolist() == [[0] * 3] * 2
    like = tg.empty_like(tg.ones(4, dtype=tg.float64), requires_grad=True)
    assert like.shape == (4,) and like.dtype == tg.float64 and like.requires_grad
    with pytest.raises(RuntimeError, match="empty: sizes must be non-negative"):
        tg.empty(-2)


# ---------------------------------------------------------------- loss modules


def test_loss_modules_are_their_functions():
    rng = np.random.default_rng(0)
    a, b = tg.tensor(rng.standard_normal((3, 4))), tg.tensor(rng.standard_normal((3, 4)))
    d = (a - b).numpy()
    np.testing.assert_allclose(nn.L1Loss()(a, b).item(), np.abs(d).mean())
    np.testing.assert_allclose(nn.L1Loss(reduction="sum")(a, b).item(), np.abs(d).sum())
    small = np.abs(d) < 0.5
    smooth = np.where(small, 0.5 * d**2 / 0.5, np.abs(d) - 0.25).mean()
    np.testing.assert_allclose(nn.SmoothL1Loss(beta=0.5)(a, b).item(), smooth)
    huber = np.where(small, 0.5 * d**2, 0.5 * (np.abs(d) - 0.25)).mean()
    np.testing.assert_allclose(nn.HuberLoss(delta=0.5)(a, b).item(), huber)
    p, t, w = a.sigmoid(), (b > 0).double(), tg.tensor(rng.random((3, 4)))
    pn, tn = p.numpy(), t.numpy()
    bce = -(w.numpy() * (tn * np.log(pn) + (1 - tn) * np.log(1 - pn)))
    np.testing.assert_allclose(nn.BCELoss(weight=w, reduction="none")(p, t).numpy(), bce)
    np.testing.assert_allclose(nn.BCELoss()(p, t).item(), (bce / w.numpy()).mean())
    assert list(nn.BCELoss(weight=w).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="L1Loss: .avg. is not a valid value for reduction"):
        nn.L1Loss(reduction="avg")


# ---------------------------------------------------------------- clear errors


def test_grad_names_an_input_that_is_not_a_tensor():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    out = (w * 2).sum()
    with pytest.raises(RuntimeError, match=r"grad: all inputs have to be Tensors.*\[0\] is int"):
        tg.grad(out, [3])
    with pytest.raises(RuntimeError, match=r"grad: all inputs .* inputs\[1\] is str"):
        tg.autograd.grad(out, [w, "w"])
    with pytest.raises(TypeError, match=r"grad: inputs must be a Tensor or a sequence.*int"):
        tg.grad(out, 3)
    with pytest.raises(RuntimeError, match=r"grad: all outputs .* outputs\[0\] is float"):
        tg.grad([1.0], [w])
    assert tg.grad(out, (w,))[0].tolist() == [2.0, 2.0]  # tuples and lists alike


def test_save_into_a_missing_folder_names_the_folder_and_creates_nothing(tmp_path):
    target = tmp_path / "runs" / "model.pt"
    with pytest.raises(RuntimeError, match=r"save: the folder '.*runs' does not exist"):
        tg.save({"w": tg.ones(2)}, target)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(RuntimeError, match=r"save: the folder '.*file' is not a folder"):
        tg.save({"w": tg.ones(2)}, tmp_path / "file" / "model.pt")


def test_reshape_with_a_size_that_does_not_divide_is_a_runtime_error():
    x = tg.zeros(4, 3, 6, 6)
    with pytest.raises(RuntimeError, match=r"reshape: shape \(5, -1\) is invalid .*432 elements"):
        x.view(5, -1)
    with pytest.raises(RuntimeError, match=r"reshape: shape \(0, -1\) is invalid"):
        tg.zeros(0, 3).reshape(0, -1)
    assert x.view(-1, 108).shape == (4, 108) and tg.zeros(0, 3).reshape(-1, 3).shape == (0, 3)


def test_item_of_many_elements_is_a_runtime_error():
    with pytest.raises(RuntimeError, match=r"item: only one-element tensors .* 6 elements"):
        tg.zeros(6).item()


# ---------------------------------------------------------------- formatting, constants, seeds


def test_a_0d_tensor_formats_as_its_number():
    loss = tg.tensor(0.123456, dtype=tg.float64)
    assert f"{loss:.3f}" == "0.123" and f"{tg.tensor(7):>3d}" == "  7"
    assert f"{tg.zeros(2)}" == str(tg.zeros(2))
    with pytest.raises(TypeError):  # as PyTorch: a format spec needs a 0-d tensor
        f"{tg.zeros(2):.3f}"


def test_math_constants():
    assert (tg.pi, tg.e, tg.inf) == (np.pi, np.e, np.inf) and np.isnan(tg.nan)


def test_cuda_manual_seed_all_seeds_the_one_generator():
    tg.cuda.manual_seed_all(5)
    a = tg.rand(4).tolist()
    tg.cuda.manual_seed(5)
    assert tg.rand(4).tolist() == a
    tg.manual_seed(5)
    assert tg.rand(4).tolist() == a


def test_dropout2d_module_drops_whole_channels_in_training_only():
    tg.manual_seed(0)
    d = nn.Dropout2d(0.5)
    x = tg.ones(8, 16, 3, 3)
    y = d(x).numpy()
    per_map = y.reshape(8, 16, 9)
    assert set(np.unique(per_map)) <= {0.0, 2.0}
    assert (per_map.min(-1) == per_map.max(-1)).all()  # each map all zero or all kept
    assert 0 < (per_map[..., 0] == 0).mean() < 1
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())
    with pytest.raises(
        ValueError, match=r"Dropout2d: dropout probability has to be between 0 and 1, got 1.5"
    ):
        nn.Dropout2d(1.5)


# ---------------------------------------------------------------- unflatten


@given(st.data())
def test_unflatten_undoes_flatten(data):
    x = data.draw(tensors((2, 12)))
    a = x.numpy()
    np.testing.assert_array_equal(x.unflatten(1, (3, 4)).numpy(), a.reshape(2, 3, 4))
    np.testing.assert_array_equal(x.unflatten(-1, (2, -1, 3)).numpy(), a.reshape(2, 2, 2, 3))
    np.testing.assert_array_equal(nn.Unflatten(1, (4, 3))(x).numpy(), a.reshape(2, 4, 3))
    _check_grads(lambda v: v.unflatten(1, (6, 2)).sum(-1) * v[:, :6], x)
    assert "dim=1, unflattened_size=(4, 3)" in repr(nn.Unflatten(1, [4, 3]))


def test_unflatten_errors_name_the_sizes_and_the_dimension():
    x = tg.zeros(2, 12)
    with pytest.raises(RuntimeError, match=r"unflatten: sizes \(5, -1\) do not multiply .* 12"):
        x.unflatten(1, (5, -1))
    with pytest.raises(RuntimeError, match=r"unflatten: sizes \(3, 3\) do not multiply"):
        x.unflatten(1, (3, 3))
    with pytest.raises(RuntimeError, match=r"unflatten: sizes \(-1, -1\)"):
        x.unflatten(1, (-1, -1))
    with pytest.raises(IndexError, match=r"unflatten: dimension out of range"):
        x.unflatten(2, (3, 4))


# ---------------------------------------------------------------- dtypes: limits, conversions


def test_finfo_and_iinfo_give_python_numbers():
    f = tg.finfo(tg.float32)
    assert f.eps == float(np.finfo(np.float32).eps) and type(f.eps) is float
    assert (f.max, f.min, f.tiny, f.bits) == (
        float(np.finfo(np.float32).max),
        float(np.finfo(np.float32).min),
        float(np.finfo(np.float32).smallest_normal),
        32,
    )
    assert tg.finfo().eps == f.eps and tg.finfo(tg.float64).eps == np.finfo(np.float64).eps
    i = tg.iinfo(tg.int64)
    assert (i.max, i.min, i.bits, type(i.max)) == (2**63 - 1, -(2**63), 64, int)
    assert (tg.iinfo(tg.uint8).max, tg.iinfo(tg.bool).max) == (255, 1)
    assert "eps=1.19209e-07" in repr(f) and "dtype=int64" in repr(i)
    with pytest.raises(TypeError, match="finfo: needs a floating dtype, got int64"):
        tg.finfo(tg.int64)
    with pytest.raises(TypeError, match="iinfo: needs an integer dtype, got float32"):
        tg.iinfo(tg.float32)


def test_byte_short_and_sum_with_a_dtype():
    x = tg.tensor([[1.7, -2.2], [3.5, 0.0]])
    assert x.byte().dtype == tg.uint8 and x.short().tolist() == [[1, -2], [3, 0]]
    m = x > 0
    assert m.sum(dtype=tg.float32).dtype == tg.float32 and m.sum(dtype=tg.float32).item() == 2
    assert tg.sum(m, 0, dtype=tg.int32).dtype == tg.int32 and m.sum(1).dtype == tg.int64
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    s = w.sum(dtype=tg.float64)
    s.backward()
    assert s.dtype == tg.float64 and w.grad.dtype == tg.float32 and w.grad.tolist() == [1, 1]


def test_flip_takes_dims_by_keyword():
    x = tg.arange(6).reshape(2, 3)
    assert tg.flip(x, dims=[1]).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.flip(dims=(0, 1)).tolist() == x.flip(0, 1).tolist() == tg.flip(x, [0, 1]).tolist()
    with pytest.raises(TypeError, match="flip: dims given twice"):
        tg.flip(x, 0, dims=[1])


def test_size_is_the_tuple_of_shapes():
    x = tg.zeros(2, 3)
    assert x.size() == tg.Size([2, 3]) and isinstance(x.shape, tg.Size) and tg.Size is tuple
