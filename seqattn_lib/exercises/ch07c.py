"""Checkers for chapter 7c's exercises (learning-rate schedules and regularisation).

* :func:`check_transformer_lr`: ``lr(step, d_model, warmup) -> float``, the original
  Transformer's schedule at optimiser step ``step`` (counted from 1).
* :func:`check_smoothed_cross_entropy`: ``loss(logits (batch, C), targets (batch,), eps) -> scalar``,
  cross-entropy against label-smoothed targets.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..train import warmup_inverse_sqrt
from . import CheckResult, call, expect_close, expect_number, expect_same_gradients, run_checks


def _reference_transformer_lr(step: int, d_model: int, warmup: int) -> float:
    """The library's schedule, scaled to the paper's peak ``d_model**-0.5 * warmup**-0.5``."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    factor = warmup_inverse_sqrt(optimizer, warmup).lr_lambdas[0]
    return d_model**-0.5 * warmup**-0.5 * factor(step - 1)


def check_transformer_lr(fn) -> CheckResult:
    """``fn(step, d_model, warmup) -> d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)``, ``step >= 1``."""

    def case(step, d_model, warmup):
        def check(candidate):
            want = _reference_transformer_lr(step, d_model, warmup)
            expect_number(call(candidate, step, d_model, warmup), want, rel_tol=1e-6, abs_tol=0,
                          what=f"learning rate at step {step} (d_model={d_model}, warmup={warmup})")
        return check

    cases = [(1, 512, 4000), (2000, 512, 4000), (4000, 512, 4000), (16000, 512, 4000), (100_000, 512, 4000),
             (50, 48, 100), (400, 48, 100), (7, 1024, 7)]
    return run_checks("transformer_lr", fn, [case(*c) for c in cases])


def check_smoothed_cross_entropy(fn) -> CheckResult:
    """``fn(logits (batch, C), targets (batch,), eps)``: the mean over the batch of the
    cross-entropy against ``(1 - eps) * one_hot + eps / C``, as ``F.cross_entropy(..., label_smoothing=eps)``."""
    g = torch.Generator().manual_seed(7)
    small = (torch.randn(6, 4, generator=g), torch.randint(0, 4, (6,), generator=g))
    large = (torch.randn(40, 13, generator=g) * 4, torch.randint(0, 13, (40,), generator=g))

    def values(candidate):
        for (logits, targets), eps in ((large, 0.1), (small, 0.0), (small, 0.2), (large, 0.5)):
            want = F.cross_entropy(logits, targets, label_smoothing=eps)
            got = call(candidate, logits, targets, eps)
            expect_close(got, want, f"loss for logits of shape {tuple(logits.shape)}, eps={eps}")

    def gradients(candidate):
        logits, targets = large
        expect_same_gradients(lambda x: candidate(x, targets, 0.2),
                              lambda x: F.cross_entropy(x, targets, label_smoothing=0.2), [logits], ["logits"])

    return run_checks("smoothed_cross_entropy", fn, [values, gradients])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def transformer_lr(step, d_model, warmup):
    return d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)


def smoothed_cross_entropy(logits, targets, eps):
    log_p = F.log_softmax(logits, dim=-1)  # (batch, C)
    nll = -log_p.gather(-1, targets[:, None])[:, 0]  # (batch,): -log p of the true class
    uniform = -log_p.mean(-1)  # (batch,): cross-entropy against the uniform distribution
    return ((1 - eps) * nll + eps * uniform).mean()


HINTS = {
    "transformer_lr": "Two straight lines in step: step * warmup**-1.5 rises, step**-0.5 falls; take the smaller "
    "and scale by d_model**-0.5. They cross at step = warmup.",
    "smoothed_cross_entropy": "The smoothed target is a mixture, so the loss is the same mixture of two "
    "cross-entropies: against the true class (weight 1 - eps) and against the uniform distribution (weight eps).",
}
SOLUTIONS = {
    "transformer_lr": transformer_lr,
    "smoothed_cross_entropy": smoothed_cross_entropy,
}
