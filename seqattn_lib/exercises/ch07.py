"""Checkers for chapter 7's exercises (efficiency)."""

from __future__ import annotations

import torch

from ..attention import sliding_window_mask
from ..efficiency import distillation_loss, linear_attention
from . import ExerciseFailure, call, expect_close, expect_same_gradients, run_checks


def check_sliding_window_mask(fn):
    """``fn(n, window) -> (n, n)`` bool mask, ``True`` where ``|i - j| < window``."""

    def run(f):
        for n, window in ((6, 2), (5, 1), (4, 9)):
            mask = call(f, n, window)
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise ExerciseFailure(f"should return a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
            expected = sliding_window_mask(n, window)
            if mask.shape != expected.shape:
                raise ExerciseFailure(
                    f"for n={n} the mask should have shape {tuple(expected.shape)}, got {tuple(mask.shape)}"
                )
            if not torch.equal(mask, expected):
                i, j = (int(t) for t in torch.nonzero(mask != expected)[0])
                raise ExerciseFailure(f"n={n}, window={window}: entry ({i}, {j}) should be {bool(expected[i, j])}")

    return run_checks("sliding_window_mask", fn, [run])


def check_linear_attention(fn):
    """``fn(q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v)) -> (..., n_q, d_v)`` with
    ``phi(x) = elu(x) + 1``, computed without an ``(n_q, n_k)`` matrix."""

    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 5, 4, generator=g), torch.randn(2, 7, 4, generator=g), torch.randn(2, 7, 3, generator=g)

    def values(f):
        expect_close(call(f, q, k, v), linear_attention(q, k, v), "linear attention output")

    def gradients(f):
        expect_same_gradients(f, linear_attention, [q, k, v], ["q", "k", "v"])

    return run_checks("linear_attention", fn, [values, gradients])


def check_distillation_loss(fn):
    """``fn(student_logits, teacher_logits, targets, T, alpha) -> scalar``, as in Hinton et al. (2015)."""

    g = torch.Generator().manual_seed(1)
    s, t = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g) * 2
    y = torch.randint(0, 4, (6,), generator=g)

    def run(f):
        for T, alpha in ((1.0, 0.5), (4.0, 0.9), (2.0, 0.0)):
            expect_close(
                call(f, s, t, y, T, alpha), distillation_loss(s, t, y, T, alpha), f"loss for T={T}, alpha={alpha}"
            )

    return run_checks("distillation_loss", fn, [run])


def _sliding_window_mask(n, window):
    return sliding_window_mask(n, window)


HINTS = {
    "sliding_window_mask": "Compare a column of positions with a row of positions: the distance |i - j| "
    "decides.",
    "linear_attention": "Apply the feature map to q and k, then use associativity: multiply phi(k)^T by v "
    "first; the normaliser uses the sum of phi(k) over the keys.",
    "distillation_loss": "Soften both distributions with T, take the KL divergence from the teacher's, scale "
    "it by T^2 and mix it with the ordinary cross-entropy using alpha.",
}
SOLUTIONS = {
    "sliding_window_mask": _sliding_window_mask,
    "linear_attention": linear_attention,
    "distillation_loss": distillation_loss,
}
