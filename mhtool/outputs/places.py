"""The places view of the spine: one CSV per ICB (`places/<ICB>.csv`) and the practice map.

Each ICB's file lists every place row of the spine for that ICB, with the parent's figure
beside it, so a reader can see the places add up. `places/practices.csv` says which
practices make each place. Text that came from a user's file is never written so that a
spreadsheet would run it as a formula (mhtool.csvsafe, as every CSV).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab

DIR = "places"
MAP_FILE = "practices.csv"
#: Columns of each places/<ICB>.csv, in order.
COLUMNS = [
    "icb_code",
    "parent_level",
    "parent_code",
    "place_code",
    "place_name",
    "ambition_id",
    "planning_ref",
    "title",
    "measure",
    "unit",
    "year",
    "value",
    "parent_value",
    "share",
    "basis",
    "provenance",
]


def place_table(spine: pl.DataFrame) -> pl.DataFrame:
    """Every place row with its parent's level and figure (COLUMNS)."""
    rows = spine.filter(pl.col("level") == vocab.PLACE)
    parents = spine.filter(pl.col("level").is_in(["subicb", "icb"])).select(
        pl.col("org_code").alias("parent_code"),
        pl.col("level").alias("parent_level"),
        "ambition_id",
        "year",
        pl.col("value").alias("parent_value"),
    )
    return (
        rows.rename({"org_code": "place_code", "org_name": "place_name"})
        .join(parents, on=["parent_code", "ambition_id", "year"], how="left")
        .select(COLUMNS)
    )


def write_places(spine: pl.DataFrame, out_dir: Path, practices: pl.DataFrame) -> list[Path]:
    """places/<ICB>.csv for every ICB with places, and places/practices.csv."""
    table = place_table(spine)
    folder = Path(out_dir) / DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for (icb,), df in sorted(table.group_by("icb_code"), key=lambda x: x[0]):
        path = folder / f"{icb}.csv"
        csvsafe.frame(df).write_csv(path, float_precision=None, line_terminator="\n")
        paths.append(path)
    path = folder / MAP_FILE
    csvsafe.frame(practices.sort("place_code", "practice_code")).write_csv(
        path, line_terminator="\n"
    )
    return [*paths, path]
