"""The spine: every split ambition reconciles exactly at every level, every year."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool.catalogue import load_catalogue
from mhtool.spine import SCHEMA, build_spine, organisations

SPLIT = pl.col("share").is_not_null() & (pl.col("kind") != "rate")


@pytest.fixture(scope="module")
def spine() -> pl.DataFrame:
    return build_spine(load_catalogue(), geography="2022", population_year=2020)


def _children_sum(spine: pl.DataFrame, child: str, parent: str) -> pl.DataFrame:
    """Per parent org, ambition and year: its value and the sum of its children's values."""
    kids = (spine.filter(pl.col("level") == child)
                 .group_by("parent_code", "ambition_id", "year")
                 .agg(pl.col("value").sum().alias("children"), pl.len().alias("n")))
    return (spine.filter(pl.col("level") == parent)
                 .join(kids, left_on=["org_code", "ambition_id", "year"],
                       right_on=["parent_code", "ambition_id", "year"], how="inner"))


def test_schema_is_the_contract(spine):
    assert spine.columns == list(SCHEMA)
    assert dict(spine.schema) == SCHEMA


def test_every_split_ambition_sums_to_the_national_figure_at_every_level(spine):
    split = spine.filter(pl.col("ambition_id").is_in(
        spine.filter(SPLIT & (pl.col("level") == "subicb"))["ambition_id"].unique().implode()))
    assert split["ambition_id"].n_unique() >= 20
    england = split.filter(pl.col("level") == "england")
    assert (england["value"] == england["national_value"]).all()
    for child, parent, n_children in (("region", "england", 7), ("icb", "region", 42),
                                      ("subicb", "icb", 106)):
        sums = _children_sum(split, child, parent)
        bad = sums.filter((pl.col("children") - pl.col("value")).abs() > 1e-6)
        assert bad.is_empty(), bad.select("ambition_id", "year", "org_code", "value", "children")
        # every parent of every ambition-year was checked, with all its children
        per_year = sums.group_by("ambition_id", "year").agg(pl.col("n").sum())
        assert (per_year["n"] == n_children).all()


def test_people_and_pounds_are_whole_and_staff_are_tenths(spine):
    split = spine.filter(SPLIT)
    whole = split.filter(pl.col("measure").is_in(["activity", "funding"]))
    assert (whole["value"] == whole["value"].round(0)).all()
    wte = split.filter(pl.col("measure") == "workforce")
    assert not wte.is_empty()
    assert ((wte["value"] * 10 - (wte["value"] * 10).round(0)).abs() < 1e-6).all()
    assert (split["value"] >= 0).all()


def test_each_figure_is_close_to_its_unrounded_share(spine):
    """Top-down rounding keeps every org within 3 units of share x national (see apportion)."""
    split = spine.filter(SPLIT & pl.col("measure").is_in(["activity", "funding"]))
    gap = (split["value"] - split["share"] * split["national_value"]).abs()
    assert gap.max() < 3


def test_rates_are_carried_unchanged_by_every_organisation(spine):
    rates = spine.filter(pl.col("kind") == "rate")
    assert not rates.is_empty()
    assert (rates["value"] == rates["national_value"]).all()
    assert rates["share"].is_null().all()
    per = rates.group_by("ambition_id", "year").len()
    # a rate reaches every organisation, or (targeted, no systems named) England alone
    assert set(per["len"]) == {len(organisations("2022")), 1}


def test_national_only_lines_have_only_an_england_row():
    cat = load_catalogue()
    spine = build_spine(cat)
    for amb in cat.ambitions:
        if amb.national_only or (not amb.targets and amb.category == "targeted"):
            rows = spine.filter(pl.col("ambition_id") == amb.id)
            assert set(rows["level"]) <= {"england"}, amb.id


def test_organisations_tree():
    orgs = organisations("2026")
    counts = orgs.group_by("level").len()
    assert dict(counts.iter_rows()) == {"england": 1, "region": 7, "icb": 36, "subicb": 106}
