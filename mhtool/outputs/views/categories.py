"""The Plan's three categories as sheets: Fixed, Flexible and Targeted.

The Mental Health Implementation Plan sorts every ask into fixed (national access or
coverage with year-on-year trajectories), flexible (in place everywhere by an end date,
phasing agreed locally) and targeted (expansion or new services in selected areas), and
its readers look for an ask there. Each sheet lists every ask of its category, whatever it
counts (people, sites, pounds, staff, a standard): what it asks of the workbook's
organisation in words, its figures by year (the organisation first, then its parts one
level down, then the levels above for context), unit, how each figure was made and where
it came from. A standard is one row, the level every organisation meets, never split; an
ask held nationally is England's row alone, saying so.

Like every table it is a pure function of the prepared spine slice a workbook shows, so
`mhtool check` recomputes it and compares cell by cell (and so does the report check).
"""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.fields import LINE_SPLIT, OWN, PLAN_ORDER, ROW_FORMAT, header
from mhtool.outputs.views.layout import org_label, short_name, unit_words
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.notes import figure_notes
from mhtool.outputs.views.summary import home, level_text, provenance_words
from mhtool.outputs.views.tables import (
    BASIS_KEYS,
    NOTE_BASES,
    NOTE_NATIONAL_ONLY,
    NOTE_PROVENANCE,
    NOTE_RATES,
    NOTE_SYMBOLS,
    Column,
    Table,
    basis_words,
    plan_order,
    years_of,
)

CATEGORY_WORDS = {
    "fixed": "national access or coverage with year-on-year trajectories",
    "flexible": "in place in every system by the end point, with the phasing and approach "
    "agreed locally",
    "targeted": "expansion or new services in selected areas",
}
NOT_SHARED = "sites chosen nationally; not shared out"
SAME = "as on the ask's first row"
EVERY_ORG = "Every organisation (one level, not split)"
SEED_SOURCE = "seed:"
SEED_WORDS = (
    "the Plan's summary tables of fixed, flexible and targeted asks (NHS England, Mental "
    "Health Implementation Plan webinar deck, 2019)"
)


def source_words(source: str) -> str:
    """A source as readers can follow it: a URL as it is; the Plan's own summary tables
    (held with the project, not online) in words."""
    return SEED_WORDS if source.startswith(SEED_SOURCE) else source


def sources_text(meta: WorkbookMeta, ambition: str) -> str | None:
    """The ambition's sources (the catalogue's, in order), '; ' between them."""
    found = meta.sources.get(ambition) or ()
    words = list(dict.fromkeys(source_words(s) for s in found))
    return "; ".join(words) or None


def short_unit(unit: str | None) -> str:
    """A unit's words before any bracket: 'women per year (additional ...)' → 'women per
    year'; pounds are told by the figure itself."""
    words = unit_words(unit).split(" (")[0].strip()
    return "" if words in ("£", "GBP") else words


def figure_words(value: float | None, fmt: str, unit: str | None) -> str:
    """A figure in a sentence, as the sheets format it: '2,167 women per year',
    '£1,234,567', '12.3 staff', '95.0 percent ...'."""
    if value is None:
        return "no figure"
    if fmt == "money":
        return f"£{value:,.0f}"
    places = 1 if fmt in ("wte", "percent", "rate") else 0
    return f"{value:,.{places}f} {short_unit(unit)}".strip()


# An ask's rows are read once as plain records (a line has a few dozen rows in a workbook's
# slice): the words below are made from them in Python, not with a frame filter each.
Recs = list[dict]


def _end(recs: Recs, column: str, **match) -> tuple[str | None, float | None]:
    """(year, figure) of the line's last year with a figure in `column`, among the
    records whose fields equal `match` (say, level='england')."""
    known = [
        (r["year"], r[column])
        for r in recs
        if r.get(column) is not None and all(r[k] == v for k, v in match.items())
    ]
    return max(known) if known else (None, None)


def _level_words(recs: Recs, org: str) -> str:
    """A standard's end point worded for one organisation (summary.level_text)."""
    year, value = _end(recs, "national_value")
    if year is None:
        return "no national figure"
    high = next((r.get("value_high") for r in recs if r["year"] == year), None)
    return f"{level_text(value, recs[0], org, high)} by {year}"


def _money_for(money: dict[str, list[tuple]], programme: str, org: str) -> str:
    """The funding lines of a programme as one organisation's figures in their last year
    (the money that comes with a flexible ask), or the words saying there are none.
    `money`: programme → (plan order, ambition, year, value, unit, category) of the
    organisation's funding figures."""
    found: dict[str, tuple] = {}
    for order, aid, year, value, unit, category in sorted(money.get(programme, [])):
        found[aid] = (order, year, value, unit, category)  # the last year wins
    if not found:
        return "no money line of its own for this programme"
    parts = [
        f"{aid} {figure_words(value, 'money', unit)} for {org} in {year} ({category})"
        for aid, (_o, year, value, unit, category) in sorted(found.items(), key=lambda kv: kv[1])
    ]
    return "money for this programme: " + "; ".join(parts)


def _money(df: pl.DataFrame, code: str) -> dict[str, list[tuple]]:
    """The organisation's funding figures by programme, for _money_for."""
    rows = df.filter(
        pl.col("measure") == "funding", pl.col("org_code") == code, pl.col("value").is_not_null()
    ).select("programme", PLAN_ORDER, "ambition_id", "year", "value", "unit", "category")
    out: dict[str, list[tuple]] = {}
    for programme, *rest in rows.rows():
        out.setdefault(programme, []).append(tuple(rest))
    return out


def ask_words(recs: Recs, code: str, org: str, money: dict[str, list[tuple]]) -> str:
    """What one ask (all its rows in the slice, as records) asks of the organisation
    `code`, in words with its own figures: '2,167 women per year by 2023/24, 3.284% of
    England'; a standard's level; a flexible ask's end point with its phasing the system's
    to agree and its programme's money (`money`, from _money); a targeted ask's national
    figure and who is selected."""
    r = recs[0]
    category, split = r["category"], r[LINE_SPLIT]
    if r["kind"] in vocab.CARRIED_KINDS and split != vocab.NATIONAL_ONLY:
        words = _level_words(recs, org)
        if category == "flexible":
            return (
                f"{words} (the end point); the phasing and approach the system's to agree; "
                f"{_money_for(money, r['programme'], org)}"
            )
        return f"{words}; every organisation meets it, never split [note {NOTE_RATES}]"
    year, value = _end(recs, "value", org_code=code)
    if split == vocab.NATIONAL_ONLY or value is None:
        n_year, national = _end(recs, "value", level="england")
        fmt = r[ROW_FORMAT]
        figure = figure_words(national, fmt, r["unit"])
        high = _end(recs, "value_high", level="england")[1]
        if high is not None and national is not None and high != national:  # a range
            number = figure_words(national, fmt, None)
            figure = figure.replace(number, f"{number}–{figure_words(high, fmt, None)}", 1)
        # a unit that already names England ("MHSTs in operation in England") is not told twice
        place = "" if "in England" in (r["unit"] or "") else " in England"
        figure += f"{place} by {n_year}"
        if category == "targeted":
            who = "" if code == vocab.ENGLAND_CODE else f"; {org} may or may not be one"
            return f"{figure}; {NOT_SHARED}{who} [note {NOTE_NATIONAL_ONLY}]"
        return f"{figure}; reported for England only, not shared out [note {NOTE_NATIONAL_ONLY}]"
    share = next(x["share"] for x in recs if x["org_code"] == code and x["year"] == year)
    figure = f"{figure_words(value, r[ROW_FORMAT], r['unit'])} for {org} in {year}"
    if share is not None and code != vocab.ENGLAND_CODE:
        figure += f", {share:.3%} of England"
    if split == vocab.TARGETED:
        figure += "; shared among the systems named only"
    if category == "flexible":
        figure += "; the years before indicative, the phasing the system's to agree"
    return figure


def _how(recs: Recs, meta: WorkbookMeta, notes: dict) -> str:
    """How the line's figures were made: England's figure year by year, then how it was
    shared out (the basis in words), with the note on the national figure if any
    (`notes`: notes.figure_notes(meta))."""
    national = sorted((x["year"], x["provenance"]) for x in recs if x["level"] == "england")
    made = provenance_words(national)
    r = recs[0]
    if r[LINE_SPLIT] == vocab.NATIONAL_ONLY:
        shared = "held nationally, not shared out"
    elif r["kind"] in vocab.CARRIED_KINDS:
        shared = "the national level, not split"
    else:
        shared = "shared by " + basis_words(r["basis"], r["basis_name"], r[LINE_SPLIT], meta)
    note = notes.get(r["ambition_id"])
    return f"England's figure {made}; {shared}" + (f" [note {note[0]}]" if note else "")


def _context_orgs(df: pl.DataFrame, level: str, code: str) -> list[tuple[str, str, str]]:
    """(org_code, what the row is, level) in the order a category sheet shows them: the
    organisation, its parts one level down, then the levels above, nearest first."""
    own = df.filter(pl.col(OWN)) if OWN in df.columns else df
    orgs = own.select("org_code", "level", "parent_code", "org_name").unique("org_code")
    out = [(code, "this organisation", level)]
    parts = orgs.filter(pl.col("parent_code") == code).sort("org_code")
    out += [
        (c, "part of this organisation", lv) for c, lv in parts.select("org_code", "level").rows()
    ]
    above = df.filter(~pl.col(OWN)) if OWN in df.columns else df.clear()
    rank = above.select("org_code", "level").unique("org_code")
    ranked = sorted(rank.rows(), key=lambda cl: -vocab.LEVEL_ORDER[cl[1]])
    out += [(c, "above, for context", lv) for c, lv in ranked]
    return out


def category_sheet(df: pl.DataFrame, category: str, meta: WorkbookMeta | None = None) -> Table:
    """The Fixed, Flexible or Targeted sheet of a workbook (always present, even with no
    ask of the category: then one row saying so)."""
    meta = meta or WorkbookMeta()
    level, code, name = home(df)
    org = short_name(name, code, with_code=False)
    df = plan_order(df)
    part = df.filter(pl.col("category") == category)
    years = years_of(df)
    orgs = _context_orgs(df, level, code)
    names = dict(df.select("org_code", "org_name").unique("org_code").rows())
    rows: list[dict] = []
    notes, money = figure_notes(meta), _money(df, code)
    fields = [
        "ambition_id",
        "programme",
        "title",
        "category",
        "kind",
        "unit",
        "unit_kind",
        "level",
        "org_code",
        "year",
        "value",
        "national_value",
        "share",
        "provenance",
        "basis",
        "basis_name",
        LINE_SPLIT,
        ROW_FORMAT,
        PLAN_ORDER,
    ]
    fields += ["value_high"] if "value_high" in part.columns else []
    by_line: dict[int, Recs] = {}
    for rec in part.select(fields).iter_rows(named=True):
        by_line.setdefault(rec[PLAN_ORDER], []).append(rec)
    for order in sorted(by_line):
        recs = by_line[order]
        r = recs[0]
        base = {
            PLAN_ORDER: order,
            "ambition_id": r["ambition_id"],
            "programme": r["programme"],
            "title": r["title"],
            "unit": unit_words(r["unit"]),
            "how": _how(recs, meta, notes),
            "source": sources_text(meta, r["ambition_id"]),
            ROW_FORMAT: r[ROW_FORMAT],
            **{k: r[k] for k in BASIS_KEYS},  # the Notes sheet's note on bases lists them
        }
        asks = ask_words(recs, code, org, money)
        if r["kind"] in vocab.CARRIED_KINDS or r[LINE_SPLIT] == vocab.NATIONAL_ONLY:
            # one row: a standard's national level, or an ask held for England alone
            by_year = {x["year"]: x["national_value"] for x in recs if x["level"] == "england"}
            standard = r["kind"] in vocab.CARRIED_KINDS and r[LINE_SPLIT] != vocab.NATIONAL_ONLY
            rows.append(
                base
                | {
                    "org": EVERY_ORG if standard else org_label(names.get("ENG"), "ENG"),
                    "org_code": "ENG",
                    "asks": asks,
                    "_k": 0,
                    **{f"v{y}": by_year.get(y) for y in years},
                }
            )
            continue
        values = {(x["org_code"], x["year"]): x["value"] for x in recs}
        for k, (c, role, _lv) in enumerate(orgs):
            if not any((c, y) in values for y in years):
                continue
            rows.append(
                base
                | {
                    "org": org_label(names.get(c), c),
                    "org_code": c,
                    "asks": asks if c == code else role,
                    # said once, on the ask's first row, so a printed page holds more asks
                    **({} if c == code else {"how": SAME, "source": SAME}),
                    "_k": k,
                    **{f"v{y}": values.get((c, y)) for y in years},
                }
            )
    if not rows:
        rows.append(
            {
                PLAN_ORDER: 0,
                "ambition_id": None,
                "programme": None,
                "title": f"The catalogue has no {category} ask",
                "unit": None,
                "how": None,
                "source": None,
                ROW_FORMAT: "count",
                **dict.fromkeys(BASIS_KEYS),
                "org": None,
                "org_code": code,
                "asks": None,
                "_k": 0,
                **{f"v{y}": None for y in years},
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None).sort(PLAN_ORDER, "_k")
    frame = frame.with_columns(pl.col(f"v{y}").cast(pl.Float64) for y in years)
    name_ = category.capitalize()
    columns = [
        Column(header("ambition_id"), "ambition_id", width=10),
        Column(header("title"), "title", width=28),
        Column(f"What it asks of {org}", "asks", width=40),
        Column("Organisation", "org", width=20),
        *[Column(y, "v" + y, "row", width=11) for y in years],
        Column(header("unit"), "unit", width=20),
        Column(
            f"How each figure was made [note {NOTE_PROVENANCE}] [note {NOTE_BASES}]",
            "how",
            width=28,
        ),
        Column("Source", "source", width=36),
    ]
    return Table(
        name_,
        f"{name_} asks of {org}: {CATEGORY_WORDS[category]}",
        f"{org} first, then its parts and the levels above; [x]: no figure, [z]: not "
        f"applicable [note {NOTE_SYMBOLS}].",
        columns,
        frame,
    )
