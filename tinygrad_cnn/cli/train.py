"""``tinygrad-cnn train``: train a model, keep a checkpoint per epoch, report, draw.

The run folder (``--out``) receives ``config.json`` (the settings), ``model.ckpt`` (after each
epoch: model, optimizer, scheduler and random states, see ``docs/checkpoints.md``),
``metrics.csv``, ``metrics.json`` and, with matplotlib, ``curves.png`` (and ``phase.png``).
``--resume RUN`` rebuilds everything from those files and continues exactly where the last
completed epoch left off: the weights at the end equal those of a run that never stopped.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_NAME,
    CONFIG_NAME,
    checkpoint_of,
    read_checkpoint,
    read_config,
)
from .data import Augmented, augmentation, image_spec, ising_spec, load_data
from .device import check_device
from .errors import PROG, CommandError, UsageError
from .metrics import MetricsLog
from .modelfile import build_model, check_train_model, train_model_record
from .parser import DISORDERED_ABOVE, ORDERED_BELOW, RESUMABLE
from .paths import check_folder
from .report import console as make_console
from .report import evaluate, ising_report, write_json

__all__ = ["run", "DIVERGED_FACTOR", "resolve_settings"]

# a loss this many times larger than the first step's (or than 1, if that was smaller) has
# exploded: cross-entropy starts near ln(classes) and a healthy run only goes down from there
DIVERGED_FACTOR = 100.0

_EPOCHS = {"ising": 2, "digits": 12, "mnist": 2, "fashion-mnist": 2}
_BATCH = {"ising": 64, "digits": 32, "mnist": 64, "fashion-mnist": 64}
_ADAM_LR = {"ising": 3e-3, "digits": 2e-3, "mnist": 1e-3, "fashion-mnist": 1e-3}
_OTHER_LR = {"sgd": 0.05, "rmsprop": 1e-3, "adadelta": 1.0}
_DEFAULTS: dict[str, Any] = {
    "dataset": "ising",
    "optimizer": "adam",
    "scheduler": "none",
    "augment": False,
    "device": "cpu",
    "seed": 0,
    "limit": None,
    "log_every": 0,
    "live": False,
    "download": False,
}
_ISING_ONLY = ("lattice", "samples_per_t")
_IMAGES_ONLY = ("data_dir", "download")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def resolve_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Every setting of a new run: the command line's, else the defaults (which depend on the
    data set and the optimizer). Usage errors for options that do not fit together."""
    given = {k: v for k, v in vars(args).items() if v is not None}
    s = {**_DEFAULTS, **{k: v for k, v in given.items() if k in _DEFAULTS}}
    dataset = s["dataset"]
    for names, ok in ((_ISING_ONLY, dataset == "ising"), (_IMAGES_ONLY, dataset != "ising")):
        for name in names:
            if name in given and not ok:
                raise UsageError(f"{_option(name)} does not apply to --dataset {dataset}")
    if "data_dir" in given and dataset == "digits":
        raise UsageError("--data-dir does not apply to --dataset digits (scikit-learn has it)")
    s["epochs"] = given.get("epochs", _EPOCHS[dataset])
    s["batch_size"] = given.get("batch_size", _BATCH[dataset])
    opt = s["optimizer"]
    s["lr"] = given.get("lr", _ADAM_LR[dataset] if opt.startswith("adam") else _OTHER_LR[opt])
    s["weight_decay"] = given.get("weight_decay", 0.01 if opt == "adamw" else 0.0)
    s["model"] = given.get("model", "ising-cnn" if dataset == "ising" else "lenet")
    check_train_model(s["model"])
    if dataset == "ising":
        s["lattice"] = given.get("lattice", 16)
        if s["lattice"] < 4:
            raise UsageError(f"--lattice must be at least 4, got {s['lattice']}")
        s["samples_per_t"] = given.get("samples_per_t", 150)
    elif dataset != "digits":
        s["data_dir"] = given.get("data_dir", "data" if dataset == "mnist" else None)
    return s


def _resume_settings(args: argparse.Namespace) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """Settings of the run being resumed (plus the allowed changes), its folder and checkpoint."""
    run = Path(args.resume)
    skip = {"command", "handler", "parser", "resume", "out", *RESUMABLE}
    extra = sorted(k for k, v in vars(args).items() if v is not None and k not in skip)
    if extra:
        names = ", ".join(_option(k) for k in extra)
        raise UsageError(
            f"--resume takes the settings of {run} from its {CONFIG_NAME}; {names} cannot be "
            "changed (only --epochs and --live may be given)"
        )
    if args.out is not None and Path(args.out).resolve() != run.resolve():
        raise UsageError("--resume continues the run in its own folder; leave out --out")
    if not run.is_dir():
        raise UsageError(f"--resume {run}: no such run folder")
    config = read_config(run)
    state = read_checkpoint(checkpoint_of(run, "--resume"))
    s = dict(config["settings"])
    if args.epochs is not None:
        s["epochs"] = args.epochs
    s["live"] = bool(args.live)
    if state["epoch"] >= s["epochs"]:
        raise UsageError(
            f"--resume {run}: the run already completed epoch {state['epoch']} of "
            f"{s['epochs']}; give --epochs N with N > {state['epoch']} to train it further"
        )
    return s, run, state


def _default_out(dataset: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{dataset}-{stamp}"
    k = 1
    while out.exists():
        k += 1
        out = Path("runs") / f"{dataset}-{stamp}-{k}"
    return out


def _check_paths(s: dict[str, Any], out: Path, resuming: bool) -> None:
    """Everything this run will write, checked before any work starts."""
    check_folder(out, "--out")
    if not resuming and (out / CHECKPOINT_NAME).exists():
        raise UsageError(
            f"--out {out} already holds a run ({CHECKPOINT_NAME}); continue it with "
            f"'--resume {out}' or choose another --out"
        )
    for name in ("metrics.csv", "metrics.json", CONFIG_NAME, CHECKPOINT_NAME):
        if (out / name).is_dir():
            raise UsageError(f"--out {out}: {out / name} is a folder, not a file")
    data_dir = s.get("data_dir")
    if data_dir is not None:
        path = Path(data_dir)
        if path.exists() and not path.is_dir():
            raise UsageError(f"--data-dir {path} is a file, not a folder")
        if s.get("download"):
            check_folder(path, "--data-dir")


def _make_optimizer(s: dict[str, Any], params):
    from .. import optim

    name, lr, wd = s["optimizer"], s["lr"], s["weight_decay"]
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    cls = {
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "rmsprop": optim.RMSprop,
        "adadelta": optim.Adadelta,
    }[name]
    return cls(params, lr=lr, weight_decay=wd)


def _make_scheduler(s: dict[str, Any], opt):
    from ..optim import lr_scheduler as sched

    name = s["scheduler"]
    if name == "step":
        return sched.StepLR(opt, step_size=1, gamma=0.7)
    if name == "exponential":
        return sched.ExponentialLR(opt, gamma=0.9)
    if name == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=s["epochs"])
    return None


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C inside the block takes effect at its end, so that the checkpoint, the history
    and metrics.csv always describe the same epoch. An ignored SIGINT (a job started in the
    background by a shell) stays ignored."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


class Diverged(Exception):
    """The loss stopped being a number, or exploded."""


def _divergence(loss: float, first: float) -> str | None:
    """What went wrong with this step's loss, or None if it is fine."""
    if math.isnan(loss):
        return "the loss is NaN"
    if math.isinf(loss):
        return "the loss is infinite"
    if loss > DIVERGED_FACTOR * max(first, 1.0):
        return f"the loss exploded to {loss:.3g} (it was {first:.3g} at the first step)"
    return None


def run(args: argparse.Namespace) -> int:
    import tinygrad_cnn as tg

    from .. import functional as F
    from ..data import DataLoader

    resuming = args.resume is not None
    if resuming:
        s, out, state = _resume_settings(args)
    else:
        s, state = resolve_settings(args), None
        out = Path(args.out) if args.out else _default_out(s["dataset"])
    _check_paths(s, out, resuming)
    device = check_device(s["device"])
    console = make_console()
    started = time.perf_counter()

    if s["dataset"] == "ising":
        spec = ising_spec(s["lattice"], s["samples_per_t"], s["seed"], s["limit"])
    else:
        spec = image_spec(s["dataset"], s.get("data_dir"), s["download"], s["limit"])
    data = load_data(spec, console)
    if state is not None:
        record = state["model"]
    else:
        record = train_model_record(s["model"], data.image_size, data.num_classes, 1)
    tg.manual_seed(s["seed"])
    model = build_model(record).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    opt = _make_optimizer(s, model.parameters())
    scheduler = _make_scheduler(s, opt)
    train_set = data.train
    if s["augment"]:
        train_set = Augmented(train_set, augmentation(data.name, data.image_size))
    loader = DataLoader(
        train_set, batch_size=s["batch_size"], shuffle=True, seed=s["seed"], device=device
    )
    history: list[dict[str, Any]] = []
    first_epoch, global_step, first_loss = 1, 0, None
    if state is not None:
        model.load_state_dict(state["state_dict"])
        opt.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        tg.set_rng_state(state["rng"]["global"])
        loader.generator.set_state(state["rng"]["loader"])
        history = list(state["history"])
        first_epoch, global_step = state["epoch"] + 1, state["step"]
        first_loss = state["first_loss"]

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CommandError(f"cannot create the output folder {out}: {e.strerror}") from None
    ckpt_path, metrics_path = out / CHECKPOINT_NAME, out / "metrics.json"
    config = {
        "format": "tinygrad-cnn/config-v1",
        "settings": s,
        "model": record,
        "data": data.spec,
        "parameters": n_params,
        "command": [PROG, *sys.argv[1:]] if sys.argv[1:] else None,
    }
    write_json(out / CONFIG_NAME, config)
    log = MetricsLog(out / "metrics.csv", keep_until_epoch=first_epoch - 1 if resuming else None)

    label = record.get("name") or f"{Path(record['file']).name}:{record['function']}"
    what = f"Resuming {out} at epoch {first_epoch}: " if resuming else ""
    console.print(
        f"{what}Model {label} ({n_params:,} parameters), {s['optimizer']} lr={s['lr']:g}"
        + (f" wd={s['weight_decay']:g}" if s["weight_decay"] else "")
        + (f", {s['scheduler']} schedule" if scheduler is not None else "")
        + (", augmented" if s["augment"] else "")
        + f", batch {s['batch_size']}, {s['epochs']} epochs on {device}",
        soft_wrap=True,
    )
    from .display import make_display

    display = make_display(console, live=s["live"], model=model, history=history, settings=s)
    metrics: dict[str, Any] = {"config": config, "data": data.spec, "history": history}
    outcome = "done"
    diverged_at = ""
    steps_per_epoch = len(loader)
    with display:
        try:
            for epoch in range(first_epoch, s["epochs"] + 1):
                t0 = time.perf_counter()
                display.start_epoch(epoch, s["epochs"], steps_per_epoch)
                model.train()
                # running sums stay on the device (no per-step sync for the accuracy)
                loss_sum, correct, seen = 0.0, 0, 0
                window_loss, window_correct, window_seen, window_t = 0.0, 0, 0, time.perf_counter()
                for step, (x, y) in enumerate(loader, 1):
                    probing = display.want_probe()
                    if probing:
                        display.probe.arm()
                    # overflow in a diverging run is detected below, one clear line instead
                    # of NumPy's warnings from inside every op and the optimizer
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        logits = model(x)
                        loss = F.cross_entropy(logits, y)
                        value = float(loss)
                        if first_loss is None:
                            first_loss = value
                        problem = _divergence(value, first_loss)
                        if problem is not None:
                            diverged_at = (
                                f"at epoch {epoch}, step {step} of {steps_per_epoch}: {problem}"
                            )
                            raise Diverged(diverged_at)
                        opt.zero_grad()
                        loss.backward()
                        if probing:
                            display.probe.before_step()
                        opt.step()
                    global_step += 1
                    hits = (logits.argmax(axis=1) == y).sum()
                    loss_sum, correct = loss_sum + value * len(y), correct + hits
                    seen += len(y)
                    lr = opt.param_groups[0]["lr"]
                    if probing:
                        display.layers(display.probe.after_step())
                    display.step(epoch, step, value, loss_sum / seen, lr, len(y))
                    if s["log_every"]:
                        window_loss += value * len(y)
                        window_correct = window_correct + hits
                        window_seen += len(y)
                        if global_step % s["log_every"] == 0:
                            now = time.perf_counter()
                            log.write(
                                kind="step",
                                epoch=epoch,
                                step=global_step,
                                train_loss=window_loss / window_seen,
                                train_accuracy=int(window_correct) / window_seen,
                                lr=lr,
                                samples_per_second=window_seen / max(now - window_t, 1e-9),
                                seconds=now - started,
                            )
                            window_loss, window_correct, window_seen = 0.0, 0, 0
                            window_t = now
                train_seconds = time.perf_counter() - t0
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    test_loss, test_acc = evaluate(model, data.test, 256, device)
                if not math.isfinite(test_loss):
                    diverged_at = f"at epoch {epoch}, on the test set: the test loss is {test_loss}"
                    raise Diverged(diverged_at)
                lr = opt.param_groups[0]["lr"]
                row = {
                    "epoch": epoch,
                    "step": global_step,
                    "train_loss": loss_sum / seen,
                    "train_accuracy": int(correct) / seen,
                    "test_loss": test_loss,
                    "test_accuracy": test_acc,
                    "lr": lr,
                    "seconds": time.perf_counter() - t0,
                }
                with _uninterrupted():
                    if scheduler is not None:
                        scheduler.step()
                    tg.save(
                        {
                            "format": CHECKPOINT_FORMAT,
                            "model": record,
                            "data": data.spec,
                            "config": config,
                            "epoch": epoch,
                            "step": global_step,
                            "test_accuracy": test_acc,
                            "state_dict": model.state_dict(),
                            "optimizer": opt.state_dict(),
                            "scheduler": None if scheduler is None else scheduler.state_dict(),
                            "rng": {
                                "global": tg.get_rng_state(),
                                "loader": loader.generator.get_state(),
                            },
                            "first_loss": first_loss,
                            "history": history + [row],
                        },
                        ckpt_path,
                    )  # atomic: an interrupt leaves the previous one intact
                    history.append(row)
                    log.write(
                        kind="epoch",
                        samples_per_second=seen / max(train_seconds, 1e-9),
                        **{k: row[k] for k in row if k != "seconds"},
                        seconds=time.perf_counter() - started,
                    )
                display.end_epoch(row)
        except KeyboardInterrupt:
            outcome = "interrupted"
        except Diverged:
            outcome = "diverged"

    display.print_history(history)
    metrics["train_seconds"] = time.perf_counter() - started
    metrics.update(data.extra)
    _figures(out, history, None, data, console)
    if outcome == "interrupted":
        metrics["interrupted"] = True
        write_json(metrics_path, metrics)
        console.print()
        if history:
            console.print(
                f"[yellow]Interrupted[/yellow] during epoch {history[-1]['epoch'] + 1}: kept the "
                f"checkpoint of epoch {history[-1]['epoch']} in {ckpt_path}",
                soft_wrap=True,
            )
            console.print(f"Continue with:  {PROG} train --resume {out}", soft_wrap=True)
        else:
            console.print(
                "[yellow]Interrupted[/yellow] before the first epoch finished: "
                "no checkpoint was written"
            )
        console.print(f"Metrics so far: {metrics_path}", soft_wrap=True)
        return 130
    if outcome == "diverged":
        metrics["diverged"] = diverged_at
        write_json(metrics_path, metrics)
        kept = (
            f"kept the checkpoint of epoch {history[-1]['epoch']} in {ckpt_path}"
            if history
            else "no epoch completed, so no checkpoint was written"
        )
        raise CommandError(
            f"training diverged {diverged_at}; {kept}; try a lower --lr "
            f"(this run used {s['lr']:g}: e.g. --lr {s['lr'] / 10:g})"
        )

    final = history[-1]
    metrics["test_accuracy"] = final["test_accuracy"]
    if data.name == "ising":
        report = ising_report(model, data, 256, device, console)
        metrics.update(report)
        _figures(out, history, report, data, console, curves=False)
    metrics["total_seconds"] = time.perf_counter() - started
    write_json(metrics_path, metrics)
    console.print(
        f"Test accuracy: [bold]{final['test_accuracy']:.2%}[/bold] ({len(data.test)} samples)"
    )
    console.print(f"Checkpoint: {ckpt_path}", soft_wrap=True)
    console.print(f"Metrics:    {metrics_path}", soft_wrap=True)
    console.print(f"Total time: {metrics['total_seconds']:.1f} s")
    console.print("Evaluate it again with:")
    console.print(f"  {PROG} evaluate {ckpt_path}", soft_wrap=True)  # copyable: never wrapped
    return 0


def _figures(out: Path, history, report, data, console, curves: bool = True) -> None:
    """curves.png (and, given the Ising report, phase.png), when matplotlib is installed."""
    from . import figures

    if not figures.matplotlib_available():
        if curves:
            console.print("(no figures: install matplotlib, pip install tinygrad-cnn[plot])")
        return
    if curves and history:
        figures.write_curves(history, out / "curves.png", title=f"{data.name}")
    if report is not None:
        figures.write_phase(
            report["curve"]["temperature"],
            report["curve"]["p_ordered"],
            report["tc_estimate"],
            report["tc_exact"],
            out / "phase.png",
            ORDERED_BELOW,
            DISORDERED_ABOVE,
        )
