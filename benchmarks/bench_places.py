"""Time a full `mhtool run` with places against the default run, side by side.

    .venv/bin/python benchmarks/bench_places.py                  # default, --places pcn, practice
    .venv/bin/python benchmarks/bench_places.py --repeat 3       # best of three each
    .venv/bin/python benchmarks/bench_places.py --spine-only     # only the apportionment table

Each run is the README's command end to end (spine, workbooks, charts, planning CSVs, places
CSVs, manifest) in a fresh process. `main MB` is that process's peak resident memory;
`worker MB` the largest peak of its worker processes, read from each worker's own VmHWM
while it runs (Linux; elsewhere the children's ru_maxrss, which on Linux also counts the
parent's pages a child had at fork and so is no measure of the worker). `x mem` compares
the larger of the two with the default run's.

Then the apportionment alone (`build_spine`, every ambition and year) on areas of growing
number: sub-ICB locations only (106), PCN places (1,305) and practice places (6,554), each
in a fresh process, to show the cost per area staying flat (linear in areas): `cpu s/1k
added` is the cost of each step's added areas, per thousand.

Prints figures only; nothing here asserts a time. Target: a run with places under 2x the
default run's time and memory on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RUNS = {
    "default": [],
    "--places pcn": ["--places", "pcn"],
    "--places practice": ["--places", "practice"],
}
SPINES = {"sub-ICB": None, "pcn": "pcn", "practice": "practice"}


def _kb(status: str, key: str) -> int:
    for line in status.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class WorkerPeaks:
    """The largest VmHWM of this process's children, polled while they run (Linux only)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self.seen = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self.works = Path("/proc/self/status").is_file()

    def __enter__(self) -> WorkerPeaks:
        if self.works:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.works:
            self._thread.join()

    def _poll(self) -> None:
        me, pids = str(os.getpid()), set()
        while not self._stop.wait(0.1):
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    status = Path(entry.path, "status").read_text()
                except OSError:
                    continue
                if _kb(status, "PPid") == int(me):
                    pids.add(entry.name)
                    self.peak_kb = max(self.peak_kb, _kb(status, "VmHWM"))
        self.seen = len(pids)


def child(args: list[str]) -> None:
    """One run in this process; print wall, CPU and peak memory as JSON."""
    import resource

    from click.testing import CliRunner

    from mhtool.cli import main

    start = time.perf_counter()
    with WorkerPeaks() as workers:
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
                "worker_mb": workers.peak_kb / 1024 if workers.works else kids.ru_maxrss / 1024,
                "workers": workers.seen,
                "files": sum(1 for p in out.rglob("*") if p.is_file()),
                "spine_rows": r.output.split(" rows")[0].split()[-1],
            }
        )
    )


def spine_child(kind: str) -> None:
    """The apportionment alone, with places of `kind` ("" for none); print JSON."""
    import resource

    import polars as pl

    from mhtool import places, vocab
    from mhtool.catalogue.load import load_catalogue
    from mhtool.spine import build_spine

    catalogue = load_catalogue()
    pm = places.load(kind, "2022") if kind else None
    start = time.perf_counter()
    cpu = time.process_time()
    spine = build_spine(catalogue, geography="2022", places=pm, compact=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    leaf = vocab.PLACE if kind else "subicb"
    print(
        json.dumps(
            {
                "areas": spine.filter(pl.col("level") == leaf)["org_code"].n_unique(),
                "rows": spine.height,
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _fresh(*args: str) -> dict:
    cmd = [sys.executable, __file__, *args]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def runs(repeat: int) -> None:
    """The full runs side by side."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in RUNS.items():
            best = None
            for i in range(repeat):
                r = _fresh("--child", *flags, "--out", f"{tmp}/{i}{len(results)}")
                best = r if best is None or r["wall"] < best["wall"] else best
            results[name] = best
    base = results["default"]
    base_mem = max(base["main_mb"], base["worker_mb"])
    print(
        f"{'run':<20} {'rows':>9} {'files':>6} {'wall s':>7} {'cpu s':>7} {'x wall':>7} "
        f"{'main MB':>8} {'worker MB':>9} {'x mem':>6}"
    )
    for name, r in results.items():
        mem = max(r["main_mb"], r["worker_mb"])
        print(
            f"{name:<20} {r['spine_rows']:>9} {r['files']:>6} {r['wall']:>7.2f} {r['cpu']:>7.2f} "
            f"{r['wall'] / base['wall']:>7.2f} {r['main_mb']:>8.0f} {r['worker_mb']:>9.0f} "
            f"{mem / base_mem:>6.2f}"
        )


def spines(repeat: int) -> None:
    """The apportionment alone as the areas grow."""
    print(
        f"\n{'apportion to':<13} {'areas':>7} {'rows':>9} {'wall s':>7} {'cpu s':>7} "
        f"{'cpu s/1k areas':>15} {'added areas':>12} {'cpu s/1k added':>15} {'peak MB':>8}"
    )
    last = None
    for name, kind in SPINES.items():
        r = min((_fresh("--spine", kind or "") for _ in range(repeat)), key=lambda r: r["cpu"])
        added = (
            f"{r['areas'] - last['areas']:>12,} "
            f"{(r['cpu'] - last['cpu']) / (r['areas'] - last['areas']) * 1000:>15.3f}"
            if last
            else f"{'':>12} {'':>15}"
        )
        print(
            f"{name:<13} {r['areas']:>7,} {r['rows']:>9,} {r['seconds']:>7.2f} {r['cpu']:>7.2f} "
            f"{r['cpu'] / r['areas'] * 1000:>15.3f} {added} {r['peak_mb']:>8.0f}"
        )
        last = r


def main() -> None:
    """Print the side-by-side runs and the apportionment as areas grow."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is shown")
    ap.add_argument("--spine-only", action="store_true", help="only the apportionment table")
    ap.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    ap.add_argument("--spine", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child)
        return
    if args.spine is not None:
        spine_child(args.spine)
        return
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f"; load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"cpus available: {cpus}{load}")
    if not args.spine_only:
        runs(args.repeat)
    spines(args.repeat)
    if hasattr(os, "getloadavg"):
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
