"""User overrides, user catalogues (extends, other years) and the `mhtool ambitions` listing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mhtool.catalogue.load import apply_overrides, load_catalogue
from mhtool.cli import main
from mhtool.errors import InputError


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def overrides(tmp_path, text):
    path = tmp_path / "mine.csv"
    path.write_text(text)
    return path


def test_override_replaces_and_rephases(cat, tmp_path):
    path = overrides(
        tmp_path,
        "ambition_id,year,value,note\nIAPT-01,2021/22,1700000,local plan\nIAPT-05,2023/24,50,\n",
    )
    new = apply_overrides(cat, path)
    iapt = new.get("IAPT-01")
    assert iapt.value("2021/22").value == 1_700_000 and iapt.value("2021/22").provenance == "user"
    assert iapt.value("2021/22").note == "local plan" and iapt.value("2021/22").source == str(path)
    assert iapt.value("2022/23").value == pytest.approx(
        1_800_000
    )  # re-interpolated from the user point
    assert (
        new.get("IAPT-05").has_national_figure
        and new.get("IAPT-05").value("2023/24").note == "user override"
    )
    assert new.sha256 != cat.sha256
    assert cat.get("IAPT-01").value("2021/22").provenance == "interpolated"  # original untouched


def test_override_keeps_funding_reconciled(cat, tmp_path):
    new = apply_overrides(
        cat, overrides(tmp_path, "ambition_id,year,value\nFUN-02,2023/24,1000000000\n")
    )
    assert new.get("FUN-07").value("2023/24").value == pytest.approx(
        cat.get("FUN-07").value("2023/24").value - 96e6
    )


@pytest.mark.parametrize(
    "text, row, field, words",
    [
        ("ambition_id,year,value\nNOPE-1,2023/24,1\n", 2, "ambition_id", "unknown ambition"),
        ("ambition_id,year,value\nCYP-01,2023/24,1\nCYP-01,2030/31,1\n", 3, "year", "not one of"),
        ("ambition_id,year,value\nCYP-01,2023/24,lots\n", 2, "value", "not a number"),
        ("ambition_id,year,value\nCYP-01,2023/24,1.5\n", 2, "value", "whole number"),
        ("ambition_id,year,value\nCYP-01,2023/24,1\nCYP-01,2023/24,2\n", 3, "year", "twice"),
        ("ambition_id,year,value\nFUN-07,2023/24,1\n", 2, "ambition_id", "computed"),
        ("ambition_id,year,value\nFUN-02,2023/24,4000000000\n", None, "value", "exceed"),
        ("ambition_id,year\nCYP-01,2023/24\n", 1, None, "missing value"),
        ("ambition_id,year,value,colour\nCYP-01,2023/24,1,red\n", 1, "colour", "unknown column"),
    ],
)
def test_bad_override_csv(cat, tmp_path, text, row, field, words):
    path = overrides(tmp_path, text)
    with pytest.raises(InputError) as err:
        apply_overrides(cat, path)
    e = err.value
    assert e.file == str(path) and e.field == field and words in e.message, str(e)
    if row is not None:
        assert e.row == row


NEXT_ROUND = """
[catalogue]
name = "next_round"
years = ["2024/25", "2025/26", "2026/27", "2027/28", "2028/29"]

[[ambition]]
id = "X-01"
programme = "Anything"
title = "Additional people seen"
category = "fixed"
kind = "count"
measure = "activity"
unit = "people (additional)"
unit_kind = "people"
basis = "all_population"
additional = true
source = "https://example.org/next"
values = [ { year = "2028/29", value = 50000, provenance = "stated" } ]

[[ambition]]
id = "X-02"
programme = "Anything"
title = "Coverage"
category = "flexible"
kind = "rate"
measure = "activity"
unit = "percent"
unit_kind = "percent"
source = "https://example.org/next"
values = [
  { year = "2024/25", value = 20, provenance = "stated" },
  { year = "2028/29", value = 100, provenance = "stated" },
]
"""


def test_catalogue_for_other_years_loads(tmp_path):
    path = tmp_path / "next.toml"
    path.write_text(NEXT_ROUND)
    cat = load_catalogue(path)
    assert cat.years[0] == "2024/25"
    x1 = cat.get("X-01")
    assert x1.anchor.year == "2023/24"
    assert [v.value for v in x1.values] == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert [v.provenance for v in cat.get("X-02").values] == [
        "stated",
        "phased",
        "phased",
        "phased",
        "stated",
    ]
    new = apply_overrides(cat, overrides(tmp_path, "ambition_id,year,value\nX-01,2026/27,25000\n"))
    assert new.get("X-01").value("2026/27").provenance == "user"


def test_user_catalogue_extends_the_shipped_one(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        '[catalogue]\nextends = "mhip_2019_24"\nname = "mine"\n\n'
        '[basis_overrides]\n"PMH-02" = "women_15_44"\n'
    )
    cat = load_catalogue(path)
    assert cat.name == "mine" and cat.get("PMH-02").basis == "women_15_44"
    assert len(cat.ambitions) == len(load_catalogue().ambitions)
    path.write_text(
        '[catalogue]\nextends = "mhip_2019_24"\n\n[basis_overrides]\n"PMH-02" = "nope"\n'
    )
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert (err.value.row, err.value.field) == ("ambition PMH-02", "basis")


def test_cli_lists_the_catalogue():
    result = CliRunner().invoke(main, ["ambitions"])
    assert result.exit_code == 0, result.output
    for text in ("CYP-01", "345,000", "172,500~", "25E^", "c.3,000,000,000"):
        assert text in result.output, text
    assert "Markers:" in result.output
    targeted = CliRunner().invoke(main, ["ambitions", "--category", "targeted"]).output
    assert "GAM-01" in targeted and "CYP-01" not in targeted and "20-25*" in targeted


def test_cli_csv_and_overrides(tmp_path):
    path = overrides(tmp_path, "ambition_id,year,value\nSMI-03,2019/20,10000\n")
    result = CliRunner().invoke(main, ["ambitions", "--format", "csv", "--overrides", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ambition_id,programme,title,category")
    assert any(line.startswith("SMI-03,") and ",2019/20,10000.0,,user," in line for line in lines)
    bad = overrides(tmp_path, "ambition_id,year,value\nSMI-03,2019/20,x\n")
    result = CliRunner().invoke(main, ["ambitions", "--overrides", str(bad)])
    assert result.exit_code == 2 and "row 2" in result.stderr and "field 'value'" in result.stderr


def test_cli_help_has_examples():
    result = CliRunner().invoke(main, ["ambitions", "--help"])
    assert result.exit_code == 0 and "mhtool ambitions --category targeted" in result.output
