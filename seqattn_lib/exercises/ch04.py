"""Checkers for chapter 4 (sequence to sequence with attention)."""

from __future__ import annotations

import torch
from torch import nn

from ..attention import AdditiveAttention, padding_mask
from . import ExerciseFailure, call, expect_close, expect_finite, run_checks


def _attention_inputs(seed: int, batch: int = 3, n: int = 5, d_s: int = 4, d_h: int = 6, d_a: int = 7):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(batch, d_s, generator=g)
    H = torch.randn(batch, n, d_h, generator=g)
    lengths = torch.randint(1, n + 1, (batch,), generator=g)
    lengths[0] = n
    mask = padding_mask(lengths, n)
    W_q, W_k, w_v = (torch.randn(*shape, generator=g) for shape in ((d_a, d_s), (d_a, d_h), (d_a,)))
    return s, H, mask, W_q, W_k, w_v


def reference_attention_step(s, H, mask, W_q, W_k, w_v):
    """Additive attention for one decoder step: ``(c (batch, d_h), a (batch, n))``."""
    att = AdditiveAttention(s.shape[-1], H.shape[-1], W_q.shape[0])
    with torch.no_grad():
        att.W_q.weight.copy_(W_q)
        att.W_k.weight.copy_(W_k)
        att.w_v.weight.copy_(w_v[None])
    c, a = att(s[:, None], H, H, mask[:, None])
    return c[:, 0], a[:, 0]


def check_attention_step(fn) -> bool:
    """Check ``fn(s, H, mask, W_q, W_k, w_v) -> (c, a)``: one additive-attention step.

    ``s (batch, d_s)`` decoder state, ``H (batch, n, d_h)`` encoder outputs, ``mask
    (batch, n)`` bool (True = real token), ``W_q (d_a, d_s)``, ``W_k (d_a, d_h)``,
    ``w_v (d_a,)``. ``e_j = w_v^T tanh(W_q s + W_k h_j)``, ``a = softmax(e)`` over the
    unmasked ``j``, ``c = sum_j a_j h_j``.
    """

    def result(f, seed):
        inputs = _attention_inputs(seed)
        out = call(f, *inputs)
        if not isinstance(out, tuple) or len(out) != 2:
            raise ExerciseFailure(f"return a tuple (c, a), got {type(out).__name__}")
        return inputs, out, reference_attention_step(*inputs)

    def weights_right(f):
        for seed in (0, 1):
            _, (_, a), (_, a_ref) = result(f, seed)
            expect_close(a, a_ref, "attention weights a")

    def larger(f):
        inputs = _attention_inputs(5, batch=6, n=13, d_s=9, d_h=5, d_a=11)
        out = call(f, *inputs)
        if not isinstance(out, tuple) or len(out) != 2:
            raise ExerciseFailure(f"return a tuple (c, a), got {type(out).__name__}")
        c_ref, a_ref = reference_attention_step(*inputs)
        expect_close(out[1], a_ref, "attention weights a for batch=6, n=13, d_s=9, d_h=5, d_a=11")
        expect_close(out[0], c_ref, "context c for batch=6, n=13, d_s=9, d_h=5, d_a=11")

    def padding_ignored(f):
        inputs, (_, a), _ = result(f, 2)
        mask = inputs[2]
        expect_finite(a, "attention weights a")
        if isinstance(a, torch.Tensor) and a.shape == mask.shape and (a.detach()[~mask].abs() > 1e-6).any():
            raise ExerciseFailure("padding positions got non-zero weight: apply the mask before the softmax")

    def context_right(f):
        for seed in (0, 3):
            _, (c, _), (c_ref, _) = result(f, seed)
            expect_close(c, c_ref, "context c")

    return run_checks("attention_step", fn, [weights_right, padding_ignored, context_right, larger])


def reference_length_normalised_score(token_log_probs: torch.Tensor, alpha: float) -> torch.Tensor:
    """``sum(token_log_probs) / len^alpha`` for a 1-D tensor of per-token log-probabilities."""
    return token_log_probs.mean() * len(token_log_probs) ** (1 - alpha)


def check_length_normalised_score(fn) -> bool:
    """Check ``fn(token_log_probs, alpha) -> score`` (a 0-d tensor or float):
    ``sum_t log p(y_t | ...) / T^alpha`` over the ``T`` tokens (``<eos>`` included)."""

    def value(f, lp, alpha):
        out = call(f, lp, alpha)
        if isinstance(out, (int, float)):
            out = torch.tensor(float(out))
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise ExerciseFailure(f"return one number (a float or a 0-d tensor), got {out!r:.60}")
        return out.reshape(())

    def cases(f):
        g = torch.Generator().manual_seed(0)
        for length, alpha in ((1, 1.0), (4, 0.0), (6, 1.0), (9, 0.7), (37, 0.6)):
            lp = -torch.rand(length, generator=g) * 3
            expect_close(
                value(f, lp, alpha), reference_length_normalised_score(lp, alpha), f"score (T={length}, alpha={alpha})"
            )

    def prefers_long_when_normalised(f):
        short, long = torch.tensor([-1.0, -1.0]), torch.tensor([-0.8] * 5)
        if not value(f, long, 1.0) > value(f, short, 1.0):
            raise ExerciseFailure(
                "with alpha=1 a 5-token hypothesis at -0.8 per token should beat a 2-token one at -1.0"
            )

    return run_checks("length_normalised_score", fn, [cases, prefers_long_when_normalised])


def check_encoder_memory(fn) -> bool:
    """Check ``fn(lstm, x) -> (H, (h_n, c_n))`` for a batch-first ``nn.LSTM`` and ``x (batch, n, d_in)``.

    An attention decoder needs ``H (batch, n, d_h)``, the output at *every* source
    position, and a recurrent decoder started from the encoder needs the whole final
    state: both ``h_n`` and the cell state ``c_n``, each ``(num_layers, batch, d_h)``.
    """
    def setup(num_layers, batch, n, d_in, d_h, seed):
        torch.manual_seed(seed)
        lstm = nn.LSTM(d_in, d_h, num_layers=num_layers, batch_first=True)
        x = torch.randn(batch, n, d_in, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return lstm, x, lstm(x)

    configs = [(1, 2, 7, 3, 5, 0), (3, 4, 9, 6, 4, 1)]  # (num_layers, batch, n, d_in, d_h, seed)

    def result(f, lstm, x):
        with torch.no_grad():
            out = f(lstm, x.clone())
        if not isinstance(out, tuple) or len(out) != 2:
            raise ExerciseFailure(f"return (H, (h_n, c_n)), got {type(out).__name__}")
        return out

    def all_positions(f):
        for config in configs:
            lstm, x, (H_ref, _) = setup(*config)
            H, _ = result(f, lstm, x)
            if isinstance(H, torch.Tensor) and H.shape != H_ref.shape:
                raise ExerciseFailure(
                    f"H should hold every position, shape {tuple(H_ref.shape)}, got {tuple(H.shape)}: "
                    "with only the last output there is nothing to attend over"
                )
            expect_close(H, H_ref, f"H ({config[0]} layer(s))")

    def full_state(f):
        for config in configs:
            lstm, x, (_, (h_ref, c_ref)) = setup(*config)
            _, state = result(f, lstm, x)
            if not isinstance(state, tuple) or len(state) != 2:
                raise ExerciseFailure("the state should be the pair (h_n, c_n): an LSTM's state includes its cells")
            layers = f"{config[0]} layer(s), so (num_layers, batch, d_h) = {tuple(h_ref.shape)}"
            expect_close(state[0], h_ref, f"h_n ({layers})")
            expect_close(state[1], c_ref, f"c_n, the cell state ({layers})")

    return run_checks("encoder_memory", fn, [all_positions, full_state])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def attention_step(s, H, mask, W_q, W_k, w_v):
    e = torch.tanh((s @ W_q.T)[:, None] + H @ W_k.T) @ w_v  # (batch, n)
    a = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=-1)
    return (a[:, :, None] * H).sum(1), a


def length_normalised_score(token_log_probs, alpha):
    return token_log_probs.sum() / len(token_log_probs) ** alpha


def encoder_memory(lstm, x):
    H, (h_n, c_n) = lstm(x)  # H: every position; (h_n, c_n): every layer's final state
    return H, (h_n, c_n)


HINTS = {
    "attention_step": "Add the projected state (broadcast over the positions) to the projected encoder "
    "outputs, squash, project to one score per position; mask before the softmax.",
    "length_normalised_score": "Sum the log-probabilities, then divide by the length raised to alpha.",
    "encoder_memory": "Look at everything nn.LSTM returns: attention needs more than the last output and "
    "the decoder's state has two parts.",
}
SOLUTIONS = {
    "attention_step": attention_step,
    "length_normalised_score": length_normalised_score,
    "encoder_memory": encoder_memory,
}
