"""Checkers for chapter 6, applications 4-6 (speech, recommendation, summarisation)."""

from __future__ import annotations

import math

import torch

from ..attention import scaled_dot_product_attention
from ..metrics import hit_rate_at_k, rouge_n
from . import ExerciseFailure, call, expect_close, run_checks


def _attention_pool(h, query, mask):
    q = query.expand(h.shape[0], 1, -1)  # (batch, 1, d)
    pooled, weights = scaled_dot_product_attention(q, h, h, mask[:, None, :])
    return pooled[:, 0], weights[:, 0]


def check_attention_pool(fn) -> object:
    """``fn(h (batch, T, d), query (d,), mask (batch, T) bool) -> (pooled (batch, d), weights (batch, T))``,
    with ``weights = softmax(h query / sqrt(d))`` over the frames where ``mask`` is True."""

    def case(batch, T, d, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            h, query = torch.randn(batch, T, d, generator=g), torch.randn(d, generator=g)
            lengths = torch.randint(1, T + 1, (batch,), generator=g)
            mask = torch.arange(T)[None, :] < lengths[:, None]
            got = call(f, h, query, mask)
            if not isinstance(got, tuple) or len(got) != 2:
                raise ExerciseFailure(f"should return a tuple (pooled, weights), got {type(got).__name__}")
            want = _attention_pool(h, query, mask)
            expect_close(got[1], want[1], "weights")
            expect_close(got[0], want[0], "pooled")
        return check

    return run_checks("attention_pool", fn, [case(1, 5, 4, 0), case(3, 7, 8, 1), case(4, 2, 16, 2)])


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


def check_rouge2_f1(fn) -> object:
    """``fn(candidate, reference) -> float``: F1 of clipped bigram overlap (0 when none)."""
    pairs = [
        ("leeds 3 - 1 york home win".split(), "leeds 3 - 1 york home win".split()),
        ("york 1 - 3 leeds".split(), "leeds 3 - 1 york home win".split()),
        ("the the the the".split(), "the the cat".split()),
        (["one"], "one two".split()),
        ("a b a b a b".split(), "a b c a b".split()),
    ]

    def case(candidate, reference):
        def check(f):
            got = f(list(candidate), list(reference))
            if not isinstance(got, (int, float)) or isinstance(got, bool):
                raise ExerciseFailure(f"should return a float, got {type(got).__name__}")
            want = rouge_n(candidate, reference, n=2)
            if not math.isclose(got, want, abs_tol=1e-9):
                raise ExerciseFailure(
                    f"candidate {candidate}, reference {reference}: expected {want:.4f}, got {got:.4f}"
                )
        return check

    return run_checks("rouge2_f1", fn, [case(c, r) for c, r in pairs])
