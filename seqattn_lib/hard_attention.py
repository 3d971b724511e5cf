"""Stochastic hard attention: read one position, chosen at random from the attention weights.

Introduced in chapter 6.1 (image captioning), after *Show, Attend and Tell* (Xu et al., 2015).
Soft attention reads the expected value ``c = sum_j alpha_j v_j``; hard attention samples one
position ``s ~ Categorical(alpha)`` and reads ``c = v_s``. The sample is not differentiable in
the scores, so the scores are trained with one of two estimators:

* ``"reinforce"`` (Williams, 1992): ``grad E[L] = E[(L - b) grad log p(s)]``; the model adds
  :func:`reinforce_surrogate` to its loss, whose gradient is that estimate.
* ``"gumbel"`` (Jang et al., 2017): the forward pass uses the one-hot sample
  ``onehot(argmax_j (e_j + g_j))`` with Gumbel noise ``g_j``, the backward pass the gradient of
  ``softmax((e + g) / tau)`` (the straight-through estimator, biased but low-variance).

``"soft"`` reads the expectation (ordinary soft attention) and ``"argmax"`` the most likely
position (deterministic, for evaluation).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AdditiveAttention, masked_softmax
from .checks import check_finite, check_tensor

MODES = ("reinforce", "gumbel", "soft", "argmax")


def _check_mode(mode: object) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return mode


class HardAttention(nn.Module):
    """Additive-attention scores, then one position per query: sampled, relaxed, expected or argmax.

    Args:
        d_q: query size; d_k: key size; d_hidden: hidden size of the additive score
            (:class:`~seqattn_lib.attention.AdditiveAttention`).
        mode: how to read the values (one of ``"reinforce"``, ``"gumbel"``, ``"soft"``,
            ``"argmax"``); ``forward`` may override it per call.
        tau: temperature of the Gumbel-softmax backward pass (``> 0``).

    ``forward(q, k, v, mode=None)`` takes ``q (batch, n_q, d_q)``, ``k (batch, n_k, d_k)``,
    ``v (batch, n_k, d_v)`` and returns ``(output (batch, n_q, d_v), weights (batch, n_q, n_k),
    log_prob (batch, n_q))``: ``weights`` are the attention probabilities ``alpha``, ``log_prob``
    is ``log alpha_s`` of the position read (differentiable in the scores; for ``"soft"`` it is
    all zeros). Random draws use torch's global generator.
    """

    def __init__(self, d_q: int, d_k: int, d_hidden: int, mode: str = "reinforce", tau: float = 1.0):
        super().__init__()
        self.attention = AdditiveAttention(d_q, d_k, d_hidden)
        self.mode = _check_mode(mode)
        self.tau = check_finite(tau, "tau", positive=True)

    def forward(self, q, k, v, mode: str | None = None):
        mode = self.mode if mode is None else _check_mode(mode)
        W = self.attention.W_q.weight
        dims = check_tensor(q, "q", ("batch", "n_q", self.attention.W_q.in_features), dtype=W.dtype, device=W.device)
        check_tensor(k, "k", ("batch", "n_k", self.attention.W_k.in_features), dims, dtype=W.dtype, device=W.device)
        check_tensor(v, "v", ("batch", "n_k", None), dims, dtype=W.dtype, device=W.device)
        if k.dtype != q.dtype or v.dtype != q.dtype:
            raise ValueError(f"q, k, v must have the same dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
        scores = self.attention.score(q, k)  # e: (batch, n_q, n_k)
        alpha = masked_softmax(scores)  # (batch, n_q, n_k)
        if mode == "soft":
            return alpha @ v, alpha, torch.zeros(scores.shape[:2], dtype=v.dtype, device=v.device)
        if mode == "gumbel":
            # forward: exact one-hot sample; backward: gradient of softmax((e + g) / tau)
            one_hot = F.gumbel_softmax(scores, tau=self.tau, hard=True)  # (batch, n_q, n_k)
        else:
            if mode == "reinforce":
                s = torch.multinomial(alpha.detach().flatten(0, 1), 1).view(scores.shape[:2])  # (batch, n_q)
            else:  # argmax
                s = alpha.argmax(-1)
            one_hot = F.one_hot(s, scores.shape[-1]).to(v.dtype)  # no gradient flows through s
        log_prob = (one_hot.detach() * F.log_softmax(scores, -1)).sum(-1)  # log alpha_s: (batch, n_q)
        return one_hot @ v, alpha, log_prob


def reinforce_surrogate(
    loss: torch.Tensor, log_prob: torch.Tensor, baseline: torch.Tensor | float | None = None
) -> torch.Tensor:
    """A scalar whose gradient is the REINFORCE estimate ``mean_i (L_i - b) grad log p(s_i)``.

    Args:
        loss: ``(batch,)`` per-example loss ``L_i`` of the sampled positions (detached here).
        log_prob: ``(batch, ...)`` log-probabilities of the positions sampled for example ``i``
            (e.g. one per word, ``(batch, n_words)``); they are summed per example.
        baseline: ``b``: ``None`` (no baseline), a number, or a ``(batch,)`` tensor
            (detached here). It lowers the variance without biasing the estimate, as long as
            it does not depend on the sample ``s_i``.

    Returns:
        A scalar tensor; its value is meaningless, only its gradient counts. Add it to the
        differentiable part of the loss.
    """
    dims = check_tensor(loss, "loss", ("batch",), dtype="float")
    check_tensor(log_prob, "log_prob", dtype="float")
    if log_prob.dim() < 1 or log_prob.shape[0] != dims["batch"]:
        raise ValueError(f"log_prob must have shape (batch={dims['batch']}, ...), got {tuple(log_prob.shape)}")
    if baseline is None:
        baseline = 0.0
    elif isinstance(baseline, torch.Tensor):
        check_tensor(baseline, "baseline", ("batch",), dims, dtype="float")
        baseline = baseline.detach()
    else:
        baseline = check_finite(baseline, "baseline")
    advantage = loss.detach() - baseline  # (batch,)
    return (advantage * log_prob.flatten(1).sum(1)).mean()
