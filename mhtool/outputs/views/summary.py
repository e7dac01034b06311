"""The sheets a planner reads first: Summary (the organisation's own figures by year),
Compare (a region's ICBs side by side for the headline asks) and Standards (the rates and
coverage asks every organisation must meet, and what each targeted ask means here).

Each is a pure function of the prepared spine slice a workbook shows (see scope.rows), so
`mhtool check` recomputes them as it does the other tables.
"""

from __future__ import annotations

import re

import polars as pl

from mhtool.fields import LINE_SPLIT, OWN, PLAN_ORDER, ROW_FORMAT, header
from mhtool.outputs.views.layout import LEVELS, possessive, short_name, unit_words
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.notes import figure_notes
from mhtool.outputs.views.tables import (
    NOTE_BASES,
    NOTE_PROVENANCE,
    Column,
    Table,
    basis_words,
    is_headline,
    is_standard,
    plan_order,
    years_of,
)

LEVEL_WORDS = {"england": "England", "region": "region", "icb": "system", "subicb": "place"}


def home(df: pl.DataFrame) -> tuple[str, str, str]:
    """(level, code, name) of the workbook's own organisation: the highest own level (its
    first row in the slice). One query: every table of a workbook asks."""
    orgs = df.select("level", "org_code", "org_name", *([OWN] if OWN in df.columns else []))
    own = orgs.filter(pl.col(OWN)).drop(OWN) if OWN in df.columns else orgs
    firsts = own.unique("level", keep="first", maintain_order=True)
    found = {level: (code, name) for level, code, name in firsts.rows()}
    for level in LEVELS:
        if level in found:
            return level, *found[level]
    raise ValueError("no organisation in this slice of the spine")


def provenance_words(pairs: list[tuple[str, str | None]]) -> str:
    """How each year's figure was made, runs of years together:
    '2019/20 inferred; 2020/21 to 2023/24 stated'."""
    runs: list[list] = []
    for year, prov in pairs:
        if prov is None:
            continue
        if runs and runs[-1][2] == prov:
            runs[-1][1] = year
        else:
            runs.append([year, year, prov])
    if len({r[2] for r in runs}) == 1:
        return runs[0][2]
    return "; ".join(f"{a} {p}" if a == b else f"{a} to {b} {p}" for a, b, p in runs)


def _with_refs(rows: list[dict], meta: WorkbookMeta) -> list[dict]:
    """Point each row's 'how it was made' at the note on its national figure, if any."""
    keys = figure_notes(meta)
    for r in rows:
        if r["ambition_id"] in keys:
            r["how"] = f"{r['how']} [note {keys[r['ambition_id']][0]}]"
    return rows


def _own_rows(df: pl.DataFrame, code: str) -> pl.DataFrame:
    return df.filter(pl.col("org_code") == code)


_LINE_FIELDS = [  # what summary_table reads of each row of a line
    PLAN_ORDER,
    "year",
    "value",
    "provenance",
    "share",
    "programme",
    "title",
    "category",
    "unit",
    "basis",
    "basis_name",
    LINE_SPLIT,
    "ambition_id",
    ROW_FORMAT,
]


def summary_table(df: pl.DataFrame, meta: WorkbookMeta | None = None) -> Table | None:
    """The workbook's own organisation: one row per count line (people, £, staff) in the
    Plan's order, years across, then unit, how each figure was made, its share of England
    (and of its region) and its basis in plain words."""
    meta = meta or WorkbookMeta()
    level, code, name = home(df)
    part = plan_order(_own_rows(df, code).filter(~is_standard()))
    part = part.filter(pl.col("value").is_not_null() | (level == "england"))
    if part.is_empty():
        return None
    years = years_of(part)
    latest = years[-1]
    region_share = None
    if level in ("icb", "subicb"):
        region_code = part.get_column("region_code")[0]
        region_share = (
            df.filter(pl.col("org_code") == region_code)
            .select("ambition_id", "year", pl.col("share").alias("_rs"))
            .unique(["ambition_id", "year"])
        )
        part = part.join(region_share, on=["ambition_id", "year"], how="left")
    # each line's rows as plain records, read once (a line has a row a year)
    fields = [*_LINE_FIELDS, *(["_rs"] if region_share is not None else [])]
    lines: dict[int, list[dict]] = {}
    for rec in part.select(fields).iter_rows(named=True):
        lines.setdefault(rec[PLAN_ORDER], []).append(rec)
    rows = []
    for recs in lines.values():
        recs.sort(key=lambda x: x["year"])
        r = recs[0]
        by_year = {x["year"]: (x["value"], x["provenance"]) for x in recs}
        last = next((x for x in recs if x["year"] == latest), None)
        share = last["share"] if last else None
        row = {
            PLAN_ORDER: r[PLAN_ORDER],
            "programme": r["programme"],
            "title": r["title"],
            "category": r["category"],
            "unit": unit_words(r["unit"]),
            "how": provenance_words([(y, by_year[y][1]) for y in years if y in by_year]),
            "share": share,
            "basis": r["basis"],
            "basis_name": r["basis_name"],
            LINE_SPLIT: r[LINE_SPLIT],
            "basis_words": basis_words(r["basis"], r["basis_name"], r[LINE_SPLIT], meta),
            "ambition_id": r["ambition_id"],
            "org_code": code,
            ROW_FORMAT: r[ROW_FORMAT],
            **{f"v{y}": by_year.get(y, (None, None))[0] for y in years},
        }
        if region_share is not None:
            rs = last["_rs"] if last else None
            row["rshare"] = None if share is None or not rs else share / rs
        rows.append(row)
    frame = pl.DataFrame(_with_refs(rows, meta), infer_schema_length=None).sort(PLAN_ORDER)
    for key in ("share", "rshare", *(f"v{y}" for y in years)):
        if key in frame.columns:
            frame = frame.with_columns(pl.col(key).cast(pl.Float64))
    org = short_name(name, code, with_code=False)
    columns = [
        Column(header("programme"), "programme"),
        Column(header("title"), "title"),
        Column(header("category"), "category"),
        *[Column(y, "v" + y, "row") for y in years],
        Column(header("unit"), "unit"),
        Column(f"How each figure was made [note {NOTE_PROVENANCE}]", "how"),
    ]
    if level != "england":
        columns.append(Column(f"Share of England, {latest}", "share", "share"))
    if region_share is not None:
        columns.append(Column(f"Share of the region, {latest}", "rshare", "share"))
    printed = len(columns)  # the basis and the ID are on screen: the rows print shorter
    columns += [
        Column(f"Basis of the share [note {NOTE_BASES}]", "basis_words"),
        Column(header("ambition_id"), "ambition_id"),
    ]
    whose = "England's" if level == "england" else possessive(org)
    return Table(
        "Summary",
        f"Summary: {whose} figures by financial year",
        f"{possessive(org)} people, pounds and staff in {meta.round_name}'s order, headline asks "
        f"first; standards are on the category sheets.",
        columns,
        frame,
        name="summary",
        print_area=(frame.height, printed),
    )


def compare_table(df: pl.DataFrame) -> Table | None:
    """A region (or England) and each organisation one level down, side by side for the
    headline asks, in the last year each ask has a figure."""
    level, code, name = home(df)
    if level not in ("england", "region"):
        return None
    child = LEVELS[LEVELS.index(level) + 1]
    part = plan_order(df.filter(is_headline(), pl.col("value").is_not_null()))
    kids = (
        part.filter(pl.col("level") == child, pl.col("parent_code") == code)
        .select("org_code", "org_name")
        .unique("org_code")
        .sort("org_code")
    )
    if kids.is_empty():
        return None
    orgs = [(code, name), *kids.rows()]
    rows = []
    for amb in part.filter(pl.col("org_code").is_in([c for c, _ in orgs])).partition_by(PLAN_ORDER):
        year = max(amb.get_column("year").to_list())
        at = dict(amb.filter(pl.col("year") == year).select("org_code", "value").rows())
        if all(at.get(c) is None for c, _ in orgs[1:]):
            continue  # reported for England only (PMH-01, IAPT-03): nothing to set beside it
        r = amb.row(0, named=True)
        rows.append(
            {
                PLAN_ORDER: r[PLAN_ORDER],
                "title": r["title"],
                "year": year,
                "unit": unit_words(r["unit"]),
                "ambition_id": r["ambition_id"],
                "org_code": code,
                ROW_FORMAT: r[ROW_FORMAT],
                **{f"o{c}": at.get(c) for c, _ in orgs},
            }
        )
    if not rows:
        return None
    frame = pl.DataFrame(rows, infer_schema_length=None).sort(PLAN_ORDER)
    frame = frame.with_columns(pl.col(f"o{c}").cast(pl.Float64) for c, _ in orgs)
    kind = "ICBs" if child == "icb" else "regions"
    return Table(
        "Compare",
        f"Headline asks: {short_name(name, code)} and its {kind} side by side",
        f"Each {'ICB' if child == 'icb' else 'region'}'s fair share of the headline asks in "
        f"the last year each has a figure; the {kind} add up to the first column.",
        [
            Column(header("title"), "title"),
            Column("Year", "year"),
            Column(header("unit"), "unit"),
            *[Column(short_name(n, c), f"o{c}", "row") for c, n in orgs],
            Column(header("ambition_id"), "ambition_id"),
        ],
        frame,
        name="compare",
        # every row, without the ambition ID (for looking up), so a region's eleven ICBs
        # print side by side at 9 pt or more
        print_area=(frame.height, len(orgs) + 3),
    )


# --- standards ---------------------------------------------------------------------------

_WHOLE_AREA = re.compile(
    r"^percent (?:coverage )?of (?:england|the country|country)(?: covered)?$", re.I
)
_SYSTEMS = re.compile(r"^percent of (?:stp/ics|ccg/icb|ccgs?\b)", re.I)


def level_text(value: float | None, line: dict, org: str, high: float | None = None) -> str:
    """'100% of Kent and Medway's population covered', 'in place in Kent and Medway',
    '95%', '32 days (average length of stay, at most)', '20–25%' for a range. Money and
    percentages are told by the line's unit kind; its unit text only gives the words."""
    if value is None:
        return "no national figure"
    unit, unit_kind = (line["unit"] or "").strip(), line["unit_kind"]
    number = f"{value:,.1f}".removesuffix(".0")
    if unit_kind == "gbp":
        rest = re.sub(r"^(GBP|£)\s*", "", unit)
        return f"£{value:,.0f}" + (f" {rest}" if rest else "")
    if high is not None and high != value:
        number += "–" + f"{high:,.1f}".removesuffix(".0")
    if _WHOLE_AREA.match(unit):
        return f"{number}% of {possessive(org)} population covered"
    if _SYSTEMS.match(unit):
        if value >= 100:
            return f"in place in {org}"
        return f"{number}% of systems nationally (whether {org} is one is agreed locally)"
    if unit_kind == "percent":
        rest = re.sub(r"(?i)^(percent\b|%)", "", unit).strip()
        return f"{number}%" + (f" {rest}" if rest else "")
    return f"{number} {unit}".strip()
