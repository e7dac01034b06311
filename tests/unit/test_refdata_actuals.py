"""Actual delivery as reference data: moving codes between vintages, reading small slices
of the two raw files (made here in their exact shapes), and the shipped tables."""

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from mhtool.errors import InputError
from mhtool.refdata import store
from mhtool.refdata.actuals import move, nhstt, phsmi
from mhtool.refdata.raw import RawDir


def _rows(codes_values, period="Q4 2023/24"):
    return pl.DataFrame(
        {
            "geography": ["2026"] * len(codes_values),
            "period": [period] * len(codes_values),
            "org_code": [c for c, _ in codes_values],
            "value": [v for _, v in codes_values],
            "route": [move.AS_PUBLISHED] * len(codes_values),
        },
        schema_overrides={"value": pl.Int64},
    )


FLOWS = pl.DataFrame(
    {
        "from_code": ["A", "B", "C", "C", "D"],
        "to_code": ["AB", "AB", "C1", "C2", "D"],
        "weight": [10.0, 5.0, 1.0, 2.0, 3.0],
    }
)


def test_whole_split_adds_up_and_follows_weights():
    assert move.whole_split(10, [1, 2]) == [3, 7]
    assert move.whole_split(7, [1, 1, 1]) == [3, 2, 2]  # ties to the earlier
    assert sum(move.whole_split(361_210, [0.3, 0.3, 0.4])) == 361_210


def test_merged_codes_summed_split_flagged_unknown_returned():
    moved, unmapped = move.onto(
        _rows([("A", 4), ("B", 6), ("C", 10), ("D", 5), ("X", 1)]), FLOWS, "population"
    )
    got = {r["org_code"]: (r["value"], r["route"]) for r in moved.iter_rows(named=True)}
    assert got["AB"] == (10, "sum of: from A; from B")
    assert got["C1"][0] + got["C2"][0] == 10 and got["C2"] == (7, "split: 66.7% of C by population")
    assert got["D"] == (5, move.AS_PUBLISHED)
    assert unmapped == ["X"] and "X" not in got


def test_missing_stays_missing_in_every_sum_and_split():
    moved, _ = move.onto(_rows([("A", None), ("B", 6), ("C", None)]), FLOWS, "population")
    got = dict(moved.select("org_code", "value").iter_rows())
    assert got == {"AB": None, "C1": None, "C2": None}  # never zero, never B's 6 alone


def _phsmi_raw(tmp_path: Path, rows) -> RawDir:
    path = tmp_path / phsmi.RAW
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet(phsmi.SHEET)
    ws.write_row(0, 0, ["Physical-Health-Checks-SMI Raw Data"])
    ws.write_row(1, 0, phsmi.HEADER)
    for i, r in enumerate(rows, start=2):
        ws.write_row(i, 0, r)
    wb.close()
    return RawDir(tmp_path)


def test_phsmi_slice_read_blank_is_missing(tmp_path):
    raw = _phsmi_raw(
        tmp_path,
        [
            ["SMI-Q4-2023-2024", "00L", "All6PHC", 1874],
            ["SMI-Q4-2023-2024", "00L", "SMIRegister", 2600],
            ["SMI-Q4-2023-2024", "00L", "Alcohol", 2000],  # single checks are not kept
            ["SMI-Q3-2018-2019", "07M", "All6PHC", ""],
        ],
    )
    df = phsmi.read(raw)
    assert df.rows() == [
        ("2023/24", "Q4 2023/24", "00L", "all_six_checks", 1874),
        ("2023/24", "Q4 2023/24", "00L", "smi_register", 2600),
        ("2018/19", "Q3 2018/19", "07M", "all_six_checks", None),
    ]
    assert raw.read[phsmi.RAW]["rows"] == 4


@pytest.mark.parametrize(
    "row,message",
    [
        (["SMI-Q4-2023-2024", "00L", "All6PHC", -3], "non-negative whole number"),
        (["SMI-Q4-2023-2024", "00L", "All6PHC", "lots"], "non-negative whole number"),
        (["Q4 2023/24", "00L", "All6PHC", 3], "not like SMI-Q4-2023-2024"),
    ],
)
def test_phsmi_slice_bad_rows_named(tmp_path, row, message):
    raw = _phsmi_raw(tmp_path, [["SMI-Q4-2023-2024", "00N", "All6PHC", 5], row])
    with pytest.raises(InputError, match=message) as err:
        phsmi.read(raw)
    assert err.value.row == 4 and phsmi.RAW in str(err.value)


def _nhstt_raw(tmp_path: Path, values) -> RawDir:
    path = tmp_path / nhstt.RAW
    path.parent.mkdir(parents=True)
    base = {
        "reporting_period": "2024-25",
        "variable_type": "Total",
        "measure_statistic": "count",
    }
    rows = [
        base | {"org_type": t, "org_code": c, "measure_name": m, "value": v}
        for t, c, m, v in values
    ]
    pl.DataFrame(rows).write_parquet(path)
    return RawDir(tmp_path)


def test_nhstt_slice_suppressed_is_missing_england_is_eng(tmp_path):
    raw = _nhstt_raw(
        tmp_path,
        [
            ("England", "All", "finished_course_treatment", "670419"),
            ("ICB", "QKS", "finished_course_treatment", "12875"),
            ("ICB", "QKS", "recovery", "*"),
            ("Provider", "RXY", "recovery", "40"),  # providers are not kept
        ],
    )
    df = nhstt.read(raw)
    assert df.sort("org_code").rows() == [
        ("2024/25", "england", "ENG", "finished_course_treatment", 670419),
        ("2024/25", "icb", "QKS", "finished_course_treatment", 12875),
        ("2024/25", "icb", "QKS", "recovery", None),
    ]


def test_nhstt_slice_bad_count_named(tmp_path):
    raw = _nhstt_raw(tmp_path, [("ICB", "QKS", "recovery", "12.5")])
    with pytest.raises(InputError, match="not a count or '\\*': '12.5'.*QKS"):
        nhstt.read(raw)


# ---------------------------------------------------------------- the shipped tables


@pytest.mark.parametrize("geography", ["2022", "2026"])
def test_shipped_smi_checks_q4_2023_24(geography):
    df = store.actuals("phsmi", geography).filter(pl.col("period") == "Q4 2023/24")
    checks = df.filter(pl.col("measure") == "all_six_checks")
    assert checks["value"].sum() == 361_210  # PROVENANCE.md's national sum
    assert df.filter(pl.col("measure") == "smi_register")["value"].sum() == 527_556
    assert set(checks["org_code"]) == set(store.geography(geography)["subicb_code"])


def test_shipped_smi_checks_2026_flags_its_splits():
    df = store.actuals("phsmi", "2026").filter(pl.col("period") == "Q4 2023/24")
    split = df.filter(pl.col("route").str.contains("split"))
    assert 0 < split.height < df.height
    assert split["route"].str.contains("by mid-2020 population").all()


@pytest.mark.parametrize("geography,icbs", [("2022", 42), ("2026", 36)])
def test_shipped_talking_therapies_icbs(geography, icbs):
    df = store.actuals("nhstt", geography).filter(
        (pl.col("year") == "2024/25") & (pl.col("measure") == "finished_course_treatment")
    )
    by = dict(df.group_by("level").agg(pl.col("value").sum()).iter_rows())
    assert by["england"] == 670_419
    # the published ICB rows sum to 670,405 (counts rounded to 5), UNKNOWN's 1,010 left out
    assert by["icb"] == 670_405 - 1010
    assert df.filter(pl.col("level") == "icb").height == icbs
    assert set(df.filter(pl.col("level") == "icb")["org_code"]) == set(
        store.geography(geography)["icb_code"]
    )


def test_actuals_shipped_on_2022_and_2026():
    assert (
        store.actual_geographies("phsmi") == store.actual_geographies("nhstt") == ["2022", "2026"]
    )


def test_unknown_actuals_source_named():
    with pytest.raises(InputError, match="available: nhstt, phsmi"):
        store.actuals("iapt", "2022")


def test_shipped_talking_therapies_sub_icbs_add_up_to_their_icbs_within_a_percent():
    # 2021/22: CCGs and STPs of April 2021 both moved to 2022's codes by the crosswalk
    # (West Birmingham, Bassetlaw, Glossop and Royston changed ICB in July 2022)
    df = store.actuals("nhstt", "2022").filter(
        (pl.col("year") == "2021/22") & (pl.col("measure") == "finished_course_treatment")
    )
    subs = df.filter(pl.col("level") == "subicb").join(
        store.geography("2022"), left_on="org_code", right_on="subicb_code"
    )
    assert subs.height == 106 and subs["route"].str.starts_with("split").any()
    icbs = dict(df.filter(pl.col("level") == "icb").select("org_code", "value").iter_rows())
    parts = dict(subs.group_by("icb_code").agg(pl.col("value").sum()).iter_rows())
    assert set(icbs) == set(parts)
    assert all(abs(icbs[c] - parts[c]) <= 0.01 * icbs[c] for c in icbs)
    assert abs(sum(icbs.values()) - sum(parts.values())) <= 5 * 106  # counts rounded to 5


def test_shipped_talking_therapies_older_ccgs_moved_through_practices():
    df = store.actuals("nhstt", "2022").filter(
        (pl.col("year") == "2019/20")
        & (pl.col("measure") == "finished_course_treatment")
        & (pl.col("level") == "subicb")
    )
    assert df.height == 106 and df["route"].str.starts_with("sum of: from").any()
    england = store.actuals("nhstt", "2022").filter(
        (pl.col("year") == "2019/20")
        & (pl.col("measure") == "finished_course_treatment")
        & (pl.col("level") == "england")
    )["value"][0]
    assert 0 < england - df["value"].sum() < 0.01 * england  # UNKNOWN, hubs, rounding
