"""Tests for mhtool.apportion: hand-computed examples, errors, and hypothesis properties.

The property checkers (`check_split`, `check_allocation`) compute their own exact quotas from
the inputs, never from the module's, and `test_checkers_reject_*` proves they fail on a plain
per-level round() and on a wrong tie-break, so the properties have teeth.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhtool.apportion import (
    LEVELS,
    STEPS,
    Allocation,
    apportion_hierarchy,
    from_units,
    largest_remainder,
    to_units,
)

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TREES = settings(FAST, max_examples=70)  # hierarchy properties: bigger examples


# --------------------------------------------------------------------------------------------
# independent checkers
# --------------------------------------------------------------------------------------------


def check_split(total: int, weights: dict, result: dict) -> None:
    """Largest-remainder invariants, from first principles."""
    exact = {k: Fraction(w) for k, w in weights.items()}
    wsum = sum(exact.values())
    assert set(result) == set(weights)
    assert all(type(v) is int for v in result.values())
    assert sum(result.values()) == total, "total not preserved"
    assert all(v >= 0 for v in result.values()), "negative value"
    for k, w in exact.items():
        if w == 0:
            assert result[k] == 0, f"zero weight {k!r} got {result[k]}"
        quota = total * w / wsum if wsum else Fraction(0)
        assert math.floor(quota) <= result[k] <= math.ceil(quota), (
            f"{k!r}: {result[k]} is not floor/ceil of its quota {quota}"
        )
    # tie-break: larger remainder, then larger weight, then code ascending. Every code that got
    # a leftover unit must rank ahead of every code with a positive remainder that did not.
    if wsum:

        def rank(k):
            q = total * exact[k] / wsum
            return (-(q - math.floor(q)), -exact[k], k)

        up = [k for k in weights if result[k] > total * exact[k] / wsum]
        down = [k for k in weights if result[k] < total * exact[k] / wsum]
        if up and down:
            assert max(map(rank, up)) < min(map(rank, down)), "tie-break order violated"


def check_allocation(total: int, leaves: list, alloc: Allocation) -> None:  # noqa: C901
    """Top-down invariants for a hierarchy, from the leaves."""
    sub_w = {s: Fraction(w) for s, _, _, w in leaves}
    icb_of = {s: i for s, i, _, _ in leaves}
    region_of = {i: r for _, i, r, _ in leaves}
    icb_w = {i: Fraction(0) for i in region_of}
    for s, w in sub_w.items():
        icb_w[icb_of[s]] += w
    region_w = {r: Fraction(0) for r in region_of.values()}
    for i, w in icb_w.items():
        region_w[region_of[i]] += w
    national = sum(region_w.values())

    assert alloc.england == total
    assert set(alloc.subicb) == set(sub_w)
    assert set(alloc.icb) == set(icb_w)
    assert set(alloc.region) == set(region_w)
    for level in LEVELS:
        assert all(type(v) is int and v >= 0 for v in alloc.units[level].values()), level

    # sums exact at every level
    assert sum(alloc.region.values()) == total, "regions do not sum to England"
    for r in region_w:
        assert sum(alloc.icb[i] for i in icb_w if region_of[i] == r) == alloc.region[r], r
    for i in icb_w:
        assert sum(alloc.subicb[s] for s in sub_w if icb_of[s] == i) == alloc.icb[i], i

    # within one unit of the exact quota at the level it was rounded; zero weight -> zero
    def within(units, parent_units, w, parent_w, what):
        quota = parent_units * w / parent_w if parent_w else Fraction(0)
        assert math.floor(quota) <= units <= math.ceil(quota), (
            f"{what}: {units} not floor/ceil of quota {quota}"
        )
        if w == 0:
            assert units == 0, f"{what}: zero weight got {units}"

    for r, w in region_w.items():
        within(alloc.region[r], total, w, national, r)
    for i, w in icb_w.items():
        r = region_of[i]
        within(alloc.icb[i], alloc.region[r], w, region_w[r], i)
    for s, w in sub_w.items():
        i = icb_of[s]
        within(alloc.subicb[s], alloc.icb[i], w, icb_w[i], s)

    # the documented bound against the direct share of England: under one unit per level
    if national:
        for level, ws, bound in (("region", region_w, 1), ("icb", icb_w, 2), ("subicb", sub_w, 3)):
            for c, w in ws.items():
                assert abs(alloc.units[level][c] - total * w / national) < bound, (level, c)

    # exact shares: unrounded, England = 1, parents are sums of children
    sh = alloc.exact_share
    if national:
        assert sh["england"][alloc.england_code] == 1
        for level, ws in (("region", region_w), ("icb", icb_w), ("subicb", sub_w)):
            for c, w in ws.items():
                assert sh[level][c] == w / national
                assert alloc.share[level][c] == float(w / national)
    # the module's own quotas agree with ours
    for s, w in sub_w.items():
        i = icb_of[s]
        assert alloc.quota["subicb"][s] == (alloc.icb[i] * w / icb_w[i] if icb_w[i] else 0)


# --------------------------------------------------------------------------------------------
# the checkers have teeth
# --------------------------------------------------------------------------------------------


def _naive_round_split(total, weights):
    wsum = sum(weights.values())
    return {k: round(total * w / wsum) for k, w in weights.items()}


def test_checkers_reject_plain_round():
    weights = {"a": 1, "b": 1, "c": 1}
    with pytest.raises(AssertionError, match="total not preserved"):
        check_split(10, weights, _naive_round_split(10, weights))


def test_checkers_reject_per_level_round_in_hierarchy():
    leaves = [
        ("s1", "i1", "r1", 1),
        ("s2", "i1", "r1", 1),
        ("s3", "i2", "r1", 1),
        ("s4", "i3", "r2", 1),
        ("s5", "i3", "r2", 1),
        ("s6", "i4", "r3", 1),
    ]
    good = apportion_hierarchy(10, leaves)
    check_allocation(10, leaves, good)
    # same shape, but every level rounded independently against England with round()
    naive = {lv: {c: round(10 * good.exact_share[lv][c]) for c in good.units[lv]} for lv in LEVELS}
    bad = Allocation(10, "england", naive, good.parent, good.weight)
    with pytest.raises(AssertionError):
        check_allocation(10, leaves, bad)


def test_checkers_reject_wrong_tie_break():
    # remainders tie at 1/2; the larger weight ("b") must win, not the first code ("a")
    with pytest.raises(AssertionError, match="tie-break"):
        check_split(2, {"a": 1, "b": 3}, {"a": 1, "b": 1})
    check_split(2, {"a": 1, "b": 3}, {"a": 0, "b": 2})


# --------------------------------------------------------------------------------------------
# largest_remainder: examples
# --------------------------------------------------------------------------------------------


def test_hand_computed():
    # quotas 0.7, 1.4, 2.1, 2.8 -> floors 0,1,2,2 (5); 2 left to remainders .8 (d) and .7 (a)
    assert largest_remainder(7, {"a": 1, "b": 2, "c": 3, "d": 4}) == {
        "a": 1,
        "b": 1,
        "c": 2,
        "d": 3,
    }


def test_exact_split_needs_no_leftover():
    assert largest_remainder(345_000, {"x": 5, "y": 3, "z": 2}) == {
        "x": 172_500,
        "y": 103_500,
        "z": 69_000,
    }


def test_tie_on_remainder_goes_to_larger_weight():
    # quotas 0.5 and 1.5: equal remainders; weight decides even though "a" sorts first
    assert largest_remainder(2, {"a": 1, "b": 3}) == {"a": 0, "b": 2}


def test_full_tie_goes_to_code_ascending():
    assert largest_remainder(10, {"c": 1, "b": 1, "a": 1}) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(2, {"Y63": 7, "01F": 7, "QYG": 7}) == {"01F": 1, "QYG": 1, "Y63": 0}


def test_zero_weight_gets_zero_even_with_leftovers():
    assert largest_remainder(5, {"a": 1, "b": 0, "c": 1}) == {"a": 3, "b": 0, "c": 2}
    assert largest_remainder(1, {"a": 0, "b": 0, "c": Fraction(1, 10**9)}) == {
        "a": 0,
        "b": 0,
        "c": 1,
    }


def test_total_zero_gives_zeros_even_if_all_weights_zero():
    assert largest_remainder(0, {"a": 0, "b": 0}) == {"a": 0, "b": 0}
    assert largest_remainder(0, {"a": 2, "b": 1}) == {"a": 0, "b": 0}
    assert largest_remainder(0, {}) == {}


def test_float_weights_are_exact_so_order_does_not_matter():
    # 0.1 + 0.2 + 0.3 differs by summation order in floating point; here it must not
    w = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 1e-17, "e": 0.7}
    forward = largest_remainder(10**6 + 1, w)
    backward = largest_remainder(10**6 + 1, dict(reversed(list(w.items()))))
    assert forward == backward
    assert largest_remainder(10**6 + 1, {k: Fraction(v) for k, v in w.items()}) == forward


def test_mixed_weight_types():
    res = largest_remainder(100, {"i": 1, "f": 0.5, "q": Fraction(1, 3), "d": Decimal("0.25")})
    check_split(100, {"i": 1, "f": 0.5, "q": Fraction(1, 3), "d": Decimal("0.25")}, res)


@pytest.mark.parametrize(
    "total, weights, message",
    [
        (5, {"a": 0, "b": 0}, "every weight is zero"),
        (5, {}, "every weight is zero"),
        (-1, {"a": 1}, "negative"),
        (5, {"a": 1, "b": -0.5}, "'b' is negative"),
        (5, {"a": Fraction(-1, 3)}, "negative"),
        (5, {"a": float("nan")}, "not finite"),
        (5, {"a": float("inf")}, "not finite"),
        (5, {"a": Decimal("NaN")}, "not finite"),
    ],
)
def test_largest_remainder_value_errors(total, weights, message):
    with pytest.raises(ValueError, match=message):
        largest_remainder(total, weights)


@pytest.mark.parametrize(
    "total, weights",
    [
        (5.0, {"a": 1}),
        (True, {"a": 1}),
        (5, {"a": "1"}),
        (5, {"a": True}),
        (5, {1: 1}),
    ],
)
def test_largest_remainder_type_errors(total, weights):
    with pytest.raises(TypeError):
        largest_remainder(total, weights)


# --------------------------------------------------------------------------------------------
# largest_remainder: properties
# --------------------------------------------------------------------------------------------

codes = st.text(alphabet="0123ABQXY", min_size=1, max_size=3)
weight = st.one_of(
    st.sampled_from([0, 0, 1, 1, 2, 3]),  # many zeros and ties
    st.integers(0, 10**7),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=1000, max_denominator=60),
)
weight_maps = st.dictionaries(codes, weight, min_size=1, max_size=15)
totals = st.one_of(st.integers(0, 20), st.integers(0, 10**7))


def _positive(weights):
    return any(Fraction(w) > 0 for w in weights.values())


@FAST
@given(totals, weight_maps)
def test_split_invariants(total, weights):
    if not _positive(weights):
        total = 0
    check_split(total, weights, largest_remainder(total, weights))


@FAST
@given(totals, weight_maps, st.randoms(use_true_random=False))
def test_split_independent_of_order(total, weights, rnd):
    if not _positive(weights):
        total = 0
    items = list(weights.items())
    rnd.shuffle(items)
    assert largest_remainder(total, dict(items)) == largest_remainder(total, weights)


@FAST
@given(totals, weight_maps, st.integers(1, 1000))
def test_split_scale_invariant_and_monotone(total, weights, k):
    if not _positive(weights):
        total = 0
    res = largest_remainder(total, weights)
    assert largest_remainder(total, {c: Fraction(w) * k for c, w in weights.items()}) == res
    ws = {c: Fraction(w) for c, w in weights.items()}
    for a in ws:
        for b in ws:
            if ws[a] > ws[b]:
                assert res[a] >= res[b]
            elif ws[a] == ws[b]:
                assert abs(res[a] - res[b]) <= 1


@FAST
@given(st.integers(1, 10**6))
def test_all_zero_weights_with_positive_total_raise(total):
    with pytest.raises(ValueError, match="every weight is zero"):
        largest_remainder(total, {"a": 0, "b": 0.0, "c": Fraction(0)})


# --------------------------------------------------------------------------------------------
# the hierarchy: examples
# --------------------------------------------------------------------------------------------

SMALL = [  # (subicb, icb, region, weight)
    ("s1", "i1", "r1", 1),
    ("s2", "i1", "r1", 5),
    ("s3", "i2", "r2", 6),
    ("s4", "i3", "r3", 6),
]


def test_hierarchy_hand_computed_and_known_drawback():
    # regions 6/6/6 of 18: quotas 7/3 each -> 2,2,2 + 1 left, full tie -> r1 (code ascending)
    # r1 = 3 -> i1 = 3; s1/s2 quotas 0.5/2.5 tie on remainder -> larger weight s2 gets it
    a = apportion_hierarchy(7, SMALL)
    assert a.units == {
        "england": {"england": 7},
        "region": {"r1": 3, "r2": 2, "r3": 2},
        "icb": {"i1": 3, "i2": 2, "i3": 2},
        "subicb": {"s1": 0, "s2": 3, "s3": 2, "s4": 2},
    }
    check_allocation(7, SMALL, a)
    # The documented drawback: s2's direct share of England is 7 * 5/18 = 1.94, yet it gets 3,
    # more than one unit away, because it is rounded within i1's rounded 3 (quota 2.5).
    assert a.exact_share["subicb"]["s2"] == Fraction(5, 18)
    assert abs(a.subicb["s2"] - 7 * a.exact_share["subicb"]["s2"]) > 1
    assert a.quota["subicb"]["s2"] == Fraction(5, 2)


def test_hierarchy_accessors():
    a = apportion_hierarchy(100, SMALL, england_code="E92000001")
    assert a.england == 100 and a.units["england"] == {"E92000001": 100}
    assert a.parent["region"] == {"r1": "E92000001", "r2": "E92000001", "r3": "E92000001"}
    assert a.parent["icb"]["i2"] == "r2" and a.parent["subicb"]["s2"] == "i1"
    assert a.children("icb", "i1") == ["s1", "s2"]
    assert a.children("england", "E92000001") == ["r1", "r2", "r3"]
    assert a.share["subicb"]["s1"] == pytest.approx(1 / 18)
    assert a.share["england"]["E92000001"] == 1.0


def test_hierarchy_zero_weight_region_and_empty():
    leaves = SMALL + [("s5", "i4", "r4", 0), ("s6", "i4", "r4", 0.0)]
    a = apportion_hierarchy(11, leaves)
    assert a.region["r4"] == a.icb["i4"] == a.subicb["s5"] == a.subicb["s6"] == 0
    check_allocation(11, leaves, a)
    empty = apportion_hierarchy(0, [])
    assert (
        empty.england == 0 and empty.subicb == {} and empty.exact_share["england"] == {"england": 0}
    )
    zeros = apportion_hierarchy(0, [("s1", "i1", "r1", 0)])
    assert zeros.subicb == {"s1": 0} and zeros.share["subicb"] == {"s1": 0.0}


def test_hierarchy_errors():
    with pytest.raises(ValueError, match="sub-ICB 's1' is listed twice"):
        apportion_hierarchy(5, [("s1", "i1", "r1", 1), ("s1", "i2", "r1", 1)])
    with pytest.raises(ValueError, match="ICB 'i1' is under two regions: 'r1' and 'r2'"):
        apportion_hierarchy(5, [("s1", "i1", "r1", 1), ("s2", "i1", "r2", 1)])
    with pytest.raises(ValueError, match="every sub-ICB weight is zero"):
        apportion_hierarchy(5, [("s1", "i1", "r1", 0), ("s2", "i1", "r1", 0)])
    with pytest.raises(ValueError, match="every sub-ICB weight is zero"):
        apportion_hierarchy(5, [])
    with pytest.raises(ValueError, match="negative"):
        apportion_hierarchy(5, [("s1", "i1", "r1", -1)])
    with pytest.raises(ValueError, match="negative"):
        apportion_hierarchy(-5, [("s1", "i1", "r1", 1)])
    with pytest.raises(ValueError, match="each leaf must be"):
        apportion_hierarchy(5, [("s1", "i1", 1)])
    with pytest.raises(TypeError):
        apportion_hierarchy(5, [("s1", "i1", None, 1)])
    with pytest.raises(TypeError):
        apportion_hierarchy(5.5, [("s1", "i1", "r1", 1)])


def test_wte_reconciles_to_a_tenth():
    step = STEPS["workforce"]
    assert step == Fraction(1, 10)
    units = to_units("12.3", step)
    assert units == 123
    leaves = [(f"s{k}", f"i{k % 3}", f"r{k % 2}", 1.0 + k / 7) for k in range(9)]
    leaves = [(s, i, "r0" if i == "i0" else "r1", w) for s, i, _, w in leaves]
    a = apportion_hierarchy(units, leaves)
    wte = {s: from_units(u, step) for s, u in a.subicb.items()}
    assert all(isinstance(v, Decimal) for v in wte.values())
    assert sum(wte.values()) == Decimal("12.3")
    for i in a.icb:
        assert sum(wte[s] for s in a.children("icb", i)) == from_units(a.icb[i], step)
    assert all(v == v.quantize(Decimal("0.1")) for v in wte.values())


def test_money_reconciles_to_the_pound():
    pounds = to_units(Decimal("2300000000"), STEPS["funding"])
    a = apportion_hierarchy(
        pounds, [("s1", "i1", "r1", 0.37), ("s2", "i1", "r1", 0.41), ("s3", "i2", "r2", 0.22)]
    )
    assert sum(from_units(u) for u in a.subicb.values()) == 2_300_000_000


# --------------------------------------------------------------------------------------------
# the hierarchy: properties
# --------------------------------------------------------------------------------------------


@st.composite
def trees(draw, max_regions=4, max_icbs=4, max_subs=4):
    leaves = []
    n_icb = n_sub = 0
    for r in range(draw(st.integers(1, max_regions))):
        for _ in range(draw(st.integers(1, max_icbs))):
            for _ in range(draw(st.integers(1, max_subs))):
                leaves.append((f"S{n_sub:02d}", f"I{n_icb:02d}", f"R{r}", draw(weight)))
                n_sub += 1
            n_icb += 1
    return leaves


@TREES
@given(totals, trees())
def test_hierarchy_invariants(total, leaves):
    if not any(Fraction(w) > 0 for *_, w in leaves):
        total = 0
    check_allocation(total, leaves, apportion_hierarchy(total, leaves))


@TREES
@given(totals, trees(), st.randoms(use_true_random=False))
def test_hierarchy_independent_of_row_order(total, leaves, rnd):
    if not any(Fraction(w) > 0 for *_, w in leaves):
        total = 0
    shuffled = list(leaves)
    rnd.shuffle(shuffled)
    a, b = apportion_hierarchy(total, leaves), apportion_hierarchy(total, shuffled)
    assert a.units == b.units
    assert a.exact_share == b.exact_share


@FAST
@given(totals, trees(max_regions=2, max_icbs=2, max_subs=3))
def test_hierarchy_of_one_region_one_icb_matches_flat_split(total, leaves):
    # with a single region and ICB, the sub-ICB level is just largest_remainder of England
    leaves = [(s, "I", "R", w) for s, _, _, w in leaves]
    if not any(Fraction(w) > 0 for *_, w in leaves):
        total = 0
    a = apportion_hierarchy(total, leaves)
    assert a.subicb == largest_remainder(total, {s: w for s, *_, w in leaves})


# --------------------------------------------------------------------------------------------
# units
# --------------------------------------------------------------------------------------------


def test_to_units_examples():
    assert to_units(345_000) == 345_000
    assert to_units("12.3", Fraction(1, 10)) == 123
    assert to_units(Decimal("12.30"), "0.1") == 123
    assert to_units(0.3, 0.1) == 3  # floats read as the decimal they print as
    assert to_units(Fraction(7, 2), Fraction(1, 2)) == 7
    assert to_units(1_000_000.0) == 1_000_000


@pytest.mark.parametrize(
    "value, step",
    [
        ("12.35", Fraction(1, 10)),
        (12.35, Fraction(1, 10)),
        (Decimal("0.5"), 1),
        (2.5, 1),
    ],
)
def test_to_units_rejects_part_steps_naming_the_value(value, step):
    with pytest.raises(ValueError, match=str(value).replace(".", r"\.")):
        to_units(value, step)


@pytest.mark.parametrize(
    "value, step, exc",
    [
        (float("nan"), 1, ValueError),
        ("abc", 1, ValueError),
        (5, 0, ValueError),
        (5, -1, ValueError),
        (None, 1, TypeError),
        (True, 1, TypeError),
    ],
)
def test_to_units_bad_input(value, step, exc):
    with pytest.raises(exc):
        to_units(value, step)


def test_from_units_examples():
    assert from_units(5) == 5 and type(from_units(5)) is int
    assert from_units(123, Fraction(1, 10)) == Decimal("12.3")
    assert str(from_units(123, Fraction(1, 10))) == "12.3"
    assert str(from_units(-7, "0.25")) == "-1.75"
    with pytest.raises(ValueError, match="terminating"):
        from_units(1, Fraction(1, 3))
    with pytest.raises(TypeError):
        from_units(1.5, 1)


@FAST
@given(
    st.integers(-(10**12), 10**12),
    st.sampled_from([1, 1000, Fraction(1, 10), Decimal("0.1"), "0.1", 0.1, "0.05", "2.5"]),
)
def test_units_round_trip(n, step):
    value = from_units(n, step)
    assert to_units(value, step) == n
    assert to_units(str(value), step) == n
