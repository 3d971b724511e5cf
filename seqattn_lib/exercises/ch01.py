"""Checkers for chapter 1's exercises (RNN step, gradient clipping, temperature, perplexity).

Each ``check_*`` takes the reader's function, prints ``PASS``/``FAIL`` with the first
problem found, and returns a :class:`~seqattn_lib.exercises.CheckResult`; it never raises.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..rnn import clip_grad_norm as _clip_reference
from ..rnn import rnn_step as _rnn_step_reference
from ..rnn import temperature_probs as _temperature_reference
from . import CheckResult, ExerciseFailure, call, expect_close, expect_number, expect_same_gradients, run_checks


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- one RNN step
def _rnn_inputs(batch, d_in, d_h, seed):
    return (
        _randn(batch, d_in, seed=seed),
        _randn(batch, d_h, seed=seed + 1),
        _randn(d_h, d_in, seed=seed + 2) / math.sqrt(d_in),
        _randn(d_h, d_h, seed=seed + 3) / math.sqrt(d_h),
        _randn(d_h, seed=seed + 4),
    )


def _rnn_values(batch, d_in, d_h, seed):
    def check(fn):
        inputs = _rnn_inputs(batch, d_in, d_h, seed)
        want = _rnn_step_reference(*inputs)
        expect_close(call(fn, *inputs), want, what=f"h_t for batch={batch}, d_in={d_in}, d_h={d_h}")

    return check


def _rnn_gradients(fn):
    names = ["x_t", "h_prev", "W_xh", "W_hh", "b_h"]
    expect_same_gradients(fn, _rnn_step_reference, _rnn_inputs(3, 4, 6, seed=40), names)


def check_rnn_step(fn) -> CheckResult:
    """Check ``fn(x_t, h_prev, W_xh, W_hh, b_h) -> h_t`` with ``h_t = tanh(W_xh x_t + W_hh h_prev + b_h)``.

    Shapes: ``x_t`` ``(batch, d_in)``, ``h_prev`` ``(batch, d_h)``, ``W_xh`` ``(d_h, d_in)``,
    ``W_hh`` ``(d_h, d_h)``, ``b_h`` ``(d_h,)``; result ``(batch, d_h)``.
    """
    return run_checks(
        "rnn_step",
        fn,
        [
            _rnn_values(2, 3, 5, seed=0),
            _rnn_values(4, 7, 7, seed=10),
            _rnn_values(1, 1, 3, seed=20),
            _rnn_values(6, 11, 9, seed=30),
            _rnn_gradients,
        ],
    )


# ---------------------------------------------------------------- gradient clipping by norm
def _clip_case(scale, max_norm, seed):
    def check(fn):
        grads = [
            scale * _randn(3, 4, seed=seed),
            scale * _randn(5, seed=seed + 1),
            scale * _randn(2, 2, 2, seed=seed + 2),
            scale * _randn(7, 9, seed=seed + 3),
        ]
        originals = [g.clone() for g in grads]
        out = fn([g.clone() for g in grads], max_norm)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ExerciseFailure(f"should return a pair (clipped_grads, total_norm), got {type(out).__name__}")
        clipped, total = out
        want_clipped, want_total = _clip_reference(originals, max_norm)
        expect_number(total, want_total, what="total_norm (the norm of all gradients together)")
        if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
            raise ExerciseFailure(f"clipped_grads should be a list of {len(grads)} tensors, got {clipped!r:.80}")
        state = "above" if want_total > max_norm else "below"
        for i, (got, want) in enumerate(zip(clipped, want_clipped)):
            expect_close(got, want, what=f"clipped gradient {i} (norm {want_total:.3g} is {state} max_norm={max_norm})")

    return check


def check_clip_grad_norm(fn) -> CheckResult:
    """Check ``fn(grads, max_norm) -> (clipped_grads, total_norm)``: clipping by the global norm.

    ``total_norm`` is the norm of all gradients concatenated; if it exceeds ``max_norm``
    every gradient is scaled by ``max_norm / total_norm``, otherwise left as it is.
    """
    return run_checks(
        "clip_grad_norm",
        fn,
        [_clip_case(10.0, 1.0, seed=0), _clip_case(0.01, 1.0, seed=5), _clip_case(3.0, 2.5, seed=9)],
    )


# ---------------------------------------------------------------- temperature
def _temperature_case(shape, temperature, scale, seed):
    def check(fn):
        logits = scale * _randn(*shape, seed=seed)
        got = call(fn, logits, temperature)
        expect_close(
            got,
            _temperature_reference(logits, temperature),
            what=f"probabilities for temperature={temperature}"
            f" and logits of shape {shape} (max |logit| {logits.abs().max():.3g})",
            atol=1e-6,
        )

    return check


def check_temperature_probs(fn) -> CheckResult:
    """Check ``fn(logits, temperature) -> softmax(logits / temperature)`` over the last axis."""
    return run_checks(
        "temperature_probs",
        fn,
        [
            _temperature_case((6,), 1.0, 1.0, seed=0),
            _temperature_case((6,), 0.5, 1.0, seed=1),
            _temperature_case((3, 6), 2.0, 1.0, seed=2),
            _temperature_case((2, 3, 5), 0.7, 1.0, seed=3),
            _temperature_case((5,), 0.1, 100.0, seed=4),
            _temperature_case((4, 3, 17), 0.3, 50.0, seed=5),
        ],
    )


# ---------------------------------------------------------------- perplexity
def _reference_perplexity(logits, targets):
    return math.exp(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)).item())


def _perplexity_case(batch, T, V, scale, seed):
    def check(fn):
        logits = scale * _randn(batch, T, V, seed=seed)
        targets = torch.randint(V, (batch, T), generator=torch.Generator().manual_seed(seed + 1))
        got = call(fn, logits, targets)
        want = _reference_perplexity(logits, targets)
        expect_number(got, want, what=f"perplexity for logits of shape {(batch, T, V)}")

    return check


def _perplexity_uniform(fn):
    logits, targets = torch.zeros(2, 3, 11), torch.zeros(2, 3, dtype=torch.long)
    expect_number(call(fn, logits, targets), 11.0, what="perplexity for equal logits over V=11 symbols")


def check_perplexity(fn) -> CheckResult:
    """Check ``fn(logits, targets) -> float``: ``exp`` of the mean cross-entropy in nats.

    ``logits`` ``(batch, T, V)``, ``targets`` ``(batch, T)`` integer ids.
    """
    return run_checks(
        "perplexity",
        fn,
        [
            _perplexity_uniform,
            _perplexity_case(2, 5, 7, 1.0, seed=0),
            _perplexity_case(3, 4, 9, 3.0, seed=7),
            _perplexity_case(4, 13, 50, 10.0, seed=9),
        ],
    )


HINTS = {
    "rnn_step": "The weights are (d_out, d_in) and the inputs (batch, d_in): multiply by the transpose. "
    "Both the input and the previous state feed the same squashing function.",
    "clip_grad_norm": "The norm is taken over all gradients together, as if concatenated into one vector; "
    "a single scale factor then applies to every tensor, and only when that norm is too large.",
    "temperature_probs": "Temperature divides the logits before the softmax; for large logits make sure "
    "nothing overflows (torch.softmax is stable).",
    "perplexity": "Perplexity is exp of the average per-token cross-entropy in nats; "
    "F.cross_entropy wants (N, V) logits and (N,) targets.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def clip_grad_norm(grads, max_norm):
    total_norm = torch.sqrt(sum((g**2).sum() for g in grads)).item()
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    return [g * scale for g in grads], total_norm


def temperature_probs(logits, temperature):
    return torch.softmax(logits / temperature, dim=-1)  # subtracts the row maximum: no overflow


def perplexity(logits, targets):
    log_probs = torch.log_softmax(logits, dim=-1)
    nll = -log_probs.gather(-1, targets[..., None]).mean()  # mean cross-entropy in nats
    return math.exp(nll.item())


SOLUTIONS = {
    "rnn_step": rnn_step,
    "clip_grad_norm": clip_grad_norm,
    "temperature_probs": temperature_probs,
    "perplexity": perplexity,
}
