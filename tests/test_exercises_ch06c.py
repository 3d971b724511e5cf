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


def test_word_counts():
    import torch

    from seqattn_lib.exercises.ch06c import check_word_counts

    def ignores_mask(ids, mask, V):
        return torch.nn.functional.one_hot(ids, V).float().sum(1)

    def drops_id_zero(ids, mask, V):  # treats id 0 as padding instead of using the mask
        counts = torch.nn.functional.one_hot(ids, V).float().sum(1)
        counts[:, 0] = 0
        return counts

    def presence(ids, mask, V):  # 1 if the word occurs, not how often
        return ((torch.nn.functional.one_hot(ids, V) * mask[..., None]).sum(1) > 0).float()

    def frequencies(ids, mask, V):  # divides by the length
        counts = (torch.nn.functional.one_hot(ids, V) * mask[..., None]).sum(1).float()
        return counts / mask.sum(1, keepdim=True)

    assert check_word_counts(SOLUTIONS["word_counts"])
    for wrong in (ignores_mask, drops_id_zero, presence, frequencies, lambda i, m, V: None):
        assert not check_word_counts(wrong)


def test_cusum():
    from seqattn_lib.exercises.ch06c import check_cusum

    def running_sum(x, target, slack):  # never reset at 0
        return torch.cumsum(x - target - slack, 0)

    def no_slack(x, target, slack):
        return SOLUTIONS["cusum"](x, target, 0.0)

    def slack_added(x, target, slack):  # the sign of the slack reversed
        return SOLUTIONS["cusum"](x, target, -slack)

    def starts_with_zero(x, target, slack):  # S_{-1} = 0 included, the last item dropped
        return torch.cat([x.new_zeros(1), SOLUTIONS["cusum"](x, target, slack)[:-1]])

    def rolling_mean(x, target, slack):
        return torch.cumsum(x, 0) / torch.arange(1, len(x) + 1)

    assert check_cusum(SOLUTIONS["cusum"])
    for wrong in (running_sum, no_slack, slack_added, starts_with_zero, rolling_mean, lambda x, t, s: None):
        assert not check_cusum(wrong)
