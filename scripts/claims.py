"""Execute the notebooks under several seeds and tabulate every asserted claim.

Each notebook runs in a fresh kernel once per seed, with ``SEQATTN_SEED`` set and
``SEQATTN_CLAIMS`` pointing at a file that :func:`seqattn_lib.claims.claim` appends to.
The table ``book/benchmarks/claims.csv`` gets one row per claim: notebook, claim, bound,
the value under each seed, and the worst margin (the smallest distance by which a seed
cleared the bound; negative if some seed missed it). Rows of notebooks not run this
time are kept, so one chapter can be re-measured alone.

    python scripts/claims.py [--seeds 0-4] [--jobs 2] [--csv PATH] [NAME ...]

Exits 1 if a notebook failed under some seed (a missed claim or any other error).
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from execute_notebooks import chapter_notebooks  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "book" / "benchmarks" / "claims.csv"


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` -> [0, 1, 2, 3, 4]; ``"0,3"`` -> [0, 3]."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    return seeds


def run_one(path: Path, seed: int, workdir: Path, timeout: int) -> tuple[list[dict], str | None, float]:
    """Execute ``path`` with ``SEQATTN_SEED=seed``; return its claims, an error or None, seconds."""
    out = workdir / f"{path.stem}.seed{seed}.jsonl"
    out.unlink(missing_ok=True)
    env = {**os.environ, "SEQATTN_SEED": str(seed), "SEQATTN_CLAIMS": str(out)}
    env.setdefault("SEQATTN_THREADS", "1")
    code = (
        "import sys, nbformat; from nbclient import NotebookClient; "
        "nb = nbformat.read(sys.argv[1], as_version=4); "
        f"NotebookClient(nb, timeout={timeout}, kernel_name='python3', "
        "resources={'metadata': {'path': sys.argv[2]}}).execute()"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(path.parent)], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    error = None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["failed"])[-1]
    claims = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return claims, error, seconds


def margin(row: dict, value: float) -> float:
    """How far ``value`` clears the row's bounds (negative: it misses one)."""
    gaps = []
    if row["at_least"] is not None:
        gaps.append(value - row["at_least"])
    if row["at_most"] is not None:
        gaps.append(row["at_most"] - value)
    return min(gaps) if value == value else float("-inf")  # NaN misses


def bound_text(row: dict) -> str:
    parts = []
    if row["at_least"] is not None:
        parts.append(f">= {row['at_least']:g}")
    if row["at_most"] is not None:
        parts.append(f"<= {row['at_most']:g}")
    return " and ".join(parts)


def last_seconds() -> dict[str, float]:
    """Each notebook's last measured execution time (``notebook_times.csv``), to schedule the runs."""
    path = CSV.parent / "notebook_times.csv"
    if not path.exists():
        return {}
    with path.open() as f:
        return {r["notebook"]: float(r["seconds"]) for r in csv.DictReader(f)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook stems (default: all in notebooks/)")
    parser.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,2 (default 0-4)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks executed at once")
    parser.add_argument("--csv", type=Path, default=CSV, help=f"table to write (default {CSV.relative_to(ROOT)})")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()

    paths = chapter_notebooks(args.names, parser)
    seeds = parse_seeds(args.seeds)
    runs = sorted(((p, s) for p in paths for s in seeds), key=lambda r: -last_seconds().get(r[0].stem, 0))
    results = {}  # the longest notebooks start first, so the runs finish together
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, *r, Path(tmp), args.timeout): r for r in runs}
        for done, future in enumerate(as_completed(futures), 1):
            (path, seed), result = futures[future], future.result()
            results[path, seed] = result
            print(f"[{done}/{len(runs)}] {path.stem} seed {seed}: {result[2]:.0f} s"
                  + (" FAILED" if result[1] else ""), flush=True)

    rows: dict[tuple[str, str], dict] = {}
    failed = []
    for (path, seed), (claims, error, seconds) in results.items():
        print(f"{path.stem:30s} seed {seed}: {len(claims):3d} claims, {seconds:6.1f} s"
              + (f"  FAILED: {error}" if error else ""))
        if error:
            failed.append((path.stem, seed, error))
        for c in claims:
            row = rows.setdefault((path.stem, c["claim"]), {"notebook": path.stem, "claim": c["claim"],
                                                           "at_least": c["at_least"], "at_most": c["at_most"]})
            row[seed] = c["value"]

    fields = ["notebook", "claim", "bound"] + [f"seed_{s}" for s in seeds] + ["worst_margin"]
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    lock = open(args.csv.with_suffix(".lock"), "w")  # several runs may finish at once
    fcntl.flock(lock, fcntl.LOCK_EX)
    table = []
    if args.csv.exists():  # keep the rows of notebooks not executed this time
        with args.csv.open() as f:
            table = [r for r in csv.DictReader(f) if r["notebook"] not in {p.stem for p in paths}]
    for row in rows.values():
        values = {s: row[s] for s in seeds if s in row}
        worst = min((margin(row, v) for v in values.values()), default=float("nan"))
        if len(values) < len(seeds):  # a seed never reached this claim: its notebook failed earlier
            worst = float("-inf")
        table.append({"notebook": row["notebook"], "claim": row["claim"], "bound": bound_text(row),
                      **{f"seed_{s}": f"{v:.6g}" for s, v in values.items()}, "worst_margin": f"{worst:.4g}"})
    table.sort(key=lambda r: r["notebook"])  # stable: claims stay in the order the notebook makes them
    with args.csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    lock.close()
    print(f"{len(rows)} claims from {len(paths)} notebooks under seeds {seeds} -> {args.csv}")
    for name, seed, error in failed:
        print(f"FAILED {name} seed {seed}: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
