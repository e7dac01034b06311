"""A planning round chosen by name: the catalogue's geography and population year are the
run's defaults (flags and settings still win), `refresh` takes a `catalogue` name, `mhtool
catalogues` lists the rounds, and `diff` refuses two rounds that share no ambition."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only as _workbooks_off

from mhtool.catalogue.load import load_catalogue
from mhtool.cli import main
from mhtool.diff import changes as diff
from mhtool.errors import InputError
from mhtool.job import pipeline
from mhtool.spine import build_spine


@pytest.fixture
def spine_only(monkeypatch):
    _workbooks_off(monkeypatch)
    monkeypatch.setattr(pipeline, "_checks", lambda stage: [])


def _settings(out) -> dict:
    return json.loads((out / "manifest.json").read_text())["settings"]


def test_the_catalogue_decides_geography_unless_a_flag_does(tmp_path, spine_only):
    out = tmp_path / "mtpf"
    r = CliRunner().invoke(main, ["run", "--catalogue", "mtpf_2026_29", "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = _settings(out)
    assert (got["catalogue_name"], got["geography"], got["population_year"]) == (
        "mtpf_2026_29",
        "2026",
        2020,
    )
    assert got["catalogue"] == "mtpf_2026_29"  # a name, recorded and replayed as a name
    again = tmp_path / "again"
    args = ["run", "--config", str(out / "manifest.json"), "--out", str(again)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert _settings(again) == got
    args = ["run", "--catalogue", "mtpf_2026_29", "--geography", "2022", "--out", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert _settings(out)["geography"] == "2022"  # the flag wins


def test_refresh_takes_a_catalogue_name(tmp_path, spine_only):
    config = tmp_path / "refresh.toml"
    config.write_text('catalogue = "planning_2025_26"\nout = "runs/current"\n')
    r = CliRunner().invoke(main, ["refresh", "--config", str(config)])
    assert r.exit_code == 0, r.output
    got = _settings(tmp_path / "runs" / "current")
    assert (got["catalogue_name"], got["geography"]) == ("planning_2025_26", "2024")
    config.write_text('catalogue = "planning_2024"\nout = "runs/current"\n')
    r = CliRunner().invoke(main, ["refresh", "--config", str(config)])
    assert r.exit_code == 2 and "no shipped catalogue 'planning_2024'" in r.output


def test_catalogues_lists_every_round_with_years_and_source():
    r = CliRunner().invoke(main, ["catalogues"])
    assert r.exit_code == 0, r.output
    for line in (
        "mtpf_2026_29",
        "years 2026/27 to 2028/29; geography 2026, population 2020, need 2026/27",
        "source: Medium Term Planning Framework",
        "years 2025/26 to 2025/26; geography 2024",
        "years 2019/20 to 2023/24; geography 2022",
    ):
        assert line in r.output
    r = CliRunner().invoke(main, ["ambitions", "--catalogue", "planning_2025_26"])
    assert r.exit_code == 0 and "345,000" in r.output and "LOS-01" in r.output


def test_diff_refuses_two_rounds_that_share_no_ambition():
    def run(name):
        cat = load_catalogue(name)
        spine = build_spine(cat, geography=cat.geography, population_year=2020)
        return diff.Run(spine, cat.geography, name, name)

    with pytest.raises(InputError, match="share no ambition in any year") as e:
        diff.compare(run(None), run("mtpf_2026_29"))
    assert "years 2019/20 to 2023/24" in str(e.value) and "catalogue mtpf_2026_29" in str(e.value)
