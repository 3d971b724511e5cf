"""Encoder-decoder (sequence to sequence) models, with and without attention, and decoding.

Introduced in chapter 4. Shapes are batch-first: ``src (batch, n_src)`` ids with
``src_lengths (batch,)``; ``tgt_in (batch, n_tgt)`` ids starting with ``<bos>``.

* :class:`Encoder`: embedding + bidirectional GRU. Returns every position's output
  ``H (batch, n_src, 2 d_hidden)`` (the attention memory) and a summary of the whole
  source ``s_0 (batch, d_hidden)`` built from the last forward and first backward states.
* :class:`Decoder`: no attention (Sutskever et al., 2014; Cho et al., 2014). The source
  reaches the decoder only through ``c = s_0``: the initial state and an extra input at
  every step. Everything about the source must fit in that one vector.
* :class:`AttentionDecoder`: at every step the new state ``s_t`` queries all encoder
  outputs (Luong et al., 2015 arrangement)::

      s_t = GRU(e(y_{t-1}), s_{t-1})               # s_0 from the encoder
      c_t, a_t = attention(q=s_t, k=H, v=H, mask)   # mask hides source padding
      s~_t = tanh(W_c [c_t; s_t]);  logits_t = W_o s~_t

  with an additive score ``w_v^T tanh(W_q s_t + W_k h_j)`` (Bahdanau et al., 2015) or a
  multiplicative one ``s_t^T W_a h_j`` (Luong et al., 2015).
  (Without Luong's "input feeding", so teacher forcing runs the GRU over the whole
  target at once and attends for all steps in one call.)
* :func:`greedy_decode` and :func:`beam_search` (length-normalised scores).
* :func:`seq2seq_loss` and :func:`fit`, chapter 4's training recipe (chapter 5 reuses it
  for its comparison).

Each model has ``forward(src, src_lengths, tgt_in) -> logits (batch, n_tgt, vocab)``
(teacher forcing), ``encode`` and ``decode(y, state, memory)``, which runs the decoder
over ``y (batch, n)`` tokens from ``state`` and returns ``(logits, state, weights)``;
with ``n = 1`` it is one decoding step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AdditiveAttention, scaled_dot_product_attention
from .checks import check_positive_int, check_tensor
from .data.vocab import padding_mask
from .train import History, train


@dataclass
class Memory:
    """What the encoder hands the decoder: ``H (batch, n_src, 2 d_hidden)``, bool
    ``mask (batch, n_src)`` (True at real tokens) and ``s_0 (batch, d_hidden)``."""

    H: torch.Tensor
    mask: torch.Tensor
    s_0: torch.Tensor

    def repeat(self, k: int) -> Memory:
        """Each example's memory repeated ``k`` times along the batch (for beams)."""
        return Memory(*(x.repeat_interleave(k, dim=0) for x in (self.H, self.mask, self.s_0)))


class Encoder(nn.Module):
    """Embedding + bidirectional GRU over the (padded) source.

    ``forward(src, src_lengths)`` -> :class:`Memory`. Padding is packed away, so the
    final states are those at each sequence's true end.
    """

    def __init__(self, vocab_size: int, d_emb: int, d_hidden: int):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_emb, padding_idx=0)
        self.rnn = nn.GRU(d_emb, d_hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * d_hidden, d_hidden)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        dims = check_tensor(src, "src", ("batch", "n_src"), dtype="int")
        check_tensor(src_lengths, "src_lengths", ("batch",), dims, dtype="int")
        if (src_lengths < 1).any() or (src_lengths > src.shape[1]).any():
            raise ValueError(f"src_lengths must lie in [1, n_src={src.shape[1]}], got {src_lengths.tolist()}")
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, h_n = self.rnn(packed)  # h_n: (2, batch, d_hidden): last forward, first backward
        H, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        s_0 = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=-1)))
        return Memory(H, padding_mask(src_lengths, src.shape[1]), s_0)


class Seq2Seq(nn.Module):
    """Shared parts: the encoder, the target embedding and the decoder GRU.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes; d_emb: embedding size; d_hidden: GRU size.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, d_emb: int = 64, d_hidden: int = 128, d_in: int = 0):
        super().__init__()
        for value, name in (
            (src_vocab, "src_vocab"),
            (tgt_vocab, "tgt_vocab"),
            (d_emb, "d_emb"),
            (d_hidden, "d_hidden"),
        ):
            check_positive_int(value, name)
        self.d_hidden = d_hidden
        self.encoder = Encoder(src_vocab, d_emb, d_hidden)
        self.embed = nn.Embedding(tgt_vocab, d_emb, padding_idx=0)
        self.rnn = nn.GRU(d_emb + d_in, d_hidden, batch_first=True)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        """Run the encoder: see :class:`Encoder`."""
        return self.encoder(src, src_lengths)

    def init_state(self, memory: Memory) -> torch.Tensor:
        """Decoder state before the first step: ``s_0 (batch, d_hidden)``."""
        return memory.s_0

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``(batch, n_tgt, vocab)`` for the next token at every step."""
        memory = self.encode(src, src_lengths)
        check_tensor(tgt_in, "tgt_in", (src.shape[0], "n_tgt"), dtype="int")
        return self.decode(tgt_in, self.init_state(memory), memory)[0]

    def _run(self, y, x, state, memory) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder GRU over inputs ``x (batch, n, d_in)`` built from ids ``y``."""
        dims = check_tensor(memory.H, "memory.H", ("batch", None, None), dtype="float")
        check_tensor(y, "y", ("batch", "n"), dims, dtype="int")
        check_tensor(state, "state", ("batch", self.d_hidden), dims, dtype="float")
        s, s_last = self.rnn(x, state[None].contiguous())
        return s, s_last[0]


class Decoder(Seq2Seq):
    """Decoder without attention: the context ``c = s_0`` is its only view of the source.

    ``c`` is the initial state and is also fed, with the previous token's embedding, into
    every step, and into the output layer: ``logits_t = W_o [s_t; c]``.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, d_emb: int = 64, d_hidden: int = 128):
        super().__init__(src_vocab, tgt_vocab, d_emb, d_hidden, d_in=d_hidden)
        self.W_o = nn.Linear(2 * d_hidden, tgt_vocab)

    def decode(self, y: torch.Tensor, state: torch.Tensor, memory: Memory):
        """Run over ``y (batch, n)`` from ``state``: ``(logits (batch, n, vocab), state, None)``."""
        c = memory.s_0[:, None].expand(-1, y.shape[1], -1)
        s, state = self._run(y, torch.cat([self.embed(y), c], dim=-1), state, memory)
        return self.W_o(torch.cat([s, c], dim=-1)), state, None


class AttentionDecoder(Seq2Seq):
    """Decoder that attends over all encoder outputs at every step.

    Args:
        score: ``"additive"`` (Bahdanau) or ``"multiplicative"`` (Luong's "general").
        d_attention: size of the additive score's hidden layer (``W_q s + W_k h``).
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_emb: int = 64,
        d_hidden: int = 128,
        score: str = "additive",
        d_attention: int = 64,
    ):
        super().__init__(src_vocab, tgt_vocab, d_emb, d_hidden)
        if score not in ("additive", "multiplicative"):
            raise ValueError(f"score must be 'additive' or 'multiplicative', got {score!r}")
        self.score = score
        if score == "additive":
            self.attention = AdditiveAttention(d_hidden, 2 * d_hidden, check_positive_int(d_attention, "d_attention"))
        else:
            self.W_a = nn.Linear(2 * d_hidden, d_hidden, bias=False)
        self.W_c = nn.Linear(3 * d_hidden, d_hidden)
        self.W_o = nn.Linear(d_hidden, tgt_vocab)

    def attend(self, s: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from queries ``s (batch, n, d_hidden)``.

        Returns contexts ``c (batch, n, 2 d_hidden)`` and weights ``a (batch, n, n_src)``.
        """
        mask = memory.mask[:, None, :]  # (batch, 1, n_src): every query sees the real tokens
        if self.score == "additive":
            return self.attention(s, memory.H, memory.H, mask)
        return scaled_dot_product_attention(s, self.W_a(memory.H), memory.H, mask, scale=False)

    def decode(self, y: torch.Tensor, state: torch.Tensor, memory: Memory):
        """Run over ``y (batch, n)`` from ``state``.

        Returns ``(logits (batch, n, vocab), state (batch, d_hidden), weights (batch, n, n_src))``.
        """
        s, state = self._run(y, self.embed(y), state, memory)
        c, a = self.attend(s, memory)
        s_tilde = torch.tanh(self.W_c(torch.cat([c, s], dim=-1)))
        return self.W_o(s_tilde), state, a


def seq2seq_loss(model: Seq2Seq, batch) -> torch.Tensor:
    """Teacher-forced cross-entropy per target token of a :class:`~seqattn_lib.data.translation.Batch`,
    ignoring padding (id 0)."""
    logits = model(batch.src, batch.src_lengths, batch.tgt_in)  # (batch, n_tgt, vocab)
    return F.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)


def fit(model: Seq2Seq, task, steps: int, batch_size: int = 64, lr: float = 1e-2, seed: int | None = None,
        log_every: int | None = None, verbose: bool = True) -> tuple[History, float]:
    """Chapter 4's recipe: Adam at ``lr`` decaying linearly to zero over ``steps``, gradient
    norm clipped at 1, random training batches of ``task`` (a ``TranslationTask``) drawn with
    ``seed`` (``None``: derived from ``SEQATTN_SEED``).

    Leaves ``model`` in eval mode. Returns its :class:`History` (training loss every
    ``log_every`` steps, default ``steps // 2``) and the CPU seconds of training.
    """
    if not isinstance(model, Seq2Seq):
        raise ValueError(f"model must be a Seq2Seq model, got {type(model).__name__}")
    check_positive_int(steps, "steps")
    start = time.process_time()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    decay = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    device = next(model.parameters()).device
    history = train(model, task.sampler(batch_size, device, seed), seq2seq_loss, optimizer, steps,
                    eval_every=log_every or max(1, steps // 2), clip=1.0, scheduler=decay, verbose=verbose)
    model.eval()
    return history, time.process_time() - start


def _check_decode_args(model, src, src_lengths, bos_id, eos_id, max_len):
    if not isinstance(model, Seq2Seq):
        raise ValueError(f"model must be a Seq2Seq model, got {type(model).__name__}")
    check_tensor(src, "src", ("batch", "n_src"), dtype="int")
    for value, name in ((max_len, "max_len"),):
        check_positive_int(value, name)
    if bos_id == eos_id:
        raise ValueError("bos_id and eos_id must differ")


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src, src_lengths, bos_id: int, eos_id: int, max_len: int = 50):
    """Pick the most probable token at every step until ``<eos>`` or ``max_len`` tokens.

    Returns:
        ``(tokens, weights)``: a list of ``batch`` id lists (without ``<bos>``/``<eos>``)
        and a list of ``(len_i + 1, n_src)`` attention tensors (the ``+1`` is the step
        that produced ``<eos>``), or ``None`` for a model without attention.
    """
    _check_decode_args(model, src, src_lengths, bos_id, eos_id, max_len)
    memory = model.encode(src, src_lengths)
    state = model.init_state(memory)
    y = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
    steps, alphas = [], []
    for _ in range(max_len):
        logits, state, a = model.decode(y, state, memory)
        y = logits.argmax(-1)  # (batch, 1)
        steps.append(y[:, 0])
        alphas.append(a)
        if (torch.stack(steps, 1) == eos_id).any(1).all():
            break
    ids = torch.stack(steps, 1).tolist()
    tokens = [row[: row.index(eos_id)] if eos_id in row else row for row in ids]
    if alphas[0] is None:
        return tokens, None
    weights = torch.cat(alphas, 1)  # (batch, steps, n_src)
    return tokens, [weights[i, : len(t) + 1, : int(src_lengths[i])] for i, t in enumerate(tokens)]


def length_normalised_score(log_prob: torch.Tensor, length: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """``log p(y | x) / |y|^alpha``: ``alpha = 0`` is the raw sum, ``alpha = 1`` the mean per token.

    ``length`` counts the generated tokens including ``<eos>``.
    """
    check_tensor(log_prob, "log_prob", dtype="float")
    if not torch.is_tensor(length) or (length <= 0).any():
        raise ValueError("length must be a tensor of positive lengths")
    return log_prob / length.to(log_prob.dtype) ** alpha


@torch.no_grad()
def sequence_log_prob(model: Seq2Seq, src, src_lengths, tokens: list[int], bos_id: int, eos_id: int) -> float:
    """``log p(tokens, <eos> | src)`` under ``model`` for one example (``src (1, n_src)``)."""
    check_tensor(src, "src", (1, None), dtype="int")
    y = torch.tensor([[bos_id] + list(tokens) + [eos_id]], device=src.device)
    logits = model(src, src_lengths, y[:, :-1])
    return float(F.log_softmax(logits, -1)[0].gather(-1, y[0, 1:, None]).sum())


@torch.no_grad()
def beam_search(
    model: Seq2Seq,
    src,
    src_lengths,
    bos_id: int,
    eos_id: int,
    beam_size: int = 4,
    max_len: int = 50,
    alpha: float = 1.0,
) -> tuple[list[int], float]:
    """Beam search for one example (``src (1, n_src)``), scored by :func:`length_normalised_score`.

    Keeps the ``beam_size`` prefixes with the highest total log-probability; a prefix that
    emits ``<eos>`` is finished. Returns the finished hypothesis with the best
    length-normalised score, ``(tokens without <bos>/<eos>, score)``. The greedy output is
    added to the candidates, so the result never scores below greedy decoding; with
    ``beam_size=1`` the search *is* greedy decoding.
    """
    _check_decode_args(model, src, src_lengths, bos_id, eos_id, max_len)
    check_positive_int(beam_size, "beam_size")
    if src.shape[0] != 1:
        raise ValueError(f"beam_search decodes one example: src must have shape (1, n_src), got {tuple(src.shape)}")
    memory = model.encode(src, src_lengths)
    state = model.init_state(memory)
    prefixes, scores = [[]], torch.zeros(1, device=src.device)
    finished: list[tuple[float, list[int]]] = []
    for t in range(max_len):
        mem = memory.repeat(len(prefixes))
        y = torch.tensor([[p[-1] if p else bos_id] for p in prefixes], device=src.device)
        logits, state, _ = model.decode(y, state, mem)
        total = scores[:, None] + F.log_softmax(logits[:, 0], -1)  # (beams, vocab)
        top, flat = total.flatten().topk(min(beam_size, total.numel()))
        keep, new_scores, new_prefixes = [], [], []
        for score, index in zip(top.tolist(), flat.tolist()):
            beam, token = divmod(index, total.shape[1])
            if token == eos_id or t == max_len - 1:
                length = torch.tensor(t + 1)
                finished.append(
                    (
                        float(length_normalised_score(torch.tensor(score), length, alpha)),
                        prefixes[beam] + ([] if token == eos_id else [token]),
                    )
                )
            else:
                keep.append(beam)
                new_scores.append(score)
                new_prefixes.append(prefixes[beam] + [token])
        if not keep:
            break
        prefixes, scores, state = new_prefixes, torch.tensor(new_scores, device=src.device), state[keep]
    greedy = greedy_decode(model, src, src_lengths, bos_id, eos_id, max_len)[0][0]
    lp = sequence_log_prob(model, src, src_lengths, greedy, bos_id, eos_id)
    finished.append((float(length_normalised_score(torch.tensor(lp), torch.tensor(len(greedy) + 1), alpha)), greedy))
    best_score, best = max(finished, key=lambda f: f[0])
    return best, best_score
