"""Checker for the exercise of chapter 6e (recommendation): :func:`check_hit_rate_at_k`."""

from __future__ import annotations

import math

import torch

from ..metrics import hit_rate_at_k
from . import ExerciseFailure, call, run_checks


def check_hit_rate_at_k(fn) -> object:
    """``fn(scores (batch, n_items), targets (batch,), k) -> float``: share of targets in the top ``k``."""

    def case(batch, n_items, k, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            scores = torch.randn(batch, n_items, generator=g)
            targets = torch.randint(0, n_items, (batch,), generator=g)
            got = call(f, scores, targets, k)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if not isinstance(got, (int, float)):
                raise ExerciseFailure(f"should return a number, got {type(got).__name__}")
            want = hit_rate_at_k(scores, targets, k)
            if not math.isclose(got, want, abs_tol=1e-6):
                raise ExerciseFailure(f"batch={batch}, n_items={n_items}, k={k}: expected {want:.4f}, got {got:.4f}")
        return check

    return run_checks("hit_rate_at_k", fn, [case(50, 20, 1, 0), case(200, 30, 10, 1), case(64, 12, 5, 2)])


HINTS = {
    "hit_rate_at_k": "torch.topk gives the indices of the k highest scores per row; a row is a hit when the "
    "target is among them.",
}
SOLUTIONS = {"hit_rate_at_k": hit_rate_at_k}
