"""Every file name of a run folder, in one place.

The pipeline writes these, `mhtool check` and `mhtool verify` read them and the swap
recognises a finished run by its manifest, so each name is defined here once and every
module asks a ``RunFolder`` for its paths. Names (stable):

- ``MANIFEST`` ("manifest.json"), ``LOG`` ("run.log"), ``SPINE_CSV`` / ``SPINE_PARQUET``
  ("apportionment.csv" / ".parquet"), ``CHANGES_CSV`` / ``CHANGES_XLSX``,
  ``ENGLAND_WORKBOOK`` ("england.xlsx"), ``SELECTOR`` ("selector.xlsx"),
  ``WORKBOOK_FOLDERS`` (level -> folder), ``WORKBOOK_META`` ("workbooks.json"), ``CHARTS``,
  ``PLANNING`` with ``PLANNING_OTHER``, ``PLANNING_MONEY`` and ``PLANNING_PROFILE``,
  ``PLACES`` with ``PLACES_MAP``, ``REPORT`` with ``REPORT_FOLDERS`` (level -> folder).
- ``workbook_file``, ``chart_file``, ``planning_file``, ``places_file``, ``report_page``:
  one organisation's file, relative to the folder.
- ``RunFolder(root)``: those paths for one folder, plus its failed-run log beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
LOG = "run.log"
SPINE_CSV = "apportionment.csv"
SPINE_PARQUET = "apportionment.parquet"
CHANGES_CSV = "changes.csv"
CHANGES_XLSX = "changes.xlsx"
CHANGES_PREFIX = "changes."  # a comparison's files, which a run without one lacks
ENGLAND_WORKBOOK = "england.xlsx"
SELECTOR = "selector.xlsx"  # every organisation in one workbook, picked from a list
#: Level of organisation -> the folder holding its workbooks.
WORKBOOK_FOLDERS = {"region": "regions", "icb": "systems", "subicb": "subicbs"}
#: The settings the workbooks were worded with, which `mhtool check` reads back.
WORKBOOK_META = "workbooks.json"
CHARTS = "charts"
PLANNING = "planning"
PLANNING_OTHER = f"{PLANNING}/other_lines.csv"  # every other line, with its own months
PLANNING_MONEY = f"{PLANNING}/funding_workforce.csv"  # money and staff lines, annual
PLANNING_PROFILE = f"{PLANNING}/profile.json"  # how the months were made
PLACES = "places"
PLACES_MAP = f"{PLACES}/practices.csv"  # which practices make each place
REPORT = "report"
#: Level of organisation -> the report's folder of its pages (England's is index.html).
REPORT_FOLDERS = {"region": "regions", "icb": "systems"}


def workbook_file(level: str, code: str) -> str:
    """Relative path of an organisation's workbook: england.xlsx, systems/QHM.xlsx, ..."""
    return ENGLAND_WORKBOOK if level == "england" else f"{WORKBOOK_FOLDERS[level]}/{code}.xlsx"


def chart_file(name: str) -> str:
    """Relative path of a chart (``name`` is "england" or an organisation code)."""
    return f"{CHARTS}/{name}.png"


def planning_file(icb: str | None) -> str:
    """Relative path of a planning-template CSV: one per ICB, or England's (``None``)."""
    return f"{PLANNING}/{icb or 'england'}.csv"


def places_file(icb: str) -> str:
    """Relative path of an ICB's places CSV (a run with places)."""
    return f"{PLACES}/{icb}.csv"


def report_page(level: str, code: str) -> str:
    """Relative path of an organisation's page of the HTML report."""
    if level == "england":
        return f"{REPORT}/index.html"
    return f"{REPORT}/{REPORT_FOLDERS[level]}/{code}.html"


@dataclass(frozen=True)
class RunFolder:
    """The paths of one run folder (``root``), so no caller spells a file name."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def log(self) -> Path:
        return self.root / LOG

    @property
    def spine_csv(self) -> Path:
        return self.root / SPINE_CSV

    @property
    def spine_parquet(self) -> Path:
        return self.root / SPINE_PARQUET

    @property
    def changes_csv(self) -> Path:
        return self.root / CHANGES_CSV

    @property
    def changes_xlsx(self) -> Path:
        return self.root / CHANGES_XLSX

    @property
    def selector(self) -> Path:
        return self.root / SELECTOR

    @property
    def planning(self) -> Path:
        return self.root / PLANNING

    @property
    def planning_other(self) -> Path:
        return self.root / PLANNING_OTHER

    @property
    def planning_money(self) -> Path:
        return self.root / PLANNING_MONEY

    @property
    def planning_profile(self) -> Path:
        return self.root / PLANNING_PROFILE

    @property
    def workbook_meta(self) -> Path:
        return self.root / WORKBOOK_META

    @property
    def places(self) -> Path:
        return self.root / PLACES

    @property
    def report(self) -> Path:
        return self.root / REPORT

    @property
    def failed_log(self) -> Path:
        """Where a failed run's log is kept: beside the folder, as <name>.failed.log."""
        return self.root.parent / f"{self.root.name}.failed.log"

    def holds_run(self) -> bool:
        """True once a run has finished here (its manifest is written last)."""
        return self.manifest.is_file()
