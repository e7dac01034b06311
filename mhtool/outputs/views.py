"""The tables shown in the workbooks, each a pure function of (a slice of) the spine.

The writer writes these and `mhtool check` recomputes them from the saved spine and
compares cell by cell, so a table's rows, order and headers are defined only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from mhtool import vocab
from mhtool.outputs.layout import LEVEL_NAMES, NOT_APPLICABLE, NOT_AVAILABLE
from mhtool.outputs.planning import measure_type

# Fixed note numbers, referred to in headers and descriptions (see notes.py).
(
    NOTE_ROUNDING,
    NOTE_BASES,
    NOTE_PROVENANCE,
    NOTE_RATES,
    NOTE_NATIONAL_ONLY,
    NOTE_SYMBOLS,
    NOTE_MEASURE_TYPE,
    NOTE_OVERLAP,
) = range(1, 9)

TARGETED_MARK = "(targeted"  # a basis label naming the systems a targeted ask is split among

ORG_SORT = ["_o1", "_o2", "_o3"]


@dataclass(frozen=True)
class Column:
    """One table column: its header, the frame column it shows, and how to format it:
    'text', a key of layout.NUMBER_FORMATS, or 'row' (the frame's `_fmt` column says).
    Missing values show as [z] (not applicable) for text and shares, else [x]."""

    header: str
    key: str
    fmt: str = "text"
    missing: str | None = None
    from_meta: bool = False  # worded from the run's settings (basis labels), not the spine

    @property
    def placeholder(self) -> str:
        if self.missing is not None:
            return self.missing
        return NOT_APPLICABLE if self.fmt in ("text", "share") else NOT_AVAILABLE


@dataclass
class Table:
    """One sheet's table. `name` is the Excel table's name (default: layout.TABLES[sheet])."""

    sheet: str
    title: str
    description: str
    columns: list[Column]
    frame: pl.DataFrame
    name: str | None = None


def number_format() -> pl.Expr:
    """Each row's number format (a key of layout.NUMBER_FORMATS): carried rates and
    standards as rates, workforce lines as WTE, pounds as money, everything else a count."""
    return (
        pl.when(pl.col("kind").is_in(vocab.CARRIED_KINDS))
        .then(pl.lit("rate"))
        .when(pl.col("measure") == "workforce")
        .then(pl.lit("wte"))
        .when(pl.col("unit_kind") == "gbp")
        .then(pl.lit("money"))
        .otherwise(pl.lit("count"))
    )


def _natural(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


def prepare(spine: pl.DataFrame) -> pl.DataFrame:
    """Add the sort keys every view uses: organisations in hierarchy order (England, then
    each region followed by its ICBs, each followed by its sub-ICBs), ambitions in
    natural order of planning reference. Call it on the whole spine: a targeted ambition's
    basis label is worked out from every ICB (see _label_targeted_bases)."""
    level = pl.col("level")
    blank_is_missing = [
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("planning_ref", "basis")
    ]
    df = spine.with_columns(*blank_is_missing).with_columns(
        _o1=pl.when(level == "england")
        .then(pl.lit(""))
        .when(level == "region")
        .then(pl.col("org_code"))
        .otherwise(pl.col("region_code"))
        .fill_null(""),
        _o2=pl.when(level.is_in(["england", "region"]))
        .then(pl.lit(""))
        .when(level == "icb")
        .then(pl.col("org_code"))
        .otherwise(pl.col("icb_code"))
        .fill_null(""),
        _o3=pl.when(level == "subicb").then(pl.col("org_code")).otherwise(pl.lit("")),
        _fmt=number_format(),
        _level_name=level.replace_strict(LEVEL_NAMES, default=level),
    )
    df = _label_targeted_bases(df)
    ambitions = df.select("ambition_id", "planning_ref").unique()
    order = sorted(
        ambitions.iter_rows(), key=lambda r: (_natural(r[1] or ""), _natural(r[0] or ""))
    )
    rank = pl.DataFrame(
        {"ambition_id": [r[0] for r in order], "_ar": range(len(order))},
        schema={"ambition_id": pl.String, "_ar": pl.Int64},
    )
    return df.join(rank.unique("ambition_id", keep="first"), on="ambition_id", how="left")


def _label_targeted_bases(df: pl.DataFrame) -> pl.DataFrame:
    """Give a targeted ambition split among named systems a basis label of its own.

    Its shares are shares of the named systems' total, not of England under the basis, so
    they must never be shown as the basis's share of England. The engine labels such rows
    `mh_need (targeted: QHM, QOX)`; for a spine that does not, the label is made here from
    the ICBs given a non-zero share. A targeted ambition shared among every ICB keeps its
    plain basis (its shares are the basis's shares of England); one reported for England
    alone keeps it too (it has no shares below England)."""
    targeted = df.filter(
        pl.col("category") == "targeted",
        pl.col("basis").is_not_null(),
        ~pl.col("basis").str.contains(TARGETED_MARK, literal=True),
    )
    if targeted.is_empty():
        return df
    all_icbs = df.filter(pl.col("level") == "icb").get_column("org_code").n_unique()
    named = (
        targeted.filter(pl.col("level") == "icb", pl.col("share").fill_null(0) > 0)
        .group_by("ambition_id")
        .agg(pl.col("org_code").unique().sort().alias("icbs"))
    )
    labels = {a: ", ".join(icbs) for a, icbs in named.iter_rows() if 0 < len(icbs) < all_icbs}
    if not labels:
        return df
    label = pl.col("ambition_id").replace_strict(labels, default=None, return_dtype=pl.String)
    return df.with_columns(
        pl.when(label.is_not_null() & (pl.col("category") == "targeted"))
        .then(pl.format("{} {}: {})", pl.col("basis"), pl.lit(TARGETED_MARK), label))
        .otherwise(pl.col("basis"))
        .alias("basis")
    )


def is_targeted_basis(basis: str | None) -> bool:
    return bool(basis) and TARGETED_MARK in basis


def basis_name(basis: str) -> str:
    """The catalogue's name of the basis behind a label: 'mh_need (targeted: QHM)' → 'mh_need'."""
    return basis.split(f" {TARGETED_MARK}")[0].strip()


def years_of(df: pl.DataFrame) -> list[str]:
    return sorted(df.get_column("year").unique().drop_nulls().to_list())


ORG_COLUMNS = [
    Column("Organisation level", "_level_name"),
    Column("Organisation code", "org_code"),
    Column("ONS code", "ons_code"),
    Column("Organisation name", "org_name"),
    Column("Parent code", "parent_code"),
]
_ORG_KEYS = ["org_code", "ons_code", "org_name", "parent_code", "_level_name", *ORG_SORT]


def _by_year(years: list[str], value: str, prefix: str) -> list[pl.Expr]:
    """One column per year holding `value` for that year (`prefix` + year); null if none."""
    return [pl.col(value).filter(pl.col("year") == y).first().alias(prefix + y) for y in years]


def _units(frame: pl.DataFrame) -> list[str]:
    return sorted(frame.get_column("unit").drop_nulls().unique().to_list())


def _year_header(year: str, units: list[str]) -> str:
    return f"{year} ({units[0]})" if len(units) == 1 else f"{year} (see Unit)"


def category_table(df: pl.DataFrame, category: str) -> Table | None:
    """Fixed / Flexible / Targeted: one row per organisation × activity ambition, years
    across. Money and staff are only on Funding and Workforce, so a column never mixes
    people with pounds or staff."""
    part = df.filter(pl.col("category") == category, pl.col("measure") == "activity")
    if part.is_empty():
        return None
    years = years_of(part)
    keys = [
        *_ORG_KEYS,
        "_ar",
        "ambition_id",
        "planning_ref",
        "title",
        "programme",
        "measure",
        "kind",
        "unit",
        "basis",
        "_fmt",
    ]
    frame = (
        part.group_by(keys)
        .agg(
            pl.col("share").sort_by("year").last().alias("share"),
            *_by_year(years, "value", "v"),
            *_by_year(years, "national_value", "n"),
        )
        .sort([*ORG_SORT, "_ar"])
    )
    name = category.capitalize()
    columns = [
        *ORG_COLUMNS,
        Column("Ambition ID", "ambition_id"),
        Column("Planning reference", "planning_ref", missing=NOT_AVAILABLE),
        Column("Ambition", "title"),
        Column("Programme", "programme"),
        Column("Measure", "measure"),
        Column("Kind", "kind"),
        Column("Unit", "unit"),
        Column(f"Basis [note {NOTE_BASES}]", "basis"),
        Column("Share of England, latest year (%)", "share", "share"),
        *[Column(f"{y} (see Unit)", "v" + y, "row") for y in years],
        *[Column(f"England {y} (see Unit)", "n" + y, "row") for y in years],
    ]
    return Table(
        name,
        f"{name} ambitions (activity): fair shares by organisation and year",
        f"One row per organisation and activity ambition, in its unit; £ and staff are on "
        f"other sheets [note {NOTE_ROUNDING}] [note {NOTE_RATES}] [note {NOTE_SYMBOLS}].",
        columns,
        frame,
    )


def _measure_table(
    df: pl.DataFrame, measure: str, sheet: str, title: str, group: str, description: str
) -> Table | None:
    """Funding / Workforce: one row per organisation × ambition of that measure, years
    across. Ambitions are not summed: national lines can overlap (a total and its parts).
    This is the only sheet for the measure's lines (rates included), since the category
    sheets show activity only."""
    part = df.filter(pl.col("measure") == measure)
    if part.is_empty():
        return None
    years = years_of(part)
    keys = [*_ORG_KEYS, "_ar", "ambition_id", "planning_ref", "title", "programme", "unit", "_fmt"]
    frame = (
        part.group_by(keys)
        .agg(*_by_year(years, "value", "v"))
        .sort([*ORG_SORT, "programme", "_ar"])
    )
    fmts = set(frame.get_column("_fmt").to_list())
    units = ["£"] if fmts == {"money"} else _units(frame)
    columns = [
        *ORG_COLUMNS,
        Column("Programme", "programme"),
        Column("Ambition ID", "ambition_id"),
        Column("Planning reference", "planning_ref", missing=NOT_AVAILABLE),
        Column(group, "title"),
        Column("Unit", "unit"),
        *[Column(_year_header(y, units), "v" + y, "row") for y in years],
    ]
    return Table(sheet, title, description, columns, frame)


def funding_table(df: pl.DataFrame) -> Table | None:
    return _measure_table(
        df,
        "funding",
        "Funding",
        "Funding by programme and year",
        "Funding line",
        f"One row per organisation and funding line, in pounds (£); lines overlap, so do "
        f"not add them up [note {NOTE_OVERLAP}].",
    )


def workforce_table(df: pl.DataFrame) -> Table | None:
    return _measure_table(
        df,
        "workforce",
        "Workforce",
        "Workforce by staff group and year",
        "Staff group",
        f"One row per organisation and staff group; a total and its groups overlap, so do "
        f"not add them up [note {NOTE_OVERLAP}].",
    )


def shares_table(df: pl.DataFrame) -> Table | None:
    """Each organisation's share of England under each basis, by year.

    A share under a plain basis is taken from the non-targeted ambitions using it; a
    targeted ambition split among named systems has its own basis label (see
    _label_targeted_bases) and is listed under it, for the organisations with a share."""
    part = df.filter(pl.col("basis").is_not_null(), pl.col("share").is_not_null())
    targeted = pl.col("basis").str.contains(TARGETED_MARK, literal=True)
    part = part.filter(~targeted | (pl.col("share") > 0))
    if part.is_empty():
        return None
    years = years_of(part)
    keys = [*_ORG_KEYS, "basis"]
    part = part.sort(pl.col("category") == "targeted", "ambition_id")
    frame = (
        part.group_by(keys)
        .agg(
            pl.col("ambition_id").n_unique().alias("n"),
            *_by_year(years, "share", "s"),
        )
        .sort([*ORG_SORT, "basis"])
    )
    columns = [
        *ORG_COLUMNS,
        Column(f"Basis [note {NOTE_BASES}]", "basis"),
        Column("Ambitions using this basis (number)", "n", "count"),
        *[Column(f"Share of England, {y} (%)", "s" + y, "share") for y in years],
    ]
    return Table(
        "Shares",
        "Shares of England by basis",
        f"One row per organisation and basis: its unrounded share of England's figure "
        f"by year [note {NOTE_BASES}].",
        columns,
        frame,
    )


def data_table(df: pl.DataFrame) -> Table:
    """The long table of the workbook's own organisations (no context rows): one row per
    organisation × ambition × year, keyed like the planning templates."""
    frame = df.filter(pl.col("_own")) if "_own" in df.columns else df
    frame = frame.with_columns(measure_type=measure_type()).sort([*ORG_SORT, "_ar", "year"])
    columns = [
        Column("Organisation code", "org_code"),
        Column("Planning reference", "planning_ref", missing=NOT_AVAILABLE),
        Column("Metric code (ambition ID)", "ambition_id"),
        Column(f"Measure type [note {NOTE_MEASURE_TYPE}]", "measure_type"),
        Column("Financial year", "year"),
        Column("Value (see Unit)", "value", "row"),
        Column("Unit", "unit"),
        Column(f"Provenance [note {NOTE_PROVENANCE}]", "provenance"),
    ]
    return Table(
        "Data",
        "All figures in the planning-template layout",
        f"One row per organisation, ambition and year, in the NHS planning-template "
        f"layout [note {NOTE_MEASURE_TYPE}].",
        columns,
        frame,
    )


def tables(df: pl.DataFrame, meta: dict | None = None) -> list[Table]:
    """Every table sheet of a workbook for this slice of the (prepared) spine, in order.
    `meta` words the bases (the catalogue's labels); without it their names are shown."""
    from mhtool.outputs import summary

    out = [summary.summary_table(df, meta), summary.compare_table(df), summary.standards_table(df)]
    out += [category_table(df, c) for c in ("fixed", "flexible", "targeted")]
    out += [funding_table(df), workforce_table(df), shares_table(df), data_table(df)]
    return [t for t in out if t is not None]
