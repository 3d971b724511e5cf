"""Tokens to integer ids and back, for characters, words and subwords, with padding.

Introduced in chapter 1 (characters of Shakespeare); chapters 2, 4, 5 and 6 use it for
words, number phrases and dates; part 4c adds subwords (:class:`SubwordTokenizer`) for
Bible verses.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from ..checks import ArgumentTypeError, check_id_list, check_int, check_positive_int, check_str_list

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
_WORD_RE = re.compile(r"[\w']+|[^\w\s]")


def tokenize_chars(text: str) -> list[str]:
    """Split ``text`` into characters: ``"ab c"`` -> ``["a", "b", " ", "c"]``."""
    if not isinstance(text, str):
        raise ArgumentTypeError(f"text must be a str, got {type(text).__name__}")
    return list(text)


def tokenize_words(text: str, lower: bool = True) -> list[str]:
    """Split ``text`` into words and punctuation marks.

    ``"Hello, world!"`` -> ``["hello", ",", "world", "!"]``; apostrophes stay inside
    words (``"don't"``).
    """
    if not isinstance(text, str):
        raise ArgumentTypeError(f"text must be a str, got {type(text).__name__}")
    return _WORD_RE.findall(text.lower() if lower else text)


class SubwordTokenizer:
    """Byte-pair-encoding subwords learned from ``texts`` with ``sentencepiece`` (Kudo and
    Richardson, 2018): frequent words stay whole, rare ones split into frequent pieces, so no
    word of the language is out of the vocabulary (only characters never seen in ``texts``).

    ``tokenizer(text)`` -> pieces, e.g. ``"the sanctuary"`` -> ``["▁the", "▁sanct", "uary"]``
    (``▁`` marks the start of a word); :meth:`detokenize` joins pieces back into text.

    Args:
        texts: the training texts (a list of str); the tokenizer is a function of them alone.
        vocab_size: number of pieces to learn, characters included.
        lower: lower-case every text first (in training and in use).
    """

    def __init__(self, texts: Sequence[str], vocab_size: int, lower: bool = True):
        import sentencepiece

        texts = check_str_list(texts, "texts")
        check_positive_int(vocab_size, "vocab_size")
        if not texts:
            raise ValueError("texts must hold at least one str")
        self.lower = bool(lower)
        model = io.BytesIO()
        try:
            sentencepiece.SentencePieceTrainer.train(
                sentence_iterator=iter([self._prepare(t) for t in texts]), model_writer=model,
                vocab_size=vocab_size, model_type="bpe", character_coverage=1.0, num_threads=1,
                bos_id=-1, eos_id=-1, pad_id=-1, unk_id=0, minloglevel=2)
        except RuntimeError as error:  # e.g. more pieces asked for than the texts can give
            raise ValueError(f"vocab_size={vocab_size} does not fit these texts: {error}") from None
        self._sp = sentencepiece.SentencePieceProcessor(model_proto=model.getvalue())

    def _prepare(self, text: str) -> str:
        return text.lower() if self.lower else text

    def __call__(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise ArgumentTypeError(f"text must be a str, got {type(text).__name__}")
        return self._sp.encode(self._prepare(text), out_type=str)

    def __len__(self) -> int:
        return self._sp.get_piece_size()

    def detokenize(self, pieces: Sequence[str]) -> str:
        """Pieces back to text: ``["▁the", "▁sanct", "uary"]`` -> ``"the sanctuary"``."""
        return self._sp.decode(check_str_list(pieces, "pieces"))


class Vocab:
    """A mapping between tokens and ids.

    Id 0 is always ``<pad>`` and id 1 ``<unk>``; ``<bos>`` and ``<eos>`` follow when
    ``specials=True``. The remaining tokens are sorted by decreasing frequency, then
    alphabetically, so the same corpus always gives the same ids.

    Args:
        tokens: an iterable of tokens, or of token sequences (sentences).
        min_freq: drop tokens seen fewer times than this (they map to ``<unk>``).
        specials: also reserve ``<bos>`` and ``<eos>`` (needed by decoders).
    """

    def __init__(self, tokens: Iterable, min_freq: int = 1, specials: bool = False):
        check_positive_int(min_freq, "min_freq")
        if not isinstance(tokens, Iterable):
            raise ArgumentTypeError(
                f"tokens must be an iterable of str tokens or token lists, got {type(tokens).__name__}"
            )
        counts: Counter[str] = Counter()
        for item in tokens:
            if isinstance(item, str):
                counts[item] += 1
            else:
                counts.update(check_str_list(item, "tokens"))
        reserved = [PAD, UNK] + ([BOS, EOS] if specials else [])
        kept = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in reserved),
            key=lambda t: (-counts[t], t),
        )
        self.itos: list[str] = reserved + kept
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}

    pad_id = 0
    unk_id = 1

    @property
    def bos_id(self) -> int:
        """Id of ``<bos>``; ``ValueError`` if the vocabulary was built without specials."""
        if BOS not in self.stoi:
            raise ValueError("this Vocab has no <bos>: build it with specials=True")
        return self.stoi[BOS]

    @property
    def eos_id(self) -> int:
        """Id of ``<eos>``; ``ValueError`` if the vocabulary was built without specials."""
        if EOS not in self.stoi:
            raise ValueError("this Vocab has no <eos>: build it with specials=True")
        return self.stoi[EOS]

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, first={self.itos[:8]})"

    def encode(self, tokens: Sequence[str], bos: bool = False, eos: bool = False) -> list[int]:
        """Map tokens to ids (unknown tokens to ``<unk>``), optionally adding BOS/EOS."""
        if isinstance(tokens, str) and len(tokens) != 1 and tokens not in self.stoi:
            # A whole string is treated as a sequence of characters.
            tokens = list(tokens)
        elif not isinstance(tokens, str):
            tokens = check_str_list(tokens, "tokens")
        ids = [self.stoi.get(t, self.unk_id) for t in tokens]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids: Iterable[int] | torch.Tensor, strip: bool = True) -> list[str]:
        """Map ids to tokens. With ``strip``, drop padding/BOS and stop at the first EOS.

        Raises:
            ValueError: if an id is outside ``[0, len(self))``.
        """
        out = []
        for i in check_id_list(ids, "ids", len(self), "len(vocab)"):
            tok = self.itos[i]
            if strip and tok == EOS:
                break
            if strip and tok in (PAD, BOS):
                continue
            out.append(tok)
        return out


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack id sequences of different lengths into one padded tensor.

    Args:
        seqs: ``batch`` sequences of ids, each of length >= 1.
        pad_id: the id written after each sequence's end.

    Returns:
        ``(ids, lengths)``: ``ids`` of shape ``(batch, max_len)`` (int64) and
        ``lengths`` of shape ``(batch,)``.
    """
    if not isinstance(seqs, (list, tuple)) or len(seqs) == 0:
        raise ValueError(f"seqs must be a non-empty list of id sequences, got {seqs!r:.80}")
    seqs = [check_id_list(s, f"seqs[{i}]") for i, s in enumerate(seqs)]
    check_int(pad_id, "pad_id")
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    if (lengths == 0).any():
        raise ValueError("every sequence must have at least one token")
    rows = [torch.tensor(s, dtype=torch.long) for s in seqs]
    return nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad_id), lengths
