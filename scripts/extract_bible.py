"""Extract aligned English-Spanish Bible verses into a small package data file.

Run once, on a machine with Debian's ``sword-text-kjv`` and ``sword-text-sparv``
packages (King James Version and Reina-Valera 1909, both public domain) and the PyPI
package ``pysword``::

    apt-get install -y sword-text-kjv sword-text-sparv
    python scripts/extract_bible.py

It writes ``seqattn_lib/data/bible_kjv_rv1909.tsv.gz``: one verse per line,
``reference<TAB>english<TAB>spanish``, for the verses whose two sides both have at most
``MAX_WORDS`` words. Readers of the book need only that file, not the apt packages.
"""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path

from pysword.modules import SwordModules

MAX_WORDS = 15
OUT = Path(__file__).resolve().parents[1] / "seqattn_lib" / "data" / "bible_kjv_rv1909.tsv.gz"
_NOTE = re.compile(r"<note\b.*?</note>", re.S)
_TAG = re.compile(r"<[^>]+>")


def clean(raw: str) -> str:
    """Remove footnotes and markup from one verse of OSIS text; squeeze spaces."""
    text = _TAG.sub("", _NOTE.sub("", raw))
    return " ".join(html.unescape(text).split())


def main() -> None:
    modules = SwordModules("/usr/share/sword")
    modules.parse_modules()
    kjv = modules.get_bible_from_module("engKJV2006eb")
    rv = modules.get_bible_from_module("spaRV1909eb")
    rows, total = [], 0
    for testament in kjv.get_structure().get_books().values():
        for book in testament:
            for chapter, n_verses in enumerate(book.chapter_lengths, 1):
                for verse in range(1, n_verses + 1):
                    where = dict(books=[book.osis_name], chapters=[chapter], verses=[verse], clean=False)
                    en, es = clean(kjv.get(**where)), clean(rv.get(**where))
                    if not en or not es:
                        continue
                    total += 1
                    if len(en.split()) <= MAX_WORDS and len(es.split()) <= MAX_WORDS:
                        rows.append(f"{book.osis_name}.{chapter}.{verse}\t{en}\t{es}\n")
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:  # mtime=0: the same bytes on every run
        f.write("".join(rows).encode("utf-8"))
    print(f"{total} verse pairs, kept {len(rows)} with both sides <= {MAX_WORDS} words -> {OUT}")


if __name__ == "__main__":
    main()
