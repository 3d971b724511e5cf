"""Evaluation metrics shared by the chapters.

Introduced in chapter 1 (perplexity); chapters 4-6 add accuracy-style metrics here.
"""

from __future__ import annotations

import math

import torch

from .checks import check_tensor


def perplexity(mean_nll: float) -> float:
    """Perplexity ``exp(mean negative log-likelihood in nats)``.

    A model that spreads its probability evenly over ``V`` symbols has perplexity ``V``.
    """
    if not isinstance(mean_nll, (int, float)) or math.isnan(mean_nll) or mean_nll < 0:
        raise ValueError(f"mean_nll must be a non-negative number, got {mean_nll!r}")
    return math.exp(mean_nll)


def accuracy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int | None = None) -> float:
    """Fraction of positions where ``argmax(logits)`` equals the target.

    Args:
        logits: ``(..., n_classes)`` scores.
        targets: ``(...)`` integer class ids, same leading shape as ``logits``.
        ignore_index: target id (e.g. padding) left out of the count.
    """
    check_tensor(logits, "logits", dtype="float")
    check_tensor(targets, "targets", dtype="int")
    if logits.dim() < 1 or logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"logits must have shape targets.shape + (n_classes,) = {tuple(targets.shape)} + (C,), "
            f"got {tuple(logits.shape)}"
        )
    correct = logits.argmax(-1) == targets
    if ignore_index is not None:
        keep = targets != ignore_index
        return float(correct[keep].float().mean()) if keep.any() else float("nan")
    return float(correct.float().mean())


def exact_match(hypotheses: list[str], references: list[str]) -> torch.Tensor:
    """Per pair, whether the hypothesis string equals its reference exactly: ``(n,)`` bool.

    ``.float().mean()`` is the exact-match rate; the per-pair values let a chapter group
    the results (e.g. by source length).
    """
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(
            f"need as many hypotheses as references, at least one; got {len(hypotheses)} and {len(references)}"
        )
    return torch.tensor([h == r for h, r in zip(hypotheses, references)])


def bleu(hypotheses: list[str], references: list[str], tokenize: str = "13a") -> float:
    """Corpus BLEU (0-100) of detokenised ``hypotheses`` against one reference each.

    A thin wrapper around ``sacrebleu.corpus_bleu`` (Papineni et al., 2002; Post, 2018).
    ``tokenize="13a"`` (sacrebleu's default, comparable across papers) expects plain
    detokenised text; ``tokenize="none"`` scores text that is already split into tokens
    separated by spaces, as it is.
    """
    import sacrebleu

    if not isinstance(hypotheses, (list, tuple)) or not isinstance(references, (list, tuple)):
        raise ValueError("hypotheses and references must be lists of strings")
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(
            f"need as many hypotheses as references (at least one), got {len(hypotheses)} and {len(references)}"
        )
    if not all(isinstance(s, str) for s in [*hypotheses, *references]):
        raise ValueError("every hypothesis and reference must be a str")
    if tokenize not in ("13a", "none"):
        raise ValueError(f"tokenize must be '13a' or 'none', got {tokenize!r}")
    score = sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize, force=tokenize == "none")
    return float(score.score)
