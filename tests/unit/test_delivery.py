"""The delivery view: published actuals beside fair shares on a synthetic spine, with small
actuals tables made here (sub-ICB-published like the SMI checks, ICB-published like Talking
Therapies), so every rule can be seen to fail: sums of parts, missing parts, rates over a
denominator, growth needed, the parts' difference, an ambition nothing measures."""

from __future__ import annotations

import io
from dataclasses import replace

import polars as pl
import pytest
from fixtures.sample import sample_spine
from fixtures.sheets import written
from PIL import Image

from mhtool.errors import InputError
from mhtool.outputs.charts import write as charts
from mhtool.outputs.delivery import write as delivery_file
from mhtool.outputs.views import delivery
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.sheets import workbook_tables
from mhtool.outputs.views.tables import PRINTED_FIRST, prepare
from mhtool.refdata import store

SPINE = sample_spine()  # A01: a count of people; sub-ICBs 01A..01F under QA0..QA2
SUBS = {"01A": "QA0", "01B": "QA1", "01C": "QA2", "01D": "QA0", "01E": "QA1", "01F": "QA2"}


def _table(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "level": pl.String,
            "org_code": pl.String,
            "year": pl.String,
            "period": pl.String,
            "measure": pl.String,
            "value": pl.Int64,
            "route": pl.String,
        },
        orient="row",
    )


CHECKS = _table(
    [
        ("subicb", c, "2023/24", "Q4 2023/24", "checks", 100 + i, "as published")
        for i, c in enumerate(SUBS)
    ]
    + [("subicb", c, "2023/24", "Q4 2023/24", "register", 400, "as published") for c in SUBS]
    + [("subicb", c, "2023/24", "Q3 2023/24", "checks", 1, "as published") for c in SUBS]
    + [("subicb", c, "2021/22", "Q4 2021/22", "checks", 50, "as published") for c in SUBS]
)


@pytest.fixture
def tables_of(monkeypatch):
    def use(by_source: dict[str, pl.DataFrame]):
        monkeypatch.setattr(store, "actuals", lambda source, geography: by_source[source])
        monkeypatch.setattr(store, "actual_geographies", lambda source: ["2022", "2026"])

    return use


def _spec(**kw) -> dict:
    base = {"ambition": "A01", "label": "People checked", "source": "phsmi"}
    return base | {"measure": "checks", "period": "12 months to quarter end", "quarter": "Q4"} | kw


def _fair(code: str, year: str, aid: str = "A01") -> float:
    return SPINE.filter(
        (pl.col("org_code") == code) & (pl.col("year") == year) & (pl.col("ambition_id") == aid)
    )["value"][0]


def _row(frame, code, year):
    return frame.filter((pl.col("org_code") == code) & (pl.col("year") == year)).row(0, named=True)


def test_parts_summed_up_the_levels_beside_the_spines_fair_shares(tables_of):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2022")
    assert sorted(d["year"].unique()) == ["2021/22", "2023/24"]  # round years published, Q4
    qa0 = _row(d, "QA0", "2023/24")
    assert qa0["actual_value"] == 100 + 103  # 01A and 01D, the Q3 figures not used
    assert qa0["actual_from"] == "sum of its 2 Sub-ICB locations as published"
    assert qa0["fair_share"] == _fair("QA0", "2023/24") and qa0["end_year"] == "2023/24"
    assert qa0["actual_pct_of_fair_share"] == round(100 * 203 / qa0["fair_share"], 1)
    assert qa0["gap"] == qa0["fair_share"] - 203
    eng = _row(d, "ENG", "2023/24")
    assert eng["actual_value"] == sum(100 + i for i in range(6))
    sub = _row(d, "01A", "2023/24")
    assert sub["actual_from"] == "published" and sub["actual_value"] == 100


def test_growth_a_year_needed_to_reach_the_end_years_fair_share(tables_of):
    tables_of({"phsmi": CHECKS})
    r = _row(delivery.build(SPINE, (_spec(),), "2022"), "01A", "2021/22")
    end = _fair("01A", "2023/24")
    assert r["fair_share_end"] == end and r["gap_to_end"] == end - 50
    assert r["growth_a_year_pct"] == round(100 * ((end / 50) ** 0.5 - 1), 1)


def test_a_missing_part_leaves_every_sum_it_is_in_missing(tables_of):
    gap = CHECKS.with_columns(
        pl.when((pl.col("org_code") == "01D") & (pl.col("period") == "Q4 2023/24"))
        .then(None)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    tables_of({"phsmi": gap})
    d = delivery.build(SPINE, (_spec(),), "2022")
    for code in ("01D", "QA0", "Y56", "ENG"):
        r = _row(d, code, "2023/24")
        assert r["actual_value"] is None and r["actual_pct_of_fair_share"] is None, code
    assert _row(d, "QA1", "2023/24")["actual_value"] == 101 + 104  # untouched
    assert "not published for every" in _row(d, "QA0", "2023/24")["actual_from"]


def test_a_rate_over_its_denominator_and_the_fair_share_over_the_same(tables_of):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(denominator="register", label="Share"),), "2022")
    r = _row(d, "QA0", "2023/24")
    assert (r["numerator"], r["denominator"], r["unit"]) == (203, 800, "percent")
    assert r["actual_value"] == round(100 * 203 / 800, 1)
    assert r["fair_share"] == round(100 * _fair("QA0", "2023/24") / 800, 1)
    assert r["growth_a_year_pct"] is None  # growth is for counts
    # the end year's fair share is over the end year's register on every row: an earlier
    # year's smaller register made it change from row to row (and pass 100%)
    register = CHECKS.filter(pl.col("year") == "2021/22").with_columns(
        measure=pl.lit("register"), value=pl.lit(50, pl.Int64)
    )
    tables_of({"phsmi": pl.concat([CHECKS, register])})
    d = delivery.build(SPINE, (_spec(denominator="register", label="Share"),), "2022")
    before, last = _row(d, "QA0", "2021/22"), _row(d, "QA0", "2023/24")
    assert before["denominator"] == 100 and last["denominator"] == 800
    assert before["fair_share_end"] == last["fair_share_end"] == r["fair_share_end"]


def test_published_above_is_set_against_its_parts(tables_of):
    icbs = _table(
        [
            ("icb", c, "2022/23", "2022/23", "done", 10, "as published")
            for c in ("QA0", "QA1", "QA2")
        ]
        + [("region", "Y56", "2022/23", "2022/23", "done", 21, "as published")]
        + [("region", "Y57", "2022/23", "2022/23", "done", 10, "as published")]
        + [("england", "ENG", "2022/23", "2022/23", "done", 35, "as published")]
    )
    tables_of({"nhstt": icbs})
    spec = _spec(source="nhstt", measure="done", period="financial year", quarter="")
    d = delivery.build(SPINE, (spec,), "2022")
    eng, y56 = _row(d, "ENG", "2022/23"), _row(d, "Y56", "2022/23")
    assert (eng["actual_value"], eng["parts_sum"], eng["parts_difference"]) == (35, 31, 4)
    assert (y56["parts_sum"], y56["parts_difference"]) == (20, 1)
    assert _row(d, "QA0", "2022/23")["parts_sum"] is None  # its sub-ICBs are not published
    assert _row(d, "01A", "2022/23")["actual_from"] == "not published for this organisation"


def test_an_actual_before_the_round_is_set_beside_the_end_year(tables_of):
    before = _table(
        [("subicb", c, "2017/18", "Q4 2017/18", "checks", 7, "as published") for c in SUBS]
    )
    tables_of({"phsmi": before})
    d = delivery.build(SPINE, (_spec(),), "2022")
    r = _row(d, "01A", "2017/18")
    assert (r["fair_share_year"], r["fair_share"]) == ("2019/20", _fair("01A", "2019/20"))
    assert r["fair_share_end"] == _fair("01A", "2023/24")
    assert r["growth_a_year_pct"] == round(100 * ((r["fair_share_end"] / 7) ** (1 / 6) - 1), 1)


def test_an_ambition_nothing_measures_is_said_once_with_why(tables_of):
    tables_of({})
    why = "counts people entering treatment, which the files do not hold"
    d = delivery.build(SPINE, ({"ambition": "A01", "label": "Entering", "none": why},), "2022")
    assert d.height == 1 and d["org_code"][0] == "ENG"
    assert d["actual_from"][0] == f"not measured: {why}" and d["actual_value"][0] is None


def test_the_delivery_sheet_puts_the_organisation_first_then_parts_then_above(tables_of):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2022")
    rows = scopes.rows(prepare(SPINE), scopes.Scope("icb", "QA0"))
    sheet = next(t for t in workbook_tables(rows, None, None, d) if t.sheet == "Delivery")
    order = list(dict.fromkeys(sheet.frame["org_code"]))
    assert order == ["QA0", "01A", "01D", "Y56", "ENG"]
    headers = [c.header for c in sheet.columns][5:8]
    assert headers == ["Actual", "Fair share year", "Fair share"]
    assert "Delivery" not in [t.sheet for t in workbook_tables(rows, None, None, None)]
    england = next(
        t for t in workbook_tables(prepare(SPINE), None, None, d) if t.sheet == "Delivery"
    )
    assert list(dict.fromkeys(england.frame["org_code"])) == ["ENG", "Y56", "Y57"]


def test_the_chart_draws_counted_actuals_over_the_bars(tables_of):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2022")
    rows = scopes.rows(prepare(SPINE), scopes.Scope("icb", "QA0"))
    marks = delivery.marks(d, "QA0")
    assert marks == (
        ("A01", "2021/22", 100.0, "Q4 2021/22"),
        ("A01", "2023/24", 203.0, "Q4 2023/24"),
    )
    plain, with_marks = charts.render(rows, "QA0"), charts.render(rows, "QA0", marks)
    assert "published actual of A01: 100 in Q4 2021/22, 203 in Q4 2023/24" in with_marks[1]
    a = Image.open(io.BytesIO(plain[0])).convert("L")
    b = Image.open(io.BytesIO(with_marks[0])).convert("L")
    assert a.size == b.size and a.tobytes() != b.tobytes()


def test_the_csv_reads_back_as_written(tables_of, tmp_path):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2022")
    delivery_file.write_csv(d, tmp_path)
    back = delivery_file.read_csv(tmp_path / delivery.FILE)
    assert back.columns == list(delivery.COLUMNS) and back.height == d.height
    assert back["actual_value"].to_list() == d["actual_value"].to_list()


def test_a_geography_with_no_actuals_says_so_and_a_wrong_measure_is_refused(tables_of):
    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2024")
    assert d.height == 1 and d["org_code"][0] == "ENG"
    assert d["actual_from"][0] == "no phsmi actuals on geography 2024 (shipped on ['2022', '2026'])"
    with pytest.raises(InputError, match="no denominator 'registr'.*have: checks, register"):
        delivery.build(SPINE, (_spec(denominator="registr"),), "2022")


def test_the_delivery_sheet_prints_its_own_rows_and_the_check_knows_it(tables_of, tmp_path):
    """The Delivery sheet's default print area is its heading and the organisation's own
    rows (its parts and the levels above follow on screen, as A2 says), up to how each
    actual was got (the parts' sums are on screen); `mhtool check` names a Delivery sheet
    printing anything else."""
    import openpyxl

    from mhtool.outputs.workbook import check

    tables_of({"phsmi": CHECKS})
    d = delivery.build(SPINE, (_spec(),), "2022")
    rows = scopes.rows(prepare(SPINE), scopes.Scope("icb", "QA0"))
    sheet = next(t for t in workbook_tables(rows, None, None, d) if t.sheet == "Delivery")
    own = sheet.frame.filter(pl.col("org_code") == "QA0").height
    assert 0 < own < sheet.frame.height  # QA0's rows, then 01A, 01D, Y56, ENG
    assert sheet.print_area == (own, 14)  # kept through note numbering
    headers = [c.header for c in sheet.columns]
    assert headers[13] == "How the actual was got"  # the last printed; the parts' sums not
    assert sheet.description.startswith(PRINTED_FIRST)

    last = f"$N${3 + own}"  # 14 of the 16 columns, the header in row 3
    path = written(tmp_path / "QA0.xlsx", sheet)
    assert openpyxl.load_workbook(path)["Delivery"].print_area == f"'Delivery'!$A$1:{last}"
    rel = "systems/QA0.xlsx"
    assert not [p for p in check.check_print(path, rel, expected=[sheet]) if "print" in p]
    whole = check.check_print(
        written(tmp_path / "QA0.xlsx", replace(sheet, print_area=None)), rel, expected=[sheet]
    )
    assert f"{rel} Delivery: its print area is the whole sheet; expected $A$1:{last}" in whole

    # a sheet of its own rows alone prints whole, and does not say others follow
    alone = delivery.sheet_table(rows, d.filter(pl.col("org_code") == "QA0"))
    assert alone.print_area is None and PRINTED_FIRST not in alone.description
