"""Wrong calls across the public API: each ends in one clear error, in PyTorch's category, whose
message names the function (never a raw NumPy or Python error, never silently accepted)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import nn, optim
from tinygrad_cnn.data import DataLoader, TensorDataset, random_split


def _params():
    return [nn.Parameter(tg.randn(2))]


def _images():
    return tg.randn(1, 3, 8, 8)


# (id, call, error type, a regex the message must match: it names the function)
BAD_CALLS = [
    # factories
    ("arange-step-0", lambda: tg.arange(0, 10, 0), RuntimeError, r"arange: step must be nonzero"),
    ("arange-sign", lambda: tg.arange(0, 10, -1), RuntimeError, r"arange: upper bound"),
    ("arange-nan", lambda: tg.arange(float("nan")), RuntimeError, r"arange: unsupported range"),
    ("arange-str", lambda: tg.arange("5"), TypeError, r"arange: end must be a number"),
    ("zeros-negative", lambda: tg.zeros(-1), RuntimeError, r"zeros: sizes must be non-neg.*-1"),
    ("ones-negative", lambda: tg.ones(2, -3), RuntimeError, r"ones: .*\(2, -3\)"),
    ("randn-negative", lambda: tg.randn(-1), RuntimeError, r"randn: sizes must be non-negative"),
    ("rand-negative", lambda: tg.rand((2, -1)), RuntimeError, r"rand: sizes must be non-negative"),
    ("zeros-float", lambda: tg.zeros(2.5), TypeError, r"zeros: size must be a tuple of ints"),
    ("zeros-none", lambda: tg.zeros(None), TypeError, r"zeros: size must be a tuple of ints"),
    ("eye-negative", lambda: tg.eye(-1), RuntimeError, r"eye: sizes must be non-negative"),
    ("full-str", lambda: tg.full((2,), "a"), TypeError, r"full: fill value must be a number"),
    ("full-negative", lambda: tg.full((-2,), 1.0), RuntimeError, r"full: sizes must be non-neg"),
    ("linspace-neg", lambda: tg.linspace(0, 1, -2), RuntimeError, r"linspace: number of steps"),
    ("linspace-float", lambda: tg.linspace(0, 1, 2.5), TypeError, r"linspace: steps must be"),
    ("randint-order", lambda: tg.randint(5, 2, (3,)), RuntimeError, r"randint: low must be less"),
    ("randint-size", lambda: tg.randint(0, 5, (-1,)), RuntimeError, r"randint: sizes must be"),
    ("randn-int-dtype", lambda: tg.randn(2, dtype=tg.int64), TypeError, r"randn: needs a float"),
    # Tensor construction
    ("ragged-list", lambda: tg.Tensor([[1, 2], [3]]), ValueError, r"Tensor: .*ragged.*length 2"),
    ("ragged-tensor", lambda: tg.tensor([[1], [2, 3]]), ValueError, r"Tensor: .*ragged"),
    ("ragged-mixed", lambda: tg.Tensor([[1, 2], 3]), ValueError, r"Tensor: .*ragged.*mixes"),
    ("tensor-str", lambda: tg.Tensor("abc"), TypeError, r"Tensor: cannot make a tensor from str"),
    ("tensor-strs", lambda: tg.Tensor([1, "a"]), TypeError, r"Tensor: .*strings"),
    ("tensor-dict", lambda: tg.Tensor({"a": 1}), RuntimeError, r"Tensor: .*dict"),
    ("tensor-none", lambda: tg.Tensor(None), RuntimeError, r"Tensor: .*NoneType"),
    ("from-numpy-list", lambda: tg.from_numpy([1]), TypeError, r"from_numpy: expected a numpy"),
    ("int-requires-grad", lambda: tg.Tensor([1], requires_grad=True), RuntimeError, r"floating"),
    # Tensor methods
    ("expand-new-dim", lambda: tg.randn(3).expand(-1, 3), RuntimeError, r"expand: size -1 .*new"),
    ("expand-negative", lambda: tg.randn(3).expand(2, -2), RuntimeError, r"expand: size -2"),
    ("reshape-two-1", lambda: tg.randn(2, 3).view(-1, -1), RuntimeError, r"reshape: invalid"),
    ("reshape-float", lambda: tg.randn(4).reshape(2.5), TypeError, r"reshape: sizes must be ints"),
    ("reshape-size", lambda: tg.randn(2, 3).reshape(4, 2), RuntimeError, r"reshape: shape"),
    ("broadcast", lambda: tg.randn(2, 3) + tg.randn(4), RuntimeError, r"add: the size of tensor a"),
    ("broadcast-mul", lambda: tg.randn(3) * tg.randn(2, 2), RuntimeError, r"mul: the size"),
    ("bool-sub", lambda: tg.Tensor([True]) - 1, RuntimeError, r"sub: subtraction.*bool"),
    ("bool-rsub", lambda: 1.5 - tg.Tensor([True]), RuntimeError, r"sub: subtraction.*bool"),
    ("sub-bool", lambda: tg.ones(2) - True, RuntimeError, r"sub: subtraction.*bool"),
    ("sub-bool-tensor", lambda: tg.ones(2) - tg.Tensor([True, False]), RuntimeError, r"sub: "),
    ("bool-neg", lambda: -tg.Tensor([True]), RuntimeError, r"neg: negation.*bool"),
    ("int-neg-pow", lambda: tg.Tensor([1, 2]) ** -1, RuntimeError, r"pow: integers to negative"),
    ("to-unknown", lambda: tg.randn(2).to("tpu"), ValueError, r"to: unknown device or dtype"),
    ("to-object", lambda: tg.randn(2).to(object()), TypeError, r"to: expected a device"),
    ("matmul-shapes", lambda: tg.randn(2, 3) @ tg.randn(2, 3), RuntimeError, r"matmul: shapes"),
    (
        "matmul-dtypes",
        lambda: tg.ones(2, 2) @ tg.ones(2, 2, dtype=tg.float64),
        RuntimeError,
        r"matmul: both operands need the same dtype",
    ),
    ("clip-str", lambda: tg.randn(2).clip("0"), TypeError, r"clip: min and max must be numbers"),
    ("clip-nothing", lambda: tg.randn(2).clip(), ValueError, r"clip: at least one of"),
    ("split-zero", lambda: tg.randn(4).split(0), ValueError, r"split: split size must be"),
    ("chunk-zero", lambda: tg.randn(4).chunk(0), ValueError, r"chunk: chunks must be positive"),
    # dtypes and devices
    ("device-unknown", lambda: tg.device("tpu"), RuntimeError, r"device: expected one of"),
    ("default-int", lambda: tg.set_default_dtype(tg.int64), TypeError, r"set_default_dtype: "),
    ("promote-str", lambda: tg.promote_types("U3", tg.int64), TypeError, r"promote_types: dtype"),
    ("result-type-obj", lambda: tg.result_type(object()), TypeError, r"result_type: expected"),
    # optimizers: every one, each hyperparameter a number >= 0
    ("sgd-lr-str", lambda: optim.SGD(_params(), lr="0.1"), TypeError, r"SGD: lr must be a num"),
    ("sgd-lr", lambda: optim.SGD(_params(), lr=-1), ValueError, r"SGD: invalid lr -1"),
    ("sgd-mom", lambda: optim.SGD(_params(), momentum=-1), ValueError, r"SGD: invalid momentum"),
    ("sgd-wd", lambda: optim.SGD(_params(), weight_decay=-1), ValueError, r"SGD: invalid weight"),
    ("sgd-damp", lambda: optim.SGD(_params(), dampening=-1), ValueError, r"SGD: invalid damp"),
    ("sgd-lr-nan", lambda: optim.SGD(_params(), lr=float("nan")), ValueError, r"SGD: invalid lr"),
    ("sgd-group-lr", lambda: optim.SGD([{"params": _params(), "lr": "x"}]), TypeError, r"SGD: lr"),
    ("adam-lr-str", lambda: optim.Adam(_params(), lr="1e-3"), TypeError, r"Adam: lr must be"),
    ("adam-lr", lambda: optim.Adam(_params(), lr=-1), ValueError, r"Adam: invalid lr"),
    ("adam-wd", lambda: optim.Adam(_params(), weight_decay=-1), ValueError, r"Adam: invalid weig"),
    ("adam-betas", lambda: optim.Adam(_params(), betas=(1.5, 0.9)), ValueError, r"Adam: betas"),
    ("adam-betas-num", lambda: optim.Adam(_params(), betas=0.9), TypeError, r"Adam: betas must"),
    ("adam-eps", lambda: optim.Adam(_params(), eps=-1), ValueError, r"Adam: invalid eps"),
    ("adamw-lr", lambda: optim.AdamW(_params(), lr=-1), ValueError, r"AdamW: invalid lr"),
    ("adamw-wd", lambda: optim.AdamW(_params(), weight_decay=-1), ValueError, r"AdamW: invalid"),
    ("adamw-lr-str", lambda: optim.AdamW(_params(), lr="a"), TypeError, r"AdamW: lr must be"),
    ("rms-lr", lambda: optim.RMSprop(_params(), lr=-1), ValueError, r"RMSprop: invalid lr"),
    ("rms-mom", lambda: optim.RMSprop(_params(), momentum=-1), ValueError, r"RMSprop: invalid mo"),
    ("rms-wd", lambda: optim.RMSprop(_params(), weight_decay=-1), ValueError, r"RMSprop: invalid"),
    ("rms-lr-str", lambda: optim.RMSprop(_params(), lr="a"), TypeError, r"RMSprop: lr must be"),
    # layers: sizes are positive ints, options checked by name
    ("linear-negative", lambda: nn.Linear(-1, 3), ValueError, r"Linear: in_features must be"),
    ("linear-float", lambda: nn.Linear(2.5, 3), TypeError, r"Linear: in_features must be an int"),
    ("linear-out", lambda: nn.Linear(2, "3"), TypeError, r"Linear: out_features must be an int"),
    ("conv-zero", lambda: nn.Conv2d(0, 3, 3), ValueError, r"Conv2d: in_channels must be at least"),
    ("conv-float", lambda: nn.Conv2d(1.0, 3, 3), TypeError, r"Conv2d: in_channels must be an int"),
    ("conv-kernel", lambda: nn.Conv2d(1, 3, 0), ValueError, r"Conv2d: kernel_size must be at"),
    ("conv-stride", lambda: nn.Conv2d(1, 3, 3, stride=0), ValueError, r"Conv2d: stride must be"),
    ("conv-padding", lambda: nn.Conv2d(1, 3, 3, padding=-1), ValueError, r"Conv2d: padding must"),
    ("conv-groups-0", lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, r"Conv2d: groups must"),
    ("conv-groups", lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, r"Conv2d: in_channels \(4"),
    ("convt-zero", lambda: nn.ConvTranspose2d(0, 3, 3), ValueError, r"ConvTranspose2d: in_chan"),
    ("convt-pad", lambda: nn.ConvTranspose2d(1, 1, 3, padding=-1), ValueError, r"ConvTranspose2d"),
    ("maxpool-zero", lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be at"),
    ("maxpool-float", lambda: nn.MaxPool2d(2.5), TypeError, r"MaxPool2d: kernel_size must be an"),
    ("maxpool-dil", lambda: nn.MaxPool2d(2, dilation=0), ValueError, r"MaxPool2d: dilation must"),
    ("avgpool-zero", lambda: nn.AvgPool2d(0), ValueError, r"AvgPool2d: kernel_size must be at"),
    ("avgpool-stride", lambda: nn.AvgPool2d(2, stride=0), ValueError, r"AvgPool2d: stride must"),
    ("avgpool-div", lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, r"AvgPool2d: div"),
    ("adaptive-zero", lambda: nn.AdaptiveAvgPool2d(0), ValueError, r"AdaptiveAvgPool2d: output"),
    ("adaptive-3", lambda: nn.AdaptiveAvgPool2d((1, 1, 1)), ValueError, r"AdaptiveAvgPool2d"),
    ("bn-zero", lambda: nn.BatchNorm2d(0), ValueError, r"BatchNorm2d: num_features must be"),
    ("bn-float", lambda: nn.BatchNorm1d(3.5), TypeError, r"BatchNorm1d: num_features must be an"),
    ("bn-eps", lambda: nn.BatchNorm1d(3, eps=0), ValueError, r"BatchNorm1d: eps must be positive"),
    ("bn-momentum", lambda: nn.BatchNorm2d(3, momentum=2), ValueError, r"BatchNorm2d: momentum"),
    ("dropout-p", lambda: nn.Dropout(2), ValueError, r"Dropout: p must be in \[0, 1\]"),
    ("dropout-str", lambda: nn.Dropout("a"), TypeError, r"Dropout: p must be a number"),
    ("leaky-str", lambda: nn.LeakyReLU("a"), TypeError, r"LeakyReLU: negative_slope must be"),
    ("gelu-mode", lambda: nn.GELU("fast"), ValueError, r"GELU: approximate must be"),
    ("softmax-dim", lambda: nn.Softmax(0.5), TypeError, r"Softmax: dim must be an int"),
    ("flatten-float", lambda: nn.Flatten(0.5), TypeError, r"Flatten: start_dim must be an int"),
    ("seq-not-module", lambda: nn.Sequential(3), TypeError, r"add_module: .* must be a Module"),
    # functional
    ("avg-div-0", lambda: F.avg_pool2d(_images(), 2, divisor_override=0), RuntimeError, r"avg_p"),
    ("avg-div-float", lambda: F.avg_pool2d(_images(), 2, divisor_override=1.5), TypeError, "avg"),
    ("maxpool-k0", lambda: F.max_pool2d(_images(), 0), ValueError, r"max_pool2d: kernel_size"),
    ("conv2d-channels", lambda: F.conv2d(_images(), tg.randn(2, 4, 3, 3)), RuntimeError, r"conv2d"),
    ("conv2d-groups", lambda: F.conv2d(_images(), tg.randn(3, 1, 3, 3), groups=0), ValueError, "c"),
    ("linear-features", lambda: F.linear(tg.randn(2, 3), tg.randn(4, 5)), RuntimeError, r"linear"),
    ("dropout-fp", lambda: F.dropout(tg.randn(2), 1.5), ValueError, r"dropout: probability p"),
    ("pad-negative", lambda: F.pad(tg.randn(2, 3), (-1, 1)), ValueError, r"pad: negative padding"),
    ("mse-shapes", lambda: F.mse_loss(tg.randn(2, 3), tg.randn(3)), RuntimeError, r"mse_loss: in"),
    ("mse-reduction", lambda: F.mse_loss(tg.randn(2), tg.randn(2), "avg"), ValueError, r"mse_lo"),
    ("ce-target", lambda: F.cross_entropy(tg.randn(2, 3), tg.Tensor([0, 5])), IndexError, r"cros"),
    # data
    ("loader-batch-0", lambda: DataLoader(TensorDataset(np.arange(4)), 0), ValueError, r"DataL"),
    ("loader-batch-f", lambda: DataLoader(TensorDataset(np.arange(4)), 2.5), ValueError, r"Data"),
    ("dataset-lengths", lambda: TensorDataset(np.arange(4), np.arange(3)), ValueError, r"TensorD"),
    ("split-sum", lambda: random_split(TensorDataset(np.arange(4)), [3, 3]), ValueError, r"random"),
    ("split-negative", lambda: random_split(TensorDataset(np.arange(4)), [5, -1]), ValueError, "r"),
    ("split-str", lambda: random_split(TensorDataset(np.arange(4)), ["a"]), TypeError, r"random_s"),
    ("loader-dataset", lambda: DataLoader(5), TypeError, r"DataLoader: dataset must have"),
    (
        "loader-shuffle",
        lambda: DataLoader(TensorDataset(np.arange(4)), shuffle="yes"),
        TypeError,
        r"DataLoader: shuffle",
    ),
    # the rest of the API
    (
        "where-shapes",
        lambda: tg.where(tg.Tensor([True, False, True]), tg.randn(2, 3), tg.randn(2)),
        RuntimeError,
        r"where: condition shape \(3,\)",
    ),
    (
        "manual-seed-str",
        lambda: tg.manual_seed("a"),
        TypeError,
        r"manual_seed: seed must be an int",
    ),
    (
        "load-state-int",
        lambda: nn.Linear(2, 3).load_state_dict(5),
        TypeError,
        r"load_state_dict: expected a mapping",
    ),
    ("optimizer-int", lambda: optim.SGD(5), TypeError, r"SGD: params must be an iterable"),
    (
        "gamma-str",
        lambda: optim.lr_scheduler.StepLR(optim.SGD(_params()), 1, gamma="x"),
        TypeError,
        r"StepLR: gamma must be a number",
    ),
    (
        "gamma-negative",
        lambda: optim.lr_scheduler.ExponentialLR(optim.SGD(_params()), -0.5),
        ValueError,
        r"ExponentialLR: gamma must be non-neg",
    ),
    (
        "softmax-int-dtype",
        lambda: F.softmax(tg.randn(2, 3), 1, dtype=tg.int64),
        RuntimeError,
        r"softmax: dtype must be a floating",
    ),
    (
        "tensor-dtype",
        lambda: tg.Tensor([1.0], dtype="foo"),
        TypeError,
        r"Tensor: unknown dtype 'foo'",
    ),
    ("zeros-dtype", lambda: tg.zeros(2, dtype="foo"), TypeError, r"zeros: unknown dtype 'foo'"),
    ("full-dtype", lambda: tg.full((2,), 1, dtype="foo"), TypeError, r"full: unknown dtype 'foo'"),
    (
        "add-str",
        lambda: tg.randn(2) + "a",
        TypeError,
        r"unsupported operand type 'str' for a Tensor operation",
    ),
    (
        "mul-none",
        lambda: tg.randn(2) * None,
        TypeError,
        r"unsupported operand type 'NoneType' for a Tensor",
    ),
    (
        "add-ragged",
        lambda: tg.randn(2) + [[1, 2], [3]],
        ValueError,
        r"Tensor: cannot make a tensor from ragged",
    ),
    ("scheduler-step", lambda: optim.lr_scheduler.StepLR(optim.SGD(_params()), 0), ValueError, "S"),
]


def test_the_list_is_long_and_its_ids_are_unique():
    ids = [c[0] for c in BAD_CALLS]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "call, error, match", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_call_gives_a_clear_error(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert type(info.value) is error  # not a subclass, such as NumPy's own error types
    message = str(info.value)
    assert ": " in message or "Tensor operation" in message  # "<function>: what is wrong"


# the PyTorch call for each entry whose category is PyTorch's (where PyTorch has the same
# function); the entries not listed are deliberate differences or have no PyTorch counterpart
TORCH_CALLS = {
    "arange-step-0": "torch.arange(0, 10, 0)",
    "arange-sign": "torch.arange(0, 10, -1)",
    "arange-nan": "torch.arange(float('nan'))",
    "zeros-negative": "torch.zeros(-1)",
    "ones-negative": "torch.ones(2, -3)",
    "randn-negative": "torch.randn(-1)",
    "zeros-float": "torch.zeros(2.5)",
    "eye-negative": "torch.eye(-1)",
    "full-str": "torch.full((2,), 'a')",
    "linspace-neg": "torch.linspace(0, 1, -2)",
    "randint-order": "torch.randint(5, 2, (3,))",
    "ragged-list": "torch.tensor([[1, 2], [3]])",
    "tensor-str": "torch.tensor('abc')",
    "tensor-dict": "torch.tensor({'a': 1})",
    "tensor-none": "torch.tensor(None)",
    "expand-new-dim": "torch.randn(3).expand(-1, 3)",
    "reshape-two-1": "torch.randn(2, 3).view(-1, -1)",
    "reshape-float": "torch.randn(4).reshape(2.5)",
    "broadcast": "torch.randn(2, 3) + torch.randn(4)",
    "int-neg-pow": "torch.tensor([1, 2]) ** -1",
    "matmul-dtypes": "torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)",
    "bool-sub": "torch.tensor([True]) - 1",
    "bool-rsub": "1.5 - torch.tensor([True])",
    "sub-bool": "torch.ones(2) - True",
    "sub-bool-tensor": "torch.ones(2) - torch.tensor([True, False])",
    "bool-neg": "-torch.tensor([True])",
    "sgd-lr": "torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=-1)",
    "sgd-mom": "torch.optim.SGD([torch.zeros(2, requires_grad=True)], momentum=-1)",
    "adam-lr": "torch.optim.Adam([torch.zeros(2, requires_grad=True)], lr=-1)",
    "adam-betas": "torch.optim.Adam([torch.zeros(2, requires_grad=True)], betas=(1.5, 0.9))",
    "rms-mom": "torch.optim.RMSprop([torch.zeros(2, requires_grad=True)], momentum=-1)",
    "conv-groups-0": "torch.nn.Conv2d(4, 4, 3, groups=0)",
    "conv-groups": "torch.nn.Conv2d(4, 3, 3, groups=2)",
    "linear-float": "torch.nn.Linear(2.5, 3)",
    "dropout-p": "torch.nn.Dropout(2)",
    "avg-div-0": ("torch.nn.functional.avg_pool2d(torch.randn(1, 3, 8, 8), 2, divisor_override=0)"),
}


@pytest.mark.parametrize("key", sorted(TORCH_CALLS))
def test_the_error_category_is_pytorchs(torch, key):
    _, _, error, _ = next(c for c in BAD_CALLS if c[0] == key)
    with pytest.raises(Exception) as info:  # noqa: PT011 (any error; its type is compared)
        eval(TORCH_CALLS[key], {"torch": torch})
    assert isinstance(info.value, error), (key, type(info.value), info.value)
