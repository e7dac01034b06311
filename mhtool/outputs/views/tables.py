"""The tables shown in the workbooks, each a pure function of (a slice of) the spine.

The writer writes these and `mhtool check` recomputes them from the saved spine and
compares cell by cell, so a table's rows, order and headers are defined only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from mhtool import vocab
from mhtool.fields import (
    AMBITION_RANK,
    LEVEL_NAME,
    LINE_SPLIT,
    O1,
    O2,
    O3,
    ORG_SORT,
    OWN,
    PLAN_ORDER,
    ROW_FORMAT,
)
from mhtool.outputs.views.layout import (
    GBP_WORD,
    HEADER_ROW,
    LEVEL_NAMES,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    org_label,
)
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.planning.template import measure_type
from mhtool.spine import label_detail

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
    NOTE_PLACES,
) = range(1, 10)


@dataclass(frozen=True)
class Column:
    """One table column: its header, the frame column it shows, and how to format it:
    'text', a key of layout.NUMBER_FORMATS, or 'row' (the frame's `_fmt` column says).
    Missing values show as [z] (not applicable) for text and shares, else [x]."""

    header: str
    key: str
    fmt: str = "text"
    missing: str | None = None
    width: int | None = None  # characters; None: fitted to the column's contents

    @property
    def placeholder(self) -> str:
        if self.missing is not None:
            return self.missing
        return NOT_APPLICABLE if self.fmt in ("text", "share") else NOT_AVAILABLE


@dataclass
class Table:
    """One sheet's table. `name` is the Excel table's name (default: layout.TABLES[sheet]).
    `print_area`: (rows, columns), the frame's first rows and first columns that print by
    default, under the sheet's title, description and header row (a sheet whose own rows
    come first prints those, its context and wide prose columns stay on screen); None: the
    whole table prints. Honoured for a sheet's first table (workbook.write_table), its
    printed columns alone fitted to the page (workbook.readable_widths), and checked."""

    sheet: str
    title: str
    description: str
    columns: list[Column]
    frame: pl.DataFrame
    name: str | None = None
    print_area: tuple[int, int] | None = None

    def print_range(self) -> tuple[int, int] | None:
        """The last row and column (0-based, from A1) of the sheet's default print area
        when this table is the sheet's first; None: the whole sheet prints."""
        if self.print_area is None:
            return None
        rows, columns = self.print_area
        return HEADER_ROW + rows, columns - 1


def number_format() -> pl.Expr:
    """Each row's number format (a key of layout.NUMBER_FORMATS), fixed per unit so a
    column never mixes 100.0 with 8.55 and 56: carried rates and standards in percent to
    one decimal, in days, people or sites whole; other carried rates as rates; workforce
    lines as WTE, pounds as money, everything else a count."""
    carried = pl.col("kind").is_in(vocab.CARRIED_KINDS)
    return (
        pl.when(carried & (pl.col("unit_kind") == "percent"))
        .then(pl.lit("percent"))
        .when(carried & pl.col("unit_kind").is_in(["days", "people", "sites"]))
        .then(pl.lit("count"))
        .when(carried)
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
    natural order of planning reference, and each row's line's split method (`_split`,
    see line_split)."""
    level = pl.col("level")
    blank_is_missing = [
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("planning_ref", "basis")
    ]
    df = spine.with_columns(*blank_is_missing).with_columns(
        pl.when(level == "england")
        .then(pl.lit(""))
        .when(level == "region")
        .then(pl.col("org_code"))
        .otherwise(pl.col("region_code"))
        .fill_null("")
        .alias(O1),
        pl.when(level.is_in(["england", "region"]))
        .then(pl.lit(""))
        .when(level == "icb")
        .then(pl.col("org_code"))
        .otherwise(pl.col("icb_code"))
        .fill_null("")
        .alias(O2),
        pl.when(level == "subicb").then(pl.col("org_code")).otherwise(pl.lit("")).alias(O3),
        number_format().alias(ROW_FORMAT),
        level.replace_strict(LEVEL_NAMES, default=level).alias(LEVEL_NAME),
        line_split().alias(LINE_SPLIT),
    )
    df = plan_order(df)
    ambitions = df.select("ambition_id", "planning_ref").unique()
    order = sorted(
        ambitions.iter_rows(), key=lambda r: (_natural(r[1] or ""), _natural(r[0] or ""))
    )
    rank = pl.DataFrame(
        {"ambition_id": [r[0] for r in order], AMBITION_RANK: range(len(order))},
        schema={"ambition_id": pl.String, AMBITION_RANK: pl.Int64},
    )
    return df.join(rank.unique("ambition_id", keep="first"), on="ambition_id", how="left")


def line_split() -> pl.Expr:
    """Each row's line's split method, the same in every year: how the line is split where
    it is split (a pilot year reported for England only does not change it), and
    `national_only` only for a line never split. Tables aggregate a line over years."""
    method = pl.col("split_method")
    return (
        method.filter(method != vocab.NATIONAL_ONLY)
        .first()
        .over("ambition_id")
        .fill_null(vocab.NATIONAL_ONLY)
    )


def years_of(df: pl.DataFrame) -> list[str]:
    """The financial years present, in order (the year columns of a table)."""
    return sorted(df.get_column("year").unique().drop_nulls().to_list())


def basis_words(label: str | None, name: str | None, method: str, meta: WorkbookMeta) -> str:
    """The basis in plain words, e.g. 'ONS mid-year population aged 0-25', from the line's
    basis name and split method (`label` gives only the parts or systems it names); a
    total made of its parts says so."""
    if method == vocab.SUM_OF_PARTS:
        return f"the sum of its part lines ({label_detail(label, method)})"
    if method not in (vocab.BY_BASIS, vocab.TARGETED) or not name:
        return "not shared out"
    words = meta.bases.get(name) or name
    if method == vocab.TARGETED:
        named = label_detail(label, method)
        words += ", shared among the systems named" + (f": {named}" if named else "")
    return words


BASIS_KEYS = ["basis", "basis_name", LINE_SPLIT]  # what a table row keeps of its basis


def _basis_words(frame: pl.DataFrame, meta: WorkbookMeta | None) -> pl.DataFrame:
    """Add `basis_words`: each row's basis in plain words (the frame keeps BASIS_KEYS,
    which the notes describe)."""
    words = [
        basis_words(label, name, method, meta or WorkbookMeta())
        for label, name, method in frame.select(BASIS_KEYS).iter_rows()
    ]
    return frame.with_columns(pl.Series("basis_words", words, dtype=pl.String))


def is_standard() -> pl.Expr:
    """Asks every organisation must meet at the national level (a rate, a coverage ask
    or a standard), never shared out. The one place that says which rows are standards:
    each is one row of its category's sheet (mhtool.outputs.views.categories), never split."""
    return pl.col("kind").is_in(vocab.CARRIED_KINDS)


def is_headline() -> pl.Expr:
    """The Plan's headline asks: fixed counts of people reached (e.g. 345,000 more CYP)."""
    return (
        (pl.col("category") == "fixed")
        & (pl.col("measure") == "activity")
        & (pl.col("kind") == "count")
    )


MEASURE_ORDER = {m: i for i, m in enumerate(vocab.MEASURES)}


def plan_order(df: pl.DataFrame) -> pl.DataFrame:
    """Add `_po`, the Plan's order: programmes in the order the catalogue lists them (the
    Plan's chapters), within each activity then funding then workforce, headline asks
    first, then each line in catalogue order (the spine's row order)."""
    if PLAN_ORDER in df.columns:
        return df
    rows = df.with_row_index("_row")
    first = rows.group_by("ambition_id").agg(pl.col("_row").min())
    prog = rows.group_by("programme").agg(pl.col("_row").min().alias("_prow"))
    lines = (
        df.select("ambition_id", "programme", "measure", "category", "kind")
        .unique("ambition_id", keep="first")
        .join(first, on="ambition_id")
        .join(prog, on="programme", how="left")
        .with_columns(
            _m=pl.col("measure").replace_strict(MEASURE_ORDER, default=9, return_dtype=pl.Int64),
            _h=(~is_headline()).cast(pl.Int64),
        )
        .sort("_prow", "_m", "_h", "_row")
        .with_row_index(PLAN_ORDER)
        .select("ambition_id", pl.col(PLAN_ORDER).cast(pl.Int64))
    )
    return df.join(lines, on="ambition_id", how="left")


def _own_first(df: pl.DataFrame) -> list:
    """Sort keys: the workbook's own organisations first (in hierarchy order), then the
    organisations above them for context, nearest first."""
    own = pl.col(OWN) if OWN in df.columns else pl.lit(True)
    rank = pl.col("level").replace_strict(vocab.LEVEL_ORDER, default=9, return_dtype=pl.Int64)
    return [(~own).cast(pl.Int64), pl.when(own).then(0).otherwise(-rank), *ORG_SORT]


# A sheet that prints its organisation's own rows (Table.print_area) says so first: a long
# description is cut at the printed page's edge.
PRINTED_FIRST = "Its own rows print; its parts and the levels above follow."
SHOWN_FIRST = "Its own rows first, then its parts and the levels above."  # a page not printed


def _org_year_table(
    part: pl.DataFrame,
    sheet: str,
    title: str,
    description: str,
    line: str,
    meta: WorkbookMeta | None,
) -> Table | None:
    """One row per organisation × line, own organisations first, each in the Plan's
    order; the organisation, the line, its figures by year, then its unit and share. The
    organisation's own rows print; those of its parts and the levels above follow on
    screen (`description`: what follows that in the sheet's description)."""
    if part.is_empty() or (OWN in part.columns and not part.get_column(OWN).any()):
        return None
    years = years_of(part)
    keys = ["org_code", "org_name", OWN, *ORG_SORT, "level", PLAN_ORDER, "ambition_id"]
    keys += ["title", "unit", ROW_FORMAT]
    part = part.with_columns((pl.col(OWN) if OWN in part.columns else pl.lit(True)).alias(OWN))
    frame = (
        part.group_by([*keys, *BASIS_KEYS], maintain_order=True)
        .agg(
            pl.col("share").sort_by("year").last().alias("share"),
            *_by_year(years, "value", "v"),
        )
        .with_columns(
            org=pl.struct("org_name", "org_code").map_elements(
                lambda r: org_label(r["org_name"], r["org_code"]), return_dtype=pl.String
            ),
            unit=pl.col("unit").str.strip_chars().str.replace(GBP_WORD, "£"),
        )
    )
    frame = _basis_words(frame.sort([*_own_first(frame), PLAN_ORDER]), meta)
    latest = years[-1]
    columns = [
        Column("Organisation", "org"),
        Column(line, "title"),
        *[Column(y, "v" + y, "row") for y in years],
        Column("Unit", "unit"),
        Column(f"Share of England, {latest}", "share", "share"),
        Column(f"Basis of the share [note {NOTE_BASES}]", "basis_words"),
    ]
    home = frame.get_column("org_code")[0]  # the highest own organisation: the workbook's
    printed = frame.filter(pl.col("org_code") == home).height
    if printed == frame.height:
        return Table(sheet, title, f"This organisation first. {description}", columns, frame)
    return Table(
        sheet,
        title,
        f"{PRINTED_FIRST} {description}",
        columns,
        frame,
        print_area=(printed, len(columns)),
    )


def funding_table(df: pl.DataFrame, meta: WorkbookMeta | None = None) -> Table | None:
    """The Funding sheet: every funding line, in pounds."""
    return _org_year_table(
        plan_order(df.filter(pl.col("measure") == "funding", ~is_standard())),
        "Funding",
        "Funding (£) by line and year, in the Plan's order",
        f"A total and its parts overlap: never add them up [note {NOTE_OVERLAP}].",
        "Funding line",
        meta,
    )


def workforce_table(df: pl.DataFrame, meta: WorkbookMeta | None = None) -> Table | None:
    """The Workforce sheet: every staff group."""
    return _org_year_table(
        plan_order(df.filter(pl.col("measure") == "workforce", ~is_standard())),
        "Workforce",
        "Workforce (whole-time equivalent staff) by staff group and year",
        f"A total and its groups overlap: never add them up [note {NOTE_OVERLAP}].",
        "Staff group",
        meta,
    )


ORG_COLUMNS = [
    Column("Organisation level", LEVEL_NAME),
    Column("Organisation code", "org_code"),
    Column("ONS code", "ons_code"),
    Column("Organisation name", "org_name"),
    Column("Parent code", "parent_code"),
]
_ORG_KEYS = ["org_code", "ons_code", "org_name", "parent_code", LEVEL_NAME, *ORG_SORT]


def _by_year(years: list[str], value: str, prefix: str) -> list[pl.Expr]:
    """One column per year holding `value` for that year (`prefix` + year); null if none."""
    return [pl.col(value).filter(pl.col("year") == y).first().alias(prefix + y) for y in years]


def shares_table(df: pl.DataFrame, meta: WorkbookMeta | None = None) -> Table | None:
    """Each organisation's share of England under each basis used: one figure per basis
    (the weights do not change by year), own organisations first.

    A total made of its parts has no basis of its own and is left out. A targeted
    ambition split among named systems has its own basis label (spine.basis_label) and
    is listed under it, for the organisations with a share."""
    part = df.filter(
        pl.col("basis").is_not_null(),
        pl.col("share").is_not_null(),
        pl.col(LINE_SPLIT) != vocab.SUM_OF_PARTS,
    )
    targeted = pl.col(LINE_SPLIT) == vocab.TARGETED
    part = part.filter(~targeted | (pl.col("share") > 0))
    if part.is_empty() or (OWN in part.columns and not part.get_column(OWN).any()):
        return None
    part = part.with_columns((pl.col(OWN) if OWN in part.columns else pl.lit(True)).alias(OWN))
    keys = ["org_code", "org_name", OWN, "level", *ORG_SORT, *BASIS_KEYS]
    frame = (
        part.sort("year", "ambition_id", descending=[True, False])
        .group_by(keys)
        .agg(
            pl.col("ambition_id").n_unique().alias("n"),
            pl.col("share").first().alias("share"),
        )
        .with_columns(
            org=pl.struct("org_name", "org_code").map_elements(
                lambda r: org_label(r["org_name"], r["org_code"]), return_dtype=pl.String
            )
        )
    )
    frame = _basis_words(frame.sort([*_own_first(frame), "basis"]), meta)
    columns = [
        Column("Organisation", "org"),
        Column(f"Basis [note {NOTE_BASES}]", "basis_words"),
        Column("Share of England", "share", "share"),
        Column("Ambitions using this basis (number)", "n", "count"),
    ]
    return Table(
        "Shares",
        "Shares of England by basis",
        f"One row per organisation and basis: its unrounded share of England's figure "
        f"[note {NOTE_BASES}]; only this heading prints.",
        columns,
        frame,
    )


def data_table(df: pl.DataFrame) -> Table:
    """The long table of the workbook's own organisations (no context rows): one row per
    organisation × ambition × year, keyed like the planning templates."""
    frame = df.filter(pl.col(OWN)) if OWN in df.columns else df
    frame = frame.with_columns(measure_type=measure_type()).sort([*ORG_SORT, AMBITION_RANK, "year"])
    columns = [
        Column("Organisation code", "org_code"),
        Column("Planning reference", "planning_ref", missing=NOT_AVAILABLE),
        Column("Metric code (ambition ID)", "ambition_id"),
        Column(f"Measure type [note {NOTE_MEASURE_TYPE}]", "measure_type"),
        Column("Financial year", "year"),
        Column("Value (see Unit)", "value", "row"),
        Column("Upper end of a range (see Unit)", "value_high", "row", missing=NOT_APPLICABLE),
        Column("Unit", "unit"),
        Column(f"Provenance [note {NOTE_PROVENANCE}]", "provenance"),
    ]
    return Table(
        "Data",
        "All figures in the planning-template layout",
        f"One row per organisation, ambition and year, in the planning-template layout "
        f"[note {NOTE_MEASURE_TYPE}]; only this heading prints.",
        columns,
        frame,
    )
