"""Encoder-decoder (sequence to sequence) models, with and without attention, and decoding.

Introduced in chapter 4. Shapes are batch-first: ``src (batch, n_src)`` ids with
``src_lengths (batch,)``; ``tgt_in (batch, n_tgt)`` ids starting with ``<bos>``.

* :class:`Encoder`: embedding + bidirectional GRU. Returns every position's output
  ``H (batch, n_src, 2 d_h)`` (the attention memory) and a summary of the whole
  source ``s_0 (batch, d_h)`` built from the last forward and first backward states.
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
* :func:`seq2seq_loss` and :func:`fit`, chapter 4's training recipe (chapter 5 reuses it
  for its comparison).
* :func:`ctc_greedy_decode`: best-path decoding of a CTC model (chapter 6), which labels
  every frame instead of decoding step by step.
* :func:`greedy_decode`, :func:`beam_search` (length-normalised scores) and
  :func:`sequence_log_prob` (:func:`translate`: greedy decoding of source strings;
  :func:`correct_translations`: their exact match with the references): one
  decoding interface for every encoder-decoder of the book,
  these RNN models and chapter 5's :class:`~seqattn_lib.transformer.Transformer`. A model
  is decoded through three methods:

  - ``start(src, src_lengths) -> state``: read the source once;
  - ``step(y, state) -> (logits (batch, vocab), weights (batch, n_src) or None, state)``:
    one target position, from the previous ids ``y (batch, 1)``;
  - ``reorder(state, index) -> state``: keep the rows ``index`` of the state (beam search).

Each model here has ``forward(src, src_lengths, tgt_in) -> logits (batch, n_tgt, vocab)``
(teacher forcing), ``encode`` and ``decode(y, state, memory)``, which runs the decoder
over ``y (batch, n)`` tokens from ``state`` and returns ``(logits, state, weights)``;
with ``n = 1`` it is one decoding step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AdditiveAttention, padding_mask, scaled_dot_product_attention
from .checks import (
    ArgumentTypeError,
    check_finite,
    check_id_list,
    check_ids,
    check_int,
    check_positive_int,
    check_tensor,
)
from .data.translation import Batch, TranslationTask
from .metrics import exact_match
from .train import History, linear_decay, train


@dataclass
class Memory:
    """What the encoder hands the decoder: ``H (batch, n_src, 2 d_h)``, bool
    ``mask (batch, n_src)`` (True at real tokens) and ``s_0 (batch, d_h)``."""

    H: torch.Tensor
    mask: torch.Tensor
    s_0: torch.Tensor

    def __post_init__(self):
        dims = check_tensor(self.H, "memory.H", ("batch", "n_src", None), dtype="float")
        check_tensor(self.mask, "memory.mask", ("batch", "n_src"), dims, dtype="bool", device=self.H.device)
        check_tensor(self.s_0, "memory.s_0", ("batch", None), dims, dtype=self.H.dtype, device=self.H.device)

    def rows(self, index: torch.Tensor) -> Memory:
        """The memory of the examples ``index (k,)`` (for beams: the same example several times)."""
        check_ids(index, "index", self.H.shape[0], "batch", spec=(None,))
        return Memory(self.H[index], self.mask[index], self.s_0[index])


class Encoder(nn.Module):
    """Embedding + bidirectional GRU over the (padded) source.

    ``forward(src, src_lengths)`` -> :class:`Memory`. Padding is packed away, so the
    final states are those at each sequence's true end.
    """

    def __init__(self, vocab_size: int, d_emb: int, d_h: int):
        super().__init__()
        for value, name in ((vocab_size, "vocab_size"), (d_emb, "d_emb"), (d_h, "d_h")):
            check_positive_int(value, name)
        self.embed = nn.Embedding(vocab_size, d_emb, padding_idx=0)
        self.rnn = nn.GRU(d_emb, d_h, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * d_h, d_h)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        device = self.embed.weight.device
        dims = check_ids(src, "src", self.embed.num_embeddings, "src_vocab", ("batch", "n_src"), device=device)
        check_tensor(src_lengths, "src_lengths", ("batch",), dims, dtype="int", device=device)
        if src.numel() == 0:
            raise ValueError(f"src must hold at least one example and one position, got shape {tuple(src.shape)}")
        shortest, longest = torch.stack(torch.aminmax(src_lengths)).tolist()
        if shortest < 1 or longest > src.shape[1]:
            raise ValueError(f"src_lengths must lie in [1, n_src={src.shape[1]}], got {src_lengths.tolist()}")
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(src), src_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, h_n = self.rnn(packed)  # h_n: (2, batch, d_h): last forward, first backward
        H, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        s_0 = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=-1)))
        return Memory(H, padding_mask(src_lengths, src.shape[1]), s_0)


class Seq2Seq(nn.Module):
    """Shared parts: the encoder, the target embedding and the decoder GRU.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes; d_emb: embedding size; d_h: GRU size.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, d_emb: int = 64, d_h: int = 128, d_in: int = 0):
        super().__init__()
        for value, name in (
            (src_vocab, "src_vocab"),
            (tgt_vocab, "tgt_vocab"),
            (d_emb, "d_emb"),
            (d_h, "d_h"),
        ):
            check_positive_int(value, name)
        check_int(d_in, "d_in", 0)
        self.d_h, self.tgt_vocab = d_h, tgt_vocab
        self.encoder = Encoder(src_vocab, d_emb, d_h)
        self.embed = nn.Embedding(tgt_vocab, d_emb, padding_idx=0)
        self.rnn = nn.GRU(d_emb + d_in, d_h, batch_first=True)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        """Run the encoder: see :class:`Encoder`."""
        return self.encoder(src, src_lengths)

    def init_state(self, memory: Memory) -> torch.Tensor:
        """Decoder state before the first step: ``s_0 (batch, d_h)``."""
        _check_memory(memory)
        return memory.s_0

    def start(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Decoding state after reading the source: ``(memory, s_0)``."""
        memory = self.encode(src, src_lengths)
        return memory, self.init_state(memory)

    def step(self, y: torch.Tensor, state: tuple[Memory, torch.Tensor]):
        """One decoding step from the previous ids ``y (batch, 1)``.

        Returns ``(logits (batch, vocab), weights (batch, n_src) or None, state)``.
        """
        if not isinstance(state, tuple | list) or len(state) != 2:
            raise ArgumentTypeError(f"state must be the pair (memory, s) from start, got {type(state).__name__}")
        memory, s = state
        logits, s, a = self.decode(y, s, memory)
        return logits[:, -1], (None if a is None else a[:, -1]), (memory, s)

    @staticmethod
    def reorder(state: tuple[Memory, torch.Tensor], index: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """The decoding state of the rows ``index (k,)``."""
        memory, s = state
        return memory.rows(index), s[index]

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: logits ``(batch, n_tgt, vocab)`` for the next token at every step."""
        memory = self.encode(src, src_lengths)
        check_ids(tgt_in, "tgt_in", self.embed.num_embeddings, "tgt_vocab", (src.shape[0], "n_tgt"), device=src.device)
        return self.decode(tgt_in, self.init_state(memory), memory)[0]

    def _check_step(self, y, state, memory) -> None:
        """Check the arguments of ``decode``: ids ``y (batch, n)``, ``state (batch, d_h)``, ``memory``."""
        _check_memory(memory)
        H = memory.H
        dims = check_tensor(H, "memory.H", ("batch", None, 2 * self.d_h), device=self.embed.weight.device)
        check_ids(y, "y", self.embed.num_embeddings, "tgt_vocab", ("batch", "n"), dims, device=H.device)
        check_tensor(state, "state", ("batch", self.d_h), dims, dtype=H.dtype, device=H.device)

    def _run(self, x, state) -> tuple[torch.Tensor, torch.Tensor]:
        """The decoder GRU over inputs ``x (batch, n, d_in)`` from ``state (batch, d_h)``."""
        s, s_last = self.rnn(x, state[None].contiguous())
        return s, s_last[0]


class Decoder(Seq2Seq):
    """Decoder without attention: the context ``c = s_0`` is its only view of the source.

    ``c`` is the initial state and is also fed, with the previous token's embedding, into
    every step, and into the output layer: ``logits_t = W_o [s_t; c]``.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, d_emb: int = 64, d_h: int = 128):
        super().__init__(src_vocab, tgt_vocab, d_emb, d_h, d_in=d_h)
        self.W_o = nn.Linear(2 * d_h, tgt_vocab)

    def decode(self, y: torch.Tensor, state: torch.Tensor, memory: Memory):
        """Run over ``y (batch, n)`` from ``state``: ``(logits (batch, n, vocab), state, None)``."""
        self._check_step(y, state, memory)
        c = memory.s_0[:, None].expand(-1, y.shape[1], -1)
        s, state = self._run(torch.cat([self.embed(y), c], dim=-1), state)
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
        d_h: int = 128,
        score: str = "additive",
        d_attention: int = 64,
    ):
        super().__init__(src_vocab, tgt_vocab, d_emb, d_h)
        if score not in ("additive", "multiplicative"):
            raise ValueError(f"score must be 'additive' or 'multiplicative', got {score!r}")
        self.score = score
        if score == "additive":
            self.attention = AdditiveAttention(d_h, 2 * d_h, check_positive_int(d_attention, "d_attention"))
        else:
            self.W_a = nn.Linear(2 * d_h, d_h, bias=False)
        self.W_c = nn.Linear(3 * d_h, d_h)
        self.W_o = nn.Linear(d_h, tgt_vocab)

    def attend(self, s: torch.Tensor, memory: Memory) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from queries ``s (batch, n, d_h)``.

        Returns contexts ``c (batch, n, 2 d_h)`` and weights ``a (batch, n, n_src)``.
        """
        _check_memory(memory)
        H = memory.H
        check_tensor(s, "s", (H.shape[0], None, self.d_h), dtype=H.dtype, device=H.device)
        mask = memory.mask[:, None, :]  # (batch, 1, n_src): every query sees the real tokens
        if self.score == "additive":
            return self.attention(s, memory.H, memory.H, mask)
        return scaled_dot_product_attention(s, self.W_a(memory.H), memory.H, mask, scale=False)

    def decode(self, y: torch.Tensor, state: torch.Tensor, memory: Memory):
        """Run over ``y (batch, n)`` from ``state``.

        Returns ``(logits (batch, n, vocab), state (batch, d_h), weights (batch, n, n_src))``.
        """
        self._check_step(y, state, memory)
        s, state = self._run(self.embed(y), state)
        c, a = self.attend(s, memory)
        s_tilde = torch.tanh(self.W_c(torch.cat([c, s], dim=-1)))
        return self.W_o(s_tilde), state, a


def seq2seq_loss(model, batch) -> torch.Tensor:
    """Teacher-forced cross-entropy per target token of a :class:`~seqattn_lib.data.translation.Batch`,
    ignoring padding (id 0). ``model``: a :class:`Seq2Seq` model or a
    :class:`~seqattn_lib.transformer.Transformer` (which reads the padding from the ids)."""
    if not isinstance(batch, Batch):
        raise ArgumentTypeError(f"batch must be a Batch (from TranslationTask.batch), got {type(batch).__name__}")
    from .transformer import Transformer  # here: transformer.py imports this module

    if isinstance(model, Seq2Seq):
        logits = model(batch.src, batch.src_lengths, batch.tgt_in)  # (batch, n_tgt, vocab)
    elif isinstance(model, Transformer):
        logits = model(batch.src, batch.tgt_in)
    else:
        raise ArgumentTypeError(f"model must be a Seq2Seq model or a Transformer, got {type(model).__name__}")
    check_ids(batch.tgt_out, "batch.tgt_out", logits.shape[-1], "tgt_vocab")
    return F.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)


def fit(model: Seq2Seq, task, steps: int, batch_size: int = 64, lr: float = 1e-2, seed: int | None = None,
        log_every: int | None = None, verbose: bool = True, by_length: bool = False) -> History:
    """Chapter 4's recipe: Adam at ``lr`` decaying linearly to zero over ``steps``, gradient
    norm clipped at 1, random training batches of ``task`` (a ``TranslationTask``) drawn with
    ``seed`` (``None``: derived from ``SEQATTN_SEED``); with ``by_length``, batches of pairs of
    similar length (``TranslationTask.sampler``).

    Leaves ``model`` in eval mode. Returns its :class:`History` (training loss every
    ``log_every`` steps, default ``steps // 2``, and the run's wall and CPU seconds).
    """
    _check_model(model)
    if not isinstance(task, TranslationTask):
        raise ArgumentTypeError(f"task must be a TranslationTask (from load_task), got {type(task).__name__}")
    check_positive_int(steps, "steps")
    check_finite(lr, "lr", positive=True)
    if seed is not None:
        check_int(seed, "seed")
    if log_every is not None:
        check_positive_int(log_every, "log_every")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    decay = linear_decay(optimizer, steps)
    device = next(model.parameters()).device
    history = train(model, task.sampler(batch_size, device, seed, by_length), seq2seq_loss, optimizer, steps,
                    eval_every=log_every or max(1, steps // 2), clip=1.0, scheduler=decay, verbose=verbose)
    model.eval()
    return history


def _check_model(model) -> None:
    if not isinstance(model, Seq2Seq):
        raise ArgumentTypeError(f"model must be a Seq2Seq model, got {type(model).__name__}")


def _check_memory(memory) -> None:
    if not isinstance(memory, Memory):
        raise ArgumentTypeError(f"memory must be a Memory (from encode), got {type(memory).__name__}")


def _check_decode_args(model, src, bos_id, eos_id) -> None:
    """Checks shared by the decoding functions (``start`` checks ``src`` and ``src_lengths`` in full)."""
    if not all(callable(getattr(model, m, None)) for m in ("start", "step", "reorder")):
        raise ArgumentTypeError(f"model must be a Seq2Seq model or a Transformer, got {type(model).__name__}")
    check_tensor(src, "src", ("batch", "n_src"), dtype="int")
    for value, name in ((bos_id, "bos_id"), (eos_id, "eos_id")):
        check_int(value, name, 0, model.tgt_vocab)
    if bos_id == eos_id:
        raise ValueError(f"bos_id and eos_id must differ, got {bos_id} for both")


@torch.no_grad()
def greedy_decode(model, src, src_lengths, bos_id: int, eos_id: int, max_len: int = 50):
    """Pick the most probable token at every step until ``<eos>`` or ``max_len`` tokens.

    ``model``: a :class:`Seq2Seq` model or a :class:`~seqattn_lib.transformer.Transformer`.

    Returns:
        ``(tokens, weights)``: a list of ``batch`` id lists (without ``<bos>``/``<eos>``)
        and a list of ``(len_i + 1, n_src)`` attention tensors (the ``+1`` is the step
        that produced ``<eos>``), or ``None`` for a model without attention.
    """
    _check_decode_args(model, src, bos_id, eos_id)
    check_positive_int(max_len, "max_len")
    state = model.start(src, src_lengths)
    y = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
    steps, alphas = [], []
    for _ in range(max_len):
        logits, a, state = model.step(y, state)
        y = logits.argmax(-1, keepdim=True)  # (batch, 1)
        steps.append(y[:, 0])
        alphas.append(a)
        if (torch.stack(steps, 1) == eos_id).any(1).all():
            break
    ids = torch.stack(steps, 1).tolist()
    tokens = [row[: row.index(eos_id)] if eos_id in row else row for row in ids]
    if alphas[0] is None:
        return tokens, None
    weights = torch.stack(alphas, 1)  # (batch, steps, n_src)
    return tokens, [weights[i, : len(t) + 1, : int(src_lengths[i])] for i, t in enumerate(tokens)]


def translate(model, task: TranslationTask, pairs, max_len: int = 80) -> tuple[list[str], list[torch.Tensor] | None]:
    """Greedy translations of the sources of ``pairs`` (from ``task``) as strings.

    Returns ``(translations, weights)``, ``weights`` as in :func:`greedy_decode`.
    """
    if not isinstance(task, TranslationTask):
        raise ArgumentTypeError(f"task must be a TranslationTask (from load_task), got {type(task).__name__}")
    first = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if first is None:
        raise ArgumentTypeError(f"model must be a Seq2Seq model or a Transformer, got {type(model).__name__}")
    b = task.batch(pairs, first.device)
    tokens, weights = greedy_decode(model, b.src, b.src_lengths, task.tgt_vocab.bos_id, task.tgt_vocab.eos_id, max_len)
    return [task.decode(t) for t in tokens], weights


def correct_translations(model, task: TranslationTask, pairs, max_len: int = 80) -> torch.Tensor:
    """Per pair of ``pairs``, whether the greedy translation equals the reference exactly: ``(n,)`` bool."""
    hypotheses, _ = translate(model, task, pairs, max_len)
    return exact_match(hypotheses, [task.reference(t) for _, t in pairs])


def length_normalised_score(log_prob: torch.Tensor, length: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """``log p(y | x) / |y|^alpha``: ``alpha = 0`` is the raw sum, ``alpha = 1`` the mean per token.

    ``length`` counts the generated tokens including ``<eos>``.
    """
    check_tensor(log_prob, "log_prob", dtype="float")
    check_tensor(length, "length", device=log_prob.device)
    if length.dtype == torch.bool or (length <= 0).any():
        raise ValueError(f"length must be a tensor of positive lengths, got {length.tolist()}")
    try:
        torch.broadcast_shapes(log_prob.shape, length.shape)
    except RuntimeError:
        raise ValueError(
            f"length must have log_prob's shape {tuple(log_prob.shape)} or broadcast to it, got {tuple(length.shape)}"
        ) from None
    check_finite(alpha, "alpha")
    return log_prob / length.to(log_prob.dtype) ** alpha


@torch.no_grad()
def sequence_log_prob(model, src, src_lengths, tokens: list[int], bos_id: int, eos_id: int) -> float:
    """``log p(tokens, <eos> | src)`` under ``model`` for one example (``src (1, n_src)``),
    one :meth:`step` per token as in decoding."""
    _check_decode_args(model, src, bos_id, eos_id)
    check_tensor(src, "src", (1, None), dtype="int")
    tokens = check_id_list(tokens, "tokens", model.tgt_vocab, "tgt_vocab")
    y = [bos_id] + tokens + [eos_id]
    state, total = model.start(src, src_lengths), torch.zeros((), device=src.device)
    for prev, nxt in zip(y[:-1], y[1:]):
        logits, _, state = model.step(torch.tensor([[prev]], device=src.device), state)
        total = total + F.log_softmax(logits[0], -1)[nxt]
    return float(total)


@torch.no_grad()
def beam_search(
    model,
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
    _check_decode_args(model, src, bos_id, eos_id)
    check_positive_int(max_len, "max_len")
    check_positive_int(beam_size, "beam_size")
    check_finite(alpha, "alpha")
    if src.shape[0] != 1:
        raise ValueError(f"beam_search decodes one example: src must have shape (1, n_src), got {tuple(src.shape)}")
    state = model.start(src, src_lengths)
    prefixes, scores = [[]], torch.zeros(1, device=src.device)
    finished: list[tuple[float, list[int]]] = []
    for t in range(max_len):
        y = torch.tensor([[p[-1] if p else bos_id] for p in prefixes], device=src.device)
        logits, _, state = model.step(y, state)  # one row per live prefix
        total = scores[:, None] + F.log_softmax(logits, -1)  # (beams, vocab)
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
        prefixes, scores = new_prefixes, torch.tensor(new_scores, device=src.device)
        state = model.reorder(state, torch.tensor(keep, device=src.device))
    greedy = greedy_decode(model, src, src_lengths, bos_id, eos_id, max_len)[0][0]
    lp = sequence_log_prob(model, src, src_lengths, greedy, bos_id, eos_id)
    finished.append((float(length_normalised_score(torch.tensor(lp), torch.tensor(len(greedy) + 1), alpha)), greedy))
    best_score, best = max(finished, key=lambda f: f[0])
    return best, best_score


def ctc_greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Best-path decoding for a CTC model (Graves et al., 2006), which labels every input frame
    instead of decoding step by step: take the most probable label of each frame, merge runs
    of the same label, then drop the blanks. A blank between two runs keeps them apart, so
    ``3 3 0 3`` gives ``[3, 3]``.

    Args:
        log_probs: ``(batch, T, n_labels)`` per-frame scores (log-probabilities or logits).
        lengths: ``(batch,)`` int, the real frames of each row (the rest is padding).
        blank: the blank label.

    Returns:
        ``batch`` lists of labels (ints, without blanks).
    """
    dims = check_tensor(log_probs, "log_probs", ("batch", "T", "n_labels"), dtype="float")
    check_tensor(lengths, "lengths", ("batch",), dims, dtype="int")
    if ((lengths < 0) | (lengths > dims["T"])).any():
        raise ValueError(f"lengths must be in [0, T={dims['T']}], got {lengths.tolist()}")
    check_int(blank, "blank", 0, dims["n_labels"])
    best = log_probs.argmax(-1).cpu()  # (batch, T)
    return [[int(label) for label in torch.unique_consecutive(row[:n]) if label != blank]
            for row, n in zip(best, lengths.tolist())]
