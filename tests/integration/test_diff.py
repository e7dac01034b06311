"""`mhtool diff`: every change split into national, share and rounding parts that add up
exactly, across population years, national figures and geography vintages."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only

from mhtool.catalogue.load import apply_overrides, load_catalogue
from mhtool.cli import main
from mhtool.diff import changes as diff
from mhtool.diff import write as shown
from mhtool.infra.paths import reference_data_dir
from mhtool.spine import build_spine

GEO2026 = "mhip_2019_24_geo2026"


def _run(geography="2022", population_year=2020, catalogue=None, values=None) -> diff.Run:
    cat = load_catalogue(
        reference_data_dir() / "catalogues" / f"{catalogue}.toml" if catalogue else None
    )
    if values:
        cat = apply_overrides(cat, values)
    return diff.Run(
        build_spine(cat, geography=geography, population_year=population_year),
        geography,
        f"{geography}/{population_year}",
    )


@pytest.fixture(scope="module")
def base() -> diff.Run:
    return _run()


def _adds_up_exactly(t: pl.DataFrame) -> None:
    """In decimal, as the CSV shows them, the three parts add to the change."""
    for r in t.select(
        "change", "national_effect", "share_effect", "rounding_residual", "old_value", "new_value"
    ).iter_rows():
        c, n, s, res, a, b = (Decimal(repr(x or 0.0)) for x in r)
        assert n + s + res == c
        assert abs(c - (b - a)) < Decimal("0.0001")


def test_new_population_estimates_move_shares_only(base):
    ch = diff.compare(_run(population_year=2019), base)
    t = ch.table
    assert t.height == base.spine.height and set(t["mapping"]) == {"same"}
    assert (t["national_effect"] == 0).all()
    moved = t.filter(pl.col("change") != 0)
    assert moved.height > 100 and (moved["share_effect"] != 0).sum() > 100
    _adds_up_exactly(t)
    # only population-based bases move (a blend with a population part too, and totals made
    # of such lines); need and register bases are not population-year bound
    bases = load_catalogue().bases

    def by_population(name):
        b = bases[name]
        return b.source == "ons_population" or (
            b.source == "blend" and any(by_population(p) for p in b.params["parts"])
        )

    split = {b for b in moved["basis"] if not b.startswith("sum of ")}
    assert split and all(by_population(b) for b in split), split
    assert {"births_proxy", "population_18_plus", "nurses_by_programme"} <= split
    assert not split & {"mh_need", "core_need", "smi_register"}
    assert (t.filter(pl.col("level") == "england")["change"] == 0).all()


def test_new_national_figure_is_a_national_effect(base, tmp_path):
    values = tmp_path / "values.csv"
    values.write_text("ambition_id,year,value\nSMI-02,2023/24,400000\n")
    t = diff.compare(base, _run(values=values)).table
    row = t.filter((pl.col("ambition_id") == "SMI-02") & (pl.col("year") == "2023/24"))
    eng = row.filter(pl.col("level") == "england").row(0, named=True)
    assert eng["change"] == 10000 and eng["national_effect"] == 10000
    icbs = row.filter(pl.col("level") == "icb")
    assert icbs["change"].sum() == 10000
    assert (icbs["share_effect"] == 0).all()
    assert icbs["national_effect"].sum() == pytest.approx(10000)
    _adds_up_exactly(t)
    others = t.filter(pl.col("ambition_id") != "SMI-02")
    assert (others["change"] == 0).all()


def test_geography_2022_to_2026_maps_through_the_crosswalk(base, tmp_path):
    ch = diff.compare(base, _run(geography="2026", catalogue=GEO2026))
    t = ch.table
    icb = t.filter(pl.col("level") == "icb")
    assert icb["org_code"].n_unique() == 36
    # old values carried to the new ICBs still add up to England, for every count
    counts = t.filter(pl.col("old_share").is_not_null())
    sums = (
        counts.filter(pl.col("level") == "icb")
        .group_by("ambition_id", "year")
        .agg(pl.col("old_value").sum())
        .join(
            counts.filter(pl.col("level") == "england").select(
                "ambition_id", "year", pl.col("old_value").alias("eng")
            ),
            on=["ambition_id", "year"],
        )
    )
    assert ((sums["old_value"] - sums["eng"]).abs() < 1e-3).all()
    mapping = dict(icb.select("org_code", "mapping").unique().iter_rows())
    assert mapping["D7T5G"].startswith("merged from") and "part of QJG" in mapping["D7T5G"]
    assert mapping["QHM"] == "same"
    orgs = dict(
        ch.organisations.filter(pl.col("level") == "icb").select("old_code", "mapping").iter_rows()
    )
    assert orgs["QH8"] == "merged into D7T5G" and orgs["QJG"].startswith("split into")
    sub = dict(
        t.filter(pl.col("level") == "subicb").select("org_code", "mapping").unique().iter_rows()
    )
    assert sub["U2G6B"] == "split from D4U1Y" and "gained part of D4U1Y" in sub["92A"]
    smi = t.filter(pl.col("ambition_id") == "SMI-02")
    assert set(smi["basis"]) == {"smi_register → mh_need"}
    _adds_up_exactly(t)
    rates = t.filter(pl.col("new_share").is_null() & (pl.col("level") != "england"))
    assert rates.height and (rates["change"] == 0).all() and (rates["share_effect"] == 0).all()
    ch.table = t.filter(
        pl.col("level").is_in(["england", "icb"]),  # keep the workbook small
        pl.col("year") == "2023/24",
    )
    orgs = _workbook_follows_the_output_rules(shown.write_xlsx(ch, tmp_path / "c.xlsx"), ch)[
        "Organisations"
    ]
    assert [c.value for c in orgs[3]] == list(shown.ORGANISATION_HEADERS.values())
    assert list(orgs.tables) == ["organisations"]


def test_diff_command_prints_summary_and_writes_csv_and_xlsx(tmp_path, monkeypatch):
    spine_only(monkeypatch)
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, year in ((old, "2019"), (new, "2020")):
        r = CliRunner().invoke(main, ["run", "--population-year", year, "--out", str(folder)])
        assert r.exit_code == 0, r.output
    result = CliRunner().invoke(
        main, ["diff", str(old), str(new), "--out", str(tmp_path / "c.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "biggest changes at icb level" in result.output
    assert pl.read_csv(tmp_path / "c.csv").columns == diff.COLUMNS
    ch = diff.compare(diff.load_run(old), diff.load_run(new))
    ch.table = ch.table.filter(
        pl.col("level") != "subicb",  # keep the workbook small
        pl.col("year") == "2023/24",
    )
    shown.write_xlsx(ch, tmp_path / "c.xlsx")
    wb = _workbook_follows_the_output_rules(tmp_path / "c.xlsx", ch)
    assert wb["Changes"]["A1"].value.startswith("Changes from old")


def _workbook_follows_the_output_rules(path, ch) -> openpyxl.Workbook:
    """Like every other workbook: title A1, short description A2, one table from A3 with
    plain-English headers, number formats with thousands separators, header frozen."""
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Changes" and wb.active.title == "Changes"
    assert "Notes" in wb.sheetnames
    for ws in wb.worksheets:
        assert ws["A1"].value and ws["A2"].value and len(ws["A2"].value) <= 120, ws.title
        assert not ws.merged_cells.ranges and len(ws.tables) == 1
        assert next(iter(ws.tables.values())).ref.startswith("A3:")
        assert ws.freeze_panes == "A4" and ws.print_title_rows == "$3:$3"
    ws = wb["Changes"]
    assert ws["A1"].value.startswith("Changes from ")
    header = [c.value for c in ws[3]]
    assert header == [shown.HEADERS["_level_name" if c == "level" else c] for c in diff.COLUMNS]
    assert "Change (see Unit)" in header and "Old share of England (%)" in header
    assert ws.max_row == 3 + ch.table.height and list(ws.tables) == ["changes"]
    rows = list(ws.iter_rows(min_row=4))
    col = {h: i for i, h in enumerate(header)}
    people = next(r for r in rows if r[col["Unit"]].value == "people per year")
    assert people[col["New value (see Unit)"]].number_format == "#,##0"
    assert people[col["Due to shares (see Unit)"]].number_format == "#,##0.0##"
    assert people[col["Old share of England (%)"]].number_format == "0.000%"
    assert all(c.value is not None for r in rows for c in r)  # no blank cells in the table
    rate = next(
        r
        for r in rows
        if r[col["Unit"]].value == "percent of the area's population covered"
        and r[col["Organisation level"]].value == "ICB"
    )
    assert rate[col["Old share of England (%)"]].value == "[z]"
    assert rate[col["New value (see Unit)"]].number_format == "#,##0.0"  # percent: one decimal
    return wb
