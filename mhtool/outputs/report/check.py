"""`mhtool check` for the HTML report: each page's tables against the spine, its links.

A page (mhtool.outputs.report.write) is held to the tables recomputed from the spine for its
organisation, as a workbook is: every cell of its Summary, Compare and Standards tables
shows the text `report.shown_cells` gives, and every year figure's `data-value` is the
spine's value. Every link resolves to a file in the run folder and nothing is fetched
from a network (the report is meant to open from a shared drive or an email).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import polars as pl

from mhtool.infra.folder import REPORT, REPORT_FOLDERS, RunFolder
from mhtool.infra.manifest import regular
from mhtool.outputs.report import write as report
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.sheets import page_tables

TOLERANCE = 1e-6
MAX_PER_PAGE = 10  # problem lines reported per page before summarising


class _Page(HTMLParser):
    """The parts of a page the check reads: tables by id (rows of (class, text, attrs)),
    and every link and embedded resource."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, str, dict]]]] = {}
        self.refs: list[tuple[str, str]] = []  # (tag.attribute, value)
        self._table: str | None = None
        self._cell: list | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "src"):
            if key in a:
                self.refs.append((f"{tag}.{key}", a[key]))
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr" and self._table is not None and not self._in_head:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None and not self._in_head:
            data = {k: v for k, v in a.items() if k.startswith("data-")}
            self._cell = [a.get("class", ""), "", data]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.tables[self._table][-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None


def scope_of(rel: str) -> scopes.Scope | None:
    """The organisation a page is for, from its path in the run folder."""
    p = PurePosixPath(rel)
    if p.parts[:1] != (REPORT,) or p.suffix != ".html":
        return None
    if p.parts[1:] == ("index.html",):
        return scopes.Scope("england", "ENG")
    for level, folder in REPORT_FOLDERS.items():
        if len(p.parts) == 3 and p.parts[1] == folder:
            return scopes.Scope(level, p.stem)
    return None


def expected_tables(
    rows: pl.DataFrame, meta: WorkbookMeta | None, delivery: pl.DataFrame | None = None
) -> list[tuple[object, bool]]:
    """(Table, carries figures) for each table a page shows, as report.render_page makes
    them (`delivery`: the delivery rows remade by mhtool check)."""
    return page_tables(rows, meta, delivery).shown()


def check_links(
    page: Path,
    rel: str,
    refs: list[tuple[str, str]],
    out_dir: Path,
    sources: frozenset[str] = frozenset(),
) -> list[str]:
    """Every link resolves to a file in the run; images are embedded; nothing is fetched.
    The only links out are to the catalogue's sources (`sources`, a reader follows them;
    the page loads nothing from them)."""
    problems = []
    for where, value in refs:
        parts = urlsplit(value)
        if where == "img.src":
            if not value.startswith("data:image/"):
                problems.append(f"{rel}: an image is not embedded ({value[:60]})")
            continue
        if where == "a.href" and value in sources:
            continue
        if parts.scheme or parts.netloc:
            problems.append(f"{rel}: links outside the run ({value[:80]})")
            continue
        if not parts.path:
            continue  # a link within the page (#...)
        target = (page.parent / unquote(parts.path)).resolve()
        if not target.is_file():
            problems.append(f"{rel}: the link {value} goes to no file in the run")
        elif not target.is_relative_to(out_dir.resolve()):
            problems.append(f"{rel}: the link {value} leaves the run folder")
    return problems


def _same_text(got: str, want: str) -> bool:
    return " ".join(got.split()) == " ".join(want.split())


def check_tables(
    rel: str, page: _Page, rows: pl.DataFrame, meta: WorkbookMeta | None, delivery=None
) -> list[str]:
    """Each table the page should show, cell by cell, against the spine."""
    problems = []
    for table, figures in expected_tables(rows, meta, delivery):
        tid = report.table_id(table)
        got = page.tables.get(tid)
        if got is None:
            problems.append(f"{rel}: no {table.title!r} table (id {tid})")
            continue
        want = report.shown_cells(table, figures)
        if len(got) != len(want):
            problems.append(f"{rel}: {tid} has {len(got)} rows; the spine gives {len(want)}")
            continue
        for n, (g_row, w_row) in enumerate(zip(got, want, strict=True), 1):
            if len(g_row) != len(w_row):
                problems.append(f"{rel}: {tid} row {n} has {len(g_row)} cells, not {len(w_row)}")
                continue
            for col, (g, w) in enumerate(zip(g_row, w_row, strict=True)):
                header = table.columns[col].header
                if not _same_text(g[1], w[1]):
                    problems.append(
                        f"{rel}: {tid} row {n} {header!r} shows {g[1]!r}; the spine gives {w[1]!r}"
                    )
                if figures and w[2] and not _same_value(g[2].get("data-value"), w[2]):
                    problems.append(
                        f"{rel}: {tid} row {n} {header!r} carries {g[2].get('data-value')!r}; "
                        f"the spine has {w[2]['data-value']}"
                    )
    return problems


def _same_value(got: str | None, want: dict) -> bool:
    try:
        return abs(float(got) - float(want["data-value"])) <= TOLERANCE
    except (TypeError, ValueError):
        return False


def check_page(
    path: Path,
    rel: str,
    rows: pl.DataFrame,
    meta: WorkbookMeta | None,
    out_dir: Path,
    delivery: pl.DataFrame | None = None,
):
    """One page: its tables against the spine rows of its organisation (and its delivery
    rows, remade by mhtool check), then its links."""
    scope = scope_of(rel)
    if scope is None:
        return []
    if rows.filter(pl.col("level") == scope.level, pl.col("org_code") == scope.code).is_empty():
        return [f"{rel}: {scope.code} is not a {scope.level} in the spine"]
    page = _Page()
    try:
        page.feed(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable or not UTF-8: one problem, go on
        return [f"{rel}: cannot be read ({type(exc).__name__}); damaged since the run?"]
    page.close()
    problems = check_tables(rel, page, rows, meta, delivery)
    sources = frozenset(u for urls in (meta.sources if meta else {}).values() for u in urls)
    problems += check_links(path, rel, page.refs, out_dir, sources)
    if len(problems) > MAX_PER_PAGE:
        problems = problems[:MAX_PER_PAGE] + [
            f"{rel}: {len(problems) - MAX_PER_PAGE} more problems not shown"
        ]
    return problems


def pages(out_dir: Path) -> list[Path]:
    """The report pages of a run folder, in a stable order."""
    folder = RunFolder(Path(out_dir)).report
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*.html")
        if scope_of(p.relative_to(out_dir).as_posix()) and regular(p)
    )
