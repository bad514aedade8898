"""Every performance target, ours vs PyTorch, each framework in its own fresh process.

    python benchmarks/bench_targets.py                 # every workload, 5 rounds
    python benchmarks/bench_targets.py --rounds 3 --only lenet2,engine
    python benchmarks/bench_targets.py --markdown      # the table for RESULTS.md

A round runs one fresh process for ours and then one for PyTorch (the order alternates from
round to round), each importing only its framework, building the workload, running warm-up
steps and timing ``--steps`` steps. A process reports the median of its steps; the table gives,
per workload, the median over rounds of each side and of the per-round ratio ours / PyTorch,
with the ratios' range (lowest–highest) as the spread. Separate processes because OpenBLAS's
and PyTorch's worker threads keep spinning after their last call and would slow whichever
framework runs next in the same process.

Workloads (batch 64 unless said otherwise, float32, random data from one seed):

- ``lenet2``/``lenet1``: the LeNet training step of PERFORMANCE.md (``models.lenet()``:
  conv–BN–ReLU–pool ×2, linear 3136→128→10 with dropout, cross-entropy, SGD momentum 0.9),
  2 threads / 1 thread (BLAS and PyTorch limited through the environment at process start).
  The 2-thread process also reports its peak RSS (``VmHWM``).
- ``mnist``: PyTorch's MNIST-example Net (conv 1→32→64 3×3 at 28×28, max-pool, dropout 0.25,
  linear 9216→128, dropout 0.5, linear 128→10, log-softmax, NLL), Adadelta(lr=1), 2 threads.
- ``ising``: ``models.ising_cnn(16)`` (the tutorials' and CLI's Ising CNN) on ±1 spins,
  cross-entropy, Adam(lr=1e-3), 2 threads.
- ``infer``: LeNet forward at batch 256 under no_grad in eval mode, 2 threads.
- With 2 threads, both frameworks' BLAS may use 2 threads; ours runs no threads of its own
  (the default of ``tg.set_num_threads``). ``--own-threads 2`` measures ours with its own two
  threads instead (``TINYGRAD_CNN_NUM_THREADS=2``, which keeps BLAS on one thread).
- ``engine``: one recorded op and its backward: a chain of 200 adds on (32, 32), then
  ``backward()``, CPU time per op; and ``chain``: ``backward()`` alone of a 10,000-node add
  chain, CPU time per node. One thread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

__all__ = ["WORKLOADS", "main"]

BATCH = 64
WORKLOADS = {
    # name: (threads, description, target ratio)
    "lenet2": (2, "LeNet step, batch 64, 2 threads", 1.0),
    "lenet1": (1, "LeNet step, batch 64, 1 thread", 1.0),
    "mnist": (2, "MNIST-example Net step (Adadelta), batch 64, 2 threads", 1.2),
    "ising": (2, "Ising CNN step (Adam), 16×16, batch 64, 2 threads", 1.0),
    "infer": (2, "LeNet inference (no_grad, eval), batch 256, 2 threads", 1.0),
    "engine": (1, "recorded add (32,32) + its backward, per op", 1.5),
    "chain": (1, "backward of a 10,000-node chain, per node", 1.5),
}


# ------------------------------------------------------------------------------ workloads
def _data(shape, classes, seed=0, spins=False):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape, dtype=np.float32)
    if spins:
        x = np.where(x < 0, -1.0, 1.0).astype(np.float32)
    return x, rng.integers(0, classes, shape[0])


def mnist_net(nn):
    """PyTorch's MNIST-example Net, built from ``nn`` (ours or torch.nn: the same names)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),
    )


def _ours(name: str):
    """A function running one unit of ``name`` with our framework, and the units it counts."""
    import numpy as np

    import tinygrad_cnn as tg
    import tinygrad_cnn.functional as F
    from tinygrad_cnn import models, nn, optim

    tg.manual_seed(0)
    if name in ("engine", "chain"):
        x = tg.Tensor(np.ones((32, 32), np.float32), requires_grad=True)
        b = tg.Tensor(np.ones((32, 32), np.float32))
        n = 200 if name == "engine" else 10_000
        return _engine_step(name, _chain(x, b, n), n)
    if name == "infer":
        model = models.lenet()
        model.eval()
        X = tg.Tensor(_data((256, 1, 28, 28), 10)[0])

        def infer():
            with tg.no_grad():
                return model(X)

        return infer, 1
    if name == "mnist":
        model = mnist_net(nn)
        opt = optim.Adadelta(model.parameters(), lr=1.0)
        x, y = _data((BATCH, 1, 28, 28), 10)
        loss_fn = F.nll_loss
    elif name == "ising":
        model = models.ising_cnn(16)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        x, y = _data((BATCH, 1, 16, 16), 2, spins=True)
        loss_fn = F.cross_entropy
    else:
        model = models.lenet()
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = _data((BATCH, 1, 28, 28), 10)
        loss_fn = F.cross_entropy
    model.train()
    return _training_step(model, opt, loss_fn, *(tg.Tensor(x), tg.Tensor(y)))


def _torch(name: str):
    import torch
    from bench_lenet import torch_lenet

    nn = torch.nn
    F = torch.nn.functional
    torch.manual_seed(0)
    if name in ("engine", "chain"):
        x = torch.ones((32, 32), requires_grad=True)
        b = torch.ones((32, 32))
        n = 200 if name == "engine" else 10_000
        return _engine_step(name, _chain(x, b, n), n)

    def lenet():
        return torch_lenet(torch)

    if name == "infer":
        model = lenet()
        model.eval()
        X = torch.from_numpy(_data((256, 1, 28, 28), 10)[0])

        def infer():
            with torch.no_grad():
                return model(X)

        return infer, 1
    if name == "mnist":
        model = mnist_net(nn)
        opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
        x, y = _data((BATCH, 1, 28, 28), 10)
        loss_fn = F.nll_loss
    elif name == "ising":
        c = 16
        model = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1, padding_mode="circular"),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1, padding_mode="circular"),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c, 2),
        )
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = _data((BATCH, 1, 16, 16), 2, spins=True)
        loss_fn = F.cross_entropy
    else:
        model = lenet()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = _data((BATCH, 1, 28, 28), 10)
        loss_fn = F.cross_entropy
    model.train()
    return _training_step(model, opt, loss_fn, *(torch.from_numpy(x), torch.from_numpy(y)))


def _training_step(model, opt, loss_fn, X, Y):
    """One training step (the same code for both frameworks), counting one unit."""

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
        return loss

    return step, 1


def _chain(x, b, n: int):
    """A function building ``n`` recorded adds on x, summed (either framework)."""

    def build():
        y = x
        for _ in range(n):
            y = y + b
        return y.sum()

    return build


_PENDING: list[Any] = []


def _engine_step(name: str, build, n: int):
    """``engine``: build and backward, timed together; ``chain``: build untimed (kept in
    ``_PENDING`` by the caller's setup), backward timed."""
    if name == "engine":

        def run():
            build().backward()

        return run, n

    def setup():
        _PENDING.append(build())

    def run():
        _PENDING.pop().backward()

    run.setup = setup  # type: ignore[attr-defined]
    return run, n


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(framework: str, name: str, steps: int, warmup: int) -> dict:
    """Runs in a fresh process: seconds per unit of each timed step, and the peak RSS."""
    import gc

    fn, per = _ours(name) if framework == "ours" else _torch(name)
    setup = getattr(fn, "setup", None)
    clock = time.process_time if WORKLOADS[name][0] == 1 else time.perf_counter
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    samples = []
    gc.collect()
    gc.disable()  # graphs are freed by reference counting; a collection would add noise
    for _ in range(steps):
        if setup:
            setup()
        t0 = clock()
        fn()
        samples.append((clock() - t0) / per)
    gc.enable()
    return dict(median=statistics.median(samples), best=min(samples), rss=_peak_rss_mib())


OWN_THREADS: list[int] = [1]  # --own-threads: our own thread count (tg.set_num_threads)


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["TINYGRAD_CNN_NUM_THREADS"] = str(min(OWN_THREADS[0], threads))
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_one(framework: str, name: str, steps: int, warmup: int) -> dict:
    threads = WORKLOADS[name][0]
    argv = [sys.executable, __file__, "--child", framework, name, str(steps), str(warmup)]
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(threads))
    if proc.returncode != 0:
        raise RuntimeError(f"bench_targets: {framework} {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(names: list[str], rounds: int, steps: int, warmup: int) -> list[dict]:
    rows = []
    for name in names:
        ours, theirs, ratios, rss = [], [], [], []
        for r in range(rounds):
            order = ("ours", "torch") if r % 2 == 0 else ("torch", "ours")
            got = {fw: run_one(fw, name, steps, warmup) for fw in order}
            ours.append(got["ours"]["median"])
            theirs.append(got["torch"]["median"])
            ratios.append(ours[-1] / theirs[-1])
            rss.append((got["ours"]["rss"], got["torch"]["rss"]))
        row = dict(
            name=name,
            ours=statistics.median(ours),
            theirs=statistics.median(theirs),
            ratio=statistics.median(ratios),
            low=min(ratios),
            high=max(ratios),
            rss_ours=statistics.median(a for a, _ in rss),
            rss_theirs=statistics.median(b for _, b in rss),
        )
        rows.append(row)
        print(_line(row), file=sys.stderr, flush=True)
    return rows


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.2f} µs"


def _line(row: dict) -> str:
    _, what, target = WORKLOADS[row["name"]]
    return (
        f"{what}: ours {_fmt(row['ours'])}, PyTorch {_fmt(row['theirs'])}, "
        f"{row['ratio']:.2f}× ({row['low']:.2f}–{row['high']:.2f}), target ≤ {target}×"
    )


def print_rows(rows: list[dict], markdown: bool) -> None:
    load = os.getloadavg()[0]
    if markdown:
        print("| workload | ours | PyTorch | ours / PyTorch (range) | target |")
        print("| --- | --- | --- | --- | --- |")
    for row in rows:
        _, what, target = WORKLOADS[row["name"]]
        cells = [
            what,
            _fmt(row["ours"]),
            _fmt(row["theirs"]),
            f"{row['ratio']:.2f}× ({row['low']:.2f}–{row['high']:.2f})",
            f"≤ {target}×",
        ]
        print("| " + " | ".join(cells) + " |" if markdown else "  ".join(cells))
    for row in rows:
        if row["name"] == "lenet2":
            ratio = row["rss_ours"] / row["rss_theirs"]
            print(
                f"\npeak RSS of the LeNet step process (2 threads): "
                f"ours {row['rss_ours']:.0f} MiB, PyTorch {row['rss_theirs']:.0f} MiB, "
                f"{ratio:.2f}× (target ≤ 0.5×)"
            )
    print(f"load average at the end: {load:.1f}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        framework, name, steps, warmup = argv[1], argv[2], int(argv[3]), int(argv[4])
        print(json.dumps(child(framework, name, steps, warmup)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="process pairs per workload")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per process")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 5 steps")
    parser.add_argument(
        "--own-threads",
        type=int,
        default=1,
        help="our own threads (tg.set_num_threads) in the 2-thread workloads; 1 (default): "
        "BLAS's threads only",
    )
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {sorted(WORKLOADS)}")
    rounds, steps = (2, 5) if args.quick else (args.rounds, args.steps)
    OWN_THREADS[0] = args.own_threads
    print_rows(measure(names, rounds, steps, args.warmup), args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
