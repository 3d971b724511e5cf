"""Synthetic long-range tasks, generated on the fly: the adding problem and copy memory.

Introduced in chapter 3. Both tasks put the information the answer needs at the start of
a long sequence, so a model solves them only if it carries it across many steps.

* :func:`adding_problem` (Hochreiter and Schmidhuber, 1997): add the two numbers that
  carry a marker. Always predicting 1 scores :data:`ADDING_BASELINE_MSE` = 1/6.
* :func:`copy_memory` (Arjovsky et al., 2016): repeat a few symbols after a long gap.
"""

from __future__ import annotations

import math

import torch

from ..checks import check_generator, check_positive_int

ADDING_BASELINE_MSE = 1 / 6
"""MSE of always predicting 1: the target is a sum of two U(0, 1) numbers, variance 2/12."""


def adding_problem(
    batch: int, T: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the adding problem.

    Each step carries two features: a value drawn from U(0, 1) and a marker (0 or 1).
    Exactly two steps are marked, one in the first half ``[0, T//2)`` and one in the
    second half ``[T//2, T)``; the target is the sum of the two marked values.

    Args:
        batch: number of sequences.
        T: sequence length (at least 2).
        generator: random generator (on the CPU) for repeatable batches.
        device: where to put the tensors.

    Returns:
        ``x`` ``(batch, T, 2)`` float (``x[..., 0]`` values, ``x[..., 1]`` markers) and
        ``y`` ``(batch,)`` float, the sum of the marked values.
    """
    check_positive_int(batch, "batch")
    check_positive_int(T, "T")
    if T < 2:
        raise ValueError(f"T must be at least 2 (two marked steps), got {T}")
    generator = check_generator(generator)
    values = torch.rand(batch, T, generator=generator)
    first = torch.randint(0, T // 2, (batch,), generator=generator)
    second = torch.randint(T // 2, T, (batch,), generator=generator)
    markers = torch.zeros(batch, T)
    rows = torch.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)
    y = (values * markers).sum(dim=1)
    return x.to(device), y.to(device)


def copy_memory(
    batch: int,
    T: int,
    n_symbols: int = 8,
    length: int = 10,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the copy-memory task, as token ids.

    Ids: 0 is blank, ``1..n_symbols`` are the symbols, ``n_symbols + 1`` is the delimiter.
    The input is ``length`` random symbols, ``T - 1`` blanks, the delimiter and ``length``
    blanks; the target is ``T + length`` blanks followed by the same symbols. A model that
    outputs blanks and then guesses uniformly has cross-entropy
    :func:`copy_memory_baseline`.

    Args:
        batch: number of sequences.
        T: the gap between the last symbol and the delimiter's successor (at least 1).
        n_symbols: alphabet size (at least 2).
        length: number of symbols to copy.
        generator: random generator (on the CPU) for repeatable batches.
        device: where to put the tensors.

    Returns:
        ``x`` and ``y``, both ``(batch, T + 2 * length)`` int64.
    """
    for value, name in ((batch, "batch"), (T, "T"), (n_symbols, "n_symbols"), (length, "length")):
        check_positive_int(value, name)
    if n_symbols < 2:
        raise ValueError(f"n_symbols must be at least 2, got {n_symbols}")
    generator = check_generator(generator)
    symbols = torch.randint(1, n_symbols + 1, (batch, length), generator=generator)
    x = torch.zeros(batch, T + 2 * length, dtype=torch.long)
    y = torch.zeros_like(x)
    x[:, :length] = symbols
    x[:, T + length - 1] = n_symbols + 1
    y[:, T + length :] = symbols
    return x.to(device), y.to(device)


def copy_memory_baseline(T: int, n_symbols: int = 8, length: int = 10) -> float:
    """Cross-entropy (nats per step) of predicting blanks, then uniform symbols at the end:
    ``length * log(n_symbols) / (T + 2 * length)``."""
    for value, name in ((T, "T"), (n_symbols, "n_symbols"), (length, "length")):
        check_positive_int(value, name)
    return length * math.log(n_symbols) / (T + 2 * length)
