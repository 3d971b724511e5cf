"""Statistical language models: n-gram counts with Witten-Bell interpolation.

Introduced in chapter 1 as the baseline the neural models must beat. An n-gram model
predicts the next token from the previous ``n - 1`` only, by counting what followed that
context in the training text, and mixes in the next-shorter context's prediction:

    P_n(c | h) = (C(h, c) + T(h) P_{n-1}(c | h')) / (C(h) + T(h))

``C(h, c)`` counts context ``h`` followed by ``c``, ``C(h) = sum_c C(h, c)``, ``T(h)`` is the
number of distinct tokens seen after ``h`` and ``h'`` is ``h`` without its oldest token
(Witten and Bell, 1991). A context never seen (``C(h) = 0``) falls back to ``P_{n-1}``
entirely. The recursion ends at the unigram with add-one smoothing,
``P_1(c) = (C(c) + 1) / (N + V)``. Nothing is tuned on held-out text.

Tokens are ids in ``[0, vocab_size)``; an n-gram is stored as one integer, its ids read
as the digits of a number in base ``vocab_size``.
"""

from __future__ import annotations

import torch

from .checks import check_ids, check_positive_int


def _codes(ids: torch.Tensor, g: int, base: int) -> torch.Tensor:
    """The g-grams of ``ids (N,)`` as integers: ``(N - g + 1,)``, entry t for ids[t:t+g]."""
    powers = base ** torch.arange(g - 1, -1, -1, dtype=torch.long)
    return (ids.unfold(0, g, 1) * powers).sum(1)


def _lookup(keys: torch.Tensor, values: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """``values`` at the positions of ``queries`` in the sorted ``keys``; 0 where a query is absent."""
    index = torch.searchsorted(keys, queries).clamp(max=len(keys) - 1)
    return torch.where(keys[index] == queries, values[index], torch.zeros_like(values[index]))


class NGramLM:
    """Witten-Bell interpolated n-gram model of the training ids ``ids (N,)``, orders 1 to ``n``."""

    def __init__(self, ids: torch.Tensor, n: int, vocab_size: int):
        check_positive_int(n, "n")
        check_positive_int(vocab_size, "vocab_size")
        if vocab_size ** n >= 2**62:
            raise ValueError(f"vocab_size ** n must fit in 62 bits, got {vocab_size}**{n}")
        check_ids(ids, "ids", vocab_size, "vocab_size", spec=("N",))
        if len(ids) < n:
            raise ValueError(f"ids must hold at least n={n} tokens, got {len(ids)}")
        self.n, self.vocab_size = n, vocab_size
        ids = ids.long().cpu()
        self.unigram = (torch.bincount(ids, minlength=vocab_size).double() + 1) / (len(ids) + vocab_size)
        self.orders = []  # for g = 2..n: sorted g-gram codes and counts; sorted contexts, C(h) and T(h)
        for g in range(2, n + 1):
            grams, counts = torch.unique(_codes(ids, g, vocab_size), return_counts=True)
            contexts, which = torch.unique(grams // vocab_size, return_inverse=True)
            totals = torch.zeros(len(contexts), dtype=torch.long).index_add_(0, which, counts)
            self.orders.append((grams, counts, contexts, totals, torch.bincount(which, minlength=len(contexts))))

    def log_probs(self, ids: torch.Tensor) -> torch.Tensor:
        """``log P(ids[t] | ids[t-n+1:t])`` in nats for every position: ``(M,)`` for ``ids (M,)``
        (the first positions use the context they have)."""
        check_ids(ids, "ids", self.vocab_size, "vocab_size", spec=("M",))
        ids = ids.long().cpu()
        p = self.unigram[ids]
        for g, (grams, counts, contexts, totals, types) in enumerate(self.orders, start=2):
            if len(ids) < g:
                break
            codes = _codes(ids, g, self.vocab_size)  # the g-gram ending at position t = g-1, g, ...
            seen, total = _lookup(grams, counts, codes), _lookup(contexts, totals, codes // self.vocab_size)
            after = _lookup(contexts, types, codes // self.vocab_size)
            lower = p[g - 1:]  # P_{g-1} at the positions that have a full context of g - 1 tokens
            mixed = (seen + after * lower) / (total + after).clamp(min=1)
            p = torch.cat([p[: g - 1], torch.where(total > 0, mixed, lower)])
        return p.log()

    def unseen_context_share(self, ids: torch.Tensor) -> float:
        """Share of the positions of ``ids (M,)`` (from ``n - 1`` on) whose context of ``n - 1``
        tokens never occurs in the training text (0 for ``n = 1``: the empty context)."""
        check_ids(ids, "ids", self.vocab_size, "vocab_size", spec=("M",))
        if self.n == 1:
            return 0.0
        if len(ids) < self.n:
            raise ValueError(f"ids must hold at least n={self.n} tokens, got {len(ids)}")
        _, _, contexts, totals, _ = self.orders[-1]
        context_codes = _codes(ids.long().cpu(), self.n, self.vocab_size) // self.vocab_size
        return (_lookup(contexts, totals, context_codes) == 0).double().mean().item()
