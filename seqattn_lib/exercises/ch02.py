"""Checkers for chapter 2's exercises (attention as a mapping).

* :func:`check_masked_softmax`: ``masked_softmax(scores, mask)`` -> weights.
* :func:`check_scaled_dot_product_attention`: ``attention(q, k, v, mask)`` -> ``(output, weights)``.
* :func:`check_split_heads` / :func:`check_merge_heads`: ``(batch, n, d_model)`` <->
  ``(batch, n_heads, n, d_k)``.
* :func:`check_weighted_average`: ``weighted_average(x, a)`` -> context vectors ``(batch, d)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..attention import MultiHeadAttention
from ..attention import masked_softmax as _masked_softmax
from ..attention import scaled_dot_product_attention as _library_attention
from . import CheckResult, ExerciseFailure, call, expect_close, expect_like, expect_same_gradients, run_checks


def _random_mask(shape, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=g) > 0.3
    mask[..., 0] = True  # every row keeps at least one key
    return mask


def _first(out, what):
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise ExerciseFailure(f"{what} should return a pair (output, weights), got {type(out).__name__}")
    return out


def check_masked_softmax(fn: Callable) -> CheckResult:
    """Check ``fn(scores (..., n_q, n_k), mask bool or None) -> weights`` (rows sum to 1; all-masked rows are 0)."""
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(2, 3, 5, generator=g) * 3

    def no_mask(fn):
        expect_close(call(fn, scores, None), torch.softmax(scores, -1), "weights with mask=None")

    def with_mask(fn):
        mask = _random_mask((2, 3, 5), 1)
        got = call(fn, scores, mask)
        expect_close(got, _masked_softmax(scores, mask), "weights with a padding mask")

    def broadcast_mask(fn):
        mask = _random_mask((2, 1, 5), 2)
        expect_close(call(fn, scores, mask), _masked_softmax(scores, mask), "weights with a mask of shape (2, 1, 5)")

    def fully_masked_row(fn):
        mask = _random_mask((2, 3, 5), 3)
        mask[1, 2] = False
        got = call(fn, scores, mask)
        if isinstance(got, torch.Tensor) and torch.isnan(got).any():
            raise ExerciseFailure("a row whose keys are all masked gives NaN; it should give all zeros")
        expect_close(got, _masked_softmax(scores, mask), "weights when one row has every key masked")

    def four_dims(fn):
        big = torch.randn(3, 2, 6, 11, generator=torch.Generator().manual_seed(6)) * 3
        mask = _random_mask((3, 1, 6, 11), 7)
        expect_close(call(fn, big, mask), _masked_softmax(big, mask), "weights for scores (3, 2, 6, 11) (batch, heads)")

    def large_scores(fn):
        big = scores * 100
        mask = _random_mask((2, 3, 5), 4)
        got = call(fn, big, mask)
        if isinstance(got, torch.Tensor) and not torch.isfinite(got).all():
            raise ExerciseFailure("scores of size ~1000 give inf/NaN: subtract the row maximum (or use torch.softmax)")
        expect_close(got, _masked_softmax(big, mask), "weights for large scores")

    def gradients(fn):
        mask = _random_mask((2, 3, 5), 5)
        expect_same_gradients(lambda s: fn(s, mask), lambda s: _masked_softmax(s, mask), [scores], ["scores"])

    checks = [no_mask, with_mask, broadcast_mask, fully_masked_row, four_dims, large_scores, gradients]
    return run_checks("masked_softmax", fn, checks)


def _reference_attention(q, k, v, mask):
    return _library_attention(q, k, v, mask)


def check_scaled_dot_product_attention(fn: Callable) -> CheckResult:
    """Check ``fn(q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v), mask) -> (output, weights)``."""
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 4, 6, generator=g), torch.randn(2, 5, 6, generator=g), torch.randn(2, 5, 3, generator=g)

    def shapes_and_values(fn):
        out, weights = _first(call(fn, q, k, v, None), "attention")
        want_out, want_w = _reference_attention(q, k, v, None)
        expect_like(weights, want_w, "weights")
        unscaled = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        if torch.allclose(weights.detach(), unscaled, atol=1e-5) and not torch.allclose(unscaled, want_w):
            raise ExerciseFailure("weights are softmax(q k^T) without the scale: divide the scores by sqrt(d_k)")
        expect_close(weights, want_w, "weights")
        expect_close(out, want_out, "output")

    def masked(fn):
        mask = _random_mask((2, 4, 5), 1)
        out, weights = _first(call(fn, q, k, v, mask), "attention")
        want_out, want_w = _reference_attention(q, k, v, mask)
        expect_close(weights, want_w, "weights with a mask (True = may attend)")
        expect_close(out, want_out, "output with a mask")

    def heads(fn):
        q4, k4, v4 = (torch.randn(2, 3, *x.shape[1:], generator=g) for x in (q, k, v))
        out, weights = _first(call(fn, q4, k4, v4, None), "attention")
        want_out, want_w = _reference_attention(q4, k4, v4, None)
        expect_close(weights, want_w, "weights with a heads dimension (2, 3, n_q, n_k)")
        expect_close(out, want_out, "output with a heads dimension")

    def larger(fn):
        g2 = torch.Generator().manual_seed(5)
        q5, k5 = torch.randn(4, 3, 9, 16, generator=g2), torch.randn(4, 3, 13, 16, generator=g2)
        v5 = torch.randn(4, 3, 13, 5, generator=g2)
        mask = _random_mask((4, 1, 9, 13), 6)
        out, weights = _first(call(fn, q5 * 4, k5 * 4, v5, mask), "attention")
        want_out, want_w = _reference_attention(q5 * 4, k5 * 4, v5, mask)
        expect_close(weights, want_w, "weights for q (4, 3, 9, 16), k (4, 3, 13, 16), large scores and a mask")
        expect_close(out, want_out, "output for q (4, 3, 9, 16), k (4, 3, 13, 16), large scores and a mask")

    def gradients(fn):
        def output_of(f):
            return lambda a, b, c: _first(f(a, b, c, None), "attention")[0]

        expect_same_gradients(output_of(fn), output_of(_reference_attention), [q, k, v], ["q", "k", "v"])

    return run_checks("scaled_dot_product_attention", fn, [shapes_and_values, masked, heads, larger, gradients])


def _mha(d_model, n_heads):
    with torch.random.fork_rng(devices=[]):  # its weights are unused: leave the caller's random stream alone
        return MultiHeadAttention(d_model, n_heads)


def _split(x, n_heads):
    """The library's split, the reference: ``(batch, n, d_model)`` -> ``(batch, n_heads, n, d_k)``."""
    return _mha(x.shape[-1], n_heads).split_heads(x)


def _merge(x):
    """The library's merge, the reference: ``(batch, n_heads, n, d_k)`` -> ``(batch, n, d_model)``."""
    return _mha(x.shape[1] * x.shape[-1], x.shape[1]).merge_heads(x)


def check_split_heads(fn: Callable) -> CheckResult:
    """Check ``fn(x (batch, n, d_model), n_heads) -> (batch, n_heads, n, d_k)``.

    Head ``i`` must hold features ``i*d_k:(i+1)*d_k`` of every position.
    """
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)

    def two_heads(fn):
        expect_close(call(fn, x, 2), _split(x, 2), "split_heads(x, 2) (head i should hold features i*d_k:(i+1)*d_k)")

    def four_heads(fn):
        expect_close(call(fn, x, 4), _split(x, 4), "split_heads(x, 4)")

    def one_head(fn):
        expect_close(call(fn, x, 1), _split(x, 1), "split_heads(x, 1)")

    def larger(fn):
        y = torch.randn(3, 7, 12, generator=torch.Generator().manual_seed(1))
        expect_close(call(fn, y, 3), _split(y, 3), "split_heads(x, 3) for x of shape (3, 7, 12)")

    return run_checks("split_heads", fn, [two_heads, four_heads, one_head, larger])


def check_merge_heads(fn: Callable) -> CheckResult:
    """Check ``fn(x (batch, n_heads, n, d_k)) -> (batch, n, n_heads * d_k)``, the inverse of splitting."""
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)

    def inverse_of_split(fn):
        expect_close(call(fn, _split(x, 2)), x, "merge_heads(split_heads(x, 2)) (should give x back)")

    def four_heads(fn):
        expect_close(call(fn, _split(x, 4)), x, "merge_heads(split_heads(x, 4))")

    def values(fn):
        h = torch.randn(3, 4, 5, 2, generator=torch.Generator().manual_seed(0))
        expect_close(call(fn, h), _merge(h), "merge_heads of a (3, 4, 5, 2) tensor")
        h = torch.randn(2, 3, 9, 7, generator=torch.Generator().manual_seed(1))
        expect_close(call(fn, h), _merge(h), "merge_heads of a (2, 3, 9, 7) tensor")

    return run_checks("merge_heads", fn, [inverse_of_split, four_heads, values])


def check_weighted_average(fn: Callable) -> CheckResult:
    """Check ``fn(x (batch, n, d), a (batch, n)) -> c (batch, d)`` with ``c_b = sum_i a_{b,i} x_{b,i}``."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 5, 4, generator=g)
    a = torch.softmax(torch.randn(3, 5, generator=g), dim=-1)

    def one_vector_per_sequence(fn):
        out = call(fn, x, a)
        if isinstance(out, torch.Tensor) and tuple(out.shape) == tuple(x.shape):
            raise ExerciseFailure(
                f"output has shape {tuple(out.shape)}, one vector per position: multiply by the weights, "
                "then sum over the positions to get one context vector (batch, d)"
            )
        expect_close(out, (a[..., None] * x).sum(1), "context vectors")

    def one_hot_weights(fn):
        hard = torch.zeros(3, 5)
        hard[torch.arange(3), torch.tensor([0, 2, 4])] = 1.0
        expect_close(call(fn, x, hard), x[torch.arange(3), torch.tensor([0, 2, 4])], "context with one-hot weights")

    def larger(fn):
        g2 = torch.Generator().manual_seed(1)
        x7, a7 = torch.randn(6, 11, 9, generator=g2), torch.softmax(torch.randn(6, 11, generator=g2), dim=-1)
        expect_close(call(fn, x7, a7), (a7[..., None] * x7).sum(1), "context vectors for x (6, 11, 9)")

    def gradients(fn):
        expect_same_gradients(fn, lambda x, a: (a[..., None] * x).sum(1), [x, a], ["x", "a"])

    return run_checks("weighted_average", fn, [one_vector_per_sequence, one_hot_weights, larger, gradients])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def masked_softmax(scores, mask=None):
    if mask is None:
        return torch.softmax(scores, dim=-1)  # subtracts the row maximum: no overflow
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights.nan_to_num(0.0)  # a row with every key masked: 0/0 -> 0


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n_q, n_k)
    weights = masked_softmax(scores, mask)
    return weights @ v, weights


def split_heads(x, n_heads):
    batch, n, d_model = x.shape
    return x.view(batch, n, n_heads, d_model // n_heads).transpose(1, 2)


def merge_heads(x):
    batch, n_heads, n, d_k = x.shape
    return x.transpose(1, 2).reshape(batch, n, n_heads * d_k)


def weighted_average(x, a):
    return (a.unsqueeze(-1) * x).sum(dim=1)  # (batch, d)


HINTS = {
    "masked_softmax": "Set masked scores to -inf before the softmax, then replace the NaN of rows with "
    "no key left by zeros; the largest score must not overflow exp.",
    "scaled_dot_product_attention": "Scores are q times k transposed on the last two axes, divided by the "
    "square root of d_k; the softmax runs over the keys.",
    "split_heads": "Reshape the feature axis into (n_heads, d_k) first, then move the heads axis in front "
    "of the positions.",
    "merge_heads": "Undo the split in reverse order: move the heads axis back next to d_k, then reshape.",
    "weighted_average": "Broadcast the weights over the feature axis, multiply, and sum over the positions.",
}
SOLUTIONS = {
    "masked_softmax": masked_softmax,
    "scaled_dot_product_attention": scaled_dot_product_attention,
    "split_heads": split_heads,
    "merge_heads": merge_heads,
    "weighted_average": weighted_average,
}
