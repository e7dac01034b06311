"""Time writing every output (England + 7 regions + 42 systems, charts, planning CSVs) and
compare workbook writing with a bare XlsxWriter script writing the same cells.

    .venv/bin/python benchmarks/bench_outputs.py               # synthetic spine, real size
    .venv/bin/python benchmarks/bench_outputs.py --spine outputs/apportionment.parquet

Prints figures only; nothing here asserts a time. Targets: full run well under 15 s and
1 GB on 2 cores; workbook writing at most twice the bare XlsxWriter time.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import xlsxwriter

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # mhtool, and the shared test fixtures

from fixtures.sample import SAMPLE_META, real_size_spine  # noqa: E402 (after the path is set)

from mhtool.outputs import scope as scopes  # noqa: E402 (after the path is set)
from mhtool.outputs.batch import workbook_title, write_all  # noqa: E402 (after the path is set)
from mhtool.outputs.layout import HEADER_ROW, TABLES  # noqa: E402 (after the path is set)
from mhtool.outputs.views import prepare, tables  # noqa: E402 (after the path is set)
from mhtool.outputs.workbook import write_workbook  # noqa: E402 (after the path is set)

DEFAULT_SPINE = Path(__file__).resolve().parent.parent / "outputs" / "apportionment.parquet"


def _peak_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MB."""
    return (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    )


def bare_xlsxwriter(jobs: list[tuple[Path, list]]) -> tuple[float, int]:
    """The same table cells written with nothing but write_string / write_number and
    add_table: the floor any XlsxWriter-based writer can reach."""
    cells = 0
    start = time.perf_counter()
    for path, sheets in jobs:
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        for name, headers, columns in sheets:
            ws = wb.add_worksheet(name)
            ws.write_string(0, 0, name)
            for c, values in enumerate(columns):
                for r, v in enumerate(values, HEADER_ROW + 1):
                    if isinstance(v, str):
                        ws.write_string(r, c, v)
                    elif v is None:
                        ws.write_string(r, c, "[x]")
                    else:
                        ws.write_number(r, c, v)
                cells += len(values)
            ws.add_table(
                HEADER_ROW,
                0,
                HEADER_ROW + max(1, len(columns[0])),
                len(headers) - 1,
                {"name": TABLES[name], "columns": [{"header": h} for h in headers]},
            )
        wb.close()
    return time.perf_counter() - start, cells


def time_default_run(tmp: Path) -> None:
    """The README's main command end to end (`mhtool run`, shipped defaults), as a user runs it."""
    import subprocess

    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mhtool", "run", "--out", str(tmp / "default")],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    files = sum(1 for p in (tmp / "default").rglob("*") if p.is_file())
    print(
        f"mhtool run (shipped defaults, end to end): {wall:.2f} s wall, {files} files, "
        f"peak RSS {child_mb:.0f} MB (largest process)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--spine",
        type=Path,
        help="a spine Parquet file (default: "
        "outputs/apportionment.parquet if present, else synthetic at real size)",
    )
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default auto)")
    args = ap.parse_args()
    spine_path = args.spine or (DEFAULT_SPINE if DEFAULT_SPINE.exists() else None)
    spine = pl.read_parquet(spine_path) if spine_path else real_size_spine()
    source = str(spine_path) if spine_path else "synthetic (7 regions, 42 ICBs, 106 sub-ICBs)"
    print(
        f"spine: {source}: {spine.height:,} rows, {spine['ambition_id'].n_unique()} "
        f"ambitions, {spine['year'].n_unique()} years; cpus available: "
        f"{len(os.sched_getaffinity(0))}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        time_default_run(tmp)
        start = time.perf_counter()
        paths, cells = write_all(spine, tmp / "full", SAMPLE_META, workers=args.workers)
        full = time.perf_counter() - start
        main_mb, child_mb = _peak_mb()
        n_xlsx = sum(p.suffix == ".xlsx" for p in paths)
        print(
            f"full run (england + regions + systems, charts, planning CSVs; workers "
            f"{args.workers or 'auto'}): {full:.2f} s wall, {len(paths)} files "
            f"({n_xlsx} workbooks), peak RSS {main_mb:.0f} MB main / {child_mb:.0f} MB "
            f"largest worker"
        )

        start = time.perf_counter()
        write_all(spine, tmp / "serial", SAMPLE_META, workers=1)
        print(f"full run, one process: {time.perf_counter() - start:.2f} s wall")

        # Workbooks alone, one process, against a bare XlsxWriter script on the same cells.
        df = prepare(spine)
        planned = scopes.plan(df)
        jobs, ours, ours_cells = [], 0.0, 0
        for s in planned:
            rows = scopes.rows(df, s)
            start = time.perf_counter()
            views = tables(rows)
            ours_cells += write_workbook(
                tmp / "ours" / s.path, workbook_title(df, s), views, SAMPLE_META
            )
            ours += time.perf_counter() - start
            jobs.append(
                (
                    tmp / "bare" / s.path.replace("/", "_"),
                    [
                        (
                            t.sheet,
                            [c.header for c in t.columns],
                            [t.frame.get_column(c.key).to_list() for c in t.columns],
                        )
                        for t in views
                    ],
                )
            )
        bare, bare_cells = bare_xlsxwriter(jobs)
        print(
            f"workbooks only, one process: {ours:.2f} s for {ours_cells:,} cells "
            f"({ours_cells / ours:,.0f} cells/s)"
        )
        print(
            f"bare XlsxWriter, same table cells: {bare:.2f} s for {bare_cells:,} cells "
            f"({bare_cells / bare:,.0f} cells/s); ratio ours/bare {ours / bare:.2f} "
            f"(target <= 2)"
        )
        main_mb, child_mb = _peak_mb()
        print(f"peak RSS overall: {main_mb:.0f} MB main / {child_mb:.0f} MB largest worker")


if __name__ == "__main__":
    main()
