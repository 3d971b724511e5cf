import torch

from seqattn_lib.exercises.ch06a import check_attention_pool, check_seasonal_naive, check_sequence_accuracy


def test_sequence_accuracy():
    assert check_sequence_accuracy(lambda p, t: float((p == t).all(1).float().mean()))
    assert not check_sequence_accuracy(lambda p, t: float((p == t).float().mean()))  # word accuracy
    assert not check_sequence_accuracy(lambda p, t: float((p == t).any(1).float().mean()))
    assert not check_sequence_accuracy(lambda p, t: None)
    assert not check_sequence_accuracy(lambda p, t: 1 / 0)
    assert not check_sequence_accuracy("not a function")


def test_seasonal_naive():
    assert check_seasonal_naive(lambda s, m, n: s[len(s) - n - m : len(s) - m])
    assert not check_seasonal_naive(lambda s, m, n: s[-n - 1 : -1])  # naive, not seasonal
    assert not check_seasonal_naive(lambda s, m, n: s[len(s) - n - m + 1 : len(s) - m + 1])  # off by one
    assert not check_seasonal_naive(lambda s, m, n: s[:n])
    assert not check_seasonal_naive(lambda s, m, n: "garbage")


def test_attention_pool():
    def pool(e, q):
        w = torch.softmax(e @ q, dim=-1)
        return (w[:, :, None] * e).sum(1), w

    assert check_attention_pool(pool)
    assert not check_attention_pool(lambda e, q: (e.mean(1), torch.full(e.shape[:2], 1 / e.shape[1])))
    def pool_wrong_axis(e, q):  # softmax over the batch instead of the tokens
        w = torch.softmax(e @ q, dim=0)
        return (w[:, :, None] * e).sum(1), w

    assert not check_attention_pool(pool_wrong_axis)
    assert not check_attention_pool(lambda e, q: e)
    assert not check_attention_pool(lambda e, q: None)
