"""Everything a GPU machine should check, in one prepared run (well under 8 minutes on an H200).

    PYTHONPATH=. OUT=gpu_results python3 benchmarks/gpu_check.py    # on a machine with a GPU
    PYTHONPATH=. python3 benchmarks/gpu_check.py --cpu              # NumPy only (a dry run)

Sections (each runs on its own; a failure is recorded and the next one starts):

1. **CuPy test leg** — ``pytest tests/test_cupy.py tests/test_op_table.py -k "test_cupy or
   cuda"`` in a subprocess (hypothesis profile "ci" unless ``HYPOTHESIS_PROFILE`` says
   otherwise): every op of the op table, forward and first/second-order
   gradients on the GPU, and the differential property CuPy vs NumPy. Without CuPy it must
   skip cleanly, which is what the dry run checks.
2. **Training parity** — the LeNet (scikit-learn's 8×8 digits) and the Ising CNN (synthetic
   ordered/disordered ±1 lattices) trained for a few hundred steps on CuPy and on NumPy from the
   same seed (initialisation and dropout masks come from the same host generator, batches from
   a fixed permutation); the loss curves are compared (max absolute and relative difference),
   in float32 and, for a shorter run, float64.
3. **Speed against PyTorch CUDA (eager)** — conv2d forward+backward on the LeNet convolutions
   at batch 64 and a few larger layers, and the LeNet training step at batch 64 and 256; each
   repeat times ours then PyTorch's with a device synchronisation before and after, after a
   warm-up; medians and the ratio ours / PyTorch. PyTorch runs in strict float32 (TF32 off),
   as CuPy does by default; the LeNet step is also timed once with PyTorch's TF32 defaults.
   The dry run times NumPy against PyTorch on the CPU instead.
4. **Host↔device synchronisations in one training step** (LeNet with SGD+momentum, Ising CNN
   with Adam). Two independent methods:
   a. *counting*: during one step (zero_grad, forward, loss, backward, optimizer step, loss not
      read) the Python entry points that wait for the GPU are wrapped and counted, each call
      with the line of the framework that made it — ``cupy.ndarray.get/item/tolist/__float__/
      __int__/__bool__/__index__``, ``cupy.asnumpy``, ``cupy.cuda.Stream/Event/Device
      .synchronize`` and ``cupy.cuda.runtime.deviceSynchronize/streamSynchronize``; where CuPy
      offers it, ``cupyx.allow_synchronize(False)`` also guards the step. A call made inside
      another counted one (``ndarray.get`` inside ``cupy.asnumpy``) counts once.
   b. *a spin probe* that needs no knowledge of where syncs hide: a one-thread kernel that
      spins for ~0.4 s is queued, then the step's Python code runs; if anything in it waited
      for the GPU (a sync inside CuPy or the driver included), the host time of the step is at
      least the rest of the spin. Reading the loss afterwards must block: that positive control
      shows the probe works. (A step that queued more kernels than the driver's launch queue
      holds would also block here; the per-phase rows tell the two apart.)
   Expected: 0 synchronisations in a step, exactly one when the loss is read.

Output in ``$OUT`` (or ``--out``; default ``./gpu_check_out``): ``gpu_check.json`` (all figures),
``gpu_check.txt`` (this run's log and the summary table), ``test_cupy.log`` and
``test_cupy.xml`` (pytest's output and JUnit report). Results are written after every section,
so a run that is cut short still leaves what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.functional as F  # noqa: E402
from tinygrad_cnn import backend, models, optim  # noqa: E402

TARGET_RATIO = 3.0  # the LeNet step at batch 256 should be within 3× of PyTorch CUDA eager
SPIN_SECONDS = 0.4


# ------------------------------------------------------------------------------- reporting
class Report:
    """Collects the log and the figures; writes both after every section."""

    def __init__(self, out: Path, budget: float) -> None:
        self.out = out
        self.start = time.perf_counter()
        self.budget = budget
        self.lines: list[str] = []
        self.data: dict[str, Any] = {"sections": {}, "summary": []}
        out.mkdir(parents=True, exist_ok=True)

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.start)

    def log(self, message: str = "") -> None:
        stamp = f"[{time.perf_counter() - self.start:6.1f}s] " if message else ""
        print(stamp + message, flush=True)
        self.lines.append(stamp + message)

    def row(self, section: str, what: str, status: str, figures: str) -> None:
        self.data["summary"].append(
            {"section": section, "what": what, "status": status, "figures": figures}
        )

    def run(self, key: str, title: str, fn: Callable[..., dict], *args: Any) -> None:
        number = title.split(".")[0]
        self.log("")
        self.log(f"== {title}")
        t = time.perf_counter()
        try:
            result = fn(self, *args)
        except Exception:
            text = traceback.format_exc()
            self.log(f"   section failed:\n{text}")
            result = {"status": "error", "error": text}
            self.row(number, title, "error", text.strip().splitlines()[-1][:100])
        result.setdefault("status", "ok")
        result["seconds"] = round(time.perf_counter() - t, 2)
        self.data["sections"][key] = {"title": title, **result}
        self.log(f"   ({result['status']}, {result['seconds']} s)")
        self.save()

    def table(self) -> str:
        rows = [("section", "check", "status", "figures")] + [
            (r["section"], r["what"], r["status"], r["figures"]) for r in self.data["summary"]
        ]
        widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
        out = []
        for k, r in enumerate(rows):
            cells = [str(r[i]).ljust(widths[i]) for i in range(3)] + [str(r[3])]
            out.append("  ".join(cells))
            if k == 0:
                out.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
        return "\n".join(out)

    def save(self) -> None:
        self.data["elapsed_s"] = round(time.perf_counter() - self.start, 1)
        (self.out / "gpu_check.json").write_text(json.dumps(self.data, indent=2, default=_jsonable))
        text = "\n".join(self.lines) + "\n\nSummary\n\n" + self.table() + "\n"
        (self.out / "gpu_check.txt").write_text(text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


# ------------------------------------------------------------------------------- devices
class Device:
    """What a section needs to run and time code on one backend: the tinygrad_cnn device name
    and a function that waits for all queued work."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "cuda":
            cp = backend.cupy_module()
            self.cupy = cp
            self._device = cp.cuda.Device()
            self.sync = self._device.synchronize
        else:
            self.cupy = None
            self.sync = lambda: None


def _median_pair(
    ours: Callable,
    theirs: Callable | None,
    sync_ours: Callable,
    sync_theirs: Callable,
    repeats: int,
    warmup: int,
) -> tuple[float, float | None]:
    """Median seconds of ``ours`` and ``theirs``, interleaved repeat by repeat, each timed
    between two synchronisations of its device, after ``warmup`` calls of each."""
    for _ in range(warmup):
        ours()
        sync_ours()
        if theirs is not None:
            theirs()
            sync_theirs()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeats):
        sync_ours()
        t = time.perf_counter()
        ours()
        sync_ours()
        a.append(time.perf_counter() - t)
        if theirs is not None:
            sync_theirs()
            t = time.perf_counter()
            theirs()
            sync_theirs()
            b.append(time.perf_counter() - t)
    return statistics.median(a), (statistics.median(b) if b else None)


# ------------------------------------------------------------------------------- environment
def section_environment(report: Report, gpu: Device | None, gpu_problem: str | None) -> dict:
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "threads_env": {
            k: os.environ[k]
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if k in os.environ
        },
    }
    with contextlib.suppress(Exception):
        env["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    if gpu is not None:
        cp = gpu.cupy
        env["cupy"] = cp.__version__
        with contextlib.suppress(Exception):
            props = cp.cuda.runtime.getDeviceProperties(0)
            name = props["name"]
            env["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
            env["gpu_memory_gib"] = round(props.get("totalGlobalMem", 0) / 2**30, 1)
        with contextlib.suppress(Exception):
            env["cuda_runtime"] = cp.cuda.runtime.runtimeGetVersion()
            env["cuda_driver"] = cp.cuda.runtime.driverGetVersion()
    else:
        env["gpu"] = None
        env["why_no_gpu"] = gpu_problem
    torch = _torch()
    if torch is not None:
        env["torch"] = torch.__version__
        env["torch_cuda"] = bool(torch.cuda.is_available())
        env["torch_threads"] = torch.get_num_threads()
    for k, v in env.items():
        report.log(f"   {k}: {v}")
    report.row(
        "0",
        "environment",
        "ok" if gpu else "cpu-only",
        f"{env.get('gpu') or 'no GPU'}; cupy {env.get('cupy', '-')}; torch {env.get('torch', '-')}",
    )
    return {"environment": env}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


# ------------------------------------------------------------------------------- 1. test leg
def section_tests(report: Report, gpu: Device | None) -> dict:
    if gpu is not None:  # hand the memory held by this process's pools to the test run
        with contextlib.suppress(Exception):
            gpu.cupy.get_default_memory_pool().free_all_blocks()
        torch = _torch()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
    timeout = int(max(30.0, min(330.0, report.left() - 15.0)))
    log_path, xml_path = report.out / "test_cupy.log", report.out / "test_cupy.xml"
    env = dict(os.environ)
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_cupy.py",
        "tests/test_op_table.py",
        "-k",
        "test_cupy or cuda",  # the op table's CUDA half, and everything CuPy-specific
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        f"--junitxml={xml_path}",
    ]
    report.log(
        f"   {' '.join(cmd[2:])}  (profile {env['HYPOTHESIS_PROFILE']}, timeout {timeout} s)"
    )
    timed_out = False
    with open(log_path, "w") as log:
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout
            )
            code = proc.returncode
        except subprocess.TimeoutExpired:
            timed_out, code = True, None
    tail = log_path.read_text(errors="replace").strip().splitlines()[-12:]
    for line in tail:
        report.log(f"   | {line}")
    result: dict[str, Any] = {"returncode": code, "timed_out": timed_out, "log_tail": tail}
    counts = _junit_counts(xml_path) if xml_path.exists() else {}
    result.update(counts)
    if timed_out:
        status = "timeout"
    elif counts.get("tests", 0) and counts["tests"] == counts.get("skipped", 0):
        status = "skipped"
    elif code == 0:
        status = "ok"
    else:
        status = "failed"
    result["status"] = status
    figures = (
        f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
        f"{counts.get('errors', 0)} errors, {counts.get('skipped', 0)} skipped; "
        f"{len(counts.get('ops_passed', []))}/{counts.get('ops_total', 0)} ops fully passed"
    )
    if status == "skipped":
        figures = "skipped cleanly: " + "; ".join(counts.get("skip_reasons", []))[:90]
    report.row("1", "CuPy test leg (test_cupy.py, test_op_table.py)", status, figures)
    return result


def _junit_counts(path: Path) -> dict:
    root = ET.parse(path).getroot()
    cases = list(root.iter("testcase"))
    failed, skipped, errors, reasons = [], 0, 0, set()
    per_op: dict[str, bool] = {}
    for case in cases:
        name = case.get("name", "")
        bad = case.find("failure") is not None or case.find("error") is not None
        skip = case.find("skipped")
        if skip is not None:
            skipped += 1
            reasons.add((skip.text or skip.get("message") or "")[:200])
        if case.find("error") is not None:
            errors += 1
        if bad:
            node = case.find("failure") if case.find("failure") is not None else case.find("error")
            failed.append({"test": name, "message": (node.get("message") or "")[:500]})
        if "[" in name and skip is None:
            op = name[name.index("[") + 1 : -1].rsplit("-float", 1)[0]
            op = op.removeprefix("cuda-").removesuffix("-cuda")
            per_op[op] = per_op.get(op, True) and not bad
    return {
        "tests": len(cases),
        "passed": len(cases) - len(failed) - skipped,
        "failed": len(failed) - errors,
        "errors": errors,
        "skipped": skipped,
        "skip_reasons": sorted(reasons),
        "failures": failed[:40],
        "ops_total": len(per_op),
        "ops_passed": sorted(op for op, ok in per_op.items() if ok),
        "ops_failed": sorted(op for op, ok in per_op.items() if not ok),
    }


# ------------------------------------------------------------------------------- 2. parity
def _digits_data() -> tuple[np.ndarray, np.ndarray, str]:
    try:
        ds = tg.data.digits(train=True)
        return ds.tensors[0].numpy(), ds.tensors[1].numpy(), "scikit-learn 8×8 digits"
    except Exception as e:  # no scikit-learn: random but fixed images
        rng = np.random.default_rng(0)
        x = rng.random((1024, 1, 8, 8), dtype=np.float32)
        return x, rng.integers(0, 10, 1024), f"random fixed 8×8 images ({type(e).__name__})"


def _ising_data(L: int = 16, n: int = 512) -> tuple[np.ndarray, np.ndarray, str]:
    """Half ordered lattices (all spins one way, 10% flipped), half random ones; label 1 for
    ordered. Fixed seed."""
    rng = np.random.default_rng(1)
    half = n // 2
    sign = np.where(rng.random((half, 1, 1, 1)) < 0.5, -1.0, 1.0)
    flips = np.where(rng.random((half, 1, L, L)) < 0.1, -1.0, 1.0)
    ordered = sign * flips
    disordered = np.where(rng.random((n - half, 1, L, L)) < 0.5, -1.0, 1.0)
    x = np.concatenate([ordered, disordered]).astype(np.float32)
    y = np.concatenate([np.ones(half, np.int64), np.zeros(n - half, np.int64)])
    return x, y, f"synthetic {L}×{L} ±1 lattices (ordered vs random)"


def train_curve(model_name: str, device: str, dtype, steps: int, batch: int, seed: int = 0) -> dict:
    """Train from ``tg.manual_seed(seed)`` on fixed batches; return the loss after each step
    (kept on the device during training and read once at the end) and the final parameters."""
    if model_name == "lenet":
        x, y, source = _digits_data()
    else:
        x, y, source = _ising_data()
    tg.manual_seed(seed)
    model = models.lenet(1, 10, 8) if model_name == "lenet" else models.ising_cnn(16)
    model.to(np.dtype(dtype)).to(device).train()
    if model_name == "lenet":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=2e-3)
    order = np.random.default_rng(seed + 1).integers(0, len(x), size=(steps, batch))
    losses = []
    t = time.perf_counter()
    for s in range(steps):
        xb = tg.Tensor(x[order[s]].astype(dtype), device=device)
        yb = tg.Tensor(y[order[s]], device=device)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss._data)  # a 0-d device array: no sync per step
    xp = backend.get_array_module(losses[0])
    curve = backend.to_numpy(xp.stack(losses)).astype(np.float64)
    seconds = time.perf_counter() - t
    params = {k: v.numpy().astype(np.float64) for k, v in model.state_dict().items()}
    return {"losses": curve, "seconds": seconds, "params": params, "data": source}


def _compare_curves(a: dict, b: dict) -> dict:
    diff = np.abs(a["losses"] - b["losses"])
    rel = diff / np.maximum(np.abs(b["losses"]), 1e-12)
    param_rel = max(
        float(
            np.max(np.abs(a["params"][k] - b["params"][k]))
            / max(np.max(np.abs(b["params"][k])), 1e-12)
        )
        for k in b["params"]
        if b["params"][k].size
    )
    return {
        "max_abs": float(diff.max()),
        "max_rel": float(rel.max()),
        "first_step_rel": float(rel[0]),
        "final_param_max_rel": param_rel,
    }


def section_parity(report: Report, gpu: Device | None, quick: bool) -> dict:
    runs = [
        ("lenet", np.float32, 60 if quick else 300, 64, 1e-5, 0.05),
        ("ising", np.float32, 60 if quick else 300, 64, 1e-5, 0.05),
        ("lenet", np.float64, 20 if quick else 40, 64, 1e-10, 1e-8),
    ]
    out: dict[str, Any] = {"runs": []}
    worst = "ok"
    for name, dtype, steps, batch, first_tol, curve_tol in runs:
        label = f"{name} {np.dtype(dtype).name} {steps} steps, batch {batch}"
        if report.left() < 60:
            report.log(f"   {label}: skipped (time budget)")
            continue
        cpu = train_curve(name, "cpu", dtype, steps, batch)
        entry: dict[str, Any] = {
            "model": name,
            "dtype": np.dtype(dtype).name,
            "steps": steps,
            "batch": batch,
            "data": cpu["data"],
            "numpy_ms_per_step": 1e3 * cpu["seconds"] / steps,
            "numpy_first_last_loss": [float(cpu["losses"][0]), float(cpu["losses"][-1])],
        }
        report.log(
            f"   {label} on NumPy: loss {cpu['losses'][0]:.4f} → {cpu['losses'][-1]:.4f}, "
            f"{entry['numpy_ms_per_step']:.2f} ms/step ({cpu['data']})"
        )
        if gpu is None:
            entry["status"] = "cpu-only"
            report.row(
                "2",
                f"parity {label}",
                "cpu-only",
                f"NumPy loss {cpu['losses'][0]:.3f} → {cpu['losses'][-1]:.3f}",
            )
            out["runs"].append(entry)
            worst = "cpu-only"
            continue
        cuda = train_curve(name, "cuda", dtype, steps, batch)
        entry["cupy_ms_per_step"] = 1e3 * cuda["seconds"] / steps
        entry.update(_compare_curves(cuda, cpu))
        # float32 trajectories drift apart slowly (rounding differences are amplified by
        # training); float64 ones must agree to rounding
        ok = entry["first_step_rel"] <= first_tol and entry["max_abs"] <= curve_tol
        entry["status"] = "ok" if ok else "differs"
        worst = worst if ok else "differs"
        report.log(
            f"   {label} on CuPy: loss {cuda['losses'][0]:.4f} → {cuda['losses'][-1]:.4f}, "
            f"{entry['cupy_ms_per_step']:.2f} ms/step; max |Δloss| {entry['max_abs']:.3g} "
            f"(rel {entry['max_rel']:.3g}; step 1 rel {entry['first_step_rel']:.2g}); final "
            f"params max rel {entry['final_param_max_rel']:.3g}"
        )
        report.row(
            "2",
            f"parity {label}",
            entry["status"],
            f"max |Δloss| {entry['max_abs']:.2g}, rel {entry['max_rel']:.2g} "
            f"(step 1: {entry['first_step_rel']:.1g})",
        )
        out["runs"].append(entry)
    out["status"] = worst
    return out


# ------------------------------------------------------------------------------- 3. speed
# (name, N, C, H, W, OC, K, stride, padding): the LeNet convolutions at batch 64 first
CONV_SHAPES = [
    ("LeNet conv1 64×1×28×28→32 3×3 p1", 64, 1, 28, 28, 32, 3, 1, 1),
    ("LeNet conv2 64×32×14×14→64 3×3 p1", 64, 32, 14, 14, 64, 3, 1, 1),
    ("CIFAR stem 128×3×32×32→64 3×3 p1", 128, 3, 32, 32, 64, 3, 1, 1),
    ("deep 64×128×16×16→128 3×3 p1", 64, 128, 16, 16, 128, 3, 1, 1),
    ("downsample 64×64×32×32→128 3×3 s2 p1", 64, 64, 32, 32, 128, 3, 2, 1),
    ("wide 32×256×28×28→256 3×3 p1", 32, 256, 28, 28, 256, 3, 1, 1),
]
CPU_CONV_SHAPES = CONV_SHAPES[:2] + [CONV_SHAPES[3]]


def _torch_device(torch, gpu: Device | None):
    """PyTorch's device to compare with, and its synchronisation (None if unusable)."""
    if torch is None:
        return None, None
    if gpu is None:
        return "cpu", (lambda: None)
    if not torch.cuda.is_available():
        return None, None
    return "cuda", torch.cuda.synchronize


def _conv_pair(torch, tdev, dev: str, shape, rng):
    name, N, C, H, W, OC, K, S, P = shape
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((OC, C, K, K), dtype=np.float32) / np.float32(np.sqrt(C * K * K))
    b = rng.standard_normal(OC, dtype=np.float32)
    OH = (H + 2 * P - K) // S + 1
    g = rng.standard_normal((N, OC, OH, OH), dtype=np.float32)
    X = tg.Tensor(x, device=dev, requires_grad=C > 1)  # the first layer needs no input gradient
    Wt, B = (
        tg.Tensor(w, device=dev, requires_grad=True),
        tg.Tensor(b, device=dev, requires_grad=True),
    )
    G = tg.Tensor(g, device=dev)

    def ours():
        X.grad = Wt.grad = B.grad = None
        F.conv2d(X, Wt, B, S, P).backward(G)

    theirs = None
    if tdev is not None:
        TF = torch.nn.functional
        xt = torch.from_numpy(x).to(tdev).requires_grad_(C > 1)
        wt = torch.from_numpy(w).to(tdev).requires_grad_()
        bt = torch.from_numpy(b).to(tdev).requires_grad_()
        gt = torch.from_numpy(g).to(tdev)

        def theirs():
            xt.grad = wt.grad = bt.grad = None
            TF.conv2d(xt, wt, bt, S, P).backward(gt)

    return ours, theirs


def _torch_lenet(torch, image_size: int = 28):
    nn = torch.nn
    side = image_size // 4
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * side * side, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


def _lenet_steps(torch, tdev, dev: str, batch: int, rng):
    """One LeNet training step (zero_grad, forward, cross-entropy, backward, SGD+momentum)
    for ours and PyTorch, on fixed data already on the device; the loss is not read."""
    x = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    tg.manual_seed(0)
    model = models.lenet(1, 10, 28).to(dev).train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    X, Y = tg.Tensor(x, device=dev), tg.Tensor(y, device=dev)

    def ours():
        opt.zero_grad()
        F.cross_entropy(model(X), Y).backward()
        opt.step()

    theirs = None
    if tdev is not None:
        torch.manual_seed(0)
        tmodel = _torch_lenet(torch).to(tdev).train()
        topt = torch.optim.SGD(tmodel.parameters(), lr=0.01, momentum=0.9)
        xt, yt = torch.from_numpy(x).to(tdev), torch.from_numpy(y).to(tdev)
        loss_fn = torch.nn.functional.cross_entropy

        def theirs():
            topt.zero_grad(set_to_none=True)
            loss_fn(tmodel(xt), yt).backward()
            topt.step()

    return ours, theirs


def section_speed(report: Report, gpu: Device | None, quick: bool) -> dict:
    torch = _torch()
    tdev, tsync = _torch_device(torch, gpu)
    dev = "cuda" if gpu is not None else "cpu"
    sync = gpu.sync if gpu is not None else (lambda: None)
    tsync = tsync or (lambda: None)
    ours_label = "CuPy" if gpu else "NumPy"
    theirs_label = f"PyTorch {tdev.upper()}" if tdev else "PyTorch (unavailable)"
    if torch is not None and tdev == "cuda":
        torch.backends.cudnn.allow_tf32 = False  # strict float32, as CuPy computes
        torch.backends.cuda.matmul.allow_tf32 = False
    report.log(f"   ours: tinygrad_cnn on {ours_label}; theirs: {theirs_label}")
    rng = np.random.default_rng(0)
    rows: list[dict] = []
    if gpu is not None:
        shapes, repeats, warmup = CONV_SHAPES, (10 if quick else 25), 3
        steps = [(64, 10 if quick else 30), (256, 10 if quick else 30)]
    else:
        shapes, repeats, warmup = CPU_CONV_SHAPES, 3 if quick else 5, 1
        steps = [(64, 3 if quick else 5), (256, 2 if quick else 3)]

    def record(kind: str, name: str, ours, theirs, reps: int) -> None:
        a, b = _median_pair(ours, theirs, sync, tsync, reps, warmup)
        ratio = a / b if b else None
        rows.append(
            {
                "kind": kind,
                "case": name,
                "ours_ms": a * 1e3,
                "theirs_ms": None if b is None else b * 1e3,
                "ratio": ratio,
            }
        )
        rtxt = f"{ratio:.2f}×" if ratio else "-"
        report.log(f"   {name:44s} ours {_ms(a):>10s}  theirs {_ms(b) if b else '-':>10s}  {rtxt}")

    for shape in shapes:
        if report.left() < 45:
            report.log(f"   {shape[0]}: skipped (time budget)")
            continue
        ours, theirs = _conv_pair(torch, tdev, dev, shape, rng)
        record("conv2d fwd+bwd", shape[0], ours, theirs, repeats)
    for batch, reps in steps:
        if report.left() < 40:
            report.log(f"   LeNet step batch {batch}: skipped (time budget)")
            continue
        ours, theirs = _lenet_steps(torch, tdev, dev, batch, rng)
        record("LeNet training step", f"LeNet step batch {batch}", ours, theirs, reps)
    extra: dict[str, Any] = {}
    if torch is not None and tdev == "cuda" and report.left() > 40:
        # PyTorch's defaults (cuDNN may use TF32 tensor cores for float32 convolutions)
        torch.backends.cudnn.allow_tf32 = True
        ours, theirs = _lenet_steps(torch, tdev, dev, 256, rng)
        a, b = _median_pair(ours, theirs, sync, tsync, 10 if quick else 20, 3)
        extra["lenet_256_vs_torch_tf32_defaults"] = {
            "ours_ms": a * 1e3,
            "theirs_ms": b * 1e3,
            "ratio": a / b,
        }
        report.log(
            f"   {'LeNet step batch 256 (PyTorch TF32 defaults)':44s} ours {_ms(a):>10s}  "
            f"theirs {_ms(b):>10s}  {a / b:.2f}×"
        )
        torch.backends.cudnn.allow_tf32 = False
    if gpu is not None:
        with contextlib.suppress(Exception):
            pool = gpu.cupy.get_default_memory_pool()
            extra["cupy_pool_total_mib"] = pool.total_bytes() / 2**20
        if torch is not None and tdev == "cuda":
            extra["torch_max_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
    status = "ok" if gpu is not None else "cpu-only"
    for r in rows:
        fig = f"ours {r['ours_ms']:.3g} ms"
        if r["theirs_ms"] is not None:
            fig += f", {theirs_label} {r['theirs_ms']:.3g} ms, ratio {r['ratio']:.2f}×"
        what = r["case"] if r["kind"] != "conv2d fwd+bwd" else f"conv fwd+bwd {r['case']}"
        row_status = status
        if gpu is not None and r["case"] == "LeNet step batch 256" and r["ratio"]:
            row_status = "ok" if r["ratio"] <= TARGET_RATIO else f"> {TARGET_RATIO:g}× target"
            fig += f" (target ≤ {TARGET_RATIO:g}×)"
        report.row("3", what, row_status, fig)
    return {"status": status, "ours": ours_label, "theirs": theirs_label, "rows": rows, **extra}


# ------------------------------------------------------------------------------- 4. syncs
class SyncCounter:
    """Wrap the Python entry points through which CuPy code waits for the GPU; count calls
    (with the first caller outside CuPy) while active."""

    METHODS = (
        "get",
        "item",
        "tolist",
        "__float__",
        "__int__",
        "__bool__",
        "__index__",
        "__complex__",
    )

    def __init__(self, cp) -> None:
        self.calls: list[dict] = []
        self.active = False
        self.depth = 0
        self.patched: list[tuple[Any, str, Any]] = []
        self.unpatchable: list[str] = []
        targets = [(cp.ndarray, m) for m in self.METHODS]
        targets += [
            (cp, "asnumpy"),
            (cp.cuda.Stream, "synchronize"),
            (cp.cuda.Event, "synchronize"),
            (cp.cuda.Device, "synchronize"),
        ]
        runtime = getattr(cp.cuda, "runtime", None)
        targets += [(runtime, "deviceSynchronize"), (runtime, "streamSynchronize")]
        for owner, name in targets:
            original = getattr(owner, name, None)
            if original is None:
                continue
            label = f"{getattr(owner, '__name__', type(owner).__name__)}.{name}"
            own = name in getattr(owner, "__dict__", {})  # else inherited: delete to restore
            try:
                setattr(owner, name, self._wrap(original, label))
                self.patched.append((owner, name, original if own else None))
            except (TypeError, AttributeError):
                self.unpatchable.append(label)

    def _wrap(self, original, label: str):
        counter = self

        def wrapper(*args, **kwargs):
            # one wait counts once: cupy.asnumpy calls ndarray.get, Tensor.item calls asnumpy
            if counter.active and not counter.depth:
                counter.calls.append({"call": label, "from": _caller()})
            counter.depth += 1
            try:
                return original(*args, **kwargs)
            finally:
                counter.depth -= 1

        return wrapper

    def restore(self) -> None:
        for owner, name, original in reversed(self.patched):
            with contextlib.suppress(TypeError, AttributeError):
                if original is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, original)

    @contextlib.contextmanager
    def counting(self):
        self.calls.clear()
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


def _caller() -> str:
    """The innermost frame of the framework (or of this script) that led to the call."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        path = frame.filename.replace("\\", "/")
        if "/tinygrad_cnn/" in path or path.endswith("gpu_check.py"):
            return f"{Path(path).parent.name}/{Path(path).name}:{frame.lineno} {frame.line}"
    return "?"


def _spin_kernel(cp):
    code = r"""
    extern "C" __global__ void spin(long long cycles) {
        long long start = clock64();
        while (clock64() - start < cycles) { }
    }
    """
    kernel = cp.RawKernel(code, "spin")
    return lambda cycles: kernel((1,), (1,), (np.int64(cycles),))


def _audit_model(name: str, dev: str):
    """A training step of ``name`` with its data already on the device, split in phases."""
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    if name == "LeNet (SGD momentum)":
        model, shape, classes = models.lenet(1, 10, 28), (64, 1, 28, 28), 10
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        model, shape, classes = models.ising_cnn(16), (64, 1, 16, 16), 2
        opt = optim.Adam(model.parameters(), lr=1e-3)
    model.to(dev).train()
    X = tg.Tensor(rng.standard_normal(shape, dtype=np.float32), device=dev)
    Y = tg.Tensor(rng.integers(0, classes, shape[0]), device=dev)
    state: dict[str, Any] = {}

    def forward():
        opt.zero_grad()
        state["loss"] = F.cross_entropy(model(X), Y)

    def backward():
        state["loss"].backward()

    def update():
        opt.step()

    def step():
        forward()
        backward()
        update()

    def read():
        return float(state["loss"].item())

    return {"forward": forward, "backward": backward, "update": update, "step": step, "read": read}


def section_syncs(report: Report, gpu: Device | None) -> dict:
    if gpu is None:
        report.row("4", "host↔device syncs per step", "skipped", "needs CuPy and a GPU")
        return {"status": "skipped", "reason": "needs CuPy and a GPU"}
    cp = gpu.cupy
    counter = SyncCounter(cp)
    report.log(
        f"   wrapped: {len(counter.patched)} entry points; could not wrap: "
        f"{', '.join(counter.unpatchable) or 'none'}"
    )
    out: dict[str, Any] = {
        "wrapped": [f"{getattr(o, '__name__', o)}.{n}" for o, n, _ in counter.patched],
        "unwrappable": counter.unpatchable,
    }
    spin = None
    try:
        spin = _spin_kernel(cp)
        spin(1000)  # compile
        gpu.sync()
        t = time.perf_counter()
        spin(20_000_000)
        gpu.sync()
        rate = 20_000_000 / (time.perf_counter() - t)  # cycles per second
        cycles = int(rate * SPIN_SECONDS)
        out["spin_cycles_per_s"] = rate
    except Exception as e:
        report.log(f"   spin probe unavailable: {type(e).__name__}: {e}")
        out["spin_error"] = f"{type(e).__name__}: {e}"
    guard = getattr(importlib_module("cupyx"), "allow_synchronize", None)
    try:
        for model_name in ("LeNet (SGD momentum)", "Ising CNN (Adam)"):
            phases = _audit_model(model_name, "cuda")
            for _ in range(3):  # warm-up: kernels compiled, memory pool filled
                phases["step"]()
                phases["read"]()
            gpu.sync()
            entry: dict[str, Any] = {}
            with counter.counting() as calls:
                phases["step"]()
            entry["step_syncs"] = len(calls)
            entry["step_sync_calls"] = list(calls)
            with counter.counting() as calls:
                phases["read"]()
            entry["loss_read_syncs"] = len(calls)
            gpu.sync()
            if guard is not None:
                entry["allow_synchronize_false"] = _guarded(guard, phases["step"])
                gpu.sync()
            if spin is not None:
                probe = {}
                for phase in ("forward", "backward", "update", "read"):
                    gpu.sync()
                    spin(cycles)
                    t = time.perf_counter()
                    phases[phase]()
                    host = time.perf_counter() - t
                    gpu.sync()
                    total = time.perf_counter() - t
                    probe[phase] = {
                        "host_s": host,
                        "until_idle_s": total,
                        "blocked": host > 0.5 * SPIN_SECONDS,
                    }
                entry["spin_probe"] = probe
            out[model_name] = entry
            blocked = [
                p for p, v in entry.get("spin_probe", {}).items() if v["blocked"] and p != "read"
            ]
            control = entry.get("spin_probe", {}).get("read", {}).get("blocked")
            report.log(
                f"   {model_name}: {entry['step_syncs']} counted syncs in a step "
                f"(loss read: {entry['loss_read_syncs']}); spin probe: "
                + (f"host blocked in {blocked}" if blocked else "host never blocked")
                + f" (positive control, loss read, blocked: {control})"
            )
            for call in entry["step_sync_calls"][:20]:
                report.log(f"     sync: {call['call']} from {call['from']}")
            ok = (
                entry["step_syncs"] == 0
                and not blocked
                and entry.get("allow_synchronize_false", "ok") == "ok"
            )
            status = "ok" if ok else "syncs found"
            if ok and spin is not None and not control:
                status = "ok (probe inconclusive)"  # the loss read should have blocked
            figures = (
                f"{entry['step_syncs']} counted in a step, {entry['loss_read_syncs']} "
                f"for the loss read; spin probe: "
                + (f"blocked in {', '.join(blocked)}" if blocked else "never blocked")
                + ("" if spin is None else f" (control blocked: {control})")
            )
            report.row("4", f"syncs per step, {model_name}", status, figures)
            out.setdefault("status", "ok")
            if not ok:
                out["status"] = "syncs found"
    finally:
        counter.restore()
    return out


def importlib_module(name: str):
    try:
        return __import__(name)
    except ImportError:
        return None


def _guarded(guard, fn) -> str:
    """Run ``fn`` under ``cupyx.allow_synchronize(False)``: "ok" or the error it raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with guard(False):
                fn()
        except Exception as e:
            return f"{type(e).__name__}: {e}"[:300]
    return "ok"


# ------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cpu",
        "--dry-run",
        dest="cpu",
        action="store_true",
        help="NumPy only: run everything that needs no GPU",
    )
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument(
        "--out",
        default=os.environ.get("OUT") or "gpu_check_out",
        help="output folder (default: $OUT or ./gpu_check_out)",
    )
    parser.add_argument(
        "--budget", type=float, default=420.0, help="seconds the whole run may take (default 420)"
    )
    parser.add_argument("--skip-tests", action="store_true", help="skip section 1")
    args = parser.parse_args(argv)

    report = Report(Path(args.out), args.budget)
    report.log(
        f"gpu_check: {'NumPy only (--cpu)' if args.cpu else 'CuPy vs NumPy and PyTorch'}"
        f", output in {report.out.resolve()}"
    )
    gpu, problem = None, None
    if not args.cpu:
        try:
            gpu = Device("cuda")
            float(gpu.cupy.arange(4, dtype=gpu.cupy.float32).sum())  # a kernel really runs
        except Exception as e:
            gpu, problem = None, f"{type(e).__name__}: {e}"
            report.log(f"   no usable GPU ({problem}); running the NumPy parts only")
    report.data["mode"] = "cuda" if gpu else "cpu"
    report.run("environment", "0. environment", section_environment, gpu, problem)
    # the quick sections first, so that a slow test run cannot crowd them out
    report.run("syncs", "4. host↔device synchronisations in a training step", section_syncs, gpu)
    report.run("parity", "2. training parity, CuPy vs NumPy", section_parity, gpu, args.quick)
    report.run("speed", "3. speed against PyTorch", section_speed, gpu, args.quick)
    if args.skip_tests:
        report.row("1", "CuPy test leg", "skipped", "--skip-tests")
    else:
        report.run("tests", "1. CuPy test leg", section_tests, gpu)
    report.data["summary"].sort(key=lambda r: r["section"])
    report.log("")
    report.log("Summary")
    for line in report.table().splitlines():
        report.log(line)
    report.save()
    bad = [s for s in report.data["sections"].values() if s["status"] in ("error", "failed")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
