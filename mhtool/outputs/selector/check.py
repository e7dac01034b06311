"""`mhtool check` for selector.xlsx: its data sheets cell by cell against the spine, its
formulas as the writer makes them, the values saved for the default pick, the list the
pick cell offers, and the spreadsheet rules (no macros, no external links, no merged
cells, the title set, A4 landscape one page wide, no header or footer).

The expected sheets are recomputed from the saved spine by mhtool.outputs.selector's own
pure functions (selector/write.py), as the other workbooks' checks do with their views.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
from xlsxwriter.utility import xl_rowcol_to_cell

from mhtool.infra import folder
from mhtool.outputs.selector import write as sel_
from mhtool.outputs.views.layout import HEADER_ROW
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.workbook.check import check_print, check_table, read_structure, same_cell

_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell[ >/]")
_HEADER_FOOTER = re.compile(rb"<(?:\w+:)?(?:odd|even|first)(?:Header|Footer)\b")
MAX_SHOWN = 20


def check_selector(
    out_dir: Path, prepared: pl.DataFrame, meta: WorkbookMeta, places: pl.DataFrame | None = None
) -> list[str]:
    """selector.xlsx of a run folder against its spine (`prepared`: views.prepare of the
    levels above places; `places`: the place rows). A folder without one (an older run)
    has nothing to check here; a listed but missing file is check_files' to report."""
    path = Path(out_dir) / folder.SELECTOR
    if not path.is_file():
        return []
    sel = sel_.build(prepared, meta, places)
    rel = folder.SELECTOR
    read = read_structure(path)
    problems = check_parts(path, rel, sel, read)
    problems += check_print(path, rel, read, readable=sel_.READABLE)
    problems += check_cells(path, rel, sel, read[1])
    return problems[:MAX_SHOWN] + (
        [f"{rel}: {len(problems) - MAX_SHOWN} more problems not shown"]
        if len(problems) > MAX_SHOWN
        else []
    )


def check_parts(path: Path, rel: str, sel: sel_.Selector, read) -> list[str]:
    """The file's parts: sheets in order, the title set, the first sheet active, no
    macros or external links, no merged cells or print headers, and the pick cell's list
    validation over every organisation."""
    st, xml = read
    names = [n for n, _ in st.sheets]
    problems = []
    if names != list(sel_.SHEETS):
        problems.append(f"{rel}: sheets are {names}; expected {list(sel_.SHEETS)}")
    if not st.title.strip():
        problems.append(f"{rel}: the workbook's title property is not set")
    if st.active_tab != 0:
        problems.append(f"{rel}: sheet {st.active_tab + 1} is active; the first sheet should be")
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if "externalLink" in part or "vbaProject" in part or part.endswith(".bin"):
                problems.append(f"{rel}: holds {part} (no macros or external links allowed)")
        book = ET.fromstring(z.read("xl/workbook.xml"))
    areas = {
        (n.text or "").split("!")[0].strip("'"): (n.text or "").split("!")[-1]
        for n in book.iter(f"{_M}definedName")
        if n.get("name") == "_xlnm.Print_Area"
    }
    titles = {
        (n.text or "").split("!")[0].strip("'"): (n.text or "").split("!")[-1]
        for n in book.iter(f"{_M}definedName")
        if n.get("name") == "_xlnm.Print_Titles"
    }
    for sheet, want in sel_.REPEATED.items():  # header rows repeated on printed pages
        if titles.get(sheet) != want:
            problems.append(
                f"{rel} {sheet}: repeats {titles.get(sheet)} on printed pages; expected {want}"
            )
    for table in sel_.data_tables(sel):
        want = sel_.print_area(table)
        if areas.get(table.sheet) != want:
            problems.append(
                f"{rel} {table.sheet}: prints {areas.get(table.sheet) or 'all of it'}; "
                f"expected {want or 'all of it'}"
            )
    for name in names:
        if _MERGE.search(xml[name]):
            problems.append(f"{rel} {name}: has merged cells")
        if _HEADER_FOOTER.search(xml[name]):
            problems.append(f"{rel} {name}: prints a header or footer")
    if sel_.SELECTOR in xml:
        problems += _check_list(rel, xml[sel_.SELECTOR], sel)
    return problems


def _check_list(rel: str, xml: bytes, sel: sel_.Selector) -> list[str]:
    """The pick cell offers the Organisations sheet's list, and only that."""
    pick = xl_rowcol_to_cell(sel_.PICK_ROW, 1)
    want = sel_.org_list_source(sel)
    for dv in ET.fromstring(xml).iter(f"{_M}dataValidation"):
        if pick in (dv.get("sqref") or "").split():
            formula = dv.find(f"{_M}formula1")
            got = formula.text if formula is not None else None
            if dv.get("type") != "list" or got != want:
                return [
                    f"{rel} {sel_.SELECTOR}!{pick}: validation is {dv.get('type')} of "
                    f"{got}; expected a list of {want}"
                ]
            return []
    return [f"{rel} {sel_.SELECTOR}!{pick}: has no list to pick an organisation from"]


def _formulas(xml: bytes) -> dict[tuple[int, int], str]:
    """A sheet's formulas by (row, column), 0-based, as written (no leading '=')."""
    out = {}
    for c in ET.fromstring(xml).iter(f"{_M}c"):
        f = c.find(f"{_M}f")
        if f is not None:
            ref = c.get("r")
            letters = ref.rstrip("0123456789")
            col = 0
            for ch in letters:
                col = col * 26 + ord(ch) - 64
            out[int(ref[len(letters) :]) - 1, col - 1] = f.text or ""
    return out


def check_cells(path: Path, rel: str, sel: sel_.Selector, xml: dict[str, bytes]) -> list[str]:
    """The data sheets cell by cell against the spine; every formula as the writer makes
    it and no other; the values saved with them those of the default pick; the pick cell
    holding the default organisation; the Years sheet's fixed columns."""
    from python_calamine import CalamineWorkbook

    problems: list[str] = []
    wb = CalamineWorkbook.from_path(str(path))
    try:
        sheets = set(wb.sheet_names)
        for table in sel_.data_tables(sel):
            if table.sheet not in sheets:
                continue  # check_parts reports the sheet missing
            rows = _rows(wb, table.sheet, len(table.columns))
            problems += check_table(rows[HEADER_ROW:], table.sheet, rel, table)
        default = sel_.default_org(sel)
        want_formulas, want_values = sel_.formulas(sel), sel_.shown(sel, default)
        for sheet in (sel_.SELECTOR, sel_.YEARS):
            if sheet not in sheets:
                continue
            got = _formulas(xml.get(sheet, b""))
            want = {k: v.removeprefix("=") for k, v in want_formulas[sheet].items()}
            for cell in sorted(set(got) | set(want)):
                where = f"{rel} {sheet}!{xl_rowcol_to_cell(*cell)}"
                if cell not in want:
                    problems.append(f"{where}: is a formula; expected none there")
                elif got.get(cell) != want[cell]:
                    problems.append(
                        f"{where}: formula is {got.get(cell)!r}; expected {want[cell]!r}"
                    )
            rows = _rows(wb, sheet, 64)
            for (r, c), value in want_values[sheet].items():
                have = rows[r][c] if r < len(rows) and c < len(rows[r]) else None
                if not same_cell(have, value):
                    problems.append(
                        f"{rel} {sheet}!{xl_rowcol_to_cell(r, c)}: shows {have!r} as saved; "
                        f"the spine gives {value!r} for the default pick"
                    )
            if sheet == sel_.SELECTOR:
                name = sel.orgs.get_column("label")[default]
                have = rows[sel_.PICK_ROW][1] if len(rows) > sel_.PICK_ROW else None
                if have != name:
                    problems.append(
                        f"{rel} {sheet}!B{sel_.PICK_ROW + 1}: picks {have!r}; expected {name!r}"
                    )
            else:
                problems += _check_static(rows, rel, sel)
    finally:
        wb.close()
    return problems


def _check_static(rows: list[list], rel: str, sel: sel_.Selector) -> list[str]:
    """The Years sheet's header and its fixed columns (each line, its unit)."""
    table = sel_.years_table(sel)
    fixed = {c.key for c in table.columns} - {c.key for c in sel_.looked_up_columns(sel)}
    problems = []
    headers = [c.header for c in table.columns]
    got = (rows[HEADER_ROW] if len(rows) > HEADER_ROW else [])[: len(headers)]
    if got != headers:
        problems.append(
            f"{rel} {sel_.YEARS}!A{HEADER_ROW + 1}: header row is {got}; expected {headers}"
        )
    body = rows[HEADER_ROW + 1 :]
    for j, column in enumerate(table.columns):
        if column.key not in fixed:
            continue
        for i, want in enumerate(table.frame.get_column(column.key).to_list()):
            have = body[i][j] if i < len(body) and j < len(body[i]) else None
            if have != want:
                problems.append(
                    f"{rel} {sel_.YEARS}!{xl_rowcol_to_cell(HEADER_ROW + 1 + i, j)}: found "
                    f"{have!r}, spine gives {want!r}"
                )
    if len(body) > table.frame.height and any(
        v not in (None, "") for v in body[table.frame.height]
    ):
        problems.append(f"{rel} {sel_.YEARS}: has rows beyond the {table.frame.height} lines")
    return problems


def _rows(wb, name: str, width: int) -> list[list]:
    rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[None if v == "" else v for v in row[:width]] for row in rows]
