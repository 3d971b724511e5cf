"""The recorded tables behind the book's benchmark and robustness pages are complete and
within bounds: each chapter inside its time budget, each claim passing under every seed."""

import csv
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "book" / "benchmarks"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
# Chapters measured over their budget (notebook_times.csv), to be cut or split; each entry
# says by how much. Remove an entry when the chapter fits: the budget test then asserts it.
OVER_BUDGET: dict[str, str] = {}
# Known gaps in claims.csv, to be closed by running `make claims` (the table shows them blank).
UNMEASURED: dict[str, str] = {}


def _rows(name):
    with (TABLES / name).open() as f:
        return list(csv.DictReader(f))


def test_every_notebook_has_one_budget_and_a_time():
    owners = [nb for row in _rows("budgets.csv") for nb in row["notebooks"].split()]
    assert sorted(owners) == NOTEBOOKS
    times = {r["notebook"] for r in _rows("notebook_times.csv") if r["notebook"] != "TOTAL"}
    assert times == set(NOTEBOOKS)


@pytest.mark.parametrize("row", _rows("budgets.csv"), ids=lambda r: f"chapter {r['chapter']}")
def test_chapter_runs_inside_its_budget(row):
    times = {r["notebook"]: float(r["seconds"]) for r in _rows("notebook_times.csv") if r["notebook"] != "TOTAL"}
    spent = sum(times[nb] for nb in row["notebooks"].split())
    if row["chapter"] in OVER_BUDGET:
        assert spent > float(row["budget_seconds"]), f"chapter {row['chapter']} fits now: remove it from OVER_BUDGET"
        pytest.xfail(OVER_BUDGET[row["chapter"]])
    assert spent <= float(row["budget_seconds"]), f"chapter {row['chapter']}: {spent:.0f} s"


def _claim_names(path):
    """The literal names passed to claim(...) in a notebook's code cells."""
    code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    return set(re.findall(r"\bclaim\(\s*\"([^\"{}]+)\"", code))


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_claims_table_covers_the_notebook_and_every_seed_passes(stem):
    rows = [r for r in _rows("claims.csv") if r["notebook"] == stem]
    missing = _claim_names(ROOT / "notebooks" / f"{stem}.ipynb") - {r["claim"] for r in rows}
    assert not missing, f"claims not in claims.csv (run make claims): {sorted(missing)}"
    seeds = [k for k in rows[0] if k.startswith("seed_")] if rows else []
    for r in rows:
        assert float(r["worst_margin"]) >= 0, f"{r['claim']}: worst seed misses its bound"
    unmeasured = [r["claim"] for r in rows if not all(r[s] for s in seeds)]
    if unmeasured and stem in UNMEASURED:
        pytest.xfail(f"{UNMEASURED[stem]}: {len(unmeasured)} claims lack a value")
    assert len(seeds) >= 5 and not unmeasured, f"claims without a value under some seed: {unmeasured}"
