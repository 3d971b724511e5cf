"""Checker for the exercise of chapter 6a (captioning): :func:`check_sequence_accuracy`,
the fraction of captions with every word right."""

from __future__ import annotations

import torch

from ..metrics import sequence_accuracy
from . import ExerciseFailure, call, run_checks


def check_sequence_accuracy(fn) -> object:
    """``fn(pred, target)`` with ``(batch, length)`` int tensors returns the fraction (a
    Python float) of rows in which every position matches."""
    cases = [
        (torch.tensor([[1, 2, 3], [1, 2, 3]]), torch.tensor([[1, 2, 3], [1, 2, 4]])),
        (torch.tensor([[0, 0], [5, 5], [7, 1], [2, 2]]), torch.tensor([[0, 0], [5, 5], [1, 7], [2, 9]])),
        (torch.randint(3, (50, 4), generator=torch.Generator().manual_seed(0)),
         torch.randint(3, (50, 4), generator=torch.Generator().manual_seed(1))),
    ]

    def make(pred, target):
        def check(candidate):
            got = call(candidate, pred, target)
            want = sequence_accuracy(pred, target)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if not isinstance(got, (int, float)):
                raise ExerciseFailure(f"should return a number, got {type(got).__name__}")
            if abs(got - want) > 1e-6:
                raise ExerciseFailure(
                    f"for pred={pred.tolist()[:4]}... and target={target.tolist()[:4]}... expected {want:.4f}, "
                    f"got {got:.4f} (a row counts only if all of its words are right)"
                )
        return check

    return run_checks("sequence_accuracy", fn, [make(p, t) for p, t in cases])


HINTS = {
    "sequence_accuracy": "Compare the tensors element-wise, then ask whether all positions of a row match "
    "before averaging over the rows.",
}
SOLUTIONS = {"sequence_accuracy": sequence_accuracy}
