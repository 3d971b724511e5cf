"""Checkers for the exercises of chapter 6d (speech).

* :func:`check_attention_pool`: attention pooling of padded frames with one learned query.
* :func:`check_masked_mean_pool`: the mean of the real frames, as uniform weights.
* :func:`check_ctc_collapse`: CTC's collapse of a frame-label path (merge repeats, drop blanks).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..attention import AttentionPooling, padding_mask, scaled_dot_product_attention
from ..seq2seq import ctc_greedy_decode
from . import ExerciseFailure, call, expect_close, run_checks


def _reference_attention_pool(h, query, mask):
    q = query.expand(h.shape[0], 1, -1)  # (batch, 1, d)
    pooled, weights = scaled_dot_product_attention(q, h, h, mask[:, None, :])
    return pooled[:, 0], weights[:, 0]


def check_attention_pool(fn) -> object:
    """``fn(h (batch, T, d), query (d,), mask (batch, T) bool) -> (pooled (batch, d), weights (batch, T))``,
    with ``weights = softmax(h query / sqrt(d))`` over the frames where ``mask`` is True."""

    def case(batch, T, d, seed, scale=1.0):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            h, query = torch.randn(batch, T, d, generator=g) * scale, torch.randn(d, generator=g) * scale
            lengths = torch.randint(1, T + 1, (batch,), generator=g)
            mask = padding_mask(lengths, T)
            got = call(f, h, query, mask)
            if not isinstance(got, tuple) or len(got) != 2:
                raise ExerciseFailure(f"should return a tuple (pooled, weights), got {type(got).__name__}")
            want = _reference_attention_pool(h, query, mask)
            expect_close(got[1], want[1], "weights")
            expect_close(got[0], want[0], "pooled")
        return check

    checks = [case(1, 5, 4, 0), case(3, 7, 8, 1), case(4, 2, 16, 2), case(6, 40, 12, 3, scale=8.0)]
    return run_checks("attention_pool", fn, checks)


def check_masked_mean_pool(fn) -> object:
    """``fn(h (batch, T, d), mask (batch, T) bool) -> (pooled (batch, d), weights (batch, T))``:
    weights uniform over the frames where ``mask`` is True (0 on padding), pooled their weighted sum."""

    def case(batch, T, d, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            h = torch.randn(batch, T, d, generator=g)
            lengths = torch.randint(1, T + 1, (batch,), generator=g)
            mask = padding_mask(lengths, T)
            got = call(f, h, mask)
            if not isinstance(got, tuple) or len(got) != 2:
                raise ExerciseFailure(f"should return a tuple (pooled, weights), got {type(got).__name__}")
            pooled, weights = AttentionPooling(d, "mean")(h, mask)  # the library's mean pooling
            expect_close(got[1], weights, f"weights for h of shape {(batch, T, d)}")
            expect_close(got[0], pooled, f"pooled for h of shape {(batch, T, d)}")
        return check

    return run_checks("masked_mean_pool", fn, [case(1, 4, 3, 0), case(3, 6, 2, 1), case(8, 29, 12, 2)])


def _reference_ctc_collapse(path):
    """The library's best-path decoding of a path given as one-hot frames."""
    one_hot = F.one_hot(path, int(path.max()) + 1).float()[None]  # (1, T, n_labels): argmax is the path
    return ctc_greedy_decode(one_hot, torch.tensor([len(path)]))[0]


def check_ctc_collapse(fn) -> object:
    """``fn(path (T,) int) -> list of int``: merge runs of the same label, then drop the blanks (label 0).

    A blank between two runs of the same label keeps them apart: ``[3, 3, 0, 3]`` collapses to ``[3, 3]``.
    """

    def case(T, n_labels, seed):
        def check(f):
            g = torch.Generator().manual_seed(seed)
            # runs of random length, so labels repeat and blanks separate equal labels
            labels = torch.randint(n_labels, (T,), generator=g)
            path = labels.repeat_interleave(torch.randint(1, 4, (T,), generator=g))[:T]
            got = call(f, path)
            if isinstance(got, torch.Tensor):
                got = got.tolist()
            if not isinstance(got, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in got):
                raise ExerciseFailure(f"should return a list of ints, got {got!r:.80}")
            want = _reference_ctc_collapse(path)
            if got != want:
                shown = path.tolist()[:16]
                raise ExerciseFailure(
                    f"for the path {shown}{' ...' if T > 16 else ''} (length {T}) expected {want[:12]}"
                    f"{' ...' if len(want) > 12 else ''}, got {got[:12]}{' ...' if len(got) > 12 else ''}"
                )
        return check

    def fixed(path, want):
        def check(f):
            got = call(f, torch.tensor(path))
            got = got.tolist() if isinstance(got, torch.Tensor) else got
            if got != want:
                raise ExerciseFailure(f"for the path {path} expected {want}, got {got!r:.80}")
        return check

    checks = [fixed([3, 3, 0, 3], [3, 3]), fixed([0, 0, 1, 1, 2, 0], [1, 2]), fixed([0, 0], []),
              case(5, 3, 0), case(60, 4, 1), case(200, 10, 2)]
    return run_checks("ctc_collapse", fn, checks)


HINTS = {
    "attention_pool": "Scale the scores by 1/sqrt(d) and give padded frames a score of -inf before the "
    "softmax over the frames.",
    "masked_mean_pool": "Turn the mask into floats and divide each row by its number of real frames; the "
    "pooled vector is then the same weighted sum as for attention.",
    "ctc_collapse": "First keep a label only where it differs from the previous frame "
    "(torch.unique_consecutive does that), then remove the blanks: in the other order, the blank "
    "between two runs of the same label would be lost.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def attention_pool(h, query, mask):
    scores = h @ query / h.shape[-1] ** 0.5  # (batch, T)
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return (weights[:, :, None] * h).sum(1), weights


def masked_mean_pool(h, mask):
    weights = mask.float() / mask.sum(dim=1, keepdim=True)  # (batch, T), uniform on the real frames
    return (weights[:, :, None] * h).sum(1), weights


def ctc_collapse(path):
    merged = torch.unique_consecutive(path)  # merge repeats first ...
    return [int(label) for label in merged if label != 0]  # ... then drop the blanks (0)


SOLUTIONS = {"attention_pool": attention_pool, "masked_mean_pool": masked_mean_pool, "ctc_collapse": ctc_collapse}
