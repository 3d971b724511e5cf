"""Evaluation metrics shared by the chapters: every metric the book reports is defined here.

Introduced in chapter 1 (perplexity); chapter 2 adds accuracy (and binary accuracy for one
logit), chapter 4 exact match, BLEU and chrF, chapter 6 sequence and token accuracy
(captioning), MAE and RMSE (forecasting), detection delay and false alarms (text
monitoring), ROUGE-n (summarisation), recall@1 (dialogue) and hit rate@k (recommendation).
"""

from __future__ import annotations

import math
from collections import Counter

import torch
import torch.nn.functional as F

from .checks import ArgumentTypeError, check_ids, check_int, check_positive_int, check_str_list, check_tensor


def _check_text_pairs(hypotheses, references) -> tuple[list[str], list[str]]:
    """Both as lists of strings, equally long and not empty (a plain string is not a list)."""
    hypotheses, references = check_str_list(hypotheses, "hypotheses"), check_str_list(references, "references")
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(
            f"need as many hypotheses as references (at least one), got {len(hypotheses)} and {len(references)}"
        )
    return hypotheses, references


def perplexity(mean_nll: float) -> float:
    """Perplexity ``exp(mean negative log-likelihood in nats)``.

    A model that spreads its probability evenly over ``V`` symbols has perplexity ``V``.
    """
    if isinstance(mean_nll, bool) or not isinstance(mean_nll, (int, float)) or math.isnan(mean_nll) or mean_nll < 0:
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
    check_tensor(targets, "targets", dtype="int", device=logits.device)
    if logits.dim() < 1 or logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"logits must have shape targets.shape + (n_classes,) = {tuple(targets.shape)} + (C,), "
            f"got {tuple(logits.shape)}"
        )
    if ignore_index is not None:
        check_int(ignore_index, "ignore_index")
    counted = targets if ignore_index is None else targets[targets != ignore_index]
    check_ids(counted, "targets", logits.shape[-1], "n_classes")
    correct = logits.argmax(-1) == targets
    if ignore_index is not None:
        keep = targets != ignore_index
        return float(correct[keep].float().mean()) if keep.any() else float("nan")
    return float(correct.float().mean())


def binary_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of positions where the sign of a one-logit binary classifier is right:
    ``logits > 0`` (probability above 1/2) predicts class 1.

    Args:
        logits: ``(...)`` float scores, one per example.
        targets: ``(...)`` 0/1 labels, int or float, same shape.
    """
    check_tensor(logits, "logits", dtype="float")
    check_tensor(targets, "targets", tuple(logits.shape), device=logits.device)
    if logits.numel() == 0 or not ((targets == 0) | (targets == 1)).all():
        raise ValueError("targets must be a non-empty tensor of 0/1 labels")
    return float(((logits > 0) == (targets == 1)).float().mean())


def token_accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of positions of ``pred (batch, length)`` equal to ``target (batch, length)``
    (int ids); :func:`sequence_accuracy` asks instead for whole rows."""
    dims = check_tensor(pred, "pred", ("batch", "length"), dtype="int")
    check_tensor(target, "target", ("batch", "length"), dims, dtype="int", device=pred.device)
    if pred.numel() == 0:
        raise ValueError("pred and target must hold at least one position")
    return float((pred == target).float().mean())


def exact_match(hypotheses: list[str], references: list[str]) -> torch.Tensor:
    """Per pair, whether the hypothesis string equals its reference exactly: ``(n,)`` bool.

    ``.float().mean()`` is the exact-match rate; the per-pair values let a chapter group
    the results (e.g. by source length).
    """
    hypotheses, references = _check_text_pairs(hypotheses, references)
    return torch.tensor([h == r for h, r in zip(hypotheses, references)])


def bleu(hypotheses: list[str], references: list[str], tokenize: str = "13a") -> float:
    """Corpus BLEU (0-100) of detokenised ``hypotheses`` against one reference each.

    A thin wrapper around ``sacrebleu.corpus_bleu`` (Papineni et al., 2002; Post, 2018).
    ``tokenize="13a"`` (sacrebleu's default, comparable across papers) expects plain
    detokenised text; ``tokenize="none"`` scores text that is already split into tokens
    separated by spaces, as it is.
    """
    import sacrebleu

    hypotheses, references = _check_text_pairs(hypotheses, references)
    if tokenize not in ("13a", "none"):
        raise ValueError(f"tokenize must be '13a' or 'none', got {tokenize!r}")
    score = sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize, force=tokenize == "none")
    return float(score.score)


def chrf(hypotheses: list[str], references: list[str]) -> float:
    """Corpus chrF (0-100): the F-score (recall weighted twice as much as precision) of
    character n-grams, n = 1..6, averaged over n (Popović, 2015), as computed by
    ``sacrebleu.corpus_chrf``. Unlike BLEU it gives credit for a word that is only partly right.
    """
    import sacrebleu

    hypotheses, references = _check_text_pairs(hypotheses, references)
    return float(sacrebleu.corpus_chrf(list(hypotheses), [list(references)]).score)


def sequence_accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Fraction of rows of ``pred (batch, length)`` that equal ``target (batch, length)`` at every position."""
    dims = check_tensor(pred, "pred", ("batch", "length"), dtype="int")
    check_tensor(target, "target", ("batch", "length"), dims, dtype="int", device=pred.device)
    if dims["batch"] == 0:
        raise ValueError("pred and target must hold at least one row")
    return float((pred == target).all(dim=1).float().mean())


def _check_forecasts(pred: torch.Tensor, target: torch.Tensor) -> None:
    check_tensor(pred, "pred", dtype="float")
    check_tensor(target, "target", tuple(pred.shape), dtype="float", device=pred.device)
    if pred.numel() == 0 or not torch.isfinite(pred).all() or not torch.isfinite(target).all():
        raise ValueError("pred and target must be non-empty and finite")


def mae(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean absolute error ``mean |pred - target|`` of two float tensors of the same shape."""
    _check_forecasts(pred, target)
    return F.l1_loss(pred, target).item()


def rmse(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Root mean squared error ``sqrt(mean (pred - target)^2)`` of two float tensors of the same shape."""
    _check_forecasts(pred, target)
    return F.mse_loss(pred, target).sqrt().item()


def rouge_n(candidate: list[str], reference: list[str], n: int = 1) -> float:
    """ROUGE-n F1 of two token lists (Lin, 2004).

    With ``C`` and ``R`` the multisets of n-grams of the candidate and the reference, the
    overlap ``|C & R|`` counts each n-gram at most as often as it occurs in both;
    ``P = overlap / |C|``, ``R = overlap / |R|`` and the result is ``2PR / (P + R)``, or 0
    when nothing overlaps.
    """
    candidate, reference = check_str_list(candidate, "candidate"), check_str_list(reference, "reference")
    check_int(n, "n", 1)
    c, r = (Counter(zip(*(words[i:] for i in range(n)))) for words in (candidate, reference))
    overlap = sum((c & r).values())
    if overlap == 0:
        return 0.0
    p, rec = overlap / sum(c.values()), overlap / sum(r.values())
    return 2 * p * rec / (p + rec)


def recall_at_1(scores: torch.Tensor, candidates) -> float:
    """Fraction of rows whose true candidate scores strictly highest among its candidates.

    Args:
        scores: ``(n, n_items)`` float scores of every item for each of ``n`` queries.
        candidates: ``(n, c)`` item ids (a tensor or nested lists), the true item first;
            a tie with the true item counts as a miss.
    """
    dims = check_tensor(scores, "scores", ("n", "n_items"), dtype="float")
    if not isinstance(candidates, torch.Tensor):
        try:
            candidates = torch.tensor(candidates)
        except (TypeError, ValueError, RuntimeError):  # a str, ragged lists, ...
            what = type(candidates).__name__
            raise ArgumentTypeError(f"candidates must be a tensor or nested lists of int ids, got {what}") from None
    check_tensor(candidates, "candidates", ("n", None), dims, dtype="int")
    check_ids(candidates, "candidates", dims["n_items"], "n_items")
    if candidates.shape[1] < 2:
        raise ValueError(f"candidates must hold the true item and at least one other per row, got {candidates.shape}")
    s = scores.gather(1, candidates.to(scores.device))
    return float((s[:, 0] > s[:, 1:].max(1).values).float().mean())


def hit_rate_at_k(scores: torch.Tensor, targets: torch.Tensor, k: int = 10) -> float:
    """Fraction of rows whose target item is among the ``k`` highest scores.

    Args:
        scores: ``(batch, n_items)`` float scores (set excluded items, e.g. padding, to ``-inf``).
        targets: ``(batch,)`` int item ids, the column of the true next item.
        k: length of the recommended list.
    """
    dims = check_tensor(scores, "scores", ("batch", "n_items"), dtype="float")
    check_ids(targets, "targets", dims["n_items"], "n_items", ("batch",), dims, device=scores.device)
    check_positive_int(k, "k")
    if k > dims["n_items"]:
        raise ValueError(f"k ({k}) must be at most n_items ({dims['n_items']})")
    top = scores.topk(k, dim=-1).indices  # (batch, k)
    return float((top == targets[:, None]).any(-1).float().mean())


def detection_delay(alarm: torch.Tensor, change_at: int) -> tuple[int, float]:
    """How a change detector did on a stream whose change point is known (chapter 6, text monitoring).

    An alert is raised where the alarm switches on (``alarm[t]`` and not ``alarm[t - 1]``,
    or ``alarm[0]``), so a run of consecutive alarmed steps is one alert.

    Args:
        alarm: ``(n,)`` bool, ``True`` where the detector is in alarm after item ``t``.
        change_at: index of the first changed item, in ``[0, n]`` (``n``: no change in the stream).

    Returns:
        ``(false_alarms, delay)``: the number of alerts raised before ``change_at``, and
        ``t - change_at`` for the first ``t >= change_at`` in alarm (0 if an alarm is already on
        at the change), or ``math.inf`` if there is none.
    """
    dims = check_tensor(alarm, "alarm", ("n",), dtype="bool")
    check_int(change_at, "change_at", 0, dims["n"] + 1)
    raised = alarm.clone()
    raised[1:] &= ~alarm[:-1]  # True where an alert starts
    false_alarms = int(raised[:change_at].sum())
    after = torch.nonzero(alarm[change_at:]).flatten()
    return false_alarms, (int(after[0]) if len(after) else math.inf)
