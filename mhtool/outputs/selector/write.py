"""selector.xlsx: one workbook in which anyone picks their organisation from a list.

The first sheet holds a list (a data validation) of every organisation; picking one fills
in what the Plan asks of it there and its figures by year on the Years sheet, by
INDEX/MATCH formulas over the data sheets of the same file: no macros, no external links,
no function only newer spreadsheet programs know. The formulas carry cached values for
England, so a viewer that does not recalculate still shows real figures.

Every data cell is a spine figure or words made from spine figures; nothing here computes
a share. The frames are pure functions of the prepared spine, so `mhtool check`
(mhtool.outputs.selector.check) recomputes them and compares the file cell by cell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl
from xlsxwriter.utility import xl_col_to_name

from mhtool import vocab
from mhtool.fields import LINE_SPLIT, PLAN_ORDER, ROW_FORMAT, header
from mhtool.infra import folder
from mhtool.outputs.views.layout import (
    HEADER_ROW,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    NUMBER_FORMATS,
    org_label,
)
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.notes import OGL, PROVENANCE
from mhtool.outputs.views.planpage import (
    CATEGORY_COLUMNS,
    CATEGORY_HEADERS,
    SEP,
    last_words,
    plan_lines,
)
from mhtool.outputs.views.planpage import plan_words as _plan_words
from mhtool.outputs.views.summary import provenance_words
from mhtool.outputs.views.tables import (
    Column,
    Table,
    basis_words,
    is_headline,
    number_format,
)
from mhtool.outputs.workbook.write import (
    INDENT,
    LINE_HEIGHT,
    Formats,
    header_lines,
    new_workbook,
    notes_sheet,
    print_setup,
    readable_widths,
    text_lines,
    write_table,
)

FILE = "selector.xlsx"
# A run with more places than this leaves them out of the list (a GP-practice run has
# ~6,500: too many to pick from, and ~45,000 more data rows); their figures are in
# places/<ICB>.csv. PCNs (~1,300) and local authority districts (~370) are listed.
MAX_PLACES = 1500

SELECTOR, YEARS, NOTES = "Selector", "Years", "Notes"
ORGS, PLAN_DATA, DATA, LINES = "Organisations", "Plan data", "Data", "Lines"
SHEETS = (SELECTOR, YEARS, NOTES, ORGS, PLAN_DATA, DATA, LINES)

# The Selector sheet (0-based rows): the pick and what it resolves to, then the Plan page.
PICK_ROW, CODE_ROW, LEVEL_ROW = 3, 4, 5
PLAN_TOP = 7  # the Plan page's title; its description below, its header row below that
PICK = "$B$4"  # the pick cell (PICK_ROW, column B), as formulas refer to it
CODE = "$B$5"
NOTE_HOW, NOTE_PROVENANCE, NOTE_BASES = 1, 2, 3  # the Notes sheet's first notes
READABLE = (SELECTOR, YEARS, NOTES)  # printed at 9 pt or more (workbook.check.check_print)
# header rows repeated on printed pages: the Plan page's (it runs onto a second) and the Years'
REPEATED = {
    SELECTOR: f"${PLAN_TOP + 3}:${PLAN_TOP + 3}",
    YEARS: f"${HEADER_ROW + 1}:${HEADER_ROW + 1}",
}


@dataclass
class Selector:
    """The selector's data: organisations in list order, the Plan page's words per
    organisation and programme, each organisation's lines by year, how each line's figures
    were made and their basis per level (the same for every organisation of a level), and
    the fixed rows of the Years sheet (every line in the Plan's order)."""

    orgs: pl.DataFrame  # label, org_code, level (as readers call it), org_name, parent_code
    plan: pl.DataFrame  # key (code/programme number), programme, fixed, flexible, targeted
    data: pl.DataFrame  # key (code/ambition), v<year>..., _fmt
    words: pl.DataFrame  # key (level/ambition), level, ambition_id, how, basis_words
    lines: pl.DataFrame  # ambition_id, programme, title, category, unit (in words), _fmt...
    programmes: list[str]
    years: list[str]
    places_left_out: int = 0  # places of the run not listed (more than MAX_PLACES)
    called: str = "the Plan"  # the round as its catalogue calls it (WorkbookMeta.round_name)
    unsaid: str = ""  # ' for 2023/24 (...)': the year the Plan words leave out (last_words)


def label(name: str | None, code: str) -> str:
    """How an organisation is listed: 'England', else '<name> (<code>)'."""
    return vocab.ENGLAND_NAME if code == vocab.ENGLAND_CODE else org_label(name, code)


def _with_places(prepared: pl.DataFrame, places: pl.DataFrame | None) -> tuple[pl.DataFrame, int]:
    """The prepared levels above places, plus the places' headline rows (the asks places
    are shown for) when there are at most MAX_PLACES; (rows, places left out)."""
    keep = ["level", "org_code", "org_name", "parent_code", "region_code", "icb_code"]
    keep += [
        "programme",
        "ambition_id",
        "title",
        "category",
        "kind",
        "measure",
        "unit",
        "unit_kind",
    ]
    keep += ["year", "value", "national_value", "share", "basis", "basis_name"]
    keep += ["split_method", "provenance", ROW_FORMAT, PLAN_ORDER, LINE_SPLIT]
    above = prepared.select(keep)
    if places is None or places.is_empty():
        return above, 0
    n = places.get_column("org_code").n_unique()
    if n > MAX_PLACES:
        return above, n
    order = above.select("ambition_id", PLAN_ORDER, LINE_SPLIT).unique("ambition_id")
    rows = (
        places.lazy()
        .filter(is_headline())
        .with_columns(pl.col(pl.Categorical).cast(pl.String))
        .with_columns(number_format().alias(ROW_FORMAT))
        .collect()
        .join(order, on="ambition_id", how="left")
        .select(keep)
    )
    return pl.concat([above, rows], how="vertical_relaxed"), 0


def _org_order(rows: pl.DataFrame) -> pl.DataFrame:
    """Every organisation once, in hierarchy order: England, each region followed by its
    ICBs, each followed by its sub-ICB locations, each followed by its places (places
    under an ICB after its sub-ICB locations)."""
    orgs = rows.select("level", "org_code", "org_name", "parent_code", "region_code", "icb_code")
    orgs = orgs.unique("org_code", keep="first")
    level = pl.col("level")
    subicbs = orgs.filter(level == "subicb").get_column("org_code")
    return orgs.with_columns(
        _k1=pl.when(level == "england")
        .then(pl.lit(""))
        .when(level == "region")
        .then(pl.col("org_code"))
        .otherwise(pl.col("region_code")),
        _k2=pl.when(level.is_in(["england", "region"]))
        .then(pl.lit(""))
        .when(level == "icb")
        .then(pl.col("org_code"))
        .otherwise(pl.col("icb_code")),
        _k3=pl.when(level == "subicb")
        .then(pl.col("org_code"))
        .when(level == vocab.PLACE)
        .then(
            pl.when(pl.col("parent_code").is_in(subicbs.implode()))
            .then(pl.col("parent_code"))
            .otherwise(pl.lit("\uffff"))  # an ICB's own places after its sub-ICBs
        )
        .otherwise(pl.lit("")),
        _k4=pl.when(level == vocab.PLACE).then(pl.col("org_code")).otherwise(pl.lit("")),
    ).sort(pl.col("_k1").fill_null(""), pl.col("_k2").fill_null(""), "_k3", "_k4")


def build(
    prepared: pl.DataFrame, meta: WorkbookMeta | None = None, places: pl.DataFrame | None = None
) -> Selector:
    """The selector's data from the prepared spine (views.prepare; levels above places)
    and the run's place rows (or None)."""
    meta = meta or WorkbookMeta()
    rows, left_out = _with_places(prepared, places)
    years = sorted(rows.get_column("year").unique().drop_nulls().to_list())
    orgs = _org_order(rows)
    org_list = orgs.select(
        pl.struct("org_name", "org_code")
        .map_elements(lambda r: label(r["org_name"], r["org_code"]), return_dtype=pl.String)
        .alias("label"),
        "org_code",
        pl.col("level").replace_strict(vocab.LEVEL_NAMES, default=pl.col("level")).alias("level"),
        "org_name",
        "parent_code",
    )
    rank = orgs.select("org_code").with_row_index("_org")
    lines = plan_lines(rows)
    # the Plan page, as a workbook's: activity asks (money and staff are by year on the Years sheet)
    asks = plan_lines(rows.filter(pl.col("measure") == "activity"))
    programmes = list(dict.fromkeys(asks.get_column("programme").to_list()))
    known = pl.col("value").is_not_null()
    by_line = (
        rows.sort("year")
        .group_by("org_code", "level", "ambition_id", maintain_order=True)
        .agg(
            *[pl.col("value").filter(pl.col("year") == y).first().alias("v" + y) for y in years],
            pl.col("value").filter(known).last().alias("value"),
            pl.col("year").filter(known).last().alias("year"),
            pl.col("share").filter(known).last().alias("share"),
        )
        .join(rank, on="org_code")
        .join(lines.select("ambition_id", PLAN_ORDER, ROW_FORMAT), on="ambition_id")
        .sort("_org", PLAN_ORDER)
    )
    data = by_line.select(
        (pl.col("org_code") + SEP + pl.col("ambition_id")).alias("key"),
        *[pl.col("v" + y).cast(pl.Float64) for y in years],
        ROW_FORMAT,
    )
    icbs = dict(orgs.select("org_code", "icb_code").rows())
    plan = _plan_words(by_line, asks, org_list, programmes, meta.selected, icbs, meta.short_titles)
    return Selector(
        org_list,
        plan,
        data,
        _line_words(rows, lines, meta),
        lines,
        programmes,
        years,
        left_out,
        meta.round_name,
        last_words(by_line),
    )


def _line_words(rows: pl.DataFrame, lines: pl.DataFrame, meta: WorkbookMeta) -> pl.DataFrame:
    """How each line's figures were made and its basis in words, per level: the spine
    gives every organisation of a level the same (a place's basis is the practice-level
    equivalent of its parent's)."""
    first = (
        rows.sort("year")
        .group_by("level", "ambition_id", maintain_order=True)
        .agg(
            pl.col("year").filter(pl.col("org_code") == pl.col("org_code").first()),
            pl.col("provenance").filter(pl.col("org_code") == pl.col("org_code").first()),
            pl.col("basis").first(),
            pl.col("basis_name").first(),
        )
        .join(lines.select("ambition_id", PLAN_ORDER, LINE_SPLIT), on="ambition_id")
        .with_columns(
            pl.col("level").replace_strict(vocab.LEVEL_ORDER, return_dtype=pl.Int64).alias("_l")
        )
        .sort("_l", PLAN_ORDER)
    )
    out = []
    for level, amb, years, prov, basis, name, split in first.select(
        "level", "ambition_id", "year", "provenance", "basis", "basis_name", LINE_SPLIT
    ).iter_rows():
        shown = vocab.LEVEL_NAMES.get(level, level)
        out.append(
            [
                f"{shown}{SEP}{amb}",
                shown,
                amb,
                provenance_words(list(zip(years, prov, strict=True))),
                basis_words(basis, name, split, meta),
            ]
        )
    schema = ["key", "level", "ambition_id", "how", "basis_words"]
    return pl.DataFrame(out, schema={k: pl.String for k in schema}, orient="row")


# --- the tables, as the writer writes them and the checker reads them --------------------


def org_table(sel: Selector) -> Table:
    """The Organisations sheet: the list the pick cell offers, in its order."""
    left = (
        f" The run's {sel.places_left_out:,} places are too many to list here (more than "
        f"{MAX_PLACES:,}); their figures are in the places folder."
        if sel.places_left_out
        else ""
    )
    return Table(
        ORGS,
        "Organisations you can pick",
        "Every organisation in the list on the Selector sheet, in the order listed." + left,
        [
            Column("Organisation (as listed)", "label"),
            Column(header("org_code"), "org_code"),
            Column("Level", "level"),
            Column(header("org_name"), "org_name"),
            Column(header("parent_code"), "parent_code"),
        ],
        sel.orgs,
        name="organisations",
    )


# The two long lookup sheets print their title and header only (a whole copy would run to
# hundreds of pages); the Selector and Years sheets are the printed view of them.
UNPRINTED = "Printed copies show this header only: clear the print area to print it all."
UNPRINTED_SHEETS = (PLAN_DATA, DATA)


def print_area(table: Table) -> str | None:
    """A data sheet's print area as the file names it ($A$1:$G$3), None: the whole sheet."""
    if table.sheet not in UNPRINTED_SHEETS:
        return None
    return f"$A$1:${xl_col_to_name(len(table.columns) - 1)}${HEADER_ROW + 1}"


def plan_table(sel: Selector) -> Table:
    """The Plan data sheet: the Plan page's words for every organisation."""
    return Table(
        PLAN_DATA,
        f"What {sel.called} asks of each organisation, in words",
        "One row per organisation and programme; the Selector sheet shows the rows of the "
        "organisation picked. [z]: no ask of that category in that programme. " + UNPRINTED,
        [
            Column("Key (organisation code / programme number)", "key"),
            Column(header("programme"), "programme"),
            *[Column(c.capitalize(), c) for c in CATEGORY_COLUMNS],
        ],
        sel.plan,
        name="plan_words",
    )


def _figure_columns(sel: Selector) -> list[Column]:
    return [Column(y, "v" + y, "row") for y in sel.years]


def _word_columns() -> list[Column]:
    return [
        Column(f"How each figure was made [note {NOTE_PROVENANCE}]", "how"),
        Column(f"Basis of the share [note {NOTE_BASES}]", "basis_words"),
    ]


def data_table(sel: Selector) -> Table:
    """The Data sheet: every organisation's lines by year, which the Years sheet reads."""
    return Table(
        DATA,
        "Every organisation's figures by year",
        "One row per organisation and line, as the run's spine gives them; the Years sheet "
        "shows the rows of the organisation picked. [x]: no figure that year. " + UNPRINTED,
        [Column("Key (organisation code / ambition ID)", "key"), *_figure_columns(sel)],
        sel.data,
        name="figures",
    )


def words_table(sel: Selector) -> Table:
    """The Lines sheet: how each line's figures were made and its basis, per level."""
    return Table(
        LINES,
        "How each line's figures were made, and their basis, by level",
        "One row per level and line; the Years sheet shows the rows of the level of the "
        "organisation picked.",
        [
            Column("Key (level / ambition ID)", "key"),
            Column("Level", "level"),
            Column(header("ambition_id"), "ambition_id"),
            *_word_columns(),
        ],
        sel.words,
        name="line_words",
    )


YEAR_STATIC = ("ambition_id", "programme", "title", "category")  # columns A-D of Years


def years_columns(sel: Selector) -> list[Column]:
    """The Years sheet's columns: the line (static), its figures by year (looked up),
    its unit (static), how they were made and their basis (looked up)."""
    return [
        *[Column(header(k), k) for k in YEAR_STATIC],
        *_figure_columns(sel),
        Column(header("unit"), "unit"),
        *_word_columns(),
    ]


def years_static(sel: Selector) -> pl.DataFrame:
    """The Years sheet's fixed columns: every line in the Plan's order."""
    return sel.lines.select(*YEAR_STATIC, "unit", ROW_FORMAT)


def years_cells(sel: Selector, code: str) -> list[list]:
    """What the looked-up cells of the Years sheet show for organisation `code`, row by
    row: its figures ([x] for a year without one) then how they were made and their
    basis; [z] wherever it has no such line (what the formulas give)."""
    level = sel.orgs.filter(pl.col("org_code") == code).get_column("level")[0]
    n = len(sel.years)
    figures = {
        k.partition(SEP)[2]: [NOT_AVAILABLE if v is None else v for v in r]
        for k, *r in sel.data.filter(pl.col("key").str.starts_with(code + SEP))
        .drop(ROW_FORMAT)
        .iter_rows()
    }
    words = {
        a: [h, b]
        for a, h, b in sel.words.filter(pl.col("level") == level)
        .select("ambition_id", "how", "basis_words")
        .iter_rows()
    }
    return [
        figures.get(a, [NOT_APPLICABLE] * n) + words.get(a, [NOT_APPLICABLE] * 2)
        for a in sel.lines.get_column("ambition_id").to_list()
    ]


def plan_cells(sel: Selector, code: str) -> list[list[str]]:
    """What the Plan page shows for organisation `code`: per programme, the words of
    each category ([z] where it has none)."""
    mine = {
        r[0]: r[1:]
        for r in sel.plan.filter(pl.col("key").str.starts_with(code + SEP))
        .select("programme", *CATEGORY_COLUMNS)
        .iter_rows()
    }
    none = (None,) * len(CATEGORY_COLUMNS)
    return [[t or NOT_APPLICABLE for t in mine.get(p, none)] for p in sel.programmes]


# --- the writer ----------------------------------------------------------------------------


def notes(sel: Selector, meta: WorkbookMeta) -> list[str]:
    """The Notes sheet; the headers refer to notes 2 (how made) and 3 (basis)."""
    bases = "; ".join(f"{k}: {str(v).rstrip('.')}" for k, v in sorted(meta.bases.items()))
    places = (
        f"This run's {sel.places_left_out:,} places are not listed (more than {MAX_PLACES:,}, "
        "too many to pick from); their figures are in the run's places folder."
        if sel.places_left_out
        else "Places (in runs with places) are listed below their sub-ICB location (or their "
        "ICB) with the headline asks shared to places (the run's places folder has every "
        "line); their parent's page has the rest."
    )
    return [
        f"How it works: pick an organisation in cell B{PICK_ROW + 1} of the {SELECTOR} sheet. "
        f"The Plan page below it and the {YEARS} sheet fill in for that organisation from the "
        f"{ORGS}, {PLAN_DATA}, {DATA} and {LINES} sheets of this file, by INDEX and MATCH "
        "formulas: "
        "no macros and no links to other files. A program that does not recalculate "
        "formulas shows England, whose figures are saved with the file. " + places,
        PROVENANCE,
        "Basis: the weights a national figure is shared among organisations by; the share "
        "is the organisation's unrounded share of England's figure. Bases used: "
        + (bases or "none")
        + ".",
        "Rounding: figures are rounded top-down (England, regions, ICBs within each region, "
        "sub-ICB locations within each ICB) by the largest-remainder method, so every level "
        "sums exactly to the level above. People, sites and £ are whole; staff are WTE to "
        "0.1. Rates and standards are not shared out: every organisation carries the "
        "national level.",
        "Symbols: [x] means not available (no figure for that year); [z] means not "
        "applicable (a line not shared out to this organisation, such as one reported for "
        "England only, or no ask of that category in a programme).",
        f"Source: the run's apportionment of catalogue {meta.catalogue_name} "
        f"(SHA-256 {meta.catalogue_sha256}), mhtool {meta.tool_version}, {meta.geography} "
        f"boundaries, reference data of {meta.data_date}. {OGL}",
    ]


def _range(sheet: str, col: int, first: int, last: int) -> str:
    """An absolute range of one column, rows first..last (0-based), on `sheet`."""
    name = f"'{sheet}'" if " " in sheet else sheet
    letter = xl_col_to_name(col)
    return f"{name}!${letter}${first + 1}:${letter}${last + 1}"


def literal(key: str) -> str:
    """A formula for the text `key` gives, with the characters MATCH takes as wildcards
    escaped (~ first, then * and ?), so an exact MATCH finds that text alone: a name such
    as 'A*' would otherwise find the first name starting with A, and one with a ~ none."""
    for ch in "~*?":
        key = f'SUBSTITUTE({key},"{ch}","~{ch}")'
    return key


def _lookup(sheet: str, col: int, n: int, key: str) -> str:
    """INDEX/MATCH of the text `key` in column A of a data sheet's table, matched exactly
    with no wildcards (literal); [z] when not found."""
    first, last = HEADER_ROW + 1, HEADER_ROW + max(n, 1)
    return (
        f"=IFERROR(INDEX({_range(sheet, col, first, last)},"
        f'MATCH({literal(key)},{_range(sheet, 0, first, last)},0)),"{NOT_APPLICABLE}")'
    )


def org_list_source(sel: Selector) -> str:
    """The range the pick cell's list offers: the Organisations sheet's first column."""
    return _range(ORGS, 0, HEADER_ROW + 1, HEADER_ROW + sel.orgs.height)


def data_tables(sel: Selector) -> list[Table]:
    """The sheets the formulas read, as tables of the spine's figures and words."""
    return [org_table(sel), plan_table(sel), data_table(sel), words_table(sel)]


def looked_up_columns(sel: Selector) -> list[Column]:
    """The Years sheet's columns whose cells are lookups of the pick."""
    return [*_figure_columns(sel), *_word_columns()]


def years_table(sel: Selector) -> Table:
    """The Years sheet as a table: its columns, and its fixed columns' rows (the looked-up
    cells are in `shown`)."""
    places = (
        " A place shows the headline asks only: places/<ICB code>.csv has its every line."
        if sel.orgs.get_column("level").eq(vocab.LEVEL_NAMES[vocab.PLACE]).any()
        else ""
    )
    return Table(
        YEARS,
        "Figures by year",
        f"The organisation picked on the {SELECTOR} sheet: every line in {sel.called}'s order. "
        "[x]: no figure that year; [z]: not shared out to it, or not applicable." + places,
        years_columns(sel),
        years_static(sel),
        name="figures_by_year",
    )


def formulas(sel: Selector) -> dict[str, dict[tuple[int, int], str]]:
    """Every formula of the file, by sheet and (row, column): what the pick resolves to,
    the Plan page and the Years table, each a lookup of the pick in a data sheet."""
    pick = f"$B${PICK_ROW + 1}"
    orgs = sel.orgs.height
    missing = f'"{NOT_APPLICABLE}"'
    picked = {
        (CODE_ROW, 1): _lookup(ORGS, 1, orgs, pick).replace(missing, '"not in the list"'),
        (LEVEL_ROW, 1): _lookup(ORGS, 2, orgs, pick).replace(missing, '"not in the list"'),
        (PLAN_TOP, 0): f'="What {sel.called} asks of "&{pick}',
    }
    code = f'{CODE}&"{SEP}"'
    for r in range(PLAN_TOP + 3, PLAN_TOP + 3 + len(sel.programmes)):
        for c in range(1, len(CATEGORY_COLUMNS) + 1):
            picked[r, c] = _lookup(PLAN_DATA, 1 + c, sel.plan.height, f"{code}&{r - PLAN_TOP - 2}")
    years = {(0, 0): f'="Figures by year: "&{SELECTOR}!{PICK}'}
    n = len(sel.years)
    for r in range(HEADER_ROW + 1, HEADER_ROW + 1 + sel.lines.height):
        for j in range(n):
            key = f'{SELECTOR}!{CODE}&"{SEP}"&$A{r + 1}'
            years[r, len(YEAR_STATIC) + j] = _lookup(DATA, 1 + j, sel.data.height, key)
        for j in range(2):
            key = f'{SELECTOR}!$B${LEVEL_ROW + 1}&"{SEP}"&$A{r + 1}'
            years[r, len(YEAR_STATIC) + n + 1 + j] = _lookup(LINES, 3 + j, sel.words.height, key)
    return {SELECTOR: picked, YEARS: years}


def shown(sel: Selector, row: int) -> dict[str, dict[tuple[int, int], object]]:
    """What every formula cell shows with the organisation of list row `row` picked (the
    values saved with the file for the default pick; what a recalculation gives)."""
    name, code, level = sel.orgs.select("label", "org_code", "level").row(row)
    picked: dict[tuple[int, int], object] = {
        (CODE_ROW, 1): code,
        (LEVEL_ROW, 1): level,
        (PLAN_TOP, 0): f"What {sel.called} asks of {name}",
    }
    for r, texts in enumerate(plan_cells(sel, code), PLAN_TOP + 3):
        for c, text in enumerate(texts, 1):
            picked[r, c] = text
    years: dict[tuple[int, int], object] = {(0, 0): f"Figures by year: {name}"}
    n = len(sel.years)
    for r, cells in enumerate(years_cells(sel, code), HEADER_ROW + 1):
        for j, value in enumerate(cells):
            years[r, len(YEAR_STATIC) + j + (j >= n)] = value
    return {SELECTOR: picked, YEARS: years}


PROGRAMME_WIDTH, CATEGORY_WIDTH = 22, 44


def _selector_sheet(ws, sel: Selector, default: int, f) -> None:
    ws.set_column(0, 0, PROGRAMME_WIDTH)
    ws.set_column(1, len(CATEGORY_COLUMNS), CATEGORY_WIDTH)
    ws.write_string(0, 0, f"Pick an organisation: what {sel.called} asks of it", f.title)
    ws.write_string(
        1,
        0,
        f"Select cell B{PICK_ROW + 1} and pick an organisation from its list: this page and "
        f"the {YEARS} sheet fill in for it [note {NOTE_HOW}].",
    )
    name = sel.orgs.get_column("label")[default]
    ws.write_string(PICK_ROW, 0, "Organisation", f.header)
    ws.write_string(PICK_ROW, 1, name, f.pick)
    ws.data_validation(
        PICK_ROW,
        1,
        PICK_ROW,
        1,
        {
            "validate": "list",
            "source": "=" + org_list_source(sel),
            "input_title": "Organisation",
            "input_message": "Pick England, a region, an ICB or a sub-ICB location from the list.",
            "error_title": "Not in the list",
            "error_message": "Pick an organisation from the list.",
        },
    )
    ws.write_string(CODE_ROW, 0, "Organisation code", f.header)
    ws.write_string(LEVEL_ROW, 0, "Level", f.header)
    cached = shown(sel, default)[SELECTOR]
    for (r, c), formula in formulas(sel)[SELECTOR].items():
        fmt = f.heading if r == PLAN_TOP else f.wrap if r > PLAN_TOP else f.top
        ws.write_formula(r, c, formula, fmt, cached[r, c])
    ws.write_string(
        PLAN_TOP + 1,
        0,
        f"Each programme's asks in {sel.called}'s three categories, with this organisation's "
        f"figures{sel.unsaid}. [z]: no such ask.",
    )
    head = PLAN_TOP + 2
    texts = sel.plan.select(*CATEGORY_COLUMNS, "programme")
    unique = sel.plan.select(pl.concat_list(CATEGORY_COLUMNS).explode().drop_nulls().unique())
    fitted = {t: text_lines(t, CATEGORY_WIDTH - 2) for t in unique.to_series().to_list()}
    tallest: dict[str, int] = {}
    for *words, p in texts.rows():
        tallest[p] = max([tallest.get(p, 1)] + [fitted[t] for t in words if t])
    for r, p in enumerate(sel.programmes, head + 1):
        ws.write_string(r, 0, p, f.wrap)
        ws.set_row(r, LINE_HEIGHT * max(tallest.get(p, 1), text_lines(p, PROGRAMME_WIDTH - 2)) + 2)
    headers = [header("programme"), *(CATEGORY_HEADERS[c] for c in CATEGORY_COLUMNS)]
    ws.set_row(head, LINE_HEIGHT * max(header_lines(h, CATEGORY_WIDTH - 2) for h in headers) + 2)
    ws.add_table(
        head,
        0,
        head + len(sel.programmes),
        len(CATEGORY_COLUMNS),
        {
            "name": "plan_page",
            "style": "Table Style Light 9",
            "autofilter": False,
            "columns": [{"header": h, "header_format": f.header} for h in headers],
        },
    )
    ws.repeat_rows(head)  # REPEATED


YEAR_WIDTHS = {
    "ambition_id": 10,
    "programme": 18,
    "title": 40,
    "category": 10,
    "unit": 28,
    "how": 26,
    "basis_words": 34,
}
FIGURE_WIDTH = 13


def years_widths(sel: Selector) -> list[float]:
    """The Years sheet's column widths: YEAR_WIDTHS, its text columns narrowed to print one
    page wide at a size people read (workbook.readable_widths), sized by each line's words
    at every level and its largest figure, so any pick fits."""
    figures = (
        sel.data.with_columns(pl.col("key").str.split(SEP).list.get(1).alias("ambition_id"))
        .group_by("ambition_id")
        .agg(pl.col("v" + y).max() for y in sel.years)
    )
    frame = (
        years_static(sel)
        .join(figures, on="ambition_id", how="left")
        .join(sel.words.select("ambition_id", "how", "basis_words"), on="ambition_id", how="left")
    )
    table = replace(years_table(sel), frame=frame)
    return readable_widths(table, [YEAR_WIDTHS.get(c.key, FIGURE_WIDTH) for c in table.columns])


def _years_sheet(ws, sel: Selector, default: int, f) -> None:
    columns = years_columns(sel)
    static = years_static(sel)
    ws.write_string(1, 0, years_table(sel).description)
    n_years = len(sel.years)
    fmts = {}
    widths = years_widths(sel)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    tallest: dict[str, int] = {}  # the most lines a line's words take at any level
    for amb, how, basis in sel.words.select("ambition_id", "how", "basis_words").iter_rows():
        most = max(text_lines(how, widths[-2] - 1), text_lines(basis, widths[-1] - 1))
        tallest[amb] = max(tallest.get(amb, 1), most)
    first = HEADER_ROW + 1
    for r, line in enumerate(static.iter_rows(named=True), first):
        for c, k in enumerate(YEAR_STATIC):
            ws.write_string(r, c, line[k], f.wrap)
        ws.write_string(r, 4 + n_years, line["unit"], f.wrap_after_figure)
        fmts[r] = f.figures[line[ROW_FORMAT]]  # right-aligned: a figure or [x] / [z]
        lines = max(  # each column's width less a margin, as write_table reckons it
            *[text_lines(line[k], widths[c] - 1) for c, k in enumerate(YEAR_STATIC)],
            text_lines(line["unit"], widths[4 + n_years] - 1 - INDENT),
            tallest.get(line["ambition_id"], 1),
        )
        if lines > 1:
            ws.set_row(r, LINE_HEIGHT * lines + 2)
    cached = shown(sel, default)[YEARS]
    for (r, c), formula in formulas(sel)[YEARS].items():
        fmt = f.title if r == 0 else fmts[r] if c < len(YEAR_STATIC) + n_years else f.wrap
        ws.write_formula(r, c, formula, fmt, cached[r, c])
    ws.set_row(
        HEADER_ROW,
        max(
            15,
            LINE_HEIGHT
            * max(header_lines(c.header, w - 2) for c, w in zip(columns, widths, strict=True))
            + 2,
        ),
    )
    ws.add_table(
        HEADER_ROW,
        0,
        HEADER_ROW + sel.lines.height,
        len(columns) - 1,
        {
            "name": "figures_by_year",
            "style": "Table Style Light 9",
            "autofilter": False,
            "columns": [
                {
                    "header": c.header,
                    "header_format": f.header_figure if c.fmt != "text" else f.header,
                }
                for c in columns
            ],
        },
    )
    ws.repeat_rows(HEADER_ROW)
    ws.freeze_panes(HEADER_ROW + 1, 0)


def default_org(sel: Selector) -> int:
    """The organisation shown on opening (England, else the first listed)."""
    codes = sel.orgs.get_column("org_code").to_list()
    return codes.index(vocab.ENGLAND_CODE) if vocab.ENGLAND_CODE in codes else 0


def title(sel: Selector) -> str:
    """The document title."""
    return (
        f"Fair shares of national mental health ambitions, {sel.years[0]} to "
        f"{sel.years[-1]}: pick any organisation"
    )


def write(path: Path, sel: Selector, meta: WorkbookMeta) -> Path:
    """Write selector.xlsx at `path` (same inputs, same bytes: the created date is the
    data date)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(path)
    wb.set_properties(
        {
            "title": title(sel),
            "subject": "Fair shares of national NHS mental health ambitions",
            "author": "mhtool",
            "keywords": "mental health, ICB, sub-ICB, fair shares, selector",
            "comments": f"mhtool {meta.tool_version}; "
            f"catalogue {meta.catalogue_name} sha256 {meta.catalogue_sha256}; "
            f"data date {meta.data_date}",
            "created": meta.created,
        }
    )
    f = Formats(wb)
    f.pick = wb.add_format({"bold": True, "border": 2, "valign": "top"})
    f.figures = {
        k: wb.add_format({"num_format": v, "valign": "top", "align": "right"})
        for k, v in NUMBER_FORMATS.items()
    }
    default = default_org(sel)
    ws = wb.add_worksheet(SELECTOR)
    _selector_sheet(ws, sel, default, f)
    ws = wb.add_worksheet(YEARS)
    _years_sheet(ws, sel, default, f)
    notes_sheet(wb, notes(sel, meta), f)
    for table in data_tables(sel):
        ws = wb.add_worksheet(table.sheet)
        write_table(ws, table, f)
        if table.sheet in UNPRINTED_SHEETS:
            ws.print_area(0, 0, HEADER_ROW, len(table.columns) - 1)
    for sheet in wb.worksheets():
        print_setup(sheet)
    wb.worksheets()[0].activate()
    wb.close()
    return path


def write_run(
    prepared: pl.DataFrame, out_dir: Path, meta: WorkbookMeta, places: pl.DataFrame | None = None
) -> str:
    """The run's selector.xlsx from its prepared spine and place rows (or None); returns
    its path relative to the run folder."""
    write(Path(out_dir) / folder.SELECTOR, build(prepared, meta, places), meta)
    return folder.SELECTOR
