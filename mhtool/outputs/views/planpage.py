"""The Plan's page: what the Plan asks of an organisation, in the Plan's own table.

The Mental Health Implementation Plan ends with a table of programmes (rows) by fixed,
flexible and targeted asks (columns); a regional lead puts that page in a board paper. This
is that table for an organisation: each cell its asks of the category in that programme,
one a line, each in words with the organisation's own figure ('PMH-02 Women accessing
specialist…: 2,167 women per year in 2023/24 (3.3% of England)'): its ID and a short title,
so the page prints on one or two A4 pages at a size people read (the category sheets give every
title whole). The workbooks' Plan sheet and the report pages word it here. Money and staff
are on the Summary, Funding and Workforce sheets.

Pure functions of the prepared spine, as every table is: `mhtool check` and the report
check recompute the page and compare it cell by cell.
"""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.fields import LINE_SPLIT, PLAN_ORDER, ROW_FORMAT, header
from mhtool.outputs.views.categories import chosen_short
from mhtool.outputs.views.layout import possessive, short_name, short_title, unit_words
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.summary import home
from mhtool.outputs.views.tables import NOTE_NATIONAL_ONLY, NOTE_SYMBOLS, Column, Table

CATEGORY_COLUMNS = tuple(vocab.CATEGORIES)  # fixed, flexible, targeted
SEP = "/"  # joins an organisation code and a line in the data sheets' keys (no wildcard)


def _figure(value: float, fmt: str) -> str:
    """A figure as its cells show it (layout.NUMBER_FORMATS)."""
    if fmt == "money":
        return f"£{value:,.0f}"
    if fmt == "wte":
        return f"{value:,.1f}"
    if fmt in ("percent", "rate"):
        return f"{value:,.1f}".removesuffix(".0")
    return f"{value:,.0f}"


def _amount(value: float, fmt: str, unit: str, carried: bool = False, named: bool = False) -> str:
    """'2,167 women per year', '£1,234', '95%', '32 days': the figure and the unit's words
    before any bracket (the category sheets give the unit whole); a carried rate or
    standard in percent or days as the figure alone with its sign. `named`: the ask's
    short title already says who is counted, so a count is told as '2,167 a year' (a unit
    per year) or '2,167'."""
    words = unit.split(" (")[0].strip()
    if fmt == "money":
        return _figure(value, fmt)
    if words == "%" or words.lower().startswith("percent"):
        rest = words[len("percent") :].strip() if words != "%" else ""
        return f"{_figure(value, fmt)}%" + ("" if carried or not rest else f" {rest}")
    if carried and words.lower().startswith("days"):
        return f"{_figure(value, fmt)} days"
    if named and not words.lower().startswith("days"):
        words = "a year" if words.endswith(" per year") else ""
    return f"{_figure(value, fmt)} {words}".strip()


def ask_words(
    line: dict,
    own: bool,
    chosen: str = "",
    named: bool = False,
    last: str | None = None,
) -> str:
    """One ask in words with this organisation's figure in the last year it has one:
    `line` holds title, category, kind, unit, _fmt, the split, level and the last value,
    year and share; `own` False: the organisation has no row for it (a targeted ask held
    for England), so England's figure is told and that it is not shared out. What the
    categories mean (phasing agreed locally, selected areas) is said once, in the Plan
    page's headers. `chosen`: who is selected (categories.chosen_short); `named`: a source
    names the sites, so England's own row says so too. `last`: the round's last year, which
    the page's description names once, so a figure for it is told without its year."""
    title = f"{line['ambition_id']} {short_title(line['title'])}"  # the ID: see its sheet
    value, year = line["value"], line["year"]
    if value is None:
        return f"{title}: no figure"
    carried = line["kind"] in vocab.CARRIED_KINDS
    amount = _amount(value, line[ROW_FORMAT], line["unit"], carried, line.get("short", False))
    when = "by" if carried or line["category"] == "flexible" else "in"
    when = "" if year == last else f" {when} {year}"
    if not own:  # worded alike for every organisation, so stored once (shared strings)
        return f"{title}: {amount} nationally{when}" + (f", {chosen}" if chosen else "")
    text = f"{title}: {amount}{when}"
    if line["share"] is not None and not carried and line["level"] != "england":
        text += f" ({line['share']:.1%} of England)"
    if line[LINE_SPLIT] == vocab.NATIONAL_ONLY and line["level"] == "england":
        text += "; not shared out" + (f"; {chosen}" if named else "")
    return text


CATEGORY_HEADERS = {
    "fixed": "Fixed: national trajectories every area follows",
    "flexible": "Flexible: in place everywhere by the end year; phasing agreed locally",
    "targeted": "Targeted: selected areas; unless a source names them, chosen nationally",
}


def plan_words(
    by_line: pl.DataFrame,
    lines: pl.DataFrame,
    orgs: pl.DataFrame,
    programmes: list[str],
    selected: dict[str, dict] | None = None,
    icbs: dict[str, str | None] | None = None,
    short_titles: dict[str, str] | None = None,
) -> pl.DataFrame:
    """The Plan page's words: per organisation and programme, each category's asks, one
    per line of text, in the Plan's order. Above places an organisation also sees the
    targeted asks held for England (a reader asks whether they are one of the areas), with
    whether a source names it (`selected`: WorkbookMeta.selected; `icbs`: each
    organisation's ICB); a place lists its own asks. Other lines held for England only are
    on the Years sheet. `short_titles`: the catalogue's few words for an ask
    (WorkbookMeta.short_titles), in place of its title cut short; a figure for the last
    year of `by_line` is told without its year (the page's description names it)."""
    selected, icbs, short_titles = selected or {}, icbs or {}, short_titles or {}
    info = {
        r["ambition_id"]: r
        | {
            "title": short_titles.get(r["ambition_id"], r["title"]),
            "short": r["ambition_id"] in short_titles,
        }
        for r in lines.iter_rows(named=True)
    }
    last = by_line.get_column("year").max()
    england = {
        r["ambition_id"]: r
        for r in by_line.filter(pl.col("level") == "england")
        .select("ambition_id", "value", "year", "share")
        .iter_rows(named=True)
    }
    own: dict[str, dict[str, dict]] = {}
    for r in by_line.select("org_code", "level", "ambition_id", "value", "year", "share").iter_rows(
        named=True
    ):
        own.setdefault(r["org_code"], {})[r["ambition_id"]] = r
    number = {p: i for i, p in enumerate(programmes, 1)}
    out = []
    for code, level in orgs.select("org_code", "level").iter_rows():
        mine = own.get(code, {})
        cells: dict[tuple[str, str], list[str]] = {}
        for amb, line in info.items():
            got = mine.get(amb)
            if got is None and (
                level == vocab.LEVEL_NAMES[vocab.PLACE]
                or amb not in england
                or line["category"] != "targeted"  # another framing of a national figure
            ):
                continue
            chosen = chosen_short(selected.get(amb), level, code, icbs.get(code))
            mine_ = {**line, **(got or england[amb])}
            text = ask_words(mine_, got is not None, chosen, amb in selected, last)
            cells.setdefault((line["programme"], line["category"]), []).append(text)
        for p in programmes:
            texts = [cells.get((p, c)) for c in CATEGORY_COLUMNS]
            if any(texts):
                out.append(
                    [f"{code}{SEP}{number[p]}", p] + ["\n".join(t) if t else None for t in texts]
                )
    schema = ["key", "programme", *CATEGORY_COLUMNS]
    return pl.DataFrame(out, schema={k: pl.String for k in schema}, orient="row")


LINE_KEYS = ["ambition_id", "programme", "title", "category", "kind", "unit", ROW_FORMAT]


def plan_lines(rows: pl.DataFrame) -> pl.DataFrame:
    """Every line the page can show once, in the Plan's order, its unit in words (England's
    rows; every row's where England lacks a line)."""
    lines = (
        rows.filter(pl.col("level") == "england")
        .select(*LINE_KEYS, PLAN_ORDER, LINE_SPLIT)
        .unique("ambition_id")
        .sort(PLAN_ORDER)
    )
    if lines.height < rows.get_column("ambition_id").n_unique():
        lines = rows.select(*LINE_KEYS, PLAN_ORDER, LINE_SPLIT).unique("ambition_id")
        lines = lines.sort(PLAN_ORDER)
    words = {u: unit_words(u) for u in lines.get_column("unit").unique().to_list()}
    return lines.with_columns(pl.col("unit").replace_strict(words, return_dtype=pl.String))


def last_figures(rows: pl.DataFrame) -> pl.DataFrame:
    """Each organisation's figure for each line in the last year it has one, with that
    year and its share of England."""
    known = pl.col("value").is_not_null()
    return (
        rows.sort("year")
        .group_by("org_code", "level", "ambition_id", maintain_order=True)
        .agg(
            pl.col("value").filter(known).last().alias("value"),
            pl.col("year").filter(known).last().alias("year"),
            pl.col("share").filter(known).last().alias("share"),
        )
    )


def last_words(by_line: pl.DataFrame) -> str:
    """' for 2023/24 unless a year is shown': the year plan_words leaves unsaid."""
    last = by_line.get_column("year").max()
    return f" for {last} unless a year is shown" if last else ""


def plan_table(df: pl.DataFrame, meta: WorkbookMeta | None = None) -> Table:
    """The Plan sheet of a workbook: 'What the Plan asks of <organisation>' (the round as
    its catalogue calls it: WorkbookMeta.round_name), a row per
    programme in the Plan's order, Fixed / Flexible / Targeted columns (activity asks:
    money and staff are on their own sheets, so the page stays short)."""
    meta = meta or WorkbookMeta()
    level, code, name = home(df)
    org = short_name(name, code, with_code=False)
    called = meta.round_name
    rows = df.filter(pl.col("measure") == "activity")
    lines = plan_lines(rows)
    programmes = list(dict.fromkeys(lines.get_column("programme").to_list()))
    orgs = pl.DataFrame(
        {"org_code": [code], "level": [vocab.LEVEL_NAMES.get(level, level)]},
        schema={"org_code": pl.String, "level": pl.String},
    )
    by_line = last_figures(rows.filter(pl.col("org_code").is_in([code, vocab.ENGLAND_CODE])))
    icb = df.filter(pl.col("org_code") == code).get_column("icb_code").drop_nulls()
    icbs = {code: icb[0] if icb.len() else None}
    frame = plan_words(by_line, lines, orgs, programmes, meta.selected, icbs, meta.short_titles)
    return Table(
        "Plan",
        f"What {called} asks of {org}",
        f"Its asks by programme with {possessive(org)} figures{last_words(by_line)}; [z]: "
        f"none [note {NOTE_SYMBOLS}] [note {NOTE_NATIONAL_ONLY}].",
        [
            Column(header("programme"), "programme", width=18),
            *[
                Column(CATEGORY_HEADERS[c], c, width=w)
                for c, w in zip(CATEGORY_COLUMNS, (60, 48, 48), strict=True)
            ],
        ],
        frame,
        name="plan_page",
    )
