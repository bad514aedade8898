"""How long the visualizer takes on graphs of about 500 and 10,000 nodes.

    python benchmarks/bench_viz.py            # median of 5 runs per figure
    python benchmarks/bench_viz.py --quick    # median of 2

The graph is a residual MLP made of real ``nn`` layers (Linear → Tanh → add), with a loss,
after ``backward(retain_graph=True)``; one block is 7 nodes (weight, bias, transpose, matmul,
add, tanh, residual add). Figures: ``trace`` (graph → plain data), ``+grads`` (trace with
every intermediate gradient: one more backward pass), ``dot`` and ``terminal`` (render an
already traced graph: DOT text; the 80-column lanes view into a string), and the two
end-to-end paths ``trace+dot`` and ``trace+terminal``. The target is under 1 s end to end for
500 nodes.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinygrad_cnn as tg  # noqa: E402
import viz  # noqa: E402
from tinygrad_cnn import nn  # noqa: E402


class Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.Tanh()  # bounded: 1,430 residual blocks stay finite

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return x + self.act(self.fc(x))


def graph_of(n_blocks: int, width: int = 8) -> tg.Tensor:
    tg.manual_seed(0)
    model = nn.Sequential(*[Block(width) for _ in range(n_blocks)])
    x = tg.randn(4, width)
    loss = (model(x) ** 2).mean()
    loss.backward(retain_graph=True)
    return loss


def median_s(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def terminal(g: viz.Graph, depth: int | None = None) -> str:
    buf = io.StringIO()
    viz.show(g, depth=depth, console=Console(file=buf, width=80, color_system=None))
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="median of 2 runs instead of 5")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5

    print(f"viz timings, median of {repeats} (seconds)")
    header = (
        f"{'nodes':>7} {'trace':>7} {'+grads':>7} {'dot':>7} {'terminal':>9} "
        f"{'depth=1':>8} {'trace+dot':>10} {'trace+term':>11}"
    )
    print(header)
    print("-" * len(header))
    for n_blocks in (72, 1430):
        loss = graph_of(n_blocks)
        g = viz.trace(loss, grads=False)
        n_nodes = len(g.nodes)
        t_trace = median_s(lambda loss=loss: viz.trace(loss, grads=False), repeats)
        t_grads = median_s(lambda loss=loss: viz.trace(loss, grads=True), repeats)
        t_dot = median_s(lambda g=g: viz.to_dot(g), repeats)
        t_term = median_s(lambda g=g: terminal(g), repeats)
        t_fold = median_s(lambda g=g: terminal(g, depth=1), repeats)
        t_e2e_dot = median_s(lambda loss=loss: viz.to_dot(loss), repeats)
        t_e2e_term = median_s(lambda loss=loss: terminal(viz.trace(loss)), repeats)
        print(
            f"{n_nodes:>7} {t_trace:>7.3f} {t_grads:>7.3f} {t_dot:>7.3f} {t_term:>9.3f} "
            f"{t_fold:>8.3f} {t_e2e_dot:>10.3f} {t_e2e_term:>11.3f}"
        )
        rows = terminal(g).count("\n")
        assert rows >= n_nodes - 2, (rows, n_nodes)  # one row per node (constants inlined)
    print("(trace+dot and trace+term trace with the default grads=None: after backward that")
    print(" includes the intermediate-gradient pass)")


if __name__ == "__main__":
    main()
