"""The from-scratch LSTM and GRU equal torch.nn.LSTM / torch.nn.GRU with copied weights."""

import pytest
import torch
from torch import nn

from seqattn_lib.lstm import GRU, LSTM, GRUCell, LSTMCell, input_gradient_norms, set_forget_bias

CASES = [(3, 5, 1, 4, 7), (2, 8, 2, 3, 5), (6, 4, 3, 1, 9), (1, 3, 2, 5, 1)]


@pytest.mark.parametrize("d_in,d_h,layers,batch,T", CASES)
def test_lstm_matches_torch(d_in, d_h, layers, batch, T):
    torch.manual_seed(d_in + d_h + layers)
    ref = nn.LSTM(d_in, d_h, layers, batch_first=True)
    ours = LSTM(d_in, d_h, layers).load_torch(ref)
    x = torch.randn(batch, T, d_in)
    state = (torch.randn(layers, batch, d_h), torch.randn(layers, batch, d_h))
    out, (h, c) = ours(x, state)
    out_ref, (h_ref, c_ref) = ref(x, state)
    for a, b in ((out, out_ref), (h, h_ref), (c, c_ref)):
        assert a.shape == b.shape
        assert torch.allclose(a, b, atol=1e-5)
    # gradients agree too
    out.sum().backward()
    out_ref.sum().backward()
    assert torch.allclose(ours.cells[0].W_xf.grad, ref.weight_ih_l0.grad[d_h : 2 * d_h], atol=1e-5)


@pytest.mark.parametrize("d_in,d_h,layers,batch,T", CASES)
def test_gru_matches_torch(d_in, d_h, layers, batch, T):
    torch.manual_seed(d_in * d_h + layers)
    ref = nn.GRU(d_in, d_h, layers, batch_first=True)
    ours = GRU(d_in, d_h, layers).load_torch(ref)
    x = torch.randn(batch, T, d_in)
    h0 = torch.randn(layers, batch, d_h)
    out, h = ours(x, h0)
    out_ref, h_ref = ref(x, h0)
    assert out.shape == out_ref.shape and h.shape == h_ref.shape
    assert torch.allclose(out, out_ref, atol=1e-5)
    assert torch.allclose(h, h_ref, atol=1e-5)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_to_torch_round_trip(cls):
    torch.manual_seed(1)
    ours = cls(4, 6, 2)
    x = torch.randn(3, 5, 4)
    ref = ours.to_torch()
    assert torch.allclose(ours(x)[0], ref(x)[0], atol=1e-5)
    again = cls(4, 6, 2).load_torch(ref)
    for a, b in zip(ours.parameters(), again.parameters()):
        assert torch.allclose(a, b)


def test_cells_match_torch_cells():
    torch.manual_seed(2)
    x, h, c = torch.randn(4, 3), torch.randn(4, 5), torch.randn(4, 5)
    ref = nn.LSTMCell(3, 5)
    cell = LSTMCell(3, 5)
    cell.load_stacked(ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)
    h1, c1 = cell(x, (h, c))
    h2, c2 = ref(x, (h, c))
    assert torch.allclose(h1, h2, atol=1e-6) and torch.allclose(c1, c2, atol=1e-6)
    gref = nn.GRUCell(3, 5)
    gcell = GRUCell(3, 5)
    gcell.load_stacked(gref.weight_ih, gref.weight_hh, gref.bias_ih, gref.bias_hh)
    assert torch.allclose(gcell(x, h), gref(x, h), atol=1e-6)


def test_dropout_only_in_training():
    torch.manual_seed(3)
    lstm = LSTM(3, 8, 2, dropout=0.5)
    x = torch.randn(2, 4, 3)
    lstm.eval()
    assert torch.equal(lstm(x)[0], lstm(x)[0])
    lstm.train()
    assert not torch.equal(lstm(x)[0], lstm(x)[0])


def test_set_forget_bias():
    ours, ref = LSTM(2, 4, 2), nn.LSTM(2, 4, 2)
    set_forget_bias(ours, 2.0)
    set_forget_bias(ref, 2.0)
    assert torch.all(ours.cells[1].b_f == 2.0)
    assert torch.all(ref.bias_ih_l1[4:8] == 2.0) and torch.all(ref.bias_hh_l1[4:8] == 0.0)
    copied = LSTM(2, 4, 2).load_torch(ref)
    assert torch.all(copied.cells[0].b_f == 2.0)
    with pytest.raises(ValueError, match="LSTM"):
        set_forget_bias(nn.GRU(2, 4), 1.0)


def test_input_gradient_norms_shape_and_causality():
    torch.manual_seed(4)
    g = input_gradient_norms(nn.GRU(3, 5, batch_first=True), torch.randn(2, 6, 3))
    assert g.shape == (6,) and torch.all(g > 0)
    # an LSTM with a large forget bias keeps early gradients far larger than one with a negative bias
    lstm = nn.LSTM(3, 5, batch_first=True)
    x = torch.randn(2, 30, 3)
    set_forget_bias(lstm, 5.0)
    open_gate = input_gradient_norms(lstm, x)[0]
    set_forget_bias(lstm, -5.0)
    assert open_gate > 100 * input_gradient_norms(lstm, x)[0]


def test_bad_inputs_raise():
    lstm = LSTM(3, 5, 2)
    with pytest.raises(ValueError, match="x"):
        lstm(torch.randn(2, 4, 7))
    with pytest.raises(ValueError, match="x"):
        lstm(torch.randn(2, 3))
    with pytest.raises(ValueError, match="h_0"):
        lstm(torch.randn(2, 4, 3), (torch.zeros(1, 2, 5), torch.zeros(2, 2, 5)))
    with pytest.raises(ValueError, match="dtype"):
        lstm(torch.ones(2, 4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="sizes"):
        lstm.load_torch(nn.LSTM(3, 5, 1))
    with pytest.raises(ValueError, match="LSTM"):
        lstm.load_torch(nn.GRU(3, 5, 2))
    with pytest.raises(ValueError, match="unidirectional"):
        lstm.load_torch(nn.LSTM(3, 5, 2, bidirectional=True))
    with pytest.raises(ValueError, match="d_h"):
        LSTM(3, 0)
    with pytest.raises(ValueError, match="dropout"):
        GRU(3, 4, dropout=1.5)
    cell = GRUCell(3, 4)
    with pytest.raises(ValueError, match="h"):
        cell(torch.randn(2, 3), torch.randn(2, 5))
    with pytest.raises(ValueError, match="weight_ih"):
        cell.load_stacked(torch.zeros(4, 3), torch.zeros(12, 4), torch.zeros(12), torch.zeros(12))
