"""The planning export from a small synthetic spine: template layout, measure types,
sub-ICB rows on request, money and staff apart, nothing dropped, and its check."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import replace

import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, SAMPLE_PLANNING, sample_register, sample_spine

from mhtool.outputs import write_outputs
from mhtool.outputs.planning import write as planning
from mhtool.outputs.planning.check import check_planning
from mhtool.outputs.views.tables import prepare
from mhtool.planning import profile, template
from mhtool.planning.spec import PlanningSpec, Start


@pytest.fixture(scope="module")
def spine():
    return sample_spine()


@pytest.fixture(scope="module")
def out(tmp_path_factory, spine):
    folder = tmp_path_factory.mktemp("planning")
    refs = dict(SAMPLE_PLANNING.refs)
    refs["A03"] = replace(refs["A03"], numerator="checks", denominator="register")
    spec = replace(
        SAMPLE_PLANNING, refs=refs, denominators={"A03": sample_register(spine)}, subicb=True
    )
    write_outputs(
        spine,
        folder,
        replace(SAMPLE_META, planning=spec),
        system=None,
        progress=False,
        workers=1,
    )
    return folder


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_template_files_have_exactly_the_layout(out):
    for path in (out / "planning").glob("Q*.csv"):
        with open(path, newline="") as fh:
            assert next(csv.reader(fh)) == template.TEMPLATE_COLUMNS


def test_subicb_rows_on_request_and_whole_people_every_month(out):
    rows = _rows(out / "planning/QA0.csv")
    assert {r["org_code"] for r in rows} == {"QA0", "01A", "01D"}
    counts = [r for r in rows if r["measure_type"] in ("Count", "Numerator", "Denominator")]
    months = [r[m] for r in counts for m in profile.MONTHS if r[m] != "NA"]
    assert months and all(m.isdigit() for m in months)


def test_percentage_comes_with_numerator_and_denominator(out, spine):
    rows = [r for r in _rows(out / "planning/QA0.csv") if r["planning_ref"] == "E.S.3"]
    by_type = defaultdict(list)
    for r in rows:
        by_type[r["measure_type"]].append(r)
    assert set(by_type) == {"Numerator", "Denominator", "Percentage"}
    num = next(
        r for r in by_type["Numerator"] if r["org_code"] == "QA0" and r["fin_year"] == "2023/24"
    )
    den = next(
        r for r in by_type["Denominator"] if r["org_code"] == "QA0" and r["fin_year"] == "2023/24"
    )
    pct = next(
        r for r in by_type["Percentage"] if r["org_code"] == "QA0" and r["fin_year"] == "2023/24"
    )
    # on NHS England's 0-100 scale (3.98 = 3.98%), as its own files hold percentages
    assert float(pct["Mar"]) == round(100 * int(num["Mar"]) / int(den["Mar"]), 2)
    rate = next(r for r in _rows(out / "planning/QA0.csv") if r["planning_ref"] == "E.S.4")
    want_rate = spine.filter(
        pl.col("org_code") == "QA0",
        pl.col("ambition_id") == "A04",
        pl.col("year") == rate["fin_year"],
    ).item(0, "value")
    assert rate["measure_type"] == "Percentage" and float(rate["Mar"]) == want_rate
    want = spine.filter(
        pl.col("org_code") == "QA0", pl.col("ambition_id") == "A03", pl.col("year") == "2023/24"
    ).item(0, "value")
    assert sum(int(num[m]) for m in profile.MONTHS) == want  # in-year: the months add up


def test_money_and_staff_are_apart_in_their_own_units(out):
    money = _rows(out / "planning/funding_workforce.csv")
    assert {r["measure"] for r in money} == {"funding", "workforce"}
    assert {r["unit"] for r in money} == {"£", "WTE"}
    for path in (out / "planning").glob("Q*.csv"):
        assert {r["planning_ref"] for r in _rows(path)} <= {"E.S.1", "E.S.3", "E.S.4"}


def test_every_other_activity_line_is_kept_with_its_title_and_unit(out, spine):
    other = _rows(out / "planning/other_lines.csv")
    activity = set(
        spine.filter(pl.col("measure") == "activity").get_column("ambition_id").to_list()
    )
    assert {r["metric_code"] for r in other} == activity - {"A01", "A03", "A04"}
    a06 = [r for r in other if r["metric_code"] == "A06"]
    assert {r["ref_status"] for r in a06} == {"candidate, not confirmed"}
    assert {r["dim_type"] for r in a06} == {"Quarter"}
    assert all(r["title"] and r["unit"] for r in other)


def test_profile_record_says_indicative(out):
    record = json.loads((out / "planning/profile.json").read_text())
    assert record["indicative"] is True and record["subicb"] is True
    assert record["percent_scale"] == "0-100"


def test_proportions_on_request_and_the_check_holds_the_scale(out, spine):
    df = prepare(spine)
    spec = PlanningSpec.from_profile(json.loads((out / "planning/profile.json").read_text()))
    hundred = planning.build(df, spec, "s", subicb=True)[0]["QA0"]
    spec = replace(spec, percent_scale="proportion")
    shares = planning.build(df, spec, "s", subicb=True)[0]["QA0"]
    pairs = [(a, b) for a, b in zip(hundred, shares, strict=True) if a[3] == "Percentage"]
    assert pairs and all(
        float(b[-1]) == round(float(a[-1]) / 100, 4) for a, b in pairs if a[-1] != "NA"
    )
    path = out / "planning/QA0.csv"
    text = path.read_text()
    lines = text.splitlines()
    n = next(i for i, r in enumerate(lines) if ",E.S.3,Percentage," in r and not r.endswith("NA"))
    cells = lines[n].split(",")
    cells[-1] = str(float(cells[-1]) / 100)  # a proportion in a 0-100 file
    path.write_text("\n".join([*lines[:n], ",".join(cells), *lines[n + 1 :]]) + "\n")
    try:
        problems, _ = check_planning(out, spine, df)
        assert any("on the 0-100 scale gives" in p for p in problems)
    finally:
        path.write_text(text)


def test_the_check_passes_then_names_a_broken_month(out, spine, tmp_path):
    problems, files = check_planning(out, spine, prepare(spine))
    assert problems == [] and files == 6
    path = out / "planning/england.csv"
    text = path.read_text()
    rows = text.splitlines()
    n = next(i for i, r in enumerate(rows) if ",Count," in r and ",NA," not in r)
    fields = rows[n].split(",")
    fields[8] = str(int(fields[8]) + 5)  # May
    path.write_text("\n".join([*rows[:n], ",".join(fields), *rows[n + 1 :]]) + "\n")
    try:
        problems, _ = check_planning(out, spine, prepare(spine))
        assert any("May: the ICB files sum to" in p for p in problems)
    finally:
        path.write_text(text)


def test_months_before_march_are_given_or_the_row_says_why(out):
    other = _rows(out / "planning/other_lines.csv")
    assert list(other[0])[-1] == "note"
    early = [m for m in profile.MONTHS[:-1]]
    for r in other:
        if r["Mar"] == "NA":
            assert r["note"] == ""
            continue
        profiled = ["Jun", "Sep", "Dec"] if r["dim_type"] == "Quarter" else early
        missing = any(r[m] == "NA" for m in profiled)
        assert bool(r["note"]) == missing, r
        if missing:
            assert r["fin_year"] in r["note"]
    assert any(r["note"] for r in other)


def test_a_carried_level_known_the_year_before_fills_the_first_year(spine):
    df = prepare(spine)
    rate = df.filter(pl.col("kind").is_in(["rate", "standard"]), pl.col("measure") == "activity")
    aid = rate.get_column("ambition_id")[0]
    rows = rate.filter(pl.col("ambition_id") == aid, pl.col("value").is_not_null())
    first = rows.get_column("year").min()
    org = rows.filter(pl.col("year") == first).get_column("org_code")[0]
    cur = rows.filter(pl.col("year") == first, pl.col("org_code") == org).item(0, "value")
    before = f"{int(first[:4]) - 1}/{first[2:4]}"
    plain = planning.monthly(df, SAMPLE_PLANNING)[(org, aid, first)]
    spec = replace(SAMPLE_PLANNING, starts={aid: Start(before, cur - 12)})
    started = planning.monthly(df, spec)[(org, aid, first)]
    assert first == df.get_column("year").min()  # the run's first year
    assert plain[:11] == [None] * 11 and plain[11] == cur  # without it: March alone
    assert started[11] == cur and started[0] == round(cur - 11, 4)  # steps from it
    counts = replace(SAMPLE_PLANNING, starts={"A01": Start(before, 0)})
    a01 = df.filter(pl.col("ambition_id") == "A01", pl.col("value").is_not_null())
    y = a01.get_column("year").min()
    sub = a01.filter(pl.col("year") == y, pl.col("level") == "subicb").get_column("org_code")[0]
    assert (
        planning.monthly(df, counts)[(sub, "A01", y)]
        == planning.monthly(df, SAMPLE_PLANNING)[(sub, "A01", y)]
    )  # a count never takes a start: nothing apportions it


def test_the_notes_the_export_writes_are_plain_ascii(out):
    # Excel on Windows opens a CSV without a byte-order mark in the ANSI code page: any
    # other character the export adds would show garbled ('20â€“25').
    notes = [r["note"] for r in _rows(out / "planning/other_lines.csv")]
    assert any(notes) and all(n.isascii() for n in notes)


def test_a_run_written_before_the_scale_was_recorded_is_checked_as_proportions(spine, tmp_path):
    refs = dict(SAMPLE_PLANNING.refs)
    refs["A03"] = replace(refs["A03"], numerator="checks", denominator="register")
    spec = replace(
        SAMPLE_PLANNING,
        refs=refs,
        denominators={"A03": sample_register(spine)},
        percent_scale="proportion",
    )
    meta = replace(SAMPLE_META, planning=spec)
    write_outputs(spine, tmp_path, meta, system=None, progress=False, workers=1)
    record_path = tmp_path / "planning/profile.json"
    record = json.loads(record_path.read_text())
    assert record.pop("percent_scale") == "proportion"
    record_path.write_text(json.dumps(record))  # as the earlier release wrote it
    assert check_planning(tmp_path, spine, prepare(spine))[0] == []
    record_path.write_text(json.dumps(record | {"percent_scale": "0-100"}))
    problems = check_planning(tmp_path, spine, prepare(spine))[0]
    assert any("on the 0-100 scale gives" in p for p in problems)
