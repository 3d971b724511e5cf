"""Helpers for tests/test_bootstrap.py and tests/test_binder.py: the library's wheel, and a
fresh virtual environment without the library that still sees the book's other packages.

Reinstalling torch and the rest into a fresh environment would take minutes, so the fresh
one sees the book's environment's packages through a ``.pth`` file naming a folder of links
to them, minus ``seqattn_lib`` itself (its editable finder and metadata); pip counts them as
installed. ``env_without_index`` keeps pip off the network (``PIP_NO_INDEX``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def fresh_venv(tmp: Path) -> Path:
    """A virtual environment that sees the book's packages except seqattn_lib; its python."""
    links = tmp / "deps"
    links.mkdir()
    for entry in site_packages().iterdir():
        name = entry.name.lower()
        if name.startswith(("seqattn", "__editable__")) or name.endswith(".pth"):
            continue
        (links / entry.name).symlink_to(entry)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "book_packages.pth").write_text(f"{links}\n")
    return python


def env_without_index(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def build_wheel(tmp: Path) -> Path:
    """The library's wheel, built from a copy of its sources (no build/ folder in the repository)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "seqattn_lib", src / "seqattn_lib", ignore=shutil.ignore_patterns("__pycache__"))
    # What `pip wheel --no-deps --no-build-isolation` runs (the PEP 517 backend), without pip's 5 s.
    build = "import sys; from setuptools import build_meta; build_meta.build_wheel(sys.argv[1])"
    subprocess.run([sys.executable, "-c", build, str(tmp / "dist")], cwd=src, check=True, capture_output=True,
                   env=env_without_index())
    (wheel,) = (tmp / "dist").glob("seqattn_lib-*.whl")
    return wheel
