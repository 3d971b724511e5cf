"""Checkers for the exercises of chapter 6c (text monitoring).

* :func:`check_attention_pool`: attention pooling of token vectors with one query.
* :func:`check_word_counts`: the bag-of-words counts the logistic-regression baseline reads.
* :func:`check_cusum`: the CUSUM statistic of a stream, an alternative to the rolling mean's alert.
"""

from __future__ import annotations

import torch

from ..attention import padding_mask
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
            mask = padding_mask(lengths, n)
            ids = ids.masked_fill(~mask, 0)  # padding is id 0, which is also a real word here
            want = _reference_word_counts(ids, mask, vocab_size)
            expect_close(call(f, ids, mask, vocab_size), want, f"counts for ids of shape {(batch, n)}, V={vocab_size}")
        return check

    return run_checks("word_counts", fn, [case(1, 4, 5, 0), case(3, 6, 4, 1), case(7, 30, 50, 2)])


def _reference_cusum(x: torch.Tensor, target: float, slack: float) -> torch.Tensor:
    # S_t = C_t - min(0, C_1 .. C_t), with C_t the running sum of (x - target - slack): the same recursion, unrolled
    c = torch.cumsum(x.double() - target - slack, 0)
    return (c - torch.cummin(c, 0).values.clamp(max=0)).to(x.dtype)


def check_cusum(fn) -> object:
    """``fn(x (n,) float, target, slack) -> S (n,)``, the CUSUM statistic
    ``S_t = max(0, S_{t-1} + x_t - target - slack)`` with ``S_{-1} = 0``."""
    gen = torch.Generator().manual_seed(0)
    quiet_then_surge = torch.cat([torch.rand(60, generator=gen) * 0.6, 0.3 + torch.rand(40, generator=gen) * 0.7])
    cases = [(torch.tensor([0.2, 0.9, 0.8, 0.1, 0.0, 0.7]), 0.4, 0.1),  # rises, falls back to 0, rises again
             (torch.tensor([0.1, 0.2, 0.3]), 0.5, 0.0),  # always below the target: stays at 0
             (quiet_then_surge, 0.3, 0.05),
             (torch.randn(200, generator=gen, dtype=torch.float64), 0.0, 0.5)]

    def make(x, target, slack):
        def check(candidate):
            got = call(candidate, x.clone(), target, slack)
            want = _reference_cusum(x, target, slack)
            expect_close(got, want, f"S for {len(x)} items, target {target}, slack {slack}")
        return check

    return run_checks("cusum", fn, [make(*case) for case in cases])


HINTS = {
    "attention_pool": "One score per token from e @ q, a softmax over the tokens (not the batch), then a "
    "weighted sum of the token vectors.",
    "word_counts": "One-hot encode the ids (F.one_hot), zero the padded positions with the mask, and sum over "
    "the positions; padding shares id 0 with a real word, so the mask matters.",
    "cusum": "Walk through x once, carrying S: add x_t - target - slack, and reset to 0 whenever the sum goes negative "
    "(max(0, ...)); S has one value per item, the first one computed from S_{-1} = 0.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def attention_pool(e, q):
    weights = torch.softmax(e @ q, dim=-1)  # (batch, n): one weight per token
    return (weights[:, :, None] * e).sum(1), weights


def word_counts(ids, mask, vocab_size):
    one_hot = torch.nn.functional.one_hot(ids, vocab_size).float()  # (batch, n, V)
    return (one_hot * mask[..., None]).sum(dim=1)  # padded positions count 0


def cusum(x, target, slack):
    s, out = 0.0, []
    for value in x.tolist():  # S_t = max(0, S_{t-1} + x_t - target - slack)
        s = max(0.0, s + value - target - slack)
        out.append(s)
    return torch.tensor(out, dtype=x.dtype)


SOLUTIONS = {"attention_pool": attention_pool, "word_counts": word_counts, "cusum": cusum}
