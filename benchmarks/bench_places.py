"""Time a full `mhtool run` with places against the default run, side by side.

    .venv/bin/python benchmarks/bench_places.py                  # default, --places pcn, practice
    .venv/bin/python benchmarks/bench_places.py --repeat 3       # best of three each

Each run is the README's command end to end (spine, workbooks, charts, planning CSVs, places
CSVs, manifest) in a fresh process; peak memory is that process's and its largest worker's.
Prints figures only; nothing here asserts a time. Target: a run with places under 2x the
default run's time and memory on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = {
    "default": [],
    "--places pcn": ["--places", "pcn"],
    "--places practice": ["--places", "practice"],
}


def child(args: list[str]) -> None:
    """One run in this process; print wall, CPU and peak memory as JSON."""
    from click.testing import CliRunner

    from mhtool.cli import main

    start = time.perf_counter()
    r = CliRunner().invoke(main, ["run", *args], catch_exceptions=False)
    wall = time.perf_counter() - start
    if r.exit_code:
        raise SystemExit(r.output)
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    out = Path(args[args.index("--out") + 1])
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                "main_mb": me.ru_maxrss / 1024,
                "worker_mb": kids.ru_maxrss / 1024,
                "files": sum(1 for p in out.rglob("*") if p.is_file()),
                "spine_rows": r.output.split(" rows")[0].split()[-1],
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is shown")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child)
        return
    print(f"cpus available: {len(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in RUNS.items():
            best = None
            for i in range(args.repeat):
                cmd = [
                    sys.executable,
                    __file__,
                    "--child",
                    *flags,
                    "--out",
                    f"{tmp}/{i}{len(results)}",
                ]
                r = json.loads(
                    subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                )
                best = r if best is None or r["wall"] < best["wall"] else best
            results[name] = best
    base = results["default"]
    print(
        f"{'run':<20} {'rows':>9} {'files':>6} {'wall s':>7} {'cpu s':>7} {'x wall':>7} "
        f"{'main MB':>8} {'worker MB':>9} {'x mem':>6}"
    )
    for name, r in results.items():
        mem, base_mem = max(r["main_mb"], r["worker_mb"]), max(base["main_mb"], base["worker_mb"])
        print(
            f"{name:<20} {r['spine_rows']:>9} {r['files']:>6} {r['wall']:>7.2f} {r['cpu']:>7.2f} "
            f"{r['wall'] / base['wall']:>7.2f} {r['main_mb']:>8.0f} {r['worker_mb']:>9.0f} "
            f"{mem / base_mem:>6.2f}"
        )


if __name__ == "__main__":
    main()
