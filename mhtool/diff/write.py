"""Presenting a comparison of two runs: the changes CSV, the changes workbook and the
lines printed to the terminal (the change maths is mhtool.diff.changes)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab
from mhtool.diff.changes import COLUMNS, Changes
from mhtool.errors import InputError
from mhtool.fields import LEVEL_NAME, ROW_FORMAT, header
from mhtool.outputs.views.layout import NOT_APPLICABLE
from mhtool.outputs.views.tables import Column, Table, number_format
from mhtool.outputs.workbook.write import Formats, new_workbook, notes_sheet, write_table
from mhtool.refdata import store


def write_csv(changes: Changes, path: Path) -> Path:
    """The change table as CSV, every column as computed (full float precision)."""
    csvsafe.frame(changes.table).write_csv(path, float_precision=None)
    return path


# Plain-English headers, with units, for the changes workbook (the CSV keeps COLUMNS).
HEADERS = {
    LEVEL_NAME: header("level"),
    "org_code": header("org_code"),
    "org_name": header("org_name"),
    "region_code": header("region_code"),
    "icb_code": header("icb_code"),
    "mapping": "Boundary change from the old run",
    "ambition_id": header("ambition_id"),
    "title": header("title"),
    "measure": header("measure"),
    "unit": header("unit"),
    "year": header("year"),
    "basis": "Basis (old → new if it changed)",
    "old_value": "Old value (see Unit)",
    "new_value": "New value (see Unit)",
    "change": "Change (see Unit)",
    "pct_change": "Change (% of old value)",
    "national_effect": "Due to the national figure (see Unit)",
    "share_effect": "Due to shares (see Unit)",
    "rounding_residual": "Due to rounding (see Unit)",
    "old_share": "Old share of England (%)",
    "new_share": "New share of England (%)",
    "old_national_value": "Old national figure (see Unit)",
    "new_national_value": "New national figure (see Unit)",
}
ORGANISATION_HEADERS = {
    LEVEL_NAME: "Organisation level",
    "old_code": "Old code",
    "old_name": "Old name",
    "new_codes": "New code or codes",
    "mapping": "What happened to it",
}
NOTES = [
    "Change = due to the national figure + due to shares + due to rounding, exactly.",
    "Due to the national figure = (new national figure − old national figure) × old share: "
    "the part of the change that comes from a changed national ambition.",
    "Due to shares = (new share − old share) × new national figure: the part that comes from "
    "new population, need or register data, or a new basis.",
    "Due to rounding: what is left, from sharing whole people, pounds or tenths of a WTE.",
    "Rates (percentages and other ratios) are the same for every organisation, so they "
    "change only nationally and have no share.",
    "Runs on different geographies are compared on the new organisations: old figures are "
    "carried to them by population through the LSOA crosswalk (mid-2020 population), so old "
    "values can have decimals; the Organisations sheet says where each old one went.",
    "Symbols: [x] means not available (for example no old value for a new organisation); "
    "[z] means not applicable (for example a share for a rate).",
]


def _row_formats(changes: Changes, frame: pl.DataFrame) -> pl.DataFrame:
    """Each row's number format (as views.prepare chooses it): ROW_FORMAT for figures as
    apportioned, `_dfmt` for worked-out ones (changes and their parts, which can have
    decimals: pounds stay whole, everything else shows up to three decimals)."""
    kinds = pl.concat(
        [
            changes.new.spine.select("ambition_id", "kind", "unit_kind"),
            changes.old.spine.select("ambition_id", "kind", "unit_kind"),
        ]
    ).unique("ambition_id", keep="first", maintain_order=True)
    money = pl.col("unit_kind") == "gbp"
    return frame.join(kinds, on="ambition_id", how="left").with_columns(
        number_format().alias(ROW_FORMAT),
        pl.when(money).then(pl.lit("money")).otherwise(pl.lit("rate")).alias("_dfmt"),
        _level_name().alias(LEVEL_NAME),
    )


def _level_name() -> pl.Expr:
    return pl.col("level").replace_strict(vocab.LEVEL_NAMES, default=pl.col("level"))


def changes_tables(changes: Changes) -> list:
    """The changes workbook's tables (outputs.views.Table), ready for write_table."""
    carried = changes.old.geography != changes.new.geography
    derived = {"change", "national_effect", "share_effect", "rounding_residual"} | (
        {"old_value"} if carried else set()
    )

    def column(key: str) -> Column:
        if key in ("old_share", "new_share"):
            return Column(HEADERS[key], key, "share")
        if key == "pct_change":
            return Column(HEADERS[key], key, "rate", missing=NOT_APPLICABLE)
        if key in derived:
            return Column(HEADERS[key], key, "row:_dfmt")
        if key in ("old_value", "new_value", "old_national_value", "new_national_value"):
            return Column(HEADERS[key], key, "row")
        return Column(HEADERS[key], key)

    keys = [LEVEL_NAME if c == "level" else c for c in COLUMNS]
    out = [
        Table(
            "Changes",
            _title(changes),
            "One row per organisation, ambition and year: the change split into three "
            "parts that add up to it [note 1].",
            [column(k) for k in keys],
            _row_formats(changes, changes.table),
            name="changes",
        )
    ]
    if not changes.organisations.is_empty():
        orgs = changes.organisations.with_columns(_level_name().alias(LEVEL_NAME))
        out.append(
            Table(
                "Organisations",
                f"Organisations of geography {changes.old.geography} and where "
                f"they went in {changes.new.geography}",
                "One row per old organisation, mapped by population through the LSOA crosswalk "
                "[note 6].",
                [Column(h, k) for k, h in ORGANISATION_HEADERS.items()],
                orgs,
                name="organisations",
            )
        )
    return out


def _title(changes: Changes) -> str:
    return (
        f"Changes from {Path(changes.old.label).name} (geography "
        f"{changes.old.geography}) to {Path(changes.new.label).name} (geography "
        f"{changes.new.geography})"
    )


def write_xlsx(changes: Changes, path: Path) -> Path:
    """The comparison as a workbook laid out like the run's own (mhtool.outputs.workbook.write):
    a title in A1 and a short description in A2 on every sheet, one Excel table from A3
    with plain-English headers, units and number formats, no merged cells or formulas, and
    a Notes sheet. The created date is the reference data's date, not the clock, so bytes
    repeat."""
    import datetime as dt

    wb = new_workbook(path)
    try:
        created = dt.datetime.fromisoformat(store.data_date())
    except (InputError, ValueError):
        created = dt.datetime(2000, 1, 1)
    wb.set_properties({"title": _title(changes), "created": created})
    f = Formats(wb)
    for table in changes_tables(changes):
        ws = wb.add_worksheet(table.sheet)
        ws.set_landscape()
        write_table(ws, table, f)
    notes_sheet(wb, NOTES, f, landscape=True)
    wb.worksheets()[0].activate()
    wb.close()
    return path


def summary_lines(changes: Changes, top: int = 8) -> list[str]:
    """A few lines for the terminal: how much moved, what merged, the biggest changes."""
    t = changes.table
    moved = t.filter(pl.col("change") != 0)
    lines = [
        f"compared {changes.old.label} (geography {changes.old.geography}) with "
        f"{changes.new.label} (geography {changes.new.geography}): {t.height:,} rows, "
        f"{moved.height:,} changed"
    ]
    nat = t.filter((pl.col("level") == "england") & (pl.col("change") != 0))
    lines.append(
        f"national figures changed for {nat['ambition_id'].n_unique()} ambition(s), "
        f"{nat.height} ambition-year(s)"
    )
    org = changes.organisations.filter(
        (pl.col("mapping") != "same") & pl.col("level").is_in(["icb", "region"])
    )
    for r in org.iter_rows(named=True):
        lines.append(f"  {r['level']} {r['old_code']} ({r['old_name']}): {r['mapping']}")
    for level in ("icb", "subicb"):
        biggest = (
            moved.filter((pl.col("level") == level) & pl.col("pct_change").is_not_null())
            .sort(
                pl.col("pct_change").abs(),
                "ambition_id",
                "year",
                "org_code",
                descending=[True, False, False, False],
            )
            .head(top)
        )
        if biggest.is_empty():
            continue
        lines.append(f"biggest changes at {level} level (by % of the old value):")
        for r in biggest.iter_rows(named=True):
            lines.append(
                f"  {r['org_code']} {r['ambition_id']} {r['year']}: {_fmt(r['old_value'])} -> "
                f"{_fmt(r['new_value'])} {r['unit']} ({r['pct_change']:+.1f}%; national "
                f"{_fmt(r['national_effect'], True)}, shares {_fmt(r['share_effect'], True)}, "
                f"rounding {_fmt(r['rounding_residual'], True)})"
                + ("" if r["mapping"] == "same" else f" [{r['mapping']}]")
            )
    return lines


def _fmt(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+,.1f}" if sign else f"{x:,.1f}"
