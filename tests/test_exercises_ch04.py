import torch

from seqattn_lib.exercises.ch04 import (
    check_attention_step,
    check_encoder_memory,
    check_length_normalised_score,
    encoder_memory,
    reference_attention_step,
    reference_length_normalised_score,
)


def test_attention_step():
    assert check_attention_step(reference_attention_step)

    def no_mask(s, H, mask, W_q, W_k, w_v):
        e = torch.tanh(s[:, None] @ W_q.T + H @ W_k.T) @ w_v
        a = torch.softmax(e, -1)
        return (a[..., None] * H).sum(1), a

    def no_sum(s, H, mask, W_q, W_k, w_v):  # the article's "weighted average" that never sums
        e = (torch.tanh(s[:, None] @ W_q.T + H @ W_k.T) @ w_v).masked_fill(~mask, -1e9)
        a = torch.softmax(e, -1)
        return a[..., None] * H, a

    assert not check_attention_step(no_mask)
    assert not check_attention_step(no_sum)
    assert not check_attention_step(lambda *a: None)
    assert not check_attention_step(lambda *a: 1 / 0)
    assert not check_attention_step("garbage")


def test_length_normalised_score():
    assert check_length_normalised_score(reference_length_normalised_score)
    assert check_length_normalised_score(lambda lp, alpha: float(lp.sum()) / len(lp) ** alpha)
    assert not check_length_normalised_score(lambda lp, alpha: lp.sum())
    assert not check_length_normalised_score(lambda lp, alpha: lp.mean())
    assert not check_length_normalised_score(lambda lp, alpha: lp / len(lp))
    assert not check_length_normalised_score(lambda lp, alpha: None)


def test_encoder_memory():
    assert check_encoder_memory(encoder_memory)

    def last_only(lstm, x):  # the article's encoder: last output, no cell state
        out, (h, c) = lstm(x)
        return out[:, -1], (h,)

    def drops_cell(lstm, x):
        out, (h, c) = lstm(x)
        return out, (h, torch.zeros_like(c))

    assert not check_encoder_memory(last_only)
    assert not check_encoder_memory(drops_cell)
    assert not check_encoder_memory(lambda lstm, x: "H")
    assert not check_encoder_memory(lambda lstm, x: 1 / 0)
