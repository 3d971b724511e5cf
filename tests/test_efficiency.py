import pytest
import torch
import torch.nn.functional as F

from seqattn_lib.attention import MultiHeadAttention, scaled_dot_product_attention, sliding_window_mask
from seqattn_lib.efficiency import (
    AttentionClassifier,
    count_flops,
    distillation_loss,
    linear_attention,
    local_attention,
    model_size_bytes,
    power_law_exponent,
    prune_heads,
    quantize_dynamic_int8,
    time_call,
)


@pytest.mark.parametrize("n,window", [(1, 1), (7, 3), (12, 1), (6, 20)])
def test_local_attention_matches_masked_attention(n, window):
    torch.manual_seed(n)
    q, k, v = torch.randn(2, n, 4), torch.randn(2, n, 4), torch.randn(2, n, 3)
    ref, _ = scaled_dot_product_attention(q, k, v, sliding_window_mask(n, window, causal=True))
    assert torch.allclose(local_attention(q, k, v, window), ref, atol=1e-5)
    with pytest.raises(ValueError):
        local_attention(q, k[:, :, :2], v, window)


def test_linear_attention_equals_quadratic_form():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6)
    a = (F.elu(q) + 1) @ (F.elu(k) + 1).transpose(-2, -1)
    ref = (a / a.sum(-1, keepdim=True)) @ v
    assert torch.allclose(linear_attention(q, k, v), ref, atol=1e-5)
    with pytest.raises(ValueError):
        linear_attention(q, k[..., :3], v)


def test_prune_heads_removes_exactly_that_head():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(1, 4, 8)
    W_Q, W_K, W_V = mha.in_proj_weight.chunk(3)
    b_Q, b_K, b_V = mha.in_proj_bias.chunk(3)
    heads, _ = scaled_dot_product_attention(
        *(mha.split_heads(F.linear(x, W, b)) for W, b in ((W_Q, b_Q), (W_K, b_K), (W_V, b_V)))
    )
    expected = heads[:, 1:2].transpose(1, 2).reshape(1, 4, 4) @ mha.out_proj.weight[:, 4:].T + mha.out_proj.bias
    prune_heads(mha, [0])
    assert torch.allclose(mha(x, x, x)[0], expected, atol=1e-5)
    with pytest.raises(ValueError):
        prune_heads(mha, [2])


def test_distillation_loss():
    torch.manual_seed(0)
    s, t, y = torch.randn(4, 3), torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    assert torch.allclose(distillation_loss(s, t, y, alpha=0.0), F.cross_entropy(s, y))
    assert distillation_loss(t, t, y, alpha=1.0).abs() < 1e-6
    with pytest.raises(ValueError):
        distillation_loss(s, t[:, :2], y)
    with pytest.raises(ValueError):
        distillation_loss(s, t, y, T=0.0)


def test_quantize_makes_model_smaller_and_close():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 4))
    q = quantize_dynamic_int8(model)
    assert model_size_bytes(q) < model_size_bytes(model)
    x = torch.randn(8, 64)
    assert torch.allclose(q(x), model(x), atol=0.05)
    assert time_call(lambda: q(x), repeat=2) > 0


@pytest.mark.parametrize("kind", AttentionClassifier.KINDS)
def test_attention_classifier_shapes(kind):
    model = AttentionClassifier(6, 3, max_len=10, d_model=8, n_heads=2, attention=kind, window=2)
    logits, weights = model.classify(model.embed(torch.randint(0, 6, (4, 10))))
    assert logits.shape == (4, 3)
    assert (weights is None) == (kind == "linear")
    with pytest.raises(ValueError):
        AttentionClassifier(6, 3, 10, attention="sparse")


def test_window_classifier_ignores_far_tokens():
    torch.manual_seed(0)
    model = AttentionClassifier(6, 3, max_len=10, d_model=8, n_heads=2, attention="window", window=3).eval()
    x = torch.randint(0, 6, (2, 10))
    y = x.clone()
    y[:, :7] = (y[:, :7] + 1) % 6
    assert torch.allclose(model(x), model(y), atol=1e-6)


def test_time_call_statistics():
    calls = []
    assert time_call(lambda: calls.append(1), repeat=3, statistic="median") >= 0
    assert len(calls) == 3
    assert time_call(lambda: None, repeat=3) <= time_call(lambda: sum(range(10000)), repeat=3, statistic="median")
    with pytest.raises(ValueError):
        time_call(lambda: None, statistic="mean")
    with pytest.raises(ValueError):
        time_call(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="clock"):
        time_call(lambda: None, clock="gpu")


def test_time_call_cpu_clock_ignores_sleep():
    import time

    assert time_call(lambda: time.sleep(0.05), repeat=2, clock="cpu") < 0.02  # sleeping uses no CPU
    assert time_call(lambda: time.sleep(0.05), repeat=2) >= 0.05


def test_power_law_exponent():
    x = [1.0, 2.0, 4.0, 8.0]
    assert power_law_exponent(x, [3 * v**2 for v in x]) == pytest.approx(2.0)
    assert power_law_exponent(x, [5.0 for _ in x]) == pytest.approx(0.0)
    assert power_law_exponent(x, [v**0.5 for v in x]) == pytest.approx(0.5)
    for bad in (([1.0], [1.0]), ([1.0, 2.0], [1.0]), ([0.0, 1.0], [1.0, 2.0]), ([2.0, 2.0], [1.0, 3.0])):
        with pytest.raises(ValueError):
            power_law_exponent(*bad)


@pytest.mark.parametrize("n,d,window", [(16, 4, 3), (40, 8, 5)])
def test_count_flops_of_attention_variants(n, d, window):
    q, k, v = torch.randn(1, n, d), torch.randn(1, n, d), torch.randn(1, n, d)
    assert count_flops(lambda: q @ k.transpose(1, 2)) == 2 * n * n * d  # one multiply-add = 2 FLOPs
    assert count_flops(lambda: scaled_dot_product_attention(q, k, v)) == 4 * n * n * d
    assert count_flops(lambda: local_attention(q, k, v, window)) == 4 * n * window * d
    assert count_flops(lambda: linear_attention(q, k, v)) == 4 * n * d * d + 2 * n * d
