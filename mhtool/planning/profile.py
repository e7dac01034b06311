"""Indicative monthly profiles of a year's fair share, by how the measure is counted.

Pure maths, no I/O. The profile is mhtool's, not a plan: it only spreads the apportioned
figure over the months the planning templates ask for, so that

- rolling_12m / point_in_time: each month end moves in equal steps from last year's
  March value to this year's, so March is exactly this year's figure; with no figure for
  last year only March is given (the Plan's figures are year ends; mhtool.outputs.planning.write
  passes a carried rate's catalogue anchor as last year's figure where it has one);
- quarterly: the same steps at the quarter ends (Jun, Sep, Dec, Mar), other months NA;
- in_year_cumulative: the year's count split into twelve monthly counts that add up to it
  exactly: an equal share each, the remainder one each to the last months.

Counts stay whole (halves round up); rates are carried to 4 decimal places. Profiles are
made for the smallest organisations and summed upward (mhtool.outputs.planning.write), so every
month adds up exactly at every level.
"""

from __future__ import annotations

import math
from fractions import Fraction

MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")
QUARTER_ENDS = (2, 5, 8, 11)  # Jun, Sep, Dec, Mar as indexes of MONTHS
RATE_PLACES = 4


def _half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def _step(prev: float, cur: float, k: int, n: int, whole: bool) -> float:
    """prev + (cur - prev) * k / n exactly, halves up to a whole number, or a rate to
    RATE_PLACES. Whole-numbered ends take integer arithmetic: the same result without
    the cost of Fractions (a run has over a hundred thousand steps), as x is num / n and
    Python divides integers correctly rounded, as float(Fraction) does."""
    if float(prev).is_integer() and float(cur).is_integer():
        p, c = int(prev), int(cur)
        num = p * n + (c - p) * k
        return float((2 * num + n) // (2 * n)) if whole else round(num / n, RATE_PLACES)
    x = Fraction(prev) + (Fraction(cur) - Fraction(prev)) * k / n
    return float(_half_up(x)) if whole else round(float(x), RATE_PLACES)


def months(rule: str, cur: float | None, prev: float | None, whole: bool) -> list[float | None]:
    """Twelve values Apr..Mar (None = NA) for one organisation's year under `rule`."""
    out: list[float | None] = [None] * 12
    if cur is None or (isinstance(cur, float) and math.isnan(cur)):
        return out
    if prev is not None and isinstance(prev, float) and math.isnan(prev):
        prev = None
    if rule == "in_year_cumulative" and not whole:
        rule = "point_in_time"  # a rate is not a count of events: it is not split
    if rule == "in_year_cumulative":
        total = int(round(cur))
        base, extra = divmod(total, 12)
        return [float(base + (1 if m >= 12 - extra else 0)) for m in range(12)]
    if rule == "quarterly":
        for q, m in enumerate(QUARTER_ENDS, 1):
            out[m] = _step(prev, cur, q, 4, whole) if prev is not None else None
        out[11] = float(int(round(cur))) if whole else cur
        return out
    for m in range(12):
        out[m] = _step(prev, cur, m + 1, 12, whole) if prev is not None else None
    out[11] = float(int(round(cur))) if whole else cur
    return out


def year_figure(rule: str, values: list[float | None]) -> float | None:
    """The figure a year's months stand for under `rule`: the sum of the months for an
    in-year count, else the March (quarter-end) value. None when that is NA."""
    if rule == "in_year_cumulative":
        present = [v for v in values if v is not None]
        return sum(present) if present else None
    return values[11]


def dim_type(rule: str) -> str:
    """The template's dimension type for a profile rule: quarters or months."""
    return "Quarter" if rule == "quarterly" else "Month"
