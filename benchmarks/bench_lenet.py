"""The LeNet training step, ours vs PyTorch CPU: time, peak memory and a profile of one step.

    python benchmarks/bench_lenet.py                  # all three parts
    python benchmarks/bench_lenet.py --only time      # or memory, profile
    python benchmarks/bench_lenet.py --memory ours    # one fresh process's memory figures (JSON)

The model is ``tinygrad_cnn.models.lenet()`` (the LeNet of PERFORMANCE.md plus its
Dropout(0.5) before the last linear layer) and the same network written with ``torch.nn``,
holding the same initial weights: conv(1→32, 3×3, pad 1)–BN–ReLU–maxpool 2 → conv(32→64, 3×3,
pad 1)–BN–ReLU–maxpool 2 → linear(3136→128)–ReLU–dropout → linear(128→10). One step:
``zero_grad``, forward in training mode, cross-entropy, backward, SGD with momentum 0.9, on a
batch of 64 random 28×28 float32 images with random labels. Before timing, one step with
dropout switched off checks that both give the same loss and updated weights.

Time: each repeat runs our step, then PyTorch's, so both see the same machine load; both the
wall time and the CPU time of the process are recorded, and medians are reported, with
1 thread (OpenBLAS limited through threadpoolctl, ``torch.set_num_threads(1)``) and with 2.
With one thread the CPU time is the steadier figure on a shared machine; with two, wall time
is what a user sees (CPU time then also counts BLAS threads spinning while they wait). With
two threads each timed call follows a 0.3 s pause (``common.idle_pause``). As a cross-check the
step is also timed in separate processes, one framework each, alternating (``--rounds``).

Memory: the peak resident set size is process-wide, so each framework runs alone in a fresh
process (``--memory ours|torch``), which imports only that framework, builds the model and
data, runs warm-up steps and further steps, and reports its peak RSS (``VmHWM``; ``ru_maxrss`` would
carry over the parent's peak), its RSS after the imports and after building, and the
differences. For ours it
also reports the bytes its buffer cache (the im2col workspace) holds between steps and
tracemalloc's peak of one more step (NumPy arrays and Python objects allocated during the step,
beyond the recycled buffers). PyTorch's
``torch.optim`` imports much of ``torch._dynamo`` when the optimizer is created (~70 MiB here),
so "peak − after building" (model, optimizer, data) is the fairer figure for the step itself.

Profile: one thread, cProfile over several steps sorted by own time, and a per-op
breakdown: every ``Function`` subclass's ``forward`` and ``backward`` timed (own time only;
an op that a backward runs is shown as ``Outer.bwd > Inner.fwd``), the rest of the step being the
framework's Python (modules, graph, engine, optimizer).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_repo_to_path, idle_pause, traced_peak_bytes  # noqa: E402

add_repo_to_path()

__all__ = ["main"]

BATCH = 64


# ------------------------------------------------------------------------------ the step
def make_data(seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    return x, y


def build_ours(seed: int = 0):
    """Our LeNet, SGD(lr 0.01, momentum 0.9), and a function running one training step."""
    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, optim

    tg.manual_seed(seed)
    model = models.lenet()
    model.train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = make_data(seed)
    X, Y = tg.Tensor(x), tg.Tensor(y)

    def step() -> Any:
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def torch_lenet(torch):
    nn = torch.nn
    from collections import OrderedDict

    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(1, 32, 3, padding=1),
            bn1=nn.BatchNorm2d(32),
            relu1=nn.ReLU(),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(32, 64, 3, padding=1),
            bn2=nn.BatchNorm2d(64),
            relu2=nn.ReLU(),
            pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc1=nn.Linear(64 * 7 * 7, 128),
            relu3=nn.ReLU(),
            dropout=nn.Dropout(0.5),
            fc2=nn.Linear(128, 10),
        )
    )


def build_torch(torch, ours_model=None, seed: int = 0):
    """PyTorch's LeNet (with our model's weights if given), its SGD and one training step."""
    torch.manual_seed(seed)
    model = torch_lenet(torch)
    if ours_model is not None:
        state = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours_model.state_dict().items()}
        model.load_state_dict(state)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = make_data(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.functional.cross_entropy

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def check_same_step(torch) -> str:
    """One step on each with dropout off: the loss and the updated weights must agree."""
    import numpy as np

    model, _, step = build_ours(seed=1)
    tmodel, _, tstep = build_torch(torch, model, seed=1)
    model.dropout.train(False)
    tmodel.dropout.eval()
    loss, tloss = float(step().item()), float(tstep().item())
    theirs = {k: v.detach().numpy() for k, v in tmodel.state_dict().items()}
    worst = max(
        float(np.max(np.abs(v.numpy() - theirs[k])) / (np.max(np.abs(theirs[k])) + 1e-12))
        for k, v in model.state_dict().items()
        if v.numpy().dtype.kind == "f"
    )
    if abs(loss - tloss) > 1e-4 * max(1.0, abs(tloss)) or worst > 1e-3:
        raise AssertionError(f"bench_lenet: steps differ: loss {loss} vs {tloss}, weights {worst}")
    return f"loss {loss:.6f} vs {tloss:.6f}; largest relative weight difference {worst:.1e}"


# ------------------------------------------------------------------------------ time
def time_steps(
    fns: list[Callable[[], Any]], repeats: int, warmup: int = 3, pause: float = 0.0
) -> list[dict]:
    """Interleaved: every repeat runs each function once; wall and CPU seconds per call.
    ``pause`` seconds of sleep (untimed) before each call let the other library's idle
    threads stop spinning (``common.idle_pause`` gives the figure and the reason)."""
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(warmup):
        for fn in fns:
            fn()
    gc.collect()
    gc.disable()  # our graph is freed by reference counting; a collection would add noise
    try:
        for _ in range(repeats):
            for i, fn in enumerate(fns):
                if pause:
                    time.sleep(pause)
                w0, c0 = time.perf_counter(), time.process_time()
                fn()
                cpu[i].append(time.process_time() - c0)
                wall[i].append(time.perf_counter() - w0)
    finally:
        gc.enable()
    out = []
    for w, c in zip(wall, cpu, strict=True):
        q1, _, q3 = statistics.quantiles(w, n=4)
        out.append(
            dict(
                best=min(w),
                wall=statistics.median(w),
                cpu=statistics.median(c),
                iqr=(q3 - q1) / statistics.median(w),
                w=w,
                c=c,
            )
        )
    return out


def run_time(torch, repeats: int) -> list[dict]:
    from threadpoolctl import threadpool_limits

    model, _, ours = build_ours()
    _, _, theirs = build_torch(torch, model)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        load0 = os.getloadavg()[0]
        with threadpool_limits(limits=threads, user_api="blas"):
            a, b = time_steps([ours, theirs], repeats, pause=idle_pause(threads))
        load = f"load average {load0:.1f} → {os.getloadavg()[0]:.1f}"
        # the median of the per-repeat ratios follows the load changes both sides saw
        paired_wall = statistics.median(x / y for x, y in zip(a["w"], b["w"], strict=True))
        paired_cpu = statistics.median(x / y for x, y in zip(a["c"], b["c"], strict=True))
        row = dict(
            threads=threads, ours=a, theirs=b, paired_wall=paired_wall, paired_cpu=paired_cpu
        )
        rows.append(row)
        print(
            f"{threads} thread(s), median of {repeats}: "
            f"wall ours {a['wall'] * 1e3:.1f} ms, PyTorch {b['wall'] * 1e3:.1f} ms, "
            f"ratio {a['wall'] / b['wall']:.2f}× (paired {paired_wall:.2f}×); "
            f"CPU ours {a['cpu'] * 1e3:.1f} ms, PyTorch {b['cpu'] * 1e3:.1f} ms, "
            f"ratio {a['cpu'] / b['cpu']:.2f}× (paired {paired_cpu:.2f}×); "
            f"IQR/median ours {a['iqr']:.0%}, PyTorch {b['iqr']:.0%}; fastest wall ours "
            f"{a['best'] * 1e3:.1f} ms, PyTorch {b['best'] * 1e3:.1f} ms "
            f"({a['best'] / b['best']:.2f}×); "
            f"{load}",
            flush=True,
        )
    torch.set_num_threads(os.cpu_count() or 1)
    return rows


def time_child(which: str, threads: int, repeats: int) -> dict:
    """Runs in a fresh process that imports one framework only: seconds per step."""
    from threadpoolctl import threadpool_limits

    if which == "ours":
        _, _, step = build_ours()
    else:
        import torch

        torch.set_num_threads(threads)
        _, _, step = build_torch(torch)
    with threadpool_limits(limits=threads, user_api="blas"):
        (t,) = time_steps([step], repeats)
    return dict(w=t["w"], c=t["c"])


def run_time_separate(threads: int, rounds: int, repeats: int) -> dict:
    """Alternating processes, ``rounds`` × (ours, PyTorch), ``repeats`` steps each."""
    samples: dict[str, dict[str, list[float]]] = {k: {"w": [], "c": []} for k in ("ours", "torch")}
    load0 = os.getloadavg()[0]
    for _ in range(rounds):
        for which in ("ours", "torch"):
            argv = ["--time-child", which, "--threads", str(threads), "--repeats", str(repeats)]
            proc = subprocess.run(
                [sys.executable, __file__, *argv], capture_output=True, text=True, check=True
            )
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            samples[which]["w"] += got["w"]
            samples[which]["c"] += got["c"]
    load = f"load average {load0:.1f} → {os.getloadavg()[0]:.1f}"
    a, b = samples["ours"], samples["torch"]
    aw, bw = statistics.median(a["w"]), statistics.median(b["w"])
    ac, bc = statistics.median(a["c"]), statistics.median(b["c"])
    print(
        f"{threads} thread(s), separate processes, {rounds} × {repeats} steps each: "
        f"wall ours {aw * 1e3:.1f} ms, PyTorch {bw * 1e3:.1f} ms, ratio {aw / bw:.2f}×; "
        f"CPU ours {ac * 1e3:.1f} ms, PyTorch {bc * 1e3:.1f} ms, ratio {ac / bc:.2f}×; "
        f"fastest wall ours {min(a['w']) * 1e3:.1f} ms, PyTorch {min(b['w']) * 1e3:.1f} ms "
        f"({min(a['w']) / min(b['w']):.2f}×); {load}",
        flush=True,
    )
    return dict(threads=threads, ours=a, theirs=b, load=load)


# ------------------------------------------------------------------------------ memory
def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def current_rss_mib() -> float:
    rss = _status_mib("VmRSS")
    return float("nan") if rss is None else rss


def peak_rss_mib() -> float:
    """This process's peak RSS. Linux's VmHWM starts afresh at exec; ``ru_maxrss`` does not
    (a child started from a process that had imported PyTorch would report that process's
    peak), so it is only the fallback where /proc is missing."""
    hwm = _status_mib("VmHWM")
    if hwm is not None:
        return hwm
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def memory_child(which: str, steps: int) -> dict:
    """Runs in a fresh process: import one framework only, train, report RSS figures."""
    if which == "ours":
        import numpy  # noqa: F401

        import tinygrad_cnn  # noqa: F401
    else:
        import torch
    after_import = current_rss_mib()
    peak_after_import = peak_rss_mib()
    if which == "ours":
        _, _, step = build_ours()
    else:
        _, _, step = build_torch(torch)
    after_build = current_rss_mib()
    for _ in range(3):
        step()
    for _ in range(steps):
        step()
    result = dict(
        which=which,
        after_import=after_import,
        peak_after_import=peak_after_import,
        after_build=after_build,
        after_steps=current_rss_mib(),
        peak=peak_rss_mib(),
        steps=steps + 3,
    )
    if which == "ours":
        from tinygrad_cnn.ops.workspace import workspace

        result["workspace"] = workspace.cached_bytes / 2**20
        # arrays a steady-state step allocates beyond the recycled buffers above
        result["traced_step"] = traced_peak_bytes(step) / 2**20
    return result


def run_memory(steps: int) -> dict[str, dict]:
    results = {}
    for which in ("ours", "torch"):
        proc = subprocess.run(
            [sys.executable, __file__, "--memory", which, "--steps", str(steps)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[which] = json.loads(proc.stdout.strip().splitlines()[-1])
    for which, r in results.items():
        extra = ""
        if "traced_step" in r:
            extra = (
                f"; recycled buffers (workspace) {r['workspace']:.1f} MiB + tracemalloc peak of "
                f"a step's other allocations {r['traced_step']:.1f} MiB"
            )
        print(
            f"{which:>5}: peak RSS {r['peak']:.1f} MiB; RSS after imports {r['after_import']:.1f}, "
            f"after building model, optimizer and data {r['after_build']:.1f}; peak − after "
            f"imports {r['peak'] - r['after_import']:.1f}, peak − after building "
            f"{r['peak'] - r['after_build']:.1f} MiB{extra}",
            flush=True,
        )
    o, t = results["ours"], results["torch"]
    print(
        f"ratio ours / PyTorch: peak RSS {o['peak'] / t['peak']:.2f}×, peak − after imports "
        f"{(o['peak'] - o['after_import']) / (t['peak'] - t['after_import']):.2f}×, "
        f"peak − after building "
        f"{(o['peak'] - o['after_build']) / (t['peak'] - t['after_build']):.2f}×",
        flush=True,
    )
    return results


# ------------------------------------------------------------------------------ profile
def _all_subclasses(cls: type) -> list[type]:
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            out.append(s)
            todo.append(s)
    return out


def op_breakdown(step: Callable[[], Any], steps: int) -> tuple[dict[str, float], float]:
    """Own CPU seconds per (op, fwd|bwd) over ``steps`` steps, and the steps' total. An op
    run inside another op's backward is labelled ``Outer.bwd > Inner.fwd``."""
    from tinygrad_cnn.function import Function

    totals: dict[str, float] = defaultdict(float)
    stack: list[list[Any]] = []  # [label, start, time spent in nested ops]
    patched: list[tuple[type, str, Any]] = []

    def wrap(cls: type, method: str) -> None:
        original = cls.__dict__[method]
        label = f"{cls.__name__}.{'fwd' if method == 'forward' else 'bwd'}"

        def timed(self, *args, **kwargs):
            outer = stack[-1][0] if stack else ""
            full = f"{outer} > {label}" if outer.endswith(".bwd") else label
            stack.append([full, time.process_time(), 0.0])
            try:
                return original(self, *args, **kwargs)
            finally:
                _, start, nested = stack.pop()
                spent = time.process_time() - start
                totals[full] += spent - nested
                if stack:
                    stack[-1][2] += spent

        setattr(cls, method, timed)
        patched.append((cls, method, original))

    for cls in _all_subclasses(Function):
        for method in ("forward", "backward"):
            if method in cls.__dict__:
                wrap(cls, method)
    try:
        step()
        gc.collect()
        totals.clear()
        start = time.process_time()
        for _ in range(steps):
            step()
        total = time.process_time() - start
    finally:
        for cls, method, original in reversed(patched):
            setattr(cls, method, original)
    return dict(totals), total


def run_profile(steps: int, top: int) -> None:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        model, opt, step = build_ours()
        for _ in range(3):
            step()
        # phases: forward + loss, backward, optimizer
        phases = defaultdict(float)
        import tinygrad_cnn as tg  # noqa: F401
        import tinygrad_cnn.functional as F

        X, Y = [tg.Tensor(a) for a in make_data()]
        for _ in range(steps):
            t0 = time.process_time()
            opt.zero_grad()
            loss = F.cross_entropy(model(X), Y)
            t1 = time.process_time()
            loss.backward()
            t2 = time.process_time()
            opt.step()
            t3 = time.process_time()
            phases["forward + loss"] += t1 - t0
            phases["backward"] += t2 - t1
            phases["optimizer step"] += t3 - t2
        total = sum(phases.values())
        print(f"\nphases, one thread, CPU time, mean of {steps} steps:")
        for name, t in phases.items():
            print(f"  {name:<16} {t / steps * 1e3:7.2f} ms  {t / total:5.1%}")

        totals, total = op_breakdown(step, steps)
        in_ops = sum(totals.values())
        print(f"\nper op (own CPU time, mean of {steps} steps; step {total / steps * 1e3:.1f} ms):")
        for label, t in sorted(totals.items(), key=lambda kv: -kv[1]):
            if t / total >= 0.002:
                print(f"  {label:<32} {t / steps * 1e3:7.2f} ms  {t / total:5.1%}")
        rest = total - in_ops
        print(
            f"  {'(outside op bodies)':<32} {rest / steps * 1e3:7.2f} ms  {rest / total:5.1%}"
            "  — Tensor/graph/engine/modules/optimizer Python, plus the timers"
        )

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(steps):
            step()
        profiler.disable()
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(top)
        print(f"\ncProfile, {steps} steps, sorted by own time (cProfile's overhead included):")
        print(buf.getvalue())


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("time", "memory", "profile"), default=None)
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats per thread count")
    parser.add_argument("--steps", type=int, default=20, help="steps in memory/profile runs")
    parser.add_argument("--top", type=int, default=15, help="cProfile entries to print")
    parser.add_argument("--rounds", type=int, default=4, help="process pairs, separate timing")
    parser.add_argument("--memory", choices=("ours", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--time-child", choices=("ours", "torch"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.time_child:
        print(json.dumps(time_child(args.time_child, args.threads, args.repeats)))
        return 0
    if args.memory:
        print(json.dumps(memory_child(args.memory, args.steps)))
        return 0
    try:
        import torch
    except ImportError:
        print("bench_lenet: PyTorch is not installed; nothing to compare with", file=sys.stderr)
        return 1
    import numpy as np

    print(f"NumPy {np.__version__}, PyTorch {torch.__version__}, {os.cpu_count()} CPUs")
    if args.only in (None, "time"):
        print("same step check:", check_same_step(torch), flush=True)
        run_time(torch, args.repeats)
        for threads in (1, 2):
            run_time_separate(threads, args.rounds, max(5, args.repeats // args.rounds))
    if args.only in (None, "memory"):
        run_memory(args.steps)
    if args.only in (None, "profile"):
        run_profile(args.steps, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
