"""An XlsxWriter worksheet that takes a table's cells a column at a time and writes its
rows' XML in one pass, byte for byte what XlsxWriter itself writes.

XlsxWriter spends most of a big workbook's time in per-cell Python calls: each
`write_string` or `write_number` goes through an argument decorator, a bounds check and
a namedtuple, and closing the file calls a general cell writer per cell. Our table cells
are only shared strings and numbers, each with a format, so `write_cells` checks the
bounds once per column and `_write_rows` writes those two kinds of cell with one string
template each; any other cell (a link, a blank, a cell without a format) goes through
XlsxWriter's own code. tests/unit/test_fastsheet.py writes the same workbooks through
both and compares the bytes, so a change of XlsxWriter that breaks the equivalence fails
a test instead of changing the files.

`add_table` likewise checks a table against earlier tables and merged ranges as
rectangles, once, instead of XlsxWriter's look-up and store per cell of the range (a
table's every cell again); `merge_range` checks against those rectangles too.
"""

from __future__ import annotations

from math import isfinite

from xlsxwriter.exceptions import OverlappingRange
from xlsxwriter.utility import xl_col_to_name, xl_range
from xlsxwriter.worksheet import CellNumberTuple, CellStringTuple, Worksheet, convert_range_args

_STRING, _NUMBER = CellStringTuple, CellNumberTuple


class FastSheet(Worksheet):
    """A Worksheet with `write_cells` and a faster, equivalent `_write_rows` and
    `add_table`."""

    def __init__(self) -> None:
        super().__init__()
        self._tables_at: list[tuple[int, int, int, int, str]] = []  # rows, cols, range

    def _check_free(self, rows: tuple[int, int], cols: tuple[int, int], what: str) -> None:
        """Raise XlsxWriter's OverlappingRange if the range meets an earlier table or
        merged range."""
        here = xl_range(rows[0], cols[0], rows[1], cols[1])
        taken = [(*t[:4], "table", t[4]) for t in self._tables_at]
        taken += [(*m, "merge", xl_range(*m)) for m in self.merge]
        for r0, c0, r1, c1, kind, there in taken:
            if r0 <= rows[1] and rows[0] <= r1 and c0 <= cols[1] and cols[0] <= c1:
                raise OverlappingRange(
                    f"{what} range '{here}' overlaps previous {kind} range '{there}'."
                )

    @convert_range_args
    def add_table(self, first_row, first_col, last_row, last_col, options=None):
        """XlsxWriter's add_table, the same table, the range checked as a rectangle: a
        plain table (a header row, no data, formulas or total row given here) is
        registered over its header and first row, then given its whole range."""
        first_row, last_row = sorted((first_row, last_row))
        first_col, last_col = sorted((first_col, last_col))
        opts = options or {}
        plain = (
            opts.get("header_row", True)
            and "data" not in opts
            and not opts.get("total_row")
            and not any(
                c and (c.get("formula") or c.get("total_function") or c.get("total_string"))
                for c in opts.get("columns", [])
            )
        )
        if self._check_dimensions(last_row, last_col, True, True):
            return -1
        self._check_free((first_row, last_row), (first_col, last_col), "Table")
        short = min(last_row, first_row + 1) if plain else last_row
        result = super().add_table(first_row, first_col, short, last_col, options)
        if result != 0:
            return result
        whole = xl_range(first_row, first_col, last_row, last_col)
        if short != last_row:
            table = self.tables[-1]
            table["range"] = table["a_range"] = whole
            if "autofilter" in table:
                table["autofilter"] = whole
            for col in range(first_col, last_col + 1):
                if self.filter_cells.get((first_row, col), ("",))[0] == "table":
                    self.filter_cells[(first_row, col)] = ("table", whole)
        self._tables_at.append((first_row, first_col, last_row, last_col, whole))
        return result

    @convert_range_args
    def merge_range(self, first_row, first_col, last_row, last_col, data, cell_format=None):
        """XlsxWriter's merge_range, checked against the tables' whole ranges first."""
        rows, cols = sorted((first_row, last_row)), sorted((first_col, last_col))
        self._check_free((rows[0], rows[1]), (cols[0], cols[1]), "Merge")
        return super().merge_range(first_row, first_col, last_row, last_col, data, cell_format)

    def write_cells(self, first_row: int, col: int, values: list, fmts: list, missing) -> None:
        """Write `values` down column `col` from `first_row`: a str as a shared string, a
        number as a number, each with its format from `fmts` (one per value); None, NaN
        and infinities as the string missing[0] with format missing[1]. The same cells,
        in the same order, as write_string / write_number row by row."""
        if not values:
            return
        last = first_row + len(values) - 1
        if self._check_dimensions(first_row, col) or self._check_dimensions(last, col):
            raise ValueError(f"cells {first_row}..{last}, column {col} are off the sheet")
        if self.constant_memory:
            raise ValueError("write_cells needs a workbook without constant_memory")
        table, strings = self.table, self.str_table
        known, new = strings.string_table, tuple.__new__  # the cell tuples, made directly
        half_max = self.xls_strmax // 2
        gap_text, gap_fmt = missing
        counted = 0
        for row, v, fmt in zip(range(first_row, last + 1), values, fmts, strict=True):
            if v is None or (isinstance(v, float) and not isfinite(v)):
                v, fmt = gap_text, gap_fmt
            if isinstance(v, str):
                if len(v) > half_max:  # long text: XlsxWriter's own length rule
                    self._write_string(row, col, v, fmt)
                    continue
                i = known.get(v)  # SharedStringTable._get_shared_string_index, inline
                if i is None:
                    i = known[v] = strings.unique_count
                    strings.unique_count += 1
                counted += 1
                table[row][col] = new(_STRING, (i, fmt))
            else:
                table[row][col] = new(_NUMBER, (v, fmt))
        strings.count += counted

    def _calculate_spans(self) -> None:  # overrides XlsxWriter's: the same spans
        if self.comments or self.dim_rowmin is None:
            super()._calculate_spans()
            return
        spans: dict[int, str] = {}
        lo = hi = None
        table, last = self.table, self.dim_rowmax
        for row_num in range(self.dim_rowmin, last + 1):
            cells = table.get(row_num)
            if cells:
                a, b = min(cells), max(cells)
                lo, hi = (a, b) if lo is None else (min(lo, a), max(hi, b))
            if (row_num + 1) % 16 == 0 or row_num == last:
                if lo is not None:
                    spans[row_num // 16] = f"{lo + 1}:{hi + 1}"
                lo = None
        self.row_spans = spans

    def _write_rows(self) -> None:  # overrides XlsxWriter's: same XML, written faster
        if self.constant_memory or self.comments or self.dim_rowmin is None:
            super()._write_rows()
            return
        self._calculate_spans()
        table, row_info, spans = self.table, self.row_info, self.row_spans
        names = [xl_col_to_name(c) for c in range(self.dim_colmax + 1)]
        xf: dict[int, int] = {}
        write = self.fh.write
        for row_num in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row_num)
            info = row_info.get(row_num)
            if not cells:
                if info is not None:
                    self._write_empty_row(row_num, spans.get(row_num // 16), info)
                continue
            self._write_row(row_num, spans.get(row_num // 16), info)
            r = row_num + 1
            parts = []
            for col_num in sorted(cells):
                cell = cells[col_num]
                fmt = cell.format
                kind = cell.__class__
                if fmt is None or (kind is not _STRING and kind is not _NUMBER):
                    write("".join(parts))
                    parts = []
                    self._write_cell(row_num, col_num, cell)
                    continue
                s = xf.get(id(fmt))
                if s is None:
                    s = xf[id(fmt)] = fmt._get_xf_index()
                if kind is _STRING:
                    parts.append(
                        f'<c r="{names[col_num]}{r}" s="{s}" t="s"><v>{cell.string}</v></c>'
                    )
                else:
                    parts.append(
                        f'<c r="{names[col_num]}{r}" s="{s}"><v>{cell.number:.16G}</v></c>'
                    )
            parts.append("</row>")
            write("".join(parts))
