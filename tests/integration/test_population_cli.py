"""`mhtool population` band arithmetic and band validation."""

import polars as pl
import pytest
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.errors import InputError
from mhtool.refdata.bands import parse_bands


def run(*args):
    return CliRunner().invoke(main, ["population", *args])


def england(result):
    df = pl.read_csv(result.output.encode())
    return df, df.filter(pl.col("code") == "ENG").row(0, named=True)


def test_bands_sum_to_total():
    r = run("--year", "2020", "--geography", "2021", "--bands", "0-17,18-64,65+", "--format", "csv")
    assert r.exit_code == 0, r.output
    df, eng = england(r)
    assert (eng["0-17"], eng["18-64"], eng["65+"]) == (12_093_288, 33_992_831, 10_464_019)
    assert eng["all_ages"] == 56_550_138
    orgs = df.filter(pl.col("code") != "ENG")
    assert orgs.height == 106
    assert (orgs["0-17"] + orgs["18-64"] + orgs["65+"] == orgs["all_ages"]).all()
    assert orgs["all_ages"].sum() == eng["all_ages"]


@pytest.mark.parametrize("level,n", [("icb", 36), ("region", 7)])
def test_levels(level, n):
    r = run(
        "--year",
        "2019",
        "--geography",
        "2026",
        "--bands",
        "0-25",
        "--level",
        level,
        "--format",
        "csv",
    )
    df, eng = england(r)
    assert df.height == n + 1 and eng["0-25"] == 17_510_840


def test_gap_band_and_table_format():
    r = run("--bands", "0,90+", "--level", "region")
    assert r.exit_code == 0 and "England" in r.output and "90+" in r.output


@pytest.mark.parametrize(
    "bands,msg",
    [
        ("0-17,10-20", "overlap"),
        ("65+,0-17", "last"),
        ("0-120", "outside"),
        ("17-0", "reversed"),
        ("a-b", "bad age band"),
        ("", "bad age band"),
    ],
)
def test_bad_bands(bands, msg):
    r = run("--bands", bands)
    assert r.exit_code == 2 and msg in r.output


def test_parse_bands():
    assert parse_bands("0-17,18-64,65+") == [("0-17", 0, 17), ("18-64", 18, 64), ("65+", 65, 90)]
    assert parse_bands("0-25,95+", top=95)[-1] == ("95+", 95, 95)
    with pytest.raises(InputError):
        parse_bands("91+")


def test_unknown_geography():
    r = run("--geography", "2030")
    assert r.exit_code == 2 and "'2030' is not one of '2021', '2022'" in r.output
