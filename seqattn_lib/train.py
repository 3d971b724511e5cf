"""One small training loop for every chapter, with text progress and a history.

Introduced in chapter 1. A chapter supplies three things:

* ``get_batch()``: returns the next training batch (any object);
* ``loss_fn(model, batch)``: returns a scalar loss tensor;
* optionally ``eval_fn(model)``: returns a dict of validation metrics; it is called
  with ``model.eval()`` and ``torch.no_grad()`` every ``eval_every`` steps and at the end.

Progress is printed as plain text lines (no notebook widgets), so it shows the same in
a terminal, a notebook and the HTML book.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from .checks import ArgumentTypeError, check_finite, check_int, check_module, check_positive_int


@dataclass
class History:
    """The record of one training run: ``history.metrics[name]`` is a list of ``(step, value)``
    pairs; ``wall_seconds`` and ``cpu_seconds`` are the run's wall-clock and CPU time (CPU
    time of this process, so other programs on the machine count less), ``steps`` its length."""

    metrics: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    steps: int = 0

    def log(self, step: int, **values: float) -> None:
        """Record ``values`` (name -> number) at ``step``."""
        check_int(step, "step", 0)
        for name, value in values.items():
            try:
                value = float(value)
            except (TypeError, ValueError, RuntimeError):
                raise ValueError(f"{name} must be a number (or a one-element tensor), got {value!r:.80}") from None
            self.metrics.setdefault(name, []).append((step, value))

    def last(self, name: str) -> float:
        """The most recent value of ``name``."""
        if name not in self.metrics:
            raise ValueError(f"no metric {name!r}; logged: {sorted(self.metrics)}")
        return self.metrics[name][-1][1]

    def best(self, name: str, mode: str = "min") -> float:
        """The smallest (``mode="min"``) or largest (``"max"``) value of ``name``."""
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        values = [v for _, v in self.metrics.get(name, [])]
        if not values:
            raise ValueError(f"no metric {name!r}; logged: {sorted(self.metrics)}")
        return min(values) if mode == "min" else max(values)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    check_module(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup: int, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning-rate schedule: linear warm-up over ``warmup`` steps, then cosine decay to
    zero at ``steps`` (the factor at step ``s`` is ``min(1, (s+1)/warmup) * (1 + cos(pi s / steps)) / 2``).
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    check_positive_int(warmup, "warmup")
    check_positive_int(steps, "steps")

    def factor(s):
        return min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")


def linear_decay(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning-rate schedule: the peak from the first step, falling linearly to zero at
    ``steps`` (the factor at step ``s`` is ``max(0, 1 - s / steps)``). Introduced in chapter 7c.
    """
    _check_optimizer(optimizer)
    check_positive_int(steps, "steps")
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.0, 1 - s / steps))


def warmup_inverse_sqrt(optimizer: torch.optim.Optimizer, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The original Transformer's schedule (Vaswani et al., 2017): linear warm-up over ``warmup``
    steps, then decay with the inverse square root of the step number. Introduced in chapter 7c.

    With ``n = s + 1`` the number of the optimiser step, the factor is
    ``min(n / warmup, sqrt(warmup / n))``: it peaks at 1 at ``n = warmup`` and halves by
    ``n = 4 warmup``; it never reaches zero. A peak learning rate of
    ``d_model**-0.5 * warmup**-0.5`` gives the paper's ``d_model**-0.5 * min(n**-0.5, n * warmup**-1.5)``.
    """
    _check_optimizer(optimizer)
    check_positive_int(warmup, "warmup")
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min((s + 1) / warmup, math.sqrt(warmup / (s + 1))))


def learning_rates(make_scheduler: Callable[[torch.optim.Optimizer], object], steps: int,
                   lr: float = 1.0) -> list[float]:
    """The learning rate a scheduler sets at each of ``steps`` optimiser steps, read from the
    scheduler itself (``get_last_lr()``). Introduced in chapter 7c.

    ``make_scheduler(optimizer)`` builds the scheduler for a dummy optimizer (SGD on one
    parameter that has no gradient, so its steps change nothing) with base learning rate ``lr``.
    Returns a list of ``steps`` floats: entry ``s`` is the rate used by step ``s + 1``.
    """
    if not callable(make_scheduler):
        raise ArgumentTypeError(f"make_scheduler must be a function optimizer -> scheduler, got "
                                f"{type(make_scheduler).__name__}")
    check_positive_int(steps, "steps")
    check_finite(lr, "lr", positive=True)
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make_scheduler(optimizer)
    if not callable(getattr(scheduler, "get_last_lr", None)):
        raise ArgumentTypeError(f"make_scheduler must return a learning-rate scheduler, got {type(scheduler).__name__}")
    optimizer.step()  # no gradient: changes nothing, but keeps the scheduler's order check quiet
    rates = []
    for _ in range(steps):
        rates.append(float(scheduler.get_last_lr()[0]))
        scheduler.step()
    return rates


def train(
    model: nn.Module,
    get_batch: Callable[[], object],
    loss_fn: Callable[[nn.Module, object], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    steps: int,
    eval_fn: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int = 100,
    clip: float | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    log_every: int | None = None,
    verbose: bool = True,
) -> History:
    """Train ``model`` for ``steps`` optimiser steps and return its :class:`History`.

    Args:
        model: the module to train (put on its device by the caller).
        get_batch: called once per step; returns a batch for ``loss_fn``.
        loss_fn: ``loss_fn(model, batch)`` -> scalar loss tensor.
        optimizer: optimiser over ``model``'s parameters.
        steps: number of optimiser steps (> 0).
        eval_fn: ``eval_fn(model)`` -> dict of metrics, run every ``eval_every`` steps
            and after the last step.
        eval_every: steps between evaluations.
        clip: if set, clip the global gradient norm to this value.
        scheduler: stepped once after each optimiser step.
        log_every: steps between printed lines (default ``eval_every``).
        verbose: print progress lines.

    The history holds ``loss`` (mean training loss since the previous print),
    ``grad_norm`` (before clipping) and whatever ``eval_fn`` returns.
    """
    check_module(model)
    for fn, name in ((get_batch, "get_batch"), (loss_fn, "loss_fn")):
        if not callable(fn):
            raise ArgumentTypeError(f"{name} must be a function, got {type(fn).__name__}")
    if eval_fn is not None and not callable(eval_fn):
        raise ArgumentTypeError(f"eval_fn must be a function or None, got {type(eval_fn).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise ArgumentTypeError(f"scheduler must be a learning-rate scheduler or None, got {type(scheduler).__name__}")
    check_positive_int(steps, "steps")
    check_positive_int(eval_every, "eval_every")
    if clip is not None:
        check_finite(clip, "clip", positive=True)
    if log_every is not None:
        check_positive_int(log_every, "log_every")
    log_every = log_every or eval_every
    history = History()
    start, cpu_start = time.perf_counter(), time.process_time()
    running, count = 0.0, 0
    for step in range(1, steps + 1):
        model.train()
        loss = loss_fn(model, get_batch())
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ValueError(f"loss_fn must return a scalar tensor, got {got}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        max_norm = clip if clip is not None else math.inf
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        running += loss.item()
        count += 1
        evaluated = {}
        if eval_fn is not None and (step % eval_every == 0 or step == steps):
            model.eval()
            with torch.no_grad():
                evaluated = eval_fn(model)
            history.log(step, **evaluated)
        if step % log_every == 0 or step == steps:
            history.log(step, loss=running / count, grad_norm=float(grad_norm))
            if verbose:
                extra = "".join(f" | {k} {v:.4g}" for k, v in evaluated.items())
                elapsed = time.perf_counter() - start
                print(f"step {step:>6}/{steps} | loss {running / count:.4f}{extra} | {elapsed:6.1f}s")
            running, count = 0.0, 0
    history.wall_seconds, history.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    history.steps = steps
    return history
