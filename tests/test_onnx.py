"""ONNX export: the models run in onnxruntime give our forward's outputs at batch 1 and 5.

Skipped when ``onnx`` or ``onnxruntime`` is not installed (``pip install tinygrad-cnn[onnx]``),
except the test of the error that says so.
"""

from __future__ import annotations

import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_cnn as tg
from tinygrad_cnn import nn

ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-5  # of the output's scale (its largest magnitude), float32


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def _session(ort, proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def _randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random parameters and running statistics, so that no layer is exported as a no-op."""
    rng = np.random.default_rng(seed)
    with tg.no_grad():
        for name, t in [*model.named_parameters(), *model.named_buffers()]:
            if t.dtype != tg.float32:
                continue
            if name.endswith("running_var"):
                values = rng.uniform(0.5, 2.0, t.shape)
            elif name.endswith(".weight") and t.ndim == 1:  # batch-norm scales, PReLU slopes
                values = rng.uniform(0.5, 1.5, t.shape)
            else:
                values = rng.uniform(-0.5, 0.5, t.shape)
            t.copy_(tg.tensor(values.astype(np.float32)))
    return model


def _compare(ort, model: nn.Module, shape: tuple[int, ...], batches=(1, 5), **kwargs):
    """Export at batch 1, run at each batch size; returns the ModelProto."""
    rng = np.random.default_rng(1)
    example = tg.tensor(rng.standard_normal(shape).astype(np.float32))
    proto = tg.onnx.export(model, example, None, **kwargs)
    session = _session(ort, proto)
    model.eval()
    for b in batches:
        x = rng.standard_normal((b, *shape[1:])).astype(np.float32)
        with tg.no_grad():
            want = model(tg.tensor(x)).numpy()
        (got,) = session.run(None, {session.get_inputs()[0].name: x})
        assert got.shape == want.shape and got.dtype == np.float32
        scale = float(np.abs(want).max())
        assert scale > 0
        err = float(np.abs(got.astype(np.float64) - want).max())
        assert err <= RTOL * scale, (b, err, scale)
    return proto


# ------------------------------------------------------------------------------ the models
def test_lenet_round_trip(ort) -> None:
    model = _randomise(tg.models.lenet())
    model.train()
    model.fc1.eval()
    tg.onnx.export(model, tg.zeros(1, 1, 28, 28), None)  # in eval mode, then restored:
    assert [m.training for m in model.modules()] == [m is not model.fc1 for m in model.modules()]
    proto = _compare(ort, model, (1, 1, 28, 28))
    ops = [n.op_type for n in proto.graph.node]
    assert ops == [
        "Conv", "BatchNormalization", "Relu", "MaxPool",
        "Conv", "BatchNormalization", "Relu", "MaxPool",
        "Flatten", "Gemm", "Relu", "Identity", "Gemm",
    ]  # fmt: skip
    assert [n.name for n in proto.graph.node][:2] == ["conv1", "bn1"]


def test_lenet_for_digits_round_trip(ort) -> None:
    _compare(ort, _randomise(tg.models.lenet(image_size=8)), (1, 1, 8, 8))


def test_ising_cnn_round_trip(ort) -> None:
    model = _randomise(tg.models.ising_cnn(16))
    proto = _compare(ort, model, (1, 1, 16, 16))
    ops = {n.op_type for n in proto.graph.node}
    assert {"Slice", "Concat", "Conv", "GlobalAveragePool", "Gemm"} <= ops  # circular padding


def test_the_file_holds_opset_parameters_and_a_dynamic_batch(ort, tmp_path: Path) -> None:
    import onnx

    model = _randomise(tg.models.lenet(image_size=8))
    path = tmp_path / "lenet.onnx"
    returned = tg.onnx.export(model, tg.zeros(1, 1, 8, 8), path)
    proto = onnx.load(str(path))
    assert proto == returned
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", 17)]
    assert proto.producer_name == "tinygrad_cnn"
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    state = model.state_dict()
    for name, value in inits.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, state[name].numpy())
    assert set(inits) == {k for k in state if not k.endswith("num_batches_tracked")}
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, out.name) == ("input", "output")
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == [
        "batch",
        1,
        8,
        8,
    ]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 10]


def test_names_opset_and_a_fixed_batch(ort) -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.GELU())
    proto = tg.onnx.export(
        model,
        tg.randn(4, 3),
        None,
        opset_version=20,
        input_names=["x"],
        output_names=["y"],
        dynamic_batch=False,
    )
    assert proto.opset_import[0].version == 20
    assert "Gelu" in [n.op_type for n in proto.graph.node]  # GELU is one operator from 20
    session = _session(ort, proto)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with tg.no_grad():
        want = model(tg.tensor(x)).numpy()
    np.testing.assert_allclose(session.run(["y"], {"x": x})[0], want, rtol=1e-5, atol=1e-6)
    with pytest.raises(Exception, match="(?i)dimension|shape"):
        session.run(None, {"x": np.zeros((5, 3), np.float32)})


# ------------------------------------------------------------------------------ every layer
def L(name: str, *args, **kwargs):
    """``nn.<name>(*args, **kwargs)``, built when the case runs; the case is skipped where
    this nn has no such layer (the wider set of activations)."""

    def build() -> nn.Module:
        cls = getattr(nn, name, None)
        if cls is None:
            pytest.skip(f"nn.{name} does not exist here")
        return cls(*args, **kwargs)

    return build


def case(name: str, shape: tuple[int, ...], *layers):
    return pytest.param(shape, lambda: nn.Sequential(*(b() for b in layers)), id=name)


def act(name: str, *args, **kwargs):
    """An activation after a convolution (so its input has both signs)."""
    tag = "-".join([name.lower(), *(str(v) for v in (*args, *kwargs.values()))])
    return case(tag, (1, 2, 5, 5), L("Conv2d", 2, 4, 3, padding=1), L(name, *args, **kwargs))


CASES = [
    case("conv-stride-pad", (1, 3, 9, 9), L("Conv2d", 3, 4, 3, stride=2, padding=1)),
    case(
        "conv-pairs",
        (1, 3, 8, 9),
        L("Conv2d", 3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    ),
    case("conv-same-dilated", (1, 2, 9, 8), L("Conv2d", 2, 4, 4, padding="same", dilation=2)),
    case(
        "conv-valid-groups-nobias",
        (1, 4, 7, 7),
        L("Conv2d", 4, 6, 3, padding="valid", groups=2, bias=False),
    ),
    case("conv-depthwise", (1, 3, 6, 6), L("Conv2d", 3, 3, 3, padding=1, groups=3)),
    case(
        "conv-circular", (1, 1, 5, 6), L("Conv2d", 1, 3, 3, padding=(1, 2), padding_mode="circular")
    ),
    case(
        "conv-circular-same",
        (1, 1, 6, 6),
        L("Conv2d", 1, 3, 4, padding="same", padding_mode="circular"),
    ),
    case("bn2d", (1, 3, 4, 5), L("BatchNorm2d", 3), L("BatchNorm2d", 3, affine=False, eps=1e-3)),
    case(
        "bn1d",
        (1, 4),
        L("Linear", 4, 6),
        L("BatchNorm1d", 6),
        L("BatchNorm1d", 6, affine=False),
    ),
    case("bn1d-3d", (1, 3, 7), L("BatchNorm1d", 3)),
    case("maxpool", (1, 2, 9, 9), L("MaxPool2d", 3, stride=2, padding=1)),
    case("maxpool-dilated", (1, 2, 9, 10), L("MaxPool2d", (2, 3), stride=(1, 2), dilation=2)),
    case("maxpool-ceil", (1, 2, 5, 6), L("MaxPool2d", 2, padding=1, ceil_mode=True)),
    case("maxpool-ceil-overhang", (1, 2, 8, 7), L("MaxPool2d", 3, stride=2, ceil_mode=True)),
    case("avgpool", (1, 2, 8, 8), L("AvgPool2d", 3, stride=2, padding=1)),
    case(
        "avgpool-exclude-pad",
        (1, 2, 8, 7),
        L("AvgPool2d", 3, stride=2, padding=1, count_include_pad=False),
    ),
    case("avgpool-ceil", (1, 2, 6, 6), L("AvgPool2d", 3, stride=2, padding=1, ceil_mode=True)),
    case("avgpool-ceil-nopad", (1, 2, 5, 7), L("AvgPool2d", 2, ceil_mode=True)),
    case(
        "avgpool-ceil-exclude",
        (1, 2, 6, 6),
        L("AvgPool2d", 3, 2, 1, ceil_mode=True, count_include_pad=False),
    ),
    case("avgpool-divisor", (1, 2, 6, 5), L("AvgPool2d", 2, padding=1, divisor_override=3)),
    case("adaptive-global", (1, 3, 5, 7), L("AdaptiveAvgPool2d", (1, 1))),
    case("adaptive-even", (1, 3, 6, 9), L("AdaptiveAvgPool2d", (2, 3))),
    case("adaptive-none", (1, 3, 5, 8), L("AdaptiveAvgPool2d", (None, 2))),
    case("linear-3d-nobias", (1, 2, 5), L("Linear", 5, 3), L("Linear", 3, 4, bias=False)),
    case("flatten-middle", (1, 3, 4, 5), L("Flatten", 2, 3), L("Linear", 20, 3)),
    case("flatten-start-end", (1, 2, 3, 4), L("Flatten", 1, 2), L("Flatten", 0, -1)),
    case("flatten-one-dim", (1, 2, 3, 4), L("Flatten", 2, 2), L("Identity")),
    case("dropout-identity", (1, 6), L("Linear", 6, 6), L("Dropout", 0.5), L("Identity")),
    case("softmax", (1, 6), L("Linear", 6, 5), L("Softmax", dim=1)),
    case(
        "softmax-channels",
        (1, 2, 3, 3),
        L("Conv2d", 2, 4, 1),
        L("Softmax", dim=1),
        L("LogSoftmax", dim=-1),
    ),
    case("log-softmax", (1, 6), L("Linear", 6, 5), L("LogSoftmax", dim=-1)),
    act("ReLU"),
    act("LeakyReLU", 0.2),
    act("Sigmoid"),
    act("Tanh"),
    act("GELU"),
    act("GELU", approximate="tanh"),
    # the wider set of layers (skipped where this nn lacks them)
    act("Softplus"),
    act("Softplus", beta=3.0, threshold=1.0),
    act("ELU", alpha=0.7),
    act("CELU", alpha=1.5),
    act("SELU"),
    act("SiLU"),
    act("Mish"),
    act("Hardtanh", -0.3, 0.4),
    act("ReLU6"),
    act("Hardsigmoid"),
    act("Hardswish"),
    act("Softsign"),
    act("Tanhshrink"),
    act("LogSigmoid"),
    act("Threshold", 0.1, -2.0),
    act("PReLU"),
    act("PReLU", 4),
    case("prelu-2d", (1, 3), L("Linear", 3, 4), L("PReLU", 4)),
    case("softmin", (1, 6), L("Linear", 6, 5), L("Softmin", dim=1)),
    case("softmax2d", (1, 2, 3, 3), L("Conv2d", 2, 4, 1), L("Softmax2d")),
    case(
        "dropout-nd",
        (1, 2, 3, 3),
        L("Conv2d", 2, 4, 1),
        L("Dropout2d"),
        L("Flatten", 2),
        L("Dropout1d"),
    ),
]


@pytest.mark.parametrize(("shape", "build"), CASES)
def test_every_layer_matches_in_onnxruntime(ort, shape, build) -> None:
    tg.manual_seed(0)
    _compare(ort, _randomise(build()), shape)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("padding", [(1, 2), "same"])
def test_conv_padding_modes(ort, mode, padding) -> None:
    try:
        conv = nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode)
    except ValueError:
        pytest.skip(f"Conv2d has no padding_mode={mode!r} here")
    proto = _compare(ort, _randomise(nn.Sequential(conv)), (1, 2, 5, 6))
    assert [n.op_type for n in proto.graph.node] == ["Pad", "Conv"]


def test_the_cases_cover_every_supported_layer() -> None:
    covered: set[str] = set()
    for param in CASES:
        _, build = param.values
        try:
            covered |= {type(m).__name__ for m in build().modules()}
        except pytest.skip.Exception:
            continue
    assert set(tg.onnx.supported_layers()) <= covered


def test_one_sequential_with_nested_blocks_and_every_core_layer(ort) -> None:
    block = nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"),
            bn=nn.BatchNorm2d(8),
            act=nn.LeakyReLU(0.1),
            pool=nn.MaxPool2d(2, ceil_mode=True),
        )
    )
    model = nn.Sequential(
        OrderedDict(
            features=block,
            more=nn.Sequential(nn.Conv2d(8, 8, 3, padding="same", groups=4), nn.GELU(), nn.Tanh()),
            avg=nn.AvgPool2d(2, stride=1),
            adapt=nn.AdaptiveAvgPool2d(2),
            flat=nn.Flatten(),
            fc=nn.Linear(32, 16),
            bn=nn.BatchNorm1d(16),
            sig=nn.Sigmoid(),
            drop=nn.Dropout(),
            same=nn.Identity(),
            out=nn.Linear(16, 4),
            logp=nn.LogSoftmax(dim=1),
        )
    )
    proto = _compare(ort, _randomise(model), (1, 3, 13, 13))
    names = [n.name for n in proto.graph.node]
    assert "features.conv" in names and "more.0" in names and "logp" in names


# ------------------------------------------------------------------------------ errors
class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class LoudReLU(nn.ReLU):  # a known layer's subclass with its own forward is not known
    def forward(self, x):
        return super().forward(x) * 2


def test_an_unsupported_layer_is_named_with_its_type(ort) -> None:
    model = nn.Sequential(
        OrderedDict(body=nn.Sequential(nn.Conv2d(2, 2, 3), Residual()), head=nn.Flatten())
    )
    model.train()
    with pytest.raises(tg.onnx.UnsupportedLayerError, match=r"body\.1 \(Residual\).*Conv2d"):
        tg.onnx.export(model, tg.randn(1, 2, 6, 6), None)
    assert all(m.training for m in model.modules())  # restored after the error too
    with pytest.raises(RuntimeError, match=r"the model \(Residual\)"):
        tg.onnx.export(Residual(), tg.randn(1, 2, 6, 6), None)
    with pytest.raises(RuntimeError, match=r"0 \(LoudReLU\)"):
        tg.onnx.export(nn.Sequential(LoudReLU()), tg.randn(1, 2), None)
    with pytest.raises(RuntimeError, match=r"1 \(ConvTranspose2d\)"):
        tg.onnx.export(
            nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2, 2, 3)), tg.randn(1, 2, 4, 4), None
        )


def test_layer_settings_that_cannot_be_exported(ort) -> None:
    x = tg.randn(1, 2, 6, 6)
    bn = nn.Sequential(nn.BatchNorm2d(2, track_running_stats=False))
    with pytest.raises(RuntimeError, match=r"0 \(BatchNorm2d\).*running statistics"):
        tg.onnx.export(bn, x, None)
    with pytest.raises(RuntimeError, match=r"pool \(AdaptiveAvgPool2d\).*\(4, 4\).*\(6, 6\)"):
        tg.onnx.export(nn.Sequential(OrderedDict(pool=nn.AdaptiveAvgPool2d(4))), x, None)
    with pytest.raises(RuntimeError, match=r"0 \(MaxPool2d\).*return_indices"):
        tg.onnx.export(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), x, None)


def test_bad_arguments(ort) -> None:
    model = nn.Sequential(nn.ReLU())
    for opset in (12, 999, "17", True):
        with pytest.raises(ValueError, match=r"opset_version must be an int from 13"):
            tg.onnx.export(model, tg.randn(1, 2), None, opset_version=opset)
    with pytest.raises(ValueError, match=r"input_names must be a list of one name"):
        tg.onnx.export(model, tg.randn(1, 2), None, input_names=["a", "b"])
    with pytest.raises(ValueError, match=r"output_names must be a list of one name"):
        tg.onnx.export(model, tg.randn(1, 2), None, output_names="y")
    with pytest.raises(TypeError, match=r"example_input must be a Tensor"):
        tg.onnx.export(model, np.zeros((1, 2), np.float32), None)
    with pytest.raises(TypeError, match=r"model must be an nn.Module, got function"):
        tg.onnx.export(lambda x: x, tg.randn(1, 2), None)


def test_an_identity_model_still_has_one_node(ort) -> None:
    proto = _compare(ort, nn.Sequential(nn.Dropout(), nn.Identity()), (1, 3))
    assert [n.op_type for n in proto.graph.node] == ["Identity", "Identity"]
    proto = tg.onnx.export(nn.Sequential(), tg.randn(1, 3), None)
    assert [(n.input[0], n.output[0]) for n in proto.graph.node] == [("input", "output")]


def test_without_onnx_the_error_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match=r"pip install tinygrad-cnn\[onnx\]"):
        tg.onnx.export(nn.Sequential(nn.ReLU()), tg.randn(1, 2), None)


# ------------------------------------------------------------------------------ the command
def _cli(args: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, TINYGRAD_CNN_CACHE=str(cache), COLUMNS="100")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_cnn", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_export_command_writes_the_trained_run(ort, tmp_path: Path) -> None:
    small = ["--lattice", "8", "--samples-per-t", "8", "--batch-size", "32", "--epochs", "1"]
    run_dir, cache = tmp_path / "run", tmp_path / "cache"
    trained = _cli(["train", *small, "--out", str(run_dir)], tmp_path, cache)
    assert trained.returncode == 0, trained.stderr

    proc = _cli(["export", str(run_dir), "--onnx"], tmp_path, cache)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {run_dir / 'model.onnx'}" in proc.stdout
    state = tg.load(run_dir / "model.ckpt")
    model = tg.models.ising_cnn(**state["model"]["kwargs"])
    model.load_state_dict(state["state_dict"])
    model.eval()
    session = ort.InferenceSession(str(run_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    x = np.where(np.random.default_rng(0).random((5, 1, 8, 8)) < 0.5, -1.0, 1.0)
    x = x.astype(np.float32)
    with tg.no_grad():
        want = model(tg.tensor(x)).numpy()
    (got,) = session.run(None, {"input": x})
    assert np.abs(got - want).max() <= RTOL * np.abs(want).max()

    other = tmp_path / "elsewhere.onnx"
    proc = _cli(
        ["export", str(run_dir / "model.ckpt"), "--onnx", "-o", str(other)], tmp_path, cache
    )
    assert proc.returncode == 0 and other.stat().st_size > 1000, proc.stderr

    for args, words in (
        ([str(run_dir)], "--onnx"),
        ([str(tmp_path / "nope"), "--onnx"], "no checkpoint"),
        ([str(run_dir), "--onnx", "--opset", "5"], "--opset"),
    ):
        proc = _cli(["export", *args], tmp_path, cache)
        assert proc.returncode == 2, (args, proc.stderr)
        first = proc.stderr.splitlines()[0]
        assert ": error: " in first and words in first and "Traceback" not in proc.stderr
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    proc = _cli(["export", str(junk), "--onnx"], tmp_path, cache)
    assert proc.returncode == 1 and "not a readable checkpoint" in proc.stderr, proc.stderr
