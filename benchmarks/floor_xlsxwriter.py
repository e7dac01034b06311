"""The bare-XlsxWriter floor: the same workbooks as mhtool's workbook stage, cell for cell
and format for format, written with nothing but XlsxWriter's public calls.

mhtool's writer is recorded once writing every workbook of a run (every call it makes on
XlsxWriter: formats, cells, tables, widths, heights, print setup, images, properties).
The floor replays those calls on a plain xlsxwriter.Workbook, one write_string or
write_number per cell, with none of mhtool's own work (no views, no widths or line counts
worked out, no FastSheet). So `mhtool / floor` is what mhtool's Python costs over the
cheapest way to get the same file out of XlsxWriter (below 1: mhtool's column writes and
row serialiser beat XlsxWriter's per-cell calls).

bench_outputs.py runs it side by side with mhtool's writer (record, then replay; time
both) and prints the ratio.
"""

from __future__ import annotations

import io
import math
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from mhtool.outputs.workbook import write as workbook  # noqa: E402 (after the path is set)
from mhtool.outputs.workbook.fastsheet import FastSheet  # noqa: E402

# Every XlsxWriter call mhtool's writer makes on a sheet (write_cells is mhtool's own:
# the floor writes its cells one public call each).
SHEET_CALLS = (
    "write_string",
    "write_number",
    "write_url",
    "write_cells",
    "set_column",
    "set_row",
    "add_table",
    "repeat_rows",
    "freeze_panes",
    "insert_image",
    "set_h_pagebreaks",
    "set_paper",
    "set_landscape",
    "fit_to_pages",
    "set_margins",
    "set_footer",
    "activate",
)


@dataclass
class Recording:
    """One workbook's XlsxWriter calls, with formats as indexes into `formats`."""

    properties: dict = field(default_factory=dict)
    formats: list[dict] = field(default_factory=list)
    sheets: list[tuple[str, list]] = field(default_factory=list)


class _RecordingSheet(FastSheet):
    calls: list  # this sheet's calls, in order
    fmt_index: dict[int, int]
    _depth = 0


def _recorder(name: str):
    original = getattr(FastSheet, name)

    def call(self, *args, **kwargs):
        if self._depth == 0:
            self.calls.append(
                (name, _freeze(args, self.fmt_index), _freeze(kwargs, self.fmt_index))
            )
        self._depth += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            self._depth -= 1

    return call


for _name in SHEET_CALLS:
    setattr(_RecordingSheet, _name, _recorder(_name))


class _FormatRef(int):
    """A format by its index in Recording.formats."""


def _freeze(value, fmt_index: dict[int, int]):
    """A call's arguments with formats as _FormatRef and image data as bytes."""
    if isinstance(value, Format):
        return _FormatRef(fmt_index[id(value)])
    if isinstance(value, io.BytesIO):
        return value.getvalue()
    if isinstance(value, dict):
        return {k: _freeze(v, fmt_index) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_freeze(v, fmt_index) for v in value)
    return value


class _RecordingBook(xlsxwriter.Workbook):
    worksheet_class = _RecordingSheet

    def __init__(self, filename, options=None):
        self.recording, self.fmt_index = None, {}  # XlsxWriter's own default formats: not ours
        super().__init__(filename, options)
        self.recording = Recording()

    def set_properties(self, properties):
        self.recording.properties = dict(properties)
        return super().set_properties(properties)

    def add_format(self, properties=None):
        fmt = super().add_format(properties)
        if self.recording is None:
            return fmt
        self.fmt_index[id(fmt)] = len(self.recording.formats)
        self.recording.formats.append(dict(properties or {}))
        return fmt

    def add_worksheet(self, name=None, worksheet_class=None):
        ws = super().add_worksheet(name, worksheet_class)
        ws.calls, ws.fmt_index = [], self.fmt_index
        self.recording.sheets.append((name, ws.calls))
        return ws


def record(write) -> list[Recording]:
    """Run `write()` (mhtool writing workbooks) and return each workbook's calls."""
    books: list[_RecordingBook] = []

    def new_workbook(path):
        wb = _RecordingBook(str(path), workbook.WORKBOOK_OPTIONS)
        books.append(wb)
        return wb

    original = workbook.new_workbook
    workbook.new_workbook = new_workbook
    try:
        write()
    finally:
        workbook.new_workbook = original
    return [b.recording for b in books]


def _thaw(value, formats: list):
    if isinstance(value, _FormatRef):
        return formats[value]
    if isinstance(value, bytes):
        return io.BytesIO(value)
    if isinstance(value, dict):
        return {k: _thaw(v, formats) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_thaw(v, formats) for v in value)
    return value


def replay(rec: Recording, path: Path) -> None:
    """Write the recorded workbook with plain XlsxWriter, one public call per cell."""
    wb = xlsxwriter.Workbook(str(path), workbook.WORKBOOK_OPTIONS)
    wb.set_properties(rec.properties)
    formats = [wb.add_format(p) for p in rec.formats]
    for name, calls in rec.sheets:
        ws = wb.add_worksheet(name)
        for call, args, kwargs in calls:
            if call == "write_cells":
                first, col, values, fmts, (gap, gap_fmt) = args
                gap_fmt = formats[gap_fmt] if gap_fmt is not None else None
                for row, v, f in zip(range(first, first + len(values)), values, fmts, strict=True):
                    if v is None or (isinstance(v, float) and not math.isfinite(v)):
                        ws.write_string(row, col, gap, gap_fmt)
                    elif isinstance(v, str):
                        ws.write_string(row, col, v, formats[f])
                    else:
                        ws.write_number(row, col, v, formats[f])
            else:
                getattr(ws, call)(*_thaw(args, formats), **_thaw(kwargs, formats))
    wb.close()


_CELL = re.compile(rb"<c ")
_XFS = re.compile(rb'<cellXfs count="(\d+)"')


def census(path: Path) -> tuple[int, int]:
    """(cells, cell formats) in a written workbook, from its XML: the two writers must agree."""
    with zipfile.ZipFile(path) as z:
        cells = sum(
            len(_CELL.findall(z.read(n)))
            for n in z.namelist()
            if n.startswith("xl/worksheets/sheet")
        )
        xfs = int(_XFS.search(z.read("xl/styles.xml")).group(1))
    return cells, xfs
