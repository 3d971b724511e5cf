import math

import pytest
import torch
import torch.nn.functional as F

from seqattn_lib.exercises import mistakes as M


def garbage_none(*args, **kwargs):
    return None


def garbage_raise(*args, **kwargs):
    raise RuntimeError("boom")


def softmax_attention(q, k, v, mask=None, scale=True, dim=-1):
    s = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale else 1)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=dim) @ v


def mask_after_softmax(q, k, v, mask):
    w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return (w * mask) @ v


def mha_no_out_proj(x, mha, mask):
    W_Q, W_K, W_V = mha.in_proj_weight.chunk(3)
    b_Q, b_K, b_V = mha.in_proj_bias.chunk(3)
    Q, K, V = (mha.split_heads(F.linear(x, W, b)) for W, b in ((W_Q, b_Q), (W_K, b_K), (W_V, b_V)))
    return mha.merge_heads(softmax_attention(Q, K, V, mask[:, None]))


def lstm_cell(x, h, c, W_ih, W_hh, b, shared=False):
    z = x @ W_ih.T + h @ W_hh.T + b
    i, f, g, o = z.chunk(4, dim=-1)
    if shared:
        f = o = i
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


CASES = {
    "weighted_average": (
        M.check_weighted_average,
        [lambda x, a: a[..., None] * x, lambda x, a: x.sum(1) + a.sum(1, keepdim=True)],
    ),
    "concat_scores": (
        M.check_concat_scores,
        [lambda x, h, w: torch.cat([x, h], -1) @ w, lambda x, h, w: x @ w[:3]],
    ),
    "score_weights": (
        M.check_score_weights,
        [lambda s: s, lambda s: torch.softmax(s, 0)],
    ),
    "attention": (
        M.check_attention,
        [lambda q, k, v: softmax_attention(q, k, v, dim=-2), lambda q, k, v: softmax_attention(q, k, v, scale=False)],
    ),
    "self_attention": (
        M.check_self_attention,
        [
            lambda x, W_Q, W_K, W_V: softmax_attention(x @ W_Q, x @ W_K, x @ W_V, scale=False),
            lambda x, W_Q, W_K, W_V: softmax_attention(x @ W_Q, x @ W_Q, x @ W_V),
        ],
    ),
    "masked_attention": (
        M.check_masked_attention,
        [mask_after_softmax, lambda q, k, v, mask: softmax_attention(q, k, v)],
    ),
    "causal_self_attention": (
        M.check_causal_self_attention,
        [
            lambda x, mha: mha(x, x, x)[0],
            lambda x, mha: mha(x, x, x, torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).triu())[0],
        ],
    ),
    "multi_head_attention": (
        M.check_multi_head_attention,
        [mha_no_out_proj, lambda x, mha, mask: mha(x, x, x)[0]],
    ),
    "lstm_cell": (
        M.check_lstm_cell,
        [lambda *a: lstm_cell(*a, shared=True), lambda x, h, c, W_ih, W_hh, b: lstm_cell(x, h, c, W_ih, W_hh, b)[0]],
    ),
    "encode": (
        M.check_encode,
        [lambda lstm, x: (lstm(x)[0][:, -1], lstm(x)[1]), lambda lstm, x: (lstm(x)[0], lstm(x)[1][0])],
    ),
    "matching_shapes": (
        M.check_matching_shapes,
        [lambda E, w, W_o: E[w] @ W_o.T, lambda E, w, W_o: E[w].sum(1, keepdim=True) @ W_o],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_checker_passes_reference_and_fails_wrong(name):
    checker, wrongs = CASES[name]
    assert checker(M.SOLUTIONS[name])
    for wrong in [*wrongs, garbage_none, garbage_raise, 42]:
        assert not checker(wrong)
