"""Time `mhtool --help` against the floor of starting Python at all (`python -c pass`).

    .venv/bin/python benchmarks/bench_cli.py            # 15 runs each, median and best
    .venv/bin/python benchmarks/bench_cli.py --runs 30

Prints figures only; nothing here asserts a time. Target: `mhtool --help` under 0.3 s on
2 cores. It stays quick because command modules load polars, openpyxl, Pillow and
XlsxWriter only when a command runs (tests/unit/test_portable.py checks that none loads
with the command line).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("mhtool.exe" if sys.platform == "win32" else "mhtool")
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import mhtool.cli'": [sys.executable, "-c", "import mhtool.cli"],
    "mhtool --help": [str(SCRIPT), "--help"],
    "mhtool run --help": [str(SCRIPT), "run", "--help"],
}


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"{SCRIPT} not found: install the project into this venv first")
    floor = None
    print(f"{'command':<32} {'median':>8} {'best':>8} {'over floor':>11}")
    for name, cmd in CASES.items():
        timed(cmd)  # warm the file cache
        times = [timed(cmd) for _ in range(args.runs)]
        median = statistics.median(times)
        floor = median if floor is None else floor
        print(f"{name:<32} {median:8.3f} {min(times):8.3f} {median - floor:+10.3f}s")


if __name__ == "__main__":
    main()
