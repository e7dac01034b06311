"""Who a targeted ask selects: named sites are a checked record, worded for every
organisation, and never change a fair share."""

from __future__ import annotations

import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.catalogues import MINI, write
from fixtures.sample import SAMPLE_META, sample_spine

from mhtool.catalogue.load import load_catalogue
from mhtool.cli import main
from mhtool.errors import InputError
from mhtool.outputs.views import categories, planpage
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.categories import NOT_SHARED, chosen_short, chosen_words
from mhtool.outputs.views.scope import Scope
from mhtool.outputs.views.tables import prepare
from mhtool.spine import build_spine, named_sites

SOURCE = "https://example.org/clinics"
HELD = f"""
[[ambition]]
id = "A-02"
programme = "P"
title = "Clinics"
category = "targeted"
targets = []
targets_note = "sited nationally"
kind = "sites"
measure = "activity"
unit = "clinics"
unit_kind = "sites"
source = "https://example.org/a"
values = [ {{ year = "2021/22", value = 2, provenance = "stated" }} ]

[ambition.selected]
source = "{SOURCE}"
words = "clinics in Leeds and Bristol"
complete = true
sites = [
  {{ name = "Leeds", icb = "QWO", subicb = "15F", named = "2019" }},
  {{ name = "Bristol", icb = "QUY", subicb = "15C", named = "2023" }},
]
"""


def _error(tmp_path, text: str) -> InputError:
    path = write(tmp_path, MINI + text)
    with pytest.raises(InputError) as err:
        named_sites(load_catalogue(path), "2022")
    assert err.value.file == str(path)
    return err.value


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        ('icb = "QWO"', 'icb = "West Yorkshire"', "selected.sites[0].icb", "ODS code of the ICB"),
        (f'source = "{SOURCE}"\n', "", "selected.source", "source"),
        (f'source = "{SOURCE}"', 'source = "our notes"', "selected.source", "URL"),
        (', named = "2019"', "", "selected.sites[0].named", "named"),
        ('category = "targeted"', 'category = "fixed"', "selected", "only targeted"),
        ("complete = true", 'complete = "yes"', "selected.complete", "true or false"),
        ("complete = true", "complete = true\neverywhere = true", "selected.sites", "one of"),
        ("sites = [", "everywhere = false\nnot_sites = [", "selected.not_sites", "unknown"),
    ],
)
def test_a_bad_selected_record_names_its_field(tmp_path, old, new, field, words):
    assert old in HELD
    e = _error(tmp_path, HELD.replace(old, new, 1))
    assert (e.row, e.field) == ("ambition A-02", field), str(e)
    assert words in e.message, e.message


def test_each_site_must_be_in_the_geography_and_in_the_ICB_it_names(tmp_path):
    e = _error(tmp_path, HELD.replace('icb = "QWO"', 'icb = "QKS"', 1))
    assert e.field == "selected.sites[0].icb" and "not the 2022 ICB of 15F" in e.message
    assert "(QWO)" in e.message  # the ICB that does hold it
    e = _error(tmp_path, HELD.replace('subicb = "15C"', 'subicb = "ZZZ"', 1))
    assert e.field == "selected.sites[1].subicb" and "not in geography 2022" in e.message


def test_the_cli_exits_2_naming_the_site_before_writing_anything(tmp_path):
    path = write(tmp_path, MINI + HELD.replace('subicb = "15C"', 'subicb = "ZZZ"', 1))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--catalogue", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "field 'selected.sites[1].subicb'" in result.stderr and str(path) in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_sites_change_no_fair_share_and_find_their_ICB_on_any_geography(tmp_path):
    with_sites = load_catalogue(write(tmp_path, MINI + HELD))
    without = load_catalogue(write(tmp_path, MINI + HELD.split("[ambition.selected]")[0], "b.toml"))
    assert without.get("A-02").selected is None
    assert build_spine(with_sites).equals(build_spine(without))
    sites = named_sites(with_sites, "2022")["A-02"]["sites"]
    assert [(s["icb"], s["region"]) for s in sites] == [("QWO", "Y63"), ("QUY", "Y58")]
    # 2026: the same sub-ICB locations, whatever the ICB codes there
    on_2026 = named_sites(with_sites, "2026")["A-02"]["sites"]
    assert [s["icb_2022"] for s in on_2026] == ["QWO", "QUY"]
    # a sub-ICB location split in 2026 (Frimley's) must say which holds the site there
    frimley = HELD.replace('icb = "QUY", subicb = "15C"', 'icb = "QNQ", subicb = "D4U1Y"')
    split = load_catalogue(write(tmp_path, MINI + frimley, "c.toml"))
    assert named_sites(split, "2022")["A-02"]["sites"][1]["icb"] == "QNQ"
    with pytest.raises(InputError) as err:
        named_sites(split, "2026")
    assert err.value.field == "selected.sites[1].subicb" and "subicb_in" in err.value.message
    told = frimley.replace('subicb = "D4U1Y"', 'subicb = "D4U1Y", subicb_in = { "2026" = "U2G6B" }')
    moved = load_catalogue(write(tmp_path, MINI + told, "d.toml"))
    assert named_sites(moved, "2026")["A-02"]["sites"][1]["icb"] == "S0E4D"  # Thames Valley
    assert named_sites(moved, "2022")["A-02"]["sites"][1]["icb"] == "QNQ"


# ------------------------------------------------------------------ the words

SEL = {
    "source": SOURCE,
    "complete": True,
    "list": "the 3 clinics",
    "count": 3,
    "sites": [
        {"name": "Ayton", "named": "2019", "icb": "QA0", "icb_name": "NHS Ayton ICB"}
        | {"region": "Y56", "icb_2022": "QA0"},
        {"name": "Beeton", "named": "2023", "icb": "QA2", "icb_name": "NHS Beeton ICB"}
        | {"region": "Y56", "icb_2022": "QA2"},
        {"name": "Ceeton", "named": "2023", "icb": "QA1", "icb_name": "NHS Ceeton ICB"}
        | {"region": "Y57", "icb_2022": "QA1"},
    ],
}


def test_the_words_say_whether_the_organisation_is_named_with_the_source():
    named = chosen_words(SEL, "icb", "QA0", "Ayton ICB", "QA0")
    assert named == f"Ayton ICB is named: Ayton (2019) ({SOURCE})"
    other = chosen_words(SEL, "icb", "QA9", "Dee ICB", "QA9")
    assert other == f"Dee ICB is not among the 3 clinics ({SOURCE})"
    part = chosen_words(SEL, "subicb", "01D", "01D", "QA0")
    assert part.startswith("01D's ICB is named: Ayton (Ayton; 2019)")
    region = chosen_words(SEL, "region", "Y56", "London", None)
    assert "Ayton (Ayton; 2019); Beeton (Beeton; 2023)" in region and "Ceeton" not in region
    assert chosen_words(SEL, "region", "Y99", "North", None).startswith("none of the 3 clinics")
    england = chosen_words(SEL, "england", "ENG", "England", None)
    assert (
        england.startswith(f"the 3 clinics ({SOURCE}): Ayton")
        and "Ceeton (Ceeton; 2023)" in england
    )
    # a list that is not every site says the organisation may still be one
    some = SEL | {"complete": False}
    assert "may or may not be one of the others" in chosen_words(some, "icb", "QA9", "Dee", "QA9")
    assert "may or may not" not in chosen_words(some, "icb", "QA0", "Ayton", "QA0")
    assert "so London may hold others" in chosen_words(some, "region", "Y56", "London", None)
    # a source says every system has it by the end point: no sites, and the words say so
    every = {"source": SOURCE, "complete": True, "everywhere": True, "list": "every ICB by 2024"}
    assert chosen_words(every, "icb", "QA9", "Dee", "QA9") == (
        f"Dee is one by the end point: every ICB by 2024 ({SOURCE})"
    )
    assert chosen_words(every, "england", "ENG", "England", None) == f"every ICB by 2024 ({SOURCE})"
    assert chosen_short(every, "icb", "QA9", "QA9") == "every system"
    # no source names them: the words say so
    assert (
        chosen_words(None, "icb", "QA9", "Dee", "QA9") == f"{NOT_SHARED}; Dee may or may not be one"
    )
    # the Plan page's few words, alike for organisations alike
    assert chosen_short(SEL, "ICB", "QA0", "QA0") == "named: Ayton"
    assert chosen_short(SEL, "Sub-ICB location", "01D", "QA0") == "named in its ICB: Ayton"
    assert chosen_short(SEL, "ICB", "QA9", "QA9") == chosen_short(SEL, "icb", "QA8", "QA8")
    assert chosen_short(some, "icb", "QA9", "QA9") == "not among the 3 named so far"
    assert chosen_short(SEL, "Region", "Y56", None) == "named here: Ayton; Beeton"
    assert chosen_short(SEL, "England", "ENG", None).startswith("3 sites named")
    # an area listed in two ICBs that fall in one on a later geography is named there once
    twice = SEL | {"sites": [*SEL["sites"], SEL["sites"][0] | {"icb_2022": "QZZ"}]}
    assert chosen_words(twice, "icb", "QA0", "Ayton ICB", "QA0") == named
    assert chosen_short(twice, "ICB", "QA0", "QA0") == "named: Ayton"
    assert chosen_words(twice, "england", "ENG", "England", None) == england


def test_the_targeted_sheet_and_plan_page_word_the_named_sites():
    """The words reach the sheets from the run's record (meta.selected): a named ICB, an
    ICB not named, its region and England each get their own."""
    df = prepare(sample_spine())
    meta = SAMPLE_META.replaced(selected={"A07": SEL})

    def asks(scope: Scope) -> str:
        sheet = categories.category_sheet(scopes.rows(df, scope), "targeted", meta).frame
        return sheet.filter(pl.col("ambition_id") == "A07").get_column("asks")[0]

    assert "QA0 is named: Ayton (2019)" in asks(Scope("icb", "QA0"))
    assert "QA1 is named: Ceeton" in asks(Scope("icb", "QA1"))
    assert "Beeton" in asks(Scope("region", "Y56")) and "Ceeton" not in asks(Scope("region", "Y56"))
    assert "Ayton (Ayton; 2019); Beeton" in asks(Scope("england", "ENG"))
    assert NOT_SHARED not in asks(Scope("icb", "QA0"))
    page = planpage.plan_table(scopes.rows(df, Scope("icb", "QA2")), meta).frame
    assert "named: Beeton" in "\n".join(page.get_column("targeted").drop_nulls())
    page = planpage.plan_table(scopes.rows(df, Scope("england", "ENG")), meta).frame
    england_page = "\n".join(page.get_column("targeted").drop_nulls())
    assert "not shared out; 3 sites named" in england_page
    # without a record, the honest words stay
    plain = categories.category_sheet(scopes.rows(df, Scope("icb", "QA0")), "targeted", SAMPLE_META)
    held = plain.frame.filter(pl.col("ambition_id") == "A07").get_column("asks")[0]
    assert NOT_SHARED in held and "may or may not be one" in held
