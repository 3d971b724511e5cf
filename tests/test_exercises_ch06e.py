from seqattn_lib.exercises.ch06e import SOLUTIONS, check_hit_rate_at_k


def test_hit_rate_at_k():
    assert check_hit_rate_at_k(SOLUTIONS["hit_rate_at_k"])
    assert not check_hit_rate_at_k(lambda s, t, k: (s.argmax(-1) == t).float().mean().item())  # ignores k
    lowest = lambda s, t, k: (s.topk(k, -1, largest=False).indices == t[:, None]).any(-1).float().mean().item()  # noqa: E731
    assert not check_hit_rate_at_k(lowest)
    assert not check_hit_rate_at_k(lambda s, t, k: "0.5")
    assert not check_hit_rate_at_k(lambda s, t, k: s[99])
