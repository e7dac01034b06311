"""Ratings in words, both ways round: more is better for most asks, less for some."""

from __future__ import annotations

import pytest

from mhtool import vocab
from mhtool.assure.compare import Thresholds

LOWER = vocab.LOWER_IS_BETTER


@pytest.mark.parametrize(
    ("pct", "higher", "lower"),
    [
        (50.0, "red", "green"),
        (96.0, "amber", "green"),
        (100.0, "green", "green"),
        (104.0, "green", "amber"),
        (105.0, "green", "amber"),
        (130.0, "green", "red"),
    ],
)
def test_both_directions_with_the_default_band(pct, higher, lower):
    t = Thresholds()
    assert t.rating(pct).startswith(higher)
    assert t.rating(pct, LOWER).startswith(lower)


def test_lower_is_better_mirrors_the_thresholds_given():
    t = Thresholds(80.0, 90.0)
    assert t.rating(95.0, LOWER).startswith("amber (above 90% to 100%")
    assert t.rating(101.0, LOWER).startswith("red (above 100%")


def test_a_zero_fair_share_is_met_only_by_zero_where_less_is_better():
    t = Thresholds()
    assert t.rating(None, LOWER, plan=0.0, fair=0.0).startswith("green")
    assert t.rating(None, LOWER, plan=3.0, fair=0.0).startswith("red")
    assert t.rating(None, plan=3.0, fair=0.0).startswith("not rated")
