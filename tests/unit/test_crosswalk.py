"""Crosswalk search between geography vintages (mhtool.refdata.crosswalk)."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool.errors import InputError
from mhtool.refdata import store
from mhtool.refdata.crosswalk import subicb_flows


def test_same_vintage_maps_each_code_to_itself():
    flows = subicb_flows("2022", "2022", ["01A", "02B"])
    assert flows.rows() == [("01A", "01A", 1.0), ("02B", "02B", 1.0)]


def test_vintages_without_a_direct_crosswalk_are_composed_keeping_every_person():
    direct = store.crosswalk("2021", "2022")["population_mid2020"].sum()
    flows = subicb_flows("2021", "2026", [])  # through 2022
    assert flows["pop"].sum() == pytest.approx(direct, rel=1e-9)
    old = set(store.geography("2021")["subicb_code"])
    new = set(store.geography("2026")["subicb_code"])
    assert set(flows["from_code"]) <= old and set(flows["to_code"]) <= new
    per_old = flows.group_by("from_code").agg(pl.col("pop").sum())
    assert per_old.height == len(old)


def test_unlinked_vintages_are_a_clear_error():
    with pytest.raises(InputError, match="no crosswalk links them"):
        subicb_flows("2022", "1999", [])
