"""Checkers for the exercises of chapter 6g (pretraining, then fine-tuning).

* :func:`check_token_surprisal`: how surprised a language model is by each word of a sentence.
* :func:`check_unigram_perplexity`: the perplexity of the add-one unigram model, the baseline
  the pretrained language model is measured against.
"""

from __future__ import annotations

import math

import torch

from . import call, expect_close, expect_number, run_checks


def _reference_surprisal(logits, ids):
    return -torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])[..., 0]


def check_token_surprisal(fn) -> object:
    """``fn(logits (batch, n, V), ids (batch, n)) -> (batch, n - 1)``: ``-log p(ids[:, t] | ids[:, :t])``
    for ``t = 1 .. n - 1``, where ``logits[:, t - 1]`` holds the model's scores for the word at ``t``."""

    def case(batch, n, vocab, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            logits = 3 * torch.randn(batch, n, vocab, generator=g)
            ids = torch.randint(vocab, (batch, n), generator=g)
            want = _reference_surprisal(logits, ids)
            got = call(f, logits, ids)
            expect_close(got, want, f"surprisal for batch={batch}, n={n}, V={vocab}", atol=1e-4)
        return check

    return run_checks("token_surprisal", fn, [case(1, 2, 3, 0), case(2, 5, 7, 1), case(4, 9, 30, 2)])


def _reference_unigram_perplexity(counts, ids):
    p = (counts + 1) / (counts.sum() + len(counts))
    return math.exp(-p.log()[ids].mean().item())


def check_unigram_perplexity(fn) -> object:
    """``fn(counts (V,), ids (n,)) -> float``: the perplexity on ``ids`` of the unigram model with
    add-one smoothing, ``q(w) = (counts[w] + 1) / (sum(counts) + V)``."""

    def case(vocab, n, zeros, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            counts = torch.randint(0, 50, (vocab,), generator=g).float()
            if zeros:
                counts[: vocab // 2] = 0  # unseen words still get probability 1 / (sum + V)
            ids = torch.randint(vocab, (n,), generator=g)
            want = _reference_unigram_perplexity(counts, ids)
            expect_number(call(f, counts, ids), want, f"unigram perplexity for V={vocab}, n={n}", rel_tol=1e-4)
        return check

    checks = [case(2, 3, False, 0), case(10, 40, False, 1), case(50, 200, True, 2)]
    return run_checks("unigram_perplexity", fn, checks)


HINTS = {
    "token_surprisal": "The scores for the word at position t sit at position t - 1: take log_softmax of "
    "logits[:, :-1], pick each next word's entry with gather, and negate.",
    "unigram_perplexity": "Add 1 to every count, divide by the new total, take -log of the probability of "
    "each word in ids, average, and exponentiate.",
}


# ---------------------------------------------------------------- reference solutions (shown in the book)
def token_surprisal(logits, ids):
    log_p = torch.log_softmax(logits[:, :-1], dim=-1)  # (batch, n - 1, V): scores for the words 1 .. n - 1
    return -log_p.gather(-1, ids[:, 1:, None])[..., 0]  # (batch, n - 1)


def unigram_perplexity(counts, ids):
    q = (counts + 1) / (counts.sum() + len(counts))  # add-one: no word has probability 0
    return math.exp(-q.log()[ids].mean().item())


SOLUTIONS = {"token_surprisal": token_surprisal, "unigram_perplexity": unigram_perplexity}
