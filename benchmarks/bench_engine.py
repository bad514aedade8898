"""Engine overhead: the cost of recording small ops and of walking a large graph backward,
side by side with PyTorch (CPU) in the same run.

    python benchmarks/bench_engine.py              # a table of medians and ratios
    python benchmarks/bench_engine.py --quick      # fewer repeats
    python benchmarks/bench_engine.py --markdown   # the table as Markdown (for RESULTS.md)

On (32, 32) float32 arrays NumPy's own work is ~1-2 µs per op, so these cases measure the
framework: Tensor creation, Function dispatch, graph bookkeeping, the topological sort and
the backward loop. Times are per op (forward cases) or per graph node (backward cases).

Both sides run on one thread (NumPy's elementwise ops are single-threaded, and PyTorch does
not split arrays this small), so the times are CPU time of the process (``--wall`` for wall
time): steadier than wall time on a shared machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    Case,
    add_repo_to_path,
    compare,
    format_bytes,
    print_table,
    standard_parser,
    torch_or_none,
    traced_peak_bytes,
)

add_repo_to_path()

import numpy as np  # noqa: E402

import tinygrad_cnn as tg  # noqa: E402

CHAIN = 200  # ops per forward sample
NODES = 10_000  # nodes per backward sample


def _chain_add(x, b, n=CHAIN):
    y = x
    for _ in range(n):
        y = y + b
    return y


def _chain_mul_scalar(x, n=CHAIN):
    y = x
    for _ in range(n):
        y = y * 1.0001
    return y


def _chain_mixed(x, b, n=CHAIN):
    """add, mul, tanh, sub in turn (four kinds of ops, two with saved values)."""
    y = x
    for _ in range(n // 4):
        y = ((y + b) * b).tanh() - b
    return y


def _residual(x, n):
    """y ← y + tanh(0.5·y): each tensor feeds two ops (shared subexpressions), 3 ops a step."""
    y = x
    for _ in range(n // 3):
        y = y + (y * 0.5).tanh()
    return y


def cases(torch) -> list[Case]:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 32)).astype(np.float32)
    b_np = rng.standard_normal((32, 32)).astype(np.float32)
    x, b = tg.Tensor(x_np, requires_grad=True), tg.Tensor(b_np)
    tx = torch.tensor(x_np, requires_grad=True) if torch else None
    tb = torch.tensor(b_np) if torch else None

    def both(name, ours, theirs, **kw):
        return Case(name, ours, theirs if torch else None, **kw)

    result = [
        both(
            "add (32,32), recording",
            lambda: _chain_add(x, b),
            lambda: _chain_add(tx, tb),
            per=CHAIN,
            unit="op",
        ),
        both(
            "mul by a Python float, recording",
            lambda: _chain_mul_scalar(x),
            lambda: _chain_mul_scalar(tx),
            per=CHAIN,
            unit="op",
        ),
        both(
            "add/mul/tanh/sub, recording",
            lambda: _chain_mixed(x, b),
            lambda: _chain_mixed(tx, tb),
            per=CHAIN,
            unit="op",
        ),
    ]

    def no_grad_ours():
        with tg.no_grad():
            _chain_add(x, b)

    def no_grad_theirs():
        with torch.no_grad():
            _chain_add(tx, tb)

    result.append(both("add (32,32), no_grad", no_grad_ours, no_grad_theirs, per=CHAIN, unit="op"))

    # backward only: the graph is built untimed before each sample
    def chain_graph(lib_x, lib_b):
        return lambda: _chain_add(lib_x, lib_b, NODES).sum()

    result.append(
        both(
            f"backward, {NODES:,}-node chain",
            lambda root: root.backward(),
            lambda root: root.backward(),
            ours_setup=chain_graph(x, b),
            theirs_setup=chain_graph(tx, tb) if torch else None,
            per=NODES,
            unit="node",
        )
    )
    result.append(
        both(
            f"backward, {NODES:,}-node residual graph",
            lambda root: root.backward(),
            lambda root: root.backward(),
            ours_setup=lambda: _residual(x, NODES).sum(),
            theirs_setup=(lambda: _residual(tx, NODES).sum()) if torch else None,
            per=NODES,
            unit="node",
        )
    )
    return result


def main() -> None:
    parser = standard_parser(__doc__.splitlines()[0])
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 25)
    torch = torch_or_none(threads=1)
    clock = time.perf_counter if args.wall else time.process_time
    rows = compare(cases(torch), repeats=repeats, clock=clock)
    if not args.markdown:
        version = torch.__version__ if torch else "not installed"
        print(
            f"engine overhead, median of {repeats} interleaved repeats, "
            f"{'wall' if args.wall else 'CPU'} time, one thread (PyTorch {version})"
        )
    print_table(rows, markdown=args.markdown)
    x = tg.Tensor(np.zeros((32, 32), np.float32), requires_grad=True)
    b = tg.Tensor(np.ones((32, 32), np.float32))

    def build_and_backward():
        _chain_add(x, b, NODES).sum().backward()

    peak = traced_peak_bytes(build_and_backward)
    print(
        f"\npeak traced memory, build + backward of the {NODES:,}-node chain on (32, 32) float32: "
        f"{format_bytes(peak)} ({format_bytes(peak / NODES)} per node, of which 4.0 KiB is "
        "the output array)"
    )


if __name__ == "__main__":
    main()
