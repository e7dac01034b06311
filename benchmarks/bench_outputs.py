"""Time the outputs as a user meets them, and mhtool's workbook writer against the floor.

    .venv/bin/python benchmarks/bench_outputs.py              # once
    .venv/bin/python benchmarks/bench_outputs.py --runs 3     # best of three for each
    .venv/bin/python benchmarks/bench_outputs.py --against ../old-checkout   # side by side

1. `mhtool run` on the shipped defaults, end to end in a fresh process (wall and CPU);
2. `mhtool check` on that run's folder;
3. the workbook stage side by side in this process: every workbook of that run written
   by mhtool's writer (outputs.workbook.write_workbook, given its tables and charts) and
   by the bare-XlsxWriter floor (floor_xlsxwriter.py: the same calls replayed, one public
   XlsxWriter call per cell), alternating workbook by workbook so a busy machine weighs on
   both alike. Both must write the same cells and formats (counted from the files' XML;
   the bytes are compared too). The ratio is CPU seconds, mhtool / floor.

Prints figures only; nothing here asserts a time. Targets on 2 cores: run under 6 s wall,
check under 5 s, workbook stage at most 1.2x the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT)]

import floor_xlsxwriter as floor  # noqa: E402 (after the path is set)

from mhtool.outputs import batch  # noqa: E402
from mhtool.outputs.views.meta import WorkbookMeta  # noqa: E402
from mhtool.outputs.workbook import write as workbook  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m mhtool ARGS` in a fresh process, run from `cwd`
    (a checkout: its mhtool is the one imported)."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mhtool", *args], check=True, capture_output=True, cwd=cwd
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def commands(tmp: Path, runs: int, against: Path | None) -> Path:
    """`mhtool run` then `mhtool check` on its folder, `runs` times, best of each; with
    `against` (another checkout), its run and check alternate with ours, side by side."""
    sides = {"this checkout": ROOT.parent} | ({f"{against}": against} if against else {})
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for _ in range(runs):
        for side, cwd in sides.items():
            run = tmp / side.replace("/", "_") / "run"
            shutil.rmtree(run, ignore_errors=True)
            for what, args in (
                ("run", ["run", "--out", str(run), "-q"]),
                ("check", ["check", str(run)]),
            ):
                got = timed_command(args, cwd)
                best[side, what] = min(best.get((side, what), got), got)
    for what in ("run", "check"):
        for side in sides:
            wall, cpu = best[side, what]
            print(f"mhtool {what:<5} ({side}): {wall:6.2f} s wall {cpu:6.2f} s CPU")
        if against:
            (ours, _), (theirs, _) = best["this checkout", what], best[f"{against}", what]
            print(f"  {what}: this checkout / {against} = {ours / theirs:.2f} (wall)")
    run = tmp / "this checkout" / "run"
    print(f"  run folder: {sum(1 for p in run.rglob('*') if p.is_file())} files")
    return run


def workbook_jobs(run: Path, scratch: Path) -> list[tuple]:
    """The arguments of every write_workbook call the run made (its tables and charts),
    from its saved spine and workbooks.json, by running the output stage in this process
    with workbook writing captured instead of done."""
    saved = json.loads((run / "workbooks.json").read_text(encoding="utf-8"))
    meta = WorkbookMeta.from_mapping(saved)
    spine = pl.read_parquet(run / "apportionment.parquet")
    captured: list[tuple] = []
    original = batch.write_workbook
    batch.write_workbook = lambda *args: captured.append(args) or 0
    try:
        batch.write_all(spine, scratch, meta, workers=1, progress=False)
    finally:
        batch.write_workbook = original
    return captured


def side_by_side(jobs: list[tuple], scratch: Path, out: Path) -> dict:
    """mhtool's writer and the floor on each workbook in turn; CPU and wall seconds each
    (`scratch`: the folder the jobs' paths are under)."""
    cpu = {"mhtool": 0.0, "floor": 0.0}
    wall = {"mhtool": 0.0, "floor": 0.0}
    census = {"mhtool": [0, 0], "floor": [0, 0]}
    same = 0
    for k, (path, *rest) in enumerate(jobs):
        rel = path.relative_to(scratch)
        ours, bare = out / "mhtool" / rel, out / "floor" / rel
        bare.parent.mkdir(parents=True, exist_ok=True)
        (recording,) = floor.record(partial(workbook.write_workbook, out / "scratch.xlsx", *rest))
        steps = [
            ("mhtool", partial(workbook.write_workbook, ours, *rest)),
            ("floor", partial(floor.replay, recording, bare)),
        ]
        for name, step in steps if k % 2 == 0 else steps[::-1]:
            c, w = time.process_time(), time.perf_counter()
            step()
            cpu[name] += time.process_time() - c
            wall[name] += time.perf_counter() - w
        for name, path_ in (("mhtool", ours), ("floor", bare)):
            cells, xfs = floor.census(path_)
            census[name][0] += cells
            census[name][1] += xfs
        same += ours.read_bytes() == bare.read_bytes()
    return {"cpu": cpu, "wall": wall, "census": census, "same": same, "books": len(jobs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="fresh processes per command")
    ap.add_argument("--against", type=Path, help="another checkout, timed side by side")
    args = ap.parse_args()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(
        f"machine: {cpus} cpus, Python {platform.python_version()}, {platform.system()}; "
        f"load average at start {load}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run = commands(tmp, args.runs, args.against.resolve() if args.against else None)

        jobs = workbook_jobs(run, tmp / "scratch")
        got = side_by_side(jobs, tmp / "scratch", tmp / "books")
        (m_cells, m_xfs), (f_cells, f_xfs) = got["census"]["mhtool"], got["census"]["floor"]
        cpu, wall = got["cpu"], got["wall"]
        print(f"workbook stage, {got['books']} workbooks, one process, side by side:")
        print(
            f"  mhtool writer:         {cpu['mhtool']:6.2f} s CPU {wall['mhtool']:6.2f} s wall, "
            f"{m_cells:,} cells, {m_xfs:,} cell formats"
        )
        print(
            f"  bare XlsxWriter floor: {cpu['floor']:6.2f} s CPU {wall['floor']:6.2f} s wall, "
            f"{f_cells:,} cells, {f_xfs:,} cell formats"
        )
        print(f"  same bytes: {got['same']} of {got['books']} workbooks")
        print(
            f"  ratio mhtool / floor: {cpu['mhtool'] / cpu['floor']:.2f} (CPU seconds; "
            f"wall {wall['mhtool'] / wall['floor']:.2f}; goal <= 1.2)"
        )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"load average at end {load}")


if __name__ == "__main__":
    main()
