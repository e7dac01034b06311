"""Planning-template export: the long layout NHS planning templates load, one CSV per ICB
(the ICB and its sub-ICB locations) plus `planning/england.csv` (every organisation).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

COLUMNS = ["icb_code", "org_code", "planning_ref", "measure_type", "dim_type", "fin_year",
           "value"]


def format_value(x: float | None) -> str:
    """Whole numbers without a decimal point, others with the fewest digits that round-trip
    (WTE come out as 12.3), so the files are stable and paste cleanly."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(round(x, 10))


def planning_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The planning-template rows for a prepared slice of the spine, in hierarchy order."""
    frame = df.sort(["_o1", "_o2", "_o3", "_ar", "year"]).select(
        pl.when(pl.col("level") == "icb").then(pl.col("org_code"))
        .otherwise(pl.col("icb_code")).fill_null("").alias("icb_code"),
        "org_code",
        pl.col("planning_ref").fill_null(pl.col("ambition_id")).alias("planning_ref"),
        pl.when(pl.col("kind") == "rate").then(pl.lit("Percentage")).otherwise(pl.lit("Count"))
        .alias("measure_type"),
        pl.lit("Year").alias("dim_type"),
        pl.col("year").alias("fin_year"),
        pl.col("value"),
    )
    return frame.with_columns(pl.Series("value", [format_value(v) for v in
                                                  frame.get_column("value").to_list()],
                                        dtype=pl.String))


def icb_rows(df: pl.DataFrame, icb: str) -> pl.DataFrame:
    return df.filter((pl.col("org_code") == icb) | ((pl.col("level") == "subicb")
                                                    & (pl.col("icb_code") == icb)))


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, line_terminator="\n", quote_style="necessary")
