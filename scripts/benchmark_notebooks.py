"""Execute every chapter notebook and record how long each takes.

Writes ``book/benchmarks/notebook_times.csv`` (notebook, seconds, device, torch_threads,
date) with a final ``TOTAL`` row; the book shows it on the "How long each chapter takes"
page. Rerun it whenever a notebook changes:

    .venv/bin/python scripts/benchmark_notebooks.py            # all notebooks
    .venv/bin/python scripts/benchmark_notebooks.py 03_lstm_gru   # one; other rows kept

Notebooks run one at a time, each in a fresh kernel, exactly as the book build runs them.
``SEQATTN_DEVICE`` and ``SEQATTN_THREADS`` are passed through to the kernels.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "benchmarks" / "notebook_times.csv"
FIELDS = ["notebook", "seconds", "device", "torch_threads", "date"]


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook stems to run (default: all)")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from seqattn_lib.runtime import get_device

    device = get_device().type
    threads = os.environ.get("SEQATTN_THREADS", "1")
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
        missing = set(args.names) - {p.stem for p in paths}
        if missing:
            parser.error(f"no such notebooks: {sorted(missing)}")

    rows = {}
    if args.output.exists() and args.names:
        with args.output.open() as f:
            rows = {r["notebook"]: r for r in csv.DictReader(f) if r["notebook"] != "TOTAL"}
    today = dt.date.today().isoformat()
    for path in paths:
        seconds = run(path)
        print(f"{path.name:45s} {seconds:8.1f} s", flush=True)
        rows[path.stem] = {"notebook": path.stem, "seconds": f"{seconds:.1f}", "device": device,
                           "torch_threads": threads, "date": today}
    total = sum(float(r["seconds"]) for r in rows.values())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))
        writer.writerow({"notebook": "TOTAL", "seconds": f"{total:.1f}", "device": device,
                         "torch_threads": threads, "date": today})
    print(f"{'TOTAL':45s} {total:8.1f} s (torch {torch.__version__}) -> {args.output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
