"""Attention: score functions, masked softmax, and multi-head attention.

Introduced in chapter 2; used by chapters 4 (seq2seq), 5 (Transformer), 6 and 7.

Conventions (all batch-first):

* queries ``q``: ``(batch, n_q, d_k)``; keys ``k``: ``(batch, n_k, d_k)``;
  values ``v``: ``(batch, n_k, d_v)``. Extra leading dimensions (e.g. heads) are allowed
  where stated.
* ``mask``: bool, ``True`` where a query **may** attend to a key, broadcastable to the
  scores ``(batch, n_q, n_k)``. (The same meaning as a bool ``attn_mask`` of
  ``torch.nn.functional.scaled_dot_product_attention``, and the opposite of
  ``nn.MultiheadAttention``'s ``key_padding_mask``.)
* A query whose keys are *all* masked gets all-zero weights and a zero output, never NaN
  (and zero gradients).
* Every function returns ``(output, weights)``.

Score functions (chapter 2), all followed by the same masked softmax and weighted sum:

=================================  ==========================================  ===========================
score(q, k)                        name                                        here
=================================  ==========================================  ===========================
``w_v^T tanh(W_q q + W_k k)``      additive (Bahdanau et al., 2015)            :class:`AdditiveAttention`
``q^T k``                          dot product (Luong et al., 2015)            :func:`dot_product_attention`
``q^T k / sqrt(d_k)``              scaled dot product (Vaswani et al., 2017)   :func:`scaled_dot_product_attention`
``q^T W_a k``                      bilinear, Luong's "general"                 :class:`BilinearAttention`
=================================  ==========================================  ===========================
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import ArgumentTypeError, check_int, check_positive_int, check_probability, check_tensor


def _check_mask(mask: torch.Tensor, scores_shape: tuple[int, ...], what: str = "(..., n_q, n_k)") -> None:
    """Raise unless ``mask`` is a bool tensor broadcastable to ``scores_shape``."""
    check_tensor(mask, "mask", dtype="bool")
    try:
        if torch.broadcast_shapes(mask.shape, scores_shape) != tuple(scores_shape):
            raise RuntimeError
    except RuntimeError:
        raise ValueError(
            f"mask must be bool and broadcastable to the scores' shape {tuple(scores_shape)} "
            f"{what}, got {tuple(mask.shape)}"
        ) from None


def _check_qkv(q, k, v, mask):
    check_tensor(q, "q", dtype="float")
    if q.dim() < 2:
        raise ValueError(f"q must have shape (..., n_q, d_k), got {tuple(q.shape)}")
    check_tensor(k, "k", dtype="float", device=q.device)
    check_tensor(v, "v", dtype="float", device=q.device)
    if k.dim() != q.dim() or v.dim() != q.dim():
        raise ValueError(
            f"q, k, v must have the same number of dimensions, got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    if k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError(f"q, k, v must have the same dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have shape (..., n_k, d_k={q.shape[-1]}) like q, got {tuple(k.shape)}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have shape (..., n_k={k.shape[-2]}, d_v) like k, got {tuple(v.shape)}")
    try:
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"q, k, v batch dimensions differ: {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        ) from None
    if mask is not None:
        _check_mask(mask, batch + (q.shape[-2], k.shape[-2]))


def causal_mask(n_q: int, n_k: int | None = None, device: torch.device | str | None = None) -> torch.Tensor:
    """``(n_q, n_k)`` bool mask, ``True`` where key ``j <= i``: query ``i`` sees no future key.

    With ``n_k > n_q`` the queries are taken as the *last* ``n_q`` positions (as when
    decoding with a cache of earlier keys).
    """
    n_q = check_positive_int(n_q, "n_q")
    n_k = n_q if n_k is None else check_positive_int(n_k, "n_k")
    if n_k < n_q:
        raise ValueError(f"n_k must be at least n_q={n_q} (the queries are the last n_q positions), got {n_k}")
    return torch.ones(n_q, n_k, dtype=torch.bool, device=device).tril(diagonal=n_k - n_q)


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``(batch, max_len)`` bool mask, ``True`` at real tokens: ``mask[b, t] = t < lengths[b]``.

    Args:
        lengths: ``(batch,)`` integer lengths, each in ``[0, max_len]``.
        max_len: width of the mask (default ``lengths.max()``).

    As a key mask for attention, add the query axis: ``padding_mask(lengths)[:, None, :]``
    is ``(batch, 1, n_k)`` and broadcasts over the queries (and heads).
    """
    check_tensor(lengths, "lengths", ("batch",), dtype="int")
    if max_len is not None:
        check_int(max_len, "max_len", 0)
    lo, hi = torch.stack(torch.aminmax(lengths)).tolist() if len(lengths) else (0, 0)
    if lo < 0:
        raise ValueError(f"lengths must be non-negative, got {lo}")
    if max_len is None:
        max_len = hi
    elif hi > max_len:
        raise ValueError(f"lengths must be at most max_len={max_len}, got {hi}")
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def sliding_window_mask(n: int, window: int, causal: bool = False) -> torch.Tensor:
    """Local attention mask: query ``i`` may attend to key ``j`` when ``|i - j| < window``.

    Args:
        n: sequence length; window: how far (in positions) a query sees, ``>= 1``.
        causal: also forbid keys after the query (``j > i``).

    Returns:
        ``(n, n)`` bool mask, ``True`` = may attend.
    """
    check_positive_int(n, "n")
    check_positive_int(window, "window")
    i = torch.arange(n)[:, None]  # query positions
    j = torch.arange(n)[None, :]  # key positions
    mask = (i - j).abs() < window
    return mask & (j <= i) if causal else mask


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax over the last axis (the keys), ignoring masked positions.

    Args:
        scores: ``(..., n_q, n_k)`` float scores.
        mask: bool, broadcastable to ``scores``; ``True`` = keep.

    Returns:
        Weights of the same shape as ``scores``; each row sums to 1 over its kept
        keys, or is all zeros if every key of that row is masked.
    """
    check_tensor(scores, "scores", dtype="float")
    if scores.dim() < 1:
        raise ValueError("scores must have at least one dimension (..., n_k)")
    if mask is None:
        return torch.softmax(scores, dim=-1)
    _check_mask(mask, tuple(scores.shape), "(scores' shape)")
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights.nan_to_num(0.0)  # rows with every key masked: 0/0 -> 0


def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    scale: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(q k^T / sqrt(d_k)) v`` (Vaswani et al., 2017).

    Args:
        q: ``(..., n_q, d_k)``; k: ``(..., n_k, d_k)``; v: ``(..., n_k, d_v)``.
        mask: bool, broadcastable to ``(..., n_q, n_k)``; ``True`` = may attend.
        dropout_p: dropout on the weights (applied only when > 0).
        scale: divide the scores by ``sqrt(d_k)`` (``False`` gives plain dot-product attention).

    Returns:
        ``(output, weights)``: ``(..., n_q, d_v)`` and ``(..., n_q, n_k)``.
    """
    _check_qkv(q, k, v, mask)
    dropout_p = check_probability(dropout_p, "dropout_p")
    scores = q @ k.transpose(-2, -1)  # (..., n_q, n_k)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    weights = masked_softmax(scores, mask)
    if dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights


def dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(q k^T) v``: dot-product attention without the ``1/sqrt(d_k)`` scale (Luong "dot").

    Shapes as in :func:`scaled_dot_product_attention`; returns ``(output, weights)``.
    """
    return scaled_dot_product_attention(q, k, v, mask, dropout_p=dropout_p, scale=False)


def _check_module_inputs(q, k, v, mask, d_q: int, d_k: int, W: torch.Tensor) -> None:
    """Check ``q (batch, n_q, d_q)``, ``k (batch, n_k, d_k)``, ``v (batch, n_k, d_v)`` (``v=None``: skip v and
    ``mask``) and ``mask``; the tensors must have the dtype and device of the module's weight ``W``."""
    dims = check_tensor(q, "q", ("batch", "n_q", d_q), dtype=W.dtype, device=W.device)
    check_tensor(k, "k", ("batch", "n_k", d_k), dims, dtype=W.dtype, device=W.device)
    if v is None:
        return
    check_tensor(v, "v", ("batch", "n_k", None), dims, dtype=W.dtype, device=W.device)
    if mask is not None:
        _check_mask(mask, (dims["batch"], dims["n_q"], dims["n_k"]), "(batch, n_q, n_k)")


class AdditiveAttention(nn.Module):
    """Additive attention (Bahdanau et al., 2015): ``score(q, k) = w_v^T tanh(W_q q + W_k k)``.

    Args:
        d_q: query size; d_k: key size; d_hidden: size of the hidden layer.
        dropout: dropout on the weights while training.

    ``forward(q, k, v, mask)`` takes ``q (batch, n_q, d_q)``, ``k (batch, n_k, d_k)``,
    ``v (batch, n_k, d_v)`` and returns ``(output (batch, n_q, d_v), weights (batch, n_q, n_k))``.
    """

    def __init__(self, d_q: int, d_k: int, d_hidden: int, dropout: float = 0.0):
        super().__init__()
        for value, name in ((d_q, "d_q"), (d_k, "d_k"), (d_hidden, "d_hidden")):
            check_positive_int(value, name)
        self.dropout = check_probability(dropout, "dropout")
        self.W_q = nn.Linear(d_q, d_hidden, bias=False)
        self.W_k = nn.Linear(d_k, d_hidden, bias=False)
        self.w_v = nn.Linear(d_hidden, 1, bias=False)

    def score(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_q, n_k)`` for ``q (batch, n_q, d_q)`` and ``k (batch, n_k, d_k)``."""
        _check_module_inputs(q, k, None, None, self.W_q.in_features, self.W_k.in_features, self.W_q.weight)
        # (batch, n_q, 1, h) + (batch, 1, n_k, h) -> (batch, n_q, n_k, h) -> (batch, n_q, n_k)
        return self.w_v(torch.tanh(self.W_q(q)[:, :, None] + self.W_k(k)[:, None])).squeeze(-1)

    def forward(self, q, k, v, mask=None):
        _check_module_inputs(q, k, v, mask, self.W_q.in_features, self.W_k.in_features, self.W_q.weight)
        weights = masked_softmax(self.score(q, k), mask)
        weights = F.dropout(weights, p=self.dropout, training=self.training)
        return weights @ v, weights


class BilinearAttention(nn.Module):
    """Bilinear attention, Luong et al.'s (2015) "general" score: ``score(q, k) = q^T W_a k``.

    Args:
        d_q: query size; d_k: key size (they may differ: ``W_a`` is ``(d_q, d_k)``).
        dropout: dropout on the weights while training.

    ``forward(q, k, v, mask)`` takes ``q (batch, n_q, d_q)``, ``k (batch, n_k, d_k)``,
    ``v (batch, n_k, d_v)`` and returns ``(output (batch, n_q, d_v), weights (batch, n_q, n_k))``.
    With ``W_a`` the identity it is plain dot-product attention.
    """

    def __init__(self, d_q: int, d_k: int, dropout: float = 0.0):
        super().__init__()
        check_positive_int(d_q, "d_q")
        check_positive_int(d_k, "d_k")
        self.dropout = check_probability(dropout, "dropout")
        self.W_a = nn.Parameter(torch.empty(d_q, d_k))
        nn.init.xavier_uniform_(self.W_a)

    def score(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_q, n_k)`` for ``q (batch, n_q, d_q)`` and ``k (batch, n_k, d_k)``."""
        _check_module_inputs(q, k, None, None, *self.W_a.shape, self.W_a)
        return (q @ self.W_a) @ k.transpose(-2, -1)

    def forward(self, q, k, v, mask=None):
        _check_module_inputs(q, k, v, mask, *self.W_a.shape, self.W_a)
        weights = masked_softmax(self.score(q, k), mask)
        weights = F.dropout(weights, p=self.dropout, training=self.training)
        return weights @ v, weights


class DotProductAttention(nn.Module):
    """Parameter-free dot-product attention as a module: ``softmax(q k^T / sqrt(d_k)) v``.

    Args:
        scaled: divide the scores by ``sqrt(d_k)`` (Vaswani) or not (Luong "dot").
        dropout: dropout on the weights while training.

    ``forward(q, k, v, mask)``: shapes as in :func:`scaled_dot_product_attention`.
    """

    def __init__(self, scaled: bool = True, dropout: float = 0.0):
        super().__init__()
        if not isinstance(scaled, bool):
            raise ValueError(f"scaled must be True or False, got {scaled!r}")
        self.scaled = scaled
        self.dropout = check_probability(dropout, "dropout")

    def forward(self, q, k, v, mask=None):
        p = self.dropout if self.training else 0.0
        return scaled_dot_product_attention(q, k, v, mask, dropout_p=p, scale=self.scaled)


class AttentionPooling(nn.Module):
    """Attention pooling: one learned query ``u`` summarises a sequence ``x_1 .. x_n`` in one vector.

    ``a = softmax_j score(u, x_j)`` and ``c = sum_j a_j x_j``, with the scaled dot product
    ``u^T x_j / sqrt(d)`` (``score="scaled_dot"``) or the additive score of
    :class:`AdditiveAttention` (``score="additive"``, hidden size ``d_hidden``, default ``d``).
    The query starts at zero (with the scaled dot product the first weights are then
    uniform: pooling starts as the mean of the real positions). ``score="mean"`` keeps the
    query at zero for good (a buffer, not a parameter): every real position scores the
    same, and pooling is the plain mean, the baseline attention pooling is measured against.

    ``forward(x, mask=None)``: ``x (batch, n, d)``, ``mask (batch, n)`` bool, ``True`` at
    real positions. Returns ``(c (batch, d), a (batch, n))``.
    """

    def __init__(self, d: int, score: str = "scaled_dot", d_hidden: int | None = None):
        super().__init__()
        self.d = check_positive_int(d, "d")
        if score not in ("scaled_dot", "additive", "mean"):
            raise ValueError(f"score must be 'scaled_dot', 'additive' or 'mean', got {score!r}")
        if score != "additive" and d_hidden is not None:
            raise ValueError("d_hidden is only used with score='additive'")
        self.attention = AdditiveAttention(d, d, d if d_hidden is None else d_hidden) if score == "additive" else None
        if score == "mean":
            self.register_buffer("query", torch.zeros(1, 1, d))  # u = 0 for good: equal scores
        else:
            self.query = nn.Parameter(torch.zeros(1, 1, d))  # u

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        dims = check_tensor(x, "x", ("batch", "n", self.d), dtype=self.query.dtype, device=self.query.device)
        if mask is not None:
            check_tensor(mask, "mask", ("batch", "n"), dims, dtype="bool", device=x.device)
            mask = mask[:, None, :]  # (batch, 1, n): one query
        u = self.query.expand(len(x), 1, -1)  # (batch, 1, d)
        if self.attention is None:
            c, a = scaled_dot_product_attention(u, x, x, mask)
        else:
            c, a = self.attention(u, x, x, mask)
        return c[:, 0], a[:, 0]


class MultiHeadAttention(nn.Module):
    """Multi-head attention with the weight layout of ``torch.nn.MultiheadAttention``.

    ``n_heads`` heads run in parallel, each on its own ``d_k = d_model / n_heads``
    slice of the projected queries, keys and values; their outputs are concatenated and
    mixed by ``W_O``::

        head_i = softmax(q W_Q^i (k W_K^i)^T / sqrt(d_k)) v W_V^i
        output = concat(head_1, ..., head_h) W_O

    Parameters (same names and shapes as ``nn.MultiheadAttention``, so weights copy
    across): ``in_proj_weight (3 d_model, d_model)`` stacking ``W_Q, W_K, W_V``,
    ``in_proj_bias (3 d_model,)``, ``out_proj`` (``W_O``, a ``Linear(d_model, d_model)``).
    Given ``d_k``, the heads are ``d_k`` wide whatever ``d_model`` is: the projections then
    have ``n_heads d_k`` rows (``W_O`` as many columns), as in a layer with some heads pruned
    (chapter 7's :func:`~seqattn_lib.efficiency.prune_heads`).

    ``forward(q, k, v, mask=None, need_weights=True, cache=None)``: ``q (batch, n_q, d_model)``,
    ``k, v (batch, n_k, d_model)``, ``mask`` bool broadcastable to
    ``(batch, n_heads, n_q, n_k)`` with ``True`` = may attend (a 3-D mask
    ``(batch, n_q, n_k)`` is shared by all heads). Returns
    ``(output (batch, n_q, d_model), weights (batch, n_heads, n_q, n_k) or None)``.

    With ``need_weights=False`` the heads are computed by PyTorch's fused
    ``F.scaled_dot_product_attention`` (the fast path), with the same result; a query
    whose keys are all masked still gets a zero output. (With a mask on Apple's MPS the
    explicit path runs instead: see :mod:`seqattn_lib.runtime`.)

    ``cache`` (self-attention while generating, e.g. a :class:`~seqattn_lib.transformer.KVCache`):
    any object whose ``update(K_new, V_new)`` appends the new keys and values
    ``(batch, n_heads, t_new, d_k)`` and returns all of them; the queries then attend to
    every cached position, and ``mask`` (if given) covers ``(n_q, t)``.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True, d_k: int | None = None):
        super().__init__()
        check_positive_int(d_model, "d_model")
        check_positive_int(n_heads, "n_heads")
        if d_k is None:
            if d_model % n_heads != 0:
                raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
            d_k = d_model // n_heads
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, check_positive_int(d_k, "d_k")
        width = n_heads * d_k  # d_model unless d_k is given (chapter 7's pruned layers are narrower)
        self.dropout = check_probability(dropout, "dropout")
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width)) if bias else None
        self.out_proj = nn.Linear(width, d_model, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, n, n_heads d_k)`` -> ``(batch, n_heads, n, d_k)`` (``n_heads d_k = d_model`` by default)."""
        check_tensor(x, "x", ("batch", "n", self.n_heads * self.d_k))
        b, n, _ = x.shape
        return x.view(b, n, self.n_heads, self.d_k).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, n_heads, n, d_k)`` -> ``(batch, n, n_heads d_k)``."""
        check_tensor(x, "x", ("batch", self.n_heads, "n", self.d_k))
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, self.n_heads * self.d_k)

    def project(self, q, k, v) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``Q = q W_Q, K = k W_K, V = v W_V`` (plus biases), split into heads: each ``(batch, n_heads, n, d_k)``."""
        self._check_inputs(q, k, v)
        if q is k and k is v:  # self-attention: one matrix product for W_Q, W_K, W_V together
            return tuple(map(self.split_heads, F.linear(q, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)))
        W_Q, W_K, W_V = self.in_proj_weight.chunk(3)
        b_Q, b_K, b_V = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None,) * 3
        return self.split_heads(F.linear(q, W_Q, b_Q)), self.split_heads(F.linear(k, W_K, b_K)), \
            self.split_heads(F.linear(v, W_V, b_V))

    def _check_inputs(self, q, k, v) -> dict[str, int]:
        """Check ``q (batch, n_q, d_model)``, ``k, v (batch, n_k, d_model)``, on the weights' dtype and device."""
        W = self.in_proj_weight
        dims = check_tensor(q, "q", ("batch", "n_q", self.d_model), dtype=W.dtype, device=W.device)
        check_tensor(k, "k", ("batch", "n_k", self.d_model), dims, dtype=W.dtype, device=W.device)
        check_tensor(v, "v", ("batch", "n_k", self.d_model), dims, dtype=W.dtype, device=W.device)
        return dims

    def forward(self, q, k, v, mask=None, need_weights=True, cache=None):
        dims = self._check_inputs(q, k, v)
        if cache is not None and not callable(getattr(cache, "update", None)):
            raise ArgumentTypeError(f"cache must have an update(K_new, V_new) method, got {type(cache).__name__}")
        Q, K, V = self.project(q, k, v)  # (batch, n_heads, n_q or n_k, d_k)
        if cache is not None:
            K, V = cache.update(K, V)  # (batch, n_heads, t, d_k): every position so far
            need_weights = True  # the cached path is the explicit one
        if mask is not None:
            check_tensor(mask, "mask", dtype="bool")
            if mask.dim() == 3:
                mask = mask[:, None]  # (batch, n_q, n_k) -> (batch, 1, n_q, n_k), shared by heads
            _check_mask(mask, (dims["batch"], self.n_heads, dims["n_q"], K.shape[2]), "(batch, n_heads, n_q, n_k)")
        p = self.dropout if self.training else 0.0
        if need_weights or (mask is not None and Q.device.type == "mps"):
            # On Apple's MPS, the fused kernel has given wrong outputs for a mask broadcast
            # over the heads, (batch, 1, n_q, n_k), which is the mask used here
            # (https://github.com/pytorch/pytorch/pull/184180): there the explicit path runs.
            heads, weights = scaled_dot_product_attention(Q, K, V, mask, dropout_p=p)
            return self.out_proj(self.merge_heads(heads)), (weights if need_weights else None)
        if mask is None:
            heads = F.scaled_dot_product_attention(Q, K, V, dropout_p=p)
        else:
            # Fused kernels may return NaN for a query with no visible key: let such a row
            # see every key, then zero its output, as the weights path does.
            empty = ~mask.any(dim=-1, keepdim=True)  # (..., n_q, 1)
            if empty.any():
                heads = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask | empty, dropout_p=p)
                heads = heads.masked_fill(empty, 0.0)
            else:
                heads = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask, dropout_p=p)
        return self.out_proj(self.merge_heads(heads)), None
