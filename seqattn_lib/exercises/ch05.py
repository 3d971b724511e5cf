"""Checkers for chapter 5 (the Transformer).

* :func:`check_sinusoidal_encoding`: ``pe(n_positions, d_model) -> (n_positions, d_model)``.
* :func:`check_causal_mask`: ``mask(n) -> (n, n)`` bool, ``True`` where a query may attend.
* :func:`check_pre_norm_block`: ``block(x, attn, ff, norm1, norm2) -> (batch, n, d_model)``.
* :func:`check_kv_cache_update`: ``update(K, V, K_new, V_new) -> (K, V)`` concatenated on time.
"""

from __future__ import annotations

import torch

from ..attention import causal_mask as _reference_causal_mask
from ..transformer import EncoderLayer
from ..transformer import kv_cache_update as _reference_kv_cache_update
from ..transformer import sinusoidal_encoding as _reference_sinusoidal_encoding
from . import CheckResult, ExerciseFailure, call, expect_close, expect_mask, run_checks


def check_sinusoidal_encoding(fn) -> CheckResult:
    """Check ``fn(n_positions, d_model)`` against ``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``."""

    def case(n, d):
        def check(candidate):
            want = _reference_sinusoidal_encoding(n, d)
            expect_close(call(candidate, n, d), want, what=f"PE for n_positions={n}, d_model={d}")
        return check

    return run_checks("sinusoidal_encoding", fn, [case(1, 2), case(10, 4), case(64, 16), case(30, 32), case(700, 6)])


def check_causal_mask(fn) -> CheckResult:
    """Check ``fn(n)``: an ``(n, n)`` bool tensor, ``True`` at ``(i, j)`` exactly when ``j <= i``."""

    def case(n):
        def check(candidate):
            got = call(candidate, n)
            expect_mask(got, _reference_causal_mask(n), f"mask for n={n} (query i may attend to keys j <= i)")
        return check

    return run_checks("causal_mask", fn, [case(1), case(4), case(9), case(700)])


def check_pre_norm_block(fn) -> CheckResult:
    """Check ``fn(x, attn, ff, norm1, norm2)`` against a pre-norm :class:`EncoderLayer`.

    ``attn(h)`` returns the self-attention of ``h (batch, n, d_model)`` (a tensor), ``ff`` is
    the feed-forward net and ``norm1``, ``norm2`` the layer norms.
    """

    def case(seed, batch, n, d_model, n_heads):
        def check(candidate):
            torch.manual_seed(seed)
            layer = EncoderLayer(d_model, n_heads, 2 * d_model, norm_first=True)
            for p in layer.parameters():  # non-trivial norms, so LN placement matters
                torch.nn.init.normal_(p, std=0.3)
            x = torch.randn(batch, n, d_model)

            def attn(h):
                return layer.self_attn(h, h, h)[0]

            with torch.no_grad():
                want = layer(x)
                got = call(candidate, x, attn, layer.ff, layer.norm1, layer.norm2)
            expect_close(got, want, what="block output", atol=1e-4)
        return check

    return run_checks("pre_norm_block", fn, [case(0, 1, 3, 8, 2), case(1, 2, 5, 16, 4), case(2, 3, 11, 24, 3)])


def check_kv_cache_update(fn) -> CheckResult:
    """Check ``fn(K, V, K_new, V_new)``: with ``K is None`` return the new ones, else concatenate on time (dim 2)."""

    def case(empty, t, t_new):
        def check(candidate):
            g = torch.Generator().manual_seed(t + 10 * t_new)
            K, V = (None, None) if empty else torch.randn(2, 2, 3, t, 4, generator=g).unbind(0)
            K_new, V_new = torch.randn(2, 3, t_new, 4, generator=g), torch.randn(2, 3, t_new, 4, generator=g)
            want = _reference_kv_cache_update(K, V, K_new, V_new)
            args = (K, V, K_new, V_new)
            got = candidate(*[a.clone() if a is not None else None for a in args])
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise ExerciseFailure(f"should return a pair (K, V), got {type(got).__name__}")
            state = "an empty cache" if empty else f"a cache of {t} steps"
            expect_close(got[0], want[0], what=f"K after adding {t_new} step(s) to {state}")
            expect_close(got[1], want[1], what=f"V after adding {t_new} step(s) to {state}")
        return check

    return run_checks(
        "kv_cache_update", fn, [case(True, 0, 3), case(False, 3, 1), case(False, 5, 2), case(False, 40, 7)]
    )


# ---------------------------------------------------------------- reference solutions (shown in the book)
def sinusoidal_encoding(n_positions, d_model):
    p = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (n_positions, 1)
    angle = p / 10000 ** (torch.arange(0, d_model, 2) / d_model)  # (n_positions, d_model / 2)
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe


def causal_mask(n):
    i = torch.arange(n)
    return i[None, :] <= i[:, None]  # key j <= query i


def pre_norm_block(x, attn, ff, norm1, norm2):
    x = x + attn(norm1(x))
    return x + ff(norm2(x))


def kv_cache_update(K, V, K_new, V_new):
    if K is None:
        return K_new, V_new
    return torch.cat([K, K_new], dim=2), torch.cat([V, V_new], dim=2)  # time is dim 2


HINTS = {
    "sinusoidal_encoding": "Build a (n_positions, 1) column of positions and a row of frequencies "
    "1 / 10000^(2i/d_model); sines go in the even columns, cosines in the odd ones.",
    "causal_mask": "Start from an (n, n) tensor of True and keep a triangle: query i may see keys 0..i.",
    "pre_norm_block": "In a pre-norm block the norm is applied to the input of each sub-layer, and the "
    "residual adds the un-normalised input back.",
    "kv_cache_update": "The time axis of K and V is dimension 2; an empty cache is None.",
}
SOLUTIONS = {
    "sinusoidal_encoding": sinusoidal_encoding,
    "causal_mask": causal_mask,
    "pre_norm_block": pre_norm_block,
    "kv_cache_update": kv_cache_update,
}
