"""The catalogue's cross-field rules: what a JSON Schema cannot say about one field alone.

The structure (keys, types, words) is checked first against mhtool/schemas/*.schema.json;
the rules here relate fields to each other and ambitions to each other. Each rule raises
an InputError naming the file, the ambition and the field, because planners edit these
files by hand, and each guards against a mistake a planning round has made:

- figures: years the catalogue has, once each; whole units of what is apportioned; no
  negative figure; a percentage at most 100; a stated figure cites its source, an inferred
  one says how; a range only on a line that is not split (a split range has no meaning);
- units: the unit kind fits the measure and kind (money is gbp, staff are staff, a
  percentage or days is a rate or standard); a standard's unit is worded for one
  organisation ("percent of the system's population"), never "of England" or "of CCGs";
- splits: targeted asks say whom they target; an apportioned count has a basis; a year
  reported for England only (a pilot) is a catalogue year and says why;
- totals: parts and remainders name a known total with the same measure; England-only
  money is never inside a line split locally: a part reported for England only in a year
  makes its total England-only that year; parts never exceed their total.

Basis fit is a warning, not an error: `basis_warnings` lists every line whose basis models
another age group (an adult need formula splitting a CYP line, or the reverse).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from mhtool import vocab
from mhtool.catalogue import upgrade
from mhtool.catalogue.model import Ambition, Catalogue
from mhtool.catalogue.phasing import YearValue, exact, year_label, year_start
from mhtool.errors import InputError

Bad = Callable[[str, str | None], InputError]

#: Unit kinds each measure may be counted in, and the kinds a unit kind needs.
UNIT_KINDS_BY_MEASURE = {m: set(kinds) for m, kinds in upgrade.UNIT_KINDS_BY_MEASURE.items()}
CARRIED_UNIT_KINDS = {"percent", "days"}  # only rates and standards are in these
#: Words that make a standard's unit about a country or a set of organisations, not one.
NOT_ONE_ORGANISATION = re.compile(
    r"(?i)\b(england|country|national|ccgs|stps|icss|icbs|stps?/icss?)\b"
)
STATED_SOURCE = ("http://", "https://", "seed:")


@dataclass(frozen=True)
class Context:
    """What an ambition is checked against: the catalogue's years, bases and programmes."""

    years: tuple[str, ...]
    bases: dict
    programmes: dict


def step(kind: str, measure: str) -> Fraction | None:
    """The unit a count is apportioned in (vocab.STEPS); rates and standards have none."""
    return None if kind in vocab.CARRIED_KINDS else vocab.STEPS[measure]


#: The largest national figure a count of each measure can sanely take (beyond it is a
#: typo, a wrong unit or a pasted total): about twice England's population in people or
#: activity, six times NHS England's whole budget in pounds, more staff than the NHS employs.
SANE_MAX = {"activity": 1e8, "funding": 1e12, "workforce": 2e6}
SANE_MAX_SITES, SANE_MAX_CARRIED = 1e5, 1e6  # sites; rates and standards not in percent


def value_problem(value: float, unit_kind: str, kind: str, measure: str) -> str | None:
    """National figures are finite and never negative, a percentage is at most 100, and
    no figure is larger than its measure could be (SANE_MAX)."""
    if not math.isfinite(value):
        return f"{value} is not a finite number"
    if value < 0:
        return f"{value:g} is negative; national figures are counts, money, staff or rates >= 0"
    if unit_kind == "percent":
        return f"{value:g} is a percentage above 100" if value > 100 else None
    if kind in vocab.CARRIED_KINDS:
        limit = SANE_MAX_CARRIED
    else:
        limit = SANE_MAX_SITES if kind == "sites" else SANE_MAX.get(measure, SANE_MAX_CARRIED)
    if value > limit:
        return (
            f"{value:,.0f} is beyond any national figure for {measure} ({kind}), at most "
            f"{limit:,.0f}: check the unit and the number of zeros"
        )
    return None


def whole_problem(value: float, step_: Fraction | None) -> str | None:
    """A count must be a whole number of the units it is apportioned in."""
    if step_ is not None and (exact(float(value)) / step_).denominator != 1:
        return (
            f"{value!r} is not a whole number of {float(step_):g}, the unit this measure is "
            "apportioned in"
        )
    return None


# ------------------------------------------------------------------ one ambition


def check_fields(amb: dict, ctx: Context, bad: Bad) -> None:
    """Rules between an ambition's own fields (its figures are checked by `figures`)."""
    if ctx.programmes and amb["programme"] not in ctx.programmes:
        raise bad(
            f"programme not declared in [programmes]; known: {', '.join(ctx.programmes)}",
            "programme",
        )
    _check_unit(amb, bad)
    national = _check_targets(amb, bad)
    _check_national_years(amb, ctx, national, bad)
    _check_basis(amb, ctx, national, bad)
    if amb.get("planning_ref", "").strip() and not amb.get("planning_ref_source", "").strip():
        raise bad("a planning_ref needs the source that justifies it", "planning_ref_source")
    if "anchor" in amb and amb.get("additional", False):
        raise bad("give either additional = true or an anchor, not both", "anchor")
    status = amb.get("status", "ok")
    has_values = bool(amb.get("values"))
    if amb.get("remainder_of") and has_values:
        raise bad("a remainder line is computed; it cannot declare values", "values")
    if not amb.get("remainder_of") and not has_values and status != "no_national_figure":
        raise bad('no values: give figures or set status = "no_national_figure"', "values")
    if has_values and status == "no_national_figure":
        raise bad("has values but says no_national_figure", "status")


def _check_targets(amb: dict, bad: Bad) -> bool:
    """Targets only on targeted asks, which say whom they target; True when the line is
    reported for England only in every year."""
    category, targets = amb["category"], amb.get("targets", [])
    if targets and category != "targeted":
        raise bad("only targeted ambitions have targets", "targets")
    if "selected" in amb and category != "targeted":
        raise bad("only targeted ambitions name selected sites", "selected")
    if "selected" in amb and targets:
        # sites are a record for readers; targets share the figure out: one or the other
        raise bad("give the named sites (selected) or targets to share among, not both", "selected")
    sel = amb.get("selected", {})
    if sel and bool(sel.get("everywhere")) == bool(sel.get("sites")):
        raise bad(
            "name the sites (sites = [...]) or say the ask reaches every system "
            "(everywhere = true), one of the two",
            "selected.sites",
        )
    if category == "targeted" and not amb.get("targets_note", "").strip():
        raise bad(
            "a targeted ambition must say which areas it targets, or why it is England-only",
            "targets_note",
        )
    return amb.get("national_only", False) or (category == "targeted" and not targets)


def _check_basis(amb: dict, ctx: Context, national: bool, bad: Bad) -> None:
    """A line that is split has a known basis; a line that is never split has none."""
    basis, kind = amb.get("basis"), amb["kind"]
    if basis is not None and basis not in ctx.bases:
        raise bad(f"unknown basis {basis!r}; known: {', '.join(sorted(ctx.bases))}", "basis")
    if basis is not None and kind in vocab.CARRIED_KINDS:
        raise bad(f"a {kind} applies unchanged to every organisation, so it has no basis", "basis")
    if basis is not None and national:
        raise bad(
            "the line is reported for England only, never split, so it takes no basis", "basis"
        )
    if basis is None and kind not in vocab.CARRIED_KINDS and not national:
        raise bad("a count or sites ambition that is apportioned needs a basis", "basis")


def _check_unit(amb: dict, bad: Bad) -> None:
    kind, measure, unit_kind = amb["kind"], amb["measure"], amb["unit_kind"]
    if unit_kind not in UNIT_KINDS_BY_MEASURE[measure]:
        allowed = ", ".join(sorted(UNIT_KINDS_BY_MEASURE[measure]))
        raise bad(f"a {measure} line is counted in {allowed}, not {unit_kind}", "unit_kind")
    if unit_kind in CARRIED_UNIT_KINDS and kind not in vocab.CARRIED_KINDS:
        raise bad(f"a figure in {unit_kind} is a rate or a standard, not a {kind}", "kind")
    if kind == "sites" and unit_kind != "sites":
        raise bad('a sites ambition counts sites (unit_kind = "sites")', "unit_kind")
    if kind == "standard":
        words = NOT_ONE_ORGANISATION.search(amb["unit"])
        if words:
            raise bad(
                f"a standard applies to each organisation, so its unit is worded for one "
                f'(e.g. "percent of the system\'s population covered"), not '
                f"{words.group(0)!r}",
                "unit",
            )


def _check_national_years(amb: dict, ctx: Context, national: bool, bad: Bad) -> None:
    years = amb.get("national_years", [])
    if not years:
        return
    if national:
        raise bad("the whole line is already reported for England only", "national_years")
    for i, year in enumerate(years):
        if year not in ctx.years:
            raise bad(
                f"year {year!r} is not one of the catalogue's years ({', '.join(ctx.years)})",
                f"national_years[{i}]",
            )
        if years.index(year) != i:
            raise bad(f"{year} is listed twice", f"national_years[{i}]")
    if not amb.get("national_years_note", "").strip():
        raise bad(
            "say why these years are reported for England only (e.g. pilots at selected sites)",
            "national_years_note",
        )


def figures(amb: dict, ctx: Context, bad: Bad) -> tuple[YearValue, ...]:
    """The declared figures, checked, in year order."""
    step_ = step(amb["kind"], amb["measure"])
    split = amb["kind"] not in vocab.CARRIED_KINDS and not (
        amb.get("national_only", False)
        or (amb["category"] == "targeted" and not amb.get("targets"))
    )
    out, seen = [], set()
    for i, item in enumerate(amb.get("values", [])):
        where = f"values[{i}]"
        year = item["year"]
        if year not in ctx.years:
            raise bad(
                f"year {year!r} is not one of the catalogue's years ({', '.join(ctx.years)})",
                f"{where}.year",
            )
        if year in seen:
            raise bad(f"two values for {year}", f"{where}.year")
        seen.add(year)
        national_year = year in amb.get("national_years", [])
        if "high" in item and split and not national_year:
            raise bad(
                "a range is only kept on a line that is not split (a rate, a standard or an "
                "England-only line): give one figure, or report the line for England only",
                f"{where}.high",
            )
        out.append(figure(item, amb, bad, where, step_))
    return tuple(sorted(out, key=lambda v: year_start(v.year)))


def figure(item: dict, amb: dict, bad: Bad, where: str, step_) -> YearValue:
    """One declared figure (a value or the anchor), checked."""
    for key in ("value", "high"):
        if key not in item:
            continue
        problem = value_problem(
            item[key], amb["unit_kind"], amb["kind"], amb["measure"]
        ) or whole_problem(item[key], step_)
        if problem:
            raise bad(problem, f"{where}.{key}")
    if "high" in item and item["high"] < item["value"]:
        raise bad("high must be a number no smaller than value", f"{where}.high")
    prov = item["provenance"]
    source, note = item.get("source", amb.get("source", "")), item.get("note", "").strip()
    if prov == "stated" and not source.startswith(STATED_SOURCE):
        raise bad(
            "a stated figure needs a source URL (or seed:<file> reference)", f"{where}.source"
        )
    if prov == "inferred" and not note:
        raise bad("an inferred figure needs a note saying how it was derived", f"{where}.note")
    if item.get("approximate", False) and not note:
        raise bad("an approximate figure needs a note giving the source's words", f"{where}.note")
    quote = item.get("quote", "").strip()
    if prov == "stated" and quote and not quoted(item["value"], quote):
        raise bad(
            f"the quote does not contain the stated figure {item['value']:g} as the source "
            f"writes numbers ({', '.join(number_words(item['value']))})",
            f"{where}.quote",
        )
    return YearValue(
        item["year"],
        float(item["value"]),
        prov,
        source,
        note,
        None if item.get("high") is None else float(item["high"]),
        item.get("approximate", False),
        item.get("where", "").strip(),
        quote,
    )


def number_words(value: float) -> list[str]:
    """The ways a source writes a figure: 805000 as "805,000" or "805000", 51 as "51",
    0 as "0" or "zero"."""
    words = [f"{value:,.0f}", f"{value:.0f}"] if float(value).is_integer() else [f"{value:g}"]
    return list(dict.fromkeys(words + (["zero"] if value == 0 else [])))


def quoted(value: float, quote: str) -> bool:
    """The source's words hold the figure as a number of its own (805,000 is not in
    '1,805,000'; 51 is in '51%')."""
    return any(
        re.search(rf"(?<![\d.,]){re.escape(w)}(?![\d]|[.,]\d)", quote, re.IGNORECASE)
        for w in number_words(value)
    )


def anchor(amb: dict, years: tuple[str, ...], bad: Bad) -> YearValue | None:
    """The point that steers phasing, if any: before the first catalogue year, or (for a
    count) inside the catalogue years but before its first figure, where a trajectory
    starts later than the catalogue (a roll-out after pilots whose counts no source gives:
    the anchor's year and those before it stay missing)."""
    first = year_start(years[0])
    if amb.get("additional", False):
        return YearValue(
            year_label(first - 1),
            0.0,
            "inferred",
            note=f"additional count: zero by definition in {year_label(first - 1)}",
        )
    spec = amb.get("anchor")
    if spec is None:
        return None
    start = year_start(spec["year"])
    figures = [year_start(v.get("year", "")) for v in amb.get("values", [])]
    figures = [y for y in figures if y is not None]
    if amb.get("kind") == "count" and figures and min(figures) > first:
        limit, before = min(figures), f"before {years[0]} or before its first figure"
    else:
        limit, before = first, f"before {years[0]}"
    if start is None or start >= limit:
        raise bad(f"anchor year must be a financial year {before}", "anchor.year")
    if "high" in spec:
        raise bad("an anchor is one figure, not a range", "anchor.high")
    if spec["provenance"] not in ("stated", "inferred"):
        raise bad("an anchor is stated or inferred", "anchor.provenance")
    return figure(spec, amb, bad, "anchor", step(amb["kind"], amb["measure"]))


# ------------------------------------------------------------------ across ambitions


def check_links(ambitions: list[Ambition], files: dict[str, Path]) -> None:
    """Parts and remainders name a known total of the same measure, and no England-only
    figure is a part of a total that is split locally in that year."""
    by_id = {a.id: a for a in ambitions}
    for a in ambitions:

        def bad(msg, field, a=a):
            return InputError(msg, file=str(files[a.id]), row=f"ambition {a.id}", field=field)

        for field in ("part_of", "remainder_of"):
            target = getattr(a, field)
            if not target:
                continue
            if target not in by_id or target == a.id:
                raise bad(f"refers to unknown ambition {target!r}", field)
            total = by_id[target]
            if total.measure != a.measure:
                raise bad(f"measure {a.measure} differs from {target}'s {total.measure}", field)
            if field == "part_of":
                _check_national_part(a, total, bad)


def check_need_year(need_year: str, ambitions: list[Ambition], bases: dict, file) -> None:
    """A catalogue that declares the need year its bases use splits no line by a
    need-weighted population of another year (the round's data in one place)."""
    if not need_year:
        return
    for a in ambitions:
        basis = bases.get(a.basis) if a.basis else None
        if basis is None or basis.source != "need_weighted":
            continue
        year = basis.params.get("allocation_year")
        if year != need_year:
            raise InputError(
                f"split by {a.basis}, the need-weighted population of {year}, but the "
                f"catalogue's need_year is {need_year}: declare a basis of {need_year} "
                f"(a [bases.<name>] table) or change need_year",
                file=str(file),
                row=f"ambition {a.id}",
                field="basis",
            )


def _check_national_part(part: Ambition, total: Ambition, bad: Bad) -> None:
    for yv in part.values:
        if yv.value is None or total.national_in(yv.year):
            continue
        if national_in(part, yv.year):
            raise bad(
                f"{part.id} is reported for England only in {yv.year}, so it cannot be a "
                f"part of {total.id}, which is split locally that year: money held "
                f"nationally must never be inside a local line. Report {total.id} for "
                f"England only (national_only = true) or split {part.id}",
                "part_of",
            )


def national_in(amb: Ambition, year: str) -> bool:
    """Reported for England alone in `year`: a national line or year, or a targeted ask or
    sites count that names no systems, or a count with no basis."""
    if amb.national_in(year):
        return True
    if amb.targets or amb.kind in vocab.CARRIED_KINDS:
        return False
    return amb.category == "targeted" or amb.kind == "sites" or not amb.basis


def check_remainder(a: Ambition, file, field: str) -> None:
    """Parts larger than their total are an error on the remainder line."""
    for v in a.values:
        if v.value is not None and v.value < -1e-6:
            raise InputError(
                f"the parts of {a.remainder_of} exceed it in {v.year} by {-v.value:,.0f}",
                file=str(file),
                row=f"ambition {a.id}",
                field=field,
            )


# ------------------------------------------------------------------ warnings

AGE_GROUP_WORDS = {"cyp": "children and young people", "adults": "adults"}


def basis_warnings(catalogue: Catalogue) -> list[str]:
    """Every line split by a basis that models another age group, in words for the run log
    and the Notes sheet."""
    out = []
    for a in catalogue.ambitions:
        basis = catalogue.bases.get(a.basis) if a.basis else None
        if basis is None or all(national_in(a, y) for y in catalogue.years):
            continue
        if {a.age_group, basis.age_group} == {"cyp", "adults"}:
            out.append(
                f"{a.id} serves {AGE_GROUP_WORDS[a.age_group]} but is split by {a.basis}, "
                f"which models {AGE_GROUP_WORDS[basis.age_group]} ({basis.label}): its "
                f"shares may not follow where the need is"
            )
    return out
