"""Read system plan submissions in the NHS operational planning long layout.

A plan file is CSV or xlsx with the columns of `planning/<ICB>.csv` (see
mhtool.outputs.planning.write), or of NHS England's own plan-monitoring files (`icb_code,
org_code, planning_ref, measure_type, dim_type, fin_year, ref_key, source, Apr … Mar,
full_key`): `org_code, planning_ref, measure_type, fin_year` are required, with either
monthly columns or a single `value` column (the year's figure); `icb_code`, `dim_type`,
`source`, `ref_key` and `full_key` are optional (the keys, where given, must agree with
the row). Headers are matched without regard to case or spaces, month headers in any
common spelling (`Apr`, `April`, `Apr-24`, `April 2024`); `NA` or a blank cell means no
value. The header may sit below a title block (within the first HEADER_WITHIN rows).

Nothing is dropped silently: a row that cannot be read is returned as an Issue naming the
file, row and field, and the other rows are still read; a file that cannot be read at
all (missing, not CSV or xlsx, password-protected, damaged, a required column missing) is
one Issue for the whole file. A CSV line whose quotes do not close is that line's Issue (a
stray `"` never swallows the lines after it); a formula cell without a saved value is
reported, never read as empty; a column that is not read is listed; a workbook padded with
empty rows is streamed, never held whole.

Each row's `source` says what it is (`role`): a plan, an actual (`*actual*`, compared as
delivery) or a `variance` (never a plan). Counts may not be negative (variances may).
Percentages are read on the scale the file uses: if any is above 1 the file holds 0-100,
else proportions; the file's Issues say which, and every percentage is returned on 0-100.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mhtool.errors import InputError
from mhtool.planning.profile import MONTHS
from mhtool.planning.template import TEMPLATE_TYPES
from mhtool.userfiles import lines, number

REQUIRED = ("org_code", "planning_ref", "measure_type", "fin_year")
OPTIONAL = ("icb_code", "dim_type", "source", "ref_key", "full_key")
VALUE = "value"
MISSING = {"", "na", "n/a", "-"}
HEADER_WITHIN = 100  # rows searched for the header (a template's title block sits above)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and old .xls start so
_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_MONTH_NAMES = (
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "january",
    "february",
    "march",
)
# a month name or its start (3 letters at least: Apr, Sept, April), then maybe a year
_MONTH = re.compile(r"^([a-z]{3,9})\.?(?:[\s_\-/']*(\d{2}|\d{4}))?$")
ADDITIVE = ("Count", "Numerator", "Denominator")

PLAN, ACTUAL, VARIANCE = "plan", "actual", "variance"


def role(source: str) -> str:
    """What a row's `source` holds: a variance (never a plan), an actual (delivery, as
    `current_actuals`), else a plan version."""
    s = source.strip().lower()
    if "variance" in s:
        return VARIANCE
    if "actual" in s:
        return ACTUAL
    return PLAN


@dataclass(frozen=True)
class Issue:
    """Something wrong with (or left out of) a plan file, and what was done about it.
    `cause` groups Issues for the summary (a short phrase; the problem when empty)."""

    file: str
    row: int | None
    field: str
    problem: str
    action: str = "row rejected"
    cause: str = ""

    @property
    def why(self) -> str:
        return self.cause or self.problem


@dataclass
class PlanRow:
    """One row of a plan: 12 months (None = NA) or, from a value column, `value` alone.
    A Percentage is held on 0-100 whatever scale the file used."""

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

    @property
    def role(self) -> str:
        return role(self.source)

    def figures(self) -> list[float | None]:
        return list(self.months) if self.months is not None else [self.value]


class _Uncached:
    """An xlsx cell holding a formula whose result was never saved."""

    def __init__(self, formula: str):
        self.formula = formula


class _BadLine:
    """A CSV line that cannot be split into cells (a quote that does not close)."""

    def __init__(self, problem: str):
        self.problem = problem


def _key(header: object) -> str:
    return re.sub(r"\s+", "_", str(header or "").strip()).lower()


def month_of(header: object) -> str | None:
    """The month ('Apr' … 'Mar') a header names in any common spelling, or None."""
    return month_year(header)[0]


def month_year(header: object) -> tuple[str | None, int | None]:
    """(month, calendar year or None) a header names: `Apr`, `April`, `Apr-24`, `April
    2024`, or a date cell (a workbook's `Apr-24` header is often a date)."""
    if isinstance(header, dt.date):
        return MONTHS[(header.month - 4) % 12], header.year
    m = _MONTH.match(str(header or "").strip().lower())
    if not m:
        return None, None
    word, year = m.group(1), m.group(2)
    for i, name in enumerate(_MONTH_NAMES):
        if name.startswith(word) or (word == "sept" and name == "september"):
            return MONTHS[i], None if year is None else int(year) % 100 + 2000
    return None, None


def _number(cell: object) -> tuple[float | None, str]:
    """(value, problem): NA or blank is (None, ""); text is read by the project's one
    number rule (mhtool.userfiles.number), and what is not a number says why."""
    if cell is None:
        return None, ""
    if isinstance(cell, _Uncached):
        return None, (
            f"a formula ({cell.formula}) with no saved result: the tool that saved the "
            "workbook did not calculate it; open and save it in Excel or LibreOffice, or "
            "paste the values"
        )
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


def _blank(cells: list) -> bool:
    return all(c is None or (isinstance(c, str) and c.strip() == "") for c in cells)


def _sheets(path: Path) -> Iterator[Iterator[tuple[int, list]]]:
    """Each sheet's rows as (row number, cells), CSV as one sheet of text; streamed."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == _OLE:
        raise ValueError(
            "is password-protected (encrypted) or an old .xls workbook; save it as an "
            "unprotected .xlsx or as CSV"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_sheets(path)
        return
    if path.suffix.lower() != ".csv":
        raise ValueError("is not a .csv or .xlsx file")
    yield _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[tuple[int, list]]:
    """Each physical line split on its own (strictly), so an unclosed quote is that
    line's problem and never runs on into the lines after it."""
    with open(path, "rb") as fh:
        for n, line in enumerate(lines(fh, str(path)), 1):
            try:
                cells = next(csv.reader([line], strict=True), [])
            except csv.Error as exc:
                yield (
                    n,
                    [
                        _BadLine(
                            f'not a readable CSV row ({exc}): a double quote (") '
                            "that does not close; remove it, or quote the whole cell"
                        )
                    ],
                )
                continue
            yield n, cells


def _has_formulas(path: Path) -> bool:
    """Whether any sheet holds a formula, read as a stream (so a second, formula-reading
    pass over a big workbook is made only when it can find something)."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.startswith("xl/worksheets/"):
                continue
            tail = b""
            with z.open(name) as fh:
                while chunk := fh.read(1 << 20):
                    if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                        return True
                    tail = chunk[-3:]
    return False


def _load(path: Path, data_only: bool):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file: one Issue each
        raise ValueError(_damaged(exc)) from None


def _damaged(exc: Exception) -> str:
    return f"cannot be read as an xlsx workbook ({type(exc).__name__}: {exc})"


def _xlsx_sheets(path: Path) -> Iterator[Iterator[tuple[int, list]]]:
    try:
        formulas = _has_formulas(path)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
        raise ValueError(f"cannot be opened as an xlsx workbook ({exc})") from None
    wb = _load(path, data_only=True)
    fwb = _load(path, data_only=False) if formulas else None
    try:
        for i, ws in enumerate(wb.worksheets):
            yield _xlsx_rows(ws, fwb.worksheets[i] if fwb else None)
    finally:
        wb.close()
        if fwb:
            fwb.close()


def _xlsx_rows(ws, fws) -> Iterator[tuple[int, list]]:
    """A sheet's non-blank rows; openpyxl's errors on a damaged sheet (of many kinds) end
    the file's read as one ValueError, never the batch."""
    try:
        yield from _xlsx_cells(ws, fws)
    except Exception as exc:
        raise ValueError(_damaged(exc)) from None


def _xlsx_cells(ws, fws) -> Iterator[tuple[int, list]]:
    values = ws.iter_rows(values_only=True)
    forms = fws.iter_rows(values_only=True) if fws is not None else None
    for n, row in enumerate(values, 1):
        cells = list(row)
        if forms is not None:
            f = next(forms, ())
            for j, (v, g) in enumerate(zip(cells, f, strict=False)):
                if v is None and isinstance(g, str) and g.startswith("="):
                    cells[j] = _Uncached(g if len(g) <= 40 else g[:37] + "...")
        if not _blank(cells):
            yield n, cells


class _Header:
    """Where each column is, and the columns that are not read."""

    def __init__(self, cells: list):
        self.col: dict[str, int] = {}
        self.months: dict[str, int] = {}
        self.years: dict[str, tuple[int, str]] = {}  # month → (year its header names, header)
        self.ignored: list[str] = []
        self.twice: list[str] = []
        for i, c in enumerate(cells):
            k = _key(c)
            if not k:
                continue
            month, year = month_year(c)
            if year is not None:
                self.years[month] = (year, str(c).strip())
            if k in (*REQUIRED, *OPTIONAL, VALUE):
                self.twice += [k] if k in self.col else []
                self.col[k] = i
            elif month:
                self.twice += [f"{c} ({month})"] if month in self.months else []
                self.months[month] = i
            else:
                self.ignored.append(str(c).strip())


def _find_header(sheet: Iterator[tuple[int, list]]) -> tuple[int, list] | None:
    for k, (n, cells) in enumerate(sheet):
        if k >= HEADER_WITHIN:
            return None
        if "org_code" in {_key(c) for c in cells if not isinstance(c, (_BadLine, _Uncached))}:
            return n, cells
    return None


def read_plan(path: Path) -> tuple[list[PlanRow], list[Issue]]:
    """Every readable row of one plan file, and an Issue for each thing that is not."""
    name = str(path)

    def whole(problem: str, row: int | None = None, fld: str = "") -> tuple[list, list]:
        return [], [Issue(name, row, fld, problem, "file not read")]

    try:
        return _read(Path(path), name)
    except FileNotFoundError:
        return whole("file not found")
    except InputError as exc:  # a byte that is not UTF-8, an endless line
        return whole(exc.message, exc.row)
    except (OSError, ValueError) as exc:
        return whole(f"the file {exc}")


def _read(path: Path, name: str) -> tuple[list[PlanRow], list[Issue]]:
    found = None
    for sheet in _sheets(path):
        found = _find_header(sheet)
        if found:
            break
    if found is None:
        return [], [
            Issue(
                name,
                None,
                "org_code",
                f"no header row with org_code in the first {HEADER_WITHIN} rows of any sheet",
                "file not read",
            )
        ]
    start, cells = found
    head = _Header(cells)
    issues = []
    missing = [c for c in REQUIRED if c not in head.col]
    if not head.months and VALUE not in head.col:
        missing.append("Apr..Mar or value")
    if missing or head.twice:
        problem = (
            f"required column missing: {', '.join(missing)}"
            if missing
            else f"a column named twice: {', '.join(head.twice)}"
        )
        fld = missing[0] if missing else head.twice[0]
        return [], [Issue(name, start, fld, problem, "file not read")]
    if head.months and len(head.months) < 12:
        gone = [m for m in MONTHS if m not in head.months]
        issues.append(
            Issue(
                name,
                start,
                gone[0],
                f"no column for {', '.join(gone)}; those months are read as NA",
                "note",
                "months missing from the header",
            )
        )
    for c in head.ignored:
        issues.append(
            Issue(
                name,
                start,
                c,
                "not a column of the planning layout (nor a month); not read",
                "column not read",
                "column not read",
            )
        )
    out = []
    for n, raw in sheet:
        if raw and isinstance(raw[0], _BadLine):
            issues.append(Issue(name, n, "", raw[0].problem, cause="CSV quoting error"))
            continue
        got = _row(name, n, raw, head)
        (issues if isinstance(got, Issue) else out).append(got)
    out, more = _percent_scale(name, out)
    return out, issues + more


def _text(raw: list, col: dict, key: str) -> str:
    i = col.get(key)
    if i is None or i >= len(raw) or raw[i] is None:
        return ""
    v = raw[i]
    if isinstance(v, _Uncached):
        return v.formula
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _row(name: str, n: int, raw: list, head: _Header) -> PlanRow | Issue:
    col = head.col
    for key in REQUIRED:
        if not _text(raw, col, key):
            return Issue(name, n, key, "empty", cause="required cell empty")
    given = _text(raw, col, "measure_type")
    mtype = given.capitalize()
    source = _text(raw, col, "source")
    if mtype not in TEMPLATE_TYPES:
        return Issue(
            name,
            n,
            "measure_type",
            f"{given!r} is not one of {', '.join(TEMPLATE_TYPES)}",
            "not compared",
            "measure type outside the template",
        )
    year = fin_year(_text(raw, col, "fin_year"))
    if year is None:
        return Issue(
            name, n, "fin_year", "must be a financial year such as 2023/24", cause="bad fin_year"
        )
    row = PlanRow(
        file=name,
        row=n,
        org_code=_text(raw, col, "org_code").upper(),
        icb_code=_text(raw, col, "icb_code").upper(),
        planning_ref=_text(raw, col, "planning_ref"),
        measure_type=mtype,
        fin_year=year,
        source=source,
        dim_type=_text(raw, col, "dim_type"),
    )
    keys = _keys(name, n, raw, col, row) or _header_years(name, n, head, year)
    if keys:
        return keys
    cells = [(m, head.months.get(m)) for m in MONTHS] if head.months else [(VALUE, col[VALUE])]
    values = []
    for label, i in cells:
        cell = raw[i] if i is not None and i < len(raw) else None
        v, problem = _number(cell)
        if problem:
            cause = (
                "formula without a saved value" if isinstance(cell, _Uncached) else "not a number"
            )
            return Issue(name, n, label, problem, cause=cause)
        if v is not None and v < 0 and mtype in ADDITIVE and row.role != VARIANCE:
            return Issue(
                name,
                n,
                label,
                f"{format(v, 'g')} is negative: a {mtype} counts people or events",
                cause="negative count",
            )
        values.append(v)
    if head.months:
        row.months = values
    else:
        row.value = values[0]
    return row


def _header_years(name: str, n: int, head: _Header, year: str) -> Issue | None:
    """Month headers that carry a year (`Apr-24` … `Mar-25`) must be the row's financial
    year, or its months would be read as another year's."""
    start = int(year[:4])
    for month, (got, text) in head.years.items():
        want = start + (1 if month in ("Jan", "Feb", "Mar") else 0)
        if got != want:
            return Issue(
                name,
                n,
                "fin_year",
                f"the month column {text!r} is {month} {got}, which is not in {year}",
                cause="month headers of another year",
            )
    return None


def _keys(name: str, n: int, raw: list, col: dict, row: PlanRow) -> Issue | None:
    """NHS England's files repeat a row's key: `ref_key` = planning_ref + measure_type,
    `full_key` = ref_key + org_code. Where given they must agree, or the row is not what
    its key says."""
    ref_key = row.planning_ref + row.measure_type
    for key, want in (("ref_key", ref_key), ("full_key", ref_key + row.org_code)):
        got = _text(raw, col, key)
        if got and got.upper() != want.upper():
            return Issue(
                name,
                n,
                key,
                f"{got!r} does not match the row ({want!r} from planning_ref, "
                "measure_type and org_code)",
                cause="key does not match the row",
            )
    return None


def _percent_scale(name: str, rows: list[PlanRow]) -> tuple[list[PlanRow], list[Issue]]:
    """Percentages on 0-100: the file's scale is 0-100 if any plan or actual percentage is
    above 1, else proportions (multiplied by 100); a negative one is refused (some are
    rightly above 100: activity against a baseline)."""
    pct = [r for r in rows if r.measure_type == "Percentage" and r.role != VARIANCE]
    values = [v for r in pct for v in r.figures() if v is not None]
    if not values:
        return rows, []
    top = max(abs(v) for v in values)
    hundred = top > 1
    scale = (
        f"percentages read on the 0-100 scale (the largest is {top:g})"
        if hundred
        else f"percentages read as proportions (0-1: none is above 1, the largest is {top:g}) "
        "and shown on 0-100"
    )
    issues = [Issue(name, None, "measure_type", scale, "note", "percentage scale")]
    keep, ids = [], {id(r) for r in pct}
    for r in rows:
        if id(r) not in ids:
            keep.append(r)
            continue
        bad = [v for v in r.figures() if v is not None and v < 0]
        if bad:
            issues.append(
                Issue(
                    name,
                    r.row,
                    "measure_type",
                    f"a Percentage of {bad[0]:g} is negative",
                    cause="negative percentage",
                )
            )
            continue
        if not hundred:
            if r.months is not None:
                r.months = [None if v is None else v * 100 for v in r.months]
            elif r.value is not None:
                r.value *= 100
        keep.append(r)
    return keep, issues


def read_plans(paths: list[Path]) -> tuple[list[PlanRow], list[Issue]]:
    """Every plan file's rows, and every problem found in them, in the order given; a
    file that cannot be read is its Issue, and the others are still read."""
    rows, issues = [], []
    for p in paths:
        r, i = read_plan(Path(p))
        rows += r
        issues += i
    return rows, issues
