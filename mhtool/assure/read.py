"""Read system plan submissions in the NHS operational planning long layout.

A plan file is CSV or xlsx with the columns of `planning/<ICB>.csv` (see
mhtool.outputs.planning.write): `org_code, planning_ref, measure_type, fin_year` are required,
with either monthly columns `Apr … Mar` or a single `value` column (the year's figure);
`icb_code`, `dim_type` and `source` are optional. Headers are matched without regard to
case or spaces; `NA` or a blank cell means no value.

Nothing is dropped silently: a row that cannot be read is returned as an Issue naming the
file, row and field, and the other rows are still read; a file that cannot be read at
all (missing, not CSV or xlsx, password-protected, a required column missing) is one Issue
for the whole file.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from mhtool.outputs.planning.write import TEMPLATE_TYPES
from mhtool.planning.profile import MONTHS
from mhtool.userfiles import NOT_UTF8_CSV, number

REQUIRED = ("org_code", "planning_ref", "measure_type", "fin_year")
OPTIONAL = ("icb_code", "dim_type", "source")
VALUE = "value"
MISSING = {"", "na", "n/a", "-"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and old .xls start so
_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")


@dataclass(frozen=True)
class Issue:
    """Something wrong with (or left out of) a plan file, and what was done about it."""

    file: str
    row: int | None
    field: str
    problem: str
    action: str = "row rejected"


@dataclass
class PlanRow:
    """One row of a plan: 12 months (None = NA) or, from a value column, `value` alone."""

    file: str
    row: int
    org_code: str
    icb_code: str
    planning_ref: str
    measure_type: str
    fin_year: str
    source: str
    months: list[float | None] | None = None
    value: float | None = None
    dim_type: str = ""
    extra: dict = field(default_factory=dict)


def _key(header: object) -> str:
    return re.sub(r"\s+", "_", str(header or "").strip()).lower()


def _month_keys() -> dict[str, str]:
    return {m.lower(): m for m in MONTHS}


def _number(cell: object) -> tuple[float | None, str]:
    """(value, problem): NA or blank is (None, ""); text is read by the project's one
    number rule (mhtool.userfiles.number), and what is not a number says why."""
    if cell is None:
        return None, ""
    if isinstance(cell, bool):
        return None, f"{cell!r} is not a number (or NA)"
    if isinstance(cell, (int, float)):
        return float(cell), "" if math.isfinite(cell) else f"{cell!r} is not a number"
    text = str(cell).strip()
    if text.lower() in MISSING:
        return None, ""
    try:
        return number(text), ""
    except ValueError as exc:
        return None, f"{exc} (or NA)"


def fin_year(text: str) -> str | None:
    """'2023/24' (also from '2023-24' or '2023/2024'), or None."""
    m = _YEAR.match(text.strip())
    if not m:
        return None
    start, end = int(m.group(1)), m.group(2)
    if int(end[-2:]) != (start + 1) % 100:
        return None
    return f"{start}/{(start + 1) % 100:02d}"


def _rows_of(path: Path) -> list[list[object]]:
    """The file's cells: CSV as text, xlsx (first sheet with an org_code header) as values."""
    head = path.read_bytes()[:8]
    if head == _OLE:
        raise ValueError(
            "is password-protected (encrypted) or an old .xls workbook; save it as an "
            "unprotected .xlsx or as CSV"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if path.suffix.lower() != ".csv":
        raise ValueError("is not a .csv or .xlsx file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return [list(r) for r in csv.reader(fh)]
    except UnicodeDecodeError:
        raise ValueError(f"is {NOT_UTF8_CSV}") from None


def _xlsx_rows(path: Path) -> list[list[object]]:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ValueError(f"cannot be opened as an xlsx workbook ({exc})") from None
    try:
        first = None
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            first = rows if first is None else first
            if any("org_code" in {_key(c) for c in r} for r in rows[:10]):
                return rows
        return first or []
    finally:
        wb.close()


def read_plan(path: Path) -> tuple[list[PlanRow], list[Issue]]:
    """Every readable row of one plan file, and an Issue for each thing that is not."""
    name = str(path)
    try:
        rows = _rows_of(Path(path))
    except FileNotFoundError:
        return [], [Issue(name, None, "", "file not found", "file not read")]
    except (OSError, ValueError) as exc:
        return [], [Issue(name, None, "", f"the file {exc}", "file not read")]
    start = next((i for i, r in enumerate(rows[:10]) if "org_code" in {_key(c) for c in r}), None)
    if start is None:
        return [], [Issue(name, 1, "org_code", "no header row with org_code", "file not read")]
    header = [_key(c) for c in rows[start]]
    months = _month_keys()
    month_cols = {months[h]: i for i, h in enumerate(header) if h in months}
    missing = [c for c in REQUIRED if c not in header]
    if not month_cols and VALUE not in header:
        missing.append("Apr..Mar or value")
    if missing:
        return [], [
            Issue(
                name,
                start + 1,
                missing[0],
                f"required column missing: {', '.join(missing)}",
                "file not read",
            )
        ]
    col = {h: i for i, h in enumerate(header) if h}
    out, issues = [], []
    for n, raw in enumerate(rows[start + 1 :], start + 2):
        if all(c is None or str(c).strip() == "" for c in raw):
            continue
        got = _row(name, n, raw, col, month_cols)
        (issues if isinstance(got, Issue) else out).append(got)
    return out, issues


def _text(raw: list, col: dict, key: str) -> str:
    i = col.get(key)
    if i is None or i >= len(raw) or raw[i] is None:
        return ""
    v = raw[i]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _row(name: str, n: int, raw: list, col: dict, month_cols: dict) -> PlanRow | Issue:
    for key in REQUIRED:
        if not _text(raw, col, key):
            return Issue(name, n, key, "empty")
    mtype = _text(raw, col, "measure_type").capitalize()
    if mtype not in TEMPLATE_TYPES:
        return Issue(name, n, "measure_type", f"must be one of {', '.join(TEMPLATE_TYPES)}")
    year = fin_year(_text(raw, col, "fin_year"))
    if year is None:
        return Issue(name, n, "fin_year", "must be a financial year such as 2023/24")
    row = PlanRow(
        file=name,
        row=n,
        org_code=_text(raw, col, "org_code").upper(),
        icb_code=_text(raw, col, "icb_code").upper(),
        planning_ref=_text(raw, col, "planning_ref"),
        measure_type=mtype,
        fin_year=year,
        source=_text(raw, col, "source"),
        dim_type=_text(raw, col, "dim_type"),
    )
    if month_cols:
        values = []
        for m in MONTHS:
            i = month_cols.get(m)
            cell = raw[i] if i is not None and i < len(raw) else None
            v, problem = _number(cell)
            if problem:
                return Issue(name, n, m, problem)
            values.append(v)
        row.months = values
    else:
        i = col[VALUE]
        cell = raw[i] if i < len(raw) else None
        v, problem = _number(cell)
        if problem:
            return Issue(name, n, VALUE, problem)
        row.value = v
    return row


def read_plans(paths: list[Path]) -> tuple[list[PlanRow], list[Issue]]:
    """Every plan file's rows, and every problem found in them, in the order given."""
    rows, issues = [], []
    for p in paths:
        r, i = read_plan(Path(p))
        rows += r
        issues += i
    return rows, issues
