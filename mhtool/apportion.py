"""Exact apportionment: split a national integer total England -> region -> ICB -> sub-ICB.

Pure maths, no I/O. Callers pass whole *units* (people, pounds, or tenths of a WTE: see
`to_units` / `from_units`) and a weight per sub-ICB.

Stages
  1. Exact weights. Every weight (int, float, Fraction, Decimal) becomes a Fraction (a float
     converts exactly, i.e. its binary value) and all are scaled by one common denominator to
     integers, so every sum and comparison below is exact and nothing depends on row order.
  2. Unrounded shares. An ICB's or region's weight is the exact sum of its sub-ICBs' weights;
     each org's share of England (`Allocation.share`, `Allocation.exact_share`) is its weight
     over the national weight. Shares are never rounded.
  3. Top-down rounding by largest remainder (Hamilton's method). England's total is split among
     regions, each region's integer among its ICBs, each ICB's integer among its sub-ICBs. In
     each split a child gets the floor of its exact quota (parent units x weight / parent
     weight); the units left over go one each to the children with the largest remainders.

Tie-break (deterministic, independent of input order): larger remainder, then larger weight,
then code ascending (Python string order).

Guarantees, for every ambition and year:
  * each level sums exactly to its parent (sub-ICBs to their ICB, ICBs to their region,
    regions to England), so money reconciles to the pound and WTE to 0.1;
  * each figure is the floor or the ceiling of its exact quota at the level it was rounded,
    so within one unit of it; no figure is negative;
  * a zero weight gets zero (its quota is 0 and leftover units only go to positive remainders).

Why top-down: rounding every level independently against England (or a plain round()) cannot
make children sum to their parent. Top-down makes the sums exact by construction.

Known drawback: a sub-ICB's quota is its share of its ICB's *rounded* figure, not of England's
total, so rounding errors compound down the levels. A sub-ICB can differ from its direct share
of England (total x weight / national weight) by more than one unit (by under 3: under one per
level); an ICB by under 2. We accept this because exact reconciliation at every level is what
the planning returns need; the unrounded share is kept alongside for anyone who needs it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from numbers import Rational
from typing import Union

from mhtool import vocab

__all__ = [
    "Weight",
    "LEVELS",
    "STEPS",
    "Allocation",
    "largest_remainder",
    "apportion_hierarchy",
    "to_units",
    "from_units",
]

Weight = Union[int, float, Fraction, Decimal]

#: Levels of the hierarchy, top first, and the rounding step per measure (mhtool.vocab).
LEVELS: tuple[str, ...] = vocab.LEVELS
STEPS: dict[str, Fraction] = vocab.STEPS


# --------------------------------------------------------------------------------------------
# exact weights
# --------------------------------------------------------------------------------------------


def _ratio(code: object, w: object) -> tuple[int, int]:
    """(numerator, denominator) of a weight, exactly; ValueError if negative or not finite."""
    if isinstance(w, bool):
        raise TypeError(f"weight for {code!r} is a bool ({w!r}); pass a number")
    if isinstance(w, (float, Decimal)):
        try:
            n, d = w.as_integer_ratio()
        except (OverflowError, ValueError):
            raise ValueError(f"weight for {code!r} is not finite: {w!r}") from None
    elif isinstance(w, Rational):  # int (and subclasses), Fraction
        n, d = w.numerator, w.denominator
    else:
        raise TypeError(
            f"weight for {code!r} must be int, float, Fraction or Decimal, "
            f"not {type(w).__name__} ({w!r})"
        )
    if n < 0:
        raise ValueError(f"weight for {code!r} is negative: {w!r}")
    return n, d


def _integer_weights(weights: Mapping[str, Weight]) -> dict[str, int]:
    """Scale all weights by one common denominator to integers (exact, order-independent)."""
    ratios: dict[str, tuple[int, int]] = {}
    dens = set()
    for code, w in weights.items():
        t = type(w)
        if t is int and w >= 0:  # fast paths: exact types only (bool is not int here)
            ratios[code] = (w, 1)
            continue
        if t is float and w >= 0.0:
            try:
                n, d = w.as_integer_ratio()
            except OverflowError:
                raise ValueError(f"weight for {code!r} is not finite: {w!r}") from None
        else:
            n, d = _ratio(code, w)
        ratios[code] = (n, d)
        dens.add(d)
    dens.discard(1)
    if not dens:
        return {code: n for code, (n, _) in ratios.items()}
    common = math.lcm(*dens)
    return {code: n * (common // d) for code, (n, d) in ratios.items()}


def _split(total: int, weights: dict[str, int], wsum: int | None = None) -> dict[str, int]:
    """Largest remainder on already-validated non-negative integer weights (`wsum` = their sum)."""
    if total == 0:
        return dict.fromkeys(weights, 0)
    if wsum is None:
        wsum = sum(weights.values())
    if len(weights) == 1 and wsum:
        return dict.fromkeys(weights, total)
    if wsum == 0:
        raise ValueError(
            f"cannot apportion {total} units: every weight is zero "
            f"({len(weights)} codes: {_preview(weights)})"
        )
    out: dict[str, int] = {}
    ties: list[tuple[int, int, str]] = []  # (-remainder, -weight, code): sorts best first
    given = 0
    for code, w in weights.items():
        q, r = divmod(total * w, wsum)  # exact quota = q + r / wsum
        out[code] = q
        given += q
        if r:
            ties.append((-r, -w, code))
    left = total - given
    # 0 <= left < len(ties): the remainders (each < 1) sum to `left`, so only codes with a
    # positive remainder, hence a positive weight, can receive a leftover unit.
    if left:
        ties.sort()
        for _, _, code in ties[:left]:
            out[code] += 1
    return out


def _preview(codes: Iterable[str], n: int = 5) -> str:
    codes = sorted(codes)
    more = f", ... (+{len(codes) - n})" if len(codes) > n else ""
    return ", ".join(codes[:n]) + more


def _check_total(total: object) -> int:
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError(
            f"total must be a whole number of units (int), not "
            f"{type(total).__name__} ({total!r}); see to_units()"
        )
    if total < 0:
        raise ValueError(f"total must not be negative: {total}")
    return int(total)


def largest_remainder(total: int, weights: Mapping[str, Weight]) -> dict[str, int]:
    """Split `total` units into integers proportional to `weights` (largest remainder).

    Each code gets floor(total * w / sum(w)) or one more; leftover units go to the largest
    remainders, ties to the larger weight, then the code that sorts first. Exact arithmetic, so
    the result does not depend on the order of `weights`. A zero weight always gets 0.
    Raises ValueError for a negative total or weight, or all-zero weights with total > 0.
    """
    total = _check_total(total)
    for code in weights:
        if type(code) is not str:
            raise TypeError(f"codes must be str, not {type(code).__name__} ({code!r})")
    return _split(total, _integer_weights(weights))


# --------------------------------------------------------------------------------------------
# the hierarchy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Allocation:
    """Integer units at every level, plus the exact unrounded weights they came from.

    `units[level][code]` for level in LEVELS ("england" has one code, `england_code`).
    `parent[level][code]` is the parent's code (England's parent is None).
    `weight[level][code]` is the exact (integer-scaled) weight; only ratios are meaningful.
    """

    total: int
    england_code: str
    units: dict[str, dict[str, int]]
    parent: dict[str, dict[str, str | None]]
    weight: dict[str, dict[str, int]] = field(repr=False)

    @property
    def england(self) -> int:
        return self.units["england"][self.england_code]

    @property
    def region(self) -> dict[str, int]:
        return self.units["region"]

    @property
    def icb(self) -> dict[str, int]:
        return self.units["icb"]

    @property
    def subicb(self) -> dict[str, int]:
        return self.units["subicb"]

    def children(self, level: str, code: str) -> list[str]:
        """Codes one level below `code`, sorted."""
        below = LEVELS[LEVELS.index(level) + 1]
        return sorted(c for c, p in self.parent[below].items() if p == code)

    @cached_property
    def exact_share(self) -> dict[str, dict[str, Fraction]]:
        """Unrounded share of England per level and code, exactly (England = 1).

        If every weight is zero (only possible with total 0) every share is 0.
        """
        national = self.weight["england"][self.england_code]
        if national == 0:
            return {lv: dict.fromkeys(ws, Fraction(0)) for lv, ws in self.weight.items()}
        return {
            lv: {c: Fraction(w, national) for c, w in ws.items()} for lv, ws in self.weight.items()
        }

    @cached_property
    def share(self) -> dict[str, dict[str, float]]:
        """Unrounded share of England per level and code as float, for reporting."""
        national = self.weight["england"][self.england_code]
        if national == 0:
            return {lv: dict.fromkeys(ws, 0.0) for lv, ws in self.weight.items()}
        return {
            lv: {c: w / national for c, w in ws.items()}  # int/int: correctly rounded
            for lv, ws in self.weight.items()
        }

    @cached_property
    def quota(self) -> dict[str, dict[str, Fraction]]:
        """Exact quota each figure was rounded from: parent's units x weight / parent weight.

        Every `units[level][code]` is the floor or the ceiling of `quota[level][code]`.
        """
        out: dict[str, dict[str, Fraction]] = {"england": {self.england_code: Fraction(self.total)}}
        for level in LEVELS[1:]:
            above = LEVELS[LEVELS.index(level) - 1]
            q = {}
            for code, p in self.parent[level].items():
                pw = self.weight[above][p]
                q[code] = (
                    Fraction(self.units[above][p] * self.weight[level][code], pw)
                    if pw
                    else Fraction(0)
                )
            out[level] = q
        return out


Leaf = tuple[str, str, str, Weight]  # (subicb_code, icb_code, region_code, weight)


def apportion_hierarchy(
    total_units: int, leaves: Iterable[Leaf], *, england_code: str = "england"
) -> Allocation:
    """Round `total_units` top-down England -> region -> ICB -> sub-ICB by largest remainder.

    `leaves` are (subicb_code, icb_code, region_code, weight) rows, in any order. A region's or
    ICB's weight is the exact sum of its sub-ICBs' weights. Raises ValueError for a sub-ICB
    listed twice, an ICB under two regions, a negative weight or total, or total > 0 with every
    weight zero.
    """
    total = _check_total(total_units)
    rows = list(leaves)
    raw: dict[str, Weight] = {}
    sub_icb: dict[str, str] = {}
    icb_region: dict[str, str] = {}
    for row in rows:
        try:
            sub, icb, region, w = row
        except (TypeError, ValueError):
            raise ValueError(
                f"each leaf must be (subicb, icb, region, weight), got {row!r}"
            ) from None
        if sub in sub_icb:
            raise ValueError(
                f"sub-ICB {sub!r} is listed twice (under ICB {sub_icb[sub]!r} and ICB {icb!r})"
            )
        known = icb_region.setdefault(icb, region)
        if known != region:
            raise ValueError(f"ICB {icb!r} is under two regions: {known!r} and {region!r}")
        sub_icb[sub] = icb
        raw[sub] = w
    for name, codes in (("sub-ICB", sub_icb), ("ICB", icb_region), ("region", icb_region.values())):
        for code in codes:
            if type(code) is not str:
                raise TypeError(f"{name} code must be str, not {type(code).__name__} ({code!r})")

    w_sub = _integer_weights(raw)
    w_icb: dict[str, int] = dict.fromkeys(icb_region, 0)
    for sub, w in w_sub.items():
        w_icb[sub_icb[sub]] += w
    w_region: dict[str, int] = dict.fromkeys(icb_region.values(), 0)
    for icb, w in w_icb.items():
        w_region[icb_region[icb]] += w
    national = sum(w_region.values())

    if total and not national:
        raise ValueError(
            f"cannot apportion {total} units: every sub-ICB weight is zero ({len(w_sub)} sub-ICBs)"
        )

    # group children under parents (dicts keep first-seen order; _split does not depend on it)
    icbs_of: dict[str, dict[str, int]] = {r: {} for r in w_region}
    for icb, w in w_icb.items():
        icbs_of[icb_region[icb]][icb] = w
    subs_of: dict[str, dict[str, int]] = {i: {} for i in w_icb}
    for sub, w in w_sub.items():
        subs_of[sub_icb[sub]][sub] = w

    u_region = _split(total, w_region, national)
    u_icb: dict[str, int] = {}
    for region, kids in icbs_of.items():
        u_icb.update(_split(u_region[region], kids, w_region[region]))
    u_sub: dict[str, int] = {}
    for icb, kids in subs_of.items():
        u_sub.update(_split(u_icb[icb], kids, w_icb[icb]))

    return Allocation(
        total=total,
        england_code=england_code,
        units={"england": {england_code: total}, "region": u_region, "icb": u_icb, "subicb": u_sub},
        parent={
            "england": {england_code: None},
            "region": dict.fromkeys(w_region, england_code),
            "icb": dict(icb_region),
            "subicb": sub_icb,
        },
        weight={
            "england": {england_code: national},
            "region": w_region,
            "icb": w_icb,
            "subicb": w_sub,
        },
    )


# --------------------------------------------------------------------------------------------
# units
# --------------------------------------------------------------------------------------------


def _exact(x: object, what: str) -> Fraction:
    """A value or step as an exact Fraction. Floats and strings are read as the decimal they
    print as (0.1 -> 1/10), since that is what a person typed."""
    if isinstance(x, bool):
        raise TypeError(f"{what} must be a number, not bool ({x!r})")
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"{what} is not finite: {x!r}")
        return Fraction(repr(x))
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise ValueError(f"{what} is not finite: {x!r}")
        return Fraction(x)
    if isinstance(x, Rational):
        return Fraction(x)
    if isinstance(x, str):
        try:
            return Fraction(Decimal(x.strip()))
        except (ArithmeticError, ValueError):
            raise ValueError(f"{what} is not a number: {x!r}") from None
    raise TypeError(f"{what} must be a number, not {type(x).__name__} ({x!r})")


def _step(step: object) -> Fraction:
    s = _exact(step, "step")
    if s <= 0:
        raise ValueError(f"step must be positive: {step!r}")
    return s


def to_units(
    value: int | float | str | Decimal | Fraction, step: int | float | str | Decimal | Fraction = 1
) -> int:
    """`value` as a whole number of `step`s, exactly (to_units("12.3", Fraction(1, 10)) == 123).

    Floats and strings are read as decimals (0.3 means 3/10). Raises ValueError naming the
    value if it is not a whole number of steps (e.g. 12.35 WTE at a 0.1 step).
    """
    s = _step(step)
    q = _exact(value, "value") / s
    if q.denominator != 1:
        raise ValueError(f"value {value!r} is not a whole number of steps of {_show(s)}")
    return q.numerator


def from_units(units: int, step: int | float | str | Decimal | Fraction = 1) -> int | Decimal:
    """Inverse of to_units: an int when the step is whole, else an exact Decimal
    (from_units(123, Fraction(1, 10)) == Decimal("12.3")). The step must be a terminating decimal.
    """
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"units must be int, not {type(units).__name__} ({units!r})")
    s = _step(step)
    if s.denominator == 1:
        return units * s.numerator
    return _decimal(units * s, step)


def _decimal(x: Fraction, step: object) -> Decimal:
    d, k = x.denominator, 0
    while d % 10 == 0:
        d //= 10
        k += 1
    while d % 2 == 0 or d % 5 == 0:  # make the denominator a power of ten
        d //= 2 if d % 2 == 0 else 5
        k += 1
    if d != 1:
        raise ValueError(f"step {step!r} is not a terminating decimal")
    scaled = x.numerator * 10**k // x.denominator  # exact: denominator divides 10**k
    return Decimal(f"{scaled}E-{k}")


def _show(s: Fraction) -> str:
    try:
        return str(_decimal(s, s))
    except ValueError:
        return str(s)
