"""The conda environment.yml installs exactly the pip packages pyproject.toml pins."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_pins() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        pins |= set(extra)
    return pins


def _environment_pins() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    return {m.group(1) for line in lines[start + 1 :] if (m := re.match(r"^\s{6}- (\S+)\s*$", line))}


def test_environment_yml_matches_pyproject():
    assert _environment_pins() == _pyproject_pins()


def test_every_dependency_is_pinned_and_torch_is_2_13():
    pins = _pyproject_pins()
    assert all("==" in p for p in pins), sorted(p for p in pins if "==" not in p)
    assert "torch==2.13.0" in pins


def test_nodeps_requirements_are_pinned_and_documented_for_conda():
    reqs = [line for line in (ROOT / "requirements-nodeps.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert reqs and all("==" in r for r in reqs)
    assert "requirements-nodeps.txt" in (ROOT / "environment.yml").read_text()
    assert "requirements-nodeps.txt" in (ROOT / "Makefile").read_text()
