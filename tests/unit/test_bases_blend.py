"""A blend basis: other bases mixed in stated amounts (the nurses by programme)."""

from __future__ import annotations

import polars as pl
import pytest
from fixtures.catalogues import MINI, write

from mhtool import bases, places
from mhtool.catalogue.load import load_catalogue
from mhtool.errors import InputError
from mhtool.spine import build_spine


def test_mix_gives_each_part_its_amount_shared_as_its_own_weights():
    got = bases.mix([({"a": 1.0, "b": 3.0}, 100.0), ({"a": 2.0, "c": 2.0}, 50.0)])
    assert got == {"a": 25.0 + 25.0, "b": 75.0, "c": 25.0}
    assert sum(got.values()) == 150.0


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_nurses_are_split_by_the_programmes_they_serve(cat):
    """WF-02: 2,110 CYP nurses by population 0-25, 110 perinatal by births, 2,000 adult by
    MH need (the Plan's workforce annex, as reported); each ICB's share follows."""
    spec = cat.bases["nurses_by_programme"]
    assert dict(spec.params["parts"]) == {
        "population_0_25": 2110,
        "mh_need": 2000,
        "births_proxy": 110,
    }
    assert cat.get("WF-02").basis == "nurses_by_programme" and sum(spec["parts"].values()) == (
        cat.get("WF-02").value("2023/24").value
    )

    def icb(name):
        w = bases.weights(
            name, cat.bases[name], geography="2022", population_year=2020, bases=cat.bases
        )
        return bases.icb_shares(w, "2022")

    parts = {p: icb(p) for p in spec["parts"]}
    spine = build_spine(cat, geography="2022", population_year=2020).filter(
        pl.col("level") == "icb", pl.col("ambition_id") == "WF-02", pl.col("year") == "2023/24"
    )
    for code, share in spine.select("org_code", "share").iter_rows():
        want = sum(a * parts[p][code] for p, a in spec["parts"].items()) / 4220
        assert share == pytest.approx(want, rel=1e-9), code
    assert spine["value"].sum() == 4220


def test_a_blend_has_a_practice_level_equivalent(cat):
    w, how = places.practice_weights(
        "nurses_by_programme",
        cat.bases["nurses_by_programme"],
        geography="2022",
        population_year=2020,
        users=["WF-02"],
        where="cat",
        bases=cat.bases,
    )
    assert how.startswith("a blend: 2,110 by GP-registered patients aged 0-25")
    assert sum(w.values()) == pytest.approx(4220, rel=1e-3)  # practices with no figure weigh 0


INNER = '[bases.inner]\nsource = "blend"\nlabel = "y"\nparts = { mh_need = 1 }\n\n'


@pytest.mark.parametrize(
    "extra, parts, field",
    [
        ("", "{ nope = 1 }", "parts.nope"),  # not a basis
        (INNER, "{ inner = 1 }", "parts.inner"),  # a blend of a blend
        ("", "{ mh_need = -1 }", "parts"),  # amounts are positive
    ],
)
def test_a_blend_of_unknown_or_blended_parts_is_refused(tmp_path, extra, parts, field):
    mix = f'[bases.mix]\nsource = "blend"\nlabel = "x"\nparts = {parts}\n\n'
    text = MINI.replace("\n[catalogue]\n", "\n" + extra + mix + "[catalogue]\n")
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.row == "basis mix" and err.value.field.startswith(field)
