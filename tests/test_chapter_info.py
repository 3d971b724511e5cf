"""book/_ext/chapter_info.py: each chapter's time and freshness under its title, read at build time."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest
import yaml
from conftest import BOOK_PACKAGES

pytest.importorskip("sphinx", reason=BOOK_PACKAGES)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import chapter_info  # noqa: E402

TIMES = ROOT / "book" / "benchmarks" / "notebook_times.csv"


def test_the_book_enables_it():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["chapter_info"] == "book/_ext"


def test_the_books_table_reads():
    """(tests/test_benchmarks.py checks that every notebook has a time in it.)"""
    table = chapter_info.read_times(TIMES)
    assert table and "TOTAL" not in table
    for notebook, rows in table.items():
        assert (ROOT / "notebooks" / f"{notebook}.ipynb").is_file(), notebook
        assert all(float(row["seconds"]) > 0 for row in rows.values())


def test_read_times_keeps_each_device_and_refuses_a_bad_table(tmp_path):
    good = tmp_path / "times.csv"
    good.write_text("notebook,seconds,device,torch_threads,jobs,date\n02_attention,62.6,cpu,1,2,2026-11-29\n"
                    "02_attention,9.5,cuda,1,1,2026-11-30\nTOTAL,62.6,cpu,1,2,2026-11-29\n")
    table = chapter_info.read_times(good)
    assert set(table) == {"02_attention"} and set(table["02_attention"]) == {"cpu", "cuda"}
    bad = tmp_path / "bad.csv"
    bad.write_text("notebook,seconds\n02_attention,62.6\n")
    with pytest.raises(ValueError, match="lacks the columns"):
        chapter_info.read_times(bad)
    bad.write_text("notebook,seconds,device,date\n02_attention,fast,cpu,2026-11-29\n")
    with pytest.raises(ValueError, match="no time in seconds"):
        chapter_info.read_times(bad)


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (13.0, "13 s"), (59.6, "1 min"), (62.6, "1 min 3 s"),
                                           (144.2, "2 min 24 s"), (300, "5 min"), (3720, "1 h 2 min"), (7200, "2 h")])
def test_format_duration(seconds, text):
    assert chapter_info.format_duration(seconds) == text


def test_format_duration_refuses_a_negative_time():
    with pytest.raises(ValueError):
        chapter_info.format_duration(-1)


def test_info_text():
    rows = {"cpu": {"seconds": "144.2", "date": "2026-11-29"}}
    assert chapter_info.info_text(rows, dt.date(2026, 11, 30), "3.11.9", "2.13.0") == (
        "Executes in about 2 min 24 s on a 2-core CPU (measured 2026-11-29). "
        "Last executed on 2026-11-30 with Python 3.11.9 and PyTorch 2.13.0.")
    rows["cuda"] = {"seconds": "20.4", "date": "2026-12-01"}
    assert chapter_info.info_text(rows, None, "3.11.9", "2.13.0") == (
        "Executes in about 2 min 24 s on a 2-core CPU (measured 2026-11-29); 20 s on a GPU (measured 2026-12-01).")
    assert chapter_info.info_text(None, dt.date(2026, 11, 30), "3.12.1", None) == (
        "Last executed on 2026-11-30 with Python 3.12.1.")
    assert chapter_info.info_text({}, None, "3.11.9", "2.13.0") == ""


def test_a_sphinx_build_puts_the_line_under_each_chapter_title_only(tmp_path):
    """A tiny Sphinx project (reStructuredText, no notebooks executed): the chapter page gets
    the line right after its title, another page does not."""
    from sphinx.application import Sphinx

    src = tmp_path / "src"
    (src / "notebooks").mkdir(parents=True)
    (src / "book" / "benchmarks").mkdir(parents=True)
    (src / "book" / "benchmarks" / "notebook_times.csv").write_text(
        "notebook,seconds,device,torch_threads,jobs,date\n02_attention,62.6,cpu,1,2,2026-11-29\n")
    (src / "conf.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
                                 "extensions = ['chapter_info']\nnitpicky = True\n")
    (src / "index.rst").write_text("Book\n====\n\n.. toctree::\n\n   notebooks/02_attention\n   other\n")
    (src / "notebooks" / "02_attention.rst").write_text("Attention\n=========\n\nFirst paragraph.\n")
    (src / "other.rst").write_text("Other\n=====\n\nText.\n")
    warnings = io.StringIO()
    app = Sphinx(str(src), str(src), str(tmp_path / "html"), str(tmp_path / "doctrees"), "html",
                 status=None, warning=warnings, warningiserror=True, freshenv=True)
    app.build()
    assert warnings.getvalue() == ""
    page = (tmp_path / "html" / "notebooks" / "02_attention.html").read_text()
    line = "Executes in about 1 min 3 s on a 2-core CPU (measured 2026-11-29)."
    assert line in page
    assert page.index("<h1>Attention") < page.index('class="chapter-info') < page.index("First paragraph.")
    assert "chapter-info" not in (tmp_path / "html" / "other.html").read_text()
    assert (tmp_path / "html" / "_static" / "chapter_info.css").is_file()
    assert "chapter_info.css" in page
