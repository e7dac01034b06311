"""Time selector.xlsx against england.xlsx on the same spine, side by side, in one process.

    .venv/bin/python benchmarks/bench_selector.py outputs            # a run folder
    .venv/bin/python benchmarks/bench_selector.py /tmp/pcn --repeat 5

Reads the run folder's spine and workbook settings, then builds and writes selector.xlsx
(`build`: the frames, `write`: the file) and writes england.xlsx (its tables and the file)
`--repeat` times each, alternating, and prints the best and the median of each and their
ratio (a ratio holds up better than seconds on a busy machine). Places in the run are
listed as the run lists them (at most selector.MAX_PLACES). Prints figures only; nothing
here asserts a time. Target: selector.xlsx a few hundred ms on the idle machine for the
default run (~22k spine rows), well under england.xlsx.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from mhtool.outputs.check import read_meta, read_spine
from mhtool.outputs.selector import write as selector
from mhtool.outputs.views.tables import prepare, tables
from mhtool.outputs.workbook.write import write_workbook


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder (mhtool run --out ...)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    spine, meta = read_spine(args.run), read_meta(args.run)
    places = spine.filter(pl.col("level") == "place")
    prepared = prepare(spine.filter(pl.col("level") != "place"))
    build, write, england = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sel = selector.build(prepared, meta, places if places.height else None)
            t1 = time.perf_counter()
            selector.write(Path(tmp) / "selector.xlsx", sel, meta)
            t2 = time.perf_counter()
            write_workbook(Path(tmp) / "england.xlsx", "England", tables(prepared, meta), meta)
            t3 = time.perf_counter()
            build.append(t1 - t0)
            write.append(t2 - t1)
            england.append(t3 - t2)
        size = (Path(tmp) / "selector.xlsx").stat().st_size
    total = [b + w for b, w in zip(build, write, strict=True)]
    print(
        f"spine {spine.height:,} rows; selector lists {sel.orgs.height:,} organisations, "
        f"{sel.data.height:,} data rows, {sel.plan.height:,} Plan rows; {size:,} bytes"
    )
    for name, times in (("selector build", build), ("selector write", write)):
        print(f"  {name:16s} best {min(times):.3f} s  median {statistics.median(times):.3f} s")
    print(
        f"  {'selector total':16s} best {min(total):.3f} s  median {statistics.median(total):.3f} s"
    )
    print(
        f"  {'england.xlsx':16s} best {min(england):.3f} s  median "
        f"{statistics.median(england):.3f} s"
    )
    print(f"  ratio selector / england.xlsx: {min(total) / min(england):.2f} (best times)")


if __name__ == "__main__":
    main()
