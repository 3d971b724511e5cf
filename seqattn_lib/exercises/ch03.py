"""Checkers for chapter 3 (LSTM and GRU).

* :func:`check_lstm_step`: one LSTM step with a weight matrix and bias per gate.
* :func:`check_coupled_lstm_step`: the coupled-gate variant, input gate ``i = 1 - f``.
* :func:`check_fixed_lstm_step`: fix :func:`shared_weight_lstm_step`, whose gates share
  one weight matrix, for weights stacked in ``torch.nn.LSTM``'s layout.

The per-gate parameters are a dict ``p`` with keys ``W_x{gate}`` ``(d_h, d_in)``,
``W_h{gate}`` ``(d_h, d_h)`` and ``b_{gate}`` ``(d_h,)``, gate in ``"ifgo"``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import ExerciseFailure, call, expect_close, expect_like, run_checks

SHAPES = [(2, 3, 4), (5, 1, 2), (1, 4, 3), (6, 9, 7)]  # (batch, d_in, d_h)


def _params(d_in: int, d_h: int, gates: str, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    p = {}
    for gate in gates:
        p[f"W_x{gate}"] = torch.randn(d_h, d_in, generator=g)
        p[f"W_h{gate}"] = torch.randn(d_h, d_h, generator=g)
        p[f"b_{gate}"] = torch.randn(d_h, generator=g)
    return p


def _inputs(batch: int, d_in: int, d_h: int, seed: int):
    g = torch.Generator().manual_seed(seed + 100)
    return (
        torch.randn(batch, d_in, generator=g),
        torch.randn(batch, d_h, generator=g),
        torch.randn(batch, d_h, generator=g),
    )


def _gate(p, gate, x, h, act):
    return act(x @ p[f"W_x{gate}"].T + h @ p[f"W_h{gate}"].T + p[f"b_{gate}"])


def reference_lstm_step(x, h, c, p):
    """One LSTM step by PyTorch's own ``torch.lstm_cell``: returns ``(h_t, c_t)``, each ``(batch, d_h)``."""
    W_ih, W_hh, b = (torch.cat([p[f"{key}{gate}"] for gate in "ifgo"]) for key in ("W_x", "W_h", "b_"))
    return torch.lstm_cell(x, (h, c), W_ih, W_hh, b, torch.zeros_like(b))


def reference_coupled_lstm_step(x, h, c, p):
    """Coupled-gate LSTM step (no input gate; ``i_t = 1 - f_t``): returns ``(h_t, c_t)``.

    ``sigmoid(-z) = 1 - sigmoid(z)``, so it is an LSTM whose input gate has the negated forget weights.
    """
    full = dict(p, W_xi=-p["W_xf"], W_hi=-p["W_hf"], b_i=-p["b_f"])
    return reference_lstm_step(x, h, c, full)


def shared_weight_lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """The buggy step to fix: every gate uses the first block of the stacked weights.

    Args: x ``(batch, d_in)``; h, c ``(batch, d_h)``; ``weight_ih`` ``(4 d_h, d_in)``,
    ``weight_hh`` ``(4 d_h, d_h)``, ``bias_ih``, ``bias_hh`` ``(4 d_h,)`` stacked as in
    ``torch.nn.LSTM`` (gates i, f, g, o). Returns ``(h_t, c_t)``.
    """
    d_h = h.shape[1]
    W_x, W_h, b = weight_ih[:d_h], weight_hh[:d_h], bias_ih[:d_h] + bias_hh[:d_h]
    gate = torch.sigmoid(x @ W_x.T + h @ W_h.T + b)  # one gate used as f, i and o
    g = torch.tanh(x @ W_x.T + h @ W_h.T + b)
    c = gate * c + gate * g
    return gate * torch.tanh(c), c


def _as_pair(out, what: str):
    if not isinstance(out, tuple | list) or len(out) != 2:
        raise ExerciseFailure(f"{what} should return a pair (h_t, c_t), got {type(out).__name__}")
    return out


def _step_checks(reference: Callable, gates: str, name: str):
    def values(fn):
        for k, (batch, d_in, d_h) in enumerate(SHAPES):
            p = _params(d_in, d_h, gates, seed=k)
            x, h, c = _inputs(batch, d_in, d_h, seed=k)
            h_new, c_new = _as_pair(call(fn, x, h, c, p), name)
            h_ref, c_ref = reference(x, h, c, p)
            expect_close(c_new, c_ref, what=f"c_t (batch={batch}, d_in={d_in}, d_h={d_h})")
            expect_close(h_new, h_ref, what=f"h_t (batch={batch}, d_in={d_in}, d_h={d_h})")

    def gradients(fn):
        batch, d_in, d_h = SHAPES[0]
        p = _params(d_in, d_h, gates, seed=7)
        x, h, c = _inputs(batch, d_in, d_h, seed=7)

        def grads(step):
            leaves = {k: v.clone().requires_grad_(True) for k, v in p.items()}
            c0 = c.clone().requires_grad_(True)
            h_new, c_new = _as_pair(step(x, h, c0, leaves), name)
            if not isinstance(h_new, torch.Tensor) or not h_new.requires_grad:
                raise ExerciseFailure("h_t does not depend on the weights through autograd (was .detach() used?)")
            (h_new.sum() + c_new.sum()).backward()
            return {k: (torch.zeros_like(v) if v.grad is None else v.grad) for k, v in {**leaves, "c": c0}.items()}

        got, want = grads(fn), grads(reference)
        for key in want:
            expect_close(got[key], want[key], what=f"gradient with respect to {key}", atol=1e-4, rtol=1e-3)

    return [values, gradients]


def check_lstm_step(fn: Callable) -> object:
    """Check ``fn(x, h, c, p) -> (h_t, c_t)``, one LSTM step with gates i, f, g, o."""
    return run_checks("lstm_step", fn, _step_checks(reference_lstm_step, "ifgo", "lstm_step"))


def check_coupled_lstm_step(fn: Callable) -> object:
    """Check ``fn(x, h, c, p) -> (h_t, c_t)``, the coupled-gate LSTM (``p`` has gates f, g, o)."""

    def convex(fn):
        # with the forget gate shut (b_f very negative) the cell must become the candidate
        batch, d_in, d_h = SHAPES[1]
        p = _params(d_in, d_h, "fgo", seed=3)
        p["b_f"] = torch.full((d_h,), -50.0)
        x, h, c = _inputs(batch, d_in, d_h, seed=3)
        _, c_new = _as_pair(call(fn, x, h, c, p), "coupled_lstm_step")
        g = _gate(p, "g", x, h, torch.tanh)
        expect_close(c_new, g, what="c_t when f_t = 0 (it should equal the candidate g_t, since i_t = 1 - f_t)")

    checks = _step_checks(reference_coupled_lstm_step, "fgo", "coupled_lstm_step")
    return run_checks("coupled_lstm_step", fn, [checks[0], convex, checks[1]])


def check_fixed_lstm_step(fn: Callable) -> object:
    """Check ``fn(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh) -> (h_t, c_t)``
    against ``torch.nn.LSTMCell`` with the same stacked weights."""

    def setup(batch, d_in, d_h, seed):
        torch.manual_seed(seed)
        cell = torch.nn.LSTMCell(d_in, d_h)
        x, h, c = _inputs(batch, d_in, d_h, seed)
        weights = [w.detach().clone() for w in (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)]
        return cell, (x, h, c), weights

    def each_gate_used(fn):
        batch, d_in, d_h = SHAPES[0]
        cell, (x, h, c), weights = setup(batch, d_in, d_h, seed=11)
        base = _as_pair(call(fn, x, h, c, *weights), "fixed_lstm_step")[1]
        expect_like(base, c, "c_t")
        for k, gate in enumerate("ifgo"):
            changed = [w.clone() for w in weights]
            changed[2][k * d_h : (k + 1) * d_h] += 1.0
            _, c_new = _as_pair(call(fn, x, h, c, *changed), "fixed_lstm_step")
            expect_like(c_new, c, "c_t")
            if gate != "o" and torch.allclose(c_new, base):
                raise ExerciseFailure(
                    f"changing the {gate} gate's bias (rows {k * d_h}:{(k + 1) * d_h}) does not change c_t: "
                    "your gates still share one block of the stacked weights"
                )

    def values(fn):
        for k, (batch, d_in, d_h) in enumerate(SHAPES):
            cell, (x, h, c), weights = setup(batch, d_in, d_h, seed=k)
            h_new, c_new = _as_pair(call(fn, x, h, c, *weights), "fixed_lstm_step")
            with torch.no_grad():
                h_ref, c_ref = cell(x, (h, c))
            expect_close(c_new, c_ref, what=f"c_t (batch={batch}, d_in={d_in}, d_h={d_h}) vs torch.nn.LSTMCell")
            expect_close(h_new, h_ref, what=f"h_t (batch={batch}, d_in={d_in}, d_h={d_h}) vs torch.nn.LSTMCell")

    return run_checks("fixed_lstm_step", fn, [each_gate_used, values])


# ---------------------------------------------------------------- reference solutions (shown in the book)
def lstm_step(x, h, c, p):
    def gate(name, act):
        return act(x @ p[f"W_x{name}"].T + h @ p[f"W_h{name}"].T + p[f"b_{name}"])

    i, f = gate("i", torch.sigmoid), gate("f", torch.sigmoid)
    g, o = gate("g", torch.tanh), gate("o", torch.sigmoid)
    c = f * c + i * g
    return o * torch.tanh(c), c


def coupled_lstm_step(x, h, c, p):
    def gate(name, act):
        return act(x @ p[f"W_x{name}"].T + h @ p[f"W_h{name}"].T + p[f"b_{name}"])

    f, g, o = gate("f", torch.sigmoid), gate("g", torch.tanh), gate("o", torch.sigmoid)
    c = f * c + (1 - f) * g
    return o * torch.tanh(c), c


def fixed_lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    pre = x @ weight_ih.T + h @ weight_hh.T + bias_ih + bias_hh  # (B, 4 d_h), gates i, f, g, o
    i, f, g, o = pre.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


HINTS = {
    "lstm_step": "Each gate is an activation of W_x x + W_h h + b with its own weights: sigmoid for i, f, o "
    "and tanh for the candidate g. The new cell mixes the old cell and the candidate.",
    "coupled_lstm_step": "Same as the LSTM step, but the amount written is tied to the amount forgotten.",
    "fixed_lstm_step": "torch.nn.LSTM stacks the four gates' weights one block of d_h rows after another; "
    "both biases are added.",
}
SOLUTIONS = {
    "lstm_step": lstm_step,
    "coupled_lstm_step": coupled_lstm_step,
    "fixed_lstm_step": fixed_lstm_step,
}
