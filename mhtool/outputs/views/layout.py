"""The workbook layout in one place, so the writer and `mhtool check` agree on it.

Every sheet has its title in A1 and a one-line description in A2; a sheet with a table
has it start at A3 (header row) and run with no blank rows or columns.
"""

from __future__ import annotations

import re

from mhtool import vocab

# Sheet name → one-line description for the Contents sheet, in workbook order.
SHEETS: dict[str, str] = {
    "Cover": "What this workbook is for, how to read it, sources, vintages and version",
    "Contents": "This list of sheets",
    "Plan": "What the Plan asks of this organisation: its asks by programme in the Plan's "
    "fixed, flexible and targeted categories, with its own figures (one printed page)",
    "Summary": "This organisation's own people, pounds and staff by year, in the Plan's order",
    "Compare": "The headline asks for this organisation and each one below it, side by side",
    "Places": "The headline asks split to this system's places (runs with places) by year",
    "Delivery": "Published actual delivery beside the fair shares, this organisation first",
    "Charts": "Trajectories of each count ambition, and the headline asks compared",
    "Fixed": "Fixed asks (national access or coverage with year-on-year trajectories): "
    "people, money, staff and standards, this organisation first",
    "Flexible": "Flexible asks (in place everywhere by the end point, phasing agreed "
    "locally): their end points, indicative phasing and the money with them",
    "Targeted": "Targeted asks (selected areas): the national figure and who is selected",
    "Funding": "Funding (£) by line and year, in the Plan's order",
    "Workforce": "Workforce (whole-time equivalent staff) by staff group and year",
    "Shares": "Each organisation's share of England under each basis used",
    "Notes": "Numbered notes referred to as [note N] in the tables",
    "Data": "All figures in one long table, in the layout of the NHS planning templates",
}

# Sheets that must be present; the others are left out when they would be empty.
REQUIRED = ("Cover", "Contents", "Plan", "Fixed", "Flexible", "Targeted", "Notes", "Data")

# Sheets whose default print area is their title, description and header row only: the
# Data sheet is every figure again (hundreds of pages for England), the Shares sheet every
# organisation's share under every basis (67 pages for England), for filtering, looking
# up and loading, not for reading on paper (the readable sheets need the pages).
UNPRINTED = ("Shares", "Data")

# Sheets people print and read (a board paper's pages, and the notes they refer to): their
# printed text at least READABLE_PT points, the workbook's font (Calibri 11) scaled to fit
# the page width.
READABLE = (
    "Plan",
    "Summary",
    "Compare",
    "Delivery",
    "Fixed",
    "Flexible",
    "Targeted",
    "Funding",
    "Workforce",
    "Notes",
)
READABLE_PT = 9.0
FONT_PT = 11.0  # the workbooks' body font size (XlsxWriter's default, Calibri 11)
A4_LONG_SIDE = 297 / 25.4  # inches
MARGIN = 0.4  # inches, each side (workbook.print_setup)


def printable_px(left: float = MARGIN, right: float = MARGIN) -> float:
    """The printable width of an A4 landscape page with these side margins (inches), in
    pixels at 96 an inch, the unit column widths are reckoned in (a digit is 7 pixels of
    Calibri 11)."""
    return (A4_LONG_SIDE - left - right) * 96


def column_px(width: float) -> int:
    """A column's width in pixels from the width in characters a writer sets, as Excel
    reckons it (the file stores it 5 pixels wider: stored_px)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def stored_px(stored: float) -> int:
    """A column's width in pixels from the width a workbook file stores."""
    return int(stored * 7 + 0.5)


def printed_pt(pixels: float, page: float | None = None) -> float:
    """The body text's printed size when columns `pixels` wide in all are fitted to the
    page width (`page` pixels: printable_px), never enlarged."""
    page = printable_px() if page is None else page
    return FONT_PT * min(1.0, page / max(1.0, pixels))


# Sheets holding one Excel table, and that table's name.
TABLES: dict[str, str] = {
    "Contents": "contents",
    "Plan": "plan_page",
    "Summary": "summary",
    "Compare": "compare",
    "Places": "places",
    "Delivery": "delivery",
    "Notes": "notes",
    "Fixed": "fixed_ambitions",
    "Flexible": "flexible_ambitions",
    "Targeted": "targeted_ambitions",
    "Funding": "funding_by_programme",
    "Workforce": "workforce_by_group",
    "Shares": "shares_by_basis",
    "Data": "data_long",
}

TITLE_ROW = 0  # A1: sheet title
DESCRIPTION_ROW = 1  # A2: one line saying what the sheet holds
HEADER_ROW = 2  # A3: table header (0-based rows, as XlsxWriter counts)

# Further tables some sheets hold below their first one: the Summary of a system with
# places (runs with `--places`) ends with its places side by side for the headline asks.
MORE_TABLES: dict[str, tuple[str, ...]] = {"Summary": ("summary_places",)}
GAP_ROWS = 1  # blank rows between one table and the title of the next on the same sheet


def table_tops(heights: list[int]) -> list[int]:
    """The title row of each table stacked on one sheet (0-based), from each table's
    number of body rows: the first at A1, each next one GAP_ROWS below the one before
    (a table with no rows still has one empty body row)."""
    tops, row = [], TITLE_ROW
    for n in heights:
        tops.append(row)
        row += HEADER_ROW - TITLE_ROW + 1 + max(n, 1) + GAP_ROWS
    return tops


# Shorthand for cells with no number, as the GSS guidance on symbols recommends.
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"

# Number formats by the kind of figure in a cell.
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "money": "£#,##0",
    "wte": "#,##0.0",
    "rate": "#,##0.0##",
    "percent": "#,##0.0",  # a rate or standard in percent: always one decimal (95.0, 8.6)
    "share": "0.000%",
}

# Codes of the organisation levels, in hierarchy order, and what readers call them.
LEVELS = vocab.LEVELS
LEVEL_NAMES = vocab.LEVEL_NAMES


def org_label(name: str | None, code: str) -> str:
    """'<name> (<code>)', or just the name when it already ends with the code (sub-ICB
    locations are named like 'NHS ... ICB - 00L'), so the code is not shown twice."""
    name = (name or "").strip()
    if not name:
        return code
    tail = name.rsplit(None, 1)[-1].strip("()[]")
    return name if tail.upper() == code.upper() else f"{name} ({code})"


_ORG_WORDS = re.compile(r"^NHS\s+|\s+(Integrated Care Board|ICB)(?=\s|$)", re.I)


def short_name(name: str | None, code: str, with_code: bool = True) -> str:
    """A name to read in a sentence or a column header: 'NHS Kent and Medway Integrated
    Care Board' → 'Kent and Medway (QKS)' ('Kent and Medway' without the code); a sub-ICB
    location keeps its place code; England is just England."""
    if code == vocab.ENGLAND_CODE:
        return name or vocab.ENGLAND_NAME
    label = org_label(name, code) if with_code else (name or code)
    short = _ORG_WORDS.sub("", label).strip()
    return short or label


def possessive(name: str) -> str:
    """'Kent and Medway's', but 'Midlands'' (a name ending in s takes the apostrophe)."""
    return name + ("'" if name.endswith("s") else "'s")


#: A unit written "GBP ..." in the catalogue; readers see "£ ...".
TITLE_CHARS = 34  # an ask's short title: its words before any bracket, at most this


def short_title(title: str) -> str:
    """An ask's title short enough for the Plan page and a category sheet's context rows
    (its own row gives it whole): its words before a bracket or colon, cut at a word
    break with '…' if still long."""
    text = re.split(r" \(|: |; ", title.strip(), maxsplit=1)[0].rstrip(",")
    if len(text) <= TITLE_CHARS:
        return text
    return text[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"


GBP_WORD = r"^GBP\b"


def unit_words(unit: str | None) -> str:
    """A unit as readers see it: 'GBP (cash, …)' → '£ (cash, …)'; others as the catalogue
    has them. Words only: whether a figure is money is its unit kind (the spine's)."""
    return re.sub(GBP_WORD, "£", (unit or "").strip())
