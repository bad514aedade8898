"""CNN ops side by side with PyTorch (CPU), in the same process, interleaved.

    python benchmarks/bench_cnn.py                 # all cases, 2 threads on both sides
    python benchmarks/bench_cnn.py --threads 1     # one thread each, timed in CPU time
    python benchmarks/bench_cnn.py --quick --only conv --markdown

Each repeat times our op, then PyTorch's on the same data, so both see the same machine
load; the table shows the median of each and their ratio (ours / PyTorch). Both use float32
and the same number of threads (``--threads`` sets OPENBLAS/OMP_NUM_THREADS by restarting the
script, since BLAS reads them at import). With one thread the clock is the process's CPU time,
which a busy shared machine disturbs much less than wall time. With two threads each timed
call follows an untimed 0.3 s pause (``common.idle_pause``): otherwise the threads one library
leaves spinning after its last parallel call slow the other library's call that follows.

Conv shapes: PERFORMANCE.md describes the LeNet step, so the first two are its convolutions at
batch 64; the other three are common CNN layers (a CIFAR stem with 3 input channels, a deep
3×3 layer with 128 channels, a strided downsampling layer). The input gradient is computed
where a network needs it (not for the first layer of a network).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import (  # noqa: E402
    Case,
    add_repo_to_path,
    compare,
    idle_pause,
    print_table,
    standard_parser,
    torch_or_none,
)

add_repo_to_path()

import tinygrad_cnn as tg  # noqa: E402
import tinygrad_cnn.functional as F  # noqa: E402

# (name, N, C, H, W, OC, K, stride, padding, input needs grad)
CONV_SHAPES = [
    ("LeNet conv1 64×1×28×28 → 32, 3×3 p1", 64, 1, 28, 28, 32, 3, 1, 1, False),
    ("LeNet conv2 64×32×14×14 → 64, 3×3 p1", 64, 32, 14, 14, 64, 3, 1, 1, True),
    ("CIFAR stem 32×3×32×32 → 64, 3×3 p1", 32, 3, 32, 32, 64, 3, 1, 1, False),
    ("deep 16×128×16×16 → 128, 3×3 p1", 16, 128, 16, 16, 128, 3, 1, 1, True),
    ("downsample 32×64×32×32 → 128, 3×3 s2 p1", 32, 64, 32, 32, 128, 3, 2, 1, True),
]


def conv_cases(torch, rng):
    for shape in CONV_SHAPES:
        yield from _conv_case(torch, rng, *shape)


def _conv_case(torch, rng, name, N, C, H, W, OC, K, S, P, x_grad):
    TF = torch.nn.functional
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((OC, C, K, K), dtype=np.float32) * 0.1
    b = rng.standard_normal(OC, dtype=np.float32)
    OH = (H + 2 * P - K) // S + 1
    g = rng.standard_normal((N, OC, OH, OH), dtype=np.float32)
    X = tg.Tensor(x, requires_grad=x_grad)
    Wt, B, G = tg.Tensor(w, requires_grad=True), tg.Tensor(b, requires_grad=True), tg.Tensor(g)
    xt = torch.from_numpy(x).requires_grad_(x_grad)
    wt, bt = torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_()
    gt = torch.from_numpy(g)

    def ours_fwd():
        return F.conv2d(X, Wt, B, S, P)

    def theirs_fwd():
        return TF.conv2d(xt, wt, bt, S, P)

    def ours_step():
        Wt.grad = B.grad = X.grad = None
        F.conv2d(X, Wt, B, S, P).backward(G)

    def theirs_step():
        wt.grad = bt.grad = xt.grad = None
        TF.conv2d(xt, wt, bt, S, P).backward(gt)

    yield Case(f"conv2d fwd {name}", ours_fwd, theirs_fwd)
    yield Case(f"conv2d fwd+bwd {name}", ours_step, theirs_step)


def pool_norm_cases(torch, rng):
    TF = torch.nn.functional
    x = rng.standard_normal((64, 32, 28, 28), dtype=np.float32)
    for label, kwargs in [
        ("max_pool2d 2×2 64×32×28×28", dict(kernel_size=2)),
        ("max_pool2d 3×3 s2 p1 64×32×28×28", dict(kernel_size=3, stride=2, padding=1)),
    ]:
        X = tg.Tensor(x, requires_grad=True)
        xt = torch.from_numpy(x).requires_grad_()
        out_shape = TF.max_pool2d(xt, **kwargs).shape
        g = rng.standard_normal(tuple(out_shape), dtype=np.float32)
        G, gt = tg.Tensor(g), torch.from_numpy(g)

        def ours(X=X, G=G, kwargs=kwargs):
            X.grad = None
            F.max_pool2d(X, **kwargs).backward(G)

        def theirs(xt=xt, gt=gt, kwargs=kwargs):
            xt.grad = None
            TF.max_pool2d(xt, **kwargs).backward(gt)

        yield Case(f"{label} fwd+bwd", ours, theirs)

    X = tg.Tensor(x, requires_grad=True)
    w, b = tg.ones(32, requires_grad=True), tg.zeros(32, requires_grad=True)
    rm, rv = tg.zeros(32), tg.ones(32)
    xt = torch.from_numpy(x).requires_grad_()
    wt, bt = torch.ones(32, requires_grad=True), torch.zeros(32, requires_grad=True)
    rmt, rvt = torch.zeros(32), torch.ones(32)
    g = rng.standard_normal(x.shape, dtype=np.float32)
    G, gt = tg.Tensor(g), torch.from_numpy(g)

    def ours_bn():
        X.grad = w.grad = b.grad = None
        F.batch_norm(X, rm, rv, w, b, training=True).backward(G)

    def theirs_bn():
        xt.grad = wt.grad = bt.grad = None
        TF.batch_norm(xt, rmt, rvt, wt, bt, training=True).backward(gt)

    yield Case("batch_norm train 64×32×28×28 fwd+bwd", ours_bn, theirs_bn)

    logits = rng.standard_normal((64, 10), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    L, Y = tg.Tensor(logits, requires_grad=True), tg.Tensor(labels)
    lt, yt = torch.from_numpy(logits).requires_grad_(), torch.from_numpy(labels)

    def ours_ce():
        L.grad = None
        F.cross_entropy(L, Y).backward()

    def theirs_ce():
        lt.grad = None
        TF.cross_entropy(lt, yt).backward()

    yield Case("cross_entropy 64×10 fwd+bwd", ours_ce, theirs_ce)


def lenet_case(torch, rng):
    """The LeNet-style training step of PERFORMANCE.md, written with the functional API."""
    TF = torch.nn.functional
    shapes = {
        "c1w": (32, 1, 3, 3),
        "c1b": (32,),
        "c2w": (64, 32, 3, 3),
        "c2b": (64,),
        "f1w": (128, 3136),
        "f1b": (128,),
        "f2w": (10, 128),
        "f2b": (10,),
        "bn1w": (32,),
        "bn1b": (32,),
        "bn2w": (64,),
        "bn2b": (64,),
    }
    init = {k: (rng.standard_normal(s, dtype=np.float32) * 0.05) for k, s in shapes.items()}
    ours_p = {k: tg.Tensor(v.copy(), requires_grad=True) for k, v in init.items()}
    theirs_p = {k: torch.from_numpy(v.copy()).requires_grad_() for k, v in init.items()}
    stats_ours = [tg.zeros(32), tg.ones(32), tg.zeros(64), tg.ones(64)]
    stats_theirs = [torch.zeros(32), torch.ones(32), torch.zeros(64), torch.ones(64)]
    x = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)

    def step(lib, p, stats, x, y):
        h = lib.conv2d(x, p["c1w"], p["c1b"], 1, 1)
        h = lib.batch_norm(h, stats[0], stats[1], p["bn1w"], p["bn1b"], True)
        h = lib.max_pool2d(lib.relu(h), 2)
        h = lib.conv2d(h, p["c2w"], p["c2b"], 1, 1)
        h = lib.batch_norm(h, stats[2], stats[3], p["bn2w"], p["bn2b"], True)
        h = lib.max_pool2d(lib.relu(h), 2)
        h = lib.relu(lib.linear(h.reshape(64, -1), p["f1w"], p["f1b"]))
        loss = lib.cross_entropy(lib.linear(h, p["f2w"], p["f2b"]), y)
        loss.backward()

    X, Y = tg.Tensor(x), tg.Tensor(y)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def ours():
        for t in ours_p.values():
            if t.grad is not None:  # SGD as the optimizer would do it
                t._data -= 0.01 * t.grad._data
            t.grad = None
        step(F, ours_p, stats_ours, X, Y)

    def theirs():
        with torch.no_grad():
            for t in theirs_p.values():
                if t.grad is not None:
                    t -= 0.01 * t.grad
                t.grad = None
        step(TF, theirs_p, stats_theirs, xt, yt)

    yield Case("LeNet training step, batch 64 (functional API)", ours, theirs)


def main(argv: list[str] | None = None) -> int:
    parser = standard_parser(__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--threads", type=int, default=2, help="threads for BLAS and PyTorch")
    args = parser.parse_args(argv)
    wanted = str(args.threads)
    if os.environ.get("OPENBLAS_NUM_THREADS") != wanted:  # BLAS reads it at import: restart
        env = dict(os.environ, OPENBLAS_NUM_THREADS=wanted, OMP_NUM_THREADS=wanted)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    torch = torch_or_none(args.threads)
    if torch is None:
        print("bench_cnn: PyTorch is not installed; nothing to compare with", file=sys.stderr)
        return 1
    repeats = args.repeats or (5 if args.quick else 15)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    rng = np.random.default_rng(0)
    cases = [*conv_cases(torch, rng), *pool_norm_cases(torch, rng), *lenet_case(torch, rng)]
    cases = [c for c in cases if args.only in c.name]
    rows = []
    for case in cases:  # one at a time, so that progress shows on a slow machine
        rows += compare([case], repeats=repeats, clock=clock, pause=idle_pause(args.threads))
        if not args.markdown:
            r = rows[-1]
            print(
                f"{r.name:<58} ours {r.ours * 1e3:8.2f} ms   PyTorch {r.theirs * 1e3:8.2f} ms"
                f"   {r.ratio:5.2f}×",
                flush=True,
            )
    if args.markdown:
        pause = idle_pause(args.threads)
        kind = "CPU time" if args.threads == 1 else f"wall time, {pause:g} s pause before each call"
        print(
            f"NumPy {np.__version__}, PyTorch {torch.__version__}, {args.threads} thread(s) "
            f"each, median of {repeats} interleaved repeats ({kind})\n"
        )
        print_table(rows, markdown=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
