"""`mhtool run --catalogue NAME` for the planning rounds after the MHIP, on their shipped
defaults, then `mhtool check` on what it wrote; the Cover says what the fair shares are."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from mhtool.cli import main


@pytest.mark.parametrize(
    "name, geography, icbs",
    [("mtpf_2026_29", "2026", 36), ("planning_2025_26", "2024", 42)],
)
def test_round_runs_and_checks(tmp_path, name, geography, icbs):
    out = tmp_path / name
    r = CliRunner().invoke(main, ["run", "--catalogue", name, "--out", str(out)])
    assert r.exit_code == 0, r.output
    settings = json.loads((out / "manifest.json").read_text())["settings"]
    assert (settings["catalogue_name"], settings["geography"]) == (name, geography)
    assert len(list((out / "systems").glob("*.xlsx"))) == icbs
    c = CliRunner().invoke(main, ["check", str(out)])
    assert c.exit_code == 0, c.output
    assert c.stdout.startswith(f"OK: {icbs + 8} workbooks")
    wb = openpyxl.load_workbook(out / "england.xlsx", read_only=True)
    cover = " ".join(str(v) for row in wb["Cover"].iter_rows(values_only=True) for v in row if v)
    assert "What the figures are for" in cover and "no ICB-level targets" in cover
    notes = " ".join(str(v) for row in wb["Notes"].iter_rows(values_only=True) for v in row if v)
    # the catalogue's choice of categories, said once in a note of its own (notes.choice_notes)
    assert "The catalogue's choice categories: The categories are mhtool's reading" in notes
    report = (out / "report" / "index.html").read_text()
    assert "no ICB-level targets" in report
    # a system's Fixed, Flexible and Targeted sheets list every ask of it: the targeted ones
    # on the Targeted sheet, not shared out, and directions (standards with no number) too
    system = sorted((out / "systems").glob("*.xlsx"))[0]
    book = openpyxl.load_workbook(system, read_only=True)
    listed = {}
    for sheet in ("Fixed", "Flexible", "Targeted"):
        rows = list(book[sheet].values)
        assert rows[2][0] == "Ambition ID" and rows[2][2].startswith("What ")
        listed |= {r[0]: (sheet, r[2]) for r in rows[3:] if r and r[0]}
    targeted = {"mtpf_2026_29": {"MHST-01", "MHED-01"}, "planning_2025_26": set()}[name]
    directions = {"mtpf_2026_29": {"OAP-01"}, "planning_2025_26": {"LOS-01", "OAP-01"}}[name]
    assert targeted | directions <= set(listed)
    assert all(listed[a][0] == "Targeted" and "not shared out" in listed[a][1] for a in targeted)
