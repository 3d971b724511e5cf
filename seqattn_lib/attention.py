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
* A query whose keys are *all* masked gets all-zero weights and a zero output, never NaN.
* Every function returns ``(output, weights)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_tensor


def _check_qkv(q, k, v, mask):
    check_tensor(q, "q", dtype="float")
    if q.dim() < 2:
        raise ValueError(f"q must have shape (..., n_q, d_k), got {tuple(q.shape)}")
    check_tensor(k, "k", dtype="float")
    check_tensor(v, "v", dtype="float")
    if k.dim() != q.dim() or v.dim() != q.dim():
        raise ValueError(
            f"q, k, v must have the same number of dimensions, got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have shape (..., n_k, d_k={q.shape[-1]}) like q, got {tuple(k.shape)}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have shape (..., n_k={k.shape[-2]}, d_v) like k, got {tuple(v.shape)}")
    if mask is not None:
        check_tensor(mask, "mask", dtype="bool")
        try:
            scores_shape = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]) + (q.shape[-2], k.shape[-2])
        except RuntimeError:
            raise ValueError(f"q and k batch dimensions differ: {tuple(q.shape)} vs {tuple(k.shape)}") from None
        try:
            if torch.broadcast_shapes(mask.shape, scores_shape) != scores_shape:
                raise RuntimeError
        except RuntimeError:
            raise ValueError(
                f"mask must be bool and broadcastable to the scores' shape {tuple(scores_shape)} "
                f"(..., n_q, n_k), got {tuple(mask.shape)}"
            ) from None


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
    if mask is None:
        return torch.softmax(scores, dim=-1)
    check_tensor(mask, "mask", dtype="bool")
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
    scores = q @ k.transpose(-2, -1)  # (..., n_q, n_k)
    if scale:
        scores = scores / math.sqrt(q.shape[-1])
    weights = masked_softmax(scores, mask)
    if dropout_p > 0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ v, weights


class AdditiveAttention(nn.Module):
    """Additive attention (Bahdanau et al., 2015): ``score(q, k) = w_v^T tanh(W_q q + W_k k)``.

    Args:
        d_q: query size; d_k: key size; d_hidden: size of the hidden layer.

    ``forward(q, k, v, mask)`` takes ``q (batch, n_q, d_q)``, ``k (batch, n_k, d_k)``,
    ``v (batch, n_k, d_v)`` and returns ``(output (batch, n_q, d_v), weights (batch, n_q, n_k))``.
    """

    def __init__(self, d_q: int, d_k: int, d_hidden: int):
        super().__init__()
        self.W_q = nn.Linear(d_q, d_hidden, bias=False)
        self.W_k = nn.Linear(d_k, d_hidden, bias=False)
        self.w_v = nn.Linear(d_hidden, 1, bias=False)

    def forward(self, q, k, v, mask=None):
        for x, name, d in ((q, "q", self.W_q.in_features), (k, "k", self.W_k.in_features)):
            check_tensor(x, name, ("batch", None, d), dtype="float")
        check_tensor(v, "v", (k.shape[0], k.shape[1], None), dtype="float")
        # (batch, n_q, 1, h) + (batch, 1, n_k, h) -> (batch, n_q, n_k, h) -> (batch, n_q, n_k)
        scores = self.w_v(torch.tanh(self.W_q(q)[:, :, None] + self.W_k(k)[:, None])).squeeze(-1)
        if mask is not None:
            check_tensor(mask, "mask", dtype="bool")
        weights = masked_softmax(scores, mask)
        return weights @ v, weights


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

    ``forward(q, k, v, mask=None, need_weights=True)``: ``q (batch, n_q, d_model)``,
    ``k, v (batch, n_k, d_model)``, ``mask`` bool broadcastable to
    ``(batch, n_heads, n_q, n_k)`` with ``True`` = may attend. Returns
    ``(output (batch, n_q, d_model), weights (batch, n_heads, n_q, n_k) or None)``.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads, self.d_k = d_model, n_heads, d_model // n_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d_model)) if bias else None
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, n, d_model)`` -> ``(batch, n_heads, n, d_k)``."""
        b, n, _ = x.shape
        return x.view(b, n, self.n_heads, self.d_k).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, n_heads, n, d_k)`` -> ``(batch, n, d_model)``."""
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, self.d_model)

    def forward(self, q, k, v, mask=None, need_weights=True):
        dims = check_tensor(q, "q", ("batch", "n_q", self.d_model), dtype="float")
        check_tensor(k, "k", ("batch", "n_k", self.d_model), dims, dtype="float")
        check_tensor(v, "v", ("batch", "n_k", self.d_model), dims, dtype="float")
        W_Q, W_K, W_V = self.in_proj_weight.chunk(3)
        b_Q, b_K, b_V = self.in_proj_bias.chunk(3) if self.in_proj_bias is not None else (None,) * 3
        Q = self.split_heads(F.linear(q, W_Q, b_Q))  # (batch, n_heads, n_q, d_k)
        K = self.split_heads(F.linear(k, W_K, b_K))  # (batch, n_heads, n_k, d_k)
        V = self.split_heads(F.linear(v, W_V, b_V))  # (batch, n_heads, n_k, d_k)
        p = self.dropout if self.training else 0.0
        if mask is not None and mask.dim() == 3:
            mask = mask[:, None]  # (batch, n_q, n_k) -> (batch, 1, n_q, n_k), shared by heads
        heads, weights = scaled_dot_product_attention(Q, K, V, mask, dropout_p=p)
        out = self.out_proj(self.merge_heads(heads))
        return out, (weights if need_weights else None)
