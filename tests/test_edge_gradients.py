"""Gradients at edge points, pinned as PyTorch defines them.

One table: each case gives the inputs, the upstream gradient, our function, PyTorch's, and the
expected gradients written as formulas (so the table still checks something where PyTorch is
not installed). Every case runs at first order and with ``create_graph=True`` (the path that
builds a graph through the backward, which must give the same values), and against PyTorch
where it is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn.ops.math import Hardtanh

nan, inf = np.nan, np.inf
_EPS12 = float(np.float32(1e-12))  # PyTorch's bound on p(1 − p) in binary_cross_entropy


@dataclass(frozen=True)
class Edge:
    name: str
    inputs: tuple  # float64 arrays (as nested lists)
    ours: Callable  # Tensors -> Tensor
    theirs: Callable  # (torch, tensors) -> tensor
    expected: tuple  # one gradient per input
    upstream: object = None  # the gradient of the output (None: ones)
    atol: float = 0.0  # round-off of the formula, where it sums large terms

    def __str__(self) -> str:
        return self.name


def _bce_grad_p(p, t):
    p, t = np.asarray(p), np.asarray(t)
    return (p - t) / np.maximum(p * (1 - p), _EPS12)


def _bce_grad_t(p):
    with np.errstate(divide="ignore"):
        return np.log1p(-np.asarray(p)) - np.log(np.asarray(p))


_BCE_P, _BCE_T = [0.0, 0.0, 1.0, 1.0, 0.5], [0.0, 1.0, 0.0, 1.0, 0.3]
_UP = [1.0, 2.0, 3.0]

EDGES = [
    # ReLU family: an off unit gets 0, even from a NaN upstream gradient (a select, no product)
    Edge(
        "relu_nan_upstream",
        ([-1.0, 0.0, 1.0],),
        lambda x: x.relu(),
        lambda torch, x: torch.relu(x),
        ([0.0, 0.0, nan],),
        [nan, nan, nan],
    ),
    Edge(
        "F.relu_inf_upstream",
        ([-1.0, 0.0, 1.0],),
        lambda x: F.relu(x),
        lambda torch, x: torch.nn.functional.relu(x),
        ([0.0, 0.0, inf],),
        [inf, inf, inf],
    ),
    Edge(
        "clamp_nan_upstream",
        ([-1.0, -0.5, 0.0, 0.5, 1.0],),
        lambda x: x.clamp(-0.5, 0.5),
        lambda torch, x: x.clamp(-0.5, 0.5),
        ([0.0, nan, nan, nan, 0.0],),
        [nan] * 5,
    ),
    Edge(
        "threshold_nan_upstream",
        ([0.0, 0.5, 1.0],),
        lambda x: tg.threshold(x, 0.5, -2.0),
        lambda torch, x: torch.threshold(x, 0.5, -2.0),
        ([0.0, 0.0, nan],),
        [nan, nan, nan],
    ),
    # hardtanh (unlike clamp) gives 0 at its bounds
    Edge(
        "hardtanh_at_bounds_nan_upstream",
        ([-1.0, -0.5, 0.0, 0.5, 1.0],),
        lambda x: Hardtanh.apply(x, min_val=-0.5, max_val=0.5),
        lambda torch, x: torch.nn.functional.hardtanh(x, -0.5, 0.5),
        ([0.0, 0.0, nan, 0.0, 0.0],),
        [nan] * 5,
    ),
    Edge(
        "relu6_at_0_and_6",
        ([-1.0, 0.0, 3.0, 6.0, 7.0],),
        lambda x: Hardtanh.apply(x, min_val=0.0, max_val=6.0),
        lambda torch, x: torch.nn.functional.relu6(x),
        ([0.0, 0.0, 1.0, 0.0, 0.0],),
    ),
    # clamp: values exactly at a bound get the gradient (the bounds are inside)
    Edge(
        "clamp_at_bounds",
        ([-1.0, -0.5, 0.0, 0.5, 1.0],),
        lambda x: x.clamp(-0.5, 0.5),
        lambda torch, x: x.clamp(-0.5, 0.5),
        ([0.0, 1.0, 1.0, 1.0, 0.0],),
    ),
    Edge(
        "clamp_min_at_bound",
        ([0.0, 0.5, 1.0],),
        lambda x: tg.clamp(x, min=0.5),
        lambda torch, x: torch.clamp(x, min=0.5),
        ([0.0, 1.0, 1.0],),
    ),
    Edge(
        "clip_max_at_bound_nan_upstream",
        ([0.0, 0.5, 1.0],),
        lambda x: x.clip(max=0.5),
        lambda torch, x: x.clip(max=0.5),
        ([nan, nan, 0.0],),
        [nan, nan, nan],
    ),
    # leaky_relu multiplies by its slope (PyTorch too): NaN stays NaN; at 0 the slope
    Edge(
        "leaky_relu_at_0_and_nan_upstream",
        ([-1.0, 0.0, 1.0],),
        lambda x: F.leaky_relu(x, 0.1),
        lambda torch, x: torch.nn.functional.leaky_relu(x, 0.1),
        ([0.1 * nan, 0.1 * nan, nan],),
        [nan, nan, nan],
    ),
    Edge(
        "leaky_relu_at_0",
        ([-1.0, 0.0, 1.0],),
        lambda x: F.leaky_relu(x, 0.1),
        lambda torch, x: torch.nn.functional.leaky_relu(x, 0.1),
        ([0.1, 0.1, 1.0],),
    ),
    # std at zero spread: 0, not NaN (var's gradient is 0 there anyway)
    Edge(
        "std_zero_spread",
        ([2.0, 2.0, 2.0],),
        lambda x: x.std(),
        lambda torch, x: x.std(),
        ([0.0, 0.0, 0.0],),
    ),
    Edge(
        "std_zero_spread_in_one_row",
        ([[1.0, 1.0], [1.0, 3.0]],),
        lambda x: x.std(dim=1, correction=0),
        lambda torch, x: x.std(dim=1, correction=0),
        ([[0.0, 0.0], [-0.5, 0.5]],),
    ),
    Edge(
        "std_of_one_element_is_nan",
        ([2.0],),
        lambda x: x.std(),
        lambda torch, x: x.std(),
        ([nan],),
    ),
    Edge(
        "var_zero_spread",
        ([2.0, 2.0, 2.0],),
        lambda x: x.var(),
        lambda torch, x: x.var(),
        ([0.0, 0.0, 0.0],),
    ),
    # the normalisation pattern on a constant input: finite, (v − mean v)/eps
    Edge(
        "normalise_by_std_plus_eps",
        ([2.0, 2.0, 2.0],),
        lambda x: (x - x.mean()) / (x.std() + 1e-5),
        lambda torch, x: (x - x.mean()) / (x.std() + 1e-5),
        ([(1.0 - 2.0) / 1e-5, 0.0, (3.0 - 2.0) / 1e-5],),
        _UP,
        atol=1e5 * 4 * np.finfo(np.float64).eps,  # sums of ±1e5 terms
    ),
    # x ** e with a tensor exponent at base 0 (and a NaN/inf base with exponent 0)
    Edge(
        "pow_tensor_exponent_at_base_0",
        ([0.0, 0.0, 0.0, 0.0, 2.0, nan, inf], [2.0, 0.0, -1.0, 0.5, 0.0, 0.0, 0.0]),
        lambda a, b: a**b,
        lambda torch, a, b: a**b,
        (
            [0.0, 0.0, -inf, inf, 0.0, 0.0, 0.0],  # d/da = b·a^(b−1), 0 where b = 0
            [0.0, 0.0, -inf, 0.0, np.log(2.0), nan, inf],  # d/db = a^b·log a, 0 at a = 0, b ≥ 0
        ),
    ),
    Edge(
        "pow_scalar_at_0",
        ([0.0, 1.0],),
        lambda x: x**0.5 + x**2 + x**-1.0,
        lambda torch, x: x**0.5 + x**2 + x**-1.0,
        ([inf + 0.0 - inf, 0.5 + 2.0 - 1.0],),  # inf − inf: NaN at 0, as in PyTorch
    ),
    Edge(
        "pow_scalar_half_at_0",
        ([0.0, 4.0],),
        lambda x: x**0.5,
        lambda torch, x: x**0.5,
        ([inf, 0.25],),
    ),
    Edge(
        "pow_scalar_0_nan_upstream",
        ([0.0, 1.0],),
        lambda x: x**0,
        lambda torch, x: x**0,
        ([0.0, 0.0],),
        [nan, nan],
    ),
    # abs and sign at 0 and NaN: sign(0) = sign(NaN) = 0 (PyTorch's sgn)
    Edge(
        "abs_at_0_and_nan",
        ([-1.0, 0.0, -0.0, nan, 1.0],),
        lambda x: x.abs(),
        lambda torch, x: x.abs(),
        ([-1.0, 0.0, 0.0, 0.0, 1.0],),
    ),
    Edge(
        "sign_at_0_and_nan",
        ([-1.0, 0.0, nan],),
        lambda x: x.sign(),
        lambda torch, x: x.sign(),
        ([0.0, 0.0, 0.0],),
    ),
    Edge("sqrt_at_0", ([0.0, 4.0],), lambda x: x.sqrt(), lambda t, x: x.sqrt(), ([inf, 0.25],)),
    Edge("log_at_0", ([0.0, 4.0],), lambda x: x.log(), lambda t, x: x.log(), ([inf, 0.25],)),
    Edge(
        "atan2_at_origin",
        ([0.0, 0.0, 1.0], [0.0, 1.0, 0.0]),
        lambda y, x: y.atan2(x),
        lambda torch, y, x: torch.atan2(y, x),
        ([0.0, 1.0, 0.0], [0.0, 0.0, -1.0]),
    ),
    # binary cross-entropy at p ∈ {0, 1}: (p − t)/max(p(1 − p), 1e−12), log(1 − p) − log p
    Edge(
        "binary_cross_entropy_at_0_and_1",
        (_BCE_P, _BCE_T),
        lambda p, t: F.binary_cross_entropy(p, t, reduction="sum"),
        lambda torch, p, t: torch.nn.functional.binary_cross_entropy(p, t, reduction="sum"),
        (_bce_grad_p(_BCE_P, _BCE_T), _bce_grad_t(_BCE_P)),
    ),
    # ties: maximum/minimum split evenly; amax and a full max split evenly among the maxima
    Edge(
        "maximum_tie",
        ([1.0, 2.0], [1.0, 1.0]),
        lambda a, b: tg.maximum(a, b),
        lambda torch, a, b: torch.maximum(a, b),
        ([0.5, 1.0], [0.5, 0.0]),
    ),
    Edge(
        "minimum_tie",
        ([1.0, 2.0], [1.0, 1.0]),
        lambda a, b: tg.minimum(a, b),
        lambda torch, a, b: torch.minimum(a, b),
        ([0.5, 0.0], [0.5, 1.0]),
    ),
    Edge(
        "amax_tie",
        ([1.0, 2.0, 2.0],),
        lambda x: x.amax(),
        lambda torch, x: x.amax(),
        ([0.0, 0.5, 0.5],),
    ),
    Edge(
        "amax_dim_tie",
        ([[3.0, 3.0, 1.0], [0.0, 5.0, 5.0]],),
        lambda x: x.amax(dim=1),
        lambda torch, x: x.amax(dim=1),
        ([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]],),
    ),
    # max-pool ties: the whole gradient goes to the first maximum of each window
    Edge(
        "max_pool_tie",
        ([[[[1.0, 1.0], [1.0, 1.0]]]],),
        lambda x: F.max_pool2d(x, 2),
        lambda torch, x: torch.nn.functional.max_pool2d(x, 2),
        ([[[[1.0, 0.0], [0.0, 0.0]]]],),
    ),
    Edge(
        "max_pool_overlapping_ties",
        ([[[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]],),
        lambda x: F.max_pool2d(x, 2, stride=1),
        lambda torch, x: torch.nn.functional.max_pool2d(x, 2, stride=1),
        ([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]],),
    ),
    # steps: gradient 0 (also at the jumps)
    Edge(
        "floor_ceil_round_trunc_at_jumps",
        ([1.0, 2.5, -0.5],),
        lambda x: x.floor() + x.ceil() + x.round() + x.trunc(),
        lambda torch, x: x.floor() + x.ceil() + x.round() + x.trunc(),
        ([0.0, 0.0, 0.0],),
        [nan, 1.0, 1.0],
    ),
]


def _ours(case: Edge, create_graph: bool) -> list[np.ndarray]:
    xs = [tg.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in case.inputs]
    with np.errstate(all="ignore"):
        out = case.ours(*xs)
        up = np.ones(out.shape) if case.upstream is None else np.asarray(case.upstream)
        grads = tg.grad(out, xs, tg.Tensor(up), create_graph=create_graph)
    return [g.numpy() for g in grads]


@pytest.mark.parametrize("create_graph", [False, True], ids=["first_order", "create_graph"])
@pytest.mark.parametrize("case", EDGES, ids=str)
def test_edge_gradient_formula(case: Edge, create_graph: bool):
    for got, want in zip(_ours(case, create_graph), case.expected, strict=True):
        want = np.asarray(want, dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=case.atol)


@pytest.mark.filterwarnings("ignore:std\\(\\)")  # PyTorch warns about std of one element
@pytest.mark.parametrize("case", EDGES, ids=str)
def test_edge_gradient_matches_pytorch(case: Edge, torch):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in case.inputs]
    out = case.theirs(torch, *xs)
    up = torch.ones_like(out) if case.upstream is None else torch.tensor(case.upstream)
    theirs = torch.autograd.grad(out, xs, up.to(torch.float64))
    for got, want in zip(_ours(case, False), theirs, strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-15, atol=case.atol)
        # the same signs of zero are not required; the same NaN and inf positions are
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want.numpy()))


def test_relu_backward_uses_a_select_on_raw_arrays_at_first_order():
    """The fast path: no graph through the gradient, one np.where over the arrays."""
    x = tg.Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    y = x.relu()
    (g,) = tg.grad(y, [x], tg.Tensor(np.array([nan, 3.0])))
    assert g.op is None and g.numpy().tolist()[1] == 3.0 and g.numpy()[0] == 0.0
    (g2,) = tg.grad(x.relu(), [x], tg.Tensor(np.array([nan, 3.0]), requires_grad=True),
                    create_graph=True)  # fmt: skip
    assert g2.op is not None and g2.numpy()[0] == 0.0
