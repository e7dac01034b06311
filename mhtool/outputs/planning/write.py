"""The planning export: fair shares in the NHS operational planning long layout.

`planning/<ICB>.csv` and `planning/england.csv` hold exactly the template's columns
(TEMPLATE_COLUMNS), so a planner can load them without editing a cell: only activity
lines with a confirmed planning reference (mhtool.planning.refs), as Count, or as
Numerator, Denominator and Percentage where a denominator is defined; months profiled
by the measure's rule (mhtool.planning.profile), NA where a month has no value. ICB rows
only, unless sub-ICB rows are asked for.

Everything else is kept, never dropped: `planning/other_lines.csv` holds every other
activity line (with metric_code, title, unit and any candidate reference, in the same
months), and `planning/funding_workforce.csv` the money and staff lines, annual, each in
its own unit (never a people Count). `planning/profile.json` records what the files were
made with (references, rules, denominators, source), so `mhtool check` can hold them to
the spine.

Months are profiled for sub-ICB locations and summed upward, so every month adds up
exactly from sub-ICB to ICB to England.

Places (a run with `--places` and `--planning-places`) add rows with `org_code` = the place
to their ICB's files, after the ICB's own. A place's months are its parent's months split
among the parent's places by largest remainder (place_months), so they add up exactly to
the parent's in every month, and each place's March (quarter end) or twelve months still
stand for its own apportioned figure; its denominator is its parent's split by its
practices' own register (place_denominators).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import replace
from itertools import chain
from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab
from mhtool.apportion import largest_remainder
from mhtool.catalogue.phasing import year_label, year_start
from mhtool.fields import AMBITION_RANK, ORG_SORT
from mhtool.infra import folder
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.planning import profile
from mhtool.planning.spec import PlanningSpec
from mhtool.planning.template import (
    HUNDRED,
    MONEY_COLUMNS,
    NA,
    OTHER_COLUMNS,
    TEMPLATE_COLUMNS,
    TEMPLATE_TYPES,
    format_value,
    ratio_text,
)
from mhtool.refdata import store
from mhtool.spine import plain_text

ENGLAND = vocab.ENGLAND_CODE
RULE_TEXT = {
    "rolling_12m": "month ends step evenly from last year's March value to this year's; "
    "March is the year's figure",
    "point_in_time": "as rolling_12m: March is the year's figure",
    "quarterly": "quarter ends (Jun, Sep, Dec, Mar) step evenly; March is the year's "
    "figure; other months NA",
    "in_year_cumulative": "twelve whole monthly counts that add up to the year's figure",
    "first_year": "a line's first year with a figure gives March alone (the Plan's figures "
    "are year ends; the run has no figure for the year before), except a rate or standard "
    "whose level that year the catalogue gives (its anchor: an existing standard holds all "
    "year); other_lines.csv says so in its note column",
}


def _month_text(x: float | None) -> str:
    return NA if x is None else format_value(x)


FIRST_YEAR_NOTE = (
    "March only: {year} is the line's first year with a figure. The Plan gives year-end "
    "figures, and the run has no figure for the year before to step the months from; "
    "plan the months before March locally."
)


def line_note(
    rule: str,
    values: list[float | None],
    year: str,
    *,
    low: float | None = None,
    high: float | None = None,
    unit_kind: str = "",
) -> str:
    """other_lines.csv's note: why months of a line with a year-end figure are NA (its
    first year with a figure has nothing to step from; a quarterly line's other months
    are NA by the layout, so not noted), and for a range (CYP-06: a fifth to a quarter of
    the country) both its ends, since the months can hold only the lower one. Plain ASCII,
    as every planning file is: Excel on Windows opens a CSV without a BOM as ANSI."""
    notes = []
    profiled = profile.QUARTER_ENDS[:-1] if rule == "quarterly" else range(11)
    if values[11] is not None and any(values[m] is None for m in profiled):
        notes.append(FIRST_YEAR_NOTE.format(year=year))
    if low is not None and high is not None and high != low:
        sign = "%" if unit_kind == "percent" else ""
        notes.append(
            f"A range, {format_value(low)} to {format_value(high)}{sign}: the figures are its "
            "lower end."
        )
    return " ".join(notes)


def source_text(catalogue_name: str, data_date: str) -> str:
    """Where every figure came from: `mhtool fair share <catalogue> <data date>`."""
    return f"mhtool fair share {catalogue_name or ''} {data_date or ''}".strip()


# --- the profiled lines ------------------------------------------------------------------


def _carried(kind: str) -> bool:
    """A rate or standard: every organisation carries it unchanged, so it is never summed."""
    return kind in vocab.CARRIED_KINDS


def monthly(
    spine: pl.DataFrame, spec: PlanningSpec
) -> dict[tuple[str, str, str], list[float | None]]:
    """(org_code, ambition_id, year) → twelve months, for every activity line.

    Counts are profiled for sub-ICB locations and summed upward (a parent with no child
    figures, such as an England-only line, is profiled on its own); rates are profiled
    for each organisation, never summed. A line's first year with a figure gives March
    alone (the Plan's figures are year ends and the run holds no figure for the year
    before to step from), except a carried rate whose level that year the catalogue
    gives (`spec.starts`, planning.refs.starts: an existing standard holds all year)."""
    act = spine.filter(pl.col("measure") == "activity")
    years = sorted(act.get_column("year").unique().to_list())
    prev_year = dict(zip(years[1:], years[:-1], strict=True))
    value = {
        (r["org_code"], r["ambition_id"], r["year"]): r["value"]
        for r in act.select("org_code", "ambition_id", "year", "value").iter_rows(named=True)
    }
    kinds = dict(act.select("ambition_id", "kind").unique("ambition_id").iter_rows())
    starts = {aid: s for aid, s in spec.starts.items() if _carried(kinds.get(aid, ""))}
    out: dict[tuple[str, str, str], list[float | None]] = {}

    def own(org: str, aid: str, year: str) -> list[float | None]:
        rule = spec.rule_of(aid)
        whole = not _carried(kinds[aid])
        prev = value.get((org, aid, prev_year[year])) if year in prev_year else None
        start = starts.get(aid)
        if prev is None and start and start.year == year_label(year_start(year) - 1):
            prev = start.value  # a carried level known for the year before the run's
        return profile.months(rule, value.get((org, aid, year)), prev, whole)

    orgs = act.select("level", "org_code", "parent_code").unique("org_code")
    children: dict[str, list[str]] = defaultdict(list)
    for _, org, parent in orgs.iter_rows():
        if parent is not None:
            children[parent].append(org)
    by_level = defaultdict(list)
    for lv, org, _ in orgs.iter_rows():
        by_level[lv].append(org)
    for aid in sorted(kinds):
        for year in years:
            for lv in ("subicb", "icb", "region", "england"):
                for org in by_level[lv]:
                    kids = [k for k in children.get(org, []) if (k, aid, year) in out]
                    summed = not _carried(kinds[aid]) and any(
                        value.get((k, aid, year)) is not None for k in kids
                    )
                    if summed:
                        cols = [out[(k, aid, year)] for k in kids]
                        out[(org, aid, year)] = [
                            None
                            if all(c[m] is None for c in cols)
                            else float(sum(c[m] or 0 for c in cols))
                            for m in range(12)
                        ]
                    else:
                        out[(org, aid, year)] = own(org, aid, year)
    return out


def denominators(
    spec: PlanningSpec, spine: pl.DataFrame, geography: str
) -> dict[str, dict[str, float]]:
    """ambition_id → org_code → the denominator (the QOF SMI register), summed from
    sub-ICB locations up. Read from the shipped reference data for the run's geography."""
    out: dict[str, dict[str, float]] = {}
    orgs = spine.select("level", "org_code", "parent_code").unique("org_code")
    parent = {o: p for _, o, p in orgs.iter_rows()}
    subs = [o for lv, o, _ in orgs.iter_rows() if lv == "subicb"]
    for aid, ref in sorted(spec.refs.items()):
        if not ref.denominator:
            continue
        reg = store.smi_register(ref.denominator_qof_year, geography)
        counts = dict(reg.select("subicb_code", "register").iter_rows())
        totals: dict[str, float] = defaultdict(float)
        for s in subs:
            n = float(counts.get(s, 0))
            org = s
            while org is not None:
                totals[org] += n
                org = parent.get(org)
        out[aid] = dict(sorted(totals.items()))
    return out


# --- places -------------------------------------------------------------------------------


def _weights(rule: str, cur: int, prev: int | None, m: int) -> int:
    """A place's unrounded profile in month `m` (0 = Apr) under a month-end rule, times the
    steps in the year (so a whole number): the weight its parent's month is split by
    (March: its figure exactly)."""
    if prev is None:
        return cur
    n, k = (4, (m + 1) // 3) if rule == "quarterly" else (12, m + 1)
    return max(0, prev * (n - k) + cur * k)


def _split_months(rule: str, parent: list, cur: dict[str, int], prev: dict) -> dict[str, list]:
    """Each place's twelve months: the parent's months split among its places so they add
    up exactly to the parent's. An in-year count is split month by month in proportion to
    what each place has still to receive, so its months also add up to its own figure (a
    month never gives a place more than it has left, as that month is at most the rest)."""
    out: dict[str, list] = {p: [None] * 12 for p in cur}
    left = dict(cur)
    for m, total in enumerate(parent):
        if total is None:
            continue
        if rule == "in_year_cumulative":
            weights = left
        else:
            weights = {p: _weights(rule, cur[p], prev.get(p), m) for p in cur}
            if not any(weights.values()):
                weights = cur
        got = largest_remainder(int(round(total)), weights) if any(weights.values()) else {}
        for p in cur:
            out[p][m] = float(got.get(p, 0))
            left[p] -= got.get(p, 0)
    return out


def place_months(
    places: pl.DataFrame, parents: dict[tuple[str, str, str], list], spec: PlanningSpec
) -> dict[tuple[str, str, str], list[float | None]]:
    """(place, ambition_id, year) → twelve months for every activity line of the places:
    counts split from the parent's months (`parents`, as monthly() gives them), rates and
    standards carried with the parent's months (a place carries its parent's rate)."""
    act = places.filter(pl.col("measure") == "activity").select(
        "org_code", "parent_code", "ambition_id", "kind", "year", "value"
    )
    years = sorted(act.get_column("year").unique().to_list())
    before = dict(zip(years[1:], years[:-1], strict=True))
    value = {(o, a, y): v for o, _, a, _, y, v in act.iter_rows()}
    out: dict[tuple[str, str, str], list[float | None]] = {}
    groups = act.group_by("parent_code", "ambition_id", "kind", "year").agg("org_code", "value")
    keys = ["parent_code", "ambition_id", "kind", "year"]
    for parent, aid, kind, year, orgs, values in groups.sort(keys).iter_rows():
        rule = spec.rule_of(aid)
        if _carried(kind):  # the parent's rate, so the parent's profile of it
            out |= {(o, aid, year): list(parents[(parent, aid, year)]) for o in orgs}
            continue
        if any(v is None for v in values):
            out |= {(o, aid, year): [None] * 12 for o in orgs}
            continue
        cur = {o: int(round(v)) for o, v in zip(orgs, values, strict=True)}
        prev = {}
        if year in before:
            prev = {o: value.get((o, aid, before[year])) for o in orgs}
            prev = {o: int(round(v)) for o, v in prev.items() if v is not None}
        split = _split_months(rule, parents[(parent, aid, year)], cur, prev)
        out |= {(o, aid, year): months for o, months in split.items()}
    return out


def place_denominators(
    spec: PlanningSpec,
    denominators: dict[str, dict[str, float]],
    practices: pl.DataFrame,
    parents,
) -> dict[str, dict[str, float]]:
    """`denominators` with each place's added: its parent's split by largest remainder in
    proportion to its practices' own QOF SMI register of the same year, so places add up
    to their parent. `practices`: practice_code → place_code; `parents`: place → parent.
    A parent whose places' practices have no register figures leaves them without one."""
    out = {aid: dict(d) for aid, d in denominators.items()}
    for aid, ref in sorted(spec.refs.items()):
        if not ref.denominator or aid not in out:
            continue
        reg = store.practice_smi(ref.denominator_qof_year).select("practice_code", "register")
        by_place = dict(
            practices.join(reg, on="practice_code", how="left")
            .group_by("place_code")
            .agg(pl.col("register").fill_null(0).sum())
            .iter_rows()
        )
        kids: dict[str, list[str]] = defaultdict(list)
        for place, parent in parents.items():
            kids[parent].append(place)
        for parent, places in sorted(kids.items()):
            total = out[aid].get(parent)
            weights = {p: int(by_place.get(p, 0)) for p in places}
            if total is None or not any(weights.values()):
                continue
            out[aid] |= {p: float(n) for p, n in largest_remainder(int(total), weights).items()}
    return out


# --- rows ---------------------------------------------------------------------------------


def _lines(prepared: pl.DataFrame):
    """Activity lines (one per organisation, ambition and year) in hierarchy order."""
    return (
        prepared.filter(pl.col("measure") == "activity")
        .sort([*ORG_SORT, AMBITION_RANK, "year"])
        .select(
            "level",
            "org_code",
            "icb_code",
            "ambition_id",
            "title",
            "unit",
            "unit_kind",
            "kind",
            "year",
            "value",
            "value_high",
        )
        .iter_rows(named=True)
    )


def _icb_of(r: dict) -> str:
    if r["level"] == "england":
        return ENGLAND
    return r["org_code"] if r["level"] == "icb" else (r["icb_code"] or "")


def _typed(r: dict, spec: PlanningSpec, months: dict, dens: dict) -> list[tuple[str, list]]:
    """(measure_type, months) for one line: Numerator/Denominator/Percentage where a
    denominator is defined, else Count for counts and Percentage for rates in percent,
    else the type the line's unit gives ('Value', outside the template)."""
    key = (r["org_code"], r["ambition_id"], r["year"])
    m = months[key]
    if spec.ref(r["ambition_id"]).denominator and not _carried(r["kind"]):
        den = dens.get(r["ambition_id"], {}).get(r["org_code"])
        den_m = [None if v is None or den is None else den for v in m]
        scale = spec.percent_scale
        pct = [
            None if v is None or not d else ratio_text(v, d, scale)
            for v, d in zip(m, den_m, strict=True)
        ]
        return [("Numerator", m), ("Denominator", den_m), ("Percentage", pct)]
    if not _carried(r["kind"]):
        return [("Count", m)]
    if r["unit_kind"] == "percent":
        if spec.percent_scale == HUNDRED:
            return [("Percentage", m)]
        return [("Percentage", [None if v is None else round(v / 100, 6) for v in m])]
    return [("Value", m)]


def _place_lines(prepared: pl.DataFrame, places: pl.DataFrame, measures: list[str]):
    """The places' lines (as _lines gives the others), each ICB's after its own lines:
    by parent, place, ambition in the Plan's reference order, year."""
    # the key as text on both sides: `mhtool check` reads the spine compact (categorical)
    text_id = pl.col("ambition_id").cast(pl.String)
    order = prepared.select(text_id, AMBITION_RANK).unique("ambition_id")
    return (
        places.filter(pl.col("measure").is_in(measures))
        .with_columns(text_id)
        .join(order, on="ambition_id", how="left")
        .sort(["icb_code", "parent_code", "org_code", AMBITION_RANK, "year"])
        .iter_rows(named=True)
    )


def build(
    prepared: pl.DataFrame,
    spec: PlanningSpec,
    source: str,
    *,
    subicb: bool = False,
    places: pl.DataFrame | None = None,
):
    """Every export row: (template rows by ICB code or ENG, other rows, money rows).

    Rows are lists of text in the column order of the layouts above; ``source`` is the
    source_text() every row carries. `places`: the run's place rows, when the export is
    to carry them (each ICB's after its own)."""
    months = monthly(prepared, spec)
    dens = spec.denominators
    levels = {"england", "icb", "subicb"} if subicb else {"england", "icb"}
    template: dict[str, list[list[str]]] = defaultdict(list)
    other: list[list[str]] = []
    lines = _lines(prepared)
    money_lines = (
        prepared.filter(pl.col("measure").is_in(["funding", "workforce"]))
        .sort([*ORG_SORT, AMBITION_RANK, "year"])
        .iter_rows(named=True)
    )
    if places is not None and not places.is_empty():
        months |= place_months(places, months, spec)
        levels.add(vocab.PLACE)
        lines = chain(lines, _place_lines(prepared, places, ["activity"]))
        money_lines = chain(money_lines, _place_lines(prepared, places, ["funding", "workforce"]))
    for r in lines:
        if r["level"] not in levels:
            continue
        aid = r["ambition_id"]
        rule = spec.rule_of(aid)
        ref = spec.ref(aid)
        icb = _icb_of(r)
        confirmed = ref.confirmed_ref
        for mtype, vals in _typed(r, spec, months, dens):
            texts = [_month_text(v) for v in vals]
            dim = profile.dim_type(rule)
            if confirmed and mtype in TEMPLATE_TYPES:
                row = [icb, r["org_code"], confirmed, mtype, dim, r["year"], source, *texts]
                template[icb].append(row)
                continue
            status = (
                "confirmed; not a template measure type"
                if confirmed
                else ("candidate, not confirmed" if ref.planning_ref else "none known")
            )
            other.append(
                [
                    icb,
                    r["org_code"],
                    aid,
                    r["title"],
                    r["unit"] or "",
                    ref.planning_ref,
                    status,
                    mtype,
                    dim,
                    r["year"],
                    source,
                    *texts,
                    line_note(
                        rule,
                        vals,
                        r["year"],
                        low=r.get("value"),
                        high=r.get("value_high"),
                        unit_kind=r.get("unit_kind") or "",
                    ),
                ]
            )
    money = []
    for r in money_lines:
        if r["level"] not in levels:
            continue
        money.append(
            [
                _icb_of(r),
                r["org_code"],
                r["ambition_id"],
                r["title"],
                r["measure"],
                r["unit"] or "",
                r["year"],
                source,
                format_value(r["value"]),
            ]
        )
    return template, other, money


def profile_record(spec: PlanningSpec, meta: WorkbookMeta) -> dict:
    """What planning/profile.json keeps: enough to rebuild and check every file (the
    spec as PlanningSpec.to_profile records it, and the run's source and rules)."""
    return {
        "indicative": True,
        "rules": RULE_TEXT,
        "source": source_text(meta.catalogue_name, meta.data_date),
        "catalogue_name": meta.catalogue_name,
        "data_date": str(meta.data_date),
        **spec.to_profile(),
    }


def write_csv(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    """UTF-8, `\\n` line ends, quoting only where needed; no text cell a spreadsheet
    would run as a formula (mhtool.csvsafe)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows(csvsafe.row(r) for r in rows)


def write(
    prepared: pl.DataFrame,
    out_dir: Path,
    meta: WorkbookMeta,
    *,
    icbs: list[str],
    england: bool,
    places: pl.DataFrame | None = None,
) -> list[str]:
    """Write the planning folder; returns the relative paths written, in a stable order.
    `meta.planning.subicb` adds sub-ICB rows, `meta.planning.places` the rows of
    `places` (the run's place rows)."""
    spec = meta.planning or PlanningSpec()
    subicb = spec.subicb
    with_places = spec.places and places is not None
    source = source_text(meta.catalogue_name, meta.data_date)
    if with_places:  # only the places of the ICBs written, as plain text (they may be compact)
        places = plain_text(places.filter(pl.col("icb_code").is_in(sorted(set(icbs)))))
    template, other, money = build(
        prepared, spec, source, subicb=subicb, places=places if with_places else None
    )
    wanted = set(icbs) | ({ENGLAND} if england else set())
    written = []
    for code in ([ENGLAND] if england else []) + sorted(icbs):
        rel = folder.planning_file(None if code == ENGLAND else code)
        write_csv(Path(out_dir) / rel, TEMPLATE_COLUMNS, template.get(code, []))
        written.append(rel)
    run = folder.RunFolder(Path(out_dir))
    write_csv(run.planning_other, OTHER_COLUMNS, [r for r in other if r[0] in wanted])
    write_csv(run.planning_money, MONEY_COLUMNS, [r for r in money if r[0] in wanted])
    record = profile_record(replace(spec, places=with_places), meta)
    run.planning_profile.write_text(
        json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return written + [folder.PLANNING_OTHER, folder.PLANNING_MONEY, folder.PLANNING_PROFILE]
