"""Checkers for the "find the bug" exercises of the common-mistakes appendix.

Each checker takes the reader's fixed function and compares it with a reference on
random inputs; each catches the bug its exercise shows (see the appendix notebook).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from . import ExerciseFailure, call, expect_close, expect_like, run_checks


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def check_weighted_average(fn):
    """``fn(x (batch, n, d), a (batch, n)) -> c (batch, d)``: ``c = sum_i a_i x_i``."""

    def check(seed):
        def run(f):
            g = _gen(seed)
            x = torch.randn(3, 5, 4, generator=g)
            a = torch.softmax(torch.randn(3, 5, generator=g), dim=-1)
            expect_close(call(f, x, a), (a[..., None] * x).sum(dim=1), "context vector c")

        return run

    def larger(f):
        g = _gen(7)
        x = torch.randn(5, 12, 9, generator=g)
        a = torch.softmax(torch.randn(5, 12, generator=g), dim=-1)
        expect_close(call(f, x, a), (a[..., None] * x).sum(dim=1), "context vector c for x of shape (5, 12, 9)")

    return run_checks("weighted_average", fn, [check(0), check(1), larger])


def check_concat_scores(fn):
    """``fn(x (batch, n, d_x), h (batch, d_h), w (d_x + d_h,)) -> scores (batch, n)``: ``w . [x_i; h]``."""

    def run(f):
        g = _gen(2)
        x, h, w = torch.randn(2, 6, 3, generator=g), torch.randn(2, 4, generator=g), torch.randn(7, generator=g)
        expect_close(call(f, x, h, w), x @ w[:3] + (h @ w[3:])[:, None], "scores")

    return run_checks("concat_scores", fn, [run])


def check_score_weights(fn):
    """``fn(scores (batch, n)) -> weights (batch, n)``: non-negative, summing to 1 over ``n``."""

    def run(f):
        scores = torch.randn(4, 7, generator=_gen(3)) * 3
        weights = call(f, scores)
        expect_like(weights, scores, "weights")
        if (weights < 0).any():
            raise ExerciseFailure("weights contain negative values: they are not a distribution")
        if not torch.allclose(weights.sum(-1), torch.ones(4), atol=1e-5):
            raise ExerciseFailure(f"each row of weights should sum to 1, got sums {weights.sum(-1).tolist()}")
        expect_close(weights, torch.softmax(scores, dim=-1), "weights")

    return run_checks("score_weights", fn, [run])


def _qkv(seed, n_q=4, n_k=6, d_k=16, d_v=3):
    g = _gen(seed)
    return (
        torch.randn(2, n_q, d_k, generator=g) * 2,
        torch.randn(2, n_k, d_k, generator=g) * 2,
        torch.randn(2, n_k, d_v, generator=g),
    )


def check_attention(fn):
    """``fn(q (batch, n_q, d_k), k (batch, n_k, d_k), v (batch, n_k, d_v)) -> (batch, n_q, d_v)``:
    scaled dot-product attention, softmax over the keys."""

    def run(f):
        q, k, v = _qkv(4)
        expect_close(call(f, q, k, v), scaled_dot_product_attention(q, k, v)[0], "attention output")

    return run_checks("attention", fn, [run])


def check_self_attention(fn):
    """``fn(x (batch, n, d_model), W_Q, W_K, W_V (d_model, d_k)) -> (batch, n, d_k)``:
    ``softmax(Q K^T / sqrt(d_k)) V`` with ``Q = x W_Q`` etc."""

    def run(f):
        g = _gen(5)
        x = torch.randn(2, 5, 8, generator=g)
        W_Q, W_K, W_V = (torch.randn(8, 16, generator=g) for _ in range(3))
        Q, K, V = x @ W_Q, x @ W_K, x @ W_V
        expected = torch.softmax(Q @ K.transpose(1, 2) / math.sqrt(16), dim=-1) @ V
        expect_close(call(f, x, W_Q, W_K, W_V), expected, "self-attention output", atol=1e-4)

    return run_checks("self_attention", fn, [run])


def check_masked_attention(fn):
    """``fn(q, k, v, mask (batch, n_q, n_k) bool, True = may attend) -> (batch, n_q, d_v)``."""

    def run(f):
        q, k, v = _qkv(6)
        mask = torch.rand(2, 4, 6, generator=_gen(7)) < 0.5
        mask[..., 0] = True
        expect_close(call(f, q, k, v, mask), scaled_dot_product_attention(q, k, v, mask)[0], "masked attention output")

    return run_checks("masked_attention", fn, [run])


def check_causal_self_attention(fn):
    """``fn(x (batch, n, d_model), mha: MultiHeadAttention) -> (batch, n, d_model)``: causal
    self-attention, so position ``t`` never sees positions after ``t``."""

    def run(f):
        torch.manual_seed(8)
        mha = MultiHeadAttention(8, 2)
        x = torch.randn(2, 5, 8, generator=_gen(8))
        causal = causal_mask(5)
        with torch.no_grad():
            expected = mha(x, x, x, causal)[0]
            x2 = x.clone()
            x2[:, 3:] = torch.randn(2, 2, 8, generator=_gen(9))
            out, out2 = call(f, x, mha), call(f, x2, mha)
        expect_like(out, expected, "causal self-attention output")
        expect_like(out2, expected, "causal self-attention output")
        if not torch.allclose(out[:, :3], out2[:, :3], atol=1e-5):
            raise ExerciseFailure("changing tokens 3 and 4 changed the output at positions 0-2: the future leaks")
        expect_close(out, expected, "causal self-attention output")

    return run_checks("causal_self_attention", fn, [run])


def check_multi_head_attention(fn):
    """``fn(x (batch, n, d_model), mha: MultiHeadAttention, mask (batch, n, n) bool) -> (batch, n, d_model)``
    computed from ``mha``'s weights: heads, ``W_O`` and the mask."""

    def run(f):
        torch.manual_seed(10)
        mha = MultiHeadAttention(8, 2)
        x = torch.randn(2, 5, 8, generator=_gen(10))
        mask = torch.rand(2, 5, 5, generator=_gen(11)) < 0.6
        mask[..., 0] = True
        with torch.no_grad():
            expect_close(call(f, x, mha, mask), mha(x, x, x, mask)[0], "multi-head attention output")

    return run_checks("multi_head_attention", fn, [run])


def check_lstm_cell(fn):
    """``fn(x (batch, d_in), h, c (batch, d_h), W_ih (4 d_h, d_in), W_hh (4 d_h, d_h), b (4 d_h,)) -> (h, c)``
    with ``nn.LSTMCell``'s gate order (input, forget, cell, output), each gate its own weights."""

    def run(f):
        torch.manual_seed(12)
        cell = torch.nn.LSTMCell(3, 4)
        g = _gen(12)
        x, h, c = torch.randn(2, 3, generator=g), torch.randn(2, 4, generator=g), torch.randn(2, 4, generator=g)
        with torch.no_grad():
            h_ref, c_ref = cell(x, (h, c))
            out = call(f, x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih + cell.bias_hh)
        if not isinstance(out, tuple) or len(out) != 2:
            raise ExerciseFailure(f"should return a tuple (h, c), got {type(out).__name__}")
        expect_close(out[0], h_ref, "h")
        expect_close(out[1], c_ref, "c")

    return run_checks("lstm_cell", fn, [run])


def check_encode(fn):
    """``fn(lstm: nn.LSTM (batch_first), x (batch, n, d_in)) -> (outputs (batch, n, d_h), (h, c))``:
    every position's output (for attention) and the full final state (for the decoder)."""

    def run(f):
        torch.manual_seed(13)
        lstm = torch.nn.LSTM(3, 4, batch_first=True)
        x = torch.randn(2, 6, 3, generator=_gen(13))
        with torch.no_grad():
            outputs, (h, c) = lstm(x)
            out = call(f, lstm, x)
        if not isinstance(out, tuple) or len(out) != 2 or not isinstance(out[1], tuple) or len(out[1]) != 2:
            raise ExerciseFailure("should return (outputs, (h, c)): the decoder needs both h and c")
        expect_close(out[0], outputs, "outputs (one per position, for attention)")
        expect_close(out[1][0], h, "h")
        expect_close(out[1][1], c, "c (the cell state)")

    return run_checks("encode", fn, [run])


def check_matching_shapes(fn):
    """``fn(E (vocab, d), w (batch, n) ids, W_o (d, n_out)) -> (batch, n, n_out)``: embed, then project."""

    def run(f):
        g = _gen(14)
        E, W_o = torch.randn(10, 4, generator=g), torch.randn(4, 3, generator=g)
        w = torch.randint(0, 10, (2, 5), generator=g)
        expect_close(call(f, E, w, W_o), F.embedding(w, E) @ W_o, "projected embeddings")

    return run_checks("matching_shapes", fn, [run])


# ---------------------------------------------------------------- reference solutions
def _weighted_average(x, a):
    return (a[..., None] * x).sum(dim=1)


def _concat_scores(x, h, w):
    return torch.cat([x, h[:, None].expand(-1, x.shape[1], -1)], dim=-1) @ w


def _score_weights(scores):
    return torch.softmax(scores, dim=-1)


def _attention(q, k, v):
    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v


def _self_attention(x, W_Q, W_K, W_V):
    return _attention(x @ W_Q, x @ W_K, x @ W_V)


def _masked_attention(q, k, v, mask):
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def causal_self_attention(x, mha):
    return mha(x, x, x, causal_mask(x.shape[1]))[0]


def _multi_head_attention(x, mha, mask):
    return mha(x, x, x, mask)[0]


def _lstm_cell(x, h, c, W_ih, W_hh, b):
    i, f, g, o = (x @ W_ih.T + h @ W_hh.T + b).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _encode(lstm, x):
    return lstm(x)


def _matching_shapes(E, w, W_o):
    return E[w] @ W_o


HINTS = {
    "weighted_average": "A context vector has one row per sequence: after weighting, reduce over the positions.",
    "concat_scores": "h has no position axis: give it one and expand it to every position before concatenating.",
    "score_weights": "Weights must be non-negative and sum to 1 along the positions.",
    "attention": "Which axis does the softmax normalise? Each query's weights over the keys should sum to 1; "
    "and is anything missing from the scores?",
    "self_attention": "Queries, keys and values each have their own projection, and the scores are scaled.",
    "masked_attention": "The mask must act before the softmax, so masked keys get exactly zero weight.",
    "causal_self_attention": "Position t may attend to positions up to t only: which triangle is True?",
    "multi_head_attention": "After the heads are merged the output still goes through one more projection, "
    "and the mask must reach the scores.",
    "lstm_cell": "Each of the four blocks of the stacked weights belongs to a different gate.",
    "encode": "nn.LSTM returns (outputs, (h, c)): attention needs every position's output, the decoder the "
    "whole state.",
    "matching_shapes": "Write down each tensor's shape: the embedding gives (batch, n, d), and W_o is (d, n_out).",
}
SOLUTIONS = {
    "weighted_average": _weighted_average,
    "concat_scores": _concat_scores,
    "score_weights": _score_weights,
    "attention": _attention,
    "self_attention": _self_attention,
    "masked_attention": _masked_attention,
    "causal_self_attention": causal_self_attention,
    "multi_head_attention": _multi_head_attention,
    "lstm_cell": _lstm_cell,
    "encode": _encode,
    "matching_shapes": _matching_shapes,
}
