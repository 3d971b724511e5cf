from seqattn_lib.exercises.ch06b import SOLUTIONS, check_seasonal_naive


def test_seasonal_naive():
    assert check_seasonal_naive(SOLUTIONS["seasonal_naive"])
    assert not check_seasonal_naive(lambda s, m, n: s[-n - 1 : -1])  # naive, not seasonal
    assert not check_seasonal_naive(lambda s, m, n: s[len(s) - n - m + 1 : len(s) - m + 1])  # off by one
    assert not check_seasonal_naive(lambda s, m, n: s[:n])
    assert not check_seasonal_naive(lambda s, m, n: "garbage")
