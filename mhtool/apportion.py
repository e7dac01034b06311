"""Exact apportionment: split a national integer total England -> region -> ICB -> sub-ICB
(-> place, when a run asks for places), every level summing exactly to its parent.

Pure maths, no I/O. Callers pass whole *units* (people, pounds, or tenths of a WTE: see
`to_units` / `from_units`) and a weight per leaf. A `Tree` (built once per geography) and a
`Basis` (its weights, prepared once per basis) split many totals at once with `Basis.split`;
`apportion_hierarchy` is the one-figure form for the four standard levels.

Stages
  1. Exact weights. Every weight (int, float, Fraction, Decimal) is read as the exact rational
     it is (a float as its binary value) and all are scaled by one common denominator to
     integers, so every sum and comparison below is exact and nothing depends on row order.
     Floats, what bases give, are decomposed with frexp in bulk; int64 holds the integers
     when they and their total fit, Python integers otherwise.
  2. Unrounded shares. A parent's weight is the exact sum of its children's; each org's share
     of England (`Basis.share`, `Allocation.share`, `Allocation.exact_share`) is its weight
     over the national weight, correctly rounded to float. Shares are never rounded further.
  3. Top-down rounding by largest remainder (Hamilton's method). England's total is split among
     regions, each region's integer among its ICBs, each ICB's integer among its sub-ICBs (and
     each sub-ICB's or ICB's among its places). In each split a child gets the floor of its
     exact quota (parent units x weight / parent weight); the units left over go one each to
     the children with the largest remainders.
  4. How stage 3 is computed: one level at a time, for every parent and every total at once,
     on arrays (no Python object per leaf), still exact:
     a. each quota is estimated in float64 as x = T * (w / W); four roundings of at most
        2**-53 each bound the error by T * 2**-50, and e = T * 2**-48 is allowed;
     b. a child whose estimate is within x * 2**-48 of a whole number (its floor uncertain) is
        computed with integers, divmod(T * w, W); zero weights and a parent's only weighted
        child are exact by construction;
     c. children are ranked by estimated remainder within each parent. Where the last child
        given a leftover unit and the first not given one are more than 2e apart the choice
        is certain; otherwise only the uncertain window (bounded by gaps of more than 2e) is
        ranked exactly by the tie-break below.
     Totals of 2**53 units or more, or weights summing past 2**1000, skip the estimate and use
     integers throughout (totals must stay below 2**63). The result is identical to ranking
     every child with integers; tests/fixtures/apportion_reference.py, the engine before it
     was vectorised, is the oracle the tests compare with on random and adversarial inputs.

Tie-break (deterministic, independent of input order): larger remainder, then larger weight,
then code ascending (Python string order).

Guarantees, for every ambition and year:
  * each level sums exactly to its parent (places to their sub-ICB or ICB, sub-ICBs to their
    ICB, ICBs to their region, regions to England), so money reconciles to the pound and WTE
    to 0.1;
  * each figure is the floor or the ceiling of its exact quota at the level it was rounded,
    so within one unit of it; no figure is negative;
  * a zero weight gets zero (its quota is 0 and leftover units only go to positive remainders);
  * adding a level below (places) changes nothing above it.

Why top-down: rounding every level independently against England (or a plain round()) cannot
make children sum to their parent. Top-down makes the sums exact by construction.

Known drawbacks: a sub-ICB's quota is its share of its ICB's *rounded* figure, not of England's
total, so rounding errors compound down the levels. A sub-ICB can differ from its direct share
of England (total x weight / national weight) by more than one unit (by under 3: under one per
level); an ICB by under 2; a place by under 4. We accept this because exact reconciliation at
every level is what the planning returns need; the unrounded share is kept alongside for anyone
who needs it. Inputs built to defeat the estimate (many children with equal weights, so every
remainder ties) fall back to integer ranking for those parents: still exact, only slower.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from numbers import Rational

import numpy as np

from mhtool import vocab

__all__ = [
    "Weight",
    "LEVELS",
    "STEPS",
    "Allocation",
    "largest_remainder",
    "apportion_hierarchy",
    "Tree",
    "Basis",
    "to_units",
    "from_units",
]

Weight = int | float | Fraction | Decimal

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


# --------------------------------------------------------------------------------------------
# the vectorised engine: a fixed tree, weights prepared once, many totals at once
# --------------------------------------------------------------------------------------------

#: What each level is called in messages.
LEVEL_NAMES = {
    "england": "England",
    "region": "region",
    "icb": "ICB",
    "subicb": "sub-ICB",
    "place": "place",
}
_FLOAT_T = 2**53  # totals below this are exact as float64
_FLOAT_W_BITS = 1000  # exact weight sums below 2**1000 convert to float64 without overflow
_REL = 2.0**-48  # error allowance per unit of quota; the proven bound is 2**-50


def _name(level: str) -> str:
    return LEVEL_NAMES.get(level, level)


@dataclass(frozen=True, eq=False)
class Tree:
    """A fixed hierarchy: node codes level by level (top first) and each node's parent.

    Level 0 is the single root. Within a level, nodes are grouped by parent (in the parent
    level's order), codes ascending within a parent, so each parent's children are one
    contiguous run `start[k][p] : start[k][p + 1]`. Built once per geography; reused for every
    basis and every figure.
    """

    levels: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]
    parent: tuple[np.ndarray, ...]  # parent[k][i]: index in level k - 1 (parent[0] is empty)
    start: tuple[np.ndarray, ...]  # start[k]: len(codes[k - 1]) + 1 offsets (start[0] unused)

    @classmethod
    def from_paths(
        cls, levels: Sequence[str], paths: Iterable[Sequence[str]], root: str = "england"
    ) -> Tree:
        """Build from one (leaf, parent, ..., child of root) code path per leaf, any order.

        Raises ValueError for a leaf listed twice or a node under two parents, TypeError for
        a code that is not a str.
        """
        levels = tuple(levels)
        depth = len(levels) - 1
        up: list[dict[str, str]] = [{} for _ in range(depth)]  # up[j]: level depth-j -> parent
        for path in paths:
            path = tuple(path)
            if len(path) != depth:
                raise ValueError(f"each path must name {depth} codes, got {path!r}")
            leaf, over = path[0], path[1] if depth > 1 else root
            if leaf in up[0]:
                raise ValueError(
                    f"{_name(levels[-1])} {leaf!r} is listed twice (under "
                    f"{_name(levels[-2])} {up[0][leaf]!r} and {_name(levels[-2])} {over!r})"
                )
            for j, code in enumerate(path):
                above = path[j + 1] if j + 1 < depth else root
                known = up[j].setdefault(code, above)
                if known != above:
                    child, parent = _name(levels[depth - j]), _name(levels[depth - j - 1])
                    raise ValueError(
                        f"{child} {code!r} is under two {parent}s: {known!r} and {above!r}"
                    )
        for j in range(depth):
            for code in up[j]:
                if type(code) is not str:
                    raise TypeError(
                        f"{_name(levels[depth - j])} code must be str, not "
                        f"{type(code).__name__} ({code!r})"
                    )
        codes: list[tuple[str, ...]] = [(root,)]
        parent: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        start: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        for k in range(1, depth + 1):
            index = {c: i for i, c in enumerate(codes[k - 1])}
            nodes = sorted(up[depth - k].items(), key=lambda cp: (index[cp[1]], cp[0]))
            par = np.fromiter((index[p] for _, p in nodes), dtype=np.int64, count=len(nodes))
            codes.append(tuple(c for c, _ in nodes))
            parent.append(par)
            sizes = np.bincount(par, minlength=len(codes[k - 1]))
            start.append(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))
        return cls(levels, tuple(codes), tuple(parent), tuple(start))

    @property
    def leaves(self) -> tuple[str, ...]:
        return self.codes[-1]

    def parent_codes(self, k: int) -> list[str | None]:
        """The parent's code of every node of level `k` (None for the root)."""
        if k == 0:
            return [None]
        up = self.codes[k - 1]
        return [up[p] for p in self.parent[k].tolist()]

    def weigh(self, weights: Mapping[str, Weight]) -> Basis:
        """Prepare one weight per leaf (every leaf exactly once) for splitting any total."""
        if len(weights) != len(self.leaves) or not all(c in weights for c in self.leaves):
            missing = set(self.leaves) - weights.keys()
            extra = weights.keys() - set(self.leaves)
            raise ValueError(
                f"weights must cover the leaves exactly: missing {_preview(missing)}, "
                f"unknown {_preview(extra)}"
            )
        values = [weights[c] for c in self.leaves]
        w: list[np.ndarray] = [np.zeros(0)] * len(self.levels)
        w[-1] = _exact_array(values, self.leaves)
        for k in range(len(self.levels) - 1, 0, -1):
            if len(w[k]) == 0:
                w[k - 1] = np.zeros(len(self.codes[k - 1]), dtype=np.int64)
                continue
            sums = np.add.reduceat(w[k], self.start[k][:-1])
            if sums.dtype == np.int64 and w[k].sum(dtype=np.float64) >= 2.0**62:
                sums = np.add.reduceat(w[k].astype(object), self.start[k][:-1])  # no overflow
            w[k - 1] = sums
        return Basis(self, tuple(w))


def _exact_array(values: list, codes: Sequence[str]) -> np.ndarray:
    """The leaves' weights as exact integers on one common scale (as `_integer_weights`):
    int64 when they and their total fit, else Python ints in an object array. Floats, the
    usual case, are decomposed with frexp instead of one Fraction each."""
    if values and all(type(v) is float for v in values):
        arr = np.array(values, dtype=np.float64)
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            _ratio(codes[j], values[j])  # raises the usual message
        mant, exp = np.frexp(arr)
        m = (mant * 2.0**53).astype(np.int64)  # exact: w = m * 2**(exp - 53)
        e = exp.astype(np.int64) - 53
        nz = m != 0
        if nz.any():
            tz = _trailing_zeros(m[nz])
            k = max(0, int((-(e[nz] + tz)).max()))  # the reduced denominators' lcm is 2**k
        else:
            k = 0
        shift = np.where(nz, e + k, 0)  # >= -trailing zeros, so m * 2**shift is whole
        top = int((shift[nz] + 53).max()) if nz.any() else 0
        if top + max(len(values), 1).bit_length() < 62:
            pos = np.maximum(shift, 0)
            return np.where(shift >= 0, m << pos, m >> np.maximum(-shift, 0))
        return np.array(
            [
                (mi << si) if si >= 0 else (mi >> -si)
                for mi, si in zip(m.tolist(), shift.tolist(), strict=True)
            ]
            + [0] * 0,
            dtype=object,
        )
    exact = _integer_weights(dict(zip(codes, values, strict=True)))
    ints = [exact[c] for c in codes]
    if all(x < 2**62 for x in ints) and sum(ints) < 2**62:
        return np.array(ints, dtype=np.int64)
    return np.array(ints + [0], dtype=object)[:-1]


def _trailing_zeros(m: np.ndarray) -> np.ndarray:
    """Trailing zero bits of positive int64 values."""
    low = m & -m  # lowest set bit
    return np.log2(low.astype(np.float64)).astype(np.int64)  # a power of two: exact


@dataclass(frozen=True, eq=False)
class Basis:
    """Exact integer weights of every node of a `Tree` (a parent's is its children's sum),
    with the float64 arrays the vectorised split estimates quotas from."""

    tree: Tree
    weight: tuple[np.ndarray, ...]  # per level, aligned with tree.codes: int64 or Python ints

    @cached_property
    def national(self) -> int:
        return int(self.weight[0][0])

    @cached_property
    def share(self) -> tuple[np.ndarray, ...]:
        """Unrounded share of the root per node (correctly rounded int / int); 0 if all zero."""
        n = self.national
        out = []
        for ws in self.weight:
            if not n:
                out.append(np.zeros(len(ws)))
            elif ws.dtype == np.int64 and n < _FLOAT_T:
                out.append(ws.astype(np.float64) / float(n))  # exact operands: same rounding
            else:
                out.append(np.array([int(x) / n for x in ws], dtype=np.float64))
        return tuple(out)

    @cached_property
    def _estimate(self) -> tuple[bool, tuple, tuple, tuple]:
        """(usable, ratio, whole, zero) per level: w / W_parent as float64 (0 where W = 0),
        children equal to their parent's weight, and zero weights (both exact cases)."""
        if self.national.bit_length() > _FLOAT_W_BITS:
            return False, (), (), ()
        ratio, whole, zero = [np.zeros(1)], [np.ones(1, bool)], [np.zeros(1, bool)]
        floats = [ws.astype(np.float64) for ws in self.weight]  # correctly rounded
        for k in range(1, len(self.weight)):
            par = self.tree.parent[k]
            wk, wp = floats[k], floats[k - 1][par]
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(wp > 0, wk / np.where(wp > 0, wp, 1.0), 0.0)
            is_zero = self.weight[k] == 0
            ratio.append(r)
            whole.append(np.asarray(self.weight[k] == self.weight[k - 1][par], bool) & ~is_zero)
            zero.append(np.asarray(is_zero, bool))
        return True, tuple(ratio), tuple(whole), tuple(zero)

    def split(self, totals: Sequence[int]) -> list[np.ndarray]:
        """Round each total top-down; units per level as int64 arrays (len(totals), nodes).

        Raises ValueError for a negative total, or a total > 0 when every weight is zero.
        """
        ts = [_check_total(t) for t in totals]
        if any(ts) and not self.national:
            raise ValueError(
                f"cannot apportion {max(ts)} units: every "
                f"{_name(self.tree.levels[-1])} weight is zero ({len(self.tree.leaves)} "
                f"{_name(self.tree.levels[-1])}s)"
            )
        if max(ts, default=0) >= 2**63:
            raise ValueError(f"total {max(ts)} is too large (at most 2**63 - 1 units)")
        return self.split_below(0, np.array(ts, dtype=np.int64).reshape(len(ts), 1))

    def split_below(self, level: int, units: np.ndarray) -> list[np.ndarray]:
        """Given whole units of every node of `level` (int64, shape (m, nodes)), round them
        down through every level below; returns the units of `level` and each level below.

        This is how places are split from their parents' already rounded figures, which
        therefore do not change. Raises ValueError for a node with units but no weight.
        """
        units = np.asarray(units, dtype=np.int64)
        if (units < 0).any():
            raise ValueError("units must not be negative")
        weights = self.weight[level]
        empty = [
            self.tree.codes[level][j]
            for j in np.flatnonzero(units.any(axis=0)).tolist()
            if weights[j] == 0 and level + 1 < len(self.tree.levels)
        ]
        if empty:
            raise ValueError(
                f"cannot split the units of {_name(self.tree.levels[level])} "
                f"{_preview(empty)}: every weight below it is zero"
            )
        usable = self._estimate[0] and (units.max(initial=0) < _FLOAT_T)
        out = [units]
        for k in range(level + 1, len(self.tree.levels)):
            step = self._level_estimated if usable else self._level_exact
            out.append(step(k, out[-1]))
        return out

    # -- one level ------------------------------------------------------------------------

    def _level_exact(self, k: int, parent_units: np.ndarray) -> np.ndarray:
        """Every parent's split with exact integers (the reference method, no estimate)."""
        tree, w, wp = self.tree, self.weight[k], self.weight[k - 1]
        out = np.zeros((parent_units.shape[0], len(tree.codes[k])), dtype=np.int64)
        codes = tree.codes[k]
        for i, row in enumerate(parent_units.tolist()):
            for p, t in enumerate(row):
                lo, hi = int(tree.start[k][p]), int(tree.start[k][p + 1])
                got = _split(t, {codes[j]: int(w[j]) for j in range(lo, hi)}, int(wp[p]))
                out[i, lo:hi] = [got[codes[j]] for j in range(lo, hi)]
        return out

    def _level_estimated(self, k: int, parent_units: np.ndarray) -> np.ndarray:
        """Every parent's split at once from float64 quota estimates, exact where in doubt."""
        tree = self.tree
        _, ratio, whole, zero = self._estimate
        par, start = tree.parent[k], tree.start[k]
        n, m = len(par), parent_units.shape[0]
        if n == 0 or m == 0:
            return np.zeros((m, n), dtype=np.int64)
        t_child = parent_units[:, par]  # (m, n) int64
        x = t_child.astype(np.float64) * ratio[k]
        q = np.floor(x)
        f = x - q  # exact in floating point
        slack = x * _REL
        doubt = ((f < slack) | (1.0 - f < slack)) & ~whole[k] & ~zero[k]
        if doubt.any():
            w, wp = self.weight[k], self.weight[k - 1]
            for i, j in zip(*np.nonzero(doubt), strict=True):
                t, p = int(t_child[i, j]), int(par[j])
                qq, r = divmod(t * int(w[j]), int(wp[p]))
                q[i, j] = qq
                f[i, j] = r / int(wp[p])
        units = q.astype(np.int64)
        left = parent_units - np.add.reduceat(units, start[:-1], axis=1)  # (m, P)
        # rank children by estimated remainder within each parent; parents keep their places
        order = np.argsort(-f, axis=-1)
        by_parent = par[order].astype(np.uint16 if len(start) <= 2**16 else np.int64)
        order = np.take_along_axis(order, np.argsort(by_parent, axis=-1, kind="stable"), axis=-1)
        rank = np.arange(n) - start[par]  # position within its parent, by sorted position
        won = rank[None, :] < left[:, par]
        plus = np.zeros((m, n), dtype=np.int64)
        np.put_along_axis(plus, order, won.astype(np.int64), axis=1)
        # where the last child given a unit and the first not given one are within 2e, decide
        # the uncertain window exactly
        sizes = np.diff(start)
        open_ = (left > 0) & (left < sizes[None, :])
        if open_.any():
            fs = np.take_along_axis(f, order, axis=1)
            cut = np.clip(start[:-1][None, :] + left - 1, 0, max(n - 2, 0))
            gap = np.take_along_axis(fs, cut, axis=1) - np.take_along_axis(fs, cut + 1, axis=1)
            near = open_ & ~(gap > 2.0 * parent_units.astype(np.float64) * _REL)
            for i, p in zip(*np.nonzero(near), strict=True):
                lo, hi = int(start[p]), int(start[p + 1])
                idx = order[i, lo:hi]
                won_exact = self._window(
                    k, int(parent_units[i, p]), p, fs[i, lo:hi], idx, left[i, p]
                )
                plus[i, idx] = 0
                plus[i, won_exact] = 1
        return units + plus

    def _window(
        self, k: int, t: int, p: int, est: np.ndarray, idx: np.ndarray, left: int
    ) -> list[int]:
        """The children of parent `p` (sorted by estimate) that get a leftover unit: those
        above the uncertain window for certain, then the window ranked exactly."""
        w, wp, codes = self.weight[k], int(self.weight[k - 1][p]), self.tree.codes[k]
        clean = np.flatnonzero(est[:-1] - est[1:] > 2.0 * t * _REL) + 1  # certain cuts
        a = int(clean[clean <= left].max(initial=0))
        b = int(clean[clean >= left].min(initial=len(idx)))
        window = sorted(
            (int(j) for j in idx[a:b]),
            key=lambda j: (-(t * int(w[j]) % wp), -int(w[j]), codes[j]),
        )
        return [int(j) for j in idx[:a]] + window[: left - a]


Leaf = tuple[str, str, str, Weight]  # (subicb_code, icb_code, region_code, weight)


def apportion_hierarchy(
    total_units: int, leaves: Iterable[Leaf], *, england_code: str = "england"
) -> Allocation:
    """Round `total_units` top-down England -> region -> ICB -> sub-ICB by largest remainder.

    `leaves` are (subicb_code, icb_code, region_code, weight) rows, in any order. A region's or
    ICB's weight is the exact sum of its sub-ICBs' weights. Raises ValueError for a sub-ICB
    listed twice, an ICB under two regions, a negative weight or total, or total > 0 with every
    weight zero. One figure on a new tree; for many figures build a `Tree` once and split
    them together with `Basis.split`.
    """
    total = _check_total(total_units)
    paths, raw = [], {}
    for row in leaves:
        try:
            sub, icb, region, w = row
        except (TypeError, ValueError):
            raise ValueError(
                f"each leaf must be (subicb, icb, region, weight), got {row!r}"
            ) from None
        paths.append((sub, icb, region))
        raw[sub] = w
    tree = Tree.from_paths(LEVELS, paths, root=england_code)
    basis = tree.weigh(raw)
    units = basis.split([total])
    return Allocation(
        total=total,
        england_code=england_code,
        units={
            lv: dict(zip(tree.codes[k], units[k][0].tolist(), strict=True))
            for k, lv in enumerate(LEVELS)
        },
        parent={
            lv: dict(zip(tree.codes[k], tree.parent_codes(k), strict=True))
            for k, lv in enumerate(LEVELS)
        },
        weight={
            lv: dict(zip(tree.codes[k], basis.weight[k].tolist(), strict=True))
            for k, lv in enumerate(LEVELS)
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
