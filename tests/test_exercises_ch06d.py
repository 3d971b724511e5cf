from seqattn_lib.exercises.ch06d import SOLUTIONS, check_attention_pool


def pool_no_mask(h, query, mask):
    w = (h @ query / h.shape[-1] ** 0.5).softmax(-1)
    return (w[:, :, None] * h).sum(1), w


def pool_no_scale(h, query, mask):
    w = (h @ query).masked_fill(~mask, float("-inf")).softmax(-1)
    return (w[:, :, None] * h).sum(1), w


def test_attention_pool():
    assert check_attention_pool(SOLUTIONS["attention_pool"])
    assert not check_attention_pool(pool_no_mask)
    assert not check_attention_pool(pool_no_scale)
    assert not check_attention_pool(lambda h, q, m: None)
    assert not check_attention_pool(lambda h, q, m: 1 / 0)
    assert not check_attention_pool("garbage")
