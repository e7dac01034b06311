"""`mhtool check` for delivery.csv: remade from the spine, the shipped actuals tables and
the catalogue's `[[actual]]` entries the run recorded (workbooks.json), then compared cell
by cell, so a figure edited, a row lost or an actuals table changed since the run is named.
The table remade here is the one the workbooks' Delivery sheets are then held to."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab
from mhtool.errors import InputError
from mhtool.outputs.delivery.write import read_csv
from mhtool.outputs.views import delivery
from mhtool.outputs.views.meta import WorkbookMeta

MAX_SHOWN = 10


def check(out_dir: Path, spine: pl.DataFrame, meta: WorkbookMeta):
    """(problems, the delivery table the run should hold, or None where it has none)."""
    path = Path(out_dir) / delivery.FILE
    if not meta.actuals:
        if path.is_file():
            return [f"{delivery.FILE}: the run recorded no actuals, yet the file is here"], None
        return [], None
    try:
        want = delivery.build(
            spine.filter(pl.col("level").is_in(vocab.LEVELS)), meta.actuals, meta.geography
        )
    except InputError as exc:
        return [f"{delivery.FILE}: cannot be remade: {exc}"], None
    if not path.is_file():
        return [f"{delivery.FILE}: missing, but the run's catalogue maps actuals"], want
    try:
        got = read_csv(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0]
        return [f"{delivery.FILE}: not the delivery table mhtool writes ({first})"], want
    return differences(got, csvsafe.frame(want)), want


def differences(got: pl.DataFrame, want: pl.DataFrame) -> list[str]:
    """Where two delivery tables differ: rows missing or extra, then cells (row numbers as
    in the file, the header being row 1)."""
    if got.height != want.height:
        return [f"{delivery.FILE}: {got.height} rows, but the spine and actuals give {want.height}"]
    problems = []
    for col in want.columns:
        a, b = got[col], want[col]
        same = (a == b) | (a.is_null() & b.is_null())
        if a.dtype == pl.Float64:
            same = ((a - b).abs() < 1e-9) | (a.is_null() & b.is_null())
        bad = (~same.fill_null(False)).arg_true().to_list()
        for i in bad[:MAX_SHOWN]:
            problems.append(
                f"{delivery.FILE}: row {i + 2} ({want['org_code'][i]} {want['ambition_id'][i]} "
                f"{want['period'][i]}) {col} is {a[i]!r}, the spine and actuals give {b[i]!r}"
            )
    if len(problems) > MAX_SHOWN:
        problems = problems[:MAX_SHOWN] + [f"... and {len(problems) - MAX_SHOWN} more"]
    return problems
