"""Text from inputs is never written as something a spreadsheet would run: no formula or
hyperlink cell in a workbook, and no CSV cell starting =, +, -, @, tab or CR."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest
from fixtures.hostile import SMALL, assert_refused, invoke
from xlsxwriter.utility import xl_rowcol_to_cell

from mhtool import csvsafe
from mhtool.infra import folder
from mhtool.outputs.check import read_meta, read_spine
from mhtool.outputs.selector import write as selector
from mhtool.outputs.views.tables import prepare

HOSTILE = """[catalogue]
extends = "mhip_2019_24"

[[ambition]]
id = "PMH-01"
programme = "Perinatal"
title = '=HYPERLINK("http://example.com/x","click")'
category = "fixed"
kind = "count"
measure = "activity"
unit = "+44 women per year"
unit_kind = "people"
basis = "births_proxy"
source = "https://example.org/plan"
note = "@SUM(1+1)*cmd|' /C calc'!A0"
values = [{ year = "2023/24", value = 66000, provenance = "inferred", note = "-2+3" }]
"""
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cells(folder: Path):
    for path in sorted(folder.rglob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for n, row in enumerate(csv.reader(fh), 1):
                for cell in row:
                    yield path.relative_to(folder).as_posix(), n, cell


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "c.toml").write_text(HOSTILE)
    out = d / "out"
    result = invoke(["run", *SMALL, "--catalogue", str(d / "c.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_no_csv_cell_would_run_as_a_formula(hostile_run):
    risky = [
        (f, n, c)
        for f, n, c in _csv_cells(hostile_run)
        if c.startswith(TRIGGERS) and csvsafe.cell(c) != c
    ]
    assert risky == []
    quoted = {c for _, _, c in _csv_cells(hostile_run) if c.startswith("'=HYPERLINK")}
    assert quoted, "the hostile title should reach apportionment.csv, quoted"


def _selector_formulas(run: Path) -> dict[tuple[str, str], str]:
    """selector.xlsx's own lookups of the pick, by (sheet, cell): its only formulas."""
    spine = read_spine(run)
    sel = selector.build(prepare(spine), read_meta(run))
    return {
        (sheet, xl_rowcol_to_cell(*cell)): formula
        for sheet, cells in selector.formulas(sel).items()
        for cell, formula in cells.items()
    }


def test_no_workbook_cell_is_a_formula_or_an_outside_link(hostile_run):
    books = sorted(hostile_run.rglob("*.xlsx"))
    assert books
    seen_title = False
    for book in books:
        ours = _selector_formulas(hostile_run) if book.name == folder.SELECTOR else {}
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if (ws.title, c.coordinate) in ours:  # a lookup, never input text
                        assert c.value == ours[ws.title, c.coordinate]
                        continue
                    assert c.data_type != "f", f"{book.name} {ws.title}!{c.coordinate}"
                    link = c.hyperlink
                    assert link is None or not (link.target or ""), (
                        f"{book.name} {ws.title}!{c.coordinate} links to {link.target}"
                    )
                    seen_title |= isinstance(c.value, str) and c.value.startswith("=HYPERLINK")
        with zipfile.ZipFile(book) as zf:
            rels = [n for n in zf.namelist() if n.endswith(".rels")]
            assert not any(b'TargetMode="External"' in zf.read(n) for n in rels), book.name
    assert seen_title, "the hostile title should be shown as text in a workbook"


def test_the_hostile_run_passes_its_own_checks(hostile_run):
    result = invoke(["check", str(hostile_run)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "field,text,says",
    [
        ("title", '"Women\\treached"', "a tab"),
        ("unit", '"women\\rper year"', "a carriage return"),
        ("note", '"line one\\nline two"', "a line break"),
    ],
)
def test_control_characters_in_catalogue_text_are_refused(tmp_path, field, text, says):
    body = HOSTILE.replace('title = \'=HYPERLINK("http://example.com/x","click")\'', 'title = "T"')
    lines = [ln for ln in body.splitlines() if not ln.startswith(f"{field} = ")]
    lines.insert(lines.index('id = "PMH-01"') + 1, f"{field} = {text}")
    (tmp_path / "c.toml").write_text("\n".join(lines) + "\n")
    result = invoke(["ambitions", "--catalogue", str(tmp_path / "c.toml")])
    assert_refused(result, 2, ("c.toml", "ambition PMH-01", f"field '{field}'", says))


@pytest.mark.parametrize(
    "text,want",
    [
        ("=1+1", "'=1+1"),
        ("+44 people", "'+44 people"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        ("+1e3", "+1e3"),
        ("QHM", "QHM"),
        ("", ""),
    ],
)
def test_one_rule_for_every_csv_cell(text, want):
    import polars as pl

    assert csvsafe.cell(text) == want
    assert csvsafe.frame(pl.DataFrame({"t": [text], "n": [-1.0]})).row(0) == (want, -1.0)
