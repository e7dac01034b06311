"""`mhtool run` end to end on the spine: own planning rounds, bad input, untouched outputs."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only as _spine_only

from mhtool.cli import main
from mhtool.spine import read_spine

ROUND_2024 = """
[catalogue]
name = "test_round_2024_29"
title = "A planning round for 2024/25-2028/29 on the 36-ICB geography"
years = ["2024/25", "2025/26", "2026/27", "2027/28", "2028/29"]

[bases.mh_need_2627]
source = "need_weighted"
column = "mh_wp"
allocation_year = "2026/27"
label = "MH need-weighted population, 2026/27 allocations"

[[ambition]]
id = "T-01"
programme = "Adult SMI community care"
title = "People with SMI in new community models"
category = "fixed"
kind = "count"
measure = "activity"
unit = "people per year"
unit_kind = "people"
basis = "mh_need_2627"
source = "https://example.org/plan"
values = [
  { year = "2024/25", value = 400000, provenance = "stated" },
  { year = "2028/29", value = 500001, provenance = "stated" },
]

[[ambition]]
id = "T-02"
programme = "Perinatal"
title = "Women aged 15-44 reached"
category = "flexible"
kind = "count"
measure = "workforce"
unit = "WTE"
unit_kind = "staff"
basis = "women_15_44"
source = "https://example.org/plan"
values = [
  { year = "2028/29", value = 1234.5, provenance = "stated" },
]

[[ambition]]
id = "T-03"
programme = "Crisis and liaison"
title = "Crisis coverage"
category = "fixed"
kind = "rate"
measure = "activity"
unit = "percent"
unit_kind = "percent"
source = "https://example.org/plan"
values = [
  { year = "2026/27", value = 100, provenance = "stated" },
]
"""


def _run(*args: str):
    return CliRunner().invoke(main, ["run", *args], catch_exceptions=False)


def test_own_planning_round_on_the_2026_geography(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    cat = tmp_path / "round.toml"
    cat.write_text(ROUND_2024)
    out = tmp_path / "out"
    result = _run("--catalogue", str(cat), "--geography", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    spine = read_spine(out / "apportionment.parquet")
    assert set(spine["year"]) == {"2024/25", "2025/26", "2026/27", "2027/28", "2028/29"}
    assert spine.filter(pl.col("level") == "icb")["org_code"].n_unique() == 36
    t1 = spine.filter((pl.col("ambition_id") == "T-01") & (pl.col("level") == "subicb"))
    per_year = t1.group_by("year").agg(pl.col("value").sum()).sort("year")
    assert per_year["value"].to_list()[0] == 400000 and per_year["value"].to_list()[-1] == 500001
    wte = spine.filter((pl.col("ambition_id") == "T-02") & (pl.col("year") == "2028/29"))
    assert wte.filter(pl.col("level") == "icb")["value"].sum() == pytest.approx(1234.5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["geography"] == "2026"
    assert set(manifest["outputs"]) == {"apportionment.csv", "apportionment.parquet"}


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "broken.toml"
    text = ROUND_2024.replace(old, new, 1)
    assert text != ROUND_2024
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "old,new,words",
    [
        ('basis = "mh_need_2627"', 'basis = "no_such_basis"', ["T-01", "basis"]),
        ('category = "fixed"', 'category = "sometimes"', ["T-01", "category"]),
        ('kind = "rate"', 'kind = "ratio"', ["T-03", "kind"]),
        ('id = "T-02"', 'id = "T-01"', ["T-01", "duplicate"]),
        ("value = 400000", 'value = "lots"', ["T-01", "value"]),
        ('year = "2026/27", value = 100', 'year = "2031/32", value = 100', ["T-03", "2031/32"]),
    ],
)
def test_bad_catalogue_exits_2_naming_file_ambition_and_field(tmp_path, old, new, words):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"tool": "mhtool"}')  # an earlier run
    (out / "earlier.csv").write_text("kept\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--catalogue",
            str(_broken(tmp_path, old, new)),
            "--geography",
            "2026",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "broken.toml" in result.output
    for word in words:
        assert word in result.output
    assert (out / "earlier.csv").read_text() == "kept\n"
    assert sorted(p.name for p in out.iterdir()) == ["earlier.csv", "manifest.json"]
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_basis_missing_for_the_geography_is_a_clear_error(tmp_path):
    cat = tmp_path / "round.toml"
    cat.write_text(ROUND_2024)
    result = CliRunner().invoke(
        main,
        ["run", "--catalogue", str(cat), "--geography", "2022", "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2
    assert "geography" in result.output and "2022" in result.output
    assert not (tmp_path / "out").exists()


def _weights_catalogue(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "weights.csv").write_text("org_code,weight\n" + "\n".join(rows) + "\n")
    cat = tmp_path / "custom.toml"
    cat.write_text(
        ROUND_2024.replace(
            '[bases.mh_need_2627]\nsource = "need_weighted"\ncolumn = "mh_wp"\n'
            'allocation_year = "2026/27"',
            '[bases.mh_need_2627]\nsource = "csv"\npath = "weights.csv"',
        )
    )
    return cat


def _subicbs_2026() -> list[str]:
    from mhtool.refdata import store

    return store.geography("2026")["subicb_code"].to_list()


def test_custom_weights_file_is_used(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    codes = _subicbs_2026()
    cat = _weights_catalogue(tmp_path, [f"{c},{1 if i == 0 else 0}" for i, c in enumerate(codes)])
    out = tmp_path / "out"
    result = _run("--catalogue", str(cat), "--geography", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    t1 = read_spine(out / "apportionment.parquet").filter(
        (pl.col("ambition_id") == "T-01")
        & (pl.col("level") == "subicb")
        & (pl.col("year") == "2024/25")
    )
    assert dict(zip(t1["org_code"], t1["value"], strict=False))[codes[0]] == 400000
    assert t1["value"].sum() == 400000


@pytest.mark.parametrize(
    "mutate,words",
    [
        (lambda rows: rows[1:], ["missing"]),
        (lambda rows: rows + rows[:1], ["row 108", "duplicate"]),
        (lambda rows: [rows[0].split(",")[0] + ",-1"] + rows[1:], ["row 2", "weight"]),
        (lambda rows: [rows[0].split(",")[0] + ",abc"] + rows[1:], ["row 2", "not a number"]),
        (lambda rows: [r.split(",")[0] + ",0" for r in rows], ["zero"]),
    ],
)
def test_bad_weights_file_exits_2_naming_file_and_row(tmp_path, mutate, words):
    rows = [f"{c},1" for c in _subicbs_2026()]
    cat = _weights_catalogue(tmp_path, mutate(rows))
    result = CliRunner().invoke(
        main,
        ["run", "--catalogue", str(cat), "--geography", "2026", "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 2, result.output
    assert "weights.csv" in result.output
    for word in words:
        assert word in result.output
    assert not (tmp_path / "out").exists()


def test_refuses_to_overwrite_a_folder_that_is_not_a_run(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.docx").write_text("mine")
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 2
    assert "refusing" in result.output
    assert (out / "thesis.docx").read_text() == "mine"


def test_population_year_without_data_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main, ["run", "--population-year", "2023", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "2023" in result.output and "2020" in result.output
    assert not (tmp_path / "out").exists()


def test_bases_lists_every_basis_and_shows_weights():
    listing = CliRunner().invoke(main, ["bases"])
    assert listing.exit_code == 0
    assert "births_proxy" in listing.output and "used by: PMH-02" in listing.output
    shown = CliRunner().invoke(main, ["bases", "--show", "births_proxy"])
    assert shown.exit_code == 0
    lines = shown.output.strip().splitlines()
    assert lines[0] == "subicb_code,weight,share" and len(lines) == 107
    assert sum(float(x.split(",")[1]) for x in lines[1:]) == pytest.approx(601_913)


def test_bases_compare_prints_each_basis_beside_the_register():
    out = CliRunner().invoke(main, ["bases", "--compare"])
    assert out.exit_code == 0, out.output
    rows = {
        line.split(",")[0]: line.split(",")
        for line in out.output.splitlines()
        if not line.startswith("#")
    }
    head = rows["basis"]
    assert head[:2] == ["basis", "qof_smi_register_2020_21"]
    assert float(rows["smi_register"][1]) == 0.0 and float(rows["mh_need"][1]) > 0
    core = head.index("nhse_core_target_2022_23")
    assert float(rows["core_need"][core]) == 0.0 and float(rows["mh_need"][core]) > 0
    assert "SMI-02" in rows["smi_register"][-1] and "FUN-03" in rows["core_need"][-1]
    assert "# women_15_44: not computed for geography 2022" in out.output
    one = CliRunner().invoke(main, ["bases", "--compare", "--show", "mh_need"])
    lines = [x for x in one.output.splitlines() if not x.startswith("#")]
    assert lines[0].startswith("icb_code,basis_share_pct,qof_smi_register_2020_21_pct,")
    assert len(lines) == 43 and sum(float(x.split(",")[1]) for x in lines[1:]) == (
        pytest.approx(100.0, abs=0.05)
    )
    bad = CliRunner().invoke(main, ["bases", "--compare", "--show", "nope"])
    assert bad.exit_code == 2 and "unknown basis 'nope'" in bad.output


def test_an_unexpected_failure_exits_4_not_1(tmp_path, monkeypatch):
    from mhtool.job import pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(pipeline, "build_spine", boom)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "out")])
    assert result.exit_code == 4, result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "row,words",
    [
        ("PMH-01,2023/24,-5", ["row 2", "negative"]),
        ("CYP-04,2020/21,150", ["row 2", "above 100"]),
        ("WF-02,2023/24,12.35", ["row 2", "12.35", "0.1"]),
    ],
)
def test_bad_values_file_is_rejected_before_anything_runs(tmp_path, row, words):
    values = tmp_path / "values.csv"
    values.write_text("ambition_id,year,value\n" + row + "\n")
    result = CliRunner().invoke(
        main, ["run", "--values", str(values), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "values.csv" in result.output
    for word in words:
        assert word in result.output


def test_values_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    values = tmp_path / "values.csv"
    values.write_bytes("ambition_id,year,value\nPMH-01,2023/24,5\u00e9\n".encode("latin-1"))
    result = CliRunner().invoke(
        main, ["run", "--values", str(values), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2, result.output
    assert "UTF-8" in result.output
