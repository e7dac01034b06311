"""Monthly profiles: March (or the quarter end, or the year's sum) is the apportioned
figure exactly, and counts stay whole in every month."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from mhtool.planning.profile import _step, months, year_figure

counts = st.integers(min_value=0, max_value=10**7)


@given(counts, counts)
def test_rolling_steps_from_last_year_to_march_exactly(prev, cur):
    m = months("rolling_12m", float(cur), float(prev), whole=True)
    assert m[11] == cur and year_figure("rolling_12m", m) == cur
    assert all(float(v).is_integer() for v in m)
    steps = [b - a for a, b in zip([prev, *m[:-1]], m, strict=True)]
    assert all(s >= 0 for s in steps) or all(s <= 0 for s in steps)  # monotone


@given(counts)
def test_in_year_counts_add_up_to_the_year(cur):
    m = months("in_year_cumulative", float(cur), None, whole=True)
    assert sum(m) == cur and year_figure("in_year_cumulative", m) == cur
    assert all(float(v).is_integer() for v in m) and max(m) - min(m) <= 1


@given(counts, counts)
def test_quarterly_fills_quarter_ends_only(prev, cur):
    m = months("quarterly", float(cur), float(prev), whole=True)
    assert [i for i, v in enumerate(m) if v is not None] == [2, 5, 8, 11]
    assert m[11] == cur and all(float(m[i]).is_integer() for i in (2, 5, 8))


def test_without_last_year_only_march_is_given():
    assert months("rolling_12m", 120.0, None, whole=True) == [None] * 11 + [120.0]
    assert months("point_in_time", None, 5.0, whole=True) == [None] * 12


def test_rates_are_not_rounded_to_whole_numbers_and_never_split():
    m = months("point_in_time", 35.0, 34.0, whole=False)
    assert m[0] == round(34 + 1 / 12, 4) and m[11] == 35.0
    assert months("in_year_cumulative", 35.0, 34.0, whole=False) == m


def test_halves_round_up():
    assert months("rolling_12m", 1.0, 0.0, whole=True)[5] == 1.0  # 6/12 = 0.5


def test_a_first_year_with_march_alone_says_why_and_a_range_gives_both_ends():
    from mhtool.outputs.planning.write import line_note

    first = months("rolling_12m", 120.0, None, whole=True)
    assert "first year with a figure" in line_note("rolling_12m", first, "2019/20")
    assert "2019/20" in line_note("rolling_12m", first, "2019/20")
    stepped = months("rolling_12m", 120.0, 60.0, whole=True)
    assert line_note("rolling_12m", stepped, "2020/21") == ""
    quarters = months("quarterly", 120.0, 60.0, whole=True)  # NA months by the layout
    assert line_note("quarterly", quarters, "2020/21") == ""
    assert line_note("quarterly", months("quarterly", 1.0, None, True), "2020/21")
    assert line_note("rolling_12m", [None] * 12, "2020/21") == ""  # no figure at all
    m = months("point_in_time", 20.0, 20.0, whole=False)
    ranged = line_note("point_in_time", m, "2023/24", low=20.0, high=25.0, unit_kind="percent")
    assert ranged == "A range, 20 to 25%: the figures are its lower end."  # ASCII only
    assert line_note("point_in_time", m, "2023/24", low=20.0, high=20.0) == ""


@given(
    st.integers(-(10**12), 10**12),
    st.integers(-(10**12), 10**12),
    st.integers(1, 12),
    st.sampled_from([4, 12]),
)
def test_whole_steps_take_integers_with_the_same_result_as_fractions(prev, cur, k, n):
    x = Fraction(prev) + (Fraction(cur) - Fraction(prev)) * k / n
    assert _step(float(prev), float(cur), k, n, True) == float(math.floor(x + Fraction(1, 2)))
    assert _step(float(prev), float(cur), k, n, False) == round(float(x), 4)
    assert _step(float(prev) + 0.5, float(cur), k, n, True) == float(
        math.floor(Fraction(prev + 0.5) + (cur - Fraction(prev + 0.5)) * k / n + Fraction(1, 2))
    )
