from collections import Counter

from seqattn_lib.exercises.ch06b import check_attention_pool, check_hit_rate_at_k, check_rouge2_f1


def pool_ref(h, query, mask):
    scores = (h @ query / h.shape[-1] ** 0.5).masked_fill(~mask, float("-inf"))
    w = scores.softmax(-1)
    return (w[:, :, None] * h).sum(1), w


def pool_no_mask(h, query, mask):
    w = (h @ query / h.shape[-1] ** 0.5).softmax(-1)
    return (w[:, :, None] * h).sum(1), w


def pool_no_scale(h, query, mask):
    w = (h @ query).masked_fill(~mask, float("-inf")).softmax(-1)
    return (w[:, :, None] * h).sum(1), w


def test_attention_pool():
    assert check_attention_pool(pool_ref)
    assert not check_attention_pool(pool_no_mask)
    assert not check_attention_pool(pool_no_scale)
    assert not check_attention_pool(lambda h, q, m: None)
    assert not check_attention_pool(lambda h, q, m: 1 / 0)
    assert not check_attention_pool("garbage")


def hit_ref(scores, targets, k):
    return (scores.topk(k, -1).indices == targets[:, None]).any(-1).float().mean().item()


def test_hit_rate_at_k():
    assert check_hit_rate_at_k(hit_ref)
    assert not check_hit_rate_at_k(lambda s, t, k: (s.argmax(-1) == t).float().mean().item())  # ignores k
    lowest = lambda s, t, k: (s.topk(k, -1, largest=False).indices == t[:, None]).any(-1).float().mean().item()  # noqa: E731
    assert not check_hit_rate_at_k(lowest)
    assert not check_hit_rate_at_k(lambda s, t, k: "0.5")
    assert not check_hit_rate_at_k(lambda s, t, k: s[99])


def rouge2_ref(c, r):
    gc, gr = Counter(zip(c, c[1:])), Counter(zip(r, r[1:]))
    o = sum((gc & gr).values())
    return 0.0 if o == 0 else 2 * o / (sum(gc.values()) + sum(gr.values()))


def rouge2_unclipped(c, r):
    gr = set(zip(r, r[1:]))
    o = sum(g in gr for g in zip(c, c[1:]))
    n_c, n_r = max(len(c) - 1, 1), max(len(r) - 1, 1)
    return 0.0 if o == 0 else 2 * o / (n_c + n_r)


def test_rouge2_f1():
    assert check_rouge2_f1(rouge2_ref)
    assert not check_rouge2_f1(rouge2_unclipped)
    assert not check_rouge2_f1(lambda c, r: len(set(c) & set(r)) / len(set(r)))  # unigram recall
    assert not check_rouge2_f1(lambda c, r: None)
