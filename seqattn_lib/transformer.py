"""The Transformer (Vaswani et al., 2017): positional encodings, blocks, models, generation.

Introduced in chapter 5. Reads top to bottom, like nanoGPT:

1. positional encodings (sinusoidal and learned) and the position-wise feed-forward net;
2. the encoder layer and the decoder layer, post-norm (the paper) or pre-norm
   (``norm_first=True``); parameter names match ``nn.TransformerEncoderLayer`` /
   ``nn.TransformerDecoderLayer`` (see ``load_torch``);
3. the key/value cache used by generation;
4. :class:`Transformer`, an encoder-decoder for translation, trained by
   :func:`fit_translation` and decoded by :mod:`seqattn_lib.seq2seq`'s ``greedy_decode``
   and ``beam_search`` like the RNN models;
5. :class:`GPT`, a decoder-only language model, and :func:`generate` (temperature, top-k,
   with or without the cache).

Masks come from :mod:`seqattn_lib.attention` (:func:`~seqattn_lib.attention.causal_mask`,
:func:`~seqattn_lib.attention.padding_mask`): bool, ``True`` = may attend. Everything is
batch-first: ``(batch, time, d_model)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .attention import MultiHeadAttention, causal_mask, padding_mask
from .checks import (
    ArgumentTypeError,
    check_finite,
    check_generator,
    check_ids,
    check_int,
    check_positive_int,
    check_probability,
    check_tensor,
)
from .data.translation import TranslationTask
from .seq2seq import seq2seq_loss
from .train import History, train, warmup_cosine

# 1. Positional encodings and the feed-forward network ------------------------------------


def sinusoidal_encoding(n_positions: int, d_model: int) -> torch.Tensor:
    """``PE[p, 2i] = sin(p / 10000^(2i/d_model))``, ``PE[p, 2i+1] = cos(same)``.

    Returns:
        ``(n_positions, d_model)`` float tensor.
    """
    check_positive_int(n_positions, "n_positions")
    check_positive_int(d_model, "d_model")
    if d_model % 2:
        raise ValueError(f"d_model must be even for sin/cos pairs, got {d_model}")
    p = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (n_positions, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2) / d_model)  # (d_model/2,)
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2] = torch.sin(p * freq)
    pe[:, 1::2] = torch.cos(p * freq)
    return pe


class PositionalEncoding(nn.Module):
    """Adds a position vector to each token vector: fixed sinusoids or learned (an embedding).

    Args:
        d_model: width; max_len: the most positions supported;
        kind: ``"sinusoidal"`` (fixed buffer) or ``"learned"`` (an ``nn.Embedding``).

    ``forward(x, start=0)``: ``x (batch, time, d_model)`` -> ``x + PE[start:start + time]``.
    ``start`` is the position of ``x[:, 0]`` (used by generation with a cache).
    """

    def __init__(self, d_model: int, max_len: int, kind: str = "sinusoidal"):
        super().__init__()
        if kind not in ("sinusoidal", "learned"):
            raise ValueError(f"kind must be 'sinusoidal' or 'learned', got {kind!r}")
        self.kind, self.d_model, self.max_len = kind, check_positive_int(d_model, "d_model"), max_len
        if kind == "sinusoidal":
            self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)
        else:
            self.embedding = nn.Embedding(max_len, d_model)
            nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        check_tensor(x, "x", ("batch", "time", self.d_model), dtype="float")
        check_int(start, "start", 0)
        end = start + x.shape[1]
        if end > self.max_len:
            raise ValueError(f"positions up to {end} requested, but max_len is {self.max_len}")
        pe = self.pe[start:end] if self.kind == "sinusoidal" else self.embedding.weight[start:end]
        return x + pe


class FeedForward(nn.Module):
    """Position-wise feed-forward net ``FFN(x) = max(0, x W_1 + b_1) W_2 + b_2``, the same MLP at every position.

    ``forward(x)``: ``(..., d_model)`` -> ``(..., d_model)``.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.0):
        super().__init__()
        check_positive_int(d_model, "d_model")
        check_positive_int(d_ff, "d_ff")
        check_probability(dropout, "dropout")
        self.linear1 = nn.Linear(d_model, d_ff)  # W_1, b_1
        self.linear2 = nn.Linear(d_ff, d_model)  # W_2, b_2
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        W = self.linear1.weight
        check_tensor(x, "x", dtype=W.dtype, device=W.device)
        if x.dim() < 1 or x.shape[-1] != W.shape[1]:
            raise ValueError(f"x must have shape (..., d_model={W.shape[1]}), got {tuple(x.shape)}")
        return self.linear2(self.dropout(F.relu(self.linear1(x))))


# 2. Encoder and decoder layers ---------------------------------------------------------


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each wrapped in a residual connection and a layer norm.

    Post-norm (``norm_first=False``, the paper): ``x = LN(x + Sublayer(x))``.
    Pre-norm (``norm_first=True``): ``x = x + Sublayer(LN(x))``; the residual path is
    an identity from input to output, which makes deep or fast-learning stacks train
    stably (then put one final ``LayerNorm`` after the stack).

    With a causal mask this is also the block of a decoder-only (GPT) model.

    ``forward(x, mask=None, cache=None)``: ``x (batch, n, d_model)``, ``mask`` bool
    broadcastable to ``(batch, n_heads, n, n)``; ``cache`` a :class:`KVCache` for
    generation. Returns ``(batch, n, d_model)``; the attention weights of the last call in
    eval mode are kept in ``self.attn_weights`` ``(batch, n_heads, n, n)`` (in training
    mode the fused attention runs and it is ``None``).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.ff = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.attn_weights = None

    def load_torch(self, torch_layer: nn.TransformerEncoderLayer) -> EncoderLayer:
        """Copy the weights of an ``nn.TransformerEncoderLayer`` into this layer; returns ``self``."""
        return _load_torch_layer(self, torch_layer)

    def _sa(self, x, mask, cache):
        out, self.attn_weights = self.self_attn(x, x, x, mask, need_weights=not self.training, cache=cache)
        return self.dropout(out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, cache: KVCache | None = None) -> torch.Tensor:
        W = self.norm1.weight
        check_tensor(x, "x", ("batch", "n", self.self_attn.d_model), dtype=W.dtype, device=W.device)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), mask, cache)
            return x + self.dropout(self.ff(self.norm2(x)))
        x = self.norm1(x + self._sa(x, mask, cache))
        return self.norm2(x + self.dropout(self.ff(x)))


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder's output (``memory``), feed-forward.

    Each sublayer has a residual and a layer norm, post-norm or pre-norm as in
    :class:`EncoderLayer`.

    ``forward(y, memory, self_mask=None, memory_mask=None, cache=None)``: ``y (batch, n_y, d_model)``,
    ``memory (batch, n_x, d_model)``; ``self_mask`` broadcastable to ``(batch, n_heads, n_y, n_y)``
    (usually causal), ``memory_mask`` to ``(batch, n_heads, n_y, n_x)`` (source padding);
    ``cache`` a :class:`KVCache` of the self-attention for step-by-step decoding.
    Returns ``(batch, n_y, d_model)``; ``self.cross_weights`` keeps the cross-attention
    weights ``(batch, n_heads, n_y, n_x)`` of the last call in eval mode.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.multihead_attn = MultiHeadAttention(d_model, n_heads, dropout)  # cross-attention
        self.ff = FeedForward(d_model, d_ff, dropout)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout = nn.Dropout(dropout)
        self.self_weights = self.cross_weights = None

    def load_torch(self, torch_layer: nn.TransformerDecoderLayer) -> DecoderLayer:
        """Copy the weights of an ``nn.TransformerDecoderLayer`` into this layer; returns ``self``."""
        return _load_torch_layer(self, torch_layer)

    def _sa(self, y, mask, cache):
        out, self.self_weights = self.self_attn(y, y, y, mask, need_weights=not self.training, cache=cache)
        return self.dropout(out)

    def _ca(self, y, memory, mask):
        out, self.cross_weights = self.multihead_attn(y, memory, memory, mask, need_weights=not self.training)
        return self.dropout(out)

    def forward(self, y, memory, self_mask=None, memory_mask=None, cache: KVCache | None = None):
        W = self.norm1.weight
        dims = check_tensor(y, "y", ("batch", "n_y", self.self_attn.d_model), dtype=W.dtype, device=W.device)
        check_tensor(memory, "memory", ("batch", "n_x", self.self_attn.d_model), dims, dtype=W.dtype, device=W.device)
        if self.norm_first:
            y = y + self._sa(self.norm1(y), self_mask, cache)
            y = y + self._ca(self.norm2(y), memory, memory_mask)
            return y + self.dropout(self.ff(self.norm3(y)))
        y = self.norm1(y + self._sa(y, self_mask, cache))
        y = self.norm2(y + self._ca(y, memory, memory_mask))
        return self.norm3(y + self.dropout(self.ff(y)))


def _load_torch_layer(layer: nn.Module, torch_layer: nn.Module) -> nn.Module:
    # The parameter names are torch's, except that the feed-forward's linear1/linear2 sit in ``ff``.
    layer.load_state_dict({k.replace("linear", "ff.linear"): v for k, v in torch_layer.state_dict().items()})
    return layer


# 3. The key/value cache ----------------------------------------------------------------


class KVCache:
    """Keys and values of the tokens seen so far, for one attention layer.

    ``K`` and ``V`` are ``(batch, n_heads, t, d_k)`` (``None`` before the first update).
    Generating token ``t + 1`` needs only its own query: its key and value are appended
    and the earlier ones are reused instead of recomputed.
    """

    def __init__(self):
        self.K = self.V = None

    def __len__(self) -> int:
        return 0 if self.K is None else self.K.shape[2]

    def update(self, K_new: torch.Tensor, V_new: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append ``K_new, V_new (batch, n_heads, t_new, d_k)`` along time; return all keys and values."""
        self.K, self.V = kv_cache_update(self.K, self.V, K_new, V_new)
        return self.K, self.V

    def rows(self, index: torch.Tensor) -> KVCache:
        """A cache holding the rows ``index (k,)`` of this one (for beam search)."""
        check_ids(index, "index", None if self.K is None else self.K.shape[0], "batch", spec=(None,))
        kept = KVCache()
        if self.K is not None:
            kept.K, kept.V = self.K[index], self.V[index]
        return kept


def kv_cache_update(K, V, K_new, V_new):
    """``(K, V)`` of shape ``(batch, n_heads, t, d_k)`` (or ``None``) plus new ones -> concatenated on time."""
    dims = check_tensor(K_new, "K_new", ("batch", "heads", "t_new", "d_k"), dtype="float")
    check_tensor(V_new, "V_new", ("batch", "heads", "t_new", "d_k"), dims, dtype=K_new.dtype, device=K_new.device)
    if K is None:
        return K_new, V_new
    check_tensor(K, "K", ("batch", "heads", "t", "d_k"), dims, dtype=K_new.dtype, device=K_new.device)
    check_tensor(V, "V", ("batch", "heads", "t", "d_k"), dims, dtype=K_new.dtype, device=K_new.device)
    return torch.cat([K, K_new], dim=2), torch.cat([V, V_new], dim=2)


# 4. Encoder-decoder Transformer for translation ----------------------------------------


class Transformer(nn.Module):
    """Encoder-decoder Transformer with sinusoidal positions and token embeddings scaled by ``sqrt(d_model)``.

    The embeddings start with standard deviation ``d_model^-1/2``, so the scaled token
    vectors and the positional encoding start out equally large. (The paper scales by
    ``sqrt(d_model)`` without giving a reason; it shares the embeddings with the output
    layer, whose weights are usually initialised at about that scale.)

    Args:
        src_vocab, tgt_vocab: vocabulary sizes; d_model, n_heads, d_ff: widths;
        n_enc, n_dec: numbers of layers; max_len: longest sequence; dropout;
        norm_first: pre-norm layers (plus a final layer norm after each stack);
        pad_id: padding id of both vocabularies.

    ``forward(src, tgt_in)``: ``src (batch, n_x)``, ``tgt_in (batch, n_y)`` int ids (padding
    ``pad_id``) -> logits ``(batch, n_y, tgt_vocab)``.
    """

    def __init__(self, src_vocab, tgt_vocab, d_model=64, n_heads=4, d_ff=128, n_enc=2, n_dec=2,
                 max_len=64, dropout=0.0, norm_first=True, pad_id=0):
        super().__init__()
        for value, name in ((src_vocab, "src_vocab"), (tgt_vocab, "tgt_vocab"), (n_enc, "n_enc"), (n_dec, "n_dec")):
            check_positive_int(value, name)
        check_int(pad_id, "pad_id", 0, min(src_vocab, tgt_vocab))
        self.d_model, self.pad_id, self.tgt_vocab = d_model, pad_id, tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, d_model)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model)
        for embedding in (self.src_embed, self.tgt_embed):
            # std d_model^-1/2, so that after the sqrt(d_model) scaling the token vectors have
            # unit-size entries, like the positional encoding: with nn.Embedding's default std 1
            # they would be sqrt(d_model) times larger and drown the positions.
            nn.init.normal_(embedding.weight, std=d_model**-0.5)
        self.pos = PositionalEncoding(d_model, max_len, "sinusoidal")
        self.encoder = nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, dropout, norm_first) for _ in range(n_enc))
        self.decoder = nn.ModuleList(DecoderLayer(d_model, n_heads, d_ff, dropout, norm_first) for _ in range(n_dec))
        self.enc_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.dec_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()
        self.out = nn.Linear(d_model, tgt_vocab)
        self.dropout = nn.Dropout(dropout)

    def embed(self, embedding, ids, start=0):
        return self.dropout(self.pos(embedding(ids) * math.sqrt(self.d_model), start))

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``src (batch, n_x)`` -> ``(memory (batch, n_x, d_model), src_mask (batch, 1, 1, n_x))``."""
        W = self.out.weight
        check_ids(src, "src", self.src_embed.num_embeddings, "src_vocab", ("batch", "n_x"), device=W.device)
        src_mask = padding_mask((src != self.pad_id).sum(1), src.shape[1])[:, None, None, :]  # (batch, 1, 1, n_x)
        x = self.embed(self.src_embed, src)
        for layer in self.encoder:
            x = layer(x, src_mask)
        return self.enc_norm(x), src_mask

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor,
               caches: list[KVCache] | None = None) -> torch.Tensor:
        """``tgt_in (batch, n_y)`` -> logits ``(batch, n_y, tgt_vocab)``, attending to ``memory``.

        With ``caches`` (one :class:`KVCache` per decoder layer), ``tgt_in`` holds only the
        new tokens and continues the cached ones, as in :class:`GPT`.
        """
        check_ids(tgt_in, "tgt_in", self.tgt_vocab, "tgt_vocab", ("batch", "n_y"), device=memory.device)
        start, n = (len(caches[0]) if caches else 0), tgt_in.shape[1]
        y = self.embed(self.tgt_embed, tgt_in, start)
        mask = causal_mask(n, start + n, tgt_in.device)  # new query i (position start + i) sees keys <= start + i
        for i, layer in enumerate(self.decoder):
            y = layer(y, memory, mask, src_mask, caches[i] if caches else None)
        return self.out(self.dec_norm(y))

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        memory, src_mask = self.encode(src)
        return self.decode(tgt_in, memory, src_mask)

    def start(self, src: torch.Tensor, src_lengths: torch.Tensor):
        """Decoding state after reading ``src (batch, n_x)``: memory, source mask and one empty
        :class:`KVCache` per decoder layer. ``src_lengths (batch,)`` must count each row's
        tokens before the padding (the mask itself is read from ``pad_id``)."""
        memory, src_mask = self.encode(src)
        check_tensor(src_lengths, "src_lengths", (src.shape[0],), dtype="int", device=src.device)
        if not torch.equal(src_mask[:, 0, 0].sum(1), src_lengths):
            raise ValueError("src_lengths must count the tokens of each row of src that are not pad_id")
        return memory, src_mask, [KVCache() for _ in self.decoder]

    def step(self, y: torch.Tensor, state):
        """One decoding step from the previous ids ``y (batch, 1)``, through the caches.

        Returns ``(logits (batch, tgt_vocab), weights (batch, n_x) or None, state)``; the
        weights are the last decoder layer's cross-attention, averaged over heads (eval mode).
        """
        if not isinstance(state, tuple | list) or len(state) != 3:
            raise ArgumentTypeError(f"state must be the triple (memory, src_mask, caches) that start returns, "
                                    f"got {type(state).__name__}")
        memory, src_mask, caches = state
        logits = self.decode(y, memory, src_mask, caches)[:, -1]
        cross = self.decoder[-1].cross_weights  # (batch, n_heads, 1, n_x), None in training mode
        return logits, (None if cross is None else cross[:, :, -1].mean(1)), state

    @staticmethod
    def reorder(state, index: torch.Tensor):
        """The decoding state of the rows ``index (k,)``."""
        memory, src_mask, caches = state
        return memory[index], src_mask[index], [cache.rows(index) for cache in caches]


def fit_translation(model: Transformer, task: TranslationTask, steps: int, lr: float = 1e-2, warmup: int = 100,
                    schedule_steps: int | None = None, batch_size: int = 64, log_every: int = 50,
                    verbose: bool = True, by_length: bool = False) -> History:
    """Chapter 5's recipe for a :class:`Transformer` on a translation ``task``: AdamW at peak
    ``lr``, linear warm-up over ``warmup`` steps and cosine decay to zero at ``schedule_steps``
    (default ``steps``; a longer schedule makes a short run follow the first steps of a long
    one), gradient norm clipped at 1, random training batches of ``batch_size`` pairs (with
    ``by_length``, pairs of similar length: ``TranslationTask.sampler``).

    Leaves ``model`` in eval mode. Returns its :class:`~seqattn_lib.train.History`.
    """
    if not isinstance(model, Transformer):
        raise ArgumentTypeError(f"model must be a Transformer, got {type(model).__name__}")
    if not isinstance(task, TranslationTask):
        raise ArgumentTypeError(f"task must be a TranslationTask (from load_task), got {type(task).__name__}")
    check_positive_int(steps, "steps")
    check_finite(lr, "lr", positive=True)
    schedule_steps = steps if schedule_steps is None else check_positive_int(schedule_steps, "schedule_steps")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    device = model.out.weight.device
    history = train(model, task.sampler(batch_size, device, by_length=by_length), seq2seq_loss, optimizer, steps,
                    clip=1.0, scheduler=warmup_cosine(optimizer, warmup, schedule_steps), log_every=log_every,
                    verbose=verbose)
    model.eval()
    return history


# 5. Decoder-only language model and generation -----------------------------------------


class GPT(nn.Module):
    """Decoder-only Transformer language model: token + learned position embeddings,
    ``n_layers`` pre-norm causal blocks, a final layer norm and a linear head.

    ``forward(idx, caches=None)``: ``idx (batch, n)`` int ids -> logits ``(batch, n, vocab_size)``.
    With ``caches`` (one :class:`KVCache` per layer, from :meth:`new_caches`), ``idx`` holds
    only the new tokens and continues the cached ones. :meth:`features` returns what the head
    reads, the final-normed hidden states ``(batch, n, d_model)``; chapter 6g fine-tunes them
    for classification.
    """

    def __init__(self, vocab_size, d_model=128, n_heads=4, n_layers=4, max_len=64, d_ff=None, dropout=0.0):
        super().__init__()
        for value, name in ((vocab_size, "vocab_size"), (n_layers, "n_layers"), (max_len, "max_len")):
            check_positive_int(value, name)
        self.max_len = max_len
        self.tok_embed = nn.Embedding(vocab_size, d_model)
        self.pos = PositionalEncoding(d_model, max_len, "learned")
        self.blocks = nn.ModuleList(
            EncoderLayer(d_model, n_heads, d_ff or 4 * d_model, dropout, norm_first=True) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        self.dropout = nn.Dropout(dropout)

    def new_caches(self) -> list[KVCache]:
        """One empty :class:`KVCache` per block."""
        return [KVCache() for _ in self.blocks]

    def features(self, idx: torch.Tensor, caches: list[KVCache] | None = None) -> torch.Tensor:
        """The hidden states the head reads: ``idx (batch, n)`` ids -> ``(batch, n, d_model)``,
        after the last block and the final layer norm. Position ``t`` has seen ``idx[:, :t + 1]`` only."""
        W = self.head.weight
        check_ids(idx, "idx", self.tok_embed.num_embeddings, "vocab_size", ("batch", "n"), device=W.device)
        start = len(caches[0]) if caches else 0
        n = idx.shape[1]
        x = self.dropout(self.pos(self.tok_embed(idx), start))
        mask = causal_mask(n, start + n, idx.device)  # new query i (position start + i) sees keys <= start + i
        for i, block in enumerate(self.blocks):
            x = block(x, mask, caches[i] if caches else None)
        return self.norm(x)

    def forward(self, idx: torch.Tensor, caches: list[KVCache] | None = None) -> torch.Tensor:
        return self.head(self.features(idx, caches))


@torch.no_grad()
def generate(model: GPT, idx: torch.Tensor, n_new: int, temperature: float = 1.0, top_k: int | None = None,
             use_cache: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Append ``n_new`` sampled tokens to ``idx (batch, n)``; returns ``(batch, n + n_new)``.

    ``temperature=0`` picks the most likely token (greedy); otherwise the logits are
    divided by ``temperature`` and, with ``top_k``, all but the ``k`` largest are dropped
    before sampling. With ``use_cache`` each step feeds only the newest token; once the
    sequence fills the model's ``max_len`` positions, the window slides and is encoded afresh.
    """
    if not isinstance(model, GPT):
        raise ArgumentTypeError(f"model must be a GPT, got {type(model).__name__}")
    check_ids(idx, "idx", model.tok_embed.num_embeddings, "vocab_size", ("batch", "n"), device=model.head.weight.device)
    check_positive_int(n_new, "n_new")
    if check_finite(temperature, "temperature") < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None:
        check_positive_int(top_k, "top_k")
    check_generator(generator)
    model.eval()
    caches, feed = None, idx
    for _ in range(n_new):
        if not use_cache or caches is None or len(caches[0]) + 1 > model.max_len:
            caches = model.new_caches() if use_cache else None
            feed = idx[:, -model.max_len:]
        logits = model(feed, caches)[:, -1]  # (batch, vocab_size)
        if temperature == 0:
            nxt = logits.argmax(-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)
        idx = torch.cat([idx, nxt], dim=1)
        feed = nxt
    return idx
