"""delivery.csv in the run folder: the delivery view's table (mhtool.outputs.views.delivery)
written as a spreadsheet-safe CSV, and read back as written for `mhtool check`."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import csvsafe
from mhtool.outputs.views.delivery import COLUMNS, FILE


def write_csv(frame: pl.DataFrame, out_dir: Path) -> Path:
    """delivery.csv in the run folder (text cells made safe for spreadsheets)."""
    path = Path(out_dir) / FILE
    csvsafe.frame(frame).write_csv(path, line_terminator="\n", null_value="")
    return path


def read_csv(path: Path) -> pl.DataFrame:
    """delivery.csv as written (for `mhtool check`)."""
    return pl.read_csv(path, schema=COLUMNS)
