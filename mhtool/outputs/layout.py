"""The workbook layout in one place, so the writer and `mhtool check` agree on it.

Every sheet has its title in A1 and a one-line description in A2; a sheet with a table
has it start at A3 (header row) and run with no blank rows or columns.
"""

from __future__ import annotations

from mhtool import vocab

# Sheet name → one-line description for the Contents sheet, in workbook order.
SHEETS: dict[str, str] = {
    "Cover": "What these figures are and are not, sources, vintages and version",
    "Contents": "This list of sheets",
    "Notes": "Numbered notes referred to as [note N] in the tables",
    "Fixed": "Fixed ambitions, activity only (people, sites, rates): each organisation's "
    "share by year, with the national figure",
    "Flexible": "Flexible ambitions, activity only (people, sites, rates): each organisation's "
    "share by year, with the national figure",
    "Targeted": "Targeted ambitions, activity only (people, sites, rates): each organisation's "
    "share by year, with the national figure",
    "Funding": "Funding (£) by programme and year, for every category of ambition",
    "Workforce": "Workforce (whole-time equivalent staff) by staff group and year, for every "
    "category of ambition",
    "Shares": "Each organisation's share of England under each basis used",
    "Charts": "Trajectories of each count ambition against the national line",
    "Data": "All figures in one long table, in the layout of the NHS planning templates",
}

# Sheets that must be present; the others are left out when they would be empty.
REQUIRED = ("Cover", "Contents", "Notes", "Data")

# Sheets holding one Excel table, and that table's name.
TABLES: dict[str, str] = {
    "Contents": "contents",
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

# Shorthand for cells with no number, as the GSS guidance on symbols recommends.
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"

# Number formats by the kind of figure in a cell.
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "money": "£#,##0",
    "wte": "#,##0.0",
    "rate": "#,##0.0##",
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
