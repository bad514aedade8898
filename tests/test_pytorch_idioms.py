"""Everyday PyTorch lines of a CNN course, run unchanged with PyTorch and with tinygrad_cnn.

Each idiom is one piece of source written against the name ``torch`` (and the usual ``nn``,
``F``, ``optim``, ``data`` aliases), run twice: once with ``torch`` bound to PyTorch, once bound
to ``tinygrad_cnn``. The framework spells PyTorch's module paths itself (``tg.nn.functional``,
``tg.optim``, ``tg.utils.data``), so the stand-in for ``torch`` is the package with no adapter
at all. Each idiom leaves its result in ``r``; the two results must agree in kind, values,
dtype and shape, field by field for tuples and named tuples (``.grad`` where a gradient is
the result). An idiom that raises must raise the same category of error in both. Inputs come
from fixed NumPy arrays, copied fresh for every run; random draws are compared by shape and
dtype only.

Idioms that cannot match on purpose are kept, marked ``differs=`` with the reason (and listed
in docs/pytorch-differences.md); they are expected to fail, strictly, so that a change that
makes them match is noticed.
"""

from __future__ import annotations

import builtins
import textwrap
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import tinygrad_cnn as tg

torch = pytest.importorskip("torch")

# ---------------------------------------------------------------- fixed inputs

_rng = np.random.default_rng(1234)
INPUTS = {
    "LOGITS": _rng.standard_normal((8, 5)).astype(np.float32),
    "LABELS": np.array([0, 3, 1, 4, 4, 2, 0, 1], dtype=np.int64),
    "IMGS": _rng.standard_normal((4, 3, 6, 6)).astype(np.float32),
    "M": _rng.standard_normal((3, 4)).astype(np.float32),
    "N": _rng.standard_normal((4, 2)).astype(np.float32),
    "P": _rng.standard_normal((2, 3, 4)).astype(np.float32),
    "Q": _rng.standard_normal((2, 4, 5)).astype(np.float32),
    "SQ": _rng.standard_normal((5, 5)).astype(np.float32),
    "V": np.array([0.5, -1.25, 2.0, -0.75, 0.0, 1.5], dtype=np.float32),
    "XS": _rng.standard_normal((10, 3)).astype(np.float32),
    "YS": np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0], dtype=np.int64),
    "W1": (0.5 * _rng.standard_normal((4, 3))).astype(np.float32),
    "B1": (0.1 * _rng.standard_normal(4)).astype(np.float32),
    "W2": (0.5 * _rng.standard_normal((2, 4))).astype(np.float32),
    "B2": (0.1 * _rng.standard_normal(2)).astype(np.float32),
    "CW": (0.3 * _rng.standard_normal((2, 3, 3, 3))).astype(np.float32),
    "CB": (0.1 * _rng.standard_normal(2)).astype(np.float32),
    "FW": (0.2 * _rng.standard_normal((2, 18))).astype(np.float32),
    "FB": (0.1 * _rng.standard_normal(2)).astype(np.float32),
}

# the small model most idioms train: its weights are loaded from the fixed arrays
MLP = """
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.no_grad():
    for p, w in zip(model.parameters(), [W1, B1, W2, B2]):
        p.copy_(torch.from_numpy(w))
xs, ys = torch.from_numpy(XS), torch.from_numpy(YS)
"""

# a small CNN: conv -> relu -> pool -> flatten -> linear
CNN = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 2, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(2 * 3 * 3, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = x.view(-1, 2 * 3 * 3)
        return self.fc1(x)

net = Net()
with torch.no_grad():
    net.conv1.weight.copy_(torch.tensor(CW))
    net.conv1.bias.copy_(torch.tensor(CB))
    net.fc1.weight.copy_(torch.tensor(FW))
    net.fc1.bias.copy_(torch.tensor(FB))
x = torch.tensor(IMGS)
"""

OUT = "out, y = torch.tensor(LOGITS), torch.tensor(LABELS)\n"


@dataclass(frozen=True)
class Idiom:
    name: str
    code: str
    shape_only: bool = False  # random results: compare kind, shape and dtype only
    differs: str | None = None  # a deliberate difference, with its reason


def _i(name: str, code: str, *, prelude: str = "", **kw) -> Idiom:
    return Idiom(name, prelude + textwrap.dedent(code).strip() + "\n", **kw)


IDIOMS = [
    # ------------------------------------------------------------ accuracy
    _i(
        "max1_unpack_accuracy",
        """
        _, pred = out.max(1)
        r = pred.eq(y.view_as(pred)).float().mean()
    """,
        prelude=OUT,
    ),
    _i(
        "max1_correct_sum_item",
        """
        _, predicted = torch.max(out.data, 1)
        correct = 0
        correct += (predicted == y).sum().item()
        r = (correct, y.size(0), 100 * correct / y.size(0))
    """,
        prelude=OUT,
    ),
    _i("max1_index_1", "r = out.max(1)[1]", prelude=OUT),
    _i("max_dim_named_tuple", "r = out.max(dim=1)", prelude=OUT),
    _i(
        "max_values_indices_fields",
        """
        m = out.max(1, keepdim=True)
        r = (m.values, m.indices, m[0])
    """,
        prelude=OUT,
    ),
    _i("max_without_dim", "r = (out.max(), out.min(), torch.max(out))", prelude=OUT),
    _i("argmax_dim1_accuracy", "r = (out.argmax(dim=1) == y).float().mean().item()", prelude=OUT),
    _i(
        "argmax_keepdim_eq_view_as",
        """
        pred = out.argmax(dim=1, keepdim=True)
        r = (pred, pred.eq(y.view_as(pred)).sum().item())
    """,
        prelude=OUT,
    ),
    _i(
        "softmax_then_max_confidence",
        """
        probs = F.softmax(out, dim=1)
        conf, cls = torch.max(probs, dim=1)
        r = (probs, conf, cls)
    """,
        prelude=OUT,
    ),
    _i(
        "topk_accuracy",
        """
        maxk = 3
        _, pred = out.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(y.view(1, -1).expand_as(pred))
        r = [correct[:k].reshape(-1).float().sum(0, keepdim=True) * (100.0 / y.size(0))
             for k in (1, 3)]
    """,
        prelude=OUT,
    ),
    # ------------------------------------------------------------ shapes
    _i("torch_flatten_1", "r = torch.flatten(torch.tensor(IMGS), 1)"),
    _i("view_minus1_n", "r = torch.tensor(IMGS).view(-1, 3 * 6 * 6)"),
    _i(
        "view_size0_minus1",
        """
        x = torch.tensor(IMGS)
        r = x.view(x.size(0), -1)
    """,
    ),
    _i(
        "reshape_and_flatten_start_dim",
        """
        x = torch.tensor(IMGS)
        r = (x.reshape(4, -1).shape, x.flatten(start_dim=1).shape, x.flatten().shape)
    """,
    ),
    _i("nn_flatten_module", "r = nn.Flatten()(torch.tensor(IMGS))"),
    _i(
        "unsqueeze_none_index",
        """
        v = torch.tensor(V)
        r = (v.unsqueeze(0).shape, v.unsqueeze(-1).shape, v[None, :].shape, v[:, None].shape,
             v.unsqueeze(0).squeeze(0))
    """,
    ),
    _i(
        "squeeze_dims",
        """
        x = torch.zeros(2, 1, 3, 1)
        r = (x.squeeze().shape, x.squeeze(1).shape, x.squeeze(-1).shape, x.squeeze(0).shape)
    """,
    ),
    _i("permute_nchw_to_nhwc", "r = torch.tensor(IMGS).permute(0, 2, 3, 1)"),
    _i("transpose_contiguous_view", "r = torch.tensor(M).transpose(0, 1).contiguous().view(-1)"),
    _i("T_and_t", "a = torch.tensor(M)\nr = (a.T, a.t(), a.T.shape)"),
    _i(
        "cat_dims",
        """
        a = torch.tensor(M)
        r = (torch.cat([a, a], dim=0), torch.cat((a, 2 * a), 1))
    """,
    ),
    _i(
        "stack_dims",
        """
        a = torch.tensor(M)
        r = (torch.stack([a, a * 2]), torch.stack([a, a * 2], dim=1))
    """,
    ),
    _i("chunk", "r = torch.tensor(LOGITS).chunk(3, dim=0)"),
    _i(
        "split_sizes_and_sections",
        """
        out = torch.tensor(LOGITS)
        r = (out.split([2, 3], dim=1), torch.tensor(V).split(4))
    """,
    ),
    _i("repeat", "a = torch.tensor(M)\nr = (a.repeat(2, 1), a.repeat(1, 2, 1))"),
    _i(
        "expand",
        """
        v = torch.tensor(V)
        r = (v.view(1, -1).expand(3, -1), v.unsqueeze(0).expand(2, 6))
    """,
    ),
    _i("iterate_rows", "r = [row.sum() for row in torch.tensor(M)]"),
    _i("unbind_and_len", "a = torch.tensor(M)\nr = (a.unbind(0), len(a))"),
    # ------------------------------------------------------------ indexing
    _i(
        "masked_fill_causal_attention",
        """
        att = torch.tensor(SQ)
        mask = torch.triu(torch.ones(5, 5), diagonal=1).bool()
        r = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
    """,
    ),
    _i("masked_fill_zero", "x = torch.tensor(V)\nr = x.masked_fill(x < 0, 0.0)"),
    _i("gather_true_class", "r = out.gather(1, y.unsqueeze(1)).squeeze(1)", prelude=OUT),
    _i("gather_view_index", "r = out.gather(1, y.view(-1, 1))", prelude=OUT),
    _i("topk_named_tuple", "r = out.topk(3, dim=1)", prelude=OUT),
    _i("sort_descending", "r = torch.sort(torch.tensor(V), descending=True)"),
    _i("argsort_and_sort_method", "v = torch.tensor(V)\nr = (v.argsort(), v.sort())"),
    _i("boolean_mask_index", "v = torch.tensor(V)\nr = v[v > 0]"),
    _i("arange_label_index", "r = out[torch.arange(8), y]", prelude=OUT),
    _i(
        "list_index_and_slices",
        """
        x = torch.tensor(IMGS)
        r = (x[[0, 2, 3]].shape, x[:, 1:3, ::2, -1], x[..., 0].shape, x[-1])
    """,
    ),
    _i(
        "where_tensor_and_scalar",
        """
        v = torch.tensor(V)
        r = (torch.where(v > 0, v, torch.zeros_like(v)), torch.where(v > 0, v, 0.0))
    """,
    ),
    _i("nonzero", "v = torch.tensor(V)\nr = ((v > 0).nonzero(), torch.nonzero(v))"),
    _i("one_hot", "r = (F.one_hot(y, num_classes=5), F.one_hot(y).float())", prelude=OUT),
    # ------------------------------------------------------------ reductions and math
    _i("mean_over_hw", "r = torch.tensor(IMGS).mean(dim=(2, 3))"),
    _i("mean_keepdim_channels", "r = torch.tensor(IMGS).mean(dim=(0, 2, 3), keepdim=True)"),
    _i("std_dim0", "r = torch.tensor(XS).std(dim=0)"),
    _i("var_unbiased_false", "x = torch.tensor(XS)\nr = (x.var(unbiased=False), x.var(0))"),
    _i(
        "standardize_features",
        """
        x = torch.tensor(XS)
        r = (x - x.mean(0)) / (x.std(0) + 1e-8)
    """,
    ),
    _i("sum_dim_keepdim", "r = (out.sum(dim=1, keepdim=True), out.sum(0), out.sum())", prelude=OUT),
    _i(
        "clamp_function_and_method",
        """
        v = torch.tensor(V)
        r = (torch.clamp(v, min=-0.5, max=0.5), v.clamp(min=0), v.clamp(max=1.0))
    """,
    ),
    _i(
        "division_by_zero_and_log_of_zero_are_silent",
        """
        z = torch.zeros(3)
        r = (torch.tensor([1.0, -1.0, 0.0]) / z, torch.log(z), torch.sqrt(-torch.ones(2)),
             torch.log(torch.tensor([0.0, 1.0])).isinf().sum())
    """,
    ),
    _i("abs_max_item", "r = torch.tensor(V).abs().max().item()"),
    _i(
        "isnan_any",
        """
        v = torch.tensor(V)
        r = (torch.isnan(v).any(), torch.isnan(v / 0).any().item(), torch.isinf(1 / v).sum())
    """,
    ),
    _i(
        "allclose",
        """
        a = torch.tensor(M)
        r = (torch.allclose(a, a + 1e-9), torch.allclose(a, a + 1), a.allclose(a * 1.0))
    """,
    ),
    _i("cumsum", "v = torch.tensor(V)\nr = (torch.cumsum(v, dim=0), v.cumsum(0))"),
    _i(
        "softmax_log_softmax",
        """
        r = (F.softmax(out, dim=1), torch.softmax(out, 1), F.log_softmax(out, dim=1).exp().sum(1),
             out.log_softmax(-1))
    """,
        prelude=OUT,
    ),
    _i(
        "activations_as_functions",
        """
        v = torch.tensor(V)
        r = (torch.sigmoid(v), torch.tanh(v), torch.relu(v), F.relu(v), F.leaky_relu(v, 0.1),
             F.gelu(v), torch.exp(v), v.sigmoid())
    """,
    ),
    _i(
        "pow_sqrt_norm",
        """
        v = torch.tensor(V)
        r = ((v ** 2).sum().sqrt(), v.norm(), torch.norm(v, p=2), v.norm(p=1))
    """,
    ),
    _i(
        "einsum_matmul_and_batched",
        """
        a, b, p, q = torch.tensor(M), torch.tensor(N), torch.tensor(P), torch.tensor(Q)
        r = (torch.einsum("ij,jk->ik", a, b), torch.einsum("bij,bjk->bik", p, q),
             torch.einsum("ii", torch.tensor(SQ)), torch.einsum("ij->j", a))
    """,
    ),
    _i(
        "matmul_family",
        """
        a, b, p, q = torch.tensor(M), torch.tensor(N), torch.tensor(P), torch.tensor(Q)
        r = (a @ b, torch.matmul(a, b), torch.mm(a, b), torch.bmm(p, q), p @ q,
             torch.matmul(p, torch.tensor(N[:, 0])))
    """,
    ),
    _i(
        "dot_and_outer",
        """
        v = torch.tensor(V)
        r = (torch.dot(v, v), torch.outer(v, v).shape, v @ v)
    """,
    ),
    # ------------------------------------------------------------ creation and dtypes
    _i("arange_dtypes", "r = (torch.arange(5), torch.arange(0, 1, 0.25), torch.arange(2, 10, 3))"),
    _i(
        "zeros_ones_full",
        """
        r = (torch.zeros(2, 3), torch.ones((2, 3)), torch.full((2,), 3), torch.full((2,), 3.0),
             torch.zeros(3, dtype=torch.long), torch.ones(2, dtype=torch.bool))
    """,
    ),
    _i("linspace_eye", "r = (torch.linspace(0, 1, 5), torch.eye(3), torch.eye(2, 3))"),
    _i(
        "like_factories",
        """
        a = torch.tensor(M)
        r = (torch.zeros_like(a), torch.ones_like(a), torch.full_like(a, 7),
             torch.zeros_like(torch.tensor(LABELS)))
    """,
    ),
    _i(
        "random_factories_shapes",
        """
        torch.manual_seed(0)
        a = torch.tensor(M)
        r = (torch.randn(2, 3), torch.rand(4), torch.randint(0, 10, (3,)), torch.randn_like(a),
             torch.rand(2, 2, dtype=torch.float64), torch.randperm(5))
    """,
        shape_only=True,
    ),
    _i(
        "manual_seed_reproducible",
        """
        torch.manual_seed(0)
        a = torch.randn(3)
        torch.manual_seed(0)
        b = torch.randn(3)
        r = (torch.equal(a, b), bool((a == b).all()))
    """,
    ),
    _i(
        "tensor_literal_dtypes",
        """
        r = (torch.tensor([1, 2]).dtype, torch.tensor([1.0, 2]).dtype, torch.tensor([True]).dtype,
             torch.tensor(3).dtype, torch.tensor(3.5).shape, torch.tensor([[1, 2], [3, 4]]),
             torch.tensor([1, 2], dtype=torch.float32))
    """,
    ),
    _i(
        "from_numpy_as_tensor",
        """
        r = (torch.from_numpy(LABELS).dtype, torch.from_numpy(XS), torch.as_tensor(M),
             torch.as_tensor([1, 2, 3]).dtype, torch.tensor(np.float64(2.5)).dtype)
    """,
    ),
    _i(
        "float_long_double",
        """
        r = (y.float(), out.long(), out.double(), y.to(torch.float32), out.to(dtype=torch.float64),
             out.int().dtype, (out > 0).float(), y.type(torch.float32))
    """,
        prelude=OUT,
    ),
    _i(
        "dtype_comparisons",
        """
        r = (out.dtype == torch.float32, y.dtype == torch.int64, y.dtype == torch.long,
             out.double().dtype == torch.float64, out.is_floating_point(),
             y.is_floating_point(), torch.is_floating_point(out))
    """,
        prelude=OUT,
    ),
    _i(
        "dtype_attributes",
        "r = (out.dtype.is_floating_point, out.dtype.itemsize)",
        prelude=OUT,
        differs="dtypes are NumPy dtypes, without PyTorch's is_floating_point attribute",
    ),
    _i(
        "shape_size_numel_dim",
        """
        x = torch.tensor(IMGS)
        r = (x.shape, x.size(), x.size(1), x.size(-1), x.shape[0], x.numel(), x.dim(), x.ndim,
             len(x), torch.numel(x))
    """,
    ),
    _i(
        "item_tolist_numpy",
        """
        r = (out[0, 0].item(), y.tolist(), out[:2, :2].tolist(), out.sum().item(),
             y[0].item(), out.detach().cpu().numpy())
    """,
        prelude=OUT,
    ),
    _i("default_dtype", "r = (torch.get_default_dtype(), torch.tensor([1.0]).dtype)"),
    _i(
        "promotion_int_float_bool",
        """
        i, f = torch.tensor([1, 2]), torch.tensor([0.5, 1.5])
        b = torch.tensor([True, False])
        r = (i + f, i * 2.5, i / 2, i // 2, b + 1, b.sum(), i.float().mean(), f.double() + f)
    """,
    ),
    _i(
        "floor_divide_and_modulo",
        """
        i, f = torch.tensor([7, -7, 4]), torch.tensor([7.5, -7.5, 4.0])
        r = (i // 2, f // 2, 7 // torch.tensor([2, 3]), i % 3, f % 2, 10 % torch.tensor([3, 4]),
             torch.floor_divide(i, 2), i.floor_divide(3), torch.arange(10) % 2 == 0)
    """,
    ),
    _i(
        "abs_pos_xor_operators",
        """
        v = torch.tensor(V)
        a, b = v > 0, v < 1
        r = (abs(v), +v, a ^ b, True & a, False | b)
    """,
    ),
    _i(
        "var_std_positional_unbiased",
        """
        x = torch.tensor(XS)
        r = (x.var(0, False), x.std(0, True), x.var(0, True, True), x.var(False), x.std(True),
             x.var(0, keepdim=True), x.std(dim=1, correction=0), torch.var(x, 0, False),
             torch.std(x, dim=0), x.var(dim=0, unbiased=False))
    """,
    ),
    _i(
        "shape_functions_torch_namespace",
        """
        x = torch.tensor(IMGS)
        a = torch.tensor(M)
        r = (torch.reshape(a, (4, 3)), torch.squeeze(torch.zeros(1, 3)).shape,
             torch.unsqueeze(a, 0).shape, torch.transpose(a, 0, 1),
             torch.permute(x, (0, 2, 3, 1)).shape,
             torch.t(a), torch.ravel(a), torch.broadcast_to(torch.tensor(V), (2, 6)),
             a.ravel().shape, a.ndimension())
    """,
    ),
    _i(
        "reductions_torch_namespace",
        """
        x = torch.tensor(XS)
        r = (torch.sum(x), torch.sum(x, 0), torch.sum(x, dim=1, keepdim=True), torch.mean(x, 0),
             torch.mean(x, dim=(0, 1)), torch.logsumexp(x, dim=1), torch.log_softmax(x, dim=1),
             torch.softmax(x, dim=0))
    """,
    ),
    _i(
        "hstack_vstack_concat",
        """
        a, v = torch.tensor(M), torch.tensor(V)
        r = (torch.hstack([a, a]), torch.vstack([a, a]), torch.hstack([v, v]), torch.vstack([v, v]),
             torch.concat([a, a], dim=1), torch.concatenate([a, a]))
    """,
    ),
    _i(
        "randperm_empty_shapes",
        """
        torch.manual_seed(0)
        r = (torch.randperm(6), torch.empty(2, 3), torch.empty((3,), dtype=torch.long),
             torch.empty_like(torch.tensor(M)), torch.randperm(4, dtype=torch.int32))
    """,
        shape_only=True,
    ),
    _i("randperm_is_a_permutation", "r = torch.randperm(7).sort().values"),
    _i(
        "shuffle_with_randperm",
        """
        xs, ys = torch.tensor(XS), torch.tensor(YS)
        perm = torch.randperm(10)
        r = (xs[perm].sort(0).values, ys[perm].sum())
    """,
    ),
    _i("t_of_3d_is_an_error", "torch.tensor(P).t()"),
    _i(
        "more_loss_modules",
        """
        a, b = torch.tensor(M), torch.tensor(M[::-1].copy())
        v = torch.tensor(V)
        t = (v > 0).float()
        r = (nn.L1Loss()(a, b), nn.SmoothL1Loss()(a, b), nn.SmoothL1Loss(beta=0.5)(a, b),
             nn.HuberLoss(delta=0.3)(a, b), nn.BCELoss()(torch.sigmoid(v), t),
             nn.BCELoss(weight=torch.tensor(V).abs(), reduction="sum")(torch.sigmoid(v), t),
             nn.L1Loss(reduction="none")(a, b))
    """,
    ),
    _i(
        "is_cuda_and_device_of_a_tensor",
        """
        r = (out.is_cuda, out.device, out.device.type, torch.device("cpu"), str(out.device))
    """,
        prelude=OUT,
    ),
    # ------------------------------------------------------------ errors a course meets
    _i("error_view_wrong_size", "torch.tensor(IMGS).view(5, -1)"),
    _i("error_matmul_shapes", "torch.tensor(M) @ torch.tensor(M)"),
    _i("error_cat_shapes", "torch.cat([torch.tensor(M), torch.tensor(N)], dim=0)"),
    _i("error_item_of_many", "torch.tensor(V).item()"),
    _i("error_backward_non_scalar", "(torch.tensor(V, requires_grad=True) * 2).backward()"),
    _i(
        "error_backward_twice",
        """
        w = torch.tensor(V, requires_grad=True)
        loss = (w * w).sum()
        loss.backward()
        loss.backward()
    """,
    ),
    _i("error_dim_out_of_range", "torch.tensor(M).unsqueeze(5)"),
    _i("error_sum_dim_out_of_range", "torch.tensor(M).sum(dim=2)"),
    _i(
        "error_cross_entropy_class_out_of_range",
        """
        F.cross_entropy(torch.tensor(LOGITS), torch.tensor(LABELS) + 1)
    """,
    ),
    _i("error_linear_shape_mismatch", "nn.Linear(4, 2)(torch.tensor(XS))"),
    _i(
        "error_grad_non_tensor_in_list",
        """
        w = torch.tensor(V, requires_grad=True)
        torch.autograd.grad((w * 2).sum(), [w, "w"])
    """,
    ),
    _i(
        "error_inplace_on_leaf_requiring_grad",
        """
        w = torch.tensor(V, requires_grad=True)
        w.add_(1)
    """,
    ),
    _i(
        "error_numpy_of_requires_grad",
        "torch.tensor(V, requires_grad=True).numpy()",
        differs="numpy() gives a read-only view of any tensor (PyTorch refuses one that "
        "requires grad)",
    ),
    _i("error_load_missing_file", "torch.load(missing_folder_path)"),
    # ------------------------------------------------------------ devices and modes
    _i(
        "device_idiom",
        """
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        x = out.to(device)
        r = (str(device), device.type, x.device.type, x, y.to(device), x.cpu())
    """,
        prelude=OUT,
    ),
    _i(
        "model_to_device",
        """
        device = torch.device("cpu")
        model = model.to(device)
        r = (next(model.parameters()).device.type, model(xs.to(device)))
    """,
        prelude=MLP,
    ),
    _i(
        "no_grad_context",
        """
        w = torch.tensor(M, requires_grad=True)
        with torch.no_grad():
            z = w * 2
        r = (z.requires_grad, (w * 2).requires_grad, torch.is_grad_enabled())
    """,
    ),
    _i(
        "no_grad_decorator",
        """
        @torch.no_grad()
        def predict(t):
            return t * 2
        w = torch.tensor(M, requires_grad=True)
        r = (predict(w).requires_grad, predict(w))
    """,
    ),
    _i(
        "inference_mode_and_set_grad_enabled",
        """
        w = torch.tensor(M, requires_grad=True)
        with torch.inference_mode():
            a = w + 1
        with torch.set_grad_enabled(False):
            b = w + 1
        r = (a.requires_grad, b.requires_grad)
    """,
    ),
    _i(
        "eval_train_flags_dropout_off",
        """
        model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
        model.eval()
        x = torch.from_numpy(XS)
        flags = (model.training, model[1].training, torch.equal(model(x), model(x)))
        model.train()
        r = flags + (model.training, model[1].training)
    """,
    ),
    _i(
        "dropout_training_shapes",
        """
        torch.manual_seed(0)
        x = torch.tensor(IMGS)
        r = (F.dropout(x, p=0.5, training=True), nn.Dropout(0.2)(x), F.dropout(x, 0.5, False))
    """,
        shape_only=True,
    ),
    _i(
        "dropout_eval_is_identity",
        """
        x = torch.tensor(IMGS)
        d = nn.Dropout(0.5)
        d.eval()
        r = (d(x), F.dropout(x, p=0.3, training=False))
    """,
    ),
    # ------------------------------------------------------------ in-place and gradients
    _i(
        "manual_sgd_step_no_grad",
        """
        w = torch.tensor(M, requires_grad=True)
        lr = 0.1
        for _ in range(2):
            loss = (w ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                w.grad.zero_()
        r = (w, w.grad, w.requires_grad, w.is_leaf)
    """,
    ),
    _i(
        "add_mul_inplace",
        """
        t = torch.tensor(V)
        t.add_(1)
        t.mul_(2)
        t.sub_(0.5)
        t.div_(4)
        r = t
    """,
    ),
    _i("mask_assign_zero", "t = torch.tensor(V)\nt[t < 0] = 0\nr = t"),
    _i("clamp_inplace", "t = torch.tensor(V)\nr = (t.clamp_(0, 1), t)"),
    _i(
        "setitem_rows_and_columns",
        """
        t = torch.zeros(3, 4)
        t[0] = 1
        t[:, 1] = torch.tensor([1.0, 2.0, 3.0])
        t[2, 3] = 5
        r = t
    """,
    ),
    _i(
        "augmented_assignment",
        """
        t = torch.ones(2, 3)
        t += 1
        t *= torch.tensor([1.0, 2.0, 3.0])
        t /= 2
        r = t
    """,
    ),
    _i("fill_and_zero_inplace", "t = torch.ones(2, 2)\nt.fill_(3)\nr = (t.clone(), t.zero_())"),
    _i(
        "backward_grad_of_sum",
        """
        w = torch.tensor(M, requires_grad=True)
        (w.sum() * 3).backward()
        r = w.grad
    """,
    ),
    _i(
        "grad_accumulates",
        """
        w = torch.tensor(V, requires_grad=True)
        (w * w).sum().backward()
        (w * 2).sum().backward()
        r = w.grad
    """,
    ),
    _i(
        "requires_grad_detach_leaf",
        """
        t = torch.tensor(V).requires_grad_()
        u = t * 2
        r = (t.requires_grad, t.is_leaf, u.is_leaf, u.detach().requires_grad, t.grad,
             u.grad_fn is not None)
    """,
    ),
    _i(
        "autograd_grad_second_order",
        """
        w = torch.tensor(V, requires_grad=True)
        g, = torch.autograd.grad((w ** 3).sum(), w, create_graph=True)
        h, = torch.autograd.grad(g.sum(), w)
        r = (g, h)
    """,
    ),
    _i(
        "autograd_grad_non_tensor_input",
        """
        w = torch.tensor(V, requires_grad=True)
        torch.autograd.grad((w * 2).sum(), [3])
    """,
    ),
    _i(
        "zero_grad_sets_none",
        """
        opt = optim.SGD(model.parameters(), lr=0.1)
        F.cross_entropy(model(xs), ys).backward()
        had = model[0].weight.grad is not None
        opt.zero_grad()
        r = (had, model[0].weight.grad, model[0].bias.grad)
    """,
        prelude=MLP,
    ),
    # ------------------------------------------------------------ losses
    _i(
        "cross_entropy",
        """
        r = (F.cross_entropy(out, y), nn.CrossEntropyLoss()(out, y),
             F.cross_entropy(out, y, reduction="sum"), F.cross_entropy(out, y, reduction="none"))
    """,
        prelude=OUT,
    ),
    _i(
        "nll_of_log_softmax",
        """
        r = (F.nll_loss(F.log_softmax(out, dim=1), y), nn.NLLLoss()(torch.log_softmax(out, 1), y))
    """,
        prelude=OUT,
    ),
    _i(
        "cross_entropy_label_smoothing_weight",
        """
        w = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
        r = (F.cross_entropy(out, y, label_smoothing=0.1), F.cross_entropy(out, y, weight=w))
    """,
        prelude=OUT,
    ),
    _i(
        "cross_entropy_backward",
        """
        o = torch.tensor(LOGITS, requires_grad=True)
        loss = F.cross_entropy(o, torch.tensor(LABELS))
        loss.backward()
        r = (loss.item(), o.grad)
    """,
    ),
    _i(
        "mse_l1_losses",
        """
        a, b = torch.tensor(M), torch.zeros(3, 4)
        r = (F.mse_loss(a, b), nn.MSELoss()(a, b), F.l1_loss(a, b),
             nn.MSELoss(reduction="sum")(a, b))
    """,
    ),
    _i(
        "bce_losses",
        """
        v = torch.tensor(V)
        t = (v > 0).float()
        r = (F.binary_cross_entropy_with_logits(v, t), nn.BCEWithLogitsLoss()(v, t),
             F.binary_cross_entropy(torch.sigmoid(v), t), nn.BCELoss()(v.sigmoid(), t))
    """,
    ),
    # ------------------------------------------------------------ models
    _i("sequential_forward", "r = (model(xs), model[0].weight.shape, len(model))", prelude=MLP),
    _i("cnn_forward", "r = net(x)", prelude=CNN),
    _i(
        "cnn_backward_grads",
        """
        F.cross_entropy(net(x), torch.tensor([0, 1, 1, 0])).backward()
        r = [p.grad for p in net.parameters()]
    """,
        prelude=CNN,
    ),
    _i(
        "conv_pool_functional",
        """
        x = torch.tensor(IMGS)
        w = torch.tensor(CW)
        r = (F.conv2d(x, w, torch.tensor(CB), padding=1), F.max_pool2d(x, 2),
             F.avg_pool2d(x, kernel_size=2, stride=2), F.max_pool2d(x, kernel_size=3, stride=1),
             nn.MaxPool2d(2)(x), F.adaptive_avg_pool2d(x, 1), nn.AdaptiveAvgPool2d((1, 1))(x))
    """,
    ),
    _i(
        "parameter_count",
        """
        r = (sum(p.numel() for p in model.parameters()),
             sum(p.numel() for p in model.parameters() if p.requires_grad))
    """,
        prelude=MLP,
    ),
    _i(
        "state_dict_and_named_parameters",
        """
        r = (list(model.state_dict().keys()),
             [(n, tuple(p.shape)) for n, p in model.named_parameters()],
             [type(m).__name__ for m in model.children()])
    """,
        prelude=MLP,
    ),
    _i(
        "batchnorm_train_running_stats",
        """
        bn = nn.BatchNorm2d(3)
        x = torch.tensor(IMGS)
        o = bn(x)
        r = (o, bn.running_mean, bn.running_var, bn.num_batches_tracked)
    """,
    ),
    _i(
        "batchnorm_eval",
        """
        bn = nn.BatchNorm2d(3)
        x = torch.tensor(IMGS)
        bn(x)
        bn.eval()
        r = bn(x)
    """,
    ),
    _i(
        "load_state_dict_copy",
        """
        other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        other.load_state_dict(model.state_dict())
        r = other(xs)
    """,
        prelude=MLP,
    ),
    _i(
        "save_load_state_dict",
        """
        torch.save(model.state_dict(), path)
        sd = torch.load(path)
        r = (sorted(sd.keys()), sd["0.weight"])
    """,
        prelude=MLP,
    ),
    _i(
        "save_into_missing_folder",
        """
        torch.save(model.state_dict(), missing_folder_path)
    """,
        prelude=MLP,
    ),
    # ------------------------------------------------------------ optimizers
    _i(
        "sgd_momentum_steps",
        """
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            loss = F.cross_entropy(model(xs), ys)
            loss.backward()
            opt.step()
        r = (list(model.parameters()), loss)
    """,
        prelude=MLP,
    ),
    _i(
        "sgd_weight_decay_nesterov",
        """
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                        weight_decay=1e-2)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(xs), ys).backward()
            opt.step()
        r = list(model.parameters())
    """,
        prelude=MLP,
    ),
    _i(
        "adam_steps",
        """
        opt = optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(xs), ys).backward()
            opt.step()
        r = list(model.parameters())
    """,
        prelude=MLP,
    ),
    _i(
        "step_lr_schedule",
        """
        opt = optim.SGD(model.parameters(), lr=0.1)
        sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        lrs = []
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        r = (lrs, sched.get_last_lr())
    """,
        prelude=MLP,
    ),
    _i(
        "clip_grad_norm",
        """
        F.cross_entropy(model(xs), ys).backward()
        total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.1)
        r = (total, [p.grad for p in model.parameters()])
    """,
        prelude=MLP,
    ),
    _i(
        "training_loop_loss_item",
        """
        opt = optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for epoch in range(4):
            opt.zero_grad()
            loss = F.cross_entropy(model(xs), ys)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        r = losses
    """,
        prelude=MLP,
    ),
    # ------------------------------------------------------------ data
    _i(
        "tensordataset_dataloader_batches",
        """
        ds = data.TensorDataset(torch.from_numpy(XS), torch.from_numpy(YS))
        loader = data.DataLoader(ds, batch_size=4, shuffle=False)
        r = ([(xb.shape, yb.shape) for xb, yb in loader], [xb for xb, _ in loader], len(loader),
             len(ds), ds[0])
    """,
    ),
    _i(
        "dataloader_drop_last_shuffle_shapes",
        """
        torch.manual_seed(0)
        ds = data.TensorDataset(torch.from_numpy(XS), torch.from_numpy(YS))
        loader = data.DataLoader(ds, batch_size=4, shuffle=True, drop_last=True)
        r = ([tuple(xb.shape) for xb, yb in loader], [yb.dtype for _, yb in loader], len(loader))
    """,
    ),
    _i(
        "random_split_lengths",
        """
        ds = data.TensorDataset(torch.from_numpy(XS), torch.from_numpy(YS))
        train, val = data.random_split(ds, [8, 2])
        r = (len(train), len(val), len(data.Subset(ds, [0, 1, 2])), data.Subset(ds, [3])[0])
    """,
    ),
    _i(
        "evaluate_loop_accuracy",
        """
        ds = data.TensorDataset(xs, ys)
        loader = data.DataLoader(ds, batch_size=3)
        model.eval()
        correct, total, loss_sum = 0, 0, 0.0
        with torch.no_grad():
            for xb, yb in loader:
                logits = model(xb)
                loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
                correct += (logits.argmax(1) == yb).sum().item()
                total += yb.size(0)
        r = (correct, total, loss_sum / total)
    """,
        prelude=MLP,
    ),
    _i(
        "custom_dataset_default_collate",
        """
        class Pairs(data.Dataset):
            def __len__(self):
                return 5

            def __getitem__(self, i):
                return torch.tensor(XS[i]), int(YS[i]), XS[i] * 2, bool(i % 2)

        loader = data.DataLoader(Pairs(), batch_size=2)
        batch = next(iter(loader))
        r = (batch, [type(b).__name__ for b in batch], len(loader.dataset), len(loader))
    """,
    ),
    _i(
        "collate_python_floats",
        """
        r = data.default_collate([(0.5, 1), (1.5, 0)])
    """,
        differs="Python floats collate to the default dtype (float32), PyTorch's to float64",
    ),
    _i(
        "collate_named_tuples",
        """
        from collections import namedtuple

        Sample = namedtuple("Sample", ["x", "y"])
        batch = data.default_collate([Sample(torch.tensor(V), 1), Sample(torch.tensor(V), 2)])
        r = (type(batch).__name__, batch.x, batch.y)
    """,
    ),
    _i(
        "dataloader_of_dict_samples",
        """
        class Named(data.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, i):
                return {"x": torch.tensor(XS[i]), "y": torch.tensor(YS[i])}

        r = [b for b in data.DataLoader(Named(), batch_size=3)]
    """,
    ),
    # ------------------------------------------------------------ more of a course
    _i(
        "elementwise_max_min_of_two_tensors",
        """
        a, b = torch.tensor(M), torch.tensor(M[::-1].copy())
        r = (torch.max(a, b), torch.min(a, b), torch.max(a, dim=0), torch.min(a, 1, keepdim=True),
             torch.argmax(a), torch.argmin(a, dim=1))
    """,
    ),
    _i(
        "comparison_counts",
        """
        _, pred = out.max(1)
        r = (torch.sum(pred == y), pred.eq(y).sum(), (pred == y).float().sum(), (pred != y).any())
    """,
        prelude=OUT,
    ),
    _i("sum_axis_alias", "x = torch.tensor(XS)\nr = (x.sum(axis=1), x.mean(axis=0))"),
    _i(
        "ising_periodic_energy",
        """
        s = torch.tensor(np.where(SQ > 0, 1.0, -1.0).astype(np.float32))
        e = -(s * (torch.roll(s, 1, dims=0) + torch.roll(s, 1, dims=1))).sum()
        m = s.mean().abs()
        flips = torch.randint(0, 2, (4, 4)) * 2 - 1
        r = (e, m, s.sum(dim=(0, 1)), flips.shape, flips.dtype)
    """,
    ),
    _i(
        "circular_padding_conv",
        """
        s = torch.tensor(SQ).view(1, 1, 5, 5)
        k = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]).view(1, 1, 3, 3)
        r = (F.conv2d(F.pad(s, (1, 1, 1, 1), mode="circular"), k), F.pad(s, (1, 2)).shape,
             F.pad(s, (1, 1, 1, 1), value=-1.0)[0, 0, 0])
    """,
    ),
    _i(
        "conv_options",
        """
        x, w = torch.tensor(IMGS), torch.tensor(CW)
        r = (F.conv2d(x, w, stride=2, padding=1), F.conv2d(x, w, padding="same"),
             F.conv2d(x, w), nn.Conv2d(3, 4, 3, bias=False).bias,
             nn.Conv2d(3, 4, kernel_size=(3, 5)).weight.shape)
    """,
    ),
    _i(
        "channel_dim_for_conv_input",
        """
        img = torch.tensor(SQ)
        r = (img.unsqueeze(0).unsqueeze(0).shape, img[None, None].float().shape,
             img.view(1, 1, *img.shape).shape)
    """,
    ),
    _i(
        "linspace_column_and_meshgrid",
        """
        t = torch.linspace(-1, 1, 5).view(-1, 1)
        gx, gy = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
        r = (t, gx, gy, torch.exp(-t ** 2), torch.sign(t))
    """,
    ),
    _i(
        "clone_detach_and_new_tensors",
        """
        w = torch.tensor(M, requires_grad=True)
        a, b = w.detach().clone(), w.clone().detach()
        r = (a, b, w.new_zeros(2, 3), w.new_ones((2,)), w.new_full((2,), 4.0),
             w.new_tensor([1, 2]), w.clone().requires_grad)
    """,
    ),
    _i(
        "init_functions_shapes",
        """
        torch.manual_seed(0)
        w = torch.empty(4, 3)
        nn.init.kaiming_normal_(w, nonlinearity="relu")
        v = torch.empty(4, 3)
        nn.init.xavier_uniform_(v)
        b = torch.empty(4)
        nn.init.zeros_(b)
        c = nn.init.constant_(torch.empty(2), 0.5)
        r = (w, v, b, c)
    """,
        shape_only=True,
    ),
    _i(
        "module_apply_init",
        """
        def init_weights(m):
            if isinstance(m, nn.Linear):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

        model.apply(init_weights)
        r = (model(xs), [p for p in model.parameters()])
    """,
        prelude=MLP,
    ),
    _i(
        "module_list_and_ordered_sequential",
        """
        from collections import OrderedDict

        seq = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 2)), ("act", nn.Tanh())]))
        layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        r = (list(seq.state_dict().keys()), len(layers), type(seq.fc).__name__,
             [n for n, _ in layers.named_parameters()])
    """,
    ),
    _i(
        "named_parameters_filter_and_freeze",
        """
        for name, p in model.named_parameters():
            if "bias" in name:
                p.requires_grad = False
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        opt = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
        F.cross_entropy(model(xs), ys).backward()
        opt.step()
        r = (trainable, model[0].bias.grad, model[0].bias, model[0].weight)
    """,
        prelude=MLP,
    ),
    _i(
        "zero_grad_on_the_model_and_train_false",
        """
        F.cross_entropy(model(xs), ys).backward()
        model.zero_grad()
        model.train(False)
        r = (model[0].weight.grad, model.training)
    """,
        prelude=MLP,
    ),
    _i(
        "set_lr_by_hand_and_exponential_schedule",
        """
        opt = optim.SGD(model.parameters(), lr=0.1)
        for g in opt.param_groups:
            g["lr"] = 0.01
        F.cross_entropy(model(xs), ys).backward()
        opt.step()
        sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        sched.step()
        r = (model[0].weight, opt.param_groups[0]["lr"])
    """,
        prelude=MLP,
    ),
    _i(
        "adamw_and_cosine_schedule",
        """
        opt = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        lrs = []
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(xs), ys).backward()
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        r = (list(model.parameters()), lrs)
    """,
        prelude=MLP,
    ),
    _i(
        "optimizer_state_dict_keys",
        """
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        F.cross_entropy(model(xs), ys).backward()
        opt.step()
        sd = opt.state_dict()
        r = (sorted(sd.keys()), sd["param_groups"][0]["lr"], sd["param_groups"][0]["momentum"],
             len(sd["state"]))
    """,
        prelude=MLP,
    ),
    _i(
        "capital_tensor_constructor",
        "r = (torch.Tensor([1, 2]).dtype, torch.Tensor([[1.5]]))",
        differs="tg.Tensor(data) infers the dtype as tg.tensor does (int64 for ints); "
        "PyTorch's torch.Tensor always makes the default float dtype",
    ),
    _i(
        "batchnorm1d_and_eval_argmax",
        """
        bn = nn.BatchNorm1d(3)
        h = bn(torch.from_numpy(XS))
        with torch.no_grad():
            pred = model(xs).argmax(1)
        r = (h, bn.running_mean, pred)
    """,
        prelude=MLP,
    ),
    _i(
        "softmax_module_and_log_softmax_module",
        """
        r = (nn.Softmax(dim=1)(out), nn.LogSoftmax(dim=1)(out), nn.Sigmoid()(out), nn.Tanh()(out),
             nn.LeakyReLU(0.2)(out), nn.GELU()(out), nn.ReLU(inplace=True)(out.clone()))
    """,
        prelude=OUT,
    ),
    _i(
        "old_style_sgd_through_data",
        """
        w = torch.tensor(M, requires_grad=True)
        (w ** 2).sum().backward()
        w.data -= 0.1 * w.grad.data
        w.grad.data.zero_()
        r = (w, w.grad)
    """,
    ),
    _i(
        "fill_weights_under_no_grad",
        """
        lin = nn.Linear(3, 2)
        with torch.no_grad():
            lin.weight.fill_(1.0)
            lin.bias.zero_()
        r = lin(torch.from_numpy(XS))
    """,
    ),
    _i(
        "format_and_python_numbers",
        """
        loss = F.cross_entropy(out, y)
        r = (f"{loss.item():.4f}", f"{loss:.3f}", float(loss) == loss.item(),
             int(torch.tensor(3)), round(loss.item(), 2))
    """,
        prelude=OUT,
    ),
    _i(
        "numpy_interop",
        """
        a = np.asarray(out)
        b = np.array(y)
        r = (a.dtype.name, b.dtype.name, a.shape, out.numpy().tolist() == out.tolist(),
             torch.tensor([np.float32(1.5), np.float32(2.5)]).dtype)
    """,
        prelude=OUT,
    ),
    _i(
        "losses_list_mean",
        """
        losses = [F.cross_entropy(out[i:i + 2], y[i:i + 2]) for i in range(0, 8, 2)]
        r = (torch.stack(losses).mean(), sum(losses) / len(losses),
             torch.tensor([l.item() for l in losses]).mean())
    """,
        prelude=OUT,
    ),
    _i(
        "one_hot_by_scatter",
        """
        r = (torch.zeros(8, 5).scatter_(1, y.view(-1, 1), 1.0),
             torch.zeros(8, 5).scatter(1, y.unsqueeze(1), 1))
    """,
        prelude=OUT,
    ),
    _i(
        "masked_select_index_select",
        """
        v = torch.tensor(V)
        r = (v.masked_select(v > 0), out.index_select(0, torch.tensor([0, 2])),
             out.index_select(1, torch.arange(2)))
    """,
        prelude=OUT,
    ),
    _i(
        "pairwise_distances_by_broadcasting",
        """
        x = torch.tensor(XS)
        d = (x[:, None, :] - x[None, :, :]).pow(2).sum(-1).sqrt()
        r = (d, torch.cdist(x, x).shape, x.pow(2).sum(1).sqrt(), torch.isclose(d, d.T).all())
    """,
    ),
    _i(
        "class_counts",
        """
        r = (torch.bincount(y), y.bincount(minlength=6), torch.unique(y),
             torch.unique(y, return_counts=True))
    """,
        prelude=OUT,
    ),
    _i(
        "clamped_log_and_math_constants",
        """
        p = torch.sigmoid(out)
        r = (p.clamp(min=1e-7).log(), torch.log(torch.tensor(2.0)), torch.tensor(3.0).sqrt(),
             torch.pi, torch.e, torch.inf, torch.tensor(float("nan")).isnan())
    """,
        prelude=OUT,
    ),
    _i(
        "sum_over_dim_lists",
        """
        x = torch.tensor(IMGS)
        r = (x.sum(dim=[1, 2]), x.mean([2, 3]), x.amax(dim=(2, 3)), x.max(dim=1).values.max(),
             x.nelement() == x.numel(), x.element_size())
    """,
    ),
    _i(
        "sort_indices_top3",
        """
        vals, idx = out.sort(dim=1, descending=True)
        r = (idx[:, :3], vals[:, 0], out.sort(1, descending=True)[1][:, :3])
    """,
        prelude=OUT,
    ),
    _i(
        "zero_grad_set_to_none_false_and_requires_grad_",
        """
        opt = optim.SGD(model.parameters(), lr=0.1)
        F.cross_entropy(model(xs), ys).backward()
        opt.zero_grad(set_to_none=False)
        grads = [p.grad for p in model.parameters()]
        model.requires_grad_(False)
        r = (grads, [p.requires_grad for p in model.parameters()], model(xs).requires_grad)
    """,
        prelude=MLP,
    ),
    _i(
        "clip_grad_value",
        """
        F.cross_entropy(model(xs), ys).backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
        r = [p.grad for p in model.parameters()]
    """,
        prelude=MLP,
    ),
    _i(
        "seeding_helper",
        """
        import random

        def set_seed(seed):
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            torch.cuda.manual_seed_all(seed)

        set_seed(0)
        a = torch.rand(3)
        set_seed(0)
        r = torch.equal(a, torch.rand(3))
    """,
    ),
    _i(
        "dropout2d_module",
        """
        torch.manual_seed(0)
        d = nn.Dropout2d(0.5)
        x = torch.tensor(IMGS)
        y_train = d(x)
        d.eval()
        r = (y_train.shape, d(x), (y_train == 0).all(dim=(2, 3)).shape)
    """,
    ),
    _i(
        "mnist_style_net_shapes",
        """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.conv2 = nn.Conv2d(4, 8, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.fc1 = nn.Linear(8 * 4 * 4, 16)
                self.fc2 = nn.Linear(16, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch.flatten(x, 1)
                x = F.relu(self.fc1(x))
                return F.log_softmax(self.fc2(x), dim=1)

        torch.manual_seed(0)
        net = Net()
        x = torch.randn(2, 1, 12, 12)
        out = net(x)
        loss = F.nll_loss(out, torch.tensor([3, 7]))
        loss.backward()
        r = (out, loss, [p.grad for p in net.parameters()])
    """,
        shape_only=True,
    ),
    # ------------------------------------------------------------ modules and autograd, more
    _i(
        "custom_module_with_parameter_and_buffer",
        """
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.tensor(V))
                self.register_buffer("count", torch.zeros(1))

            def forward(self, x):
                self.count += 1
                return x * self.w

        m = Scale()
        o = m(torch.ones(6))
        o.sum().backward()
        r = (o, m.w.grad, m.count, list(m.state_dict().keys()), [n for n, _ in m.named_buffers()],
             isinstance(m.w, nn.Parameter), m.w.requires_grad)
    """,
    ),
    _i(
        "modules_children_named_modules_indexing",
        """
        r = ([type(m).__name__ for m in model.modules()], [n for n, _ in model.named_modules()],
             type(model[-1]).__name__, len(model[:2]), type(model[:2]).__name__)
    """,
        prelude=MLP,
    ),
    _i(
        "model_double_and_to_dtype",
        """
        m64 = model.double()
        r = (m64[0].weight.dtype, m64(xs.double()).dtype, model.float()[0].weight.dtype,
             xs.to(torch.float64).dtype)
    """,
        prelude=MLP,
    ),
    _i(
        "load_state_dict_strict_false",
        """
        other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        sd = model.state_dict()
        del sd["2.bias"]
        res = other.load_state_dict(sd, strict=False)
        r = (res.missing_keys, res.unexpected_keys, other[0].weight)
    """,
        prelude=MLP,
    ),
    _i(
        "backward_with_gradient_argument_and_retain_graph",
        """
        w = torch.tensor(V, requires_grad=True)
        y = w * w
        y.backward(torch.ones_like(y), retain_graph=True)
        y.backward(torch.full_like(y, 2.0))
        r = w.grad
    """,
    ),
    _i(
        "retain_grad_and_hooks",
        """
        w = torch.tensor(V, requires_grad=True)
        h = w * 3
        h.retain_grad()
        w.register_hook(lambda g: g * 2)
        (h * h).sum().backward()
        r = (h.grad, w.grad)
    """,
    ),
    _i(
        "enable_grad_inside_no_grad",
        """
        w = torch.tensor(V, requires_grad=True)
        with torch.no_grad():
            with torch.enable_grad():
                a = w * 2
            b = w * 2
        r = (a.requires_grad, b.requires_grad)
    """,
    ),
    _i(
        "grad_is_none_before_backward",
        """
        w = torch.tensor(V, requires_grad=True)
        r = (w.grad, torch.tensor(V).requires_grad)
    """,
    ),
    _i("error_integer_tensor_requires_grad", "torch.ones(2, dtype=torch.long, requires_grad=True)"),
    _i("error_requires_grad_on_integer_tensor", "torch.tensor([1, 2]).requires_grad_()"),
    _i(
        "error_wrong_number_of_image_dims_for_conv",
        """
        nn.Conv2d(3, 2, 3)(torch.zeros(3, 2, 6, 6))
    """,
    ),
    _i("error_nll_with_float_targets", "F.cross_entropy(out, y.float())", prelude=OUT),
    _i(
        "cross_entropy_with_probability_targets",
        """
        r = F.cross_entropy(out, F.softmax(torch.tensor(LOGITS[::-1].copy()), dim=1))
    """,
        prelude=OUT,
    ),
    _i("error_optimizer_on_empty_list", "optim.SGD([], lr=0.1)"),
    _i(
        "flatten_unflatten_and_view_of_noncontiguous",
        """
        x = torch.tensor(IMGS)
        r = (x.flatten(1).unflatten(1, (3, 36)).shape,
             nn.Unflatten(1, (3, 6, 6))(x.flatten(1)).shape,
             x.transpose(2, 3).reshape(4, -1))
    """,
    ),
    _i(
        "error_view_of_noncontiguous",
        "torch.tensor(M).t().view(-1)",
        differs="view is reshape: it copies where the layout needs it (PyTorch refuses a view "
        "of a non-contiguous tensor and asks for reshape)",
    ),
    # ------------------------------------------------------------ numerics and preprocessing
    _i(
        "manual_softmax_and_cross_entropy",
        """
        e = (out - out.max(dim=1, keepdim=True)[0]).exp()
        p = e / e.sum(dim=1, keepdim=True)
        ce = torch.log_softmax(out, 1).gather(1, y[:, None]).mean().neg()
        r = (p, ce, -torch.log(p[torch.arange(8), y]).mean())
    """,
        prelude=OUT,
    ),
    _i(
        "row_normalise",
        """
        x = torch.tensor(XS)
        r = (x / x.norm(dim=1, keepdim=True), x.norm(dim=1), torch.norm(x, dim=0))
    """,
    ),
    _i(
        "image_normalisation",
        """
        raw = torch.tensor((np.abs(IMGS) * 60).astype(np.uint8))
        x = raw.float() / 255.0
        mean = x.mean(dim=(0, 2, 3))
        std = x.std(dim=(0, 2, 3))
        z = (x - mean[:, None, None]) / std[:, None, None]
        t = x.clone()
        t.sub_(0.5).div_(0.25)
        r = (raw.dtype, z, t, z.mean(dim=(0, 2, 3)))
    """,
    ),
    _i(
        "finfo_iinfo",
        """
        f = torch.finfo(torch.float32)
        r = (f.eps, f.max, f.min, f.tiny, f.bits, torch.finfo(torch.float64).eps,
             torch.iinfo(torch.int64).max, torch.iinfo(torch.uint8).min,
             torch.iinfo(torch.int32).bits,
             torch.finfo(out.dtype).eps, torch.finfo().eps)
    """,
        prelude=OUT,
    ),
    _i(
        "integer_and_byte_conversions",
        """
        r = ((out * 10).int(), (out > 0).byte(), out.short().dtype, out.to(torch.bool), y.bool(),
             (out * 10).long())
    """,
        prelude=OUT,
    ),
    _i(
        "sum_with_dtype",
        """
        mask = out > 0
        r = (mask.sum(dtype=torch.float32), out.sum(dtype=torch.float64), mask.sum(1).dtype,
             torch.sum(mask, dim=0, dtype=torch.int32))
    """,
        prelude=OUT,
    ),
    _i(
        "any_all_dims",
        """
        m = out > 0
        r = (m.any(dim=1), m.all(), m.all(dim=0), torch.any(m), torch.all(m, dim=1), m.any().item())
    """,
        prelude=OUT,
    ),
    _i(
        "flip_rot90_roll_augment",
        """
        x = torch.tensor(IMGS)
        r = (torch.flip(x, dims=[3]), torch.rot90(x, 1, [2, 3]), torch.roll(x, shifts=1, dims=2),
             torch.flip(x, dims=(-1, -2)), x.flip(0).shape, torch.tensor(SQ).fliplr())
    """,
    ),
    _i(
        "triangles_diagonals_trace",
        """
        a = torch.tensor(SQ)
        r = (torch.tril(torch.ones(3, 3)), torch.triu(a, 1), torch.diag(torch.tensor([1.0, 2.0])),
             torch.diag(a), a.diagonal(), torch.trace(a), a.trace())
    """,
    ),
    _i(
        "round_sign_argsort",
        """
        r = (out.round(decimals=2), out.sign(), torch.argsort(out, dim=1, descending=True),
             torch.round(out * 3), out.floor(), out.ceil())
    """,
        prelude=OUT,
    ),
    _i(
        "tensor_of_0d_tensors_and_numpy_arrays",
        """
        l1, l2 = F.cross_entropy(out, y), F.mse_loss(out, torch.zeros(8, 5))
        r = (torch.tensor([l1.item(), l2.item()]), torch.tensor([l1, l2]),
             torch.tensor(np.array([1, 2])), torch.from_numpy(XS.astype(np.float64)).float())
    """,
        prelude=OUT,
    ),
    _i(
        "shape_comparisons",
        """
        x = torch.tensor(IMGS)
        r = (x.shape == (4, 3, 6, 6), x.size() == torch.Size([4, 3, 6, 6]), len(x.shape),
             list(x.shape), x.shape[1:], tuple(x.shape[-2:]), isinstance(x.shape, tuple))
    """,
    ),
    _i(
        "error_tensor_of_multi_element_tensors",
        "torch.tensor([torch.tensor(V), torch.tensor(V)])",
        differs="tg.tensor stacks a list of equal-shaped tensors (PyTorch accepts 0-d ones only)",
    ),
]


# ---------------------------------------------------------------- comparison


def _np_dtype(d) -> np.dtype:
    if isinstance(d, torch.dtype):
        return torch.empty(0, dtype=d).numpy().dtype
    return np.dtype(d)


def _error_category(e: BaseException) -> type:
    """The nearest built-in exception class (PyTorch's and ours may subclass them)."""
    return next(c for c in type(e).__mro__ if getattr(builtins, c.__name__, None) is c)


def _assert_arrays(ours: np.ndarray, theirs: np.ndarray, where: str, shape_only: bool) -> None:
    assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype}, PyTorch {theirs.dtype}"
    assert ours.shape == theirs.shape, f"{where}: shape {ours.shape}, PyTorch {theirs.shape}"
    if shape_only:
        return
    if ours.dtype.kind == "f":
        tol = {2: 1e-3, 4: 1e-5, 8: 1e-12}[ours.dtype.itemsize]
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=where)
    else:
        np.testing.assert_array_equal(ours, theirs, err_msg=where)


def assert_same(ours, theirs, where: str = "r", shape_only: bool = False) -> None:
    """``ours`` (tinygrad_cnn) is what PyTorch's ``theirs`` is, down to every field."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"{where}: {type(ours).__name__}, PyTorch a Tensor"
        assert ours.requires_grad == theirs.requires_grad, f"{where}: requires_grad"
        _assert_arrays(ours.detach().numpy(), theirs.detach().numpy(), where, shape_only)
    elif isinstance(theirs, torch.dtype):
        assert isinstance(ours, np.dtype), f"{where}: {ours!r} is not a dtype"
        assert ours == _np_dtype(theirs), f"{where}: {ours}, PyTorch {theirs}"
    elif isinstance(theirs, torch.device):
        assert str(ours) == str(theirs), f"{where}: device {ours}, PyTorch {theirs}"
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{where}: {type(ours).__name__}, PyTorch ndarray"
        _assert_arrays(ours, theirs, where, shape_only)
    elif hasattr(type(theirs), "n_fields"):  # torch.return_types: a structseq
        fields = type(theirs).__match_args__
        assert type(ours).__name__ == type(theirs).__name__, f"{where}: {type(ours).__name__}"
        assert getattr(type(ours), "_fields", None) == fields, f"{where}: fields"
        for name in fields:
            assert_same(getattr(ours, name), getattr(theirs, name), f"{where}.{name}", shape_only)
    elif isinstance(theirs, (tuple, list)):  # torch.Size is a tuple
        kind = tuple if isinstance(theirs, tuple) else list
        assert isinstance(ours, kind), f"{where}: {type(ours).__name__}, PyTorch {kind.__name__}"
        assert len(ours) == len(theirs), f"{where}: length {len(ours)}, PyTorch {len(theirs)}"
        for k, (o, t) in enumerate(zip(ours, theirs)):
            assert_same(o, t, f"{where}[{k}]", shape_only)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{where}: keys"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{where}[{k!r}]", shape_only)
    elif isinstance(theirs, (bool, int, float, str)) or theirs is None:
        assert type(ours) is type(theirs), f"{where}: {ours!r}, PyTorch {theirs!r}"
        if isinstance(theirs, float) and not shape_only:
            assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6, nan_ok=True), where
        elif not shape_only:
            assert ours == theirs, f"{where}: {ours!r}, PyTorch {theirs!r}"
    else:
        raise AssertionError(f"{where}: no rule to compare a {type(theirs).__name__}")


# ---------------------------------------------------------------- running


_NO_RESULT = object()  # an idiom that only raises in PyTorch sets no r


def run(idiom: Idiom, lib, folder) -> dict:
    """Run ``idiom`` with ``torch`` bound to ``lib``; its ``r``, or the error it raised."""
    names = {
        "torch": lib,
        "nn": lib.nn,
        "F": lib.nn.functional,
        "optim": lib.optim,
        "data": lib.utils.data,
        "np": np,
        "path": str(folder / f"{lib.__name__}.pt"),
        "missing_folder_path": str(folder / "no such folder" / "model.pt"),
        **{k: v.copy() for k, v in INPUTS.items()},
    }
    try:
        with warnings.catch_warnings():
            if lib is tg:  # NumPy's warnings for x/0, log(0), ... where PyTorch is silent
                warnings.simplefilter("error", RuntimeWarning)
            exec(compile(idiom.code, f"<idiom {idiom.name}>", "exec"), names)
    except Exception as e:  # the error is part of the result
        return {"error": e}
    return {"r": names.get("r", _NO_RESULT)}


def _param(idiom: Idiom):
    marks = [pytest.mark.xfail(reason=idiom.differs, strict=True)] if idiom.differs else []
    return pytest.param(idiom, id=idiom.name, marks=marks)


@pytest.mark.parametrize("idiom", [_param(i) for i in IDIOMS])
def test_idiom_matches_pytorch(idiom: Idiom, tmp_path) -> None:
    torch.manual_seed(0)
    theirs = run(idiom, torch, tmp_path)
    ours = run(idiom, tg, tmp_path)
    if "error" in theirs:
        assert "error" in ours, f"PyTorch raises {theirs['error']!r}, ours returns {ours['r']!r}"
        assert _error_category(ours["error"]) is _error_category(theirs["error"]), (
            f"ours raises {ours['error']!r}, PyTorch {theirs['error']!r}"
        )
        return
    if "error" in ours:
        raise AssertionError(f"ours raises {ours['error']!r}") from ours["error"]
    assert theirs["r"] is not _NO_RESULT, f"idiom {idiom.name} sets no r and raises nothing"
    assert_same(ours["r"], theirs["r"], shape_only=idiom.shape_only)


def test_there_are_many_idioms_with_distinct_names() -> None:
    names = [i.name for i in IDIOMS]
    assert len(names) >= 80 and len(set(names)) == len(names)


def test_the_framework_spells_pytorchs_module_paths() -> None:
    # so that ``torch`` can be bound to the package itself, with no adapter in between
    import tinygrad_cnn.nn.functional as F
    import tinygrad_cnn.optim
    import tinygrad_cnn.utils.data

    assert tg.nn.functional is F is tg.functional
    assert tg.optim is tinygrad_cnn.optim and tg.utils.data is tinygrad_cnn.utils.data
    assert tg.utils.data.DataLoader is tg.data.DataLoader


def test_the_comparison_notices_differences() -> None:
    t = torch.tensor([1.0, 2.0])
    for ours in (
        tg.tensor([1.0, 2.5]),  # a value
        tg.tensor([1.0, 2.0], dtype=tg.float64),  # the dtype
        tg.tensor([[1.0, 2.0]]),  # the shape
        tg.tensor([1.0, 2.0], requires_grad=True),  # requires_grad
        [1.0, 2.0],  # the kind
    ):
        with pytest.raises(AssertionError):
            assert_same(ours, t)
    with pytest.raises(AssertionError):  # a field of a named tuple
        assert_same(tg.tensor([[1.0, 3.0]]).max(1), torch.tensor([[3.0, 1.0]]).max(1))
    with pytest.raises(AssertionError):  # int where PyTorch has a bool
        assert_same(1, True)
    assert_same(tg.tensor([[1.0, 3.0]]).max(1), torch.tensor([[1.0, 3.0]]).max(1))
