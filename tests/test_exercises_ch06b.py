from seqattn_lib.exercises.ch06b import SOLUTIONS, check_seasonal_naive


def test_seasonal_naive():
    assert check_seasonal_naive(SOLUTIONS["seasonal_naive"])
    assert not check_seasonal_naive(lambda s, m, n: s[-n - 1 : -1])  # naive, not seasonal
    assert not check_seasonal_naive(lambda s, m, n: s[len(s) - n - m + 1 : len(s) - m + 1])  # off by one
    assert not check_seasonal_naive(lambda s, m, n: s[:n])
    assert not check_seasonal_naive(lambda s, m, n: "garbage")


def test_make_windows():
    import torch

    from seqattn_lib.exercises.ch06b import check_make_windows

    def overlapping_target(s, w):  # the window includes its own target
        idx = torch.arange(len(s) - w)[:, None] + torch.arange(1, w + 1)
        return s[idx], s[w:]

    assert check_make_windows(SOLUTIONS["make_windows"])
    assert not check_make_windows(overlapping_target)
    assert not check_make_windows(lambda s, w: (s.unfold(0, w, 1), s[w - 1 :]))  # one window too many
    assert not check_make_windows(lambda s, w: (s.unfold(0, w, 1)[:-1], s[w - 1 : -1]))  # target is the last input
    assert not check_make_windows(lambda s, w: (s.unfold(0, w, w), s[w::w]))  # non-overlapping windows
    assert not check_make_windows(lambda s, w: s.unfold(0, w, 1))  # no targets
