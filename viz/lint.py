"""``viz.lint(loss)``: numerically unstable patterns on the tape, and how to fix each.

    warnings = viz.lint(loss)     # prints one line per finding; returns LintWarning data

Patterns (ops and, where the graph still holds them, the values they saw):

* ``log(softmax(x))``: softmax rounds small probabilities to 0, and log(0) = −inf;
  use ``F.log_softmax`` (or ``F.cross_entropy`` on the logits).
* ``log(sigmoid(x))``, ``log(1 − sigmoid(x))`` and ``binary_cross_entropy(sigmoid(x), y)``:
  the same, for one logit; use ``F.binary_cross_entropy_with_logits`` (or
  ``−F.softplus(−x)`` for log σ(x)).
* ``exp`` of large inputs: exp overflows float32 above 88.7; subtract the maximum first.
* ``sqrt``, ``log``, division (and ``rsqrt``, ``reciprocal``) of values near 0: infinite
  values or gradients; add an eps (``sqrt(x + 1e-12)``, ``x.clamp(min=eps).log()``).
* float32 sums of very many terms: rounding grows with the number of terms; accumulate in
  float64 (``x.double().sum()``).

Value-based findings need the graph's values: lint before ``loss.backward()``, or after
``backward(retain_graph=True)``. In anomaly mode each finding names the line that made the op.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console
from rich.text import Text

import tinygrad_cnn as tg

from ._format import fmt_count
from ._tape import Tape, caller_names, tape

__all__ = ["LintWarning", "lint"]

_LOGS = ("Log", "Log2", "Log10")


@dataclass(frozen=True)
class LintWarning:
    """One finding: which rule, at which node, what is wrong and what to write instead."""

    rule: str  # "log-softmax", "log-sigmoid", "exp-overflow", "near-zero", "float32-sum"
    node: str  # node id, as in viz.show / viz.to_dot
    op: str
    message: str
    fix: str
    origin: str | None = None  # where the op was made (anomaly mode)

    def __str__(self) -> str:
        where = f" (made at {self.origin})" if self.origin else ""
        return f"{self.node} {self.op}{where}: {self.message}; fix: {self.fix}"


class _Linter:
    def __init__(self, tp: Tape, tiny: float, max_terms: int) -> None:
        self.tp, self.tiny, self.max_terms = tp, tiny, max_terms
        self.found: list[LintWarning] = []
        self.freed = False

    def producer(self, j: int) -> str | None:
        t = self.tp.tensors[j]
        return t.op.name if t is not None and t.op is not None else None

    def values(self, j: int) -> np.ndarray | None:
        t = self.tp.tensors[j]
        if t is None or t.is_freed:
            self.freed = True
            return None
        return np.asarray(t.numpy(), dtype=np.float64)

    def warn(self, i: int, rule: str, message: str, fix: str) -> None:
        t = self.tp.tensors[i]
        origin = t.op.origin if t is not None and t.op is not None else None
        nd = self.tp.graph.nodes[i]
        self.found.append(
            LintWarning(rule, nd.id, str(nd.op), message, fix, str(origin) if origin else None)
        )

    def near_zero(self, i: int, j: int, what: str, fix: str) -> bool:
        a = self.values(j)
        if a is None or a.size == 0:
            return False
        smallest = float(np.nanmin(np.abs(a)))
        if smallest >= self.tiny:
            return False
        self.warn(i, "near-zero", f"{what} of values as small as {smallest:.3g}", fix)
        return True

    def node(self, i: int) -> None:
        t = self.tp.tensors[i]
        name = t.op.name
        ins = self.tp.inputs(i)
        first = ins[0] if ins else None
        src = self.producer(first) if first is not None else None
        is_log = name in _LOGS
        if is_log and (src == "Exp" or (src == "Div" and self._softmax(first))):
            self.warn(
                i,
                "log-softmax",
                "log(softmax(x)): softmax rounds small probabilities to 0 and log(0) = −inf",
                "F.log_softmax(x, dim) (or F.cross_entropy on the logits)",
            )
            return
        if (is_log and (src == "Sigmoid" or self._one_minus_sigmoid(first))) or (
            name == "BinaryCrossEntropy" and src == "Sigmoid"
        ):
            self.warn(
                i,
                "log-sigmoid",
                "log of sigmoid(x) (or of 1 − sigmoid(x)): sigmoid rounds to 0 or 1 for "
                "|x| > 17 in float32, and the log becomes −inf",
                "F.binary_cross_entropy_with_logits(logits, target), or −F.softplus(−x) "
                "for log σ(x)",
            )
            return
        if is_log:
            self.near_zero(i, first, "log", "log(x + eps) or x.clamp(min=eps).log()")
        elif name == "Sqrt":
            self.near_zero(
                i, first, "sqrt (gradient 1/(2√x), infinite at 0)", "sqrt(x + eps), e.g. 1e-12"
            )
        elif name in ("Rsqrt", "Reciprocal"):
            self.near_zero(i, first, name.lower(), "add an eps to the input: (x + eps)")
        elif name == "Div" and len(ins) > 1:
            self.near_zero(
                i, ins[1], "division by a denominator", "divide by (d + eps) or d.clamp(min=eps)"
            )
        elif name == "Exp":
            self._exp(i, first, t)
        elif name == "Sum" and t.dtype == tg.float32:
            terms = max(self.tp.tensors[first].numel(), 1) // max(t.numel(), 1)
            if terms >= self.max_terms:
                self.warn(
                    i,
                    "float32-sum",
                    f"float32 sum of {fmt_count(terms)} terms per output: rounding error grows "
                    "with the number of terms (float32 keeps about 7 digits)",
                    "accumulate in float64: x.double().sum(), or sum in blocks",
                )

    def _exp(self, i: int, j: int, t: Any) -> None:
        a = self.values(j)
        if a is None or a.size == 0:
            return
        limit = math.log(float(np.finfo(t.dtype).max))
        biggest = float(np.nanmax(a))
        if biggest > limit / 2:
            state = "overflows to inf" if biggest > limit else f"is near overflow ({limit:.1f})"
            self.warn(
                i,
                "exp-overflow",
                f"exp of inputs up to {biggest:.3g}: exp in {t.dtype} {state}",
                "subtract the maximum first (x − x.amax(dim, keepdim=True)) or stay in log "
                "space (logsumexp, log_softmax)",
            )

    def _softmax(self, j: int) -> bool:
        ins = self.tp.inputs(j)
        return bool(ins) and self.producer(ins[0]) == "Exp"

    def _one_minus_sigmoid(self, j: int) -> bool:
        if self.producer(j) != "Sub":
            return False
        ins = self.tp.inputs(j)
        return len(ins) == 2 and self.producer(ins[1]) == "Sigmoid"


def lint(
    loss: tg.Tensor,
    *,
    tiny: float = 1e-7,
    max_terms: int = 2**20,
    console: Console | None = None,
    verbose: bool = True,
) -> list[LintWarning]:
    """Numerical-stability warnings for the graph behind ``loss``.

    Args:
        loss: the tensor whose graph is read.
        tiny: a value below this (in absolute value) counts as "near 0" for sqrt, log and
            division (default 1e-7, about float32's machine epsilon).
        max_terms: float32 sums of at least this many terms per output are reported
            (default 2**20).
        console: where to print (default: a rich Console 80 columns wide).
        verbose: print the findings (default True); they are returned either way.

    Returns:
        A list of :class:`LintWarning` in the graph's node order (empty: nothing found).
    """
    linter = _Linter(tape(loss, caller_names()), tiny, max_terms)
    for i, t in enumerate(linter.tp.tensors):
        if t is not None and t.op is not None:
            linter.node(i)
    if verbose:
        out = console or Console(width=80, highlight=False)
        for w in linter.found:
            out.print(Text("⚠ " + str(w), style="yellow"))
        if not linter.found:
            out.print(Text("lint: no numerically unstable pattern found", style="green"))
        if linter.freed:
            out.print(
                Text(
                    "lint: values were freed by backward, so value checks were skipped; lint "
                    "before loss.backward() or after backward(retain_graph=True)",
                    style="dim",
                )
            )
    return linter.found
