"""Write one workbook: Cover, Contents, the table sheets (Summary first), Charts, Notes, Data.

Follows the Analysis Function guidance on releasing statistics in spreadsheets: a title
in A1 and a description in A2 on every sheet, one Excel table per sheet from A3, no merged
cells, no blank rows or columns in a table, numbers as numbers, the document title set
and the first sheet active. Input text is always written with write_string (never as a
formula or URL), and the created date comes from the data date, so identical inputs give
byte-identical files.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from itertools import product, repeat
from pathlib import Path

import polars as pl
import xlsxwriter

from mhtool.fields import ROW_FORMAT
from mhtool.outputs.views import notes as note_text
from mhtool.outputs.views.layout import (
    DESCRIPTION_ROW,
    FONT_PT,
    HEADER_ROW,
    MARGIN,
    NUMBER_FORMATS,
    READABLE,
    SHEETS,
    TABLES,
    TITLE_ROW,
    UNPRINTED,
    column_px,
    printable_px,
    table_tops,
)
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.tables import Table
from mhtool.outputs.workbook.fastsheet import FastSheet

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": True,
}
TABLE_STYLE = "Table Style Light 9"
SHEET_CLASS = FastSheet  # XlsxWriter's Worksheet writes the same bytes, slower


@dataclass
class Chart:
    """A rendered chart: PNG bytes, its alt text, and the file it was also saved as."""

    png: bytes
    alt: str
    file: str  # where the PNG was also written, relative to the run folder


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    """An empty workbook at `path` with our options, whose sheets take a column of cells
    at once (write_table needs that)."""
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    wb.worksheet_class = SHEET_CLASS
    return wb


class Formats:
    """The cell formats of one workbook, made once (XlsxWriter formats belong to a workbook)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        # Text right after a right-aligned figure, indented so the two do not run together
        # ('2,167women per year').
        self.wrap_after_figure = wb.add_format(
            {"text_wrap": True, "valign": "top", "align": "left", "indent": 1}
        )
        self.header = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        # A figure column's header sits over its right-aligned figures.
        self.header_figure = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "align": "right"}
        )
        self.header_after_figure = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "align": "left", "indent": 1}
        )
        self.link = wb.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"})
        self.numbers = {
            k: wb.add_format({"num_format": v, "valign": "top"}) for k, v in NUMBER_FORMATS.items()
        }
        self.right = wb.add_format({"align": "right", "valign": "top"})
        self.top = wb.add_format({"valign": "top"})


def _heading(ws, title: str, description: str, f: Formats) -> None:
    ws.write_string(TITLE_ROW, 0, title, f.title)
    ws.write_string(DESCRIPTION_ROW, 0, description)


WIDE_TEXT = 46  # characters: a title or sentence column, wrapped
NARROW_TEXT = 24  # any other text column, wrapped
NUMBER_WIDTH = 12


def _widths(table: Table) -> list[float]:
    """Column widths in characters: text wraps within a capped width (titles and
    sentences wider), numbers fit a figure; headers wrap over two or three lines."""
    out = []
    for col in table.columns:
        if col.width:
            width = col.width - 2
        elif col.fmt == "text":
            longest = table.frame.get_column(col.key).cast(pl.String).str.len_chars().max()
            longest = max(int(longest or 0), len(col.placeholder))
            cap = WIDE_TEXT if longest > 60 else NARROW_TEXT
            width = max(min(longest, cap), min(len(col.header), 14), 6)
        else:
            width = max(NUMBER_WIDTH, min(len(col.header) // 2 + 1, 18))
        out.append(width + 2)
    return out


# How wide characters are, in widths of a digit (the unit of column widths), in the
# widest font a reader's program may show the workbook in: DejaVu Sans, LibreOffice's
# stand-in for Calibri where Calibri is not installed (Calibri's own letters are narrower).
# Each is rounded up (tests/unit/test_workbook_print.py measures them); a character not
# listed is a digit wide.
_CHAR_WIDTHS = {
    **dict.fromkeys(" ',./:;ijlIJ|\\\u2019", 0.55),
    **dict.fromkeys('!()-[]frt"', 0.75),
    **dict.fromkeys("*?_`sz\u2013", 0.85),
    **dict.fromkeys("FLPckvxy", 0.95),
    **dict.fromkeys("ABCKRVXZ", 1.1),
    **dict.fromkeys("&DGHNOQU", 1.25),
    **dict.fromkeys("#+<=>^w~M", 1.36),
    **dict.fromkeys("%m@W\u2026\u2014", 1.6),
}
BOLD = 1.1  # bold letters are about a tenth wider
INDENT = 2  # digits an indented cell's text gives up (Formats.wrap_after_figure)


@lru_cache(maxsize=1 << 16)  # the same words and figures recur across a run's sheets
def text_width(text: str) -> float:
    """How wide `text` is in widths of a digit (_CHAR_WIDTHS)."""
    return sum(map(_CHAR_WIDTHS.get, text, repeat(1.0)))  # left to right, as a loop adds


@lru_cache(maxsize=1 << 16)  # the same cells recur across a run's workbooks
def _wrapped_lines(text: str, room: float) -> int:
    """Lines `text` takes in a column holding `room` digits a line, wrapped at word
    breaks as spreadsheet programs wrap it (a character count alone under-counts: a word
    that does not fit moves whole to the next line, and LibreOffice cuts off what the row
    height leaves out)."""
    room = max(1.0, room)
    space = _CHAR_WIDTHS[" "]
    lines = 0
    for part in text.split("\n"):
        lines += 1
        used = 0.0
        for word in part.split():
            size = text_width(word)
            if used and used + space + size > room:
                lines += 1
                used = size
            else:
                used += (space if used else 0.0) + size
            while used > room:  # a word longer than the column breaks within itself
                lines += 1
                used -= room
    return max(1, lines)


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped text cell takes in a column `width` digits wide (its own line
    breaks kept; the column's width less a margin: see write_table); the row heights of
    the workbooks and selector.xlsx are set from it."""
    return _wrapped_lines(text, width)


def header_lines(text: str, width: float) -> int:
    """Lines a bold header takes: 'Share of England, 2023/24' needs three lines in a
    number column."""
    return _wrapped_lines(text, width / BOLD)


def _after_figure(table: Table, c: int) -> bool:
    """A text column right after a figure column: indented, so the two do not touch."""
    return table.columns[c].fmt == "text" and c > 0 and table.columns[c - 1].fmt != "text"


def _texts(frame: pl.DataFrame, c: int, table: Table) -> list[str]:
    """Column `c`'s cells of `frame` as a text column writes them (its placeholder for none)."""
    missing = table.columns[c].placeholder
    key = table.columns[c].key
    return [missing if v is None or v == "" else str(v) for v in frame.get_column(key).to_list()]


def _room(table: Table, c: int, width: float) -> float:
    """The digits a line of text column `c` holds at `width`: less a margin, and the indent
    after a figure column."""
    return width - 1 - (INDENT if _after_figure(table, c) else 0)


def _header_format(table: Table, c: int, f: Formats):
    """Figure headers right-aligned over their figures; text headers left, indented after a
    figure column as the column's text is."""
    if table.columns[c].fmt != "text":
        return f.header_figure
    return f.header_after_figure if _after_figure(table, c) else f.header


def write_table(
    ws,
    table: Table,
    f: Formats,
    freeze: bool = True,
    top: int = TITLE_ROW,
    widths=None,
    alone: bool | None = None,
    pad: int = 2,
) -> int:
    """Write a Table as an Excel table with its title at row `top` (A1: the sheet's own),
    its description below and its header row below that (A3 for the sheet's first table),
    column by column (the fast path through XlsxWriter), text wrapped with row heights to
    match; the first table's header row is repeated on printed pages, and its print_area
    (rows and columns) is the sheet's default print area. Returns the number of cells
    written. A column's fmt 'row' takes each row's number format from the frame's
    `_fmt` column, 'row:<column>' from that column. `freeze` keeps the header in view
    (long lists such as changes.xlsx); the run's own sheets are narrow and short enough
    not to need it. `widths`: the sheet's column widths when it stacks several tables
    (default: this table's own, see _widths); `alone`: the sheet holds this table only
    (default: when no widths are given); `pad`: points a wrapped row gets beyond its
    lines (the Plan page, whose rows are measured whole, gives none)."""
    first_table = top == TITLE_ROW
    alone = widths is None if alone is None else alone
    if first_table:
        _heading(ws, table.title, table.description, f)
    else:
        ws.write_string(top, 0, table.title, f.heading)
        ws.write_string(top + 1, 0, table.description)
    head = top + HEADER_ROW - TITLE_ROW
    frame, first = table.frame, head + 1
    widths = widths or _widths(table)
    lines = [1] * frame.height
    for c, col in enumerate(table.columns):
        missing = col.placeholder
        if col.fmt == "text":
            fmt = f.wrap_after_figure if _after_figure(table, c) else f.wrap
            texts = _texts(frame, c, table)
            ws.write_cells(first, c, texts, [fmt] * len(texts), (missing, f.right))
            room = _room(table, c, widths[c])
            fitted = {t: text_lines(t, room) for t in set(texts)}
            lines = [max(n, fitted[t]) for n, t in zip(lines, texts, strict=True)]
            continue
        values = frame.get_column(col.key).to_list()
        if col.fmt == "row" or col.fmt.startswith("row:"):
            key = col.fmt.partition(":")[2] or ROW_FORMAT
            fmts = [f.numbers[k] for k in frame.get_column(key).to_list()]
        else:
            fmts = [f.numbers[col.fmt]] * len(values)
        ws.write_cells(first, c, values, fmts, (missing, f.right))
    for c, width in enumerate(widths):
        ws.set_column(c, c, width)
    head_lines = max(
        header_lines(col.header, w - 2) for col, w in zip(table.columns, widths, strict=True)
    )
    ws.set_row(head, max(15, LINE_HEIGHT * head_lines + 2))
    for r, n in enumerate(lines, first):
        if n > 1:
            ws.set_row(r, row_height(n, pad))
    ws.add_table(
        head,
        0,
        head + max(frame.height, 1),
        len(table.columns) - 1,
        {
            "name": table.name or TABLES[table.sheet],
            "style": TABLE_STYLE,
            "autofilter": False,
            "columns": [
                {"header": col.header, "header_format": _header_format(table, c, f)}
                for c, col in enumerate(table.columns)
            ],
        },
    )
    if first_table and alone:  # a sheet of one table (see write_tables)
        ws.repeat_rows(HEADER_ROW)
    if first_table and table.print_area is not None:  # the rows and columns that print
        ws.print_area(TITLE_ROW, 0, *table.print_range())
    if first_table and freeze:
        ws.freeze_panes(HEADER_ROW + 1, 0)
    return frame.height * len(table.columns) + len(table.columns) + 2


# A readable sheet's printed text (layout.READABLE): at least 9 pt; more costs pages (rows
# wrap over more lines as the text columns narrow: a system's Summary printed at 9.9 pt
# took 3 pages, at 9.2 pt 2).
TARGET_PT = 9.2


def _shown(value: float, fmt: str) -> str:
    """A figure about as its number format shows it (layout.NUMBER_FORMATS), to size its
    column."""
    if fmt == "share":
        return f"{value * 100:,.3f}%"
    decimals = {"wte": 1, "percent": 1, "rate": 3}.get(fmt, 0)
    return ("£" if fmt == "money" else "") + f"{value:,.{decimals}f}"


HEADER_WORD = 9.0


def _figure_width(table: Table, c: int) -> float:
    """The width a figure column needs: its widest figure, and its header's longest word
    (headers wrap at word breaks) up to HEADER_WORD digits (a longer word breaks within
    itself: a places table's headers are ask titles), with a margin."""
    col = table.columns[c]
    values = table.frame.get_column(col.key).to_list()
    if col.fmt == "row" or col.fmt.startswith("row:"):
        fmts = table.frame.get_column(col.fmt.partition(":")[2] or ROW_FORMAT).to_list()
    else:
        fmts = [col.fmt] * len(values)
    # a format's widest figure is its largest or its most negative: digits (all as wide),
    # separators and a sign only widen a figure as it grows away from zero
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    for v, k in zip(values, fmts, strict=True):
        if v is not None:
            lo[k] = v if k not in lo or v < lo[k] else lo[k]
            hi[k] = v if k not in hi or v > hi[k] else hi[k]
    shown = [_shown(v, k) for k in lo for v in (lo[k], hi[k])]
    words = col.header.split() or [""]
    return (
        max(
            [6.0, text_width(col.placeholder)]
            + [text_width(s) for s in shown]
            + [min(HEADER_WORD, max(text_width(w) for w in words)) * BOLD]
        )
        + 2
    )


@lru_cache(maxsize=1 << 14)  # the same texts recur across a run's sheets
def _word_width(text: str) -> float:
    return max((text_width(w) for w in text.split()), default=0.0)


def readable_room() -> float:
    """The pixels of columns a page's width holds at TARGET_PT."""
    return printable_px() * FONT_PT / TARGET_PT


def readable_widths(table: Table, widths: list[float], room: float | None = None) -> list[float]:
    """Column widths with which the sheet prints one page wide at TARGET_PT or more (its
    columns at most `room` pixels: readable_room):
    figure columns as wide as their figures need; the room left shared among the text
    columns in proportion to how much text each holds (a row is as tall as its most
    wrapped cell, so each column then wraps its text over about as many lines), none
    wider than it was nor narrower than its header's longest word; write_table then
    gives the rows the lines their text takes. A table with a print_area has only its
    printed columns fitted, by the text of its printed rows; the columns past them are
    on screen only (_on_screen)."""
    if table.print_area is None:
        return _fitted(table, widths, room, table.frame)
    rows, shown = table.print_area
    printed = replace(table, columns=table.columns[:shown], print_area=None)
    fitted = _fitted(printed, widths[:shown], room, table.frame.head(rows), refine=True)
    return fitted + _on_screen(table, fitted, widths)


def _fitted(
    table: Table, widths: list[float], room: float | None, read: pl.DataFrame, refine=False
) -> list[float]:
    """readable_widths, the text columns shared by the text of the rows `read` (figure
    columns fit every row's figures); `refine`: then _fewest_lines."""
    text = [c for c, col in enumerate(table.columns) if col.fmt == "text"]
    out = [w if c in text else _figure_width(table, c) for c, w in enumerate(widths)]
    room = readable_room() if room is None else room
    if sum(column_px(w) for w in widths) <= room or not text:
        return widths
    need, floor = {}, {}
    for c in text:
        col = table.columns[c]
        values = read.get_column(col.key).cast(pl.String).fill_null(col.placeholder)
        unique = values.value_counts()
        sizes = [text_width(v) * n for v, n in unique.iter_rows()]
        need[c] = sum(sizes) / max(1, read.height) + 1
        longest = max([_word_width(v) for v in unique.get_column(col.key).to_list()] + [0])
        floor[c] = min(
            widths[c], max(6.0, _word_width(col.header) * BOLD + 2, min(longest, 12) + 2)
        )
    lo, hi = 0.0, 1.0
    for _ in range(30):  # the largest share of each column's text that fits the room
        k = (lo + hi) / 2
        trial = [
            min(widths[c], max(floor[c], need[c] * k)) if c in need else w
            for c, w in enumerate(out)
        ]
        lo, hi = (k, hi) if sum(column_px(w) for w in trial) <= room else (lo, k)
    out = [
        round(min(widths[c], max(floor[c], need[c] * lo)), 1) if c in need else w
        for c, w in enumerate(out)
    ]
    return _fewest_lines(table, out, read, floor, widths) if refine else out


STEP = 2  # digits moved at a time (one at a time seldom takes a line off a long cell)


def _fewest_lines(table: Table, out: list[float], read: pl.DataFrame, floor: dict, cap) -> list:
    """The text columns' widths `out` moved STEP digits at a time from one to another (each
    within its `floor` and `cap`) while the rows of `read` take fewer lines in all: a row
    is as tall as its most wrapped cell, so a column whose long cells stand out on a few
    rows (a long unit) gets more room than its average text would give it."""
    # whole digits, so the same ask's cells in every workbook are wrapped at the same widths
    # (text_lines caches them)
    out = [max(floor[c], math.floor(w)) if c in floor else w for c, w in enumerate(out)]
    cells = {c: _texts(read, c, table) for c in floor}

    @cache  # a width is tried again after every move
    def lines(c: int, width: float) -> list[int]:
        room = _room(table, c, width)
        return [text_lines(t, room) for t in cells[c]]

    now = {c: lines(c, out[c]) for c in floor}
    best = sum(map(max, zip(*now.values(), strict=True)))
    moved = True
    while moved:
        moved = False
        for a in floor:
            for b in floor:
                if a == b or out[a] - STEP < floor[a] or out[b] + STEP > cap[b]:
                    continue
                trial = now | {a: lines(a, out[a] - STEP), b: lines(b, out[b] + STEP)}
                total = sum(map(max, zip(*trial.values(), strict=True)))
                if total < best:
                    best, now, moved = total, trial, True
                    out[a], out[b] = round(out[a] - STEP, 1), round(out[b] + STEP, 1)
    return out


SCREEN_WIDTH = 100  # characters at most: a text column that is not printed, on screen


def _on_screen(table: Table, fitted: list[float], widths: list[float]) -> list[float]:
    """The widths of the columns past a table's print_area: a text column widened (up to
    SCREEN_WIDTH) until no printed row is taller for it than its printed cells make it
    (`fitted`: the printed columns' widths), so the printed rows are as tall as their
    printed text; any other as it was."""
    rows, shown = table.print_area
    head = table.frame.head(rows)
    tall = [1] * head.height
    for c in range(shown):
        if table.columns[c].fmt == "text":
            room = _room(table, c, fitted[c])
            tall = [
                max(n, text_lines(t, room))
                for n, t in zip(tall, _texts(head, c, table), strict=True)
            ]
    out = []
    for c in range(shown, len(widths)):
        width = widths[c]
        if table.columns[c].fmt == "text":
            texts = _texts(head, c, table)
            while width < SCREEN_WIDTH and any(
                text_lines(t, _room(table, c, width)) > n for t, n in zip(texts, tall, strict=True)
            ):
                width = min(SCREEN_WIDTH, width + 2)
        out.append(width)
    return out


PLAN_MARGIN = 0.25  # inches above and below the Plan page: one page needs every line
PLAN_PT = 9.1  # the Plan page's printed size: Excel fits a page by whole percents (82% of 11)
WIDTH_STEP = 4  # digits between the column widths shortest_widths tries


class _Lines:
    """Lines each column's header and cells take at a width, each width measured once (the
    width search below tries hundreds of combinations of a few widths per column)."""

    def __init__(self, table: Table):
        self.table = table
        self.cells = [_texts(table.frame, c, table) for c in range(len(table.columns))]
        self.known: dict[tuple[int, float], tuple[int, list[int]]] = {}

    def at(self, c: int, width: float) -> tuple[int, list[int]]:
        got = self.known.get((c, width))
        if got is None:
            head = header_lines(self.table.columns[c].header, width - 2)
            room = _room(self.table, c, width)
            got = self.known[c, width] = (head, [text_lines(t, room) for t in self.cells[c]])
        return got

    def height(self, widths: list[float]) -> int:
        """Points the header and rows take with these widths (write_table's heights)."""
        cols = [self.at(c, w) for c, w in enumerate(widths)]
        total = max(15, LINE_HEIGHT * max(head for head, _ in cols) + 2)
        for n in map(max, *(lines for _, lines in cols)) if len(cols) > 1 else cols[0][1]:
            total += LINE_HEIGHT * n if n > 1 else 15
        return total


def rows_height(table: Table, widths: list[float]) -> int:
    """Points a table's header and rows take with these widths (write_table's heights)."""
    return _Lines(table).height(widths)


def shortest_widths(table: Table, pt: float = PLAN_PT) -> list[float]:
    """The widths of an all-text table that print it shortest one page wide at `pt`: the
    first column as the table sets it or up to 12 digits wider, the middle ones tried
    WIDTH_STEP digits apart, the last the rest of the page (the Plan page: one A4 page for
    every organisation of the shipped round, tests/e2e). Deterministic: the first
    shortest in the order tried."""
    room = printable_px() * FONT_PT / pt
    first = table.columns[0].width
    middle = len(table.columns) - 2
    lines = _Lines(table)
    best: tuple[int, list[float]] | None = None
    for trial in product(
        range(first, first + 13, WIDTH_STEP), *[range(32, 84, WIDTH_STEP)] * middle
    ):
        used = sum(column_px(w) for w in trial)
        last = int((room - used - 5) / 7)
        if last < 32:
            continue
        widths = [*trial, last]
        height = lines.height(widths)
        if best is None or height < best[0]:
            best = (height, widths)
    return best[1] if best else _widths(table)


def write_tables(
    ws, stacked: list[Table], f: Formats, freeze: bool = True, readable: bool = False
) -> int:
    """A sheet's tables, one below another (layout.table_tops), their columns as wide as
    the widest of them needs; a single table is written exactly as write_table writes it.
    Each later table starts a printed page of its own, and no header row is repeated on
    printed pages (one repeated header would stand over the other table's columns).
    `readable`: columns narrowed to print at a size people read (readable_widths)."""
    if len(stacked) == 1:
        if not readable:
            return write_table(ws, stacked[0], f, freeze)
        widths = readable_widths(stacked[0], _widths(stacked[0]))
        return write_table(ws, stacked[0], f, freeze, widths=widths, alone=True)
    natural = [_widths(t) for t in stacked]
    fits = readable_room()
    room, each = fits, natural
    while True:  # readable: each table narrower until the widest of each column fits
        if readable:
            each = [readable_widths(t, w, room) for t, w in zip(stacked, natural, strict=True)]
        widths = [max(w[c] for w in each if c < len(w)) for c in range(max(map(len, each)))]
        printed = widths[: (stacked[0].print_area or (0, len(widths)))[1]]
        if not readable or sum(map(column_px, printed)) <= fits or room < 100:
            break
        room *= 0.95
    tops = table_tops([t.frame.height for t in stacked])
    ws.set_h_pagebreaks(tops[1:])
    return sum(
        write_table(ws, t, f, freeze, top, widths[: len(t.columns)])
        for t, top in zip(stacked, tops, strict=True)
    )


def print_setup(ws) -> None:
    """A4 landscape, one page wide, narrow margins and no header or footer (the Analysis
    Function guidance: a sheet's title is in A1): every sheet prints as a tidy annex."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=MARGIN, right=MARGIN, top=MARGIN, bottom=MARGIN)


def print_heading_only(ws, columns: int) -> None:
    """Limit a sheet's default print area to its title, description and header row."""
    ws.print_area(TITLE_ROW, 0, HEADER_ROW, columns - 1)


LINE_HEIGHT = 15  # points per wrapped line of 11pt text, as one line (LibreOffice cuts 14)
# Column widths (characters) for prose: the Cover's wide enough that it prints on one page
# at full size, its lines still short enough to read.
COVER_WIDTH, TEXT_WIDTH = 125, 100


def row_height(lines: int, pad: int = 2) -> float | None:
    """The height (points) of a row whose tallest cell wraps over `lines` lines, `pad`
    points beyond them; None for one line (the default height)."""
    return LINE_HEIGHT * lines + pad if lines > 1 else None


def wrapped(ws, row: int, col: int, text: str, width: int, fmt) -> None:
    """Wrapped text with a row height to match its lines (text_lines, at word breaks, as
    write_table sizes rows): not every spreadsheet program grows a row to fit wrapped text
    on opening (LibreOffice does not), so long notes would be cut off."""
    ws.write_string(row, col, text, fmt)
    height = row_height(text_lines(text, width - 1))
    if height:
        ws.set_row(row, height)


def _cover(ws, title: str, meta: WorkbookMeta, f: Formats, org: str) -> int:
    ws.set_column(0, 0, COVER_WIDTH)
    ws.write_string(TITLE_ROW, 0, title, f.title)
    ws.write_string(
        DESCRIPTION_ROW,
        0,
        "Fair shares of the national mental health ambitions "
        "for NHS regions, integrated care boards (ICBs) and sub-ICB locations.",
    )
    r = DESCRIPTION_ROW + 1
    for heading, text in note_text.cover(title, meta, org):
        ws.write_string(r, 0, heading, f.heading)
        wrapped(ws, r + 1, 0, text, COVER_WIDTH, f.wrap)
        r += 2
    return r


def simple_table(  # noqa: PLR0913 (the run's and changes.xlsx's prose tables differ)
    ws,
    sheet: str,
    title: str,
    description: str,
    headers: list[str],
    rows: list[list[str]],
    f: Formats,
    *,
    links: bool = False,
    name: str | None = None,
    freeze: bool = True,
) -> int:
    """A small all-text table (Contents, Notes) with wrapped text; `links` makes column A
    internal links; `name` is the Excel table's name (default: layout.TABLES[sheet])."""
    _heading(ws, title, description, f)
    for r, row in enumerate(rows, HEADER_ROW + 1):
        for c, text in enumerate(row):
            if links and c == 0:
                ws.write_url(r, 0, f"internal:'{text}'!A1", f.link, string=text)
            elif c:
                wrapped(ws, r, c, text, TEXT_WIDTH, f.wrap)
            else:
                ws.write_string(r, c, text, f.top)
    ws.set_column(0, 0, 18)
    ws.set_column(1, len(headers) - 1, TEXT_WIDTH)
    ws.add_table(
        HEADER_ROW,
        0,
        HEADER_ROW + len(rows),
        len(headers) - 1,
        {
            "name": name or TABLES[sheet],
            "style": TABLE_STYLE,
            "autofilter": False,
            "columns": [{"header": h, "header_format": f.header} for h in headers],
        },
    )
    ws.repeat_rows(HEADER_ROW)
    if freeze:
        ws.freeze_panes(HEADER_ROW + 1, 0)
    return len(rows) * len(headers) + 2


CHART_SCALE = 0.7  # 1,280 px charts shown 896 px wide: one fits an A4 landscape page
CHART_HEIGHT = 600  # px at most as shown, so a tall chart still fits its page whole
ROW_PX = 20  # a 15 pt row


def notes_sheet(wb, notes: list[str], f: Formats, *, landscape: bool = False) -> None:
    """The Notes sheet of a side workbook (changes, assurance): its notes numbered in order,
    as the other sheets refer to them."""
    ws = wb.add_worksheet("Notes")
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)  # the note text beside its number on one page width
    if landscape:
        ws.set_landscape()
    simple_table(
        ws,
        "Notes",
        "Notes",
        "This worksheet contains one table. Notes are referred to in the other sheets as [note N].",
        ["Note number", "Note text"],
        [[f"note {i}", t] for i, t in enumerate(notes, 1)],
        f,
    )


def _png_height(png: bytes) -> int:
    return int.from_bytes(png[20:24], "big")  # the IHDR chunk: width, then height


def _charts(ws, charts: list[Chart], f: Formats) -> int:
    """Each chart below a line naming its file and its description (the same as the
    image's alternative text), each on a printed page of its own, never split."""
    files = " and ".join(c.file for c in charts)
    _heading(ws, "Charts", f"Charts, also saved as {files}; each is described above it.", f)
    ws.set_column(0, 0, TEXT_WIDTH)
    row, breaks = HEADER_ROW, []
    for chart in charts:
        if row > HEADER_ROW:
            breaks.append(row)
        wrapped(ws, row, 0, chart.alt.split(" Panels: ")[0], TEXT_WIDTH, f.wrap)
        scale = min(CHART_SCALE, CHART_HEIGHT / max(1, _png_height(chart.png)))
        ws.insert_image(
            row + 1,
            0,
            Path(chart.file).name,
            {
                "image_data": io.BytesIO(chart.png),
                "description": chart.alt,
                "object_position": 3,
                "x_scale": scale,
                "y_scale": scale,
            },
        )
        row += math.ceil(_png_height(chart.png) * scale / ROW_PX) + 2
    if breaks:
        ws.set_h_pagebreaks(breaks)
    return 3 * len(charts)


def write_workbook(
    path: Path,
    title: str,
    tables: list[Table],
    meta: WorkbookMeta,
    charts: list[Chart] | None = None,
    org: str = "England",
) -> int:
    """Write one workbook (`org`: its organisation's name, for the Cover's words);
    returns the number of cells written."""
    by_sheet: dict[str, list[Table]] = {}
    for t in tables:
        by_sheet.setdefault(t.sheet, []).append(t)
    sheets = [
        s
        for s in SHEETS
        if s in ("Cover", "Contents") or s in by_sheet or (s == "Charts" and bool(charts))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(path)
    wb.set_properties(
        {
            "title": title,
            "subject": "Fair shares of national NHS mental health ambitions",
            "author": "mhtool",
            "keywords": "mental health, ICB, sub-ICB, fair shares",
            "comments": f"mhtool {meta.tool_version}; "
            f"catalogue {meta.catalogue_name} sha256 {meta.catalogue_sha256}; "
            f"data date {meta.data_date}",
            "created": meta.created,
        }
    )
    f = Formats(wb)
    cells = 0
    for sheet in sheets:
        ws = wb.add_worksheet(sheet)
        print_setup(ws)
        if sheet == "Cover":
            cells += _cover(ws, title, meta, f, org)
        elif sheet == "Contents":
            cells += simple_table(
                ws,
                sheet,
                "Contents",
                "This worksheet contains one table. Select a sheet name to go to it.",
                ["Sheet name", "Description"],
                [[s, meta.plan_words(SHEETS[s])] for s in sheets],
                f,
                links=True,
                freeze=False,
            )
        elif sheet == "Charts":
            cells += _charts(ws, charts, f)
        elif sheet == "Plan":  # its widths are its own: the page shortest (one A4 page)
            plan = by_sheet[sheet][0]
            widths = shortest_widths(plan)
            cells += write_table(ws, plan, f, False, widths=widths, alone=True, pad=0)
            ws.set_margins(left=MARGIN, right=MARGIN, top=PLAN_MARGIN, bottom=PLAN_MARGIN)
        else:
            readable = sheet in READABLE
            cells += write_tables(ws, by_sheet[sheet], f, freeze=False, readable=readable)
            if sheet in UNPRINTED:
                print_heading_only(ws, len(by_sheet[sheet][0].columns))
    wb.worksheets()[0].activate()
    wb.close()
    return cells
