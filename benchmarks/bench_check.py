"""`mhtool check`'s wall time, CPU and peak memory on a run folder, side by side.

    .venv/bin/python benchmarks/bench_check.py                         # a --places practice run
    .venv/bin/python benchmarks/bench_check.py --places none --places pcn --repeat 3
    .venv/bin/python benchmarks/bench_check.py --against ../old-checkout --repeat 3
    .venv/bin/python benchmarks/bench_check.py --run /tmp/prac         # a folder already made

For each kind of places (`none` is the default run) one `mhtool run` writes a folder (or
`--run` names one), then `python -m mhtool check` on it in a fresh process, `--repeat`
times; with `--against` (another checkout, whose mhtool is imported from its folder) its
check alternates with ours on the same folder, so both meet the same load. `peak MB` is
the largest resident set of the check's process tree (the process or any one worker, as
`/usr/bin/time -v` reports it: `os.wait4`'s ru_maxrss). Prints figures only; nothing here
asserts a time or a size. Target: a practice-places check under 600 MB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measured(args: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak MB, exit code) of `python -m mhtool ARGS` run from `cwd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mhtool", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--places", action="append", help="none, pcn, la or practice (repeatable)")
    ap.add_argument("--run", type=Path, help="check this run folder instead of making one")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--against", type=Path, help="another checkout, checked side by side")
    args = ap.parse_args()
    sides = {"this checkout": ROOT} | (
        {str(args.against): args.against.resolve()} if args.against else {}
    )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus: {len(os.sched_getaffinity(0))}; load average at start {load}")
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        if args.run:
            folders[str(args.run)] = args.run.resolve()
        for kind in args.places or ([] if args.run else ["practice"]):
            out = Path(tmp, kind)
            flags = [] if kind == "none" else ["--places", kind]
            wall, _, mb, code = measured(["run", *flags, "--out", str(out), "-q"], ROOT)
            if code:
                raise SystemExit(f"mhtool run {' '.join(flags)} failed ({code})")
            print(f"mhtool run {' '.join(flags) or '(default)'}: {wall:.1f} s, peak {mb:.0f} MB")
            folders[f"--places {kind}" if flags else "default"] = out
        print(f"{'run':<20} {'checked by':<28} {'wall s':>14} {'cpu s':>14} {'peak MB':>14}")
        for name, out in folders.items():
            got: dict[str, list[tuple[float, float, float]]] = {side: [] for side in sides}
            codes: set[int] = set()
            for _ in range(args.repeat):
                for side, cwd in sides.items():
                    wall, cpu, mb, code = measured(["check", str(out), "-q"], cwd)
                    if code not in (0, 1):  # 1: problems found, every check run
                        raise SystemExit(f"{side}: mhtool check {out} exited {code}")
                    got[side].append((wall, cpu, mb))
                    codes.add(code)
            for side, rows in got.items():
                walls, cpus, mbs = zip(*rows, strict=True)
                print(
                    f"{name:<20} {side[-28:]:<28} {_spread(walls)} {_spread(cpus)} "
                    f"{_spread(mbs, 0)}"
                )
            if 1 in codes:
                print(f"  (the check found problems in {out}: exit 1; it still ran every check)")
    print(f"load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _spread(values, digits: int = 2) -> str:
    """min-max over the repeats, or the one value."""
    if len(values) == 1:
        return f"{values[0]:>14.{digits}f}"
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}".rjust(14)


if __name__ == "__main__":
    main()
