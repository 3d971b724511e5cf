"""Sphinx extension: a line under each chapter's title with its execution time and freshness.

Every page of a notebook in ``notebooks/`` gets, right after its title, a line such as

    Executes in about 2 min 24 s on a 2-core CPU (measured 2026-11-29). Last executed on
    2026-11-29 with Python 3.11.9 and PyTorch 2.13.0.

The times come from ``book/benchmarks/notebook_times.csv`` (``make benchmark`` writes it), read
when the book is built, so the page never holds a hand-copied number; a row whose ``device``
is not ``cpu`` (a GPU, once measured) adds its time too. The date is when MyST-NB executed
the notebook (or when the execution cache it took the outputs from did), the Python version
that of the kernel that executed it (the notebook's ``language_info``), and PyTorch's version
that of the environment building the book, which ``make book`` uses for the kernels as well.

Enabled in ``_config.yml`` (``sphinx: local_extensions: {chapter_info: book/_ext}``).
Config values: ``chapter_info_times`` (the CSV, relative to the source folder),
``chapter_info_docs`` (the folder whose pages get the line), ``chapter_info_cpu`` (how the
CPU the times were measured on is described).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import platform
from pathlib import Path

from docutils import nodes

__version__ = "1.0"

STATIC = Path(__file__).with_name("chapter_info_static")


def read_times(path: str | Path) -> dict[str, dict[str, dict[str, str]]]:
    """``{notebook: {device: row}}`` from the benchmarks table (the ``TOTAL`` row left out).

    Raises:
        ValueError: if the table lacks a column this extension reads, or a time is not a number.
    """
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"notebook", "seconds", "device", "date"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path} lacks the columns {sorted(missing)}")
        table: dict[str, dict[str, dict[str, str]]] = {}
        for row in reader:
            if row["notebook"] == "TOTAL":
                continue
            try:
                float(row["seconds"])
            except ValueError:
                raise ValueError(f"{path}: {row['notebook']} has no time in seconds: {row['seconds']!r}") from None
            table.setdefault(row["notebook"], {})[row["device"].strip().lower() or "cpu"] = row
    return table


def format_duration(seconds: float) -> str:
    """``13 s``, ``2 min 24 s``, ``5 min``, ``1 h 2 min``: a duration as a reader reads it."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def info_text(rows: dict[str, dict[str, str]] | None, executed: dt.date | None, python: str | None,
              torch: str | None, cpu: str = "a 2-core CPU") -> str:
    """The sentence(s) shown under a chapter's title (empty when there is nothing to say)."""
    parts = []
    rows = rows or {}
    if "cpu" in rows:
        row = rows["cpu"]
        parts.append(f"Executes in about {format_duration(float(row['seconds']))} on {cpu}"
                     + (f" (measured {row['date']})" if row.get("date") else ""))
    for device, row in sorted(rows.items()):
        if device != "cpu":
            name = "a GPU" if device == "cuda" else device.upper()
            parts.append(f"{format_duration(float(row['seconds']))} on {name}"
                         + (f" (measured {row['date']})" if row.get("date") else ""))
    text = "; ".join(parts) + "." if parts else ""
    if executed is not None:
        versions = " and ".join(v for v in (python and f"Python {python}", torch and f"PyTorch {torch}") if v)
        text += f" Last executed on {executed.isoformat()}" + (f" with {versions}" if versions else "") + "."
    return text.strip()


def _times(app) -> dict:
    cached = getattr(app, "_chapter_info_times", None)
    if cached is None:
        path = Path(app.srcdir) / app.config.chapter_info_times
        cached = app._chapter_info_times = read_times(path) if path.is_file() else {}
    return cached


def _executed(env, docname: str) -> dt.date | None:
    data = getattr(env, "nb_metadata", {}).get(docname, {}).get("exec_data")
    if not data or not data.get("mtime"):
        return None
    return dt.datetime.fromtimestamp(data["mtime"], tz=dt.UTC).date()


def add_line(app, doctree: nodes.document) -> None:
    """``doctree-read``: insert the line after the title of a chapter page."""
    env = app.env
    docname = env.docname
    folder = app.config.chapter_info_docs.rstrip("/") + "/"
    if not docname.startswith(folder):
        return
    path = Path(app.srcdir) / app.config.chapter_info_times
    if path.is_file():
        env.note_dependency(str(path))  # a new table rebuilds the chapter pages
    language = env.metadata.get(docname, {}).get("language_info") or {}
    try:
        torch = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        torch = None
    text = info_text(_times(app).get(Path(docname).name), _executed(env, docname),
                     language.get("version") or platform.python_version(), torch, app.config.chapter_info_cpu)
    section = next(iter(doctree.findall(nodes.section)), None)
    if not text or section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    section.insert(1, nodes.paragraph(text, text, classes=["chapter-info"]))


def add_static_path(app, config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.add_config_value("chapter_info_times", "book/benchmarks/notebook_times.csv", "env")
    app.add_config_value("chapter_info_docs", "notebooks", "env")
    app.add_config_value("chapter_info_cpu", "a 2-core CPU", "env")
    app.connect("config-inited", add_static_path)
    app.connect("doctree-read", add_line)
    app.add_css_file("chapter_info.css")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
