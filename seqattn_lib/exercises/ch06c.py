"""Checkers for the exercises of chapter 6c (text monitoring).

* :func:`check_attention_pool`: attention pooling of token vectors with one query.
* :func:`check_word_counts`: the bag-of-words counts the logistic-regression baseline reads.
"""

from __future__ import annotations

import torch

from . import ExerciseFailure, call, expect_close, run_checks


def _reference_attention_pool(e: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    weights = torch.nn.functional.softmax(torch.einsum("bnd,d->bn", e, q), dim=1)
    return torch.einsum("bn,bnd->bd", weights, e), weights


def check_attention_pool(fn) -> object:
    """``fn(e, q)`` with token vectors ``e (batch, n, d)`` and a query ``q (d,)`` returns
    ``(context (batch, d), weights (batch, n))``, ``weights = softmax(e q)`` over the tokens."""
    gen = torch.Generator().manual_seed(0)
    cases = [(torch.randn(2, 5, 3, generator=gen), torch.randn(3, generator=gen)),
             (torch.randn(4, 7, 6, generator=gen), torch.randn(6, generator=gen)),
             (torch.randn(5, 23, 9, generator=gen) * 10, torch.randn(9, generator=gen) * 10)]  # large scores

    def make(e, q):
        def check(candidate):
            got = call(candidate, e, q)
            if not isinstance(got, tuple) or len(got) != 2:
                raise ExerciseFailure(f"should return a tuple (context, weights), got {type(got).__name__}")
            want_c, want_w = _reference_attention_pool(e, q)
            expect_close(got[1], want_w, what=f"weights for e of shape {tuple(e.shape)}")
            expect_close(got[0], want_c, what=f"context for e of shape {tuple(e.shape)}")
        return check

    return run_checks("attention_pool", fn, [make(e, q) for e, q in cases])


def _reference_word_counts(ids, mask, vocab_size):
    counts = torch.zeros(ids.shape[0], vocab_size)
    for b in range(ids.shape[0]):
        for i, m in zip(ids[b].tolist(), mask[b].tolist()):
            counts[b, i] += m
    return counts


def check_word_counts(fn) -> object:
    """``fn(ids (batch, n) int, mask (batch, n) bool, vocab_size) -> counts (batch, vocab_size)`` float:
    how often each word id occurs among the real (``mask`` True) tokens of each passage."""

    def case(batch, n, vocab_size, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            ids = torch.randint(vocab_size, (batch, n), generator=g)
            lengths = torch.randint(1, n + 1, (batch,), generator=g)
            mask = torch.arange(n)[None] < lengths[:, None]
            ids = ids.masked_fill(~mask, 0)  # padding is id 0, which is also a real word here
            want = _reference_word_counts(ids, mask, vocab_size)
            expect_close(call(f, ids, mask, vocab_size), want, f"counts for ids of shape {(batch, n)}, V={vocab_size}")
        return check

    return run_checks("word_counts", fn, [case(1, 4, 5, 0), case(3, 6, 4, 1), case(7, 30, 50, 2)])


HINTS = {
    "attention_pool": "One score per token from e @ q, a softmax over the tokens (not the batch), then a "
    "weighted sum of the token vectors.",
    "word_counts": "One-hot encode the ids (F.one_hot), zero the padded positions with the mask, and sum over "
    "the positions; padding shares id 0 with a real word, so the mask matters.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def attention_pool(e, q):
    weights = torch.softmax(e @ q, dim=-1)  # (batch, n): one weight per token
    return (weights[:, :, None] * e).sum(1), weights


def word_counts(ids, mask, vocab_size):
    one_hot = torch.nn.functional.one_hot(ids, vocab_size).float()  # (batch, n, V)
    return (one_hot * mask[..., None]).sum(dim=1)  # padded positions count 0


SOLUTIONS = {"attention_pool": attention_pool, "word_counts": word_counts}
