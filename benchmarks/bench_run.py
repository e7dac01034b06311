"""Time `mhtool run --out DIR -q` (shipped defaults) from several installs side by side.

    .venv/bin/python benchmarks/bench_run.py --runs 5 \\
        --side before=/path/to/old/.venv/bin/mhtool \\
        --side "old code=/path/to/old-checkout"

Each side is an `mhtool` executable, or a checkout folder (its code is run with this
checkout's Python as `python -m mhtool`, from that folder). This checkout's own `mhtool` is
always the first side. The sides alternate run by run, so a busy machine weighs on each
alike; each run is a fresh process into a fresh folder. Prints the median and range of the
wall seconds, CPU seconds (user and system, workers included) and peak resident memory
(the largest process: what `/usr/bin/time` reports as %M), and each side's medians
against the first. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OURS = Path(sys.executable).with_name("mhtool.exe" if sys.platform == "win32" else "mhtool")


def side(text: str) -> tuple[str, list[str], Path | None]:
    """'label=PATH' → (label, the command that runs mhtool, the folder to run it from)."""
    label, _, path = text.partition("=")
    target = Path(path or label).resolve()
    if target.is_dir():
        return label, [sys.executable, "-m", "mhtool"], target
    return label, [str(target)], None


def timed(command: list[str], cwd: Path | None, out: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one run, from the operating system's account of it."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command, "run", "--out", str(out), "-q"], cwd=cwd, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{' '.join(command)} run exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per side")
    ap.add_argument("--side", action="append", default=[], help="LABEL=MHTOOL or CHECKOUT")
    args = ap.parse_args()
    if not hasattr(os, "wait4"):
        sys.exit("needs os.wait4 (Linux, macOS)")
    sides = [("this checkout", [str(OURS)], None), *(side(s) for s in args.side)]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cpus, Python {platform.python_version()}; load {load}")
    got: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _, _ in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for label, command, cwd in sides:
                got[label].append(timed(command, cwd, Path(tmp) / "run"))
    print(f"load at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.runs} runs each")
    print(f"{'side':<24} {'wall s':>16} {'CPU s':>16} {'peak MB':>16}   x wall  x CPU")
    first = None
    for label, runs in got.items():
        medians = [statistics.median(r[i] for r in runs) for i in range(3)]
        first = first or medians
        cols = [
            f"{m:6.2f} ({min(r[i] for r in runs):.1f}-{max(r[i] for r in runs):.1f})"
            for i, m in enumerate(medians)
        ]
        ratio = f"{medians[0] / first[0]:6.2f} {medians[1] / first[1]:6.2f}"
        print(f"{label:<24} {cols[0]:>16} {cols[1]:>16} {cols[2]:>16}   {ratio}")


if __name__ == "__main__":
    main()
