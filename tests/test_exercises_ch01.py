"""Every chapter 1 checker passes the reference solution and fails wrong ones and garbage."""

import math

import pytest
import torch
import torch.nn.functional as F

from seqattn_lib.exercises.ch01 import (
    SOLUTIONS,
    check_clip_grad_norm,
    check_perplexity,
    check_rnn_step,
    check_temperature_probs,
)
from seqattn_lib.rnn import clip_grad_norm


def _raises(*args):
    raise RuntimeError("not implemented")


GARBAGE = [None, 42, lambda *a: None, lambda *a: "text", _raises, lambda *a: torch.zeros(1)]


CASES = {
    "rnn_step": (
        check_rnn_step,
        SOLUTIONS["rnn_step"],
        [
            lambda x, h, W_xh, W_hh, b: torch.tanh(x @ W_xh.T + h @ W_hh + b),  # W_hh not transposed
            lambda x, h, W_xh, W_hh, b: x @ W_xh.T + h @ W_hh.T + b,  # no tanh
            lambda x, h, W_xh, W_hh, b: torch.sigmoid(x @ W_xh.T + h @ W_hh.T + b),  # wrong squashing
            lambda x, h, W_xh, W_hh, b: torch.tanh(x @ W_xh.T + h @ W_hh.T + b).detach(),  # no gradient
            lambda x, h, W_xh, W_hh, b: torch.tanh(x @ W_xh.T + b),  # forgets the state
        ],
    ),
    "clip_grad_norm": (
        check_clip_grad_norm,
        SOLUTIONS["clip_grad_norm"],
        [
            lambda gs, m: (
                [g * m / g.norm() for g in gs],
                float(torch.sqrt(sum((g**2).sum() for g in gs))),
            ),  # per tensor
            lambda gs, m: (
                [g * m / torch.sqrt(sum((x**2).sum() for x in gs)) for g in gs],  # always rescales
                float(torch.sqrt(sum((g**2).sum() for g in gs))),
            ),
            lambda gs, m: ([g.clamp(-m, m) for g in gs], float(torch.sqrt(sum((g**2).sum() for g in gs)))),  # by value
            lambda gs, m: clip_grad_norm(gs, m)[0],  # forgets the norm
        ],
    ),
    "temperature_probs": (
        check_temperature_probs,
        SOLUTIONS["temperature_probs"],
        [
            lambda z, t: torch.softmax(z * t, -1),  # multiplies by the temperature
            lambda z, t: torch.exp(z / t) / torch.exp(z / t).sum(-1, keepdim=True),  # overflows for large logits
            lambda z, t: torch.softmax(z / t, 0),  # wrong axis
            lambda z, t: torch.softmax(z, -1) ** (1 / t),  # not renormalised
        ],
    ),
    "perplexity": (
        check_perplexity,
        SOLUTIONS["perplexity"],
        [
            lambda z, y: math.exp(F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1), reduction="sum").item()),
            lambda z, y: 2 ** F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1)).item(),  # wrong base
            lambda z, y: math.exp(-z.gather(-1, y[..., None]).mean().item()),  # no log-softmax
            lambda z, y: F.cross_entropy(z.reshape(-1, z.shape[-1]), y.reshape(-1)).item(),  # loss, not perplexity
        ],
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_reference_passes(name, capsys):
    checker, reference, _ = CASES[name]
    result = checker(reference)
    assert result, result.message
    assert "PASS" in capsys.readouterr().out


@pytest.mark.parametrize("name", CASES)
def test_wrong_solutions_fail(name):
    checker, _, wrong = CASES[name]
    assert len(wrong) >= 2
    for i, fn in enumerate(wrong):
        result = checker(fn)
        assert not result, f"wrong solution {i} passed"
        assert result.message


@pytest.mark.parametrize("name", CASES)
def test_garbage_fails_without_raising(name):
    checker, _, _ = CASES[name]
    for fn in GARBAGE:
        assert not checker(fn)
