"""The places views of the spine: one CSV per ICB (`places/<ICB>.csv`), the practice map,
and a system workbook's Places sheet and the block of places ending its Summary.

Each ICB's file lists every place row of the spine for that ICB, with the parent's figure
beside it, so a reader can see the places add up. `places/practices.csv` says which
practices make each place. Text that came from a user's file is never written so that a
spreadsheet would run it as a formula (mhtool.csvsafe, as every CSV; the workbooks write
text as text).

The workbook tables show the headline asks only (views.is_headline), so a system's
workbook stays short however fine its places are; every figure is in places/<ICB>.csv.
They are pure functions of the spine, so `mhtool check` recomputes them as it does the
other sheets.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab
from mhtool.fields import PLACE_WEIGHTING, PLAN_ORDER, ROW_FORMAT, header
from mhtool.infra.folder import PLACES, PLACES_MAP, places_file
from mhtool.outputs.views.layout import GBP_WORD, LEVEL_NAMES, org_label, possessive
from mhtool.outputs.views.tables import (
    NOTE_PLACES,
    NOTE_ROUNDING,
    NOTE_SYMBOLS,
    Column,
    Table,
    is_headline,
    number_format,
    years_of,
)
from mhtool.spine import place_label_parts, plain_text

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


def place_table(spine: pl.DataFrame, icb: str | None = None) -> pl.DataFrame:
    """Every place row (of one ICB, when given) with its parent's level and figure
    (COLUMNS)."""
    lf = spine.lazy()
    if icb is not None:
        lf = lf.filter(pl.col("icb_code") == icb)
    rows = lf.filter(pl.col("level") == vocab.PLACE)
    parents = _parents(lf, pl.col("value").alias("parent_value"))
    return (
        rows.rename({"org_code": "place_code", "org_name": "place_name"})
        .join(parents, on=["parent_code", "ambition_id", "year"], how="left", maintain_order="left")
        .select(COLUMNS)
        .collect()
    )


def _parents(frame, figure: pl.Expr):
    """The rows places can sit under (sub-ICB or ICB), keyed as a place row names its
    parent, with one figure of theirs."""
    return frame.filter(pl.col("level").is_in(["subicb", "icb"])).select(
        pl.col("org_code").alias("parent_code"),
        pl.col("level").alias("parent_level"),
        "ambition_id",
        "year",
        figure,
    )


def write_places(spine: pl.DataFrame, out_dir: Path, practices: pl.DataFrame) -> list[Path]:
    """places/<ICB>.csv for every ICB with places, and places/practices.csv. One ICB at a
    time, so a compact spine (mhtool.spine.compact_text) is never copied whole."""
    icbs = (
        spine.lazy().filter(pl.col("level") == vocab.PLACE).select("icb_code").unique().collect()
    )["icb_code"]
    Path(out_dir, PLACES).mkdir(parents=True, exist_ok=True)
    paths = []
    for icb in sorted(icbs.cast(pl.String).to_list()):
        path = Path(out_dir) / places_file(icb)
        df = plain_text(place_table(spine, icb))
        csvsafe.frame(df).write_csv(path, float_precision=None, line_terminator="\n")
        paths.append(path)
    path = Path(out_dir) / PLACES_MAP
    csvsafe.frame(practices.sort("place_code", "practice_code")).write_csv(
        path, line_terminator="\n"
    )
    return [*paths, path]


# -------------------------------------------------------------------------- workbook views

#: Columns of `workbook_rows`, beyond the spine's own.
WORKBOOK_EXTRA = [PLAN_ORDER, ROW_FORMAT, "parent_level", "pshare", PLACE_WEIGHTING]


def workbook_rows(place_rows: pl.DataFrame, prepared: pl.DataFrame) -> pl.DataFrame:
    """The place rows the system workbooks show: the headline asks, each with its place in
    the Plan's order and its number format (from the prepared spine above the places), its
    parent's level, its unrounded share of the parent and how it was weighted."""
    rows = place_rows.filter(is_headline())
    order = prepared.select("ambition_id", PLAN_ORDER).unique("ambition_id")
    parents = _parents(prepared, pl.col("share").alias("_parent_share"))
    label, how = place_label_parts()
    return (
        rows.join(order, on="ambition_id", how="left")
        .join(parents, on=["parent_code", "ambition_id", "year"], how="left")
        .with_columns(
            pshare=pl.when(pl.col("_parent_share") > 0).then(
                pl.col("share") / pl.col("_parent_share")
            ),
            **{
                ROW_FORMAT: number_format(),
                PLACE_WEIGHTING: pl.format("{} ({}): {}", "ambition_id", label, how),
            },
        )
        .drop("_parent_share")
    )


def shown_rows(spine: pl.DataFrame, every: bool = False) -> pl.DataFrame:
    """The place rows the views use: the headline asks the workbooks show, or `every`
    place row for the planning export with places. Kept as the spine is held (compact,
    mhtool.spine.compact_text); each view makes plain text only of the part it needs
    (`by_system` one ICB at a time, the planning export its ICBs')."""
    rows = spine.lazy().filter(pl.col("level") == vocab.PLACE)
    return (rows if every else rows.filter(is_headline())).collect()


def system_parts(place_rows: pl.DataFrame | None) -> dict[str, pl.DataFrame]:
    """ICB code -> the headline place rows of its places, as given (compact or plain): all
    a system workbook needs, made `system_rows` where that workbook is written, so the
    run holds no system's workbook rows but the one being written."""
    if place_rows is None or place_rows.is_empty():
        return {}
    parts = place_rows.filter(is_headline()).partition_by("icb_code", as_dict=True)
    return {str(icb): part for (icb,), part in parts.items()}


def system_rows(part: pl.DataFrame, prepared: pl.DataFrame) -> pl.DataFrame:
    """The workbook_rows of one system's part (system_parts), as plain text; `prepared`
    needs only that system's rows."""
    return workbook_rows(plain_text(part), prepared)


def by_system(place_rows: pl.DataFrame | None, prepared: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """ICB code -> the workbook_rows of its places (empty without places)."""
    return {icb: system_rows(part, prepared) for icb, part in system_parts(place_rows).items()}


def _labels(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.with_columns(
        place=pl.struct("org_name", "org_code").map_elements(
            lambda r: org_label(r["org_name"], r["org_code"]), return_dtype=pl.String
        )
    )


def _parent_word(rows: pl.DataFrame) -> str:
    """What the places sit under in this system: its sub-ICB locations, or the ICB itself."""
    levels = set(rows.get_column("parent_level").drop_nulls().to_list())
    return LEVEL_NAMES["icb" if levels == {"icb"} else "subicb"]


def _in_sentence(word: str) -> str:
    """'Sub-ICB location' → 'sub-ICB location' inside a sentence; 'ICB' stays."""
    return word if word.isupper() else word[0].lower() + word[1:]


def places_table(rows: pl.DataFrame) -> Table | None:
    """The Places sheet: one row per place and headline ask, under its parent, years across,
    then the unit and the place's share of its parent in the last year."""
    if rows.is_empty():
        return None
    years = years_of(rows)
    latest = years[-1]
    keys = ["parent_code", "org_code", "org_name", PLAN_ORDER, "ambition_id"]
    keys += ["title", "unit", ROW_FORMAT, PLACE_WEIGHTING]
    frame = _labels(
        rows.group_by(keys)
        .agg(
            pl.col("pshare").sort_by("year").last().alias("pshare"),
            *[pl.col("value").filter(pl.col("year") == y).first().alias("v" + y) for y in years],
        )
        .with_columns(unit=pl.col("unit").str.strip_chars().str.replace(GBP_WORD, "£"))
        .sort("parent_code", "org_name", "org_code", PLAN_ORDER)
    )
    word = _parent_word(rows)
    places = frame.get_column("org_code").n_unique()
    columns = [
        Column(header("parent_code"), "parent_code"),
        Column(LEVEL_NAMES[vocab.PLACE], "place"),
        Column(header("title"), "title"),
        *[Column(y, "v" + y, "row") for y in years],
        Column(header("unit"), "unit"),
        Column(f"Share of the {_in_sentence(word)}, {latest}", "pshare", "share"),
        Column(header("ambition_id"), "ambition_id"),
    ]
    return Table(
        "Places",
        f"Places: the headline asks for each of the {places} places, by year",
        f"Each place under its {_in_sentence(word)} (the parent code; named on the Fixed "
        f"sheet); the places of each add up exactly to its figure there "
        f"[note {NOTE_PLACES}] [note {NOTE_ROUNDING}] [note {NOTE_SYMBOLS}].",
        columns,
        frame,
        name="places",
    )


def summary_block(rows: pl.DataFrame, org: str) -> Table | None:
    """The Summary's closing block: the system's places side by side for the headline
    asks, one row per place and one column per ask, in the last year each has a figure."""
    rows = rows.filter(pl.col("value").is_not_null())
    if rows.is_empty():
        return None
    asks = (
        rows.group_by(PLAN_ORDER, "ambition_id", "title", ROW_FORMAT)
        .agg(pl.col("year").max())
        .sort(PLAN_ORDER)
        .rows(named=True)
    )
    at = rows.join(
        pl.DataFrame(
            {"ambition_id": [a["ambition_id"] for a in asks], "year": [a["year"] for a in asks]}
        ),
        on=["ambition_id", "year"],
    )
    frame = _labels(
        at.group_by("parent_code", "org_code", "org_name")
        .agg(
            pl.col("value")
            .filter(pl.col("ambition_id") == a["ambition_id"])
            .first()
            .alias("a" + a["ambition_id"])
            for a in asks
        )
        .sort("parent_code", "org_name", "org_code")
    )
    word = _parent_word(rows)
    columns = [
        Column(header("parent_code"), "parent_code"),
        Column(LEVEL_NAMES[vocab.PLACE], "place"),
        *[
            Column(
                f"{a['ambition_id']}, {a['year']}: {a['title']}",
                "a" + a["ambition_id"],
                a[ROW_FORMAT],
            )
            for a in asks
        ],
    ]
    return Table(
        "Summary",
        f"{possessive(org)} places side by side: the headline asks",
        f"One row per place, one column per headline ask in the last year it has a figure; "
        f"the places of each {_in_sentence(word)} add up exactly to its figure "
        f"[note {NOTE_PLACES}].",
        columns,
        frame,
        name="summary_places",
    )
