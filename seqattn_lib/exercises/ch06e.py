"""Checkers for the exercises of chapter 6e (recommendation).

* :func:`check_hit_rate_at_k`: the share of targets among the ``k`` highest scores.
* :func:`check_mean_reciprocal_rank`: the mean of ``1 / rank`` of the target.
"""

from __future__ import annotations

import torch

from ..metrics import hit_rate_at_k as _reference_hit_rate_at_k
from . import call, expect_number, run_checks


def check_hit_rate_at_k(fn) -> object:
    """``fn(scores (batch, n_items), targets (batch,), k) -> float``: share of targets in the top ``k``."""

    def case(batch, n_items, k, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            scores = torch.randn(batch, n_items, generator=g)
            targets = torch.randint(0, n_items, (batch,), generator=g)
            got = call(f, scores, targets, k)
            want = _reference_hit_rate_at_k(scores, targets, k)
            expect_number(got, want, f"hit rate for batch={batch}, n_items={n_items}, k={k}", abs_tol=1e-6)
        return check

    return run_checks("hit_rate_at_k", fn, [case(50, 20, 1, 0), case(200, 30, 10, 1), case(64, 12, 5, 2)])


def _reference_mrr(scores, targets):
    ranks = [1 + sum(s > row[t] for s in row.tolist()) for row, t in zip(scores, targets.tolist())]
    return sum(1 / r for r in ranks) / len(ranks)


def check_mean_reciprocal_rank(fn) -> object:
    """``fn(scores (batch, n_items), targets (batch,)) -> float``: the mean over the rows of ``1 / rank``,
    where the rank of the target is 1 plus the number of items scored strictly higher."""

    def case(batch, n_items, ties, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            scores = torch.randn(batch, n_items, generator=g)
            if ties:
                scores = scores.round()  # many equal scores: a tie with the target does not lower its rank
            targets = torch.randint(0, n_items, (batch,), generator=g)
            want = _reference_mrr(scores, targets)
            expect_number(call(f, scores, targets), want, f"MRR for batch={batch}, n_items={n_items}", abs_tol=1e-6)
        return check

    checks = [case(1, 5, False, 0), case(4, 6, False, 1), case(64, 30, False, 2), case(40, 9, True, 3)]
    return run_checks("mean_reciprocal_rank", fn, checks)


HINTS = {
    "hit_rate_at_k": "torch.topk gives the indices of the k highest scores per row; a row is a hit when the "
    "target is among them.",
    "mean_reciprocal_rank": "Gather each row's target score, count the items scoring strictly higher (a "
    "comparison and a sum), add 1 for the rank, and average 1 / rank.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def hit_rate_at_k(scores, targets, k):
    top = scores.topk(k, dim=-1).indices  # (batch, k)
    return (top == targets[:, None]).any(-1).float().mean().item()


def mean_reciprocal_rank(scores, targets):
    target_scores = scores.gather(1, targets[:, None])  # (batch, 1)
    ranks = 1 + (scores > target_scores).sum(dim=1)  # ties do not push the target down
    return (1.0 / ranks).mean().item()


SOLUTIONS = {"hit_rate_at_k": hit_rate_at_k, "mean_reciprocal_rank": mean_reciprocal_rank}
