"""`mhtool run` for one region (with sub-ICB planning rows), then `mhtool assure` on plans
covering every ICB of that region: one submitted as xlsx, one through its providers, the
rest as the export's CSVs."""

from __future__ import annotations

import csv

import openpyxl
import polars as pl
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.outputs.planning.write import TEMPLATE_COLUMNS
from mhtool.planning.profile import MONTHS

REGION = "Y63"


def _scaled(rows, factor, source):
    out = []
    for r in rows:
        r = dict(r, source=source)
        for m in MONTHS:
            if r[m] != "NA" and r["measure_type"] != "Percentage":
                r[m] = str(round(int(r[m]) * factor))
        out.append(r)
    return out


def test_run_then_assure_a_whole_region(tmp_path):
    out = tmp_path / "run"
    ran = CliRunner().invoke(
        main,
        ["run", "--region", REGION, "--planning-subicb", "--out", str(out)],
        catch_exceptions=False,
    )
    assert ran.exit_code == 0, ran.output
    spine = pl.read_parquet(out / "apportionment.parquet")
    icbs = sorted(
        spine.filter(pl.col("level") == "icb", pl.col("region_code") == REGION)
        .get_column("org_code")
        .unique()
        .to_list()
    )
    plans = []
    for i, icb in enumerate(icbs):
        with open(out / f"planning/{icb}.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {r["org_code"] for r in rows} > {icb}  # --planning-subicb: sub-ICB rows too
        own = [r for r in rows if r["org_code"] == icb]
        rows = _scaled(own, 1.0 if i == 0 else 0.9, "plan 2024-03-01")
        if i == 1:  # submitted by two providers of the ICB, which add up to the ICB's plan
            halves = []
            for r in rows:
                if r["measure_type"] == "Percentage":
                    halves.append(r)
                    continue
                a = {m: str(int(r[m]) // 2) if r[m] != "NA" else "NA" for m in MONTHS}
                b = {m: str(int(r[m]) - int(a[m])) if r[m] != "NA" else "NA" for m in MONTHS}
                halves += [r | a | {"org_code": "RAA"}, r | b | {"org_code": "RBB"}]
            rows = halves
        plans += rows
    csv_path = tmp_path / "plans.csv"
    xlsx_rows = [r for r in plans if r["icb_code"] == icbs[-1]]
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=TEMPLATE_COLUMNS)
        w.writeheader()
        w.writerows(r for r in plans if r["icb_code"] != icbs[-1])
    wb = openpyxl.Workbook()
    wb.active.append(TEMPLATE_COLUMNS)
    for r in xlsx_rows:
        wb.active.append(
            [r[c] if c not in MONTHS or r[c] == "NA" else float(r[c]) for c in TEMPLATE_COLUMNS]
        )
    wb.save(tmp_path / "plans.xlsx")

    result = CliRunner().invoke(
        main,
        [
            "assure",
            str(csv_path),
            str(tmp_path / "plans.xlsx"),
            "--against",
            str(out),
            "--out",
            str(tmp_path / "assurance"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "assurance/assurance_issues.csv", newline="") as fh:
        rejected = [i for i in csv.DictReader(fh) if i["action"] == "row rejected"]
    # a standard planned as a bare Percentage cannot be summed: each such row is named
    assert all("without its Numerator and Denominator" in i["problem"] for i in rejected)
    with open(tmp_path / "assurance/assurance.csv", newline="") as fh:
        got = list(csv.DictReader(fh))
    region = [r for r in got if r["org_code"] == REGION]
    assert region and {r["systems_planned"] for r in region} == {f"{len(icbs)} of {len(icbs)}"}
    first = [r for r in got if r["org_code"] == icbs[0]]
    assert first and {r["pct_of_fair_share"] for r in first} == {"100"}
    assert {r["rating"].split()[0] for r in first} == {"green"}
    for r in (r for r in got if r["org_code"] == icbs[1]):
        assert r["rating"].startswith("red")  # 90% of fair share, summed from providers
    fair = {
        (r[0], r[1]): r[2]
        for r in spine.filter(pl.col("ambition_id") == "IAPT-01")
        .select("org_code", "year", "value")
        .iter_rows()
    }
    for r in region:
        assert float(r["fair_share"]) == fair[(REGION, r["fin_year"])]
        icb_sum = sum(
            float(x["plan"]) for x in got if x["level"] == "icb" and x["fin_year"] == r["fin_year"]
        )
        assert float(r["plan"]) == icb_sum
    wb = openpyxl.load_workbook(tmp_path / "assurance/assurance.xlsx")
    assert "North East and Yorkshire" in wb.sheetnames and len(wb["Chart"]._charts) == 1
