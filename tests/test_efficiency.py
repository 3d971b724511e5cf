import copy

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
    mixed_precision_step,
    model_size_bytes,
    power_law_exponent,
    prune_heads,
    quantize_dynamic_int8,
    time_call,
    top_k_mask,
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


def zero_heads(mha, heads):
    """A copy of ``mha`` whose ``heads`` are zeroed: their rows of W_Q, W_K, W_V (and biases), their columns of W_O."""
    zeroed = copy.deepcopy(mha)
    d, d_k = mha.d_model, mha.d_k
    with torch.no_grad():
        for h in heads:
            for part in range(3):
                rows = slice(part * d + h * d_k, part * d + (h + 1) * d_k)
                zeroed.in_proj_weight[rows] = 0
                if zeroed.in_proj_bias is not None:
                    zeroed.in_proj_bias[rows] = 0
            zeroed.out_proj.weight[:, h * d_k:(h + 1) * d_k] = 0
    return zeroed


@pytest.mark.parametrize("heads", [[], [0], [2, 1], [0, 1, 3]])
@pytest.mark.parametrize("bias", [True, False])
def test_prune_heads_computes_what_zeroed_heads_compute(heads, bias):
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, bias=bias)
    if bias:
        with torch.no_grad():
            mha.in_proj_bias.normal_()
            mha.out_proj.bias.normal_()
    q, kv = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
    mask = torch.rand(2, 3, 5) > 0.3
    pruned, zeroed = prune_heads(mha, heads), zero_heads(mha, heads)
    assert isinstance(pruned, MultiHeadAttention) and pruned.n_heads == 4 - len(heads)
    for need_weights in (False, True):  # PyTorch's fused path and the explicit one (whose weights we keep)
        out, weights = pruned(q, kv, kv, mask, need_weights=need_weights)
        assert torch.allclose(out, zeroed(q, kv, kv, mask, need_weights=need_weights)[0], atol=1e-5)
    kept = [h for h in range(4) if h not in heads]
    assert torch.allclose(weights, mha(q, kv, kv, mask)[1][:, kept])  # the kept heads attend as before
    assert torch.allclose(pruned(q, q, q)[0], zeroed(q, q, q)[0], atol=1e-5)  # self-attention: one fused projection


def test_prune_heads_shrinks_the_projections_and_leaves_the_original():
    mha = MultiHeadAttention(16, 4)
    before = {name: p.clone() for name, p in mha.named_parameters()}
    pruned = prune_heads(mha, [3, 0])
    assert pruned.in_proj_weight.shape == (3 * 2 * 4, 16) and pruned.in_proj_bias.shape == (24,)
    assert pruned.out_proj.weight.shape == (16, 8) and pruned.out_proj.bias.shape == (16,)
    removed = sum(p.numel() for p in mha.parameters()) - sum(p.numel() for p in pruned.parameters())
    assert removed == 2 * (4 * 16 * 4 + 3 * 4)
    assert all(torch.equal(p, before[name]) for name, p in mha.named_parameters())  # mha itself is unchanged
    W_Q = mha.in_proj_weight[:16]
    assert torch.equal(pruned.in_proj_weight[:8], torch.cat([W_Q[4:8], W_Q[8:12]]))  # heads 1 and 2, in order


def test_prune_heads_twice_equals_pruning_once_and_keeps_the_global_generator():
    torch.manual_seed(0)
    mha, x = MultiHeadAttention(12, 3), torch.randn(2, 4, 12)
    state = torch.get_rng_state()
    twice = prune_heads(prune_heads(mha, [0]), [1])  # heads 1, 2 are left; then the second of them goes
    assert torch.equal(torch.get_rng_state(), state)  # no random initialisation of weights about to be copied
    assert twice.n_heads == 1
    assert torch.allclose(twice(x, x, x)[0], prune_heads(mha, [0, 2])(x, x, x)[0], atol=1e-6)


@pytest.mark.parametrize("heads", [[4], [-1], [0, 0], [0, 1, 2, 3], [1.0], [True]])
def test_prune_heads_refuses_bad_heads(heads):
    with pytest.raises(ValueError, match="heads"):
        prune_heads(MultiHeadAttention(8, 4), heads)


def test_prune_heads_refuses_what_is_not_an_attention_layer():
    with pytest.raises(TypeError, match="mha"):
        prune_heads(torch.nn.Linear(8, 8), [0])
    with pytest.raises(TypeError, match="heads"):
        prune_heads(MultiHeadAttention(8, 4), 0)


def test_narrow_heads_check_their_sizes():
    with pytest.raises(ValueError, match="d_k"):
        MultiHeadAttention(8, 2, d_k=0)
    layer = MultiHeadAttention(8, 3, d_k=2)  # 3 heads of 2: width 6 < d_model 8, not divisible: d_k given
    assert layer(torch.randn(1, 4, 8), torch.randn(1, 4, 8), torch.randn(1, 4, 8))[0].shape == (1, 4, 8)
    with pytest.raises(ValueError, match="x"):
        layer.split_heads(torch.randn(1, 4, 8))


def test_top_k_mask_renormalises_the_largest_weights():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5)
    _, weights = scaled_dot_product_attention(q, k, v)
    for top in (1, 2, 5):
        keep = top_k_mask(weights, top)
        assert keep.dtype == torch.bool and (keep.sum(-1) == top).all()
        assert (weights.masked_fill(keep, -1).amax(-1) <= weights.masked_fill(~keep, 2).amin(-1)).all()
        pruned = weights * keep
        pruned = pruned / pruned.sum(-1, keepdim=True)  # zero the rest and renormalise
        out, new_weights = scaled_dot_product_attention(q, k, v, keep)
        assert torch.allclose(new_weights, pruned, atol=1e-6)
        assert torch.allclose(out, pruned @ v, atol=1e-5)
    assert top_k_mask(weights, 6).all() and top_k_mask(weights, 100).all()
    assert torch.equal(top_k_mask(weights, 2), top_k_mask(weights.log(), 2))  # scores give the same mask
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="k"):
            top_k_mask(weights, bad)
    with pytest.raises(ValueError, match="weights"):
        top_k_mask(weights > 0.1, 2)


@pytest.mark.parametrize("kind", ["full", "window"])
def test_classifier_top_k(kind):
    torch.manual_seed(0)
    model = AttentionClassifier(6, 3, max_len=10, d_model=8, n_heads=2, attention=kind, window=4).eval()
    x = torch.randint(0, 6, (5, 10))
    assert torch.equal(model(x, top_k=10), model(x))  # every key kept: exactly the same computation
    _, weights = model.classify(model.embed(x), top_k=2)
    assert ((weights > 0).sum(-1) <= 2).all() and torch.allclose(weights.sum(-1), torch.ones(5, 2, 1))
    if kind == "window":  # keys outside the window stay out, whatever k
        assert torch.equal(model(x, top_k=7), model(x))
    with pytest.raises(ValueError, match="top_k"):
        model(x, top_k=0)
    with pytest.raises(ValueError, match="linear"):
        AttentionClassifier(6, 3, 10, attention="linear")(x, top_k=2)


def test_mixed_precision_step_trains_like_float32():
    def run(dtype):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(64, 8)
        y = x[:, :3].argmax(1)  # learnable labels
        losses = [mixed_precision_step(model, (x, y), lambda m, b: F.cross_entropy(m(b[0]), b[1]), opt, dtype)
                  for _ in range(30)]
        return losses, model

    (losses32, model32), (losses16, model16) = run(None), run(torch.bfloat16)
    assert losses32[-1] < 0.7 * losses32[0] and losses16[-1] < 0.7 * losses16[0]  # both learn
    assert abs(losses16[-1] - losses32[-1]) < 0.05  # along nearly the same path
    assert all(p.dtype == torch.float32 for p in model16.parameters())  # the weights stay float32
    assert not torch.equal(model16[0].weight, model32[0].weight)  # but the 16-bit products changed them


def test_mixed_precision_step_with_a_grad_scaler():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    batch = (torch.randn(8, 4), torch.randint(0, 2, (8,)))
    before = model.weight.clone()
    mixed_precision_step(model, batch, lambda m, b: F.cross_entropy(m(b[0]), b[1]), opt, torch.bfloat16, scaler)
    assert not torch.equal(model.weight, before) and model.weight.grad.abs().max() < 10  # gradients unscaled


def test_mixed_precision_step_refuses_bad_arguments():
    model, batch = torch.nn.Linear(4, 2), (torch.randn(8, 4), torch.randint(0, 2, (8,)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def loss(m, b):
        return F.cross_entropy(m(b[0]), b[1])

    with pytest.raises(ValueError, match="dtype"):
        mixed_precision_step(model, batch, loss, opt, torch.float64)
    with pytest.raises(ValueError, match="scaler"):
        mixed_precision_step(model, batch, loss, opt, torch.float16)
    with pytest.raises(TypeError, match="scaler"):
        mixed_precision_step(model, batch, loss, opt, torch.bfloat16, scaler="yes")
    with pytest.raises(TypeError, match="optimizer"):
        mixed_precision_step(model, batch, loss, "adam")
    with pytest.raises(TypeError, match="model"):
        mixed_precision_step("model", batch, loss, opt)


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
