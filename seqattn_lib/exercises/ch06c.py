"""Checker for the exercise of chapter 6c (text monitoring): :func:`check_attention_pool`,
attention pooling of token vectors with one query."""

from __future__ import annotations

import torch

from . import ExerciseFailure, call, expect_close, run_checks


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


HINTS = {
    "attention_pool": "One score per token from e @ q, a softmax over the tokens (not the batch), then a "
    "weighted sum of the token vectors.",
}
SOLUTIONS = {"attention_pool": _reference_attention_pool}
