"""Tests of seqattn_lib.rnn: agreement with torch.nn.RNN, gradient norms, clipping, the LM."""

import math

import pytest
import torch
from torch import nn

from seqattn_lib.rnn import (
    RNN,
    CharLM,
    clip_grad_norm,
    generate,
    lm_loss,
    rnn_step,
    scaled_orthogonal,
    state_gradient_norms,
    temperature_probs,
)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("n_layers,bias", [(1, True), (2, True), (3, False)])
def test_rnn_matches_torch(batch_first, n_layers, bias):
    torch.manual_seed(n_layers)
    batch, T, d_in, d_h = 3, 7, 5, 6
    reference = nn.RNN(d_in, d_h, num_layers=n_layers, bias=bias, batch_first=batch_first)
    ours = RNN(d_in, d_h, n_layers).load_torch(reference)
    x = torch.randn(batch, T, d_in)
    h0 = torch.randn(n_layers, batch, d_h)
    out, h_n = ours(x, h0)
    ref_out, ref_h = reference(x if batch_first else x.transpose(0, 1), h0)
    if not batch_first:
        ref_out = ref_out.transpose(0, 1)
    assert torch.allclose(out, ref_out, atol=1e-6)
    assert torch.allclose(h_n, ref_h, atol=1e-6)
    # gradients agree too
    out.sum().backward()
    ref_out.sum().backward()
    assert torch.allclose(ours.cells[0].W_hh.grad, reference.weight_hh_l0.grad, atol=1e-5)


def test_rnn_default_h0_is_zero():
    rnn = RNN(2, 3)
    x = torch.randn(2, 4, 2)
    assert torch.allclose(rnn(x)[0], rnn(x, torch.zeros(1, 2, 3))[0])


def test_rnn_step_is_causal_and_shape_checked():
    W_xh, W_hh, b_h = torch.randn(4, 3), torch.randn(4, 4), torch.randn(4)
    assert rnn_step(torch.randn(2, 3), torch.zeros(2, 4), W_xh, W_hh, b_h).shape == (2, 4)
    with pytest.raises(ValueError, match="d_in"):
        rnn_step(torch.randn(2, 5), torch.zeros(2, 4), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="h_prev"):
        rnn_step(torch.randn(2, 3), torch.zeros(3, 4), W_xh, W_hh, b_h)
    with pytest.raises(ValueError, match="W_hh"):
        rnn_step(torch.randn(2, 3), torch.zeros(2, 4), W_xh, torch.randn(4, 5), b_h)
    rnn = RNN(3, 4)
    x = torch.randn(2, 6, 3)
    x2 = x.clone()
    x2[:, 4:] = 9.0
    assert torch.allclose(rnn(x)[0][:, :4], rnn(x2)[0][:, :4])
    with pytest.raises(ValueError, match=r"\(batch, T, d_in=3\)"):
        rnn(torch.randn(2, 6))
    with pytest.raises(ValueError, match="h0"):
        rnn(x, torch.zeros(2, 2, 4))


def test_load_torch_rejects_mismatch():
    with pytest.raises(ValueError):
        RNN(3, 4).load_torch(nn.RNN(3, 5))
    with pytest.raises(ValueError):
        RNN(3, 4).load_torch(nn.RNN(3, 4, nonlinearity="relu"))


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.5])
def test_gradient_norms_follow_radius_in_linear_regime(radius):
    g = torch.Generator().manual_seed(0)
    W_hh = scaled_orthogonal(8, radius, g)
    assert torch.allclose(torch.linalg.svdvals(W_hh), torch.full((8,), radius), atol=1e-5)
    norms = state_gradient_norms(torch.randn(2, 12, 3, generator=g), torch.randn(8, 3), W_hh, torch.zeros(8), "linear")
    assert norms.shape == (12,)
    expected = norms[0] * radius ** torch.arange(12.0)
    assert torch.allclose(norms, expected, rtol=1e-3)


def test_gradient_norms_tanh_vanish_and_checks():
    g = torch.Generator().manual_seed(1)
    norms = state_gradient_norms(
        torch.randn(2, 20, 3, generator=g), torch.randn(8, 3), scaled_orthogonal(8, 0.5, g), torch.zeros(8)
    )
    assert norms[-1] < 1e-4 * norms[0]
    with pytest.raises(ValueError, match="nonlinearity"):
        state_gradient_norms(torch.randn(2, 3, 3), torch.randn(8, 3), torch.eye(8), torch.zeros(8), "relu")
    with torch.no_grad():  # works even when gradients are globally off
        assert state_gradient_norms(torch.randn(2, 3, 3), torch.randn(8, 3), torch.eye(8), torch.zeros(8)).shape == (3,)


def test_clip_grad_norm_matches_torch():
    torch.manual_seed(0)
    for scale in (0.01, 10.0):
        params = [nn.Parameter(torch.randn(3, 4)), nn.Parameter(torch.randn(5))]
        grads = [scale * torch.randn_like(p) for p in params]
        for p, gr in zip(params, grads):
            p.grad = gr.clone()
        ref_norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        clipped, total = clip_grad_norm(grads, 1.0)
        assert math.isclose(total, float(ref_norm), rel_tol=1e-5)
        for p, c in zip(params, clipped):
            assert torch.allclose(p.grad, c, atol=1e-6)
    with pytest.raises(ValueError):
        clip_grad_norm(grads, 0.0)
    with pytest.raises(ValueError):
        clip_grad_norm([], 1.0)


def test_temperature_probs():
    logits = torch.tensor([1.0, 2.0, 3.0])
    assert torch.allclose(temperature_probs(logits, 1.0), torch.softmax(logits, -1))
    cold, hot = temperature_probs(logits, 0.1), temperature_probs(logits, 10.0)
    assert cold[2] > 0.99 and (hot - 1 / 3).abs().max() < 0.05
    with pytest.raises(ValueError):
        temperature_probs(logits, 0.0)
    with pytest.raises(ValueError):
        temperature_probs(torch.tensor([1, 2]), 1.0)


def test_charlm_shapes_loss_and_generate():
    torch.manual_seed(0)
    for cell in ("rnn", "gru"):
        model = CharLM(10, 4, 8, cell=cell, n_layers=2)
        x = torch.randint(10, (3, 5))
        logits, h_n = model(x)
        assert logits.shape == (3, 5, 10) and h_n.shape == (2, 3, 8)
        loss = lm_loss(model, (x, torch.randint(10, (3, 5))))
        assert loss.dim() == 0 and math.isclose(loss.item(), math.log(10), rel_tol=0.3)
        # carrying the state one character at a time equals one pass over the sequence
        _, h = model(x[:, :3])
        step_logits, _ = model(x[:, 3:], h)
        assert torch.allclose(step_logits, logits[:, 3:], atol=1e-5)
        prompt = torch.tensor([[1, 2], [3, 4]])
        out = generate(model, prompt, 6, temperature=0.8, generator=torch.Generator().manual_seed(0))
        again = generate(model, prompt, 6, temperature=0.8, generator=torch.Generator().manual_seed(0))
        assert torch.equal(out, again) and out.shape == (2, 8) and torch.equal(out[:, :2], prompt)
        assert ((out >= 0) & (out < 10)).all()
        greedy = generate(model, prompt, 4, temperature=0)  # the most likely id, step by step
        logits, _ = model(greedy[:, :-1])
        assert torch.equal(logits[:, 1:].argmax(-1), greedy[:, 2:])
    with pytest.raises(ValueError, match="cell"):
        CharLM(10, 4, 8, cell="lstm")
    with pytest.raises(ValueError, match="ids"):
        model(torch.randn(3, 5))
    with pytest.raises(ValueError, match="vocab_size"):
        model(torch.full((1, 2), 10))
    with pytest.raises(ValueError):
        generate(model, torch.zeros(1, 0, dtype=torch.long), 3)
