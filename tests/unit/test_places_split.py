"""Places split exactly from their parents: hypothesis with random trees, random
practice -> place maps (places inside one sub-ICB, or crossing sub-ICBs and so under the ICB)
and several years at once. The properties are computed here from the inputs, not taken
from the module."""

from __future__ import annotations

import math
from fractions import Fraction

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhtool import apportion, places

CASES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def place_maps(draw):
    n_icb = draw(st.integers(1, 5))
    subs, pracs, place_rows = [], [], []
    for i in range(n_icb):
        icb, region = f"I{i}", f"R{i % 2}"
        n_sub = draw(st.integers(1, 3))
        crossing = n_sub > 1 and draw(st.booleans())
        for s in range(n_sub):
            subs.append((f"S{i}{s}", icb, region))
        n_places = draw(st.integers(1, 4))
        for s in range(n_sub):
            for k in range(draw(st.integers(1, 6))):
                code = f"G{i}{s}{k}"
                j = draw(st.integers(0, n_places - 1))
                place = f"P{i}-{j}" if crossing else f"P{i}{s}-{j}"
                pracs.append((code, place, f"S{i}{s}", icb, region, crossing))
    for _code, place, sub, icb, region, crossing in pracs:
        place_rows.append(
            (place, "icb" if crossing else "subicb", icb if crossing else sub, icb, region)
        )
    practices = pl.DataFrame(
        {"practice_code": [p[0] for p in pracs], "place_code": [p[1] for p in pracs]}
    )
    table = (
        pl.DataFrame(
            place_rows,
            schema=["place_code", "parent_level", "parent_code", "icb_code", "region_code"],
            orient="row",
        )
        .unique("place_code")
        .with_columns(
            pl.col("place_code").alias("place_name"), pl.lit(None, pl.String).alias("ons_code")
        )
        .select(*places.PLACE_COLUMNS, "icb_code", "region_code")
    )
    weight = st.one_of(st.integers(0, 5000).map(float), st.floats(0.5, 1e5), st.just(3.0))
    sub_w = {s[0]: draw(st.floats(1, 1e6)) for s in subs}
    prac_w = {p[0]: draw(weight) for p in pracs}
    # every place parent needs some weight, or it could not take its units
    for parent in {p[2] if not p[5] else p[3] for p in pracs}:
        first = next(p[0] for p in pracs if (p[3] if p[5] else p[2]) == parent)
        prac_w[first] = prac_w[first] or 1.0
    return subs, sub_w, places.Places("user", "t", "t", practices, table), prac_w


@CASES
@given(place_maps(), st.lists(st.integers(0, 10**9), min_size=1, max_size=5))
def test_places_sum_exactly_to_their_parents_every_year(m, totals):
    subs, sub_w, pm, prac_w = m
    tree = apportion.Tree.from_paths(apportion.LEVELS, subs, root="ENG")
    upper = tree.weigh(sub_w)
    units = upper.split(totals)
    pb = places.place_basis(pm, prac_w, upper, "test")
    got = places.split_places(pm, pb, units, upper)
    assert got.shape == (len(totals), pm.places.height)

    level = {lv: k for k, lv in enumerate(tree.levels)}
    pos = {(lv, c): j for lv, k in level.items() for j, c in enumerate(tree.codes[k])}
    place_of = dict(pm.practices.iter_rows())
    w = {p: Fraction(0) for p in pm.places["place_code"]}
    for pr, pw in prac_w.items():
        w[place_of[pr]] += Fraction(pw)
    parent = {r[0]: (r[3], r[4]) for r in pm.places.rows()}
    codes = list(pb.basis.tree.leaves)
    for y in range(len(totals)):
        by_parent: dict = {}
        for j, p in enumerate(codes):
            by_parent.setdefault(parent[p], []).append((p, int(got[y, j])))
        for (lv, pc), kids in by_parent.items():
            parent_units = int(units[level[lv]][y, pos[(lv, pc)]])
            assert sum(n for _, n in kids) == parent_units, (lv, pc)
            wsum = sum(w[p] for p, _ in kids)
            for p, n in kids:
                quota = parent_units * w[p] / wsum
                assert math.floor(quota) <= n <= math.ceil(quota), p
                if w[p] == 0:
                    assert n == 0
    # shares: each parent's places share out the parent's exact share of England
    for (lv, pc), kids in by_parent.items():
        idx = [codes.index(p) for p, _ in kids]
        total = sum(pb.share[idx])
        assert math.isclose(total, upper.share[level[lv]][pos[(lv, pc)]], rel_tol=1e-12)
