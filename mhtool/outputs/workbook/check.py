"""`mhtool check` for the workbooks: each one's layout, print setup and every table cell
against the tables recomputed from the spine by the views the writer used.

Structure is read from the workbook's XML parts, once per workbook; cell values with
python-calamine (a Rust reader; reading them with openpyxl took most of the check's time).
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
from xlsxwriter.utility import xl_col_to_name

from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.layout import (
    DESCRIPTION_ROW,
    FONT_PT,
    HEADER_ROW,
    READABLE,
    READABLE_PT,
    REQUIRED,
    SHEETS,
    TABLES,
    TITLE_ROW,
    UNPRINTED,
    printable_px,
    printed_pt,
    stored_px,
    table_tops,
)
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.place_tables import system_rows
from mhtool.outputs.views.problems import MAX_PER_PART, TOLERANCE, unreadable
from mhtool.outputs.views.sheets import workbook_tables
from mhtool.outputs.views.tables import Table

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_R_ID = f"{{{_NS['r']}}}id"
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell[ >/]")
_SELECTION = re.compile(rb"<(?:\w+:)?selection\b[^>]*\bactiveCell=\"([A-Z]+[0-9]+)\"")


# --- workbook layout ---------------------------------------------------------------------


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → target part, for the part's .rels file (if any)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in z.namelist():
        return {}
    root = ET.fromstring(z.read(rels))
    return {
        r.get("Id"): posixpath.normpath(posixpath.join(folder, r.get("Target")))
        if not r.get("Target").startswith("/")
        else r.get("Target").lstrip("/")
        for r in root.findall("rel:Relationship", _NS)
    }


@dataclass
class _Structure:
    sheets: list[tuple[str, str]]  # (sheet name, part)
    tables: dict[str, list[tuple[str, str]]]  # sheet → [(table name, ref)]
    active_tab: int
    title: str
    print_titles: list[str]  # sheets whose header rows repeat on printed pages
    print_areas: dict[str, str]  # sheet → its print area ($A$1:$I$3), where one is set


def read_structure(path: Path) -> tuple[_Structure, dict[str, bytes]]:
    """Sheet order, tables, active tab and title from the xlsx parts; plus each sheet's XML."""
    with zipfile.ZipFile(path) as z:
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        rels = _rels(z, "xl/workbook.xml")
        sheets = [(s.get("name"), rels[s.get(_R_ID)]) for s in wb.findall("m:sheets/m:sheet", _NS)]
        print_titles = [
            n.text.split("!")[0].strip("'")
            for n in wb.findall("m:definedNames/m:definedName", _NS)
            if n.get("name") == "_xlnm.Print_Titles" and n.text
        ]
        print_areas = {
            n.text.rpartition("!")[0].strip("'"): n.text.rpartition("!")[2]
            for n in wb.findall("m:definedNames/m:definedName", _NS)
            if n.get("name") == "_xlnm.Print_Area" and n.text
        }
        view = wb.find("m:bookViews/m:workbookView", _NS)
        active = int(view.get("activeTab", "0")) if view is not None else 0
        found: dict[str, list[tuple[str, str]]] = {}
        xml: dict[str, bytes] = {}
        for name, part in sheets:
            xml[name] = z.read(part)
            for target in _rels(z, part).values():
                if "/tables/" in target:
                    t = ET.fromstring(z.read(target))
                    found.setdefault(name, []).append(
                        (t.get("displayName") or t.get("name"), t.get("ref"))
                    )
        title = ""
        if "docProps/core.xml" in z.namelist():
            node = ET.fromstring(z.read("docProps/core.xml")).find("dc:title", _NS)
            title = (node.text or "") if node is not None else ""
    return _Structure(sheets, found, active, title, print_titles, print_areas), xml


def check_layout(
    path: Path, rel: str, expected: list[Table], read: tuple | None = None
) -> list[str]:
    """The layout rules of layout.py, from the workbook's structure (`read`: what
    read_structure gave, read here when not given)."""
    st, xml = read or read_structure(path)
    names = [n for n, _ in st.sheets]
    problems = []
    want = [
        s
        for s in SHEETS
        if s in ("Cover", "Contents", "Notes")
        or s in {t.sheet for t in expected}
        or (s == "Charts" and "Charts" in names)
    ]
    if names != want:
        problems.append(f"{rel}: sheets are {names}; expected {want}")
    missing = [s for s in REQUIRED if s not in names]
    if missing:
        problems.append(f"{rel}: required sheets missing: {', '.join(missing)}")
    if st.active_tab != 0:
        problems.append(f"{rel}: sheet {st.active_tab + 1} is active; the first sheet should be")
    if not st.title.strip():
        problems.append(f"{rel}: the workbook's title property is not set")
    if names:
        cursor = _SELECTION.search(xml[names[0]])
        if cursor and cursor.group(1) != b"A1":
            problems.append(
                f"{rel}: the cursor on {names[0]} is at {cursor.group(1).decode()}, not A1"
            )
    seen: dict[str, str] = {}
    stacked: dict[str, list[Table]] = {}
    for t in expected:
        stacked.setdefault(t.sheet, []).append(t)
    for name in names:
        if _MERGE.search(xml[name]):
            problems.append(f"{rel} {name}: has merged cells")
        if _FORMULA.search(xml[name]):
            problems.append(f"{rel} {name}: has formula cells")
        found = st.tables.get(name, [])
        for tname, _ in found:
            if tname.lower() in seen:
                problems.append(
                    f"{rel} {name}: table name '{tname}' is also used on {seen[tname.lower()]}"
                )
            seen[tname.lower()] = name
        if name not in TABLES:
            if found:
                problems.append(f"{rel} {name}: should hold no table but has {len(found)}")
            continue
        problems += _check_stack(rel, name, found, stacked.get(name))
    return problems


def _check_stack(rel: str, name: str, found: list[tuple[str, str]], want) -> list[str]:
    """A table sheet's Excel tables: their names and ranges, the first at A3 and any more
    below it where layout.table_tops puts them (`want`: the expected tables, if known)."""
    if want is None:
        if len(found) != 1:
            return [f"{rel} {name}: should hold exactly one table, has {len(found)}"]
        tname, ref = found[0]
        problems = []
        if tname != TABLES[name]:
            problems.append(f"{rel} {name}: table is named '{tname}', expected '{TABLES[name]}'")
        if not ref.startswith(f"A{HEADER_ROW + 1}:"):
            problems.append(
                f"{rel} {name}: table starts at {ref.split(':')[0]}, expected A{HEADER_ROW + 1}"
            )
        return problems
    if len(found) != len(want):
        return [f"{rel} {name}: should hold {len(want)} table(s), has {len(found)}"]
    problems = []
    tops = table_tops([t.frame.height for t in want])
    for (tname, ref), t, top in zip(found, want, tops, strict=True):
        expect = t.name or TABLES[name]
        if tname != expect:
            problems.append(f"{rel} {name}: table is named '{tname}', expected '{expect}'")
        head = top + HEADER_ROW - TITLE_ROW + 1
        want_ref = f"A{head}:{xl_col_to_name(len(t.columns) - 1)}{head + max(t.frame.height, 1)}"
        if ref != want_ref:
            problems.append(f"{rel} {name}: table covers {ref}, expected {want_ref}")
    return problems


_PAGE_SETUP = re.compile(rb"<(?:\w+:)?pageSetup\b([^>]*)>")
_BREAK = re.compile(rb"<(?:\w+:)?brk\b[^>]*\bid=\"(\d+)\"")
_FIT = re.compile(rb"<(?:\w+:)?pageSetUpPr\b[^>]*\bfitToPage=\"(?:1|true)\"")
_HEADER_FOOTER = re.compile(rb"<(?:\w+:)?(?:odd|even|first)(?:Header|Footer)\b[^/]*?>[^<]")
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_ATTR = re.compile(rb'\b(min|max|width|scale|fitToWidth|left|right)="([0-9.]+)"')
_MARGINS = re.compile(rb"<(?:\w+:)?pageMargins\b([^>]*)>")
DEFAULT_COLUMN_PX = 64  # a column no <col> element sizes (Excel's 8.43 characters)


def printed_size(xml: bytes, columns: int) -> float:
    """The points a sheet's body text (Calibri 11) prints at: scaled by its fixed print
    scale, or by fitting its first `columns` columns (their widths in the sheet's <col>
    elements) to the page width between its margins, as spreadsheet programs do."""
    setup = _PAGE_SETUP.search(xml)
    attrs = dict(_ATTR.findall(setup.group(1))) if setup else {}
    if not _FIT.search(xml):
        return FONT_PT * int(float(attrs.get(b"scale", b"100"))) / 100
    pixels = [DEFAULT_COLUMN_PX] * columns
    for col in _COL.findall(xml):
        found = dict(_ATTR.findall(col))
        if b"width" not in found:
            continue
        first, last = int(found.get(b"min", b"1")), int(found.get(b"max", b"1"))
        for c in range(first, min(last, columns) + 1):
            pixels[c - 1] = stored_px(float(found[b"width"]))
    margins = _MARGINS.search(xml)
    sides = dict(_ATTR.findall(margins.group(1))) if margins else {}
    page = printable_px(float(sides.get(b"left", b"0.7")), float(sides.get(b"right", b"0.7")))
    pages_wide = int(float(attrs.get(b"fitToWidth", b"1"))) or 1
    return printed_pt(sum(pixels), page * pages_wide)


def _last_column(refs: list[str]) -> int:
    """The number of columns the tables at `refs` ('A3:N21') reach."""
    last = 0
    for ref in refs:
        letters = ref.split(":")[-1].rstrip("0123456789")
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        last = max(last, n)
    return last


def print_ref(table: Table) -> str | None:
    """The print area a sheet whose first table is `table` sets ($A$1:$H$9), as the file
    names it; None: the whole sheet prints (Table.print_area)."""
    found = table.print_range()
    if found is None:
        return None
    row, col = found
    return f"$A${TITLE_ROW + 1}:${xl_col_to_name(col)}${row + 1}"


def check_print(
    path: Path,
    rel: str,
    read: tuple | None = None,
    expected: list[Table] | None = None,
    readable: tuple[str, ...] = READABLE,
) -> list[str]:
    """Every sheet prints A4 landscape, one page wide, with no header or footer
    (workbook.print_setup); every table sheet repeats its header row on each printed page
    (a sheet of several tables: each later one starts a page); a sheet left unprinted
    (layout.UNPRINTED) of an organisation's workbook prints its heading rows only; with
    the `expected` tables, every other sheet prints its first table's print_area (print_ref)
    or, without one, the whole sheet; a sheet people read on paper (layout.READABLE)
    prints at READABLE_PT or more (printed_size), over the columns it prints (`readable`:
    the sheets people read, by name)."""
    own_workbook = scopes.Scope.from_path(rel) is not None

    st, xml = read or read_structure(path)
    titles = set(st.print_titles)
    first: dict[str, Table] = {}
    for t in expected or ():
        first.setdefault(t.sheet, t)
    problems = []
    for name, _ in st.sheets:
        setup = _PAGE_SETUP.search(xml[name])
        attrs = setup.group(1) if setup else b""
        if b'paperSize="9"' not in attrs or b'orientation="landscape"' not in attrs:
            problems.append(f"{rel} {name}: does not print A4 landscape")
        if not _FIT.search(xml[name]) or b'fitToHeight="0"' not in attrs:
            problems.append(f"{rel} {name}: does not print one page wide")
        if _HEADER_FOOTER.search(xml[name]):
            problems.append(f"{rel} {name}: prints a header or footer")
        area = st.print_areas.get(name)
        heading_only = re.fullmatch(rf"\$A\$1:\$[A-Z]+\${HEADER_ROW + 1}", area or "")
        want = print_ref(first[name]) if name in first else None
        if name in UNPRINTED and own_workbook:
            if not heading_only:
                problems.append(
                    f"{rel} {name}: its print area is {area or 'the whole sheet'}; expected "
                    f"its heading rows only (to row {HEADER_ROW + 1})"
                )
        elif expected is not None and area != want:
            problems.append(
                f"{rel} {name}: its print area is {area or 'the whole sheet'}; expected "
                f"{want or 'the whole sheet'}"
            )
        stacked = st.tables.get(name, [])
        if name in readable and stacked:
            refs = [area.replace("$", "")] if area else [ref for _, ref in stacked]
            size = printed_size(xml[name], _last_column(refs))
            if size < READABLE_PT:
                problems.append(
                    f"{rel} {name}: prints at {size:.1f} pt, its columns fitted to the page "
                    f"width; people read {READABLE_PT:g} pt or more"
                )
        if len(stacked) > 1:  # workbook.write_tables: each later table on a page of its own
            breaks = {int(b) for b in _BREAK.findall(xml[name])}
            for tname, ref in stacked[1:]:
                top = int(ref.split(":")[0][1:]) - 1 - (HEADER_ROW - TITLE_ROW)
                if top not in breaks:
                    problems.append(
                        f"{rel} {name}: table {tname} does not start a printed page of its own"
                    )
        elif name in TABLES and name not in titles:
            problems.append(f"{rel} {name}: its header row is not repeated on printed pages")
    return problems


# --- workbook values ---------------------------------------------------------------------


def _expected_cell(value, column):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return column.placeholder
    return str(value) if column.fmt == "text" else value


def same_cell(got, want) -> bool:
    """A cell read back equals what the spine gives: text exactly, a number within
    TOLERANCE (a bool is never a number here)."""
    if isinstance(want, str):
        return got == want
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    return abs(got - want) <= TOLERANCE * max(1.0, abs(want))


def _formula_cells(xml: bytes) -> set[str]:
    """The references of a sheet's formula cells (parsed only when it has any)."""
    if not _FORMULA.search(xml):
        return set()
    cell, formula = f"{{{_NS['m']}}}c", f"{{{_NS['m']}}}f"
    return {c.get("r") for c in ET.fromstring(xml).iter(cell) if c.find(formula) is not None}


def _sheet_rows(wb, name: str, width: int) -> list[list]:
    """A sheet's cell values from A1, `width` columns of each row, None where empty."""
    rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return [[None if v == "" else v for v in row[:width]] for row in rows]


def check_values(
    path: Path, rel: str, expected: list[Table], xml: dict[str, bytes] | None = None
) -> list[str]:
    """Every title, header and table cell against the tables the spine gives. Values are
    read with calamine (several times faster than openpyxl); formula cells are found in
    the sheets' XML (`xml`, from read_structure, is read here when not given)."""
    from python_calamine import CalamineWorkbook

    if xml is None:
        xml = read_structure(path)[1]
    problems = []
    by_sheet: dict[str, list[Table]] = {}
    for t in expected:
        by_sheet.setdefault(t.sheet, []).append(t)
    wb = CalamineWorkbook.from_path(str(path))
    try:
        for name in wb.sheet_names:
            stack = by_sheet.get(name, [])
            rows = _sheet_rows(wb, name, max([1, *(len(t.columns) for t in stack)]))
            top = rows[:HEADER_ROW] + [[]] * (HEADER_ROW - len(rows[:HEADER_ROW]))
            title = top[TITLE_ROW][0] if top[TITLE_ROW] else None
            if not isinstance(title, str) or not title.strip():
                problems.append(f"{rel} {name}!A1: no title")
            if name in TABLES and not (
                top[DESCRIPTION_ROW] and isinstance(top[DESCRIPTION_ROW][0], str)
            ):
                problems.append(f"{rel} {name}!A2: no description line above the table")
            formulas = _formula_cells(xml.get(name, b"")) if stack else set()
            if len(stack) == 1:
                problems += check_table(rows[HEADER_ROW:], name, rel, stack[0], formulas)
            elif stack:
                problems += _check_stacked(rows, name, rel, stack, formulas)
    finally:
        wb.close()
    return problems


def _check_stacked(
    rows: list[list], sheet: str, rel: str, stack: list[Table], formulas: set[str]
) -> list[str]:
    """A sheet holding several tables one below another (layout.table_tops): each one's
    title and description above it, then its header and rows as check_table checks them."""
    problems: list[str] = []
    tops = [*table_tops([t.frame.height for t in stack]), None]
    for k, table in enumerate(stack):
        start, end = tops[k], tops[k + 1]
        if k:
            got = [rows[r][0] if r < len(rows) and rows[r] else None for r in (start, start + 1)]
            if got != [table.title, table.description]:
                problems.append(
                    f"{rel} {sheet}!A{start + 1}: found {got}; expected the title and "
                    f"description {[table.title, table.description]}"
                )
        head = start + HEADER_ROW - TITLE_ROW
        problems += check_table(rows[head:end], sheet, rel, table, formulas, head)
    return problems


def check_table(
    rows: list[list],
    sheet: str,
    rel: str,
    table: Table,
    formulas: set[str] = frozenset(),
    head: int = HEADER_ROW,
) -> list[str]:
    """Compare the rows from the header row (`head`, 0-based) on with the expected table,
    a column at a time: a column read back exactly as expected passes whole, any other is
    compared cell by cell within TOLERANCE. `formulas`: the sheet's formula cells."""
    problems: list[str] = []
    headers = [c.header for c in table.columns]
    n_rows = table.frame.height
    if rows:
        got = (rows[0] + [None] * len(headers))[: len(headers)]
        if got != headers:
            problems.append(f"{rel} {sheet}!A{head + 1}: header row is {got}; expected {headers}")
    body = rows[1 : n_rows + 1]
    for i, row in enumerate(rows[n_rows + 1 :], n_rows):
        if any(v is not None for v in row):
            problems.append(
                f"{rel} {sheet}: row {head + 2 + i} is beyond the {n_rows} rows the spine gives"
            )
    for j, column in enumerate(table.columns):
        letter = xl_col_to_name(j)
        want = [
            _expected_cell(v, column)
            for v in table.frame.get_column(column.key).head(len(body)).to_list()
        ]
        got = [row[j] if j < len(row) else None for row in body]
        mine = {r for r in formulas if r.rstrip("0123456789") == letter}
        if got == want and not mine and not any(type(g) is bool for g in got):
            continue
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            where = f"{rel} {sheet}!{letter}{head + 2 + i}"
            if f"{letter}{head + 2 + i}" in mine:
                problems.append(f"{where}: is a formula")
            elif not same_cell(g, w):
                org = (
                    f", {table.frame.get_column('org_code')[i]}"
                    if "org_code" in table.frame.columns
                    else ""
                )
                found = int(g) if isinstance(g, float) and g.is_integer() else g  # as typed
                problems.append(f"{where}: found {found!r}, spine gives {w!r} ({headers[j]}{org})")
            if len(problems) > MAX_PER_PART:
                return problems[:MAX_PER_PART] + [f"{rel} {sheet}: more problems not shown"]
    if len(body) < n_rows:
        problems.append(f"{rel} {sheet}: has {len(body)} table rows; the spine gives {n_rows}")
    return problems


def check_workbook(
    path: Path,
    rel: str,
    prepared: pl.DataFrame,
    meta: WorkbookMeta | None = None,
    places: pl.DataFrame | None = None,
    actuals: pl.DataFrame | None = None,
) -> list[str]:
    """One workbook against the tables recomputed from the spine: layout, then values.
    `places`: a system workbook's place rows (outputs.places.workbook_rows); `actuals`:
    the delivery rows remade from the spine and actuals tables (outputs.delivery.check)."""
    scope = scopes.Scope.from_path(rel)
    if scope is None:
        return []
    if prepared.filter(pl.col("level") == scope.level, pl.col("org_code") == scope.code).is_empty():
        return [f"{rel}: {scope.code} is not a {scope.level} in the spine"]
    rows = scopes.rows(prepared, scope)
    expected = workbook_tables(rows, meta, places if scope.level == "icb" else None, actuals)
    try:
        read = read_structure(path)
        return (
            check_layout(path, rel, expected, read)
            + check_print(path, rel, read, expected)
            + check_values(path, rel, expected, read[1])
        )
    except Exception as exc:  # a damaged workbook is one problem; the check goes on
        return [f"{rel}: {unreadable(exc)}"]


def check_book(path, rel, prepared, meta, part, actuals) -> list[str]:
    """check_workbook, a system workbook's place rows made from its `part` of them
    (place_tables.system_parts) here, in the worker, as the run makes them where it
    writes that workbook: the checking process never holds every system's."""
    places = system_rows(part, prepared) if part is not None else None
    return check_workbook(path, rel, prepared, meta, places, actuals)
