import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqattn_lib.attention import (
    AdditiveAttention,
    AttentionPooling,
    BilinearAttention,
    DotProductAttention,
    MultiHeadAttention,
    causal_mask,
    dot_product_attention,
    masked_softmax,
    padding_mask,
    scaled_dot_product_attention,
    sliding_window_mask,
)

ATOL = 1e-5


def _configs(n, seed):
    """``n`` random (batch, heads, n_q, n_k, d_k, d_v, mask kind, seed) configurations with odd sizes."""
    rng = random.Random(seed)
    kinds = ["none", "padding", "causal", "random"]
    return [
        (rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 9), rng.randint(1, 11), rng.randint(1, 13),
         rng.randint(1, 7), kinds[i % 4], 1000 * seed + i)
        for i in range(n)
    ]


def _mask(kind, b, n_q, n_k, g, heads=None):
    """A bool mask (True = may attend) in which every query keeps at least one key."""
    if kind == "none":
        return None
    if kind == "padding":  # (b, 1, n_k): key padding, broadcast over queries
        lengths = torch.randint(1, n_k + 1, (b,), generator=g)
        return (torch.arange(n_k)[None, :] < lengths[:, None])[:, None, :]
    if kind == "causal":  # with n_k < n_q the first queries would see nothing: let all see key 0
        mask = causal_mask(n_q, n_k) if n_k >= n_q else torch.ones(n_q, n_k, dtype=torch.bool).tril(n_k - n_q)
        mask[:, 0] = True
        return mask
    shape = (b, n_q, n_k) if heads is None else (b, heads, n_q, n_k)
    mask = torch.rand(shape, generator=g) > 0.4
    mask[..., -1] = True
    return mask


@pytest.mark.parametrize("config", _configs(60, 0))
def test_sdpa_matches_torch(config):
    b, h, n_q, n_k, d_k, d_v, kind, seed = config
    g = torch.Generator().manual_seed(seed)
    q, k, v = torch.randn(b, h, n_q, d_k, generator=g), torch.randn(b, h, n_k, d_k, generator=g), torch.randn(
        b, h, n_k, d_v, generator=g
    )
    mask = _mask(kind, b, n_q, n_k, g, heads=h)
    if mask is not None and mask.dim() == 3:
        mask = mask[:, None]
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert out.shape == (b, h, n_q, d_v) and weights.shape == (b, h, n_q, n_k)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(b, h, n_q), atol=ATOL, rtol=0)
    # plain dot product = scaled by sqrt(d_k) inputs
    out_dot, _ = dot_product_attention(q, k, v, mask)
    ref_dot = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0)
    torch.testing.assert_close(out_dot, ref_dot, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("config", _configs(60, 1))
def test_multihead_matches_torch(config):
    b, h, n_q, n_k, d_k, _, kind, seed = config
    d_model = h * d_k
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    ours = MultiHeadAttention(d_model, h)
    with torch.no_grad():
        ours.in_proj_bias.normal_()
        ours.out_proj.bias.normal_()
    ref = nn.MultiheadAttention(d_model, h, batch_first=True)
    ref.load_state_dict(ours.state_dict())
    q, k, v = torch.randn(b, n_q, d_model, generator=g), torch.randn(b, n_k, d_model, generator=g), torch.randn(
        b, n_k, d_model, generator=g
    )
    mask = _mask(kind, b, n_q, n_k, g, heads=h)
    if mask is None:
        ref_out, ref_w = ref(q, k, v, average_attn_weights=False)
    elif kind == "padding":
        ref_out, ref_w = ref(q, k, v, key_padding_mask=~mask[:, 0], average_attn_weights=False)
    elif kind == "causal":
        ref_out, ref_w = ref(q, k, v, attn_mask=~mask, average_attn_weights=False)
    else:  # per-head masks: torch wants (batch * heads, n_q, n_k)
        ref_out, ref_w = ref(q, k, v, attn_mask=~mask.reshape(b * h, n_q, n_k), average_attn_weights=False)
    out, weights = ours(q, k, v, mask)
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(weights, ref_w, atol=ATOL, rtol=1e-5)
    fast, none = ours(q, k, v, mask, need_weights=False)
    assert none is None
    torch.testing.assert_close(fast, ref_out, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize("config", _configs(20, 2))
def test_additive_and_bilinear_match_explicit_formulas(config):
    b, _, n_q, n_k, d_q, d_v, kind, seed = config
    d_k, d_hidden = d_q + 2, 5
    g = torch.Generator().manual_seed(seed)
    q, k, v = torch.randn(b, n_q, d_q, generator=g), torch.randn(b, n_k, d_k, generator=g), torch.randn(
        b, n_k, d_v, generator=g
    )
    mask = _mask(kind, b, n_q, n_k, g)
    add = AdditiveAttention(d_q, d_k, d_hidden)
    scores = torch.stack(
        [torch.stack([add.w_v(torch.tanh(add.W_q(q[:, i]) + add.W_k(k[:, j])))[:, 0] for j in range(n_k)], -1)
         for i in range(n_q)], 1)
    out, weights = add(q, k, v, mask)
    w_ref = masked_softmax(scores, None if mask is None else mask.expand(b, n_q, n_k))
    torch.testing.assert_close(weights, w_ref, atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(out, torch.einsum("bqk,bkd->bqd", w_ref, v), atol=ATOL, rtol=1e-5)
    bil = BilinearAttention(d_q, d_k)
    scores = torch.einsum("bqi,ij,bkj->bqk", q, bil.W_a, k)
    out, weights = bil(q, k, v, mask)
    w_ref = masked_softmax(scores, None if mask is None else mask.expand(b, n_q, n_k))
    torch.testing.assert_close(weights, w_ref, atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(out, w_ref @ v, atol=ATOL, rtol=1e-5)


def test_bilinear_with_identity_is_dot_product():
    q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
    bil = BilinearAttention(4, 4)
    with torch.no_grad():
        bil.W_a.copy_(torch.eye(4))
    for a, b in zip(bil(q, k, v), dot_product_attention(q, k, v)):
        torch.testing.assert_close(a, b)
    for a, b in zip(DotProductAttention(scaled=True)(q, k, v), scaled_dot_product_attention(q, k, v)):
        torch.testing.assert_close(a, b)


def test_fully_masked_rows_give_zeros_and_finite_gradients():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 4, requires_grad=True) for _ in range(3))
    mask = torch.ones(2, 3, 3, dtype=torch.bool)
    mask[0, 1] = False  # query 1 of batch 0 sees nothing
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    assert torch.equal(weights[0, 1], torch.zeros(3)) and torch.equal(out[0, 1], torch.zeros(4))
    out.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in (q, k, v))
    assert torch.equal(masked_softmax(torch.randn(3), torch.zeros(3, dtype=torch.bool)), torch.zeros(3))
    mha = MultiHeadAttention(4, 2)
    slow, _ = mha(q, k, v, mask)
    fast, _ = mha(q, k, v, mask, need_weights=False)
    assert torch.isfinite(fast).all()
    torch.testing.assert_close(fast, slow)
    torch.testing.assert_close(fast[0, 1], mha.out_proj.bias.expand(4))  # zero heads -> only W_O's bias
    for module in (AdditiveAttention(4, 4, 3), BilinearAttention(4, 4)):
        o, w = module(q, k, v, mask)
        assert torch.isfinite(o).all() and torch.equal(w[0, 1], torch.zeros(3))


def test_causal_mask_hides_the_future():
    assert torch.equal(causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]], dtype=torch.bool))
    assert torch.equal(causal_mask(2, 4), torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool))
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(1, 6, 8)
    y = x.clone()
    y[:, 4:] = torch.randn(1, 2, 8)  # change the future
    for need in (True, False):
        a, _ = mha(x, x, x, causal_mask(6), need_weights=need)
        b, _ = mha(y, y, y, causal_mask(6), need_weights=need)
        torch.testing.assert_close(a[:, :4], b[:, :4])
        assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_gradcheck_float64():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True) for _ in range(3))
    mask = torch.rand(2, 3, 3) > 0.3
    mask[..., 0] = True
    mask[1, 2] = False  # a fully masked row must not break the gradients either
    gradcheck = torch.autograd.gradcheck
    assert gradcheck(lambda a, b, c: scaled_dot_product_attention(a, b, c, mask)[0], (q, k, v))
    scores = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda s: masked_softmax(s, mask), (scores,))
    for module in (AdditiveAttention(4, 4, 3), BilinearAttention(4, 4), MultiHeadAttention(4, 2)):
        module = module.double()
        assert gradcheck(lambda a, b, c, m=module: m(a, b, c, mask)[0], (q, k, v), fast_mode=True)
        if isinstance(module, MultiHeadAttention):
            assert gradcheck(lambda a, b, c, m=module: m(a, b, c, mask, False)[0], (q, k, v), fast_mode=True)


def test_dropout_only_while_training():
    torch.manual_seed(0)
    q = torch.randn(2, 5, 8)
    for module in (AdditiveAttention(8, 8, 4, dropout=0.5), BilinearAttention(8, 8, dropout=0.5),
                   DotProductAttention(dropout=0.5), MultiHeadAttention(8, 2, dropout=0.5)):
        module.eval()
        a, _ = module(q, q, q)
        b, _ = module(q, q, q)
        torch.testing.assert_close(a, b)
        module.train()
        c, _ = module(q, q, q)
        assert not torch.allclose(a, c)
    _, w = scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert ((w == 0) | (w > 0)).all() and (w == 0).any()


@pytest.mark.parametrize(
    "args, match",
    [
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 6), torch.randn(2, 5, 4)), "k must have shape"),
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 6, 4)), "v must have shape"),
        ((torch.randn(2, 3, 4), torch.randn(5, 4), torch.randn(5, 4)), "same number of dimensions"),
        ((torch.randn(2, 3, 4), torch.randn(3, 5, 4), torch.randn(3, 5, 4)), "batch dimensions differ"),
        ((torch.randn(4), torch.randn(4), torch.randn(4)), r"q must have shape"),
        ((torch.ones(2, 3, 4, dtype=torch.long),) * 3, "float dtype"),
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 4).double(), torch.randn(2, 5, 4)), "same dtype"),
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4), torch.ones(2, 3, 5)), "bool dtype"),
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4), torch.ones(2, 3, 4).bool()),
         "broadcastable"),
        ((torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 4), torch.ones(3, 2, 3, 5).bool()),
         "broadcastable"),
        (([[1.0]], torch.randn(2, 5, 4), torch.randn(2, 5, 4)), "torch.Tensor"),
    ],
)
def test_sdpa_value_errors(args, match):
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(*args)


def test_other_value_errors():
    x = torch.randn(2, 3, 8)
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(x, x, x, dropout_p=1.0)
    with pytest.raises(ValueError, match="broadcastable"):
        masked_softmax(torch.randn(2, 3), torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="bool dtype"):
        masked_softmax(torch.randn(2, 3), torch.ones(2, 3))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="positive int"):
        MultiHeadAttention(0, 1)
    with pytest.raises(ValueError, match="dropout"):
        BilinearAttention(4, 4, dropout=-0.1)
    with pytest.raises(ValueError, match="positive int"):
        causal_mask(0)
    with pytest.raises(ValueError, match="n_k must be at least n_q=3"):
        causal_mask(3, 2)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"q must have shape \(batch=2, n_q=3, 8\)"):
        mha(torch.randn(2, 3, 6), x, x)
    with pytest.raises(ValueError, match="k must have shape"):
        mha(x, torch.randn(3, 3, 8), x)
    with pytest.raises(ValueError, match="v must have shape"):
        mha(x, torch.randn(2, 4, 8), torch.randn(2, 5, 8))
    for need in (True, False):
        with pytest.raises(ValueError, match=r"\(batch, n_heads, n_q, n_k\)"):
            mha(x, x, x, torch.ones(2, 3, 4, dtype=torch.bool), need_weights=need)
        with pytest.raises(ValueError, match="bool dtype"):
            mha(x, x, x, torch.ones(2, 3, 3), need_weights=need)
    for module in (AdditiveAttention(8, 6, 4), BilinearAttention(8, 6)):
        with pytest.raises(ValueError, match="k must have shape"):
            module(x, torch.randn(2, 5, 8), torch.randn(2, 5, 3))
        with pytest.raises(ValueError, match="v must have shape"):
            module(x, torch.randn(2, 5, 6), torch.randn(2, 4, 3))
        with pytest.raises(ValueError, match=r"\(batch, n_q, n_k\)"):
            module(x, torch.randn(2, 5, 6), torch.randn(2, 5, 3), torch.ones(2, 3, 4, dtype=torch.bool))


def test_sqrt_dk_scaling_keeps_score_variance_near_one():
    torch.manual_seed(0)
    for d_k in (4, 64, 256):
        q, k = torch.randn(4000, d_k), torch.randn(4000, d_k)
        dots = (q * k).sum(-1)
        assert abs(dots.var().item() / d_k - 1) < 0.1
        assert abs((dots / math.sqrt(d_k)).var().item() - 1) < 0.1


def test_padding_mask_values_and_errors():
    assert padding_mask(torch.tensor([2, 0, 3])).tolist() == [
        [True, True, False], [False, False, False], [True, True, True]]
    assert padding_mask(torch.tensor([1]), 3).tolist() == [[True, False, False]]
    with pytest.raises(ValueError, match="lengths"):
        padding_mask(torch.tensor([2.0]), 3)
    with pytest.raises(ValueError, match="lengths must be at most max_len=3"):
        padding_mask(torch.tensor([4, 1]), 3)
    with pytest.raises(ValueError, match="lengths must be non-negative"):
        padding_mask(torch.tensor([-1, 1]), 3)
    with pytest.raises(ValueError, match=r"lengths must have 1 dimensions \(batch\)"):
        padding_mask(torch.ones(2, 2, dtype=torch.long))
    assert padding_mask(torch.tensor([], dtype=torch.long)).shape == (0, 0)
    with pytest.raises(ValueError, match="max_len"):
        padding_mask(torch.tensor([1]), -2)
    with pytest.raises(ValueError, match="lengths must be a torch.Tensor"):
        padding_mask([1, 2], 3)


@pytest.mark.parametrize("score", ["scaled_dot", "additive"])
def test_attention_pooling_starts_as_the_mean_and_ignores_padding(score):
    torch.manual_seed(0)
    pool = AttentionPooling(6, score)
    x = torch.randn(3, 5, 6)
    mask = padding_mask(torch.tensor([5, 2, 1]), 5)
    c, a = pool(x, mask)
    assert c.shape == (3, 6) and a.shape == (3, 5)
    if score == "scaled_dot":  # zero query: uniform weights over the real positions
        torch.testing.assert_close(a, mask.float() / mask.sum(-1, keepdim=True))
        torch.testing.assert_close(c[1], x[1, :2].mean(0))
    with torch.no_grad():
        pool.query.normal_()
    c, a = pool(x, mask)
    assert torch.equal(a[~mask], torch.zeros(int((~mask).sum())))
    x2 = x.clone()
    x2[~mask] = 100.0  # padding does not change the result
    torch.testing.assert_close(pool(x2, mask)[0], c)
    if score == "scaled_dot":
        expected, _ = scaled_dot_product_attention(pool.query.expand(3, 1, 6), x, x, mask[:, None])
        torch.testing.assert_close(c, expected[:, 0])


def test_mean_pooling_is_attention_pooling_with_equal_scores():
    pool = AttentionPooling(4, "mean")
    assert list(pool.parameters()) == [] and torch.equal(pool.query, torch.zeros(1, 1, 4))
    x, lengths = torch.randn(3, 5, 4), torch.tensor([5, 2, 1])
    c, a = pool(x, padding_mask(lengths, 5))
    torch.testing.assert_close(a, padding_mask(lengths, 5).float() / lengths[:, None])
    torch.testing.assert_close(c, torch.stack([x[i, :n].mean(0) for i, n in enumerate(lengths.tolist())]))
    with pytest.raises(ValueError, match="d_hidden"):
        AttentionPooling(4, "mean", d_hidden=3)


def test_attention_pooling_errors():
    with pytest.raises(ValueError, match="score"):
        AttentionPooling(4, "dot")
    with pytest.raises(ValueError, match="d_hidden"):
        AttentionPooling(4, "scaled_dot", d_hidden=3)
    with pytest.raises(ValueError, match="positive int"):
        AttentionPooling(0)
    with pytest.raises(ValueError, match=r"x must have shape"):
        AttentionPooling(4)(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="mask"):
        AttentionPooling(4)(torch.randn(2, 3, 4), torch.ones(2, 3))


def test_mha_projection_and_cache():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2).eval()
    x = torch.randn(2, 5, 8)
    Q, K, V = mha.project(x, x, x)
    assert Q.shape == K.shape == V.shape == (2, 2, 5, 4)
    Q2, K2, V2 = mha.project(x, x.clone(), x.clone())  # separate products, same values
    for a, b in ((Q, Q2), (K, K2), (V, V2)):
        torch.testing.assert_close(a, b)

    class Cache:  # any object with update() will do
        K = V = None

        def update(self, K_new, V_new):
            self.K = K_new if self.K is None else torch.cat([self.K, K_new], 2)
            self.V = V_new if self.V is None else torch.cat([self.V, V_new], 2)
            return self.K, self.V

    full, w_full = mha(x, x, x, causal_mask(5))
    cache = Cache()
    first, _ = mha(x[:, :3], x[:, :3], x[:, :3], causal_mask(3), cache=cache)
    steps = [mha(x[:, t : t + 1], x[:, t : t + 1], x[:, t : t + 1], cache=cache) for t in (3, 4)]
    torch.testing.assert_close(torch.cat([first] + [s[0] for s in steps], 1), full)
    torch.testing.assert_close(steps[-1][1][:, :, 0], w_full[:, :, 4])
    with pytest.raises(ValueError, match="cache"):
        mha(x, x, x, cache=[])
    with pytest.raises(ValueError, match="mask must be a torch.Tensor"):
        mha(x, x, x, [[True]])


def test_sliding_window_mask():
    m = sliding_window_mask(5, 2)
    assert m.dtype == torch.bool and m.shape == (5, 5)
    assert m[2, 1] and m[2, 3] and not m[2, 0] and not m[2, 4]
    assert torch.equal(sliding_window_mask(5, 2, causal=True), m.tril())
    with pytest.raises(ValueError):
        sliding_window_mask(5, 0)
