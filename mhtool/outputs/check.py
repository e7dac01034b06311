"""Re-read a run's outputs and check them against the spine it saved.

Every check is a function returning a list of problem lines (empty when all is well), so
`mhtool check` prints them and tests assert on them. The families:

- sums: each count, funding and workforce figure's children sum exactly to it
  (sub-ICBs → ICB → region → England, per ambition and year);
- values: every table cell and planning-CSV field equals what the spine gives (the
  expected tables are recomputed from the saved spine by the same views the writer uses);
- planning: each planning line's months stand for its apportioned figure (March or the
  quarter end, or the sum for in-year counts) in whole people, and the ICB files add up
  to england.csv month by month;
- layout: sheet order, a title in A1, one uniquely named Excel table per table sheet at
  A3, no merged cells, no formulas, the title property set, the first sheet active at A1;
- report: every HTML report page's Summary, Compare and Standards tables show the
  spine's figures cell by cell, and every link resolves to a file in the run
  (mhtool.outputs.report.check);
- files: with a manifest.json, every output it lists exists and every workbook, CSV, PNG
  and Parquet file present is listed; apportionment.csv equals apportionment.parquet.

Structure is read from the workbook's XML parts, once per workbook; cell values with
python-calamine (a Rust reader; reading them with openpyxl took most of the check's time).
"""

from __future__ import annotations

import csv
import json
import math
import os
import posixpath
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
from xlsxwriter.utility import xl_col_to_name

from mhtool import csvsafe, vocab
from mhtool.errors import InputError
from mhtool.infra import folder
from mhtool.infra.folder import RunFolder
from mhtool.infra.manifest import folder_problems, regular
from mhtool.infra.parallel import run_jobs
from mhtool.outputs import deliverycheck
from mhtool.outputs.planning import write as planning
from mhtool.outputs.report import check as reportcheck
from mhtool.outputs.views import delivery
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.layout import (
    DESCRIPTION_ROW,
    HEADER_ROW,
    REQUIRED,
    SHEETS,
    TABLES,
    TITLE_ROW,
    UNPRINTED,
    table_tops,
)
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.tables import Table, prepare, tables
from mhtool.planning import profile
from mhtool.planning import refs as planning_refs

SPINE_FILE = folder.SPINE_PARQUET
MAX_PER_PART = 20  # problem lines reported per sheet or file before summarising
TOLERANCE = 1e-6  # figures are whole or in 0.1 steps; this only absorbs float noise

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


@dataclass
class Report:
    """What `mhtool check` found, and how much it looked at."""

    problems: list[str]
    workbooks: int
    csvs: int
    spine_rows: int
    manifest: bool = False  # whether the files were held to a manifest.json
    place_rows: int = 0  # spine rows at the place level (runs with --places)
    pages: int = 0  # HTML report pages checked (mhtool.outputs.report.check)
    selector: bool = False  # selector.xlsx checked (mhtool.outputs.selector.check)

    @property
    def summary(self) -> str:
        files = "; every file is listed in manifest.json" if self.manifest else ""
        places = (
            f"; {self.place_rows:,} place rows sum to their parents and match places/*.csv"
            if self.place_rows
            else ""
        )
        report = (
            f"; {self.pages} report pages show the spine's figures and every link resolves"
            if self.pages
            else ""
        )
        selector = "; selector.xlsx's data and formulas match it" if self.selector else ""
        return (
            f"OK: {self.workbooks} workbooks and {self.csvs} planning CSV files match the "
            f"spine ({self.spine_rows:,} rows){selector}; every level sums to its parent; "
            f"layout rules hold{report}{files}{places}."
        )


# --- sums --------------------------------------------------------------------------------


def additive(spine: pl.DataFrame) -> pl.DataFrame:
    """Rows whose figures must add up: counts, and all funding and workforce figures."""
    return spine.filter(
        ~pl.col("kind").is_in(vocab.CARRIED_KINDS),
        (pl.col("kind") == "count") | pl.col("measure").is_in(["funding", "workforce"]),
    )


def check_sums(spine: pl.DataFrame) -> list[str]:
    """Each parent's figure equals the sum of its children's, per ambition and year."""
    df = additive(spine)
    problems = []
    steps = [
        ("subicb", ["icb"]),
        ("icb", ["region"]),
        ("region", ["england"]),
        (vocab.PLACE, ["subicb", "icb"]),  # a place sits under its sub-ICB or its ICB
    ]
    for child, parent in steps:
        sums = (
            df.filter(pl.col("level") == child)
            .group_by("parent_code", "ambition_id", "year")
            .agg(pl.col("value").sum().alias("children"), pl.len().alias("n"))
        )
        parents = df.filter(pl.col("level").is_in(parent)).select(
            pl.col("org_code").alias("parent_code"), "ambition_id", "year", "value"
        )
        joined = sums.join(parents, on=["parent_code", "ambition_id", "year"], how="left")
        bad = joined.filter(
            pl.col("value").is_null() | ((pl.col("children") - pl.col("value")).abs() > TOLERANCE)
        )
        for r in bad.sort("ambition_id", "year", "parent_code").iter_rows(named=True):
            if r["value"] is None:
                problems.append(
                    f"sums: {r['ambition_id']} {r['year']}: {r['n']} {child} rows "
                    f"name parent {r['parent_code']}, which has no row"
                )
            else:
                problems.append(
                    f"sums: {r['ambition_id']} {r['year']}: the {r['n']} {child} rows under "
                    f"{r['parent_code']} sum to {_num(r['children'])} but {r['parent_code']} "
                    f"has {_num(r['value'])}"
                )
    return problems


def check_places(out_dir: Path, spine: pl.DataFrame) -> list[str]:
    """places/<ICB>.csv holds exactly the spine's place rows of that ICB, and a spine with
    places has those files (sums are checked with the other levels in check_sums)."""
    from mhtool.outputs.views.place_tables import place_table

    want = place_table(spine)
    where, practices = RunFolder(out_dir).places, Path(folder.PLACES_MAP).name
    files = (
        sorted(p for p in where.glob("*.csv") if p.name != practices and regular(p))
        if where.is_dir()
        else []
    )
    problems = []
    have = {p.stem for p in files}
    need = set(want["icb_code"].unique().to_list())
    for icb in sorted(need - have):
        problems.append(
            f"{folder.places_file(icb)}: missing, but the spine has places in ICB {icb}"
        )
    for icb in sorted(have - need):
        problems.append(f"{folder.places_file(icb)}: the spine has no places in ICB {icb}")
    for p in files:
        if p.stem not in need:
            continue
        try:
            got = pl.read_csv(p, schema_overrides=dict(want.schema), infer_schema=False)
        except (OSError, pl.exceptions.PolarsError) as exc:
            problems.append(f"{folder.places_file(p.stem)}: {unreadable(exc)}")
            continue
        exp = want.filter(pl.col("icb_code") == p.stem)
        key = ["ambition_id", "year", "place_code"]
        exp = csvsafe.frame(exp)  # as the writer made them safe
        j = exp.join(got, on=key, how="full", suffix="_file")
        bad = j.filter(
            pl.col("place_code").is_null()
            | pl.col("place_code_file").is_null()
            | ((pl.col("value") - pl.col("value_file")).abs() > TOLERANCE)
        )
        if bad.height:
            r = bad.row(0, named=True)
            problems.append(
                f"{folder.places_file(p.stem)}: {bad.height} row(s) differ from the spine, e.g. "
                f"{r['ambition_id'] or r['ambition_id_file']} {r['year'] or r['year_file']} "
                f"{r['place_code'] or r['place_code_file']}"
            )
    return _capped(problems, "places")


def _num(x: float) -> str:
    return f"{x:,.1f}".removesuffix(".0")


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


def check_print(path: Path, rel: str, read: tuple | None = None) -> list[str]:
    """Every sheet prints A4 landscape, one page wide, with no header or footer
    (workbook.print_setup); every table sheet repeats its header row on each printed page
    (a sheet of several tables: each later one starts a page); a sheet left unprinted
    (layout.UNPRINTED) of an organisation's workbook prints its heading rows only."""
    own_workbook = scopes.Scope.from_path(rel) is not None

    st, xml = read or read_structure(path)
    titles = set(st.print_titles)
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
        if name in UNPRINTED and own_workbook and not heading_only:
            problems.append(
                f"{rel} {name}: its print area is {area or 'the whole sheet'}; expected its "
                f"heading rows only (to row {HEADER_ROW + 1})"
            )
        stacked = st.tables.get(name, [])
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


def _same(got, want) -> bool:
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
                problems += _check_table(rows[HEADER_ROW:], name, rel, stack[0], formulas)
            elif stack:
                problems += _check_stacked(rows, name, rel, stack, formulas)
    finally:
        wb.close()
    return problems


def _check_stacked(
    rows: list[list], sheet: str, rel: str, stack: list[Table], formulas: set[str]
) -> list[str]:
    """A sheet holding several tables one below another (layout.table_tops): each one's
    title and description above it, then its header and rows as _check_table checks them."""
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
        problems += _check_table(rows[head:end], sheet, rel, table, formulas, head)
    return problems


def _check_table(
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
            elif not _same(g, w):
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


# --- the planning export -------------------------------------------------------------------


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _template_files(out_dir, csvs, icb_codes, template, by_ref, values, spec):
    """Each ICB's (and England's) planning CSV against the template built from the spine:
    (problems, {code: rows read})."""
    problems: list[str] = []
    files: dict[str, list[list[str]]] = {}
    for p in csvs:
        rel = p.relative_to(out_dir).as_posix()
        code = planning.ENGLAND if p.stem == "england" else p.stem
        if code != planning.ENGLAND and code not in icb_codes:
            problems.append(f"{rel}: {code} is not an ICB in the spine")
            continue
        got = _read_csv_or_say(p, rel, problems)
        if got is None:
            continue
        files[code] = got
        problems += _compare_rows(rel, got, planning.TEMPLATE_COLUMNS, template.get(code, []))
        problems += check_year_figures(rel, _template_keys(got[1:], by_ref), values, spec)
        problems += check_percentages(rel, got[1:], spec["percent_scale"])
    return problems, files


def _read_csv_or_say(path: Path, rel: str, problems: list[str]) -> list[list[str]] | None:
    """The CSV's rows, or None with a problem line when it is missing, not a regular file
    (never opened: a named pipe would block) or cannot be read (damaged)."""
    if not regular(path):
        problems.append(f"{rel}: missing")
        return None
    try:
        return _read_csv(path)
    except (OSError, ValueError, csv.Error) as exc:
        problems.append(f"{rel}: {unreadable(exc)}")
        return None


def _compare_rows(rel: str, got: list[list[str]], columns: list[str], want: list[list[str]]):
    if not got or got[0] != columns:
        return [f"{rel} line 1: header is {got[0] if got else 'missing'}; expected {columns}"]
    problems = []
    body = got[1:]
    want = [csvsafe.row(w) for w in want]  # as the writer made them safe
    if len(body) != len(want):
        problems.append(f"{rel}: has {len(body)} rows; the spine gives {len(want)}")
    for n, (g, w) in enumerate(zip(body, want, strict=False), 2):
        if g != w:
            problems.append(f"{rel} line {n}: found {','.join(g)}; spine gives {','.join(w)}")
            if len(problems) > MAX_PER_PART:
                return problems[:MAX_PER_PART] + [f"{rel}: more problems not shown"]
    return problems


def _months_of(row: list[str], first: int) -> list[float | None]:
    return [None if t == planning.NA else _float(t) for t in row[first : first + 12]]


def check_year_figures(rel, keyed, spine_values, spec) -> list[str]:
    """Each Count or Numerator line's months stand for exactly the apportioned figure:
    March (or the quarter end) for rolling, point-in-time and quarterly measures, the sum
    of the months for in-year counts; counts are whole in every month. `keyed` yields
    (line number, months, org, ambition, year, measure type)."""
    problems = []
    for n, months, org, aid, year, mtype in keyed:
        if mtype not in ("Count", "Numerator") or aid is None:
            continue
        rule = planning_refs.rule_of(spec, aid)
        got = profile.year_figure(rule, months)
        want = spine_values.get((org, aid, year))
        if any(v is not None and not float(v).is_integer() for v in months):
            problems.append(f"{rel} line {n}: {aid} {year} {org}: a month is not a whole number")
        if (got is None) != (want is None) or (
            got is not None and abs(got - want) > TOLERANCE * max(1.0, abs(want))
        ):
            problems.append(
                f"{rel} line {n}: {aid} {year} {org}: the months give {got} ({rule}); "
                f"the spine gives {want}"
            )
    return problems


def check_percentages(rel: str, body: list[list[str]], scale: str) -> list[str]:
    """Every Percentage row beside its Numerator and Denominator holds their ratio, month
    by month, on the scale profile.json records (0-100 or proportions), so a file on the
    wrong scale is caught however it was made."""
    width = len(planning.TEMPLATE_COLUMNS)
    lines: dict[tuple, dict[str, tuple[int, list]]] = defaultdict(dict)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            lines[(row[1], row[2], row[5])][row[3]] = (n, _months_of(row, 7))
    problems = []
    for (org, ref, year), types in sorted(lines.items()):
        if not {"Numerator", "Denominator", "Percentage"} <= set(types):
            continue
        n, pct = types["Percentage"]
        num, den = types["Numerator"][1], types["Denominator"][1]
        for m, (p, a, b) in enumerate(zip(pct, num, den, strict=True)):
            want = None if a is None or not b else planning.ratio_text(a, b, scale)
            if (p is None) != (want is None) or (p is not None and abs(p - want) > 1e-9):
                problems.append(
                    f"{rel} line {n}: {ref} {year} {org} {planning.MONTHS[m]}: Percentage "
                    f"{p} where Numerator / Denominator on the {scale} scale gives {want}"
                )
                break
    return problems


def _template_keys(body, by_ref):
    width = len(planning.TEMPLATE_COLUMNS)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            yield n, _months_of(row, 7), row[1], by_ref.get(row[2]), row[5], row[3]


def _other_keys(body):
    width = len(planning.OTHER_COLUMNS)
    for n, row in enumerate(body, 2):
        if len(row) == width:
            yield n, _months_of(row, 11), row[1], row[2], row[9], row[7]


def _england_sums(files: dict[str, list[list[str]]]) -> list[str]:
    """england.csv against the ICB rows of the ICB files, month by month (percentages,
    which do not add, excepted)."""
    sums: dict[tuple, list[float]] = {}
    england: dict[tuple, list[float | None]] = {}
    for code, got in files.items():
        for row in got[1:]:
            if len(row) != len(planning.TEMPLATE_COLUMNS) or row[3] == "Percentage":
                continue
            key, months = (row[2], row[3], row[5]), _months_of(row, 7)
            if code == planning.ENGLAND:
                england[key] = months
            elif row[1] == code:
                acc = sums.setdefault(key, [0.0] * 12)
                sums[key] = [a + (m or 0) for a, m in zip(acc, months, strict=True)]
    problems = []
    for key, months in sorted(england.items()):
        total = sums.get(key, [0.0] * 12)
        for m, (want, got) in enumerate(zip(months, total, strict=True)):
            if want is not None and abs(want - got) > TOLERANCE * max(1.0, abs(want)):
                problems.append(
                    f"planning: {' '.join(key)} {planning.MONTHS[m]}: the ICB files sum "
                    f"to {_num(got)} but england.csv has {_num(want)}"
                )
    return problems


#: Where each planning file's key and figures are: (key columns after org_code, first
#: figure column, number of figures, measure-type column or None).
_PLACE_LAYOUT = {
    "template": ((2, 3, 5), 7, 12, 3),
    folder.PLANNING_OTHER: ((2, 7, 9), 11, 12, 7),
    folder.PLANNING_MONEY: ((2, 6), 8, 1, None),
}
_ADDITIVE_TYPES = ("Count", "Numerator", "Denominator")


def check_place_sums(what: str, got: list[list[str]], parent_rows, parent_of) -> list[str]:
    """The place rows of a planning file add up to their parent's row figure by figure
    (each month, or the year's value): `parent_rows` are the parents' rows as the export
    makes them (the sub-ICB rows whether or not the files carry them), `parent_of` maps
    each place to its parent. Percentages and carried rates do not add and are skipped."""
    keys, first, n, mtype = _PLACE_LAYOUT[what]
    sums: dict[tuple, list[float]] = {}
    for row in got[1:]:
        if row[1] not in parent_of or (mtype is not None and row[mtype] not in _ADDITIVE_TYPES):
            continue
        key = (parent_of[row[1]], *(row[k] for k in keys))
        figures = _months_of(row, first)[:n] if n == 12 else [_float(row[first])]
        acc = sums.setdefault(key, [0.0] * n)
        sums[key] = [a + (f or 0) for a, f in zip(acc, figures, strict=True)]
    parents = {(r[1], *(r[k] for k in keys)): r for r in parent_rows}
    problems = []
    for key, total in sorted(sums.items()):
        parent = parents.get(key)
        if parent is None:
            problems.append(f"planning {what}: places of {key[0]} have {key[1:]}; it has none")
            continue
        want = _months_of(parent, first)[:n] if n == 12 else [_float(parent[first])]
        for m, (w, g) in enumerate(zip(want, total, strict=True)):
            if abs((w or 0) - g) > TOLERANCE * max(1.0, abs(w or 0)):
                month = planning.MONTHS[m] if n == 12 else "value"
                problems.append(
                    f"planning {what}: {' '.join(key[1:])} {month}: the places of {key[0]} "
                    f"sum to {_num(g)} but {key[0]} has {_num(w or 0)}"
                )
    return problems


def _figures(spine: pl.DataFrame, places: pl.DataFrame | None) -> dict[tuple, float]:
    """(org_code, ambition_id, year) → the apportioned figure, places' too."""
    cols = ("org_code", "ambition_id", "year", "value")
    out = {(o, a, y): v for o, a, y, v in spine.select(*cols).iter_rows()}
    if places is not None:
        out |= {(o, a, y): v for o, a, y, v in places.select(*cols).iter_rows()}
    return out


def _recorded_spec(record: dict) -> tuple[dict, str]:
    """The planning spec profile.json records, and what is wrong with it ('' if nothing).
    A run written before the scale was recorded held proportions."""
    spec = {k: record.get(k, {}) for k in ("refs", "denominators", "starts")}
    spec["subicb"] = bool(record.get("subicb"))
    spec["places"] = bool(record.get("places"))
    spec["percent_scale"] = scale = record.get("percent_scale", planning.OLD_SCALE)
    if scale not in planning.PERCENT_SCALES:
        return spec, (
            f"{folder.PLANNING_PROFILE}: percent_scale {scale!r} is not one of "
            f"{', '.join(planning.PERCENT_SCALES)}"
        )
    return spec, ""


def check_planning(
    out_dir: Path,
    spine: pl.DataFrame,
    prepared: pl.DataFrame,
    place_rows: pl.DataFrame | None = None,
):
    """The planning export against the spine: each file as the spine and planning/
    profile.json give it, each line's months against its apportioned figure, and the ICB
    files adding up to England month by month; with places (`place_rows`, when the
    export carries them), the place rows adding up to their parents'. Returns (problems,
    files checked)."""
    run = RunFolder(out_dir)
    csvs = sorted(p for p in run.planning.glob("*.csv") if regular(p))
    if not csvs:
        return [], 0
    try:
        record = json.loads(run.planning_profile.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{folder.PLANNING_PROFILE}: cannot be read ({exc})"], len(csvs)
    spec, problem = _recorded_spec(record)
    if problem:
        return [problem], len(csvs)
    source = planning.source_text(record.get("catalogue_name", ""), record.get("data_date", ""))
    icb_codes = set(prepared.filter(pl.col("level") == "icb").get_column("org_code").to_list())
    special = {run.planning_other.name, run.planning_money.name}
    written = {p.stem for p in csvs if p.name not in special}
    places = None
    if spec["places"]:
        if place_rows is None or place_rows.is_empty():
            return [
                f"{folder.PLANNING_PROFILE}: says the files carry places; the spine has none"
            ], len(csvs)
        places = place_rows.filter(pl.col("icb_code").is_in(sorted(written)))
    template, other, money = planning.build(
        prepared, spec, source, subicb=spec["subicb"], places=places
    )
    values = _figures(spine, places)
    by_ref = {
        r["planning_ref"]: a
        for a, r in spec["refs"].items()
        if r["confirmed"] and r["planning_ref"]
    }
    problems, files = _template_files(
        out_dir,
        [p for p in csvs if p.name not in special],
        icb_codes,
        template,
        by_ref,
        values,
        spec,
    )
    if planning.ENGLAND in files and icb_codes <= set(files):
        problems += _england_sums(files)
    if places is not None:
        parent_of = dict(places.select("org_code", "parent_code").unique().iter_rows())
        tops, top_other, top_money = planning.build(prepared, spec, source, subicb=True)
        parent_template = [r for rows in tops.values() for r in rows]
        for got in files.values():
            problems += check_place_sums("template", got, parent_template, parent_of)
    for name, columns, rows in (
        (folder.PLANNING_OTHER, planning.OTHER_COLUMNS, other),
        (folder.PLANNING_MONEY, planning.MONEY_COLUMNS, money),
    ):
        got = _read_csv_or_say(out_dir / name, name, problems)
        if got is None:
            continue
        problems += _compare_rows(name, got, columns, [r for r in rows if r[0] in files])
        if name == folder.PLANNING_OTHER:
            problems += check_year_figures(name, _other_keys(got[1:]), values, spec)
        if places is not None:
            tops = top_other if name == folder.PLANNING_OTHER else top_money
            problems += check_place_sums(name, got, tops, parent_of)
    return _capped(problems, "planning"), len(csvs)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# --- the run's files ----------------------------------------------------------------------

MANIFEST_FILE = folder.MANIFEST
CSV_FILE = folder.SPINE_CSV
LISTED_SUFFIXES = (".xlsx", ".csv", ".png", ".parquet")
UNLISTED_OK = (folder.MANIFEST, folder.LOG)  # and changes.*: see check_files


def check_files(out_dir: Path) -> list[str]:
    """With a manifest.json: every output it lists exists as a regular file with the
    sha256 recorded (a chart or CSV replaced since the run is found here), and every
    workbook, CSV, PNG and Parquet file present is listed (bar manifest.json, run.log and
    changes.*, which a comparison adds). Without one there is nothing to hold the folder to."""
    if not os.path.lexists(RunFolder(out_dir).manifest):
        return []
    return _capped(
        folder_problems(out_dir, LISTED_SUFFIXES, UNLISTED_OK, folder.CHANGES_PREFIX), "files"
    )


def check_spine_csv(out_dir: Path, spine: pl.DataFrame) -> list[str]:
    """apportionment.csv holds the same rows and values as apportionment.parquet (its
    text cells made formula-safe as every CSV's are: mhtool.csvsafe)."""
    from mhtool.spine import read_spine as read

    spine = csvsafe.frame(spine)

    path = out_dir / CSV_FILE
    if not path.is_file():
        return []
    try:
        got = read(path)
    except (InputError, pl.exceptions.PolarsError) as exc:
        return [f"{CSV_FILE}: cannot be read as a spine ({exc})"]
    if got.height != spine.height:
        return [f"{CSV_FILE}: has {got.height:,} rows; {SPINE_FILE} has {spine.height:,}"]
    problems = []
    for name in spine.columns:
        want, have = pl.col(name), pl.col(f"{name}_csv")
        if spine.schema[name].is_numeric():
            both = want.is_not_null() & have.is_not_null()
            differ = (want.is_null() != have.is_null()) | (
                both
                & ~(
                    (want.is_nan() & have.is_nan())
                    | (
                        (want - have).abs()
                        <= TOLERANCE * pl.max_horizontal(pl.lit(1.0), want.abs())
                    )
                )
            )
        else:  # the CSV cannot tell an empty string from no value
            differ = want.cast(pl.String).fill_null("") != have.cast(pl.String).fill_null("")
        pair = pl.DataFrame([spine.get_column(name), got.get_column(name).alias(f"{name}_csv")])
        bad = pair.with_row_index("_n").filter(differ.fill_null(True))
        if not bad.is_empty():
            n, w, g = bad.row(0)
            problems.append(
                f"{CSV_FILE} line {n + 2}: {name} is {g!r}; {SPINE_FILE} has "
                f"{w!r}"
                + (f" ({bad.height - 1:,} more rows differ in {name})" if bad.height > 1 else "")
            )
    return _capped(problems, CSV_FILE)


def unreadable(exc: BaseException) -> str:
    """A file that cannot be read as what it should be, in one problem line's words."""
    why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"cannot be read ({type(exc).__name__}: {why}); damaged since the run?"


def _capped(problems: list[str], what: str) -> list[str]:
    if len(problems) > MAX_PER_PART:
        return problems[:MAX_PER_PART] + [
            f"{what}: {len(problems) - MAX_PER_PART} more problems not shown"
        ]
    return problems


# --- a whole run -------------------------------------------------------------------------


def read_spine(out_dir: Path) -> pl.DataFrame:
    """The run's Parquet spine, with a clear error when the folder holds none."""
    from mhtool.spine import read_spine as read  # checks the spine's columns

    path = out_dir / SPINE_FILE
    if not path.exists():
        raise InputError(
            f"no {SPINE_FILE} here; is this the folder a run wrote?", file=str(out_dir)
        )
    return read(path)


def read_meta(out_dir: Path) -> WorkbookMeta:
    """The settings the workbooks were worded with (folder.WORKBOOK_META); an empty
    WorkbookMeta where the run saved none."""
    path = RunFolder(Path(out_dir)).workbook_meta
    if not path.is_file():
        return WorkbookMeta()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("not the settings mhtool saves (a JSON object)", file=str(path))
    return WorkbookMeta.from_mapping(data)


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
    the delivery rows remade from the spine and actuals tables (outputs.deliverycheck)."""
    scope = scopes.Scope.from_path(rel)
    if scope is None:
        return []
    if prepared.filter(pl.col("level") == scope.level, pl.col("org_code") == scope.code).is_empty():
        return [f"{rel}: {scope.code} is not a {scope.level} in the spine"]
    rows = scopes.rows(prepared, scope)
    expected = tables(rows, meta, places if scope.level == "icb" else None, actuals)
    try:
        read = read_structure(path)
        return (
            check_layout(path, rel, expected, read)
            + check_print(path, rel, read)
            + check_values(path, rel, expected, read[1])
        )
    except Exception as exc:  # a damaged workbook is one problem; the check goes on
        return [f"{rel}: {unreadable(exc)}"]


def _rows_for(prepared: pl.DataFrame, rel: str) -> pl.DataFrame:
    """Only the rows a workbook can show, so each worker is sent a small frame."""
    scope = scopes.Scope.from_path(rel)
    if scope is None:
        return prepared
    try:
        return scopes.rows(prepared, scope)
    except KeyError:  # a workbook of no organisation in the spine: check_workbook says so
        return prepared.clear()


def check_dir(out_dir: Path, *, workers: int | None = None, progress: bool = False) -> Report:
    """Every check on a run folder: its files against manifest.json, apportionment.csv
    against the Parquet spine, the spine's sums, then each workbook and planning CSV.
    `progress` tells the workbooks checked so far (mhtool.infra.progress), as a run does."""
    out_dir = Path(out_dir)
    spine = read_spine(out_dir)
    problems = check_files(out_dir) + check_spine_csv(out_dir, spine) + check_sums(spine)
    problems += check_places(out_dir, spine)
    from mhtool.outputs.views.place_tables import by_system

    place_rows = spine.filter(pl.col("level") == vocab.PLACE)
    rows, places = spine.height, place_rows.height
    spine = spine.filter(pl.col("level") != vocab.PLACE)  # workbooks show the levels above
    prepared = prepare(spine)
    by_icb = by_system(place_rows, prepared)
    books = sorted(
        p
        for p in out_dir.rglob("*.xlsx")
        if scopes.Scope.from_path(p.relative_to(out_dir).as_posix()) and regular(p)
    )
    meta = read_meta(out_dir)
    found, delivered = deliverycheck.check(out_dir, spine, meta)
    problems += found
    jobs = [
        (
            p,
            p.relative_to(out_dir).as_posix(),
            _rows_for(prepared, p.relative_to(out_dir).as_posix()),
            meta,
            by_icb.get(p.stem) if p.parent.name == scopes.FOLDERS["icb"] else None,
            delivery.for_orgs(delivered, _rows_for(prepared, p.relative_to(out_dir).as_posix())),
        )
        for p in books
    ]
    found = run_jobs(
        check_workbook,
        jobs,
        workers=workers,
        label="Checking workbooks" if progress else None,
        weights=[job[2].height for job in jobs],
    )
    problems += [line for lines in found for line in lines]
    from mhtool.outputs.selector.check import check_selector  # it uses this module's checks

    problems += check_selector(out_dir, prepared, meta, place_rows)
    planning_problems, csvs = check_planning(out_dir, spine, prepared, place_rows)
    problems += planning_problems
    html_pages = reportcheck.pages(out_dir)
    found = run_jobs(
        reportcheck.check_page,
        [
            (p, rel, rows, meta, out_dir, delivery.for_orgs(delivered, rows))
            for p in html_pages
            for rel in [p.relative_to(out_dir).as_posix()]
            for rows in [scopes.rows(prepared, reportcheck.scope_of(rel))]
        ],
        workers=workers,
    )
    problems += [line for lines in found for line in lines]
    if not books and not csvs:
        problems.append(f"{out_dir}: no workbooks or planning CSV files to check")
    return Report(
        problems,
        len(books),
        csvs,
        rows,
        RunFolder(out_dir).holds_run(),
        places,
        len(html_pages),
        RunFolder(out_dir).selector.is_file(),
    )
