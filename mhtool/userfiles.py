"""Files a planner hands the tool: one reader for TOML text (catalogues, refresh configs)
and, for CSV (--values, a `csv` basis's weights), one streaming reader and one rule for
numbers, so every such file is refused the same way, and early.

These files come out of spreadsheets, so the reader is strict where a spreadsheet is loose,
and it says where: every error names the file, the row (the file's line number; the header
is row 1) and the column. The file is read one line at a time and the first problem stops
the read, so a 20 MB file with a duplicate on row 3 is refused at row 3, never read whole.

Shape rule: one header row naming each column once; blank lines are skipped; a row with
more cells than the header is refused unless the extra cells are empty (spreadsheets add
trailing commas); a missing cell is blank.

Number rule (docs/inputs.md, "Numbers in your files"): digits with an optional decimal point and
exponent (`1234`, `1234.5`, `.25`, `1e6`); commas only as thousands separators between
groups of exactly three digits (`12,345`, `1,234,567.5`). Anything else is refused rather
than guessed: `1,5` (a decimal comma, or a slip for 15?), `1.234.567`, `12 345`, `£5`,
`5%`, `nan`, `inf`, or a figure too large to hold.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from mhtool.errors import InputError

MAX_LINE = 1 << 20  # one row of these files is a few dozen characters; 1 MiB is not a row

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def number(text: str) -> float:
    """The number in a cell under the rule above; ValueError says why it is not one."""
    t = text.strip()
    if _GROUPED.fullmatch(t):
        t = t.replace(",", "")
    elif "," in t:
        raise ValueError(
            f"{text!r} is not a number: a comma is read only as a thousands separator "
            "(12,345); write decimals with a point (1.5)"
        )
    if not _PLAIN.fullmatch(t):
        raise ValueError(f"{text!r} is not a number")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large to be a figure")
    return value


NOT_UTF8 = "not UTF-8 text: save the file with UTF-8 encoding"
NOT_UTF8_CSV = NOT_UTF8 + " (in Excel: Save As, CSV UTF-8 (Comma delimited))"


def read_text(path: Path) -> str:
    """The whole file as UTF-8 text, or an InputError naming the file and the row of the
    first byte that is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise InputError(NOT_UTF8, file=str(path), row=row) from None


def read_toml(path: Path) -> dict:
    """A TOML file (catalogue, refresh settings, planning rules) as tables, or an
    InputError naming the file: not UTF-8, not TOML, or nested too deeply to parse (a
    file nested thousands of levels exhausts the parser's stack; no settings file is)."""
    text = read_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
    except RecursionError:
        raise InputError(TOO_DEEP, file=str(path)) from None


def parse_json(text: str, file) -> object:
    """JSON text (a manifest, a lock record) parsed, or an InputError naming the file:
    not JSON, or nested too deeply to parse."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(TOO_DEEP, file=str(file)) from None
    except ValueError as exc:
        raise InputError(f"not valid JSON: {exc}", file=str(file)) from None


TOO_DEEP = "nested too deeply to be read (thousands of levels): not a file mhtool reads"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def control_problem(text: str) -> str | None:
    """Why `text` is not one line of printable text, or None."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    name = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return"}.get(
        m.group(), f"control character U+{ord(m.group()):04X}"
    )
    return f"holds {name}: write it as one line of plain text"


def lines(fh, file: str) -> Iterator[str]:
    """Decoded lines of a file opened in binary, a bad byte or an endless line refused
    with its row (InputError)."""
    decode = codecs.getincrementaldecoder("utf-8-sig")()
    n = 0
    while True:
        raw = fh.readline(MAX_LINE)
        if not raw:
            return
        n += 1
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            raise InputError(
                f"a row longer than {MAX_LINE:,} bytes: not a CSV of figures", file=file, row=n
            )
        try:
            yield decode.decode(raw)
        except UnicodeDecodeError:
            raise InputError(NOT_UTF8_CSV, file=file, row=n) from None


def rows(
    path: Path, required: list[str], optional: list[str] = (), *, others: bool = False
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: stripped text}) for each data row of the CSV at `path`. The
    header is checked at once: it names `required` (and maybe `optional`) columns, each
    once; any other column is refused unless `others`. Rows are read as they are asked for."""
    file = str(path)
    try:
        fh = open(path, "rb")  # closed by _body, or here if the header is refused
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=file) from None
    try:
        reader = csv.reader(lines(fh, file))
        header = _read(reader, file)
        if not header or not any(h.strip() for h in header):
            raise InputError(
                f"is empty: the first row must name the columns {','.join(required)}",
                file=file,
                row=1,
            )
        names = _header(header, required, optional, others, file)
    except BaseException:
        fh.close()
        raise
    return _body(fh, reader, names, file)


def _read(reader, file: str) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as exc:
        raise InputError(f"not a readable CSV row: {exc}", file=file, row=reader.line_num) from None


def _body(fh, reader, names: list[str], file: str) -> Iterator[tuple[int, dict[str, str]]]:
    with fh:
        while (cells := _read(reader, file)) is not None:
            n = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if any(c.strip() for c in cells[len(names) :]):
                raise InputError(
                    f"{len(cells)} cells where the header has {len(names)} columns "
                    f"({', '.join(names)}); remove the extra cells",
                    file=file,
                    row=n,
                )
            for i, c in enumerate(cells[: len(names)]):
                problem = control_problem(c.strip())
                if problem:
                    raise InputError(problem, file=file, row=n, field=names[i])
            yield (
                n,
                {
                    name: (cells[i].strip() if i < len(cells) else "")
                    for i, name in enumerate(names)
                },
            )


def _header(header: list[str], required, optional, others: bool, file: str) -> list[str]:
    names = [h.strip() for h in header]
    while names and not names[-1]:  # trailing empty header cells from a spreadsheet
        names.pop()
    allowed = [*required, *optional]
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(
                "this column name appears twice in the header", file=file, row=1, field=name
            )
        seen.add(name)
        if name not in allowed and not (others and name):
            hint = "; separate columns with commas, not semicolons" if ";" in name else ""
            raise InputError(
                f"unknown column in the header; allowed: {', '.join(allowed)}{hint}",
                file=file,
                row=1,
                field=name or "(blank)",
            )
    missing = [c for c in required if c not in seen]
    if missing:
        raise InputError(
            f"needs columns {','.join(required)}"
            f"{'[,' + ','.join(optional) + ']' if optional else ''}; missing {', '.join(missing)}",
            file=file,
            row=1,
        )
    return names
