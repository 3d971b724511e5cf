from seqattn_lib.exercises.ch06e import SOLUTIONS, check_hit_rate_at_k


def test_hit_rate_at_k():
    assert check_hit_rate_at_k(SOLUTIONS["hit_rate_at_k"])
    assert not check_hit_rate_at_k(lambda s, t, k: (s.argmax(-1) == t).float().mean().item())  # ignores k
    lowest = lambda s, t, k: (s.topk(k, -1, largest=False).indices == t[:, None]).any(-1).float().mean().item()  # noqa: E731
    assert not check_hit_rate_at_k(lowest)
    assert not check_hit_rate_at_k(lambda s, t, k: "0.5")
    assert not check_hit_rate_at_k(lambda s, t, k: s[99])


def test_mean_reciprocal_rank():
    from seqattn_lib.exercises.ch06e import check_mean_reciprocal_rank

    def zero_based(s, t):  # rank 0 for the best item: division by zero
        return (1.0 / (s > s.gather(1, t[:, None])).sum(1)).mean().item()

    def ties_count_against(s, t):  # >= instead of >: a tie (or the target itself) pushes it down
        return (1.0 / (s >= s.gather(1, t[:, None])).sum(1).clamp_min(1)).mean().item()

    def lowest_first(s, t):
        return (1.0 / (1 + (s < s.gather(1, t[:, None])).sum(1))).mean().item()

    def mean_rank(s, t):  # 1 / mean rank instead of mean of 1 / rank
        return 1.0 / (1 + (s > s.gather(1, t[:, None])).sum(1)).float().mean().item()

    assert check_mean_reciprocal_rank(SOLUTIONS["mean_reciprocal_rank"])
    for wrong in (zero_based, ties_count_against, lowest_first, mean_rank, lambda s, t: "1"):
        assert not check_mean_reciprocal_rank(wrong)
