"""Checkers for the exercises of chapter 6, applications 1-3 (captioning, forecasting, text).

* :func:`check_sequence_accuracy`: fraction of captions with every word right.
* :func:`check_seasonal_naive`: the seasonal-naive forecast of a series' tail.
* :func:`check_attention_pool`: attention pooling of token vectors with one query.
"""

from __future__ import annotations

import torch

from ..metrics import sequence_accuracy
from . import ExerciseFailure, call, expect_close, run_checks


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


def _reference_seasonal_naive(series: torch.Tensor, season: int, n_test: int) -> torch.Tensor:
    n = len(series)
    return series[n - n_test - season : n - season]


def check_seasonal_naive(fn) -> object:
    """``fn(series, season, n_test)`` returns the ``(n_test,)`` forecasts of the last
    ``n_test`` values, each equal to the value ``season`` steps earlier."""
    gen = torch.Generator().manual_seed(0)
    cases = [
        (torch.arange(20.0), 11, 5),
        (torch.randn(40, generator=gen), 4, 10),
        (torch.randn(30, generator=gen), 1, 3),
    ]

    def make(series, season, n_test):
        def check(candidate):
            got = call(candidate, series, season, n_test)
            expect_close(got, _reference_seasonal_naive(series, season, n_test),
                         what=f"forecast (season={season}, n_test={n_test})")
        return check

    return run_checks("seasonal_naive", fn, [make(*c) for c in cases])


def _reference_attention_pool(e: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    weights = torch.softmax(e @ q, dim=-1)  # (batch, n)
    return (weights[:, :, None] * e).sum(1), weights


def check_attention_pool(fn) -> object:
    """``fn(e, q)`` with token vectors ``e (batch, n, d)`` and a query ``q (d,)`` returns
    ``(context (batch, d), weights (batch, n))``, ``weights = softmax(e q)`` over the tokens."""
    gen = torch.Generator().manual_seed(0)
    cases = [(torch.randn(2, 5, 3, generator=gen), torch.randn(3, generator=gen)),
             (torch.randn(4, 7, 6, generator=gen), torch.randn(6, generator=gen))]

    def make(e, q):
        def check(candidate):
            got = call(candidate, e, q)
            if not isinstance(got, tuple) or len(got) != 2:
                raise ExerciseFailure(f"should return a tuple (context, weights), got {type(got).__name__}")
            want_c, want_w = _reference_attention_pool(e, q)
            expect_close(got[1], want_w, what="weights")
            expect_close(got[0], want_c, what="context")
        return check

    return run_checks("attention_pool", fn, [make(e, q) for e, q in cases])
