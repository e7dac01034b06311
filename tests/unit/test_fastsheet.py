"""FastSheet writes byte for byte what XlsxWriter's own Worksheet writes, cell by cell.

The reference below writes the same cells through XlsxWriter's public write_string /
write_number and its own row serialiser; a change of XlsxWriter that breaks the
equivalence fails here rather than silently changing the workbooks.
"""

from __future__ import annotations

import math

import pytest
import xlsxwriter
from fixtures.sample import SAMPLE_META, sample_spine
from xlsxwriter.exceptions import OverlappingRange
from xlsxwriter.worksheet import Worksheet

from mhtool.outputs.batch import write_all
from mhtool.outputs.workbook import write as workbook
from mhtool.outputs.workbook.fastsheet import FastSheet


class Reference(Worksheet):
    """XlsxWriter's Worksheet with write_cells done one public call per cell."""

    def write_cells(self, first_row, col, values, fmts, missing):
        for row, v, fmt in zip(
            range(first_row, first_row + len(values)), values, fmts, strict=True
        ):
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                self.write_string(row, col, *missing)
            elif isinstance(v, str):
                self.write_string(row, col, v, fmt)
            else:
                self.write_number(row, col, v, fmt)


def _bytes(tmp_path, sheet_class, name: str) -> bytes:
    path = tmp_path / f"{name}.xlsx"
    wb = xlsxwriter.Workbook(str(path), workbook.WORKBOOK_OPTIONS)
    wb.set_properties({"created": SAMPLE_META.created})
    bold, money = wb.add_format({"bold": True}), wb.add_format({"num_format": "£#,##0"})
    ws = wb.add_worksheet("Mixed", worksheet_class=sheet_class)
    ws.write_string(0, 0, "title & <escapes>", bold)
    ws.write_string(1, 0, "no format")  # a cell without a format: XlsxWriter's own path
    ws.write_url(2, 0, "internal:'Mixed'!A1", string="link")
    texts = ["a", "", "b\nc", "a", "x" * 20_000, "_x0041_ control \x01"]
    ws.write_cells(3, 0, texts, [bold] * len(texts), ("[z]", money))
    numbers = [1, 2.5, None, math.nan, math.inf, -3, 1e-9, 123456789012345678, 0.1 + 0.2]
    ws.write_cells(3, 1, numbers, [money, bold] * 4 + [money], ("[x]", bold))
    ws.write_cells(40, 3, list(range(30)), [money] * 30, ("[x]", bold))
    ws.set_row(20, 40)  # a row with a height and no cells
    ws.set_row(4, 30)
    ws.set_column(0, 1, 20, money)
    ws.add_table(39, 3, 69, 3, {"columns": [{"header": "n"}], "autofilter": False})
    filtered = wb.add_worksheet("Filtered", worksheet_class=sheet_class)
    filtered.write_cells(1, 0, [f"r{i}" for i in range(50)], [bold] * 50, ("[x]", bold))
    filtered.add_table(0, 0, 50, 1, {"name": "filtered", "columns": [{"header": "a"}]})
    filtered.add_table("D1:E2", {"name": "small"})  # header and one row, A1 notation
    wb.add_worksheet("Empty", worksheet_class=sheet_class)
    wb.close()
    return path.read_bytes()


def test_fastsheet_writes_the_same_bytes_as_xlsxwriter(tmp_path):
    assert _bytes(tmp_path, FastSheet, "fast") == _bytes(tmp_path, Reference, "reference")


@pytest.mark.parametrize(
    "second",
    [
        lambda ws: ws.add_table(30, 2, 40, 2, {"name": "two"}),  # inside the first's rows
        lambda ws: ws.add_table("A100:C101", {"name": "two"}),  # over its last row
        lambda ws: ws.merge_range(50, 0, 50, 1, "merged"),
    ],
)
def test_a_range_over_a_table_is_refused_as_xlsxwriter_refuses_it(tmp_path, second):
    for sheet_class in (FastSheet, Worksheet):
        wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), workbook.WORKBOOK_OPTIONS)
        ws = wb.add_worksheet("S", worksheet_class=sheet_class)
        ws.add_table(0, 0, 100, 3, {"name": "one", "autofilter": False})
        with pytest.raises(OverlappingRange, match="overlaps previous table range 'A1:D101'"):
            second(ws)
        wb.close()


def test_a_table_over_a_merged_range_is_refused(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), workbook.WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("S", worksheet_class=FastSheet)
    ws.merge_range(60, 1, 61, 2, "merged")
    with pytest.raises(OverlappingRange, match="overlaps previous merge range 'B61:C62'"):
        ws.add_table(0, 0, 100, 3, {"name": "one"})
    wb.close()


def test_write_cells_refuses_cells_off_the_sheet(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), workbook.WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("S", worksheet_class=FastSheet)
    with pytest.raises(ValueError, match="off the sheet"):
        ws.write_cells(1_048_575, 0, [1, 2], [None, None], ("[x]", None))
    wb.close()


def test_run_workbooks_are_the_same_bytes_as_through_xlsxwriter(tmp_path, monkeypatch):
    spine = sample_spine()
    fast, _ = write_all(spine, tmp_path / "fast", SAMPLE_META, workers=1)
    monkeypatch.setattr(workbook, "SHEET_CLASS", Reference)
    slow, _ = write_all(spine, tmp_path / "slow", SAMPLE_META, workers=1)
    books = [(a, b) for a, b in zip(fast, slow, strict=True) if a.suffix == ".xlsx"]
    assert books
    for a, b in books:
        assert a.read_bytes() == b.read_bytes(), a.name
