import torch

from seqattn_lib.exercises.ch06c import SOLUTIONS, check_attention_pool


def test_attention_pool():
    assert check_attention_pool(SOLUTIONS["attention_pool"])
    assert not check_attention_pool(lambda e, q: (e.mean(1), torch.full(e.shape[:2], 1 / e.shape[1])))
    def pool_wrong_axis(e, q):  # softmax over the batch instead of the tokens
        w = torch.softmax(e @ q, dim=0)
        return (w[:, :, None] * e).sum(1), w

    assert not check_attention_pool(pool_wrong_axis)
    assert not check_attention_pool(lambda e, q: e)
    assert not check_attention_pool(lambda e, q: None)
