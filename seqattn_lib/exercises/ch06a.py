"""Checkers for the exercises of chapter 6a (captioning).

* :func:`check_sequence_accuracy`: the fraction of captions with every word right.
* :func:`check_straight_through_gumbel`: a straight-through Gumbel-softmax sample from given uniforms.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..metrics import sequence_accuracy as _reference_sequence_accuracy
from . import call, expect_close, expect_number, expect_same_gradients, run_checks


def _mostly_right(batch, length, seed):
    """Predictions with a few wrong words, so most rows are wrong in one position only."""
    g = torch.Generator().manual_seed(seed)
    target = torch.randint(1, 5, (batch, length), generator=g)
    wrong = torch.rand(batch, length, generator=g) < 0.03
    return torch.where(wrong, 0, target), target


def check_sequence_accuracy(fn) -> object:
    """``fn(pred, target)`` with ``(batch, length)`` int tensors returns the fraction (a
    Python float) of rows in which every position matches."""
    cases = [
        (torch.tensor([[1, 2, 3], [1, 2, 3]]), torch.tensor([[1, 2, 3], [1, 2, 4]])),
        (torch.tensor([[0, 0], [5, 5], [7, 1], [2, 2]]), torch.tensor([[0, 0], [5, 5], [1, 7], [2, 9]])),
        (torch.randint(3, (50, 4), generator=torch.Generator().manual_seed(0)),
         torch.randint(3, (50, 4), generator=torch.Generator().manual_seed(1))),
        _mostly_right(64, 9, seed=2),
    ]

    def make(pred, target):
        def check(candidate):
            got = call(candidate, pred, target)
            want = _reference_sequence_accuracy(pred, target)
            expect_number(
                got, want, f"sequence accuracy for pred and target of shape {tuple(pred.shape)} "
                f"(pred starts {pred.tolist()[:2]}..., target {target.tolist()[:2]}...; a row counts only if all "
                "of its words are right)", abs_tol=1e-6,
            )
        return check

    return run_checks("sequence_accuracy", fn, [make(p, t) for p, t in cases])


def _reference_straight_through(scores, u, tau):
    y = F.softmax((scores - torch.log(-torch.log(u))) / tau, dim=-1)
    z = F.one_hot(y.argmax(-1), scores.shape[-1]).to(y.dtype)
    return (z - y).detach() + y


def _gumbel_inputs(shape, scale, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g) * scale, torch.rand(*shape, generator=g).clamp(1e-6, 1 - 1e-6)


def check_straight_through_gumbel(fn) -> object:
    """``fn(scores (..., n), u (..., n), tau) -> z``: the straight-through Gumbel-softmax sample.

    With Gumbel noise ``g = -log(-log u)`` from the given uniforms ``u`` and the relaxation
    ``y = softmax((scores + g) / tau)`` over the last axis, the forward value is the one-hot
    ``z`` of ``argmax y`` and the gradient with respect to ``scores`` is ``y``'s.
    """

    def case(shape, scale, tau, seed):
        def check(f):
            scores, u = _gumbel_inputs(shape, scale, seed)
            want = _reference_straight_through(scores, u, tau)
            expect_close(call(f, scores, u, tau), want, f"sample for scores of shape {shape}, tau={tau}")
        return check

    def gradients(f):
        scores, u = _gumbel_inputs((5, 3, 9), 2.0, 9)
        expect_same_gradients(
            lambda s: f(s, u, 0.7), lambda s: _reference_straight_through(s, u, 0.7), [scores], ["scores"]
        )

    checks = [case((4,), 1.0, 1.0, 0), case((3, 5), 1.0, 0.5, 1), case((6, 4, 11), 30.0, 2.0, 2), gradients]
    return run_checks("straight_through_gumbel", fn, checks)


HINTS = {
    "sequence_accuracy": "Compare the tensors element-wise, then ask whether all positions of a row match "
    "before averaging over the rows.",
    "straight_through_gumbel": "Add the Gumbel noise to the scores, soften with tau, take the one-hot of the "
    "argmax; then combine z and y so that the value is z but autograd only sees y (detach the difference).",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def sequence_accuracy(pred, target):
    return float((pred == target).all(dim=1).float().mean())  # a row counts if all its words match


def straight_through_gumbel(scores, u, tau):
    g = -torch.log(-torch.log(u))  # Gumbel(0, 1) noise
    y = torch.softmax((scores + g) / tau, dim=-1)  # the relaxation
    z = F.one_hot(y.argmax(dim=-1), scores.shape[-1]).to(y.dtype)  # the hard sample
    return y + (z - y).detach()  # value z, gradient of y


SOLUTIONS = {"sequence_accuracy": sequence_accuracy, "straight_through_gumbel": straight_through_gumbel}
