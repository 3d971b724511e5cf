"""Checker for the exercise of chapter 6d (speech): :func:`check_attention_pool`, attention
pooling of padded frames with one learned query."""

from __future__ import annotations

import torch

from ..attention import scaled_dot_product_attention
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


HINTS = {
    "attention_pool": "Scale the scores by 1/sqrt(d) and give padded frames a score of -inf before the "
    "softmax over the frames.",
}
SOLUTIONS = {"attention_pool": _attention_pool}
