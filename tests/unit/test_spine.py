"""The spine: every split ambition reconciles exactly at every level, every year."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool import vocab
from mhtool.catalogue.load import load_catalogue
from mhtool.spine import SCHEMA, build_spine, organisations

SPLIT = pl.col("share").is_not_null() & (pl.col("kind") != "rate")


@pytest.fixture(scope="module")
def spine() -> pl.DataFrame:
    return build_spine(load_catalogue(), geography="2022", population_year=2020)


def _children_sum(spine: pl.DataFrame, child: str, parent: str) -> pl.DataFrame:
    """Per parent org, ambition and year: its value and the sum of its children's values."""
    kids = (
        spine.filter(pl.col("level") == child)
        .group_by("parent_code", "ambition_id", "year")
        .agg(pl.col("value").sum().alias("children"), pl.len().alias("n"))
    )
    return spine.filter(pl.col("level") == parent).join(
        kids,
        left_on=["org_code", "ambition_id", "year"],
        right_on=["parent_code", "ambition_id", "year"],
        how="inner",
    )


def test_schema_is_the_contract(spine):
    assert spine.columns == list(SCHEMA)
    assert dict(spine.schema) == SCHEMA


def test_every_split_ambition_sums_to_the_national_figure_at_every_level(spine):
    split = spine.filter(
        pl.col("ambition_id").is_in(
            spine.filter(SPLIT & (pl.col("level") == "subicb"))["ambition_id"].unique().implode()
        )
    )
    assert split["ambition_id"].n_unique() >= 20
    for child, parent, n_children in (
        ("region", "england", 7),
        ("icb", "region", 42),
        ("subicb", "icb", 106),
    ):
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


def test_national_only_lines_have_only_an_england_row(spine):
    cat = load_catalogue()
    checked = 0
    for amb in cat.ambitions:
        if amb.national_only or (not amb.targets and amb.category == "targeted"):
            rows = spine.filter(pl.col("ambition_id") == amb.id)
            figures = sum(yv.value is not None for yv in amb.values)
            assert rows.height == figures, amb.id
            assert set(rows["level"]) == {"england"}, amb.id
            checked += 1
    assert checked >= 8


def test_organisations_tree():
    orgs = organisations("2026")
    counts = orgs.group_by("level").len()
    assert dict(counts.iter_rows()) == {"england": 1, "region": 7, "icb": 36, "subicb": 106}


@pytest.mark.parametrize("total", ["FUN-01", "WF-01"])
def test_parts_and_other_line_add_up_to_the_total_for_every_organisation(spine, total):
    cat = load_catalogue()
    parts = [a.id for a in cat.ambitions if total in (a.part_of, a.remainder_of)]
    assert len(parts) >= 4
    rows = spine.filter(pl.col("ambition_id").is_in([total, *parts]))
    wide = rows.pivot(on="ambition_id", index=["level", "org_code", "year"], values="value")
    wide = wide.drop_nulls()
    assert wide.height > 150 * 3
    gap = (wide[total] - sum(wide[p] for p in parts)).abs()
    assert gap.max() < 1e-6


def test_england_carries_the_catalogues_national_figures(spine):
    cat = load_catalogue()
    england = spine.filter(pl.col("level") == "england")
    got = {(a, y): v for a, y, v in england.select("ambition_id", "year", "value").iter_rows()}
    want = {
        (a.id, yv.year): yv.value for a in cat.ambitions for yv in a.values if yv.value is not None
    }
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key


def test_targeted_split_goes_only_to_the_named_systems(tmp_path):
    from dataclasses import replace

    from mhtool.spine import basis_label

    cat = load_catalogue()
    smi = cat.get("SMI-03")
    targeted = replace(smi, category="targeted", targets=("QHM", "QOQ"))
    cat = replace(cat, ambitions=(targeted,))
    spine = build_spine(cat)
    year = spine.filter(pl.col("year") == "2023/24")
    icbs = year.filter(pl.col("level") == "icb")
    assert set(icbs.filter(pl.col("value") > 0)["org_code"]) == {"QHM", "QOQ"}
    assert icbs["value"].sum() == 55_000
    assert year.filter(pl.col("level") == "subicb")["value"].sum() == 55_000
    label = basis_label(targeted.basis, targets=targeted.targets)
    assert set(year["basis"]) == {label} == {"mh_need (targeted: QHM, QOQ)"}
    assert set(year["basis_name"]) == {"mh_need"}
    assert set(year["split_method"]) == {vocab.TARGETED}


def test_no_share_is_nan_or_out_of_range(spine):
    shares = spine["share"].drop_nulls()
    assert not shares.is_nan().any()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()


def test_basis_names_come_from_the_structured_columns():
    from mhtool.run.pipeline import used_bases

    rows = pl.DataFrame(
        {
            "basis_name": ["mh_need", "births_proxy", "mh_need", "", "sum_basis"],
            "split_method": [
                vocab.TARGETED,
                vocab.BY_BASIS,
                vocab.BY_BASIS,
                vocab.NATIONAL_ONLY,
                vocab.SUM_OF_PARTS,
            ],
        }
    )
    assert used_bases(rows) == {"mh_need", "births_proxy"}


def test_every_row_says_how_it_was_split(spine):
    assert set(spine["split_method"].unique()) <= set(vocab.SPLIT_METHODS)
    assert set(spine["unit_kind"].unique()) <= set(vocab.UNIT_KINDS)
    carried = spine.filter(pl.col("kind").is_in(vocab.CARRIED_KINDS))
    assert set(carried["split_method"]) <= {vocab.STANDARD, vocab.NATIONAL_ONLY}
    totals = spine.filter(pl.col("split_method") == vocab.SUM_OF_PARTS)
    assert totals["basis"].str.starts_with("sum of ").all()
