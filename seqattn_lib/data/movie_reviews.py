"""Movie-review sentences with human sentiment ratings (Hutto & Gilbert, 2014).

Introduced in chapter 2 (an attention-pooling sentiment classifier). The 10,605
sentences of Pang & Lee's movie-review snippets, each rated by about 20 people from -4
(very negative) to +4 (very positive), ship inside the *source distribution* of the
PyPI package ``vaderSentiment==3.3.2`` (file
``additional_resources/hutto_ICWSM_2014.tar.gz``; the wheel does not hold them).

:func:`load_movie_reviews` fetches that sdist once with pip itself
(``pip download --no-deps --no-binary :all: vaderSentiment==3.3.2``), extracts the rows
into a small CSV in the cache folder and reads the CSV on every later call (no network).
``make setup`` makes that first call, so the notebooks never need the network there; where
the library was installed without set-up (Colab, Kaggle: see :mod:`seqattn_lib.bootstrap`)
the first call fetches it. The cache folder is ``$SEQATTN_CACHE`` if set, else
``.cache/seqattn/`` under the repository root (git-ignored) when the library is used from
its repository, else ``seqattn/`` in the user's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache``) when it is installed from a wheel.
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

PACKAGE = "vaderSentiment==3.3.2"
_INNER = "additional_resources/hutto_ICWSM_2014.tar.gz"
_MEMBER = "movieReviewSnippets_GroundTruth.txt"
CSV_NAME = "movie_reviews.csv"


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


def extract_movie_reviews(sdist: Path) -> list[tuple[int, float, str]]:
    """Read ``(id, rating, sentence)`` rows from the ``vaderSentiment`` sdist at ``sdist``.

    Raises:
        ValueError: if the archive does not hold the movie-review file.
    """
    with tarfile.open(sdist, "r:gz") as outer:
        inner_member = next((m for m in outer.getmembers() if m.name.endswith(_INNER)), None)
        if inner_member is None:
            raise ValueError(f"{sdist} holds no {_INNER}")
        inner_bytes = outer.extractfile(inner_member).read()
    with tarfile.open(fileobj=io.BytesIO(inner_bytes), mode="r:gz") as inner:
        member = next((m for m in inner.getmembers() if m.name.endswith(_MEMBER)), None)
        if member is None:
            raise ValueError(f"{_INNER} in {sdist} holds no {_MEMBER}")
        text = inner.extractfile(member).read().decode("utf-8")
    rows = []
    for line in text.splitlines():
        parts = line.strip().split("\t", 2)
        if len(parts) == 3 and parts[2].strip():
            rows.append((int(parts[0]), float(parts[1]), parts[2].strip()))
    if not rows:
        raise ValueError(f"no rows found in {_MEMBER} of {sdist}")
    return rows


def load_movie_reviews(drop_neutral: bool = True, cache: str | Path | None = None) -> pd.DataFrame:
    """The movie-review sentences as a table with columns ``id, rating, text, label``.

    Args:
        drop_neutral: drop the few sentences whose mean rating is exactly 0.
        cache: folder of the cached CSV (default :func:`cache_dir`).

    Returns:
        A ``DataFrame`` in the file's order; ``rating`` in ``[-4, 4]``, ``label`` 1 for a
        positive mean rating and 0 for a negative one (and for 0 when it is kept).
    """
    folder = Path(cache) if cache is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CSV_NAME
    if not path.exists():
        sdist = next(iter(sorted(folder.glob("vaderSentiment-3.3.2.tar.gz"))), None) or download_sdist(folder)
        rows = extract_movie_reviews(sdist)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "rating", "text"])
            writer.writerows(rows)
        tmp.replace(path)
    df = pd.read_csv(path, encoding="utf-8", keep_default_na=False)
    if drop_neutral:
        df = df[df["rating"] != 0].reset_index(drop=True)
    df["label"] = (df["rating"] > 0).astype(int)
    return df
