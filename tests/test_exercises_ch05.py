import torch

from seqattn_lib.exercises.ch05 import (
    SOLUTIONS,
    check_causal_mask,
    check_kv_cache_update,
    check_pre_norm_block,
    check_sinusoidal_encoding,
)


def garbage_raises(*args):
    raise RuntimeError("boom")


def garbage_none(*args):
    return None


def test_sinusoidal_encoding_checker():
    good = SOLUTIONS["sinusoidal_encoding"]

    def swapped(n, d):  # cos in the even dimensions
        return good(n, d).view(n, d // 2, 2).flip(-1).reshape(n, d)

    def wrong_base(n, d):
        p = torch.arange(n, dtype=torch.float32)[:, None]
        angle = p / 1000 ** (torch.arange(0, d, 2) / d)
        return torch.stack([torch.sin(angle), torch.cos(angle)], -1).reshape(n, d)

    def transposed(n, d):
        return good(n, d).T

    assert check_sinusoidal_encoding(good)
    for bad in (swapped, wrong_base, transposed, garbage_raises, garbage_none, 42):
        assert not check_sinusoidal_encoding(bad)


def test_causal_mask_checker():
    assert check_causal_mask(SOLUTIONS["causal_mask"])
    bad = [
        lambda n: torch.ones(n, n).triu().bool(),  # looks into the future
        lambda n: torch.ones(n, n).tril(-1).bool(),  # cannot see itself
        lambda n: torch.ones(n, n).tril(),  # float, not bool
        lambda n: torch.ones(n, n + 1, dtype=torch.bool).tril(),
        garbage_raises,
        garbage_none,
    ]
    for fn in bad:
        assert not check_causal_mask(fn)


def test_pre_norm_block_checker():
    def post_norm(x, attn, ff, norm1, norm2):
        x = norm1(x + attn(x))
        return norm2(x + ff(x))

    def no_residual(x, attn, ff, norm1, norm2):
        x = attn(norm1(x))
        return x + ff(norm2(x))

    def stale_input(x, attn, ff, norm1, norm2):  # feed-forward reads the block input
        return x + attn(norm1(x)) + ff(norm2(x))

    assert check_pre_norm_block(SOLUTIONS["pre_norm_block"])
    for bad in (post_norm, no_residual, stale_input, garbage_raises, garbage_none):
        assert not check_pre_norm_block(bad)


def test_kv_cache_update_checker():
    good = SOLUTIONS["kv_cache_update"]

    def prepends(K, V, K_new, V_new):
        if K is None:
            return K_new, V_new
        return torch.cat([K_new, K], 2), torch.cat([V_new, V], 2)

    def wrong_dim(K, V, K_new, V_new):
        if K is None:
            return K_new, V_new
        return torch.cat([K, K_new], 1), torch.cat([V, V_new], 1)

    def swaps(K, V, K_new, V_new):
        K, V = good(K, V, K_new, V_new)
        return V, K

    def crashes_on_empty(K, V, K_new, V_new):
        return torch.cat([K, K_new], 2), torch.cat([V, V_new], 2)

    assert check_kv_cache_update(good)
    for bad in (prepends, wrong_dim, swaps, crashes_on_empty, garbage_raises, garbage_none, lambda *a: 3):
        assert not check_kv_cache_update(bad)
