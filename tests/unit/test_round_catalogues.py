"""The shipped catalogues of the planning rounds after the MHIP (the MTPF 2026/27-2028/29 and
the 2025/26 guidance): every figure held to the line of the source it quotes, the files
valid against the schema, their categories, bases, baselines, geography and data years,
and every count split exactly with targeted asks never split."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import polars as pl
import pytest
from fixtures.catalogues import MINI_HEAD, ONE_AMBITION, write

from mhtool import schema
from mhtool.catalogue.load import load_catalogue, resolve, shipped
from mhtool.catalogue.rules import quoted
from mhtool.errors import InputError
from mhtool.infra.paths import reference_data_dir
from mhtool.spine import build_spine

ROUNDS = ("mtpf_2026_29", "planning_2025_26")
LINES = json.loads((Path(__file__).parents[1] / "fixtures" / "source_lines.json").read_text())
BLOB = re.compile(r"^https://github\.com/([^/]+/[^/]+)/blob/([0-9a-f]{40})/(.+)#L(\d+)$")

#: The national figures as the sources give them (issue text and shared/rounds): the
#: catalogue must carry exactly these, each stated or inferred as shown.
EXPECTED = {
    "mtpf_2026_29": {
        ("NTT-01", "2026/27"): (805000, "stated"),
        ("NTT-01", "2028/29"): (915000, "stated"),
        ("NTT-02", "2026/27"): (51, "stated"),
        ("NTT-02", "2028/29"): (53, "stated"),
        ("NTT-03", "2026/27"): (69, "stated"),
        ("NTT-03", "2028/29"): (71, "stated"),
        ("IPS-01", "2026/27"): (63500, "stated"),
        ("IPS-01", "2028/29"): (73500, "stated"),
        ("MHST-01", "2026/27"): (77, "stated"),
        ("MHST-01", "2028/29"): (94, "stated"),
        ("OAP-01", "2028/29"): (0, "stated"),
        ("LDA-01", "2026/27"): (10, "stated"),
        ("LDA-01", "2027/28"): (10, "stated"),
        ("LDA-01", "2028/29"): (10, "stated"),
        ("MHED-01", "2028/29"): (50, "inferred"),
    },
    "planning_2025_26": {
        ("CYP-01", "2025/26"): (345000, "stated"),
        ("MHIS-01", "2025/26"): (100, "inferred"),
        ("LDA-01", "2025/26"): (10, "stated"),
    },
}


@pytest.fixture(scope="module", params=ROUNDS)
def cat(request):
    return load_catalogue(request.param)


def _doc(name: str) -> dict:
    return tomllib.loads((reference_data_dir() / "catalogues" / f"{name}.toml").read_text())


@pytest.mark.parametrize("name", ROUNDS)
def test_valid_against_the_schema_and_point_editors_at_it(name):
    path = reference_data_dir() / "catalogues" / f"{name}.toml"
    schema.validate(_doc(name), "catalogue", file=path)
    assert path.read_text().splitlines()[0] == (
        "#:schema ../../mhtool/schemas/catalogue.schema.json"
    )


def test_every_figure_is_the_source_figure(cat):
    declared = {(a.id, v.year): (v.value, v.provenance) for a in cat.ambitions for v in a.declared}
    assert declared == EXPECTED[cat.name]


def test_every_figure_held_to_its_source_line(cat):
    """Each figure's quote stands on the line its source names, in the stored copy of that
    line; a stated figure's number is in the quote (an inferred one says how in its note)."""
    checked = 0
    for a in cat.ambitions:
        for v in a.declared:
            repo, commit, path, line = BLOB.match(v.source).groups()
            text = LINES["lines"][f"{repo}@{commit}:{path}"][line]
            assert v.quote and v.quote in text, (a.id, v.year, v.quote, text)
            assert v.where, (a.id, v.year)
            if v.provenance == "stated":
                assert quoted(v.value, v.quote), (a.id, v.year, v.value, v.quote)
            else:
                assert v.note, (a.id, v.year)
            checked += 1
    assert checked == len(EXPECTED[cat.name])


def test_2027_28_is_never_stated_where_the_source_gives_only_its_neighbours():
    cat = load_catalogue("mtpf_2026_29")
    for aid in ("NTT-01", "NTT-02", "NTT-03", "IPS-01", "MHST-01"):
        v = cat.get(aid).value("2027/28")
        assert v.provenance == "interpolated" and v.value is not None
    assert cat.get("NTT-01").value("2027/28").value == 860000
    assert cat.get("IPS-01").value("2027/28").value == 68500
    oap = cat.get("OAP-01")  # a direction in 2026/27, no number: nothing invented
    assert [v.value for v in oap.values] == [None, None, 0]
    assert oap.direction == "lower_is_better" and oap.kind == "standard"


def test_directional_asks_are_standards_with_no_number():
    cat = load_catalogue("planning_2025_26")
    for aid in ("LOS-01", "OAP-01"):
        a = cat.get(aid)
        assert a.kind == "standard" and a.direction == "lower_is_better"
        assert not a.has_national_figure and all(v.value is None for v in a.values)


def test_categories_are_stated_as_mhtools_reading(cat):
    choice = next(c for c in cat.choices if c.id == "categories")
    assert set(choice.ambitions) == {a.id for a in cat.ambitions}
    assert "mhtool's reading" in choice.text and "not targets NHS England issued" in choice.text
    assert "benchmark" in cat.benchmark and "no ICB-level targets" in cat.benchmark
    for a in cat.ambitions:
        assert a.category_source.startswith("mhtool's reading"), a.id
        if a.category == "targeted":  # rollouts to selected areas: never fair-shared
            assert a.national_only and a.kind == "rate" and not a.basis, a.id


def test_bases_chosen_per_ask_and_need_of_the_rounds_year():
    mtpf = load_catalogue("mtpf_2026_29")
    assert mtpf.get("NTT-01").basis == "mh_need_2026_27"
    assert mtpf.bases["mh_need_2026_27"].params["allocation_year"] == "2026/27"
    assert mtpf.get("IPS-01").basis == "smi_register"
    assert load_catalogue("planning_2025_26").get("CYP-01").basis == "population_0_25"


def test_baselines_said_in_both_catalogues():
    plan = load_catalogue("planning_2025_26")
    assert "compared with 2019" in plan.get("CYP-01").title
    assert "vs 2019" in plan.get("CYP-01").unit
    assert "from 2019" in next(c.text for c in plan.choices if c.id == "baselines")
    mhip = next(c.text for c in load_catalogue().choices if c.id == "cyp_baseline")
    assert "counted from 2019/20" in mhip


def test_each_round_declares_its_geography_and_data_years():
    got = {
        p.stem: (c.geography, c.population_year, c.need_year)
        for p in shipped()
        for c in [load_catalogue(p)]
    }
    assert got == {
        "mhip_2019_24": ("2022", 2020, ""),  # an older catalogue: the defaults
        "mhip_2019_24_geo2026": ("2026", 2020, ""),
        "mtpf_2026_29": ("2026", 2020, "2026/27"),
        "planning_2025_26": ("2024", 2020, "2025/26"),
    }


def test_a_shipped_name_or_a_path(tmp_path):
    assert resolve("mtpf_2026_29").name == "mtpf_2026_29.toml"
    assert resolve(None).name == "mhip_2019_24.toml"
    own = write(tmp_path, MINI_HEAD + ONE_AMBITION)
    assert resolve(own) == own
    with pytest.raises(InputError, match="no shipped catalogue 'mtpf_2026'.*mtpf_2026_29"):
        load_catalogue("mtpf_2026")


def test_a_stated_quote_must_hold_its_figure(tmp_path):
    good = ONE_AMBITION.replace('provenance = "stated"', 'provenance = "stated", quote = "10% of"')
    assert load_catalogue(write(tmp_path, MINI_HEAD + good)).get("A-01").declared[0].quote
    bad = good.replace("10% of", "110 of")
    with pytest.raises(InputError) as e:
        load_catalogue(write(tmp_path, MINI_HEAD + bad))
    assert e.value.field == "values[0].quote" and "does not contain the stated figure 10" in str(
        e.value
    )


def test_need_year_must_match_the_need_bases(tmp_path):
    head = MINI_HEAD.replace('name = "mini"', 'name = "mini"\nneed_year = "2026/27"')
    with pytest.raises(InputError) as e:  # A-01 is split by mh_need, of 2022/23
        load_catalogue(write(tmp_path, head + ONE_AMBITION))
    assert e.value.row == "ambition A-01" and "need_year is 2026/27" in str(e.value)


def test_every_count_sums_exactly_and_targeted_asks_are_not_split():
    cat = load_catalogue("mtpf_2026_29")
    spine = build_spine(cat, geography=cat.geography, population_year=cat.population_year)
    assert spine.filter(pl.col("level") == "icb")["org_code"].n_unique() == 36  # 2026 ICBs
    counts = spine.filter(pl.col("kind") == "count", pl.col("value").is_not_null())
    for aid, year, national in (("NTT-01", "2026/27", 805000), ("IPS-01", "2028/29", 73500)):
        rows = counts.filter(pl.col("ambition_id") == aid, pl.col("year") == year)
        for level in ("england", "region", "icb", "subicb"):
            assert rows.filter(pl.col("level") == level)["value"].sum() == national
    for level, parent in (("region", "england"), ("icb", "region"), ("subicb", "icb")):
        kids = counts.filter(pl.col("level") == level)
        assert kids.height and (kids["value"] % 1 == 0).all()
        sums = kids.group_by("parent_code", "ambition_id", "year").agg(pl.col("value").sum())
        up = counts.filter(pl.col("level") == parent).select(
            pl.col("org_code").alias("parent_code"), "ambition_id", "year", pl.col("value")
        )
        joined = sums.join(up, on=["parent_code", "ambition_id", "year"], how="left")
        assert (joined["value"] == joined["value_right"]).all(), level
    targeted = spine.filter(pl.col("category") == "targeted")
    assert set(targeted["level"]) == {"england"}


def test_a_direction_with_no_number_is_asked_of_every_organisation():
    cat = load_catalogue("planning_2025_26")
    spine = build_spine(cat, geography=cat.geography, population_year=cat.population_year)
    los = spine.filter(pl.col("ambition_id") == "LOS-01")
    assert los.height == spine.filter(pl.col("ambition_id") == "MHIS-01").height > 42
    assert los["value"].is_null().all() and set(los["provenance"]) == {"missing"}
    cyp = spine.filter(pl.col("ambition_id") == "CYP-01")
    for level in ("england", "region", "icb", "subicb"):
        assert cyp.filter(pl.col("level") == level)["value"].sum() == 345000
