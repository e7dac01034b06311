"""Runs with places on the shipped data: every place level sums exactly to its parents for
every ambition and year (and so on up to England), and nothing above the places changes.
Random practice -> place maps of random ICBs (hypothesis) and the built-in PCNs."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mhtool import places, vocab
from mhtool.catalogue.load import load_catalogue
from mhtool.outputs.check import check_sums
from mhtool.spine import build_spine

GEO = "2022"
ABOVE = pl.col("level") != vocab.PLACE


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def plain(catalogue):
    return build_spine(catalogue, geography=GEO)


@pytest.fixture(scope="module")
def table():
    return places.practice_table(GEO)


def _above_unchanged(spine, plain):
    assert spine.filter(ABOVE).equals(plain), "a level above the places changed"


def test_pcn_places_every_count_ambition_every_year(catalogue, plain):
    spine = build_spine(catalogue, geography=GEO, places=places.load("pcn", GEO))
    _above_unchanged(spine, plain)
    assert check_sums(spine) == []
    rows = spine.filter(pl.col("level") == vocab.PLACE)
    assert rows["org_code"].n_unique() == 1305
    counts = plain.filter(pl.col("level") == "subicb", pl.col("kind") == "count")
    assert set(rows.filter(pl.col("kind") == "count")["ambition_id"]) == set(counts["ambition_id"])
    assert "2023/24" in rows["year"].to_list()
    # the check has teeth: one place a unit off is found
    i = rows.with_row_index().filter(pl.col("kind") == "count")["index"][0]
    off = pl.when(pl.int_range(pl.len()) == i).then(pl.col("value") + 1).otherwise("value")
    bad = pl.concat([spine.filter(ABOVE), rows.with_columns(off.alias("value"))])
    assert any("place rows under" in p for p in check_sums(bad))


CASE = st.tuples(
    st.integers(0, 10**6),  # seed
    st.integers(1, 3),  # ICBs covered
    st.integers(1, 12),  # places per sub-ICB (or per ICB when crossing)
    st.booleans(),  # places cross sub-ICB boundaries
    st.integers(0, 5),  # practices left out of every place, per ICB
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=CASE)
def test_random_user_places_sum_to_subicb_icb_region_england(
    tmp_path_factory, catalogue, plain, table, case
):
    seed, n_icb, per, cross, leave = case
    rng = random.Random(seed)
    icbs = rng.sample(sorted(table["icb_code"].unique().to_list()), n_icb)
    rows = []
    for icb in icbs:
        prs = table.filter(pl.col("icb_code") == icb).sort("practice_code").rows(named=True)
        for r in prs[leave:]:
            k = rng.randrange(per)
            code = f"{icb}-{k}" if cross else f"{r['subicb_code']}-{k}"
            rows.append(f"{r['practice_code']},{code},Place {code}")
    path = tmp_path_factory.mktemp("places") / "places.csv"
    path.write_text("practice_code,place_code,place_name\n" + "\n".join(rows) + "\n")
    pm = places.load(path, GEO, "place")
    spine = build_spine(catalogue, geography=GEO, places=pm)
    _above_unchanged(spine, plain)
    assert check_sums(spine) == []
    got = spine.filter(pl.col("level") == vocab.PLACE)
    assert set(got["icb_code"]) == set(icbs)
    assert set(got["org_code"]) == set(pm.places["place_code"])
