"""Checkers for the exercises of chapter 6f (summarisation and dialogue).

* :func:`check_rouge2_f1`: F1 of the clipped bigram overlap.
* :func:`check_recall_at_1`: how often the retrieval responder ranks the true reply first.
"""

from __future__ import annotations

import random
from collections import Counter

import torch

from ..metrics import recall_at_1 as _reference_recall_at_1
from ..metrics import rouge_n
from . import call, expect_number, run_checks


def _random_pair(seed):
    """A longer candidate and reference over a small vocabulary, so bigrams repeat."""
    rng = random.Random(seed)
    words = "the cat sat on a mat and dog ran".split()
    return [rng.choice(words) for _ in range(rng.randint(20, 40))], [rng.choice(words) for _ in range(30)]


def check_rouge2_f1(fn) -> object:
    """``fn(candidate, reference) -> float``: F1 of clipped bigram overlap (0 when none)."""
    pairs = [
        ("leeds 3 - 1 york home win".split(), "leeds 3 - 1 york home win".split()),
        ("york 1 - 3 leeds".split(), "leeds 3 - 1 york home win".split()),
        ("the the the the".split(), "the the cat".split()),
        (["one"], "one two".split()),
        ("a b a b a b".split(), "a b c a b".split()),
        _random_pair(0),
        _random_pair(1),
    ]

    def case(candidate, reference):
        def check(f):
            got = f(list(candidate), list(reference))
            shown = f"{' '.join(candidate[:8])}{' ...' if len(candidate) > 8 else ''}"
            want = rouge_n(candidate, reference, n=2)
            expect_number(got, want, f"ROUGE-2 F1 of {len(candidate)} words ({shown!r})", abs_tol=1e-9)
        return check

    return run_checks("rouge2_f1", fn, [case(c, r) for c, r in pairs])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def rouge2_f1(candidate, reference):
    c, r = Counter(zip(candidate, candidate[1:])), Counter(zip(reference, reference[1:]))
    overlap = sum((c & r).values())  # clipped: a bigram counts at most as often as in the reference
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(c.values()), overlap / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def check_recall_at_1(fn) -> object:
    """``fn(scores (n, n_items), candidates (n, c) int) -> float``: the fraction of rows whose true
    candidate (column 0 of ``candidates``) scores strictly higher than the row's other candidates."""

    def case(n, n_items, c, ties, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            scores = torch.randn(n, n_items, generator=g)
            if ties:
                scores = (scores * 2).round()  # ties with the true reply count as misses
            candidates = torch.stack([torch.randperm(n_items, generator=g)[:c] for _ in range(n)])
            want = _reference_recall_at_1(scores, candidates)
            got = call(f, scores, candidates)
            expect_number(got, want, f"recall@1 for n={n}, n_items={n_items}, c={c} candidates", abs_tol=1e-6)
        return check

    checks = [case(1, 4, 2, False, 0), case(5, 6, 3, False, 1), case(80, 40, 10, False, 2), case(60, 12, 5, True, 3)]
    return run_checks("recall_at_1", fn, checks)


HINTS = {
    "rouge2_f1": "Count bigrams with collections.Counter; the overlap of two Counters (&) clips each count; "
    "F1 combines the overlap's precision and recall.",
    "recall_at_1": "Gather the candidates' scores (scores.gather), then compare column 0 with the largest of "
    "the others: strictly greater is a hit.",
}
def recall_at_1(scores, candidates):
    s = scores.gather(1, candidates)  # (n, c), the true reply first
    return (s[:, 0] > s[:, 1:].max(dim=1).values).float().mean().item()


SOLUTIONS = {"rouge2_f1": rouge2_f1, "recall_at_1": recall_at_1}
