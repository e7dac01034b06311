"""Fill the years a catalogue gives no figure for, and mark how each one was filled.

Planners need a value in every year, but the sources give only some, and a filled value
must never pass for a stated one. The rule, applied to one ambition over the catalogue's
years (pure functions, no I/O, so a catalogue for any run of years works unchanged):

1. Points are the declared values (provenance stated / inferred / user) plus at most one
   anchor: a figure for a year before the first catalogue year, either declared (`anchor`)
   or zero in the year before the first year for an `additional` count. An anchor only
   steers interpolation and is never emitted: a count whose trajectory starts inside the
   catalogue's years (a roll-out after pilots) may anchor there, and that year and those
   before it stay missing.
2. A year between two points: linear in years between the nearest point on each side.
   Provenance `interpolated` for fixed and targeted asks, or `phased` for flexible asks,
   where systems set their own pace so the line is indicative only.
3. A year after the last point: that point's value carried forward with provenance
   `inferred`, but only where the ambition is `maintained` (the source says the target is
   kept). Otherwise the year is left missing.
4. A year before the first point and with no anchor, or any year of an ambition with no
   figure: missing. Nothing is held backwards, because an earlier level is unknown, not
   equal to a later one.

Missing years come back as YearValue(value=None, provenance="missing") with a note, so
every year of every ambition is accounted for. Given a `step` (counts: whole people, whole
pounds, 0.1 WTE), filled values are rounded half-up to it, because a national count must be
a whole number of the units it is apportioned in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from mhtool.vocab import DECLARED, FILLED, PROVENANCES  # noqa: F401 (re-exported)

_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


@dataclass(frozen=True)
class YearValue:
    """One year's figure. `high` is set only for ranges, and then `value` is the lower bound.
    `approximate` marks a figure the source gives only roughly ("just over GBP 3bn");
    `where` and `quote` say where in the source its words stand, and what they are."""

    year: str
    value: float | None
    provenance: str
    source: str = ""
    note: str = ""
    high: float | None = None
    approximate: bool = False
    where: str = ""  # where in the source the words stand (section, table, line)
    quote: str = ""  # the source's words as they stand there


def year_start(label: str) -> int | None:
    """2019 for '2019/20', or None when the label is not a financial year."""
    m = _YEAR.match(label) if isinstance(label, str) else None
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return None
    return int(m.group(1))


def year_label(start: int) -> str:
    """'2019/20' for 2019: the inverse of year_start, so years are spelled one way."""
    return f"{start}/{(start + 1) % 100:02d}"


def years_problem(years: object) -> str | None:
    """Why a catalogue's `years` list is unusable, or None when it is fine."""
    if not isinstance(years, list) or not years:
        return 'must be a non-empty list of financial years such as "2019/20"'
    starts = [year_start(y) for y in years]
    bad = [y for y, s in zip(years, starts, strict=True) if s is None]
    if bad:
        return f'{bad[0]!r} is not a financial year like "2019/20"'
    if any(b != a + 1 for a, b in zip(starts, starts[1:], strict=False)):
        return "must be consecutive financial years in order"
    return None


def fmt(value: float) -> str:
    """A figure as the phasing notes quote it: whole with separators from 100 up, else as
    short as it prints (so a note says '1,500' or '0.5', never '1500.0')."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def exact(value: float) -> Fraction:
    """A float as the decimal it prints as (0.1 -> 1/10), so sums of figures stay exact."""
    return Fraction(repr(value))


def snap(value: float, step: Fraction | None) -> float:
    """`value` rounded half-up to a whole number of `step`s (unchanged without a step)."""
    if step is None:
        return value
    return float(math.floor(exact(value) / step + Fraction(1, 2)) * step)


def phase(
    declared: Sequence[YearValue],
    years: Sequence[str],
    category: str,
    anchor: YearValue | None = None,
    maintained: str | None = None,
    step: Fraction | None = None,
) -> tuple[YearValue, ...]:
    """One YearValue per catalogue year: declared figures as given, the rest filled by the rule."""
    by_year = {v.year: v for v in declared}
    points = sorted(([anchor] if anchor else []) + list(declared), key=lambda v: year_start(v.year))
    filled_as = "phased" if category == "flexible" else "interpolated"
    out = []
    for year in years:
        if year in by_year:
            out.append(by_year[year])
            continue
        x = year_start(year)
        before = [p for p in points if year_start(p.year) < x]
        after = [p for p in points if year_start(p.year) > x]
        if before and after:
            out.append(_between(year, before[-1], after[0], filled_as, step))
        elif before and maintained:
            last = before[-1]
            out.append(
                YearValue(
                    year,
                    last.value,
                    "inferred",
                    last.source,
                    f"carried forward from {last.year} ({fmt(last.value)}): "
                    f"the source says the target is maintained: {maintained}",
                    last.high,
                    last.approximate,
                )
            )
        elif before:
            out.append(
                YearValue(
                    year,
                    None,
                    "missing",
                    note=f"no figure after {before[-1].year}; "
                    "not carried forward (the source does not say the target is maintained)",
                )
            )
        elif after and anchor and year_start(anchor.year) >= x:
            out.append(
                YearValue(
                    year,
                    None,
                    "missing",
                    note=f"no figure: the trajectory is counted from {anchor.year} "
                    f"({fmt(anchor.value)}, {anchor.note or 'the anchor'})",
                )
            )
        elif after:
            out.append(
                YearValue(
                    year,
                    None,
                    "missing",
                    note=f"no figure before {after[0].year} and no anchor; not held backwards",
                )
            )
        else:
            out.append(YearValue(year, None, "missing", note="no national figure"))
    return tuple(out)


def _between(
    year: str, a: YearValue, b: YearValue, provenance: str, step: Fraction | None
) -> YearValue:
    xa, xb, x = year_start(a.year), year_start(b.year), year_start(year)
    t = Fraction(x - xa, xb - xa)
    value = snap(float(exact(a.value) + t * (exact(b.value) - exact(a.value))), step)
    high = None
    if a.high is not None or b.high is not None:
        ha = exact(a.high if a.high is not None else a.value)
        hb = exact(b.high if b.high is not None else b.value)
        high = snap(float(ha + t * (hb - ha)), step)
    note = f"linear between {a.year} ({fmt(a.value)}) and {b.year} ({fmt(b.value)})"
    if step is not None:
        note += f", rounded to the nearest {step}"
    if provenance == "phased":
        note += "; indicative phasing of a flexible ask: systems set their own pace"
    return YearValue(year, value, provenance, note=note, high=high)


#: Provenance from firmest to weakest: a figure computed from others is only as firm as
#: the weakest of them, so a remainder of phased (indicative) figures stays indicative.
STRENGTH = ("stated", "user", "inferred", "interpolated", "phased")


def weakest(provenances: Sequence[str]) -> str:
    """The weakest provenance of some inputs; a computed figure is at least 'inferred'."""
    return max(["inferred", *provenances], key=STRENGTH.index)


def remainder(
    total: Sequence[YearValue], parts: dict[str, Sequence[YearValue]], total_id: str
) -> tuple[YearValue, ...]:
    """Total minus its parts, year by year; missing wherever the total or any part is."""
    out = []
    for i, t in enumerate(total):
        gaps = [pid for pid, vals in parts.items() if vals[i].value is None]
        if t.value is None or gaps:
            why = (
                f"{total_id} has no figure"
                if t.value is None
                else "no figure for " + ", ".join(gaps)
            )
            out.append(
                YearValue(
                    t.year, None, "missing", note=f"remainder not computable in {t.year}: {why}"
                )
            )
            continue
        value = float(exact(t.value) - sum(exact(vals[i].value) for vals in parts.values()))
        inputs = [t.provenance, *(vals[i].provenance for vals in parts.values())]
        out.append(
            YearValue(
                t.year,
                value,
                weakest(inputs),
                note=f"remainder: {total_id} minus " + ", ".join(parts),
            )
        )
    return tuple(out)
