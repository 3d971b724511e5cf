"""Sentences with human sentiment ratings (Hutto & Gilbert, 2014): movie reviews, and more.

Introduced in chapter 2 (an attention-pooling sentiment classifier); chapter 6 (text
monitoring) reads the other sets as a stream. The 10,605 sentences of Pang & Lee's
movie-review snippets, each rated by about 20 people from -4 (very negative) to +4 (very
positive), ship inside the *source distribution* of the PyPI package
``vaderSentiment==3.3.2`` (file ``additional_resources/hutto_ICWSM_2014.tar.gz``; the wheel
does not hold them), with three more sets rated the same way: 3,708 sentences of Amazon
product reviews, 5,190 of New York Times editorials and 4,200 tweets (:data:`CORPORA`).

:func:`load_rated_sentences` (and :func:`load_movie_reviews`, its movie-review case) fetches
that sdist once with pip itself (``pip download --no-deps --no-binary :all:
vaderSentiment==3.3.2``) into the cache folder, extracts the rows of all four sets into small
CSVs there and reads a CSV on every later call (no network). A cache made before the other sets
were read still holds the sdist, from which their CSVs are made without a download.
``make setup`` makes that first call, so the notebooks never need the network there; where
the library was installed without set-up (Colab, Kaggle: see :mod:`seqattn_lib.bootstrap`)
the first call fetches it. The cache folder is ``$SEQATTN_CACHE`` if set, else
``.cache/seqattn/`` under the repository root (git-ignored) when the library is used from
its repository, else ``seqattn/`` in the user's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache``) when it is installed from a wheel.

Chapter 6g turns the sentences into an acceptability task, like CoLA (Warstadt et al., 2019):
:func:`corrupt_sentence` replaces words by words drawn from the corpus's unigram
distribution, and a classifier tells kept sentences from corrupted ones.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pandas as pd
import torch

from ..checks import ArgumentTypeError, check_generator, check_id_list, check_positive_int, check_tensor

PACKAGE = "vaderSentiment==3.3.2"
_INNER = "additional_resources/hutto_ICWSM_2014.tar.gz"
#: The four rated sets: name -> file in the archive (one ``id <tab> mean rating <tab> sentence`` a line).
CORPORA = {
    "movie_reviews": "movieReviewSnippets_GroundTruth.txt",  # Pang & Lee's Rotten Tomatoes snippets
    "product_reviews": "amazonReviewSnippets_GroundTruth.txt",  # Amazon reviews; id = review_sentence
    "news": "nytEditorialSnippets_GroundTruth.txt",  # New York Times editorials; id = article_sentence
    "tweets": "tweets_GroundTruth.txt",
}
CSV_NAME = "movie_reviews.csv"  # the cached movie reviews; each set X is cached as X.csv


def cache_dir() -> Path:
    """The cache folder (created if missing): ``$SEQATTN_CACHE``, or ``<repo root>/.cache/seqattn``
    when the library is used from its repository, or ``seqattn`` in the user's cache folder."""
    repo = Path(__file__).resolve().parents[2]
    if os.environ.get("SEQATTN_CACHE"):
        path = Path(os.environ["SEQATTN_CACHE"])
    elif (repo / "pyproject.toml").is_file() and (repo / "seqattn_lib").is_dir():
        path = repo / ".cache" / "seqattn"
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "seqattn"
    path.mkdir(parents=True, exist_ok=True)
    return path


def download_sdist(dest: Path) -> Path:
    """Fetch the ``vaderSentiment`` source archive into ``dest`` with pip; return its path.

    Raises:
        ValueError: if pip fails (e.g. no access to the package index).
    """
    dest = Path(dest)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", PACKAGE, "-d", str(dest)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(dest.glob("vaderSentiment-3.3.2.tar.gz"))
    if done.returncode != 0 or not found:
        raise ValueError(f"could not fetch {PACKAGE} with pip ({' '.join(cmd)}):\n{done.stderr[-2000:]}")
    return found[0]


def _check_corpus(corpus: object) -> str:
    if not isinstance(corpus, str) or corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {sorted(CORPORA)}, got {corpus!r}")
    return corpus


def extract_rated_sentences(sdist: Path, corpus: str = "movie_reviews") -> list[tuple[str, float, str]]:
    """Read ``(id, rating, sentence)`` rows of one set (a key of :data:`CORPORA`) from the sdist at ``sdist``.

    Raises:
        ValueError: if ``corpus`` is not a key of :data:`CORPORA`, or the archive does not hold its file.
    """
    return _extract(sdist, [_check_corpus(corpus)])[corpus]


def _extract(sdist: Path, corpora: list[str]) -> dict[str, list[tuple[str, float, str]]]:
    """The rows of several sets, reading the archive once."""
    with tarfile.open(sdist, "r:gz") as outer:
        inner_member = next((m for m in outer.getmembers() if m.name.endswith(_INNER)), None)
        if inner_member is None:
            raise ValueError(f"{sdist} holds no {_INNER}")
        inner_bytes = outer.extractfile(inner_member).read()
    found = {}
    with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:gz") as inner:
        members = inner.getmembers()
        for corpus in corpora:
            member = next((m for m in members if m.name.endswith("/" + CORPORA[corpus])), None)
            if member is None:
                raise ValueError(f"{_INNER} in {sdist} holds no {CORPORA[corpus]}")
            rows = []
            for line in inner.extractfile(member).read().decode("utf-8").splitlines():
                parts = line.strip().split("\t", 2)
                if len(parts) == 3 and parts[2].strip():
                    rows.append((parts[0].strip(), float(parts[1]), parts[2].strip()))
            if not rows:
                raise ValueError(f"no rows found in {CORPORA[corpus]} of {sdist}")
            found[corpus] = rows
    return found


def load_rated_sentences(
    corpus: str = "movie_reviews", drop_neutral: bool = True, cache: str | Path | None = None
) -> pd.DataFrame:
    """One rated set as a table with columns ``id, rating, text, label``.

    Args:
        corpus: which set, a key of :data:`CORPORA`: ``"movie_reviews"``, ``"product_reviews"``,
            ``"news"`` or ``"tweets"``.
        drop_neutral: drop the sentences whose mean rating is exactly 0.
        cache: folder of the cached CSVs (default :func:`cache_dir`).

    Returns:
        A ``DataFrame`` in the file's order; ``id`` a string (``"17"``, or ``"12_3"``: sentence 3
        of review or article 12), ``rating`` in ``[-4, 4]``, ``label`` 1 for a positive mean rating
        and 0 for a negative one (and for 0 when it is kept).

    Raises:
        ValueError: if ``corpus`` is not a key of :data:`CORPORA`.
        ArgumentTypeError: (a ``TypeError`` and a ``ValueError``) if ``drop_neutral`` is not a bool.
    """
    _check_corpus(corpus)
    if not isinstance(drop_neutral, bool):
        raise ArgumentTypeError(f"drop_neutral must be a bool, got {drop_neutral!r}")
    folder = Path(cache) if cache is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{corpus}.csv"
    if not path.exists():
        sdist = next(iter(sorted(folder.glob("vaderSentiment-3.3.2.tar.gz"))), None) or download_sdist(folder)
        missing = [name for name in CORPORA if not (folder / f"{name}.csv").exists()]
        for name, rows in _extract(sdist, missing).items():  # every missing set at once: one read of the archive
            tmp = folder / f"{name}.{os.getpid()}.tmp"  # a file of its own per process
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["id", "rating", "text"])
                writer.writerows(rows)
            tmp.replace(folder / f"{name}.csv")
    df = pd.read_csv(path, encoding="utf-8", keep_default_na=False, dtype={"id": str})
    if drop_neutral:
        df = df[df["rating"] != 0].reset_index(drop=True)
    df["label"] = (df["rating"] > 0).astype(int)
    return df


def load_movie_reviews(drop_neutral: bool = True, cache: str | Path | None = None) -> pd.DataFrame:
    """The movie-review sentences (chapter 2): ``load_rated_sentences("movie_reviews", drop_neutral, cache)``."""
    return load_rated_sentences("movie_reviews", drop_neutral, cache)


def corrupt_sentence(ids, unigram: torch.Tensor, n: int = 1, generator: torch.Generator | None = None) -> list[int]:
    """A corrupted copy of the sentence ``ids`` (a list of word ids), for an acceptability task (chapter 6g).

    ``n`` distinct positions, drawn uniformly, each get a word drawn from ``unigram`` (weights,
    e.g. counts, of every id), never the word that was there; since the new words follow the
    corpus's own frequencies, their rarity is no cue.

    Args:
        ids: the sentence, ids in ``[0, len(unigram))``.
        unigram: ``(vocab_size,)`` float weights, finite and >= 0 (0: never drawn).
        n: how many words to replace (at most ``len(ids)``).
        generator: random generator (``None``: torch's global one).

    Returns:
        A new list of ``len(ids)`` ids that differs from ``ids`` in ``n`` places (``ids`` itself
        is left unchanged).

    Raises:
        ValueError: if ``ids`` is empty, or ``unigram`` gives no weight to any word but the
            replaced one.
    """
    check_tensor(unigram, "unigram", (None,), dtype="float")
    weights = unigram.detach().to("cpu", torch.float64)
    if not torch.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("unigram must hold finite weights >= 0")
    ids = check_id_list(ids, "ids", len(weights))
    check_generator(generator)
    check_positive_int(n, "n")
    if not ids:
        raise ValueError("ids must hold at least one word")
    if n > len(ids):
        raise ValueError(f"n must be at most len(ids) = {len(ids)}, got {n}")
    out = list(ids)
    for position in torch.randperm(len(ids), generator=generator)[:n].tolist():
        w = weights.clone()
        w[ids[position]] = 0.0  # a different word
        if not w.sum() > 0:
            raise ValueError(f"unigram must give weight to some word other than {ids[position]}")
        out[position] = int(torch.multinomial(w, 1, generator=generator))
    return out
