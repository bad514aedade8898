"""The run's figures, when matplotlib is installed (``pip install tinygrad-cnn[plot]``):
``curves.png`` (loss and accuracy, train and test, against the epoch) and, for Ising,
``phase.png`` (P(ordered) against T, with the estimate of T_c and Onsager's exact value).

Drawn with the Agg backend, which needs no display; without matplotlib nothing is written and
the run says so in one line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["matplotlib_available", "write_curves", "write_phase"]


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_curves(history: Sequence[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Loss (left) and accuracy (right) of each epoch, train and test."""
    plt = _pyplot()
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        for part, style in (("train", "o-"), ("test", "s--")):
            ax.plot(epochs, [row[f"{part}_{key}"] for row in history], style, label=part)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set_title("cross-entropy loss")
    ax_acc.set_title("accuracy")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_phase(
    temperatures: Sequence[float],
    p_ordered: Sequence[float],
    tc_estimate: float | None,
    tc_exact: float,
    path: Path,
    trained_below: float,
    trained_above: float,
) -> Path:
    """P(ordered) against T: the network's answer at every temperature, the band it never saw
    in training shaded, the estimate of T_c and Onsager's T_c = 2/ln(1+√2) marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), constrained_layout=True)
    ax.axvspan(trained_below, trained_above, color="0.92", label="not seen in training")
    ax.plot(temperatures, p_ordered, "o-", color="tab:blue", label="P(ordered)")
    ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
    ax.axvline(
        tc_exact,
        color="tab:orange",
        ls="--",
        label=f"Onsager $T_c = 2/\\ln(1+\\sqrt{{2}}) = {tc_exact:.3f}$",
    )
    if tc_estimate is not None and math.isfinite(tc_estimate):
        ax.axvline(tc_estimate, color="tab:green", label=f"estimate $T_c = {tc_estimate:.3f}$")
    ax.set_xlabel("temperature $T$  ($J = k_B = 1$)")
    ax.set_ylabel("P(ordered)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("Ising phases: the network's P(ordered) against T")
    ax.legend(loc="upper right", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
