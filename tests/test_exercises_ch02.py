import math

import pytest
import torch

from seqattn_lib.attention import masked_softmax, scaled_dot_product_attention
from seqattn_lib.exercises.ch02 import (
    SOLUTIONS,
    check_masked_softmax,
    check_merge_heads,
    check_scaled_dot_product_attention,
    check_split_heads,
    check_weighted_average,
)


def _garbage():
    return [lambda *a: None, lambda *a: 1 / 0, lambda *a: "x", 3]


# masked softmax -------------------------------------------------------------
def _softmax_nan(scores, mask):  # forgets the fully masked rows
    return torch.softmax(scores if mask is None else scores.masked_fill(~mask, float("-inf")), -1)


def _softmax_inverted(scores, mask):  # True read as "masked"
    return masked_softmax(scores, None if mask is None else ~mask)


def _softmax_multiply(scores, mask):  # multiplies by the mask without renormalising
    w = torch.softmax(scores, -1)
    return w if mask is None else w * mask


def _softmax_naive(scores, mask):  # no max subtraction: overflows
    e = scores.exp() * (1 if mask is None else mask)
    return (e / e.sum(-1, keepdim=True).clamp_min(1e-30)).nan_to_num(0.0)


@pytest.mark.parametrize("wrong", [_softmax_nan, _softmax_inverted, _softmax_multiply, _softmax_naive, *_garbage()])
def test_masked_softmax_checker_fails(wrong):
    assert not check_masked_softmax(wrong)


def test_masked_softmax_checker_passes_reference():
    assert check_masked_softmax(SOLUTIONS["masked_softmax"])


# scaled dot-product attention ---------------------------------------------------
def _attn_unscaled(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, mask, scale=False)


def _attn_ignores_mask(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v)


def _attn_wrong_axis(q, k, v, mask):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    w = torch.softmax(scores if mask is None else scores.masked_fill(~mask, -1e9), dim=-2)
    return w @ v, w


def _attn_no_grad(q, k, v, mask):
    out, w = scaled_dot_product_attention(q, k, v, mask)
    return out.detach(), w.detach()


@pytest.mark.parametrize("wrong", [_attn_unscaled, _attn_ignores_mask, _attn_wrong_axis, _attn_no_grad, *_garbage()])
def test_attention_checker_fails(wrong):
    assert not check_scaled_dot_product_attention(wrong)


def test_attention_checker_passes_reference():
    assert check_scaled_dot_product_attention(SOLUTIONS["scaled_dot_product_attention"])


# split / merge heads ----------------------------------------------------------------
def test_split_merge_checkers_pass_reference():
    assert check_split_heads(SOLUTIONS["split_heads"])
    assert check_merge_heads(SOLUTIONS["merge_heads"])


@pytest.mark.parametrize(
    "wrong",
    [
        lambda x, h: x.view(x.shape[0], h, x.shape[1], -1),  # reshape without transpose: mixes positions
        lambda x, h: x.view(x.shape[0], x.shape[1], -1, h).permute(0, 3, 1, 2),  # interleaved features
        lambda x, h: x.view(x.shape[0], x.shape[1], h, -1),  # forgets the transpose
        *_garbage(),
    ],
)
def test_split_checker_fails(wrong):
    assert not check_split_heads(wrong)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda x: x.reshape(x.shape[0], x.shape[2], -1),  # no transpose back
        lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[2], -1),  # wrong feature order
        lambda x: x.mean(1),  # averages the heads
        *_garbage(),
    ],
)
def test_merge_checker_fails(wrong):
    assert not check_merge_heads(wrong)


# weighted average ---------------------------------------------------------------
def test_weighted_average_checker():
    assert check_weighted_average(SOLUTIONS["weighted_average"])
    assert check_weighted_average(lambda x, a: torch.einsum("bn,bnd->bd", a, x))
    for wrong in [
        lambda x, a: a[..., None] * x,  # the bug: never sums over positions
        lambda x, a: (a[..., None] * x).mean(1),  # mean instead of sum
        lambda x, a: x.sum(1) + a.sum(1, keepdim=True),  # "sum of inputs and weights"
        *_garbage(),
    ]:
        assert not check_weighted_average(wrong)


def test_weighted_average_hint(capsys):
    check_weighted_average(lambda x, a: a[..., None] * x)
    assert "sum over the positions" in capsys.readouterr().out
