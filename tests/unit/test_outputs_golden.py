"""Golden workbook: a JSON description of one system workbook (sheets, titles, tables and
their ranges, headers, the first rows and their number formats) guards the layout.

After an intended layout change, regenerate with:
    MHTOOL_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/test_outputs_golden.py
and review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
from fixtures.sample import SAMPLE_META, sample_spine

from mhtool.outputs import write_outputs

GOLDEN = Path(__file__).parents[1] / "golden" / "systems_QA0.json"
SAMPLE_ROWS = 3


def describe(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        sheet = {
            "name": ws.title,
            "A1": ws["A1"].value,
            "A2": ws["A2"].value,
            "tables": dict(ws.tables.items()),
            "images": len(ws._images),
            "print_area": ws.print_area,
        }
        if ws.tables:
            rows = list(ws.iter_rows(min_row=3, max_row=3 + SAMPLE_ROWS))
            sheet["header"] = [c.value for c in rows[0]]
            sheet["rows"] = [[c.value for c in row] for row in rows[1:]]
            sheet["formats"] = [c.number_format for c in rows[1]]
            sheet["widths"] = {
                k: round(d.width, 1) for k, d in sorted(ws.column_dimensions.items()) if d.width
            }
        elif ws.title == "Cover":
            sheet["text"] = [c.value for c in ws["A"]]
        sheets.append(sheet)
    props = wb.properties
    return {
        "title": props.title,
        "created": props.created.isoformat(),
        "modified": props.modified.isoformat(),
        "active": wb.active.title,
        "sheets": sheets,
    }


def test_system_workbook_matches_golden(tmp_path):
    write_outputs(sample_spine(), tmp_path, SAMPLE_META, system="QA0", progress=False)
    got = json.loads(json.dumps(describe(tmp_path / "systems/QA0.xlsx"), default=str))
    if os.environ.get("MHTOOL_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert [s["name"] for s in got["sheets"]] == [s["name"] for s in want["sheets"]]
    for g, w in zip(got["sheets"], want["sheets"], strict=False):
        assert g == w, g["name"]
    assert got == want
