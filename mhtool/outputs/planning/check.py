"""`mhtool check` for the planning export: every file's rows against the lines rebuilt
from the spine with the spec profile.json recorded, each line's months standing for its
apportioned figure, percentages from their numerator and denominator, the ICB files adding
up to england.csv month by month, and places' rows to their parents'."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import polars as pl

from mhtool import csvsafe
from mhtool.errors import InputError
from mhtool.infra import folder
from mhtool.infra.folder import RunFolder
from mhtool.infra.manifest import regular
from mhtool.outputs.planning import write as export
from mhtool.outputs.views.problems import MAX_PER_PART, TOLERANCE, capped, figure_text, unreadable
from mhtool.planning import profile
from mhtool.planning.spec import PlanningSpec
from mhtool.planning.template import (
    MONEY_COLUMNS,
    NA,
    OTHER_COLUMNS,
    TEMPLATE_COLUMNS,
    ratio_text,
)

# --- the planning export -------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _template_files(out_dir, csvs, icb_codes, template, by_ref, values, spec):
    """Each ICB's (and England's) planning CSV against the template built from the spine:
    (problems, {code: rows read})."""
    problems: list[str] = []
    files: dict[str, list[list[str]]] = {}
    for p in csvs:
        rel = p.relative_to(out_dir).as_posix()
        code = export.ENGLAND if p.stem == "england" else p.stem
        if code != export.ENGLAND and code not in icb_codes:
            problems.append(f"{rel}: {code} is not an ICB in the spine")
            continue
        got = _read_csv_or_say(p, rel, problems)
        if got is None:
            continue
        files[code] = got
        problems += _compare_rows(rel, got, TEMPLATE_COLUMNS, template.get(code, []))
        problems += check_year_figures(rel, _template_keys(got[1:], by_ref), values, spec)
        problems += check_percentages(rel, got[1:], spec.percent_scale)
    return problems, files


def _read_csv_or_say(path: Path, rel: str, problems: list[str]) -> list[list[str]] | None:
    """The CSV's rows, or None with a problem line when it is missing, not a regular file
    (never opened: a named pipe would block) or cannot be read (damaged)."""
    if not regular(path):
        problems.append(f"{rel}: missing")
        return None
    try:
        return _read_csv(path)
    except (OSError, ValueError, csv.Error) as exc:
        problems.append(f"{rel}: {unreadable(exc)}")
        return None


def _compare_rows(rel: str, got: list[list[str]], columns: list[str], want: list[list[str]]):
    if not got or got[0] != columns:
        return [f"{rel} line 1: header is {got[0] if got else 'missing'}; expected {columns}"]
    problems = []
    body = got[1:]
    want = [csvsafe.row(w) for w in want]  # as the writer made them safe
    if len(body) != len(want):
        problems.append(f"{rel}: has {len(body)} rows; the spine gives {len(want)}")
    for n, (g, w) in enumerate(zip(body, want, strict=False), 2):
        if g != w:
            problems.append(f"{rel} line {n}: found {','.join(g)}; spine gives {','.join(w)}")
            if len(problems) > MAX_PER_PART:
                return problems[:MAX_PER_PART] + [f"{rel}: more problems not shown"]
    return problems


def _months_of(row: list[str], first: int) -> list[float | None]:
    return [None if t == NA else _float(t) for t in row[first : first + 12]]


def check_year_figures(rel, keyed, spine_values, spec) -> list[str]:
    """Each Count or Numerator line's months stand for exactly the apportioned figure:
    March (or the quarter end) for rolling, point-in-time and quarterly measures, the sum
    of the months for in-year counts; counts are whole in every month. `keyed` yields
    (line number, months, org, ambition, year, measure type)."""
    problems = []
    for n, months, org, aid, year, mtype in keyed:
        if mtype not in ("Count", "Numerator") or aid is None:
            continue
        rule = spec.rule_of(aid)
        got = profile.year_figure(rule, months)
        want = spine_values.get((org, aid, year))
        if any(v is not None and not float(v).is_integer() for v in months):
            problems.append(f"{rel} line {n}: {aid} {year} {org}: a month is not a whole number")
        if (got is None) != (want is None) or (
            got is not None and abs(got - want) > TOLERANCE * max(1.0, abs(want))
        ):
            problems.append(
                f"{rel} line {n}: {aid} {year} {org}: the months give {got} ({rule}); "
                f"the spine gives {want}"
            )
    return problems


def check_percentages(rel: str, body: list[list[str]], scale: str) -> list[str]:
    """Every Percentage row beside its Numerator and Denominator holds their ratio, month
    by month, on the scale profile.json records (0-100 or proportions), so a file on the
    wrong scale is caught however it was made."""
    width = len(TEMPLATE_COLUMNS)
    lines: dict[tuple, dict[str, tuple[int, list]]] = defaultdict(dict)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            lines[(row[1], row[2], row[5])][row[3]] = (n, _months_of(row, 7))
    problems = []
    for (org, ref, year), types in sorted(lines.items()):
        if not {"Numerator", "Denominator", "Percentage"} <= set(types):
            continue
        n, pct = types["Percentage"]
        num, den = types["Numerator"][1], types["Denominator"][1]
        for m, (p, a, b) in enumerate(zip(pct, num, den, strict=True)):
            want = None if a is None or not b else ratio_text(a, b, scale)
            if (p is None) != (want is None) or (p is not None and abs(p - want) > 1e-9):
                problems.append(
                    f"{rel} line {n}: {ref} {year} {org} {profile.MONTHS[m]}: Percentage "
                    f"{p} where Numerator / Denominator on the {scale} scale gives {want}"
                )
                break
    return problems


def _template_keys(body, by_ref):
    width = len(TEMPLATE_COLUMNS)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            yield n, _months_of(row, 7), row[1], by_ref.get(row[2]), row[5], row[3]


def _other_keys(body):
    width = len(OTHER_COLUMNS)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            yield n, _months_of(row, 11), row[1], row[2], row[9], row[7]


def _england_sums(files: dict[str, list[list[str]]]) -> list[str]:
    """england.csv against the ICB rows of the ICB files, month by month (percentages,
    which do not add, excepted)."""
    sums: dict[tuple, list[float]] = {}
    england: dict[tuple, list[float | None]] = {}
    for code, got in files.items():
        for row in got[1:]:
            if len(row) != len(TEMPLATE_COLUMNS) or row[3] == "Percentage":
                continue
            key, months = (row[2], row[3], row[5]), _months_of(row, 7)
            if code == export.ENGLAND:
                england[key] = months
            elif row[1] == code:
                acc = sums.setdefault(key, [0.0] * 12)
                sums[key] = [a + (m or 0) for a, m in zip(acc, months, strict=True)]
    problems = []
    for key, months in sorted(england.items()):
        total = sums.get(key, [0.0] * 12)
        for m, (want, got) in enumerate(zip(months, total, strict=True)):
            if want is not None and abs(want - got) > TOLERANCE * max(1.0, abs(want)):
                problems.append(
                    f"planning: {' '.join(key)} {profile.MONTHS[m]}: the ICB files sum "
                    f"to {figure_text(got)} but england.csv has {figure_text(want)}"
                )
    return problems


#: Where each planning file's key and figures are: (key columns after org_code, first
#: figure column, number of figures, measure-type column or None).
_PLACE_LAYOUT = {
    "template": ((2, 3, 5), 7, 12, 3),
    folder.PLANNING_OTHER: ((2, 7, 9), 11, 12, 7),
    folder.PLANNING_MONEY: ((2, 6), 8, 1, None),
}
_ADDITIVE_TYPES = ("Count", "Numerator", "Denominator")


def check_place_sums(what: str, got: list[list[str]], parent_rows, parent_of) -> list[str]:
    """The place rows of a planning file add up to their parent's row figure by figure
    (each month, or the year's value): `parent_rows` are the parents' rows as the export
    makes them (the sub-ICB rows whether or not the files carry them), `parent_of` maps
    each place to its parent. Percentages and carried rates do not add and are skipped."""
    keys, first, n, mtype = _PLACE_LAYOUT[what]
    sums: dict[tuple, list[float]] = {}
    for row in got[1:]:
        if row[1] not in parent_of or (mtype is not None and row[mtype] not in _ADDITIVE_TYPES):
            continue
        key = (parent_of[row[1]], *(row[k] for k in keys))
        figures = _months_of(row, first)[:n] if n == 12 else [_float(row[first])]
        acc = sums.setdefault(key, [0.0] * n)
        sums[key] = [a + (f or 0) for a, f in zip(acc, figures, strict=True)]
    parents = {(r[1], *(r[k] for k in keys)): r for r in parent_rows}
    problems = []
    for key, total in sorted(sums.items()):
        parent = parents.get(key)
        if parent is None:
            problems.append(f"planning {what}: places of {key[0]} have {key[1:]}; it has none")
            continue
        want = _months_of(parent, first)[:n] if n == 12 else [_float(parent[first])]
        for m, (w, g) in enumerate(zip(want, total, strict=True)):
            if abs((w or 0) - g) > TOLERANCE * max(1.0, abs(w or 0)):
                month = profile.MONTHS[m] if n == 12 else "value"
                problems.append(
                    f"planning {what}: {' '.join(key[1:])} {month}: the places of {key[0]} "
                    f"sum to {figure_text(g)} but {key[0]} has {figure_text(w or 0)}"
                )
    return problems


def _figures(spine: pl.DataFrame, places: pl.DataFrame | None) -> dict[tuple, float]:
    """(org_code, ambition_id, year) → the apportioned figure, places' too."""
    cols = ("org_code", "ambition_id", "year", "value")
    out = {(o, a, y): v for o, a, y, v in spine.select(*cols).iter_rows()}
    if places is not None:
        out |= {(o, a, y): v for o, a, y, v in places.select(*cols).iter_rows()}
    return out


def check_planning(
    out_dir: Path,
    spine: pl.DataFrame,
    prepared: pl.DataFrame,
    place_rows: pl.DataFrame | None = None,
):
    """The planning export against the spine: each file as the spine and planning/
    profile.json give it, each line's months against its apportioned figure, and the ICB
    files adding up to England month by month; with places (`place_rows`, when the
    export carries them), the place rows adding up to their parents'. Returns (problems,
    files checked)."""
    run = RunFolder(out_dir)
    csvs = sorted(p for p in run.planning.glob("*.csv") if regular(p))
    if not csvs:
        return [], 0
    try:
        record = json.loads(run.planning_profile.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{folder.PLANNING_PROFILE}: cannot be read ({exc})"], len(csvs)
    try:
        spec = PlanningSpec.from_profile(record, folder.PLANNING_PROFILE)
    except InputError as exc:
        return [f"{folder.PLANNING_PROFILE}: {exc.message}"], len(csvs)
    source = export.source_text(record.get("catalogue_name", ""), record.get("data_date", ""))
    icb_codes = set(prepared.filter(pl.col("level") == "icb").get_column("org_code").to_list())
    special = {run.planning_other.name, run.planning_money.name}
    written = {p.stem for p in csvs if p.name not in special}
    places = None
    if spec.places:
        if place_rows is None or place_rows.is_empty():
            return [
                f"{folder.PLANNING_PROFILE}: says the files carry places; the spine has none"
            ], len(csvs)
        places = place_rows.filter(pl.col("icb_code").is_in(sorted(written)))
    template, other, money = export.build(prepared, spec, source, subicb=spec.subicb, places=places)
    values = _figures(spine, places)
    by_ref = {r.confirmed_ref: a for a, r in spec.refs.items() if r.confirmed_ref}
    problems, files = _template_files(
        out_dir,
        [p for p in csvs if p.name not in special],
        icb_codes,
        template,
        by_ref,
        values,
        spec,
    )
    if export.ENGLAND in files and icb_codes <= set(files):
        problems += _england_sums(files)
    if places is not None:
        parent_of = dict(places.select("org_code", "parent_code").unique().iter_rows())
        tops, top_other, top_money = export.build(prepared, spec, source, subicb=True)
        parent_template = [r for rows in tops.values() for r in rows]
        for got in files.values():
            problems += check_place_sums("template", got, parent_template, parent_of)
    for name, columns, rows in (
        (folder.PLANNING_OTHER, OTHER_COLUMNS, other),
        (folder.PLANNING_MONEY, MONEY_COLUMNS, money),
    ):
        got = _read_csv_or_say(out_dir / name, name, problems)
        if got is None:
            continue
        problems += _compare_rows(name, got, columns, [r for r in rows if r[0] in files])
        if name == folder.PLANNING_OTHER:
            problems += check_year_figures(name, _other_keys(got[1:]), values, spec)
        if places is not None:
            tops = top_other if name == folder.PLANNING_OTHER else top_money
            problems += check_place_sums(name, got, tops, parent_of)
    return capped(problems, "planning"), len(csvs)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
