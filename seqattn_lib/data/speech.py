"""Speech-derived features: the Japanese Vowels utterances bundled with ``sktime`` (no network).

Introduced in chapter 6 (speech recognition in miniature). Nine male speakers each said
the Japanese vowels /ae/; every recording was cut into frames and each frame described
by 12 LPC cepstrum coefficients (Kudo, Toyama and Shimbo, 1999). The 640 utterances are
7 to 29 frames long; 270 form the training split (30 per speaker) and 370 the test split.
``sktime`` ships them as text files and :func:`load_japanese_vowels` reads those files.
"""

from __future__ import annotations

import numpy as np
import torch

from ..attention import padding_mask
from ..checks import ArgumentTypeError, check_generator, check_positive_int, check_tensor

N_SPEAKERS = 9
N_COEFFICIENTS = 12


def load_japanese_vowels(split: str) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Utterances and speaker ids of one split.

    Args:
        split: ``"train"`` (270 utterances) or ``"test"`` (370).

    Returns:
        ``(utterances, speakers)``: a list of ``(T_i, 12)`` float32 tensors (frames by
        LPC cepstrum coefficients) and ``speakers (n,)`` int64 ids in ``0..8``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    from sktime.datasets import load_japanese_vowels as _load  # reads files inside the package

    X, y = _load(split=split.upper())
    utterances = [
        torch.from_numpy(np.stack([X.iloc[i, j].to_numpy() for j in range(X.shape[1])], axis=1)).float()
        for i in range(len(X))
    ]
    speakers = torch.tensor([int(label) - 1 for label in y], dtype=torch.int64)
    return utterances, speakers


def _check_utterances(utterances) -> dict[str, int]:
    """Raise unless ``utterances`` is a non-empty list of ``(T_i, d)`` float tensors; return ``{"d": d}``."""
    if not isinstance(utterances, (list, tuple)):
        raise ArgumentTypeError(f"utterances must be a list of (T_i, d) tensors, got {type(utterances).__name__}")
    if not utterances:
        raise ValueError("utterances must hold at least one (T_i, d) tensor, got an empty list")
    dims: dict[str, int] = {}
    for i, u in enumerate(utterances):
        check_tensor(u, f"utterances[{i}]", (None, "d"), dims, dtype="float")
    return dims


def pad_utterances(utterances: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length utterances into one zero-padded batch.

    Args:
        utterances: a non-empty list of ``(T_i, d)`` float tensors with the same ``d``.

    Returns:
        ``(x, mask)``: ``x (batch, T_max, d)`` and ``mask (batch, T_max)`` bool, ``True``
        on real frames (the attention convention: ``True`` = may attend).
    """
    dims = _check_utterances(utterances)
    t_max = max(len(u) for u in utterances)
    x = utterances[0].new_zeros(len(utterances), t_max, dims["d"])
    for i, u in enumerate(utterances):
        x[i, : len(u)] = u
    lengths = torch.tensor([len(u) for u in utterances], device=x.device)
    return x, padding_mask(lengths, t_max)


def concatenate_utterances(
    utterances: list[torch.Tensor],
    speakers: torch.Tensor,
    n_sequences: int,
    max_utterances: int = 3,
    generator: torch.Generator | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Constructed transcription task: glue 1..``max_utterances`` random utterances end to end.

    The target of each glued sequence is the list of its speakers in order, so a model
    must say *who spoke when*, without being told where one utterance ends: the alignment
    problem that CTC solves.

    Args:
        utterances: list of ``(T_i, d)`` tensors; speakers: ``(n,)`` int ids.
        n_sequences: number of sequences to build.
        max_utterances: most utterances in one sequence.
        generator: random generator (for repeatable draws).

    Returns:
        ``(sequences, targets)``: lists of ``(sum T_i, d)`` tensors and ``(n_utt,)`` int64 ids.
    """
    _check_utterances(utterances)
    check_tensor(speakers, "speakers", (len(utterances),), dtype="int")
    check_positive_int(n_sequences, "n_sequences")
    check_positive_int(max_utterances, "max_utterances")
    check_generator(generator)
    sequences, targets = [], []
    for _ in range(n_sequences):
        k = int(torch.randint(1, max_utterances + 1, (1,), generator=generator))
        idx = torch.randint(0, len(utterances), (k,), generator=generator)
        sequences.append(torch.cat([utterances[int(i)] for i in idx]))
        targets.append(speakers[idx].clone())
    return sequences, targets
