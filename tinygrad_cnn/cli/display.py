"""What ``train`` shows while it runs: a progress bar and one table row per epoch, or, with
``--live`` in a terminal, a dashboard redrawn four times a second.

The dashboard (:class:`Dashboard`) holds the numbers and draws them on request, so it can be
rendered anywhere: by ``rich.live.Live`` during training, into a recording console for a
screenshot, or in a test.
"""

from __future__ import annotations

import math
import time
from typing import Any

from rich.console import Console, Group
from rich.layout import Layout
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .health import EXPLODE, GradientProbe, LayerHealth
from .textchart import LineChart, log_bar

__all__ = ["make_display", "PlainDisplay", "LiveDisplay", "Dashboard", "HEADER"]

BAR_EVERY = 10  # training steps between loss readings shown in the progress bar
PROBE_EVERY = 0.5  # seconds between measurements of the layers (gradients, updates, ReLUs)
MAX_POINTS = 4000  # per-step losses kept for the loss curve
HEADER = (
    f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'test loss':>9}  "
    f"{'test acc':>8}  {'time':>6}"
)


def _row_text(row: dict[str, Any]) -> str:
    return (
        f"{row['epoch']:>5}  {row['train_loss']:>10.4f}  {row['train_accuracy']:>9.2%}  "
        f"{row['test_loss']:>9.4f}  {row['test_accuracy']:>8.2%}  {row['seconds']:>5.1f}s"
    )


def make_display(console: Console, *, live: bool, model: Any, history: list, settings: dict):
    """The dashboard when ``live`` and the output is a terminal, else the progress bar."""
    if live and console.is_terminal:
        return LiveDisplay(console, Dashboard(model, history, settings))
    if live:
        console.print("(--live needs a terminal; showing the progress bar instead)")
    return PlainDisplay(console, history)


class PlainDisplay:
    """A transient progress bar per epoch, and one printed row per completed epoch."""

    probe = None

    def __init__(self, console: Console, history: list) -> None:
        from .report import progress

        self.console, self.history = console, history
        self._bar = progress(console)
        self._task = None

    def __enter__(self) -> PlainDisplay:
        self._bar.__enter__()
        self.console.print(f"[bold]{HEADER}[/bold]")
        for row in self.history:  # a resumed run: the epochs before
            self.console.print(f"[dim]{_row_text(row)}[/dim]")
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.__exit__(*exc)

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self._task = self._bar.add_task(f"epoch {epoch}/{epochs}", total=steps, info="")

    def want_probe(self) -> bool:
        return False

    def layers(self, layers: list[LayerHealth]) -> None:
        pass

    def step(self, epoch: int, step: int, loss: float, mean_loss: float, lr: float, n: int):
        info = {"info": f"loss {mean_loss:.4f}"} if step % BAR_EVERY == 0 else {}
        self._bar.update(self._task, advance=1, **info)

    def end_epoch(self, row: dict[str, Any]) -> None:
        self._bar.remove_task(self._task)
        self.console.print(_row_text(row))

    def print_history(self, history: list) -> None:
        pass  # printed as it happened


class Dashboard:
    """The numbers of a training run, and their drawing (``render()``)."""

    def __init__(self, model: Any, history: list, settings: dict) -> None:
        self.settings = settings
        self.history = history  # epoch rows, shared with the training loop
        self.probe = GradientProbe(model) if model is not None else None
        self.steps: list[tuple[float, float]] = []  # (fractional epoch, loss)
        self.lrs: list[tuple[float, float]] = []
        self.layer_health: list[LayerHealth] = []
        self.epoch, self.epochs, self.step_in_epoch, self.steps_per_epoch = 0, 0, 0, 0
        self.samples = 0
        self.started = time.perf_counter()
        self._epoch_started = self.started
        self._step_seconds: float | None = None  # moving average
        self._last_step = self.started
        self._last_probe = -math.inf
        self._test_seconds = 0.0  # of the last epoch's test pass
        self.lr = float(settings.get("lr", 0.0))
        self.mean_loss = math.nan

    # --------------------------------------------------------------- updates
    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.epoch, self.epochs, self.steps_per_epoch, self.step_in_epoch = epoch, epochs, steps, 0
        self._epoch_started = self._last_step = time.perf_counter()

    def want_probe(self) -> bool:
        if self.probe is None:
            return False
        now = time.perf_counter()
        if now - self._last_probe >= PROBE_EVERY:
            self._last_probe = now
            return True
        return False

    def layers(self, layers: list[LayerHealth]) -> None:
        self.layer_health = layers

    def step(self, epoch: int, step: int, loss: float, mean_loss: float, lr: float, n: int):
        now = time.perf_counter()
        dt = now - self._last_step
        self._last_step = now
        if step > 1:  # the first step of an epoch also waits for the shuffle
            a = self._step_seconds
            self._step_seconds = dt if a is None else 0.9 * a + 0.1 * dt
        self.step_in_epoch, self.samples, self.lr, self.mean_loss = step, n, lr, mean_loss
        x = epoch - 1 + step / max(self.steps_per_epoch, 1)
        self.steps.append((x, loss))
        if len(self.steps) > MAX_POINTS:  # keep every other point of the older half
            half = len(self.steps) // 2
            self.steps[:half] = self.steps[:half:2]
        self.lrs.append((x, lr))
        if len(self.lrs) > MAX_POINTS:
            self.lrs[: len(self.lrs) // 2] = self.lrs[: len(self.lrs) // 2 : 2]

    def end_epoch(self, row: dict[str, Any]) -> None:
        # the row is already in the shared history; what it adds is the test pass's time
        self._test_seconds = time.perf_counter() - self._last_step

    # --------------------------------------------------------------- figures
    def throughput(self) -> float | None:
        if not self._step_seconds or not self.samples:
            return None
        return self.samples / self._step_seconds

    def eta(self) -> float | None:
        """Seconds left: the steps still to take at the recent pace, plus a test pass per
        epoch as long as the last one took."""
        if self._step_seconds is None:
            return None
        epochs_left = self.epochs - self.epoch
        steps_left = self.steps_per_epoch - self.step_in_epoch + epochs_left * self.steps_per_epoch
        return steps_left * self._step_seconds + (epochs_left + 1) * self._test_seconds

    # --------------------------------------------------------------- drawing
    def render(self) -> Layout:
        """The whole dashboard, sized by whatever console draws it."""
        root = Layout(name="root")
        root.split_column(
            Layout(self._title(), name="title", size=1),
            Layout(name="curves", ratio=3, minimum_size=6),
            Layout(name="lower", ratio=3, minimum_size=6),
            Layout(self._progress_panel(), name="progress", size=3),
        )
        root["curves"].split_row(
            Layout(self._loss_panel(), name="loss"),
            Layout(self._accuracy_panel(), name="accuracy"),
        )
        root["lower"].split_row(
            Layout(self._lr_panel(), name="lr", ratio=2),
            Layout(self._gradient_panel(), name="gradients", ratio=5),
        )
        return root

    def _title(self) -> Text:
        s = self.settings
        t = Text(" tinygrad-cnn train ", style="bold reverse")
        t.append(
            f" {s.get('dataset', '')} · {s.get('model', '')} · {s.get('optimizer', '')}"
            f" · batch {s.get('batch_size', '')}",
            style="bold",
        )
        return t

    def _loss_panel(self) -> Panel:
        epochs = [r["epoch"] for r in self.history]
        chart = LineChart(
            {
                "train (steps)": ([x for x, _ in self.steps], [y for _, y in self.steps]),
                "test": (epochs, [r["test_loss"] for r in self.history]),
            },
            xlabel="epoch",
            empty="waiting for the first step…",
        )
        return Panel(chart, title="loss", border_style="cyan")

    def _accuracy_panel(self) -> Panel:
        epochs = [r["epoch"] for r in self.history]
        chart = LineChart(
            {
                "train": (epochs, [r["train_accuracy"] for r in self.history]),
                "test": (epochs, [r["test_accuracy"] for r in self.history]),
            },
            ylim=None,
            xlabel="epoch",
            empty="after the first epoch…",
        )
        return Panel(chart, title="accuracy", border_style="magenta")

    def _lr_panel(self) -> Panel:
        chart = LineChart(
            {"lr": ([x for x, _ in self.lrs], [y for _, y in self.lrs])},
            xlabel="epoch",
            empty="…",
        )
        head = Text(f"now {self.lr:.3g}", style="bold")
        sched = self.settings.get("scheduler", "none")
        head.append(f"  ({sched})" if sched and sched != "none" else "  (constant)", style="dim")
        return Panel(Group(head, chart), title="learning rate", border_style="green")

    def _gradient_panel(self) -> Panel:
        table = Table.grid(padding=(0, 1))
        table.add_column("layer", no_wrap=True, max_width=12, overflow="ellipsis")
        table.add_column("‖grad‖", no_wrap=True)
        table.add_column("Δw/w", no_wrap=True)
        table.add_column("flags", no_wrap=True, overflow="ellipsis")
        bar = 10
        table.add_row(
            Text("layer", style="dim"),
            Text("‖grad‖ 1e-6…1e3".ljust(bar + 8), style="dim"),
            Text("Δw/w 1e-6…1".ljust(bar + 8), style="dim"),
            Text("flags", style="dim"),
        )
        for lh in self.layer_health:
            flags = Text(", ".join(lh.flags), style="bold red" if lh.flags else "")
            if lh.dead_frac is not None:
                dead = Text(
                    f"dead {lh.dead_frac:>4.0%} ", style="yellow" if lh.dead_frac else "dim"
                )
                dead.append_text(_fraction_bar(lh.dead_frac, bar))
                table.add_row(Text(lh.name), dead, Text(""), flags)
                continue
            g = Text(f"{_num(lh.grad_norm):>7} ")
            style = "red" if lh.grad_norm is not None and lh.grad_norm > EXPLODE else "green"
            if "vanishing" in lh.flags:
                style = "blue"
            g.append_text(log_bar(lh.grad_norm, 1e-6, EXPLODE, bar, style))
            u = Text(f"{_num(lh.update_ratio):>7} ")
            u.append_text(log_bar(lh.update_ratio, 1e-6, 1.0, bar, "cyan"))
            table.add_row(Text(lh.name), g, u, flags)
        if not self.layer_health:
            table.add_row(Text("measured after the first step…", style="dim"), "", "", "")
        return Panel(table, title="gradients per layer", border_style="yellow")

    def _progress_panel(self) -> Panel:
        done = (self.step_in_epoch / self.steps_per_epoch) if self.steps_per_epoch else 0.0
        width = 20
        filled = round(done * width)
        line = Text(f"epoch {self.epoch}/{self.epochs} ", style="bold")
        line.append("━" * filled, style="cyan")
        line.append("━" * (width - filled), style="dim")
        line.append(f" step {self.step_in_epoch}/{self.steps_per_epoch}")
        eta = self.eta()
        line.append(f"  ETA {_clock(eta)}" if eta is not None else "  ETA –", style="bold")
        rate = self.throughput()
        line.append(f"  {rate:,.0f} samples/s" if rate else "  – samples/s")
        line.append(f"  elapsed {_clock(time.perf_counter() - self.started)}")
        if math.isfinite(self.mean_loss):
            line.append(f"  loss {self.mean_loss:.4f}")
        line.no_wrap, line.overflow = True, "ellipsis"
        return Panel(line, title="progress", border_style="blue")


def _num(v: float | None) -> str:
    if v is None:
        return "–"
    if not math.isfinite(v):
        return "nan"
    return f"{v:.1e}"


def _fraction_bar(frac: float, width: int) -> Text:
    n = round(min(max(frac, 0.0), 1.0) * width)
    return Text("█" * n + "·" * (width - n), style="red" if frac >= 1.0 else "yellow")


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _FitHeight:
    """A renderable drawn one line shorter than the terminal (a frame as tall as the terminal
    would scroll it at every refresh)."""

    def __init__(self, renderable: Any) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: Any):
        height = max(console.size.height - 1, 12)
        yield from console.render(self.renderable, options.update(height=height))


class LiveDisplay:
    """The dashboard inside ``rich.live.Live``, redrawn four times a second."""

    def __init__(self, console: Console, dashboard: Dashboard) -> None:
        from rich.live import Live

        self.console, self.dashboard = console, dashboard
        self.probe = dashboard.probe
        self._live = Live(
            console=console,
            get_renderable=lambda: _FitHeight(dashboard.render()),
            refresh_per_second=4,
            screen=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> LiveDisplay:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._live.__exit__(*exc)

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.dashboard.start_epoch(epoch, epochs, steps)

    def want_probe(self) -> bool:
        return self.dashboard.want_probe()

    def layers(self, layers: list[LayerHealth]) -> None:
        self.dashboard.layers(layers)

    def step(self, epoch: int, step: int, loss: float, mean_loss: float, lr: float, n: int):
        self.dashboard.step(epoch, step, loss, mean_loss, lr, n)

    def end_epoch(self, row: dict[str, Any]) -> None:
        self.dashboard.end_epoch(row)

    def print_history(self, history: list) -> None:
        """The epochs as a table under the last frame, for the terminal's scroll-back."""
        self.console.print(f"[bold]{HEADER}[/bold]")
        for row in history:
            self.console.print(_row_text(row))
