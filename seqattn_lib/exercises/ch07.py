"""Checkers for chapter 7's exercises (efficiency)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..attention import sliding_window_mask as _reference_window_mask
from ..efficiency import distillation_loss as _reference_distillation_loss
from ..efficiency import linear_attention as _reference_linear_attention
from ..efficiency import top_k_mask as _reference_top_k_mask
from . import call, expect_close, expect_mask, expect_same_gradients, run_checks


def check_sliding_window_mask(fn):
    """``fn(n, window) -> (n, n)`` bool mask, ``True`` where ``|i - j| < window``."""

    def run(f):
        for n, window in ((6, 2), (5, 1), (4, 9), (300, 17)):
            expect_mask(call(f, n, window), _reference_window_mask(n, window), f"mask for n={n}, window={window}")

    return run_checks("sliding_window_mask", fn, [run])


def check_linear_attention(fn):
    """``fn(q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v)) -> (..., n_q, d_v)`` with
    ``phi(x) = elu(x) + 1``, computed without an ``(n_q, n_k)`` matrix."""

    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 5, 4, generator=g), torch.randn(2, 7, 4, generator=g), torch.randn(2, 7, 3, generator=g)

    def values(f):
        expect_close(call(f, q, k, v), _reference_linear_attention(q, k, v), "linear attention output")
        g2 = torch.Generator().manual_seed(1)
        q4, k4 = torch.randn(3, 2, 11, 8, generator=g2) * 3, torch.randn(3, 2, 300, 8, generator=g2) * 3
        v4 = torch.randn(3, 2, 300, 5, generator=g2)
        want = _reference_linear_attention(q4, k4, v4)
        expect_close(call(f, q4, k4, v4), want, "linear attention output for q (3, 2, 11, 8), k (3, 2, 300, 8)")

    def gradients(f):
        expect_same_gradients(f, _reference_linear_attention, [q, k, v], ["q", "k", "v"])

    return run_checks("linear_attention", fn, [values, gradients])


def check_distillation_loss(fn):
    """``fn(student_logits, teacher_logits, targets, T, alpha) -> scalar``, as in Hinton et al. (2015)."""

    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g) * 2
    y = torch.randint(0, 4, (6,), generator=g)

    s2, t2 = torch.randn(40, 13, generator=g) * 5, torch.randn(40, 13, generator=g) * 5
    y2 = torch.randint(0, 13, (40,), generator=g)

    def larger(f):
        want = _reference_distillation_loss(s2, t2, y2, 3.0, 0.7)
        expect_close(call(f, s2, t2, y2, 3.0, 0.7), want, "loss for 40 examples of 13 classes, T=3.0, alpha=0.7")

    def run(f):
        for T, alpha in ((1.0, 0.5), (4.0, 0.9), (2.0, 0.0)):
            want = _reference_distillation_loss(s, t, y, T, alpha)
            expect_close(call(f, s, t, y, T, alpha), want, f"loss for T={T}, alpha={alpha}")

    return run_checks("distillation_loss", fn, [run, larger])


def check_top_k_mask(fn):
    """``fn(weights (..., n_q, n_k), k) -> bool mask`` of the same shape, ``True`` at the ``k``
    largest weights of each query (every key when ``k >= n_k``)."""

    g = torch.Generator().manual_seed(2)
    weights = torch.softmax(torch.randn(2, 3, 4, 9, generator=g), dim=-1)  # no ties

    def run(f):
        for k in (1, 3, 8, 9, 20):
            expect_mask(call(f, weights, k), _reference_top_k_mask(weights, k), f"mask for k={k} of 9 keys")

    def shapes(f):
        row = torch.tensor([0.1, 0.5, 0.05, 0.35])
        expect_mask(call(f, row, 2), torch.tensor([False, True, False, True]), "mask for one query, k=2")
        big = torch.randn(5, 300, generator=g)
        expect_mask(call(f, big, 17), _reference_top_k_mask(big, 17), "mask for 5 queries of 300 keys, k=17")

    return run_checks("top_k_mask", fn, [run, shapes])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def sliding_window_mask(n, window):
    i = torch.arange(n)
    return (i[:, None] - i[None, :]).abs() < window


def linear_attention(q, k, v):
    phi_q, phi_k = F.elu(q) + 1, F.elu(k) + 1
    kv = phi_k.transpose(-2, -1) @ v  # (..., d_k, d_v): no (n_q, n_k) matrix
    z = phi_q @ phi_k.sum(-2, keepdim=True).transpose(-2, -1)  # (..., n_q, 1) normaliser
    return (phi_q @ kv) / z


def distillation_loss(student_logits, teacher_logits, targets, T, alpha):
    soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.softmax(teacher_logits / T, -1), reduction="batchmean")
    return alpha * T * T * soft + (1 - alpha) * F.cross_entropy(student_logits, targets)


def top_k_mask(weights, k):
    top = weights.topk(min(k, weights.shape[-1]), dim=-1).indices  # (..., n_q, k) positions of the largest
    return torch.zeros_like(weights, dtype=torch.bool).scatter(-1, top, True)


HINTS = {
    "sliding_window_mask": "Compare a column of positions with a row of positions: the distance |i - j| "
    "decides.",
    "linear_attention": "Apply the feature map to q and k, then use associativity: multiply phi(k)^T by v "
    "first; the normaliser uses the sum of phi(k) over the keys.",
    "distillation_loss": "Soften both distributions with T, take the KL divergence from the teacher's, scale "
    "it by T^2 and mix it with the ordinary cross-entropy using alpha.",
    "top_k_mask": "torch.topk along the last axis gives the positions of the largest weights; scatter True "
    "into a bool tensor of zeros at those positions. k can exceed the number of keys.",
}
SOLUTIONS = {
    "sliding_window_mask": sliding_window_mask,
    "linear_attention": linear_attention,
    "distillation_loss": distillation_loss,
    "top_k_mask": top_k_mask,
}
