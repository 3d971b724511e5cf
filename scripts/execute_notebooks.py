"""Execute the chapter notebooks into the book's execution cache, and time them.

``make book`` runs this first: the notebooks execute in parallel (one per CPU core, one
torch thread each) into ``_build/.jupyter_cache``, and ``jupyter-book build`` then takes
their outputs from that cache instead of executing them one after another. A notebook
that fails is reported with its traceback and the script exits 1.

``make benchmark`` runs it with ``--force --csv book/benchmarks/notebook_times.csv``:
every notebook is executed again and its wall time written to the table the book shows
("How long each chapter takes"): notebook, seconds, device, torch_threads, jobs, date,
and a final TOTAL row (the sum: the time the notebooks take one after another).

    python scripts/execute_notebooks.py [--serial] [--force] [--csv PATH] [NAME ...]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
from pathlib import Path

from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "_build" / ".jupyter_cache"
FIELDS = ["notebook", "seconds", "device", "torch_threads", "jobs", "date"]


def chapter_notebooks(names: list[str], parser: argparse.ArgumentParser) -> list[Path]:
    """The notebooks named by their stems (all of notebooks/ when ``names`` is empty)."""
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names]
        if len(paths) != len(set(names)):
            parser.error(f"unknown notebooks among {names}")
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook stems (default: all in notebooks/)")
    parser.add_argument("--serial", action="store_true", help="one notebook at a time (default: one per core)")
    parser.add_argument("--force", action="store_true", help="execute even notebooks whose code is cached")
    parser.add_argument("--csv", type=Path, help="write the timing table here")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()

    paths = chapter_notebooks(args.names, parser)
    CACHE.parent.mkdir(exist_ok=True)
    cache = get_cache(str(CACHE))
    for path in paths:
        cache.add_nb_to_project(str(path))
    os.environ.setdefault("SEQATTN_THREADS", "1")
    # The executors run every outdated notebook of the project; limit it to ours.
    filter_pks = [cache.get_project_record(str(p)).pk for p in paths]
    jobs = 1 if args.serial else os.cpu_count() or 1
    executor = load_executor("local-serial" if jobs == 1 else "local-parallel", cache)
    result = executor.run_and_cache(filter_pks=filter_pks, timeout=args.timeout, force=args.force)

    failed = result.excepted + result.errored
    for uri in failed:
        print(f"FAILED {uri}\n{cache.get_project_record(uri).traceback or ''}", file=sys.stderr)

    sys.path.insert(0, str(ROOT))
    from seqattn_lib.runtime import get_device

    rows, today = {}, dt.date.today().isoformat()
    for path in paths:
        record = cache.get_cached_project_nb(str(path))
        if record is None:
            continue
        seconds = record.data.get("execution_seconds", float("nan"))
        rows[path.stem] = {"notebook": path.stem, "seconds": f"{seconds:.1f}", "device": get_device().type,
                           "torch_threads": os.environ["SEQATTN_THREADS"], "jobs": jobs, "date": today}
        print(f"{path.stem:40s} {seconds:8.1f} s")
    total = sum(float(r["seconds"]) for r in rows.values())
    print(f"{'TOTAL (one after another)':40s} {total:8.1f} s; {len(failed)} failed")
    if args.csv and not failed:
        with args.csv.open("w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS)
            writer.writeheader()
            writer.writerows(rows.values())
            writer.writerow({**next(iter(rows.values())), "notebook": "TOTAL", "seconds": f"{total:.1f}"})
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
