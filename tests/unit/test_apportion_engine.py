"""The vectorised engine (`Tree`, `Basis.split`) against the exact reference.

`fixtures.apportion_reference` is the engine as it was before vectorising: every quota and
remainder computed with Python integers, one dict per split. The vectorised engine must give
identical units on random trees, weights and totals, including the cases built to defeat its
float64 estimates: equal weights (every remainder ties), quotas that are whole numbers, weights
a unit apart among huge ones, floats of wildly different sizes, totals near 2**53 and beyond.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from fixtures import apportion_reference as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhtool.apportion import LEVELS, Tree, apportion_hierarchy

CASES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

weights_any = st.one_of(
    st.integers(0, 10),  # small: many ties and zeros
    st.integers(0, 2**40),
    st.just(7),  # repeated: equal weights tie on remainder and weight
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(1e-300, 1e-290),
    st.fractions(min_value=0, max_value=1000, max_denominator=97),
)
totals_any = st.one_of(
    st.integers(0, 50),
    st.integers(0, 10**7),
    st.integers(2**52 - 1000, 2**53 + 1000),  # around the float64 limit
    st.integers(2**53, 2**62),  # exact path
)


@st.composite
def hierarchies(draw, ncodes=3, max_leaves=40):
    """(paths, weights): one (leaf, parent, ..., top) path of `ncodes` codes per leaf, the
    groups nested (group g at one level sits in g // 2 at the next) so no node has two
    parents, and a weight per leaf."""
    n = draw(st.integers(1, max_leaves))
    fan = draw(st.integers(1, 6))
    paths, weights = [], {}
    for i in range(n):
        g = draw(st.integers(0, fan))
        leaf = f"L{i:03d}"
        paths.append((leaf, *(f"G{d}_{g // 2 ** (d - 1)}" for d in range(1, ncodes))))
        weights[leaf] = draw(weights_any)
    return paths, weights


def _reference_split(levels, paths, weights, total, root="R"):
    """Top-down largest remainder with the reference engine's exact splitter, any depth."""
    depth = len(levels) - 1
    children: dict[str, list[str]] = {}
    for path in paths:
        chain = list(path) + [root]
        for j in range(depth):
            kids = children.setdefault(chain[j + 1], [])
            if chain[j] not in kids:
                kids.append(chain[j])
    exact = ref._integer_weights(weights)
    w: dict[str, int] = dict(exact)

    def weigh(code):
        if code not in w:
            w[code] = sum(weigh(c) for c in children[code])
        return w[code]

    weigh(root)
    units = {root: total}
    frontier = [root]
    while frontier:
        nxt = []
        for code in frontier:
            kids = children.get(code)
            if not kids:
                continue
            got = ref._split(units[code], {c: w[c] for c in kids}, w[code])
            units.update(got)
            nxt += kids
        frontier = nxt
    return units


def _engine_units(tree, basis, totals):
    out = basis.split(totals)
    return [
        {
            c: int(v)
            for k in range(len(tree.levels))
            for c, v in zip(tree.codes[k], out[k][i], strict=True)
        }
        for i in range(len(totals))
    ]


@CASES
@given(hierarchies(ncodes=3), st.lists(totals_any, min_size=1, max_size=4))
def test_hierarchy_identical_to_reference(h, totals):
    paths, weights = h
    leaves = [(*p, weights[p[0]]) for p in paths]
    for total in totals:
        if total and not any(Fraction(w) for w in weights.values()):
            with pytest.raises(ValueError):
                apportion_hierarchy(total, leaves)
            continue
        new, old = apportion_hierarchy(total, leaves), ref.apportion_hierarchy(total, leaves)
        assert new.units == old.units
        assert new.parent == old.parent
        assert new.weight == old.weight
        assert new.share == old.share


@CASES
@given(hierarchies(ncodes=4), st.lists(totals_any, min_size=1, max_size=5))
def test_many_totals_at_once_any_depth(h, totals):
    """Five levels (a place level below sub-ICB), several totals in one call."""
    paths, weights = h
    if not any(Fraction(w) for w in weights.values()):
        totals = [0 for _ in totals]
    levels = (*LEVELS, "place")
    tree = Tree.from_paths(levels, paths, root="R")
    basis = tree.weigh(weights)
    got = _engine_units(tree, basis, totals)
    for i, total in enumerate(totals):
        assert got[i] == _reference_split(levels, paths, weights, total)
    # the estimate-free path agrees too
    units = [np.array([totals], dtype=np.int64).reshape(len(totals), 1)]
    for k in range(1, len(levels)):
        units.append(basis._level_exact(k, units[-1]))
    for k in range(len(levels)):
        assert (units[k] == basis.split(totals)[k]).all()


def test_estimates_defeated_and_still_exact():
    """Equal weights (every remainder ties: decided by code), whole-number quotas, and weights
    one apart among 2**45-sized ones: the float estimates cannot decide, the exact step does."""
    big = 2**45
    cases = [
        {f"s{i}": 7 for i in range(30)},
        {f"s{i}": big + i for i in range(30)},
        {f"s{i}": (i % 3) * 1000 for i in range(30)},
        {f"s{i}": 0.1 * (i + 1) for i in range(30)},
    ]
    for weights in cases:
        paths = [(c, f"i{j % 4}", f"r{j % 2}") for j, c in enumerate(weights)]
        leaves = [(*p, weights[p[0]]) for p in paths]
        for total in (0, 1, 29, 30, 31, 1000, 3 * 10**9 + 7, 2**53 - 1, 2**53, 2**61):
            assert (
                apportion_hierarchy(total, leaves).units
                == ref.apportion_hierarchy(total, leaves).units
            )


def test_tree_rejects_bad_paths():
    with pytest.raises(ValueError, match="place 'p1' is listed twice"):
        Tree.from_paths((*LEVELS, "place"), [("p1", "s1", "i1", "r1"), ("p1", "s2", "i1", "r1")])
    with pytest.raises(ValueError, match="sub-ICB 's1' is under two ICBs"):
        Tree.from_paths((*LEVELS, "place"), [("p1", "s1", "i1", "r1"), ("p2", "s1", "i2", "r1")])
    tree = Tree.from_paths(LEVELS, [("s1", "i1", "r1")])
    with pytest.raises(ValueError, match="cover the leaves"):
        tree.weigh({"s2": 1})
    with pytest.raises(ValueError, match="every sub-ICB weight is zero"):
        tree.weigh({"s1": 0}).split([5])


@CASES
@given(
    st.lists(
        st.one_of(
            st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
            st.floats(0, 1e-300),
            st.integers(0, 2**60).map(float),
            st.just(0.1),
        ),
        min_size=1,
        max_size=30,
    ),
    totals_any,
)
def test_float_weights_scaled_as_reference(ws, total):
    """Floats (what bases give) take a vectorised route to exact integers: same scale, same
    shares and units as one Fraction per weight."""
    leaves = [(f"s{j:02d}", f"i{j % 4}", f"r{j % 2}", w) for j, w in enumerate(ws)]
    if total and not any(ws):
        total = 0
    new, old = apportion_hierarchy(total, leaves), ref.apportion_hierarchy(total, leaves)
    assert new.weight == old.weight
    assert new.units == old.units
    tree = Tree.from_paths(LEVELS, [leaf[:3] for leaf in leaves])
    basis = tree.weigh({leaf[0]: leaf[3] for leaf in leaves})
    for k, level in enumerate(LEVELS):
        assert basis.share[k].tolist() == [old.share[level][c] for c in tree.codes[k]]
