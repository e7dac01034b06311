"""The delivery view on a round that starts after the newest publication (a test catalogue
in the Medium Term Planning Framework's shape, on geography 2026): each ICB's 2024/25
Talking Therapies finished courses beside its 2026/27 fair share, on the shipped tables."""

from __future__ import annotations

import polars as pl
import pytest
from fixtures.catalogues import write

from mhtool.catalogue.load import load_catalogue
from mhtool.outputs.views import delivery
from mhtool.refdata import store
from mhtool.spine import build_spine

ROUND = """
[catalogue]
name = "round_2026_29"
years = ["2026/27", "2027/28", "2028/29"]

[[ambition]]
id = "TT-01"
programme = "Talking therapies"
title = "Courses of NHS Talking Therapies finished"
category = "fixed"
kind = "count"
measure = "activity"
unit = "people per year"
unit_kind = "people"
basis = "mh_need"
source = "https://example.org/round"
values = [
  { year = "2026/27", value = 700000, provenance = "stated" },
  { year = "2028/29", value = 760000, provenance = "stated" },
]

[[actual]]
ambition = "TT-01"
label = "Courses finished (NHS Talking Therapies annual reports)"
source = "nhstt"
measure = "finished_course_treatment"
period = "financial year"
"""


@pytest.fixture(scope="module")
def round_delivery(tmp_path_factory):
    cat = load_catalogue(write(tmp_path_factory.mktemp("round"), ROUND))
    spine = build_spine(cat, geography="2026")
    return spine, delivery.build(spine, delivery.specs(cat), "2026")


def test_each_icbs_latest_courses_beside_its_first_years_fair_share(round_delivery):
    spine, d = round_delivery
    icbs = d.filter(pl.col("level") == "icb")
    assert icbs.height == 36 and set(icbs["year"]) == {"2024/25"}
    published = dict(
        store.actuals("nhstt", "2026")
        .filter(
            (pl.col("level") == "icb")
            & (pl.col("year") == "2024/25")
            & (pl.col("measure") == "finished_course_treatment")
        )
        .select("org_code", "value")
        .iter_rows()
    )
    fair = {(c, y): v for c, y, v in spine.select("org_code", "year", "value").iter_rows()}
    for r in icbs.iter_rows(named=True):
        code = r["org_code"]
        assert r["actual_value"] == published[code]
        assert (r["fair_share_year"], r["fair_share"]) == ("2026/27", fair[(code, "2026/27")])
        assert r["fair_share_end"] == fair[(code, "2028/29")]
        growth = 100 * ((r["fair_share_end"] / r["actual_value"]) ** (1 / 4) - 1)
        assert r["growth_a_year_pct"] == round(growth, 1)


def test_england_published_beside_its_regions_and_the_difference_said(round_delivery):
    _, d = round_delivery
    eng = d.filter(pl.col("level") == "england").row(0, named=True)
    regions = d.filter(pl.col("level") == "region")
    assert eng["actual_value"] == 670_419 and eng["actual_from"] == "published"
    assert eng["parts_sum"] == regions["actual_value"].sum()
    assert eng["parts_difference"] == 670_419 - regions["actual_value"].sum()
