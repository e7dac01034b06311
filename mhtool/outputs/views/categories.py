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
Who a targeted ask selects (the sites a source names, or that none does) is worded here
too, for every writer (chosen_words, chosen_short).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mhtool import vocab
from mhtool.fields import LINE_SPLIT, OWN, PLAN_ORDER, ROW_FORMAT, header
from mhtool.outputs.views.layout import (
    possessive,
    short_name,
    short_title,
    unit_words,
)
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
    PRINTED_FIRST,
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
#: A context row's unit, how and source: those of the organisation's own row of its ask,
#: at the top of the sheet (the printed page); the row gives the ask's short title.
SAME = "as for {org}"
EVERY_ORG = "Every organisation (one level, not split)"
SEED_SOURCE = "seed:"
SEED_WORDS = (
    "the Plan's summary tables of fixed, flexible and targeted asks (NHS England, Mental "
    "Health Implementation Plan webinar deck, 2019)"
)


# ------------------------------------------------------------------ who is selected
# A targeted ask (15 gambling clinics, Mental Health Support Team waves, rough-sleeping
# areas) goes to sites NHS England chose; a reader asks whether their organisation is one.
# Where a public source names the sites, the catalogue records them (`[ambition.selected]`,
# placed on the run's geography by mhtool.spine.named_sites into WorkbookMeta.selected) and
# every writer words them here: the Targeted sheet, the report's targeted table, the Plan
# page and the selector's Plan words. A site is a record, never a share: the figure stays
# England's. Where no source names them, the words say so and that the organisation may or
# may not be one.

NOT_SHARED = "sites chosen nationally; not shared out"

#: The spine's level words for a region and an ICB (vocab.LEVEL_NAMES' keys)
REGION, ICB = "region", "icb"


#: a level as readers call it ('ICB') back to the spine's word ('icb')
_LEVEL_OF = {v: k for k, v in vocab.LEVEL_NAMES.items()}


def _mine(sel: dict, level: str, code: str, icb: str | None) -> list[dict] | None:
    """The sites in the organisation (a region's, its ICB's for an ICB and below); None
    for England, which holds them all. `level`: the spine's word or the reader's."""
    level = _LEVEL_OF.get(level, level)
    if level == "england" or code == vocab.ENGLAND_CODE:
        return None
    if level == REGION:
        return _once([s for s in sel["sites"] if s["region"] == code])
    home = code if level == ICB else icb
    return _once([s for s in sel["sites"] if s["icb"] == home])


def _once(sites: list[dict]) -> list[dict]:
    """Each site once per ICB: an area the catalogue lists in two 2022 ICBs (Westminster
    and Camden) falls in one ICB on a later geography and is named there once."""
    once: dict[tuple[str, str], dict] = {}
    for s in sites:
        once.setdefault((s["name"], s["icb"]), s)
    return list(once.values())


def _what(sel: dict) -> str:
    """What the list is: the catalogue's words, or 'the N sites named'."""
    return sel.get("list") or f"the {_count(sel)} sites named"


def _count(sel: dict) -> int:
    """How many sites the source names (an area in two ICBs has an entry in each)."""
    return sel.get("count") or len(sel["sites"])


def _site(s: dict, with_icb: bool) -> str:
    where = short_name(s["icb_name"], s["icb"], with_code=False)
    return s["name"] + (f" ({where}; {s['named']})" if with_icb else f" ({s['named']})")


def chosen_words(sel: dict | None, level: str, code: str, org: str, icb: str | None) -> str:
    """Who is selected, for the organisation `code` at `level` (`icb`: the ICB it is in,
    for a sub-ICB location or place): 'Leeds is named: …' or 'not among the 15 clinics …',
    with the source; England lists every site and a region those in it. `sel`: the ask's
    WorkbookMeta.selected entry, None where no source names the sites; one that reaches
    every system (`everywhere`) says the organisation is one by the end point."""
    if sel is None:
        who = "" if code == vocab.ENGLAND_CODE else f"; {org} may or may not be one"
        return NOT_SHARED + who
    what, src = _what(sel), source_words(sel["source"])
    if sel.get("everywhere"):  # no sites to name: every system has it by the end point
        who = "" if code == vocab.ENGLAND_CODE else f"{org} is one by the end point: "
        return f"{who}{what} ({src})"
    mine = _mine(sel, level, code, icb)
    level = _LEVEL_OF.get(level, level)
    if mine is None:
        sites = "; ".join(_site(s, True) for s in _once(sel["sites"]))
        return f"{what} ({src}): {sites}"
    if level == REGION:
        text = (
            f"of {what}, these are in {org}: {'; '.join(_site(s, True) for s in mine)}"
            if mine
            else f"none of {what} is in {org}"
        )
    elif mine:
        subject = org if level == ICB else f"{possessive(org)} ICB"
        text = f"{subject} is named: {'; '.join(_site(s, level != ICB) for s in mine)}"
    else:
        text = f"{org} is not among {what}"
    if not sel["complete"] and level == REGION:
        text += f"; the source names only these, so {org} may hold others"
    elif not sel["complete"] and not mine:
        text += f"; the source names only these, so {org} may or may not be one of the others"
    return f"{text} ({src})"


def chosen_short(sel: dict | None, level: str, code: str, icb: str | None) -> str:
    """The same in a few words for the Plan page's cell (the Targeted sheet says it whole):
    'named: Leeds', 'not among the 15 named', 'named here: Leeds; Sheffield' (a region),
    'named in its ICB: Leeds' (a sub-ICB location). Worded
    without the organisation's name, so organisations alike share one string; nothing
    where no source names them (the page's Targeted header says they are chosen
    nationally)."""
    if sel is None:
        return ""
    if sel.get("everywhere"):
        return "every system"
    n = _count(sel)
    mine = _mine(sel, level, code, icb)
    level = _LEVEL_OF.get(level, level)
    so_far = "" if sel["complete"] else " so far"
    if mine is None:
        return f"{n} sites named{so_far}"
    if not mine:
        return (
            f"not among the {n} named{so_far}"
            if level != REGION
            else f"none of the {n} named{so_far} is here"
        )
    names = "; ".join(s["name"] for s in mine)
    where = {REGION: "named here", ICB: "named"}.get(level, "named in its ICB")
    return f"{where}: {names}"


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


def ask_words(
    recs: Recs, code: str, org: str, money: dict[str, list[tuple]], chosen: str = ""
) -> str:
    """What one ask (all its rows in the slice, as records) asks of the organisation
    `code`, in words with its own figures: '2,167 women per year by 2023/24, 3.284% of
    England'; a standard's level; a flexible ask's end point with its phasing the system's
    to agree and its programme's money (`money`, from _money); a targeted ask's national
    figure and who is selected (`chosen`: chosen_words for the organisation; by
    default that no source names the sites)."""
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
            chosen = chosen or chosen_words(None, "", code, org, None)
            return f"{figure}; {chosen} [note {NOTE_NATIONAL_ONLY}]"
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


def _icb_of(df: pl.DataFrame, code: str) -> str | None:
    """The ICB an organisation is in (itself for an ICB; None above ICBs), from its rows."""
    if "icb_code" not in df.columns:
        return None
    found = df.filter(pl.col("org_code") == code).get_column("icb_code").drop_nulls()
    return found[0] if found.len() else None


FIELDS = [  # what an ask's records hold (value_high too where the slice has it)
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


def category_sheets(
    df: pl.DataFrame, meta: WorkbookMeta | None = None, categories: tuple[str, ...] | None = None
) -> tuple[Table, ...]:
    """The Fixed, Flexible and Targeted sheets of a workbook (`categories`, default all of
    vocab.CATEGORIES, in that order), made together: what they share (the organisation,
    its context, names, money, notes) is worked out once and the slice read once."""
    meta = meta or WorkbookMeta()
    level, code, name = home(df)
    org = short_name(name, code, with_code=False)
    df = plan_order(df)
    years = years_of(df)
    orgs = _context_orgs(df, level, code)
    icb = _icb_of(df, code)
    names = dict(df.select("org_code", "org_name").unique("org_code").rows())
    notes, money = figure_notes(meta), _money(df, code)
    fields = FIELDS + (["value_high"] if "value_high" in df.columns else [])
    # only the rows a sheet reads: its organisations' and England's, and the first row of
    # each line and year (what a line is, a range's upper end); England's workbook shows
    # the regions, not the 106 sub-ICB locations of its slice
    shown = [c for c, _role, _lv in orgs] + [vocab.ENGLAND_CODE]
    read = pl.col("org_code").is_in(shown) | pl.struct(PLAN_ORDER, "year").is_first_distinct()
    by_category: dict[str, dict[int, Recs]] = {}
    for rec in df.lazy().select(fields).filter(read).collect().iter_rows(named=True):
        lines = by_category.setdefault(rec["category"], {})
        lines.setdefault(rec[PLAN_ORDER], []).append(rec)
    asked = _Asked(level, code, org, icb, years, orgs, names, notes, money, meta)
    return tuple(
        _sheet(asked, category, by_category.get(category, {}))
        for category in (categories or vocab.CATEGORIES)
    )


def category_sheet(df: pl.DataFrame, category: str, meta: WorkbookMeta | None = None) -> Table:
    """The Fixed, Flexible or Targeted sheet of a workbook (always present, even with no
    ask of the category: then one row saying so)."""
    return category_sheets(df, meta, (category,))[0]


@dataclass(frozen=True)
class _Asked:
    """What every category sheet of one workbook shares (see category_sheets)."""

    level: str
    code: str
    org: str
    icb: str | None
    years: list[str]
    orgs: list[tuple[str, str, str]]
    names: dict[str, str]
    notes: dict
    money: dict[str, list[tuple]]
    meta: WorkbookMeta


OWN_FIRST = "_own"  # 0: a row of the organisation's own (first, printed), 1: context


def _sheet(asked: _Asked, category: str, by_line: dict[int, Recs]) -> Table:
    """One category's sheet from its asks' records (`by_line`: plan order → records): the
    organisation's own row of each ask first, in the Plan's order (a standard's or an ask
    held for England alone is its one row), and only these print (with the columns up to
    the unit); then each ask's context rows, its parts and the levels
    above, with its short title (the catalogue's, as the Plan page's, or its title cut
    short) and SAME, and how and sources last, on screen only."""
    level, code, org, icb = asked.level, asked.code, asked.org, asked.icb
    years, orgs, names = asked.years, asked.orgs, asked.names
    meta, notes, money = asked.meta, asked.notes, asked.money
    rows: list[dict] = []
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
        chosen = chosen_words(meta.selected.get(r["ambition_id"]), level, code, org, icb)
        asks = ask_words(recs, code, org, money, chosen)
        if r["kind"] in vocab.CARRIED_KINDS or r[LINE_SPLIT] == vocab.NATIONAL_ONLY:
            # one row: a standard's national level, or an ask held for England alone
            by_year = {x["year"]: x["national_value"] for x in recs if x["level"] == "england"}
            standard = r["kind"] in vocab.CARRIED_KINDS and r[LINE_SPLIT] != vocab.NATIONAL_ONLY
            rows.append(
                base
                | {
                    "org": EVERY_ORG if standard else short_name(names.get("ENG"), "ENG"),
                    "org_code": "ENG",
                    "asks": asks,
                    OWN_FIRST: 0,
                    "_k": 0,
                    **{f"v{y}": by_year.get(y) for y in years},
                }
            )
            continue
        values = {(x["org_code"], x["year"]): x["value"] for x in recs}
        short = meta.short_titles.get(r["ambition_id"]) or short_title(r["title"])
        same = {"title": short} | dict.fromkeys(("unit", "how", "source"), SAME.format(org=org))
        for k, (c, role, _lv) in enumerate(orgs):
            if not any((c, y) in values for y in years):
                continue
            rows.append(
                base
                | {
                    "org": short_name(names.get(c), c),  # 'Kent and Medway (QKS)': printed narrow
                    "org_code": c,
                    "asks": asks if c == code else role,
                    # said whole on the organisation's own row, in the printed block
                    **({} if c == code else same),
                    OWN_FIRST: int(c != code),
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
                OWN_FIRST: 0,
                "_k": 0,
                **{f"v{y}": None for y in years},
            }
        )
    frame = pl.DataFrame(rows, infer_schema_length=None).sort(OWN_FIRST, PLAN_ORDER, "_k")
    frame = frame.with_columns(pl.col(f"v{y}").cast(pl.Float64) for y in years)
    name_ = category.capitalize()
    printed = [
        Column(header("ambition_id"), "ambition_id", width=10),
        Column(header("title"), "title", width=40),
        Column(f"What it asks of {org}", "asks", width=60),
        Column("Organisation", "org", width=20),
        *[Column(y, "v" + y, "row", width=11) for y in years],
        Column(header("unit"), "unit", width=30),
    ]
    on_screen = [  # as wide as it takes (workbook.readable_widths): not printed
        Column(
            f"How each figure was made [note {NOTE_PROVENANCE}] [note {NOTE_BASES}]",
            "how",
            width=28,
        ),
        Column("Source", "source", width=36),
    ]
    own = frame.get_column(OWN_FIRST).eq(0).sum()
    return Table(
        name_,
        f"{name_} asks of {org}: {CATEGORY_WORDS[category]}",
        f"{PRINTED_FIRST} [x]: no figure, [z]: not applicable [note {NOTE_SYMBOLS}].",
        printed + on_screen,
        frame,
        print_area=(own, len(printed)),
    )
