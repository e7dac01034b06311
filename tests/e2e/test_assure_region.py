"""`mhtool run` for one region (with sub-ICB planning rows), then `mhtool assure` on plans
covering every ICB of that region in NHS England's own plan-monitoring layout
(op_planning: `ref_key`, `full_key`, plan, actuals and variance side by side, the region's
own row): one ICB submitted as xlsx with spelt-out months, one through its providers, the
rest as CSV."""

from __future__ import annotations

import csv

import openpyxl
import polars as pl
from click.testing import CliRunner
from fixtures.op_planning import OP_COLUMNS

from mhtool.cli import main
from mhtool.planning.profile import MONTHS

REGION = "Y63"
SPELT = "April May June July August September October November December January February March"


def _scaled(rows, factor, source):
    out = []
    for r in rows:
        r = dict(r, source=source)
        for m in MONTHS:
            if r[m] != "NA" and r["measure_type"] != "Percentage":
                r[m] = str(round(int(r[m]) * factor))
        out.append(r)
    return out


def _keyed(r):
    key = r["planning_ref"] + r["measure_type"]
    return r | {"ref_key": key, "full_key": key + r["org_code"]}


def _region_rows(plans):
    """The region's own rows: its ICBs' counts summed month by month."""
    sums = {}
    for r in plans:
        if r["measure_type"] == "Percentage":
            continue
        key = (r["planning_ref"], r["measure_type"], r["dim_type"], r["fin_year"])
        acc = sums.setdefault(key, [None] * 12)
        for i, m in enumerate(MONTHS):
            if r[m] != "NA":
                acc[i] = (acc[i] or 0) + int(r[m])
    return [
        _keyed(
            {"icb_code": REGION, "org_code": REGION, "planning_ref": ref, "measure_type": mt}
            | {"dim_type": dim, "fin_year": year, "source": "June24_plan"}
            | {m: "NA" if v is None else str(v) for m, v in zip(MONTHS, acc, strict=True)}
        )
        for (ref, mt, dim, year), acc in sorted(sums.items())
    ]


def test_run_then_assure_a_whole_region(tmp_path):
    out = tmp_path / "run"
    refs = tmp_path / "refs.csv"  # the planner knows these 2024/25 lines' ambitions
    refs.write_text("planning_ref,ambition_id\nE.H.15,PMH-02\nE.H.13,SMI-02\n")
    ran = CliRunner().invoke(
        main,
        ["run", "--region", REGION, "--planning-subicb", "--refs", str(refs), "--out", str(out)],
        catch_exceptions=False,
    )
    assert ran.exit_code == 0, ran.output
    checked = CliRunner().invoke(main, ["check", str(out)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output  # the percentages on 0-100 included
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
        assert {"E.H.15", "E.H.13"} < {r["planning_ref"] for r in rows}  # from --refs
        pct = next(
            r
            for r in rows
            if r["planning_ref"] == "E.H.13"
            and r["measure_type"] == "Percentage"
            and r["Mar"] != "NA"
        )
        assert 1 < float(pct["Mar"]) < 100  # NHS England's 0-100 scale
        own = [r for r in rows if r["org_code"] == icb]
        rows = _scaled(own, 1.0 if i == 0 else 0.9, "June24_plan")
        if i == 1:  # submitted by two providers of the ICB, which add up to the ICB's plan
            halves = []
            ratios = {r["planning_ref"] for r in rows if r["measure_type"] == "Numerator"}
            for r in rows:
                if r["measure_type"] == "Percentage":  # the ICB's rate; a ratio is recomputed
                    halves += [] if r["planning_ref"] in ratios else [r]
                    continue
                a = {m: str(int(r[m]) // 2) if r[m] != "NA" else "NA" for m in MONTHS}
                b = {m: str(int(r[m]) - int(a[m])) if r[m] != "NA" else "NA" for m in MONTHS}
                halves += [r | a | {"org_code": "RAA"}, r | b | {"org_code": "RBB"}]
            rows = halves
        plans += [_keyed(r) for r in rows]
    region = _region_rows([r for r in plans if r["org_code"] in icbs or r["icb_code"] == icbs[1]])
    earlier = _scaled(plans[:3], 0.5, "march24_plan")  # an earlier plan, not the latest
    variance = _scaled(plans[:3], -1, "variance")  # never a plan, negative as it may be
    csv_path = tmp_path / "plans.csv"
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=OP_COLUMNS)
        w.writeheader()
        w.writerows(r for r in [*plans, *region, *earlier, *variance] if r["icb_code"] != icbs[-1])
    wb = openpyxl.Workbook()
    wb.active.append([*OP_COLUMNS[:8], *SPELT.split(), "full_key"])
    for r in (r for r in plans if r["icb_code"] == icbs[-1]):
        wb.active.append(
            [r[c] if c not in MONTHS or r[c] == "NA" else float(r[c]) for c in OP_COLUMNS]
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
        issues = list(csv.DictReader(fh))
    assert not [i for i in issues if i["action"] == "row rejected"]
    assert {i["cause"] for i in issues if i["action"] == "not used"} == {
        "variance (never a plan)",
        "another version",
    }
    assert not [i for i in issues if i["cause"].startswith("region row differs")]
    with open(tmp_path / "assurance/assurance.csv", newline="") as fh:
        got = list(csv.DictReader(fh))
    counts = [r for r in got if r["measure_type"] == "Count"]
    first = [r for r in counts if r["org_code"] == icbs[0]]
    assert first and {r["pct_of_fair_share"] for r in first} == {"100"}
    assert {r["rating"].split()[0] for r in first} == {"green"}
    for r in (r for r in counts if r["org_code"] == icbs[1]):
        assert r["rating"].startswith("red")  # 90% of fair share, summed from providers
    rates = [r for r in got if r["measure_type"] == "Percentage" and r["level"] == "icb"]
    standard = [r for r in rates if r["ambition_id"] == "IAPT-05"]
    assert {r["org_code"] for r in standard} == set(icbs)  # the IAPT standard, as planned
    assert {r["pct_of_fair_share"] for r in standard} == {"100"}
    smi = [r for r in rates if r["ambition_id"] == "SMI-02" and r["org_code"] == icbs[0]]
    assert smi and {r["pct_of_fair_share"] for r in smi} == {"100"}  # mapped by --refs
    fair = {
        (r[0], r[1]): r[2]
        for r in spine.filter(pl.col("ambition_id") == "IAPT-01")
        .select("org_code", "year", "value")
        .iter_rows()
    }
    own = [r for r in counts if r["org_code"] == REGION and r["ambition_id"] == "IAPT-01"]
    assert own and {r["systems_planned"] for r in own} == {
        f"region's own row ({len(icbs)} of {len(icbs)} systems)"
    }
    for r in own:
        assert float(r["fair_share"]) == fair[(REGION, r["fin_year"])]
        icb_sum = sum(
            float(x["plan"])
            for x in counts
            if x["level"] == "icb"
            and x["fin_year"] == r["fin_year"]
            and x["ambition_id"] == "IAPT-01"
        )
        assert float(r["plan"]) == icb_sum  # the region's row is its ICBs' sum
    wb = openpyxl.load_workbook(tmp_path / "assurance/assurance.xlsx")
    assert "North East and Yorkshire" in wb.sheetnames
    assert len(wb["Chart"]._charts) == 3  # IAPT-01, and PMH-02 and SMI-02 by --refs
