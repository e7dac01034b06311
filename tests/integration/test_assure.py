"""`mhtool assure` on plan files made here against a small synthetic run: period rules,
sums up the hierarchy, percentages recomputed, versions, every rejection, exit codes."""

from __future__ import annotations

import csv
from dataclasses import replace

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.op_planning import OP_COLUMNS
from fixtures.sample import SAMPLE_META, SAMPLE_PLANNING, sample_register, sample_spine

from mhtool.cli import main
from mhtool.infra.manifest import write_manifest
from mhtool.outputs import write_outputs
from mhtool.planning.template import TEMPLATE_COLUMNS

HEAD = TEMPLATE_COLUMNS  # plans come back in the layout the export writes
YEAR = "2023/24"


@pytest.fixture(scope="module")
def spine():
    return sample_spine()


@pytest.fixture(scope="module")
def run(tmp_path_factory, spine):
    """A run folder: spine, manifest and planning/profile.json with A03 as a percentage."""
    folder = tmp_path_factory.mktemp("run")
    refs = dict(SAMPLE_PLANNING.refs)
    refs["A03"] = replace(refs["A03"], numerator="n", denominator="d")
    spec = replace(SAMPLE_PLANNING, refs=refs, denominators={"A03": sample_register(spine)})
    write_outputs(spine, folder, SAMPLE_META.replaced(planning=spec), progress=False, workers=1)
    spine.write_parquet(folder / "apportionment.parquet")
    write_manifest(folder, settings={"geography": "sample"}, inputs={})
    return folder


def fair(spine, org, aid, year=YEAR):
    return spine.filter(
        pl.col("org_code") == org, pl.col("ambition_id") == aid, pl.col("year") == year
    ).item(0, "value")


def _write(path, rows, header=HEAD):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def row(org, ref, mtype, months, icb="", year=YEAR, source="v1 2024-01-10"):
    return [icb, org, ref, mtype, "Month", year, source, *months]


def rolling(march):
    return ["NA"] * 11 + [str(march)]


def _assure(args):
    return CliRunner().invoke(main, ["assure", *map(str, args)])


def _result(out):
    with open(out / "assurance.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _issues(out):
    with open(out / "assurance_issues.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _get(result, org, aid, mtype="Count", year=YEAR):
    return next(
        r
        for r in result
        if r["org_code"] == org
        and r["ambition_id"] == aid
        and r["measure_type"] == mtype
        and r["fin_year"] == year
    )


def test_period_rules_sums_and_ratings(run, spine, tmp_path):
    # A01 rolling: the March value; A03 in-year: the sum of the months.
    qa0 = fair(spine, "QA0", "A01")
    plans = [
        row("QA0", "E.S.1", "Count", ["1"] * 11 + [str(qa0)]),
        row("QA1", "E.S.1", "Count", rolling(int(fair(spine, "QA1", "A01") * 0.97))),
        row("QA2", "E.S.1", "Count", rolling(int(fair(spine, "QA2", "A01") * 0.5))),
        row("QA0", "E.S.3", "Numerator", ["10"] * 12),
        row("QA0", "E.S.3", "Denominator", ["NA"] * 11 + ["1000"]),
    ]
    out = tmp_path / "out"
    result = _assure([_write(tmp_path / "p.csv", plans), "--against", run, "--out", out])
    assert result.exit_code == 0, result.output
    got = _result(out)
    r = _get(got, "QA0", "A01")
    assert float(r["plan"]) == qa0 and r["rating"].startswith("green")
    assert _get(got, "QA1", "A01")["rating"].startswith("amber")
    assert _get(got, "QA2", "A01")["rating"].startswith("red")
    eng = _get(got, "ENG", "A01")
    total = sum(float(_get(got, c, "A01")["plan"]) for c in ("QA0", "QA1", "QA2"))
    assert float(eng["plan"]) == total and eng["systems_planned"] == "3 of 3"
    assert float(eng["gap"]) == total - fair(spine, "ENG", "A01")
    assert float(_get(got, "QA0", "A03")["plan"]) == 120  # in-year: 12 months of 10
    assert float(_get(got, "QA0", "A03", "Percentage")["plan"]) == 12.0  # 120 / 1000
    assert "ENG" in {r["org_code"] for r in got} and "Y56" in {r["org_code"] for r in got}
    wb = openpyxl.load_workbook(out / "assurance.xlsx")
    assert wb.sheetnames[:3] == ["Cover", "Contents", "England"] and "Chart" in wb.sheetnames
    assert wb.active.title == "Cover" and wb["Cover"]["A1"].value == "Plans against fair shares"
    assert wb.properties.title == "Plans against fair shares"
    for ws in wb.worksheets:  # a title in A1, a description in A2, no merged cells
        assert ws["A1"].value and ws["A2"].value and not ws.merged_cells.ranges
    assert len(wb["Chart"]._charts) >= 1


def test_percentages_are_recomputed_from_sums_never_averaged(run, tmp_path):
    plans = [
        row("01A", "E.S.3", "Numerator", ["NA"] * 11 + ["10"], icb="QA0"),
        row("01A", "E.S.3", "Denominator", ["NA"] * 11 + ["100"], icb="QA0"),
        row("01A", "E.S.3", "Percentage", ["NA"] * 11 + ["0.1"], icb="QA0"),
        row("RXX", "E.S.3", "Numerator", ["NA"] * 11 + ["90"], icb="QA0"),
        row("RXX", "E.S.3", "Denominator", ["NA"] * 11 + ["300"], icb="QA0"),
    ]
    out = tmp_path / "out"
    result = _assure([_write(tmp_path / "p.csv", plans), "--against", run, "--out", out])
    assert result.exit_code == 0, result.output
    pct = _get(_result(out), "QA0", "A03", "Percentage")
    assert float(pct["plan"]) == 25.0  # (10 + 90) / (100 + 300), not the mean of 10% and 30%
    notes = {i["cause"]: i["problem"] for i in _issues(out) if i["action"] == "note"}
    assert "recomputed" in notes["Percentage recomputed"]
    assert "proportions" in notes["percentage scale"]  # 0.1 read as 10%


def test_latest_version_by_default_or_the_one_asked_for(run, spine, tmp_path):
    old = row("QA0", "E.S.1", "Count", rolling(1), source="draft 2024-01-01")
    new = row("QA0", "E.S.1", "Count", rolling(2), source="final 2024-03-01")
    plans = _write(tmp_path / "p.csv", [new, old])
    out = tmp_path / "out"
    assert _assure([plans, "--against", run, "--out", out]).exit_code == 0
    assert float(_get(_result(out), "QA0", "A01")["plan"]) == 2
    assert any("not used" in i["action"] for i in _issues(out))
    assert (
        _assure([plans, "--against", run, "--out", out, "--source", "draft 2024-01-01"]).exit_code
        == 0
    )
    assert float(_get(_result(out), "QA0", "A01")["plan"]) == 1


def test_every_rejection_is_named_and_usable_rows_are_still_used(run, tmp_path):
    good = row("QA0", "E.S.1", "Count", rolling(5))
    plans = [
        good,
        row("ZZZ", "E.S.1", "Count", rolling(5)),  # unknown org, no icb_code
        row("RXX", "E.S.1", "Count", rolling(5), icb="QQQ"),  # unknown ICB
        row("RXX", "E.S.1", "Count", rolling(5), icb="QHM"),  # an ICB of a real geography
        row("QA1", "E.S.1", "Count", rolling(5)),  # duplicate ...
        row("QA1", "E.S.1", "Count", rolling(6)),  # ... of this one
        row("QA2", "E.S.3", "Percentage", rolling(50)),  # no numerator/denominator
        row("QA2", "E.S.1", "Count", ["1", "x", *["1"] * 10]),  # text in a month
        row("QA2", "E.H.99", "Count", rolling(5)),  # no ambition
    ]
    out = tmp_path / "out"
    result = _assure([_write(tmp_path / "p.csv", plans), "--against", run, "--out", out])
    assert result.exit_code == 0, result.output
    issues = {(int(i["row"]), i["field"]): i for i in _issues(out) if i["row"]}
    assert "not an ICB or sub-ICB location" in issues[(3, "org_code")]["problem"]
    assert "not an ICB of" in issues[(4, "icb_code")]["problem"]
    assert "geography" in issues[(5, "icb_code")]["problem"]
    assert "duplicate" in issues[(6, "org_code")]["problem"]
    assert "duplicate" in issues[(7, "org_code")]["problem"]
    assert "without its Numerator and Denominator" in issues[(8, "measure_type")]["problem"]
    assert "is not a number" in issues[(9, "May")]["problem"]
    assert issues[(10, "planning_ref")]["action"] == "not compared (unmapped)"
    assert {r["org_code"] for r in _result(out) if r["level"] == "icb"} == {"QA0"}
    assert "row rejected" in result.output and "duplicate row [row rejected]" in result.output


def test_nothing_usable_exits_2_and_writes_every_issue(run, tmp_path):
    out = tmp_path / "out"
    good = _write(tmp_path / "good.csv", [row("QA0", "E.S.1", "Count", rolling(5))])
    assert _assure([good, "--against", run, "--out", out]).exit_code == 0
    before = (out / "assurance.csv").read_bytes()
    bad = _write(tmp_path / "bad.csv", [["QA0", "E.S.1"]], header=["org_code", "planning_ref"])
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    result = _assure([bad, locked, "--against", run, "--out", out])
    assert result.exit_code == 2
    assert "required column missing" in result.output and "password-protected" in result.output
    assert "Traceback" not in result.output
    # the issues are the whole output: no results (the earlier ones would be stale)
    assert before and not (out / "assurance.csv").exists()
    assert [i["file"] for i in _issues(out)] == [str(bad), str(locked)]


def test_thresholds_can_be_set(run, spine, tmp_path):
    plan = int(fair(spine, "QA0", "A01") * 0.9)
    plans = _write(tmp_path / "p.csv", [row("QA0", "E.S.1", "Count", rolling(plan))])
    out = tmp_path / "out"
    assert _assure([plans, "--against", run, "--out", out, "--thresholds", "80,90"]).exit_code == 0
    assert _get(_result(out), "QA0", "A01")["rating"].startswith("amber (80%")
    assert _assure([plans, "--against", run, "--out", out, "--thresholds", "9"]).exit_code == 2


def test_text_from_plans_is_never_a_formula_in_the_outputs(run, tmp_path):
    plans = [
        row("QA0", "E.S.1", "Count", rolling(5)),
        row("=HYPERLINK(1)", "E.S.1", "Count", rolling(5)),
    ]
    out = tmp_path / "out"
    assert (
        _assure([_write(tmp_path / "p.csv", plans), "--against", run, "--out", out]).exit_code == 0
    )
    text = (out / "assurance_issues.csv").read_text()
    assert "=HYPERLINK" in text
    assert not any(line.startswith("=") or ",=" in line for line in text.splitlines())
    wb = openpyxl.load_workbook(out / "assurance.xlsx")
    cells = [c for r in wb["Issues"].iter_rows() for c in r]
    assert all(c.data_type != "f" for c in cells)


def test_a_lower_is_better_ambition_is_rated_the_other_way(run, spine, tmp_path):
    # The same run, with A01 declared lower-is-better (as the catalogue does for
    # out-of-area placements): under the fair share is green, over it amber, then red.
    import json
    import shutil

    lower = tmp_path / "run"
    shutil.copytree(run, lower)
    record_path = lower / "planning" / "profile.json"
    record = json.loads(record_path.read_text())
    record["directions"] = {"A01": "lower_is_better"}
    record_path.write_text(json.dumps(record))
    plans = [
        row("QA0", "E.S.1", "Count", rolling(int(fair(spine, "QA0", "A01") * 0.5))),
        row("QA1", "E.S.1", "Count", rolling(int(fair(spine, "QA1", "A01") * 1.03))),
        row("QA2", "E.S.1", "Count", rolling(int(fair(spine, "QA2", "A01") * 2))),
    ]
    out = tmp_path / "out"
    result = _assure([_write(tmp_path / "p.csv", plans), "--against", lower, "--out", out])
    assert result.exit_code == 0, result.output
    got = _result(out)
    below, above, far = (_get(got, c, "A01") for c in ("QA0", "QA1", "QA2"))
    assert below["rating"].startswith("green") and float(below["shortfall"]) == 0
    assert above["rating"].startswith("amber")
    assert far["rating"].startswith("red") and "less is better" in far["rating"]
    assert float(far["shortfall"]) == float(far["gap"]) > 0
    # The run without a direction rates the same plans the usual way round.
    _assure([_write(tmp_path / "p.csv", plans), "--against", run, "--out", out])
    assert _get(_result(out), "QA0", "A01")["rating"].startswith("red")
    assert _get(_result(out), "QA2", "A01")["rating"].startswith("green")


# --- NHS England's own plan-monitoring layout (nhsengland/op_planning) -----------------------


def op_row(icb, org, ref, mtype, source, months, year=YEAR):
    """A row as op_planning's benchmarking table holds it (keys repeated at both ends)."""
    return [icb, org, ref, mtype, "Month", year, ref + mtype, source, *months, ref + mtype + org]


def test_nhs_englands_own_layout(run, spine, tmp_path):
    fair_qa0, fair_qa2 = fair(spine, "QA0", "A01"), fair(spine, "QA2", "A01")
    plans = [
        op_row("QA0", "QA0", "E.S.1", "Count", "march24_plan", rolling(1)),
        op_row("QA0", "QA0", "E.S.1", "Count", "June24_plan", rolling(fair_qa0)),
        op_row("QA0", "QA0", "E.S.1", "Count", "may24_plan", rolling(2)),
        op_row("QA0", "QA0", "E.S.1", "Count", "current_actuals", rolling(fair_qa0 // 2)),
        op_row("QA0", "QA0", "E.S.1", "Count", "variance", rolling(-500)),
        op_row("QA2", "QA2", "E.S.1", "Count", "June24_plan", rolling(fair_qa2)),
        op_row("Y56", "Y56", "E.S.1", "Count", "June24_plan", rolling(fair_qa0 + fair_qa2 + 7)),
        op_row("QA1", "QA1", "E.S.1", "Count", "June24_plan", [*["5"] * 11, "-5"]),
        op_row("QA0", "QA0", "E.S.4", "Percentage", "June24_plan", rolling(25.8)),
        op_row("QA1", "QA1", "E.S.4", "Percentage", "June24_plan", rolling(12.9)),
        op_row("QA0", "QA0", "E.S.6", "Count", "June24_plan", rolling(3)),
    ]
    plans[-1][-1] = "E.S.6CountQA9"  # a full_key naming another organisation
    plans.append(op_row("QA0", "RXX", "E.S.1", "Count", "June24_plan", rolling(9)))  # a part
    out = tmp_path / "out"
    result = _assure(
        [_write(tmp_path / "p.csv", plans, OP_COLUMNS), "--against", run, "--out", out]
    )
    assert result.exit_code == 0, result.output
    got = _result(out)
    plan = _get(got, "QA0", "A01")
    assert plan["compared"] == "plan" and plan["source"] == "June24_plan"  # the latest *_plan
    assert float(plan["plan"]) == fair_qa0 and plan["rating"].startswith("green")
    delivered = [r for r in got if r["compared"] == "actual delivery"]
    assert {r["org_code"] for r in delivered} == {"QA0", "Y56", "ENG"}  # summed up
    delivered = next(r for r in delivered if r["org_code"] == "QA0")
    assert float(delivered["plan"]) == fair_qa0 // 2
    assert delivered["rating"].startswith("red")
    region = _get(got, "Y56", "A01")  # its own row, compared with its fair share
    assert float(region["plan"]) == fair_qa0 + fair_qa2 + 7
    assert float(region["fair_share"]) == fair(spine, "Y56", "A01")
    rate = _get(got, "QA0", "A04", "Percentage")  # a rate, on the file's 0-100 scale
    assert float(rate["plan"]) == 25.8 and float(rate["pct_of_fair_share"]) == 100
    assert _get(got, "QA1", "A04", "Percentage")["rating"].startswith("red")
    issues = _issues(out)
    by_row = {(i["row"], i["cause"]): i for i in issues}
    assert by_row[("6", "variance (never a plan)")]["action"] == "not used"
    assert {i["row"] for i in issues if i["cause"] == "another version"} == {"2", "4"}
    assert "-5 is negative" in by_row[("9", "negative count")]["problem"]
    assert by_row[("9", "negative count")]["field"] == "Mar"
    assert by_row[("12", "key does not match the row")]["field"] == "full_key"
    assert "+7" in by_row[("8", "region row differs from the sum of its ICBs")]["problem"]
    assert "0-100 scale" in by_row[("", "percentage scale")]["problem"]
    assert by_row[("13", "part of an organisation that gave its own row")]["action"] == "not used"
    # the screen counts every cause, none hidden
    assert "1  variance (never a plan) [not used]" in result.output
    assert "2  another version [not used]" in result.output


def test_proportions_and_spelt_out_months_read_the_same(run, spine, tmp_path):
    head = [
        *OP_COLUMNS[:8],
        *(
            "April May June July August September October November December January February March"
        ).split(),
        "full_key",
    ]
    plans = [op_row("QA0", "QA0", "E.S.4", "Percentage", "June24_plan", rolling(0.258))]
    out = tmp_path / "out"
    result = _assure([_write(tmp_path / "p.csv", plans, head), "--against", run, "--out", out])
    assert result.exit_code == 0, result.output
    assert float(_get(_result(out), "QA0", "A04", "Percentage")["plan"]) == 25.8
    assert any("proportions" in i["problem"] for i in _issues(out))


def test_refs_file_maps_a_reference_and_is_checked(run, spine, tmp_path):
    plans = _write(
        tmp_path / "p.csv",
        [op_row("QA0", "QA0", "E.H.15", "Count", "June24_plan", rolling(40))],
        OP_COLUMNS,
    )
    out = tmp_path / "out"
    refs = tmp_path / "refs.csv"
    refs.write_text("planning_ref,ambition_id,measure_type\nE.H.15,A06,Count\n")
    result = _assure([plans, "--against", run, "--out", out, "--refs", refs])
    assert result.exit_code == 0, result.output
    assert float(_get(_result(out), "QA0", "A06")["plan"]) == 40
    for text, fld in (
        ("planning_ref,ambition_id\nE.H.15,A06\nE.H.16,NOPE\n", "ambition_id"),
        ("planning_ref,ambition_id\nEH15,A06\n", "planning_ref"),
    ):
        refs.write_text(text)
        bad = _assure([plans, "--against", run, "--out", out, "--refs", refs])
        assert bad.exit_code == 2 and "Traceback" not in bad.output
        assert str(refs) in bad.output and f"'{fld}'" in bad.output


def test_a_run_whose_profile_json_is_damaged_is_refused_naming_the_field(run, tmp_path):
    import json
    import shutil

    damaged = tmp_path / "run"
    shutil.copytree(run, damaged)
    record_path = damaged / "planning" / "profile.json"
    record = json.loads(record_path.read_text())
    record_path.write_text(json.dumps(record | {"refs": {"A01": ["E.S.1"]}}))
    plans = _write(tmp_path / "p.csv", [row("QA0", "E.S.1", "Count", rolling(1))])
    result = _assure([plans, "--against", damaged, "--out", tmp_path / "out"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert str(record_path) in result.output and "field 'refs'" in result.output
    assert not (tmp_path / "out").exists()
