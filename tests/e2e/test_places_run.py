"""`mhtool run --places`: a user's places file end to end, checked; a bad one refused with
exit 2, its file, row and field, no traceback, and the previous run left as it was."""

from __future__ import annotations

import polars as pl
from click.testing import CliRunner

from mhtool import places
from mhtool.cli import main


def test_user_places_run_check_and_bad_file(tmp_path):
    table = places.practice_table("2022").filter(pl.col("icb_code") == "QOP")
    rows = [
        f"{pc},{sub}-{i % 3},Place {sub} {i % 3}"
        for i, (pc, sub) in enumerate(table.select("practice_code", "subicb_code").rows())
    ]
    rows = [r.replace("Place ", "@SUM(1) ", 1) if r.endswith(" 0") else r for r in rows]
    good = tmp_path / "places.csv"
    good.write_text("practice_code,place_code,place_name\n" + "\n".join(rows[2:]) + "\n")
    out = tmp_path / "out"
    args = ["run", "--places", str(good), "--system", "QOP", "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "--planning-places"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    codes = {r.split(",")[1] for r in rows}
    lines = pl.read_csv(out / "planning" / "other_lines.csv", infer_schema=False)
    dens = lines.filter(pl.col("org_code").is_in(codes), pl.col("measure_type") == "Denominator")
    assert dens.height and (dens["Mar"] != "NA").any()  # the places' own rows, denominators
    assert (out / "places" / "QOP.csv").is_file()
    assert (out / "places" / "practices.csv").is_file()
    text = (out / "places" / "QOP.csv").read_text()
    assert ",'@SUM(1) " in text and ",@SUM" not in text  # never a formula in a spreadsheet
    assert "2 practice(s) of the covered ICB(s) are in no place" in (out / "run.log").read_text()
    c = CliRunner().invoke(main, ["check", str(out)])
    assert c.exit_code == 0, c.output
    assert "place rows sum to their parents" in c.output

    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.csv"
    bad.write_text("practice_code,place_code,place_name\n" + rows[0] + "\n" + rows[0] + "\n")
    r = CliRunner().invoke(main, [*args[:2], str(bad), *args[3:]])
    assert r.exit_code == 2, r.output
    assert str(bad) in r.output and "row 3" in r.output and "Traceback" not in r.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    r = CliRunner().invoke(main, [*args, "--unallocated", "stop"])
    assert r.exit_code == 2 and "in no place" in r.output
    r = CliRunner().invoke(main, ["run", "--planning-places", "--out", str(out)])
    assert r.exit_code == 2 and "needs --places" in r.output
