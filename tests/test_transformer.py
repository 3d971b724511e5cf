import pytest
import torch
from torch import nn

from seqattn_lib.attention import causal_mask, padding_mask
from seqattn_lib.seq2seq import beam_search, greedy_decode, sequence_log_prob
from seqattn_lib.transformer import (
    GPT,
    DecoderLayer,
    EncoderLayer,
    KVCache,
    PositionalEncoding,
    Transformer,
    generate,
    kv_cache_update,
    sinusoidal_encoding,
)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("d_model,n_heads,d_ff,n_x", [(16, 4, 32, 7), (24, 3, 40, 5)])
def test_encoder_layer_matches_torch(norm_first, d_model, n_heads, d_ff, n_x):
    torch.manual_seed(0)
    ref = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first)
    layer = EncoderLayer(d_model, n_heads, d_ff, norm_first=norm_first)
    assert layer.load_torch(ref) is layer
    x = torch.randn(3, n_x, d_model)
    keep = padding_mask(torch.tensor([n_x, n_x - 2, 1]), n_x)[:, None, :]  # (batch, 1, n_x)
    expected = ref(x, src_key_padding_mask=~keep[:, 0])  # torch: True = padding
    assert torch.allclose(layer(x, keep[:, None]), expected, atol=1e-5)
    assert torch.allclose(layer(x), ref(x), atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    torch.manual_seed(1)
    ref = nn.TransformerDecoderLayer(16, 2, 48, dropout=0.0, batch_first=True, norm_first=norm_first)
    layer = DecoderLayer(16, 2, 48, norm_first=norm_first)
    assert layer.load_torch(ref) is layer
    y, memory = torch.randn(2, 5, 16), torch.randn(2, 6, 16)
    keep = padding_mask(torch.tensor([6, 3]), 6)[:, None, :]
    expected = ref(y, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~keep[:, 0])
    assert torch.allclose(layer(y, memory, causal_mask(5), keep[:, None]), expected, atol=1e-5)


def test_sinusoidal_encoding_values_and_errors():
    pe = sinusoidal_encoding(50, 8)
    assert pe.shape == (50, 8)
    assert torch.allclose(pe[:, 0], torch.sin(torch.arange(50.0)))
    assert torch.allclose(pe[:, 1], torch.cos(torch.arange(50.0)))
    assert torch.allclose(pe[3, 6], torch.sin(torch.tensor(3 / 10000 ** (6 / 8))))
    assert torch.allclose(pe[3, 7], torch.cos(torch.tensor(3 / 10000 ** (6 / 8))))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_encoding(10, 7)
    with pytest.raises(ValueError):
        PositionalEncoding(8, 10, kind="rotary")
    with pytest.raises(ValueError, match="max_len"):
        PositionalEncoding(8, 10)(torch.zeros(1, 11, 8))
    with pytest.raises(ValueError, match="must have shape"):
        PositionalEncoding(8, 10, "learned")(torch.zeros(1, 4, 6))


def test_causal_lm_does_not_look_ahead():
    torch.manual_seed(0)
    model = GPT(30, 32, 4, 2, max_len=16).eval()
    x = torch.randint(30, (2, 12))
    x2 = x.clone()
    x2[:, 7:] = torch.randint(30, (2, 5))
    with torch.no_grad():
        a, b = model(x), model(x2)
    assert torch.allclose(a[:, :7], b[:, :7], atol=1e-6)
    assert not torch.allclose(a[:, 7:], b[:, 7:])


def test_translation_decoder_does_not_look_ahead_and_ignores_padding():
    torch.manual_seed(0)
    model = Transformer(12, 15, d_model=32, n_heads=4, d_ff=64, max_len=20).eval()
    src = torch.tensor([[3, 4, 5, 0, 0], [6, 7, 8, 9, 2]])
    tgt = torch.randint(1, 15, (2, 8))
    tgt2 = tgt.clone()
    tgt2[:, 5:] = torch.randint(1, 15, (2, 3))
    with torch.no_grad():
        a, b = model(src, tgt), model(src, tgt2)
        c = model(src[:1, :3], tgt[:1])  # the same sentence without its padding
    assert a.shape == (2, 8, 15)
    assert torch.allclose(a[:, :5], b[:, :5], atol=1e-6)
    assert torch.allclose(a[:1], c, atol=1e-5)


def test_kv_cache_update_and_errors():
    K, V = kv_cache_update(None, None, torch.ones(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
    K, V = kv_cache_update(K, V, 2 * torch.ones(1, 2, 1, 4), torch.ones(1, 2, 1, 4))
    assert K.shape == V.shape == (1, 2, 4, 4) and K[0, 0, -1, 0] == 2 and V[0, 0, -1, 0] == 1
    cache = KVCache()
    cache.update(torch.ones(1, 2, 3, 4), torch.ones(1, 2, 3, 4))
    assert len(cache) == 3
    with pytest.raises(ValueError, match="K must have shape"):
        cache.update(torch.ones(1, 3, 1, 4), torch.ones(1, 3, 1, 4))


@pytest.mark.parametrize("n_new", [10, 25])  # 25 runs past the context of 16 (sliding window)
def test_cached_and_uncached_generation_agree(n_new):
    torch.manual_seed(0)
    model = GPT(25, 32, 4, 2, max_len=16)
    idx = torch.randint(25, (3, 4))
    greedy_cached = generate(model, idx, n_new, temperature=0, use_cache=True)
    greedy_plain = generate(model, idx, n_new, temperature=0, use_cache=False)
    assert greedy_cached.shape == (3, 4 + n_new)
    assert torch.equal(greedy_cached, greedy_plain)
    sampled = [
        generate(model, idx, n_new, 0.8, top_k=5, use_cache=c, generator=torch.Generator().manual_seed(3))
        for c in (True, False)
    ]
    assert torch.equal(*sampled)


def test_cached_logits_equal_full_forward():
    torch.manual_seed(0)
    model = GPT(25, 32, 4, 2, max_len=16).eval()
    idx = torch.randint(25, (2, 10))
    with torch.no_grad():
        full = model(idx)
        caches = model.new_caches()
        parts = [model(idx[:, :4], caches)] + [model(idx[:, t : t + 1], caches) for t in range(4, 10)]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-5)


def test_top_k_one_is_greedy_and_bad_args():
    torch.manual_seed(0)
    model = GPT(25, 32, 4, 1, max_len=16)
    idx = torch.randint(25, (2, 3))
    assert torch.equal(generate(model, idx, 6, temperature=1.0, top_k=1), generate(model, idx, 6, temperature=0))
    with pytest.raises(ValueError, match="temperature"):
        generate(model, idx, 2, temperature=-1)
    with pytest.raises(ValueError, match="idx"):
        generate(model, idx.float(), 2)


def test_scaled_token_embeddings_match_positional_encoding_in_size():
    torch.manual_seed(0)
    d_model = 64
    model = Transformer(50, 40, d_model=d_model, n_heads=4, d_ff=64, n_enc=1, n_dec=1)
    for embedding in (model.src_embed, model.tgt_embed):
        scaled_rms = (embedding.weight * d_model**0.5).pow(2).mean().sqrt()
        assert 0.9 < scaled_rms < 1.1  # the sinusoids have rms 1/sqrt(2) ~ 0.7: same order


@pytest.mark.parametrize("norm_first", [False, True])
def test_translation_decoding_through_the_cache_equals_full_forward_passes(norm_first):
    torch.manual_seed(0)
    model = Transformer(30, 20, d_model=32, n_heads=4, d_ff=64, n_enc=2, n_dec=2, norm_first=norm_first).eval()
    src = torch.randint(1, 30, (5, 7))
    src[3:, 5:] = 0  # padding
    lengths = (src != 0).sum(1)
    tokens, weights = greedy_decode(model, src, lengths, bos_id=1, eos_id=2, max_len=12)
    # the same greedy choice from full forward passes over the whole prefix, without a cache
    ys = torch.ones(5, 1, dtype=torch.long)
    with torch.no_grad():
        for _ in range(12):
            ys = torch.cat([ys, model(src, ys)[:, -1].argmax(-1, keepdim=True)], dim=1)
    for row, got in zip(ys[:, 1:].tolist(), tokens):
        assert got == (row[: row.index(2)] if 2 in row else row)
    for w, n, t in zip(weights, lengths.tolist(), tokens):  # cross-attention over the real source tokens
        steps = min(len(t) + 1, 12)  # + the step that wrote <eos>, unless max_len came first
        assert w.shape == (steps, n) and torch.allclose(w.sum(-1), torch.ones(steps))
    # beam search works on the Transformer too and never scores below greedy decoding
    best, score = beam_search(model, src[:1], lengths[:1], 1, 2, beam_size=3, max_len=12)
    greedy_lp = sequence_log_prob(model, src[:1], lengths[:1], tokens[0], 1, 2) / (len(tokens[0]) + 1)
    assert score >= greedy_lp - 1e-5
    assert beam_search(model, src[:1], lengths[:1], 1, 2, beam_size=1, max_len=12)[0] == tokens[0]
    with pytest.raises(ValueError, match="src_lengths"):
        greedy_decode(model, src, lengths + 1, 1, 2)


def test_lm_loss_serves_gpt_as_well_as_charlm():
    from seqattn_lib.rnn import lm_loss

    torch.manual_seed(0)
    model = GPT(12, 16, 2, 1, max_len=8)
    x, y = torch.randint(12, (3, 8)), torch.randint(12, (3, 8))
    expected = torch.nn.functional.cross_entropy(model(x).reshape(-1, 12), y.reshape(-1))
    assert torch.allclose(lm_loss(model, (x, y)), expected)
    with pytest.raises(ValueError, match="vocab_size=12"):
        lm_loss(model, (x, y + 12))


def test_gpt_features_are_what_the_head_reads_and_do_not_look_ahead():
    torch.manual_seed(0)
    model = GPT(20, 16, 2, 2, max_len=10).eval()
    idx = torch.randint(20, (3, 7))
    with torch.no_grad():
        h = model.features(idx)
        assert h.shape == (3, 7, 16)
        assert torch.allclose(model.head(h), model(idx), atol=1e-6)
        later = idx.clone()
        later[:, 4:] = (later[:, 4:] + 1) % 20
        assert torch.allclose(model.features(later)[:, :4], h[:, :4], atol=1e-6)
        caches = model.new_caches()
        parts = torch.cat([model.features(idx[:, :3], caches), model.features(idx[:, 3:], caches)], dim=1)
    assert torch.allclose(parts, h, atol=1e-5)
    with pytest.raises(ValueError, match="idx"):
        model.features(torch.full((1, 3), 20))
    with pytest.raises(ValueError, match="idx"):
        model.features(idx.float())
