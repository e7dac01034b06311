"""Planning-template export: the long layout NHS planning templates load, one CSV per ICB
(the ICB and its sub-ICB locations) plus `planning/england.csv` (every organisation).

Columns: `icb_code, org_code, planning_ref, metric_code, measure_type, dim_type, fin_year,
value`. `planning_ref` is the catalogue's planning-template reference and is left blank
when the catalogue has none (it is never made up); `metric_code` is always the ambition's
ID, so every row can be traced to the catalogue. `measure_type` is 'Percentage' for a rate
in percent, 'Count' for people, sites, pounds and staff, and 'Value' for any other rate
(for example an average length of stay in days): 'Value' is mhtool's own, used where the
NHS list of measure types has nothing that fits.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import vocab

COLUMNS = [
    "icb_code",
    "org_code",
    "planning_ref",
    "metric_code",
    "measure_type",
    "dim_type",
    "fin_year",
    "value",
]


def measure_type() -> pl.Expr:
    """Each row's measure type: 'Percentage' only for a rate or standard in percent,
    'Count' for counts (people, sites, £, WTE), 'Value' for any other rate. The one rule
    for the planning CSVs and the workbooks' Data sheet."""
    is_percent = pl.col("unit_kind") == "percent"
    return (
        pl.when(~pl.col("kind").is_in(vocab.CARRIED_KINDS))
        .then(pl.lit("Count"))
        .when(is_percent)
        .then(pl.lit("Percentage"))
        .otherwise(pl.lit("Value"))
    )


def format_value(x: float | None) -> str:
    """Whole numbers without a decimal point, others with the fewest digits that round-trip
    (WTE come out as 12.3), so the files are stable and paste cleanly."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(round(x, 10))


def planning_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The planning-template rows for a prepared slice of the spine, in hierarchy order."""
    frame = df.sort(["_o1", "_o2", "_o3", "_ar", "year"]).select(
        pl.when(pl.col("level") == "icb")
        .then(pl.col("org_code"))
        .otherwise(pl.col("icb_code"))
        .fill_null("")
        .alias("icb_code"),
        "org_code",
        pl.col("planning_ref").fill_null("").alias("planning_ref"),
        pl.col("ambition_id").alias("metric_code"),
        measure_type().alias("measure_type"),
        pl.lit("Year").alias("dim_type"),
        pl.col("year").alias("fin_year"),
        pl.col("value"),
    )
    return frame.with_columns(
        pl.Series(
            "value", [format_value(v) for v in frame.get_column("value").to_list()], dtype=pl.String
        )
    )


def icb_rows(df: pl.DataFrame, icb: str) -> pl.DataFrame:
    return df.filter(
        (pl.col("org_code") == icb) | ((pl.col("level") == "subicb") & (pl.col("icb_code") == icb))
    )


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, line_terminator="\n", quote_style="necessary")
