"""Place rows of the planning export: each month of a parent split among its places adds
up exactly to the parent's month, a place's March (or its twelve in-year months) stands
for its own figure, and no month is negative (random parents and places, every rule)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from mhtool.outputs.planning import write as planning
from mhtool.planning import profile
from mhtool.planning.spec import PlanningRef, PlanningSpec

RULES = ("rolling_12m", "point_in_time", "quarterly", "in_year_cumulative")
YEARS = ("2022/23", "2023/24")


@st.composite
def parents(draw):
    """One parent's places: (rule, each place's figure last year and this year)."""
    rule = draw(st.sampled_from(RULES))
    n = draw(st.integers(1, 8))
    figures = draw(
        st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=n, max_size=n)
    )
    return rule, figures


def _rows(figures):
    return pl.DataFrame(
        [
            {
                "org_code": f"P{i}",
                "parent_code": "S1",
                "ambition_id": "A01",
                "kind": "count",
                "measure": "activity",
                "year": year,
                "value": float(v),
            }
            for i, pair in enumerate(figures)
            for year, v in zip(YEARS, pair, strict=True)
        ]
    )


@settings(max_examples=300, deadline=None)
@given(case=parents())
def test_places_add_up_to_their_parent_every_month(case):
    rule, figures = case
    spec = PlanningSpec(refs={"A01": PlanningRef("A01", rule)})
    last, this = (sum(f[k] for f in figures) for k in (0, 1))
    parent = {
        ("S1", "A01", YEARS[0]): profile.months(rule, float(last), None, True),
        ("S1", "A01", YEARS[1]): profile.months(rule, float(this), float(last), True),
    }
    got = planning.place_months(_rows(figures), parent, spec)
    for year, k in zip(YEARS, (0, 1), strict=True):
        months = [got[(f"P{i}", "A01", year)] for i in range(len(figures))]
        for m, want in enumerate(parent[("S1", "A01", year)]):
            column = [p[m] for p in months]
            if want is None:
                assert column == [None] * len(figures)
            else:
                assert sum(column) == want and min(column) >= 0
        for i, p in enumerate(months):  # each place's months stand for its own figure
            assert profile.year_figure(rule, p) == figures[i][k]


def test_a_carried_rate_keeps_the_parents_months():
    rows = _rows([(10, 20), (30, 40)]).with_columns(kind=pl.lit("rate"))
    parent = {("S1", "A01", y): [None] * 11 + [55.5] for y in YEARS}
    got = planning.place_months(rows, parent, PlanningSpec())
    assert got[("P1", "A01", YEARS[1])] == [None] * 11 + [55.5]
