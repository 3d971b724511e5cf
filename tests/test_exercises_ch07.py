import torch
import torch.nn.functional as F

from seqattn_lib.exercises.ch07 import (
    SOLUTIONS,
    check_distillation_loss,
    check_linear_attention,
    check_sliding_window_mask,
    check_top_k_mask,
)

GARBAGE = [lambda *a: None, lambda *a: 1 / 0, "not a function"]


window_ref = SOLUTIONS["sliding_window_mask"]
linear_ref = SOLUTIONS["linear_attention"]
kd_ref = SOLUTIONS["distillation_loss"]
top_k_ref = SOLUTIONS["top_k_mask"]


def test_sliding_window_mask_checker():
    assert check_sliding_window_mask(window_ref)
    for wrong in [
        lambda n, w: window_ref(n, w).tril(),
        lambda n, w: window_ref(n, w + 1),
        lambda n, w: window_ref(n, w).float(),
        *GARBAGE,
    ]:
        assert not check_sliding_window_mask(wrong)


def test_linear_attention_checker():
    assert check_linear_attention(linear_ref)
    wrongs = [
        lambda q, k, v: torch.relu(q) @ (torch.relu(k).transpose(-2, -1) @ v),
        lambda q, k, v: torch.softmax(q @ k.transpose(-2, -1), -1) @ v,
        lambda q, k, v: linear_ref(q, k, v).detach(),
        *GARBAGE,
    ]
    for wrong in wrongs:
        assert not check_linear_attention(wrong)


def test_distillation_loss_checker():
    assert check_distillation_loss(kd_ref)
    wrongs = [
        lambda s, t, y, T, a: kd_ref(s, t, y, T, a) / (T * T) if T != 1 else kd_ref(s, t, y, T, a) + 1,
        lambda s, t, y, T, a: F.cross_entropy(s, y),
        *GARBAGE,
    ]
    for wrong in wrongs:
        assert not check_distillation_loss(wrong)


def test_top_k_mask_checker():
    assert check_top_k_mask(top_k_ref)
    wrongs = [
        lambda w, k: top_k_ref(-w, k),  # the smallest weights
        lambda w, k: top_k_ref(w, k + 1),
        lambda w, k: top_k_ref(w, k).float(),
        lambda w, k: w >= w.topk(k, dim=-1).values[..., -1:],  # fails when k exceeds the number of keys
        lambda w, k: top_k_ref(w.transpose(-2, -1), k).transpose(-2, -1) if w.dim() > 1 else top_k_ref(w, k),
        *GARBAGE,
    ]
    for wrong in wrongs:
        assert not check_top_k_mask(wrong)
