"""Simulated user sessions with a known structure, for sequential recommendation.

Introduced in chapter 6 (SASRec-style next-item prediction). The catalogue holds
``n_items`` items in ``n_categories`` categories of equal size; category ``c`` owns items
``c * m + 1 .. (c + 1) * m`` (id ``0`` is padding). A user's session is a Markov chain over
categories: after an item of category ``c`` the next item comes, with probability
``p_follow``, from category ``next_category[c]`` (a fixed random cycle), and otherwise
from a uniformly random category. Inside a category items are drawn with Zipf-like
popularity ``1 / rank``. So the best possible recommender knows the last item's category,
while a most-popular list knows only the global popularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .. import runtime
from ..checks import check_finite, check_generator, check_positive_int, check_tensor


@dataclass
class Sessions:
    """``items (n_users, length)`` int64 ids in ``1..n_items``; ``category (n_items + 1,)``
    the category of each id (``-1`` for padding id 0); ``next_category (n_categories,)``
    the category that usually follows each category."""

    items: torch.Tensor
    category: torch.Tensor
    next_category: torch.Tensor

    def __post_init__(self):
        check_tensor(self.items, "items", ("n_users", "length"), dtype="int")
        check_tensor(self.category, "category", (None,), dtype="int")
        check_tensor(self.next_category, "next_category", ("n_categories",), dtype="int")


def simulate_sessions(
    n_users: int,
    length: int,
    n_items: int = 100,
    n_categories: int = 10,
    p_follow: float = 0.8,
    generator: torch.Generator | None = None,
) -> Sessions:
    """Draw ``n_users`` sessions of ``length`` items each (see the module docstring).

    ``generator`` ``None`` derives the draw from ``SEQATTN_SEED``.
    """
    for value, name in ((n_users, "n_users"), (length, "length"), (n_items, "n_items"), (n_categories, "n_categories")):
        check_positive_int(value, name)
    if n_items % n_categories != 0:
        raise ValueError(f"n_items ({n_items}) must be a multiple of n_categories ({n_categories})")
    check_generator(generator)
    if not 0.0 <= check_finite(p_follow, "p_follow") <= 1.0:
        raise ValueError(f"p_follow must be in [0, 1], got {p_follow!r}")
    g = generator if generator is not None else runtime.generator("simulate_sessions")
    m = n_items // n_categories
    order = torch.randperm(n_categories, generator=g)
    next_category = torch.empty(n_categories, dtype=torch.int64)
    next_category[order] = order.roll(-1)  # a single cycle through all categories
    popularity = 1.0 / torch.arange(1, m + 1, dtype=torch.float64)
    cats = torch.empty(n_users, length, dtype=torch.int64)
    cats[:, 0] = torch.randint(0, n_categories, (n_users,), generator=g)
    for t in range(1, length):
        follow = torch.rand(n_users, generator=g) < p_follow
        random_cat = torch.randint(0, n_categories, (n_users,), generator=g)
        cats[:, t] = torch.where(follow, next_category[cats[:, t - 1]], random_cat)
    rank = torch.multinomial(popularity, n_users * length, replacement=True, generator=g).view(n_users, length)
    items = cats * m + rank + 1
    category = torch.cat([torch.tensor([-1]), torch.arange(n_items) // m])
    return Sessions(items, category, next_category)
