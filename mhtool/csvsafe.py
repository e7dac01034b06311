"""Text cells a spreadsheet would run as a formula: every CSV the tool writes passes here.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return as a formula when they open a CSV, so a catalogue title such as
`=HYPERLINK("http://…","click")` would become a live link in a planner's spreadsheet (CSV
injection). Following OWASP's guidance, such a text cell is written with a leading single
quote, which spreadsheets show as text and which a reader can strip. A cell that is a
plain number (`-5`, `-0.25`) is left alone: it is data, not a formula, and codes, years
and figures never start with those characters otherwise. Workbooks need none of this:
they write every text as a string (mhtool.outputs.workbook.write).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RISKY = r"^[=+\-@\t\r]"


def cell(text: str) -> str:
    """`text` as a CSV cell no spreadsheet will run."""
    if text.startswith(TRIGGERS) and not re.fullmatch(_NUMBER, text):
        return QUOTE + text
    return text


def row(cells: Iterable) -> list:
    """A row of cells, each text cell made safe (numbers and None pass through)."""
    return [cell(c) if isinstance(c, str) else c for c in cells]


def frame(df):
    """A polars DataFrame (or LazyFrame) with every text column's risky cells quoted, ready
    for `write_csv` / `sink_csv` (polars is imported here, not with the command line)."""
    import polars as pl

    schema = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    if not text:
        return df
    return df.with_columns(
        pl.when(pl.col(c).str.contains(_RISKY) & ~pl.col(c).str.contains(f"^{_NUMBER}$"))
        .then(pl.lit(QUOTE) + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )
