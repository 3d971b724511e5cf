"""Every chapter 3 checker passes the reference solution and fails wrong ones and garbage."""

import torch

from seqattn_lib.exercises.ch03 import (
    check_coupled_lstm_step,
    check_fixed_lstm_step,
    check_lstm_step,
    fixed_lstm_step,
    reference_coupled_lstm_step,
    reference_lstm_step,
    shared_weight_lstm_step,
)


def swapped_gates(x, h, c, p):  # forget and input gates exchanged
    q = dict(p)
    for k in ("W_x", "W_h", "b_"):
        q[k + "i"], q[k + "f"] = p[k + "f"], p[k + "i"]
    return reference_lstm_step(x, h, c, q)


def no_output_gate(x, h, c, p):
    _, c = reference_lstm_step(x, h, c, p)
    return torch.tanh(c), c


def detached(x, h, c, p):
    h_new, c_new = reference_lstm_step(x, h, c, p)
    return h_new.detach(), c_new.detach()


def garbage(*args):
    return None


def raises(*args):
    raise RuntimeError("not written yet")


def test_lstm_step():
    assert check_lstm_step(reference_lstm_step)
    for wrong in (swapped_gates, no_output_gate, detached, reference_coupled_lstm_step, garbage, raises, 3):
        assert not check_lstm_step(wrong)


def uncoupled(x, h, c, p):  # i = f instead of 1 - f
    f = torch.sigmoid(x @ p["W_xf"].T + h @ p["W_hf"].T + p["b_f"])
    g = torch.tanh(x @ p["W_xg"].T + h @ p["W_hg"].T + p["b_g"])
    o = torch.sigmoid(x @ p["W_xo"].T + h @ p["W_ho"].T + p["b_o"])
    c = f * c + f * g
    return o * torch.tanh(c), c


def no_tanh_on_cell(x, h, c, p):
    _, c = reference_coupled_lstm_step(x, h, c, p)
    o = torch.sigmoid(x @ p["W_xo"].T + h @ p["W_ho"].T + p["b_o"])
    return o * c, c


def test_coupled_lstm_step():
    assert check_coupled_lstm_step(reference_coupled_lstm_step)
    for wrong in (uncoupled, no_tanh_on_cell, reference_lstm_step, garbage, raises):
        assert not check_coupled_lstm_step(wrong)


def wrong_gate_order(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    f, i, g, o = (x @ weight_ih.T + h @ weight_hh.T + bias_ih + bias_hh).chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def only_one_bias(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    return fixed_lstm_step(x, h, c, weight_ih, weight_hh, bias_ih, torch.zeros_like(bias_hh))


def test_fixed_lstm_step(capsys):
    assert check_fixed_lstm_step(fixed_lstm_step)
    assert not check_fixed_lstm_step(shared_weight_lstm_step)
    assert "share" in capsys.readouterr().out
    for wrong in (wrong_gate_order, only_one_bias, garbage, raises):
        assert not check_fixed_lstm_step(wrong)
