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


def test_masked_mean_pool():
    import torch

    from seqattn_lib.exercises.ch06d import check_masked_mean_pool

    def plain_mean(h, mask):  # averages the padding too
        w = torch.full(mask.shape, 1 / mask.shape[1])
        return (w[..., None] * h).sum(1), w

    def zeroed_but_divided_by_T(h, mask):
        w = mask.float() / mask.shape[1]
        return (w[..., None] * h).sum(1), w

    def softmax_of_mask(h, mask):  # exp(1) and exp(0): padding still gets weight
        w = mask.float().softmax(-1)
        return (w[..., None] * h).sum(1), w

    def sum_not_mean(h, mask):
        w = mask.float()
        return (w[..., None] * h).sum(1), w

    assert check_masked_mean_pool(SOLUTIONS["masked_mean_pool"])
    for wrong in (plain_mean, zeroed_but_divided_by_T, softmax_of_mask, sum_not_mean, lambda h, m: h.mean(1)):
        assert not check_masked_mean_pool(wrong)


def test_ctc_collapse():
    import torch

    from seqattn_lib.exercises.ch06d import check_ctc_collapse

    def blanks_first(path):  # drops blanks before merging: [3, 3, 0, 3] -> [3]
        return [int(x) for x in torch.unique_consecutive(path[path != 0])]

    def no_merge(path):
        return [int(x) for x in path if x != 0]

    def set_of_labels(path):  # unique over the whole path, not consecutive runs
        return [int(x) for x in torch.unique(path) if x != 0]

    def keeps_blanks(path):
        return [int(x) for x in torch.unique_consecutive(path)]

    assert check_ctc_collapse(SOLUTIONS["ctc_collapse"])
    for wrong in (blanks_first, no_merge, set_of_labels, keeps_blanks, lambda p: [float(x) for x in p]):
        assert not check_ctc_collapse(wrong)
