"""Translation tasks: number phrases, dates, and Bible verses, with splits and batches.

Introduced in chapter 4 (sequence to sequence with attention); chapter 5 reuses the same
tasks and splits. Three tasks, all offline:

* ``"numbers"``: English number words -> German number words, from ``num2words``
  (``"ninety - seven"`` -> ``"siebenundneunzig"``), for numbers of 1 to 6 digits. German writes units before tens, a
  real reordering. Source tokens are words, target tokens are characters.
* ``"dates"``: a date written by ``babel`` in one of :data:`DATE_LOCALES` and formats
  ``full``/``long``/``medium`` (``"Samstag, 21. November 2026"``) -> ISO
  ``"2026-11-21"``. Characters on both sides.
* ``"bible"``: King James Version (English) -> Reina-Valera 1909 (Spanish) verses with
  both sides at most 15 words (5,383 pairs), read from the package data file written by
  ``scripts/extract_bible.py``. Lower-cased words on both sides, or lower-cased subwords
  (``load_task("bible", subwords=1000)``).

:func:`load_task` returns a :class:`TranslationTask` holding fixed train / validation /
test splits (80/10/10, shuffled with a seed derived from ``SEQATTN_SEED``; no source string appears in two
splits), the tokenisers and vocabularies (built on the training split only), and
:meth:`TranslationTask.batch` to turn pairs into padded id tensors.
"""

from __future__ import annotations

import datetime
import gzip
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checks import ArgumentTypeError, check_finite, check_int, check_positive_int, check_str_list, check_tensor
from ..runtime import seed_for
from .vocab import SubwordTokenizer, Vocab, pad_batch, tokenize_chars, tokenize_words

TASKS = ("numbers", "dates", "bible")
DATE_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "sv_SE", "pl_PL", "tr_TR")
DATE_FORMATS = ("full", "long", "medium")
BIBLE_FILE = Path(__file__).with_name("bible_kjv_rv1909.tsv.gz")

Pair = tuple[str, str]


def _check_pairs(pairs: object, name: str = "pairs") -> None:
    """Raise ``ValueError`` unless ``pairs`` is a list of ``(source, target)`` pairs of strings."""
    if not isinstance(pairs, (list, tuple)):
        raise ArgumentTypeError(f"{name} must be a list of (source, target) pairs, got {type(pairs).__name__}")
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(isinstance(t, str) for t in pair):
            raise ValueError(f"{name} must hold (source, target) pairs of strings, got {pair!r:.80}")


def _check_seed(seed: object) -> None:
    if seed is not None:
        check_int(seed, "seed")


def number_pairs(numbers: Sequence[int], src_lang: str = "en", tgt_lang: str = "de") -> list[Pair]:
    """Number phrases in two languages: ``[(num2words(n, src_lang), num2words(n, tgt_lang))]``.

    Raises:
        ValueError: if a number is not a non-negative int.
    """
    from num2words import num2words

    if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Iterable):
        raise ArgumentTypeError(f"numbers must be a list of non-negative ints, got {type(numbers).__name__}")
    for lang, name in ((src_lang, "src_lang"), (tgt_lang, "tgt_lang")):
        try:
            num2words(0, lang=lang)
        except (NotImplementedError, TypeError, AttributeError):
            raise ValueError(f"{name} must be a language code num2words knows (e.g. 'en'), got {lang!r}") from None
    out = []
    for n in numbers:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"numbers must be non-negative ints, got {n!r}")
        out.append((num2words(n, lang=src_lang), num2words(n, lang=tgt_lang)))
    return out


def date_pairs(
    n: int,
    seed: int | None = None,
    locales: Sequence[str] = DATE_LOCALES,
    formats: Sequence[str] = DATE_FORMATS,
    first_year: int = 1950,
    last_year: int = 2049,
) -> list[Pair]:
    """``n`` random dates: ``(babel.format_date(d, format, locale), d.isoformat())``.

    Dates are uniform over ``first_year``-``last_year``; locale and format are drawn per
    date. Babel's ``short`` format is left out on purpose: ``11/12/26`` means different
    days in different locales.
    """
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    check_positive_int(n, "n")
    _check_seed(seed)
    for values, name in ((locales, "locales"), (formats, "formats")):
        if not check_str_list(values, name):
            raise ValueError(f"{name} must hold at least one str")
    for locale in locales:
        try:
            Locale.parse(locale)
        except (ValueError, TypeError, UnknownLocaleError):
            raise ValueError(f"locales must hold locale names babel knows (e.g. 'en_US'), got {locale!r}") from None
    check_int(first_year, "first_year", datetime.MINYEAR, datetime.MAXYEAR + 1)
    check_int(last_year, "last_year", first_year, datetime.MAXYEAR + 1)
    rng = random.Random(seed_for("date_pairs") if seed is None else seed)
    start = datetime.date(first_year, 1, 1).toordinal()
    end = datetime.date(last_year, 12, 31).toordinal()
    out = []
    for _ in range(n):
        d = datetime.date.fromordinal(rng.randint(start, end))
        out.append((format_date(d, format=rng.choice(formats), locale=rng.choice(locales)), d.isoformat()))
    return out


def load_bible(path: Path | str = BIBLE_FILE) -> list[Pair]:
    """English (KJV) -> Spanish (Reina-Valera 1909) verse pairs, in canonical order."""
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path} not found: run scripts/extract_bible.py to create it")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t")[1:3]) for line in f]


def split_pairs(
    pairs: Sequence[Pair], fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int | None = None
) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """Shuffle with ``seed`` (default: from ``SEQATTN_SEED``) and cut into train / validation / test.

    Pairs are first grouped by source string, so no source appears in two splits (and
    exact duplicates are dropped).
    """
    _check_pairs(pairs)
    _check_seed(seed)
    if not isinstance(fractions, (tuple, list)) or len(fractions) != 3:
        raise ValueError(f"fractions must be three numbers (train, validation, test), got {fractions!r}")
    for f in fractions:
        check_finite(f, "every value of fractions")
    if any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    by_source: dict[str, list[Pair]] = {}
    for src, tgt in dict.fromkeys(tuple(pair) for pair in pairs):
        by_source.setdefault(src, []).append((src, tgt))
    sources = list(by_source)
    random.Random(seed_for("split_pairs") if seed is None else seed).shuffle(sources)
    n_train = round(fractions[0] * len(sources))
    n_val = round(fractions[1] * len(sources))
    cuts = (sources[:n_train], sources[n_train : n_train + n_val], sources[n_train + n_val :])
    return tuple([p for s in part for p in by_source[s]] for part in cuts)


@dataclass
class Batch:
    """Padded ids for a batch of pairs.

    ``src (batch, n_src)``, ``src_lengths (batch,)``; ``tgt_in (batch, n_tgt)`` starts
    with ``<bos>`` (decoder input under teacher forcing); ``tgt_out (batch, n_tgt)``
    ends with ``<eos>`` (what the decoder must predict); padding id 0 in all.
    """

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor

    def __post_init__(self):
        dims = check_tensor(self.src, "batch.src", ("batch", "n_src"), dtype="int")
        on = self.src.device
        check_tensor(self.src_lengths, "batch.src_lengths", ("batch",), dims, dtype="int", device=on)
        check_tensor(self.tgt_in, "batch.tgt_in", ("batch", "n_tgt"), dims, dtype="int", device=on)
        check_tensor(self.tgt_out, "batch.tgt_out", ("batch", "n_tgt"), dims, dtype="int", device=on)


def _collate(encoded: Sequence[tuple[list[int], list[int]]], device) -> Batch:
    """Pad encoded ``(source ids, target ids)`` pairs into a :class:`Batch` on ``device``."""
    src_ids, src_lengths = pad_batch([s for s, _ in encoded])
    tgt_ids, _ = pad_batch([t for _, t in encoded])
    return Batch(src_ids.to(device), src_lengths.to(device), tgt_ids[:, :-1].to(device), tgt_ids[:, 1:].to(device))


def _length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random, pool: int = 50):
    """Endless batches of indices into ``lengths``, similar lengths together (see ``sampler``)."""
    while True:
        order = rng.sample(range(len(lengths)), len(lengths))
        batches = []
        for start in range(0, len(order), pool * batch_size):
            chunk = sorted(order[start : start + pool * batch_size], key=lengths.__getitem__)
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        rng.shuffle(batches)
        yield from batches


@dataclass
class TranslationTask:
    """A task's splits, tokenisers and vocabularies (built on ``train`` only)."""

    name: str
    train: list[Pair]
    val: list[Pair]
    test: list[Pair]
    src_tokenize: Callable[[str], list[str]]
    tgt_tokenize: Callable[[str], list[str]]
    src_vocab: Vocab
    tgt_vocab: Vocab

    def __post_init__(self):
        for split in ("train", "val", "test"):
            _check_pairs(getattr(self, split), split)
        for fn, name in ((self.src_tokenize, "src_tokenize"), (self.tgt_tokenize, "tgt_tokenize")):
            if not callable(fn):
                raise ArgumentTypeError(f"{name} must be a function str -> list[str], got {type(fn).__name__}")
        for vocab, name in ((self.src_vocab, "src_vocab"), (self.tgt_vocab, "tgt_vocab")):
            if not isinstance(vocab, Vocab):
                raise ArgumentTypeError(f"{name} must be a Vocab, got {type(vocab).__name__}")

    def batch(self, pairs: Sequence[Pair], device: torch.device | str | None = None) -> Batch:
        """Tokenise, encode and pad ``pairs`` into a :class:`Batch` on ``device``."""
        _check_pairs(pairs)
        if len(pairs) == 0:
            raise ValueError("pairs must hold at least one (source, target) pair")
        return _collate([self._encode(pair) for pair in pairs], device)

    def _encode(self, pair: Pair) -> tuple[list[int], list[int]]:
        """Source ids, and target ids between ``<bos>`` and ``<eos>``."""
        src, tgt = pair
        return self.src_vocab.encode(self.src_tokenize(src)), self.tgt_vocab.encode(self.tgt_tokenize(tgt), True, True)

    def sampler(
        self, batch_size: int, device=None, seed: int | None = None, by_length: bool = False
    ) -> Callable[[], Batch]:
        """A ``get_batch()`` function returning ``batch_size`` training pairs per call.

        By default each call draws a random sample of pairs. With ``by_length``, a batch holds
        pairs of similar length, so little of its compute goes to padding: each pass over the
        training pairs shuffles them, sorts each pool of 50 batches' worth by the longer side's
        length, cuts the pools into batches and shuffles the batches (every pair once per pass).
        """
        check_positive_int(batch_size, "batch_size")
        _check_seed(seed)
        if not isinstance(by_length, bool):
            raise ArgumentTypeError(f"by_length must be a bool, got {type(by_length).__name__}")
        if not self.train:
            raise ValueError(f"task {self.name!r} has no training pairs to sample from")
        rng = random.Random(seed_for("sampler") if seed is None else seed)
        encoded = [self._encode(pair) for pair in self.train]
        size = min(batch_size, len(encoded))
        if not by_length:
            return lambda: _collate(rng.sample(encoded, size), device)
        batches = _length_batches([max(len(s), len(t)) for s, t in encoded], size, rng)
        return lambda: _collate([encoded[i] for i in next(batches)], device)

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Join target tokens back into a string (characters glued, words spaced, subwords
        joined by their :class:`SubwordTokenizer`)."""
        tokens = check_str_list(tokens, "tokens")
        if isinstance(self.tgt_tokenize, SubwordTokenizer):
            return self.tgt_tokenize.detokenize(tokens)
        return ("" if self.tgt_tokenize is tokenize_chars else " ").join(tokens)

    def decode(self, ids: Sequence[int]) -> str:
        """Target ids (a model's output) back to a string, specials dropped."""
        return self.detokenize(self.tgt_vocab.decode(ids))

    def reference(self, target: str) -> str:
        """A target string as the model should produce it (tokenised and re-joined)."""
        if not isinstance(target, str):
            raise ArgumentTypeError(f"target must be a str, got {type(target).__name__}")
        return self.detokenize(self.tgt_tokenize(target))


def random_numbers(n: int, max_digits: int = 6, seed: int | None = None) -> list[int]:
    """``n`` random positive ints: the number of digits uniform in ``1..max_digits``, then
    the number uniform among those with that many digits (so short and long phrases are
    equally common)."""
    check_positive_int(n, "n")
    check_positive_int(max_digits, "max_digits")
    _check_seed(seed)
    rng = random.Random(seed_for("random_numbers") if seed is None else seed)
    out = []
    for _ in range(n):
        d = rng.randint(1, max_digits)
        out.append(rng.randint(1 if d == 1 else 10 ** (d - 1), 10**d - 1))
    return out


def load_task(
    name: str, seed: int | None = None, n_dates: int = 6000, n_numbers: int = 15000, max_digits: int = 6,
    subwords: int | None = None,
) -> TranslationTask:
    """Build one of :data:`TASKS` with its fixed splits.

    Args:
        name: ``"numbers"`` (:func:`random_numbers` ``(n_numbers, max_digits)``, duplicates
            dropped), ``"dates"`` (``n_dates`` dates) or ``"bible"``.
        seed: seed of the data and of the split; ``None`` derives it from ``SEQATTN_SEED``,
            so every chapter that loads a task under one seed shares its splits.
        subwords: for ``"bible"``, tokenise each side into this many lower-cased subwords
            (a :class:`SubwordTokenizer` per language, learned from the training split)
            instead of lower-cased words, of which those seen once become ``<unk>``.
    """
    if name not in TASKS:
        raise ValueError(f"name must be one of {TASKS}, got {name!r}")
    _check_seed(seed)
    for value, arg in ((n_dates, "n_dates"), (n_numbers, "n_numbers"), (max_digits, "max_digits")):
        check_positive_int(value, arg)
    if subwords is not None:
        check_positive_int(subwords, "subwords")
        if name != "bible":
            raise ValueError(f"subwords is for the 'bible' task only, got name={name!r}")
    if seed is None:
        seed = seed_for(f"load_task/{name}")
    if name == "numbers":
        numbers = random_numbers(n_numbers, max_digits, seed)
        pairs, src_tok, tgt_tok, min_freq = number_pairs(numbers), tokenize_words, tokenize_chars, 1
    elif name == "dates":
        pairs, src_tok, tgt_tok, min_freq = date_pairs(n_dates, seed=seed), tokenize_chars, tokenize_chars, 1
    else:  # "bible"
        pairs, src_tok, tgt_tok, min_freq = load_bible(), tokenize_words, tokenize_words, 2
    train, val, test = split_pairs(pairs, seed=seed)
    if subwords is not None:
        src_tok = SubwordTokenizer([s for s, _ in train], subwords)
        tgt_tok, min_freq = SubwordTokenizer([t for _, t in train], subwords), 1
    src_vocab = Vocab((src_tok(s) for s, _ in train), min_freq=min_freq)
    tgt_vocab = Vocab((tgt_tok(t) for _, t in train), min_freq=min_freq, specials=True)
    return TranslationTask(name, train, val, test, src_tok, tgt_tok, src_vocab, tgt_vocab)
