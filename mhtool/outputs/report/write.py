"""The offline HTML report: `report/index.html` (England), `report/regions/<code>.html` and
`report/systems/<code>.html`, one page per organisation charted.

Each page is self-contained (styles inline, charts as data URIs, no script, nothing
fetched from a network), so it opens from a shared drive or an email attachment. It shows
the same tables as the workbooks' Summary, Compare and Standards sheets (views of the
spine, made by mhtool.outputs.views.summary) and the same charts, with links up and down the
hierarchy to the pages the run wrote, and print styles for an A4 board-paper annex.
Every figure cell carries `data-ambition`, `data-year` and `data-value` (the spine's
value), so a test can hold what a browser shows to the spine.
"""

from __future__ import annotations

import base64
import html
import re
from functools import lru_cache
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.fields import ROW_FORMAT
from mhtool.infra import folder
from mhtool.outputs.views.layout import NOT_AVAILABLE, short_name
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.sheets import PageTables, page_tables
from mhtool.outputs.views.tables import PRINTED_FIRST, SHOWN_FIRST, Table

CSS = """
body { font-family: Arial, Helvetica, sans-serif; margin: 1rem; color: #0b0c0c;
  max-width: 1400px; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.4rem; }
h2 { font-size: 1.25rem; margin: 1.6rem 0 0.4rem; }
nav { font-size: 0.95rem; margin-bottom: 0.6rem; }
nav a, ul a { color: #1d70b8; }
p.lede { max-width: 60rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.4rem 0 1rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.25rem 0.35rem; vertical-align: top;
  text-align: left; }
th { background: #f3f2f1; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#plan_page td { white-space: pre-line; }
td.source { overflow-wrap: anywhere; min-width: 12rem; }
ul.index li { margin-bottom: 0.2rem; }
td.num { white-space: nowrap; }
td.how { font-size: 0.75rem; color: #505a5f; min-width: 6.5rem; max-width: 10rem; }
td.title, td.standard { min-width: 11rem; max-width: 24rem; }
td.unit, td.basis_words { min-width: 7rem; max-width: 10rem; font-size: 0.8rem; }
td.basis_words { max-width: 8.5rem; }
td.programme { max-width: 7rem; }
td.ambition_id { font-size: 0.8rem; white-space: nowrap; }
figure { margin: 1rem 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e0e0e0; }
figcaption { font-size: 0.85rem; color: #505a5f; max-width: 60rem; }
ul.down { columns: 3; font-size: 0.95rem; }
footer { margin-top: 2rem; font-size: 0.8rem; color: #505a5f; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 9pt; }
  nav, ul.down { display: none; }
  table { font-size: 8pt; page-break-inside: auto; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  h2 { page-break-after: avoid; break-after: avoid; }
}
"""


def _described(table: Table) -> str:
    """A table's description as the page says it: everything on a web page shows, so a
    sheet's words on what it prints say what comes first instead."""
    return _e(table.description.replace(PRINTED_FIRST, SHOWN_FIRST))


def page_path(level: str, code: str) -> str:
    """Where an organisation's page is, relative to the run folder (folder.report_page)."""
    return folder.report_page(level, code)


def _href(from_level: str, to_level: str, code: str) -> str:
    up = "" if from_level == "england" else "../"
    return up + page_path(to_level, code).removeprefix(f"{folder.REPORT}/")


_NOTE = re.compile(r"\s*\[note \d+\]")


def _e(text) -> str:
    """Escaped text without [note N] references (the notes are in the workbooks)."""
    return html.escape(_NOTE.sub("", "" if text is None else str(text)))


def fmt_cell(value, fmt: str) -> str:
    """A figure as the workbooks show it: whole people and pounds with separators, staff
    to 0.1, rates and percentages to 0.1, shares to 0.001%."""
    if value is None:
        return NOT_AVAILABLE
    if fmt == "money":
        return f"£{value:,.0f}"
    if fmt == "share":
        return f"{value:.3%}"
    if fmt in ("wte", "rate", "percent"):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _plain(text) -> str:
    """A cell's text as a browser shows it: without [note N] references."""
    return _without_notes("" if text is None else str(text))


@lru_cache(maxsize=1 << 16)  # the same words recur across a run's pages
def _without_notes(text: str) -> str:
    return _NOTE.sub("", text)


_escape = lru_cache(maxsize=1 << 16)(html.escape)  # a page's cells: classes, names, words


def shown_cells(table: Table, figures: bool = True) -> list[list[tuple[str, str, dict]]]:
    """Each row's cells as the page shows them: (class, text, data attributes). A figure
    cell of a year column carries the spine's value as data-ambition / data-year /
    data-value when `figures`. The one description of a table's cells, for the page and
    for `mhtool check` (mhtool.outputs.report.check)."""
    out = []
    for r in table.frame.iter_rows(named=True):
        cells = []
        for c in table.columns:
            v = r.get(c.key)
            if c.fmt == "text":
                cells.append((c.key, _plain(c.placeholder if v is None else v), {}))
                continue
            fmt = r.get(ROW_FORMAT, "count") if c.fmt == "row" else c.fmt
            data = {}
            if figures and c.key.startswith("v") and v is not None:
                data = {"data-ambition": r["ambition_id"], "data-year": c.key[1:]}
                if r.get("org_code"):  # whose figure (the category tables show several)
                    data["data-org"] = r["org_code"]
                data["data-value"] = repr(v)
            cells.append(("num", _plain(fmt_cell(v, fmt)), data))
        out.append(cells)
    return out


def table_id(table: Table) -> str:
    """The id of a table's <table> element."""
    return table.name or table.sheet.lower()


SOURCE_KEY = "source"  # the category tables' column of source URLs, shown as links
_URL = re.compile(r"https?://[^\s;]+")


def _linked(text: str) -> str:
    """A cell's text with each web address in it a link (the sources a reader can
    follow); the text shown is the same."""
    out, at = [], 0
    for m in _URL.finditer(text):
        url = m.group(0)
        out += [
            html.escape(text[at : m.start()]),
            f'<a href="{html.escape(url)}">{html.escape(url)}</a>',
        ]
        at = m.end()
    return "".join(out) + html.escape(text[at:])


def _table(table: Table, figures: bool = True) -> str:
    """An HTML table of a Table's columns; number cells carry the spine's value."""
    head = "".join(
        f'<th scope="col"{" class=num" if c.fmt != "text" else ""}>{_e(c.header)}</th>'
        for c in table.columns
    )
    rows = []
    for cells in shown_cells(table, figures):
        tds = "".join(
            f'<td class="{_escape(cls)}"'
            + "".join(f' {k}="{_escape(v)}"' for k, v in data.items())
            + f">{_linked(text) if cls == SOURCE_KEY else _escape(text)}</td>"
            for cls, text, data in cells
        )
        rows.append("<tr>" + tds + "</tr>")
    return (
        f'<table id="{_e(table_id(table))}"><caption hidden>'
        f"{_e(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = alt.split(" Panels: ")[0]
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}" width="1280">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _org(df: pl.DataFrame, code: str) -> tuple[str, str, str | None]:
    r = df.filter(pl.col("org_code") == code).row(0, named=True)
    return r["level"], r["org_name"], r["parent_code"]


def _nav(df: pl.DataFrame, level: str, code: str, pages: frozenset[str]) -> str:
    """Links up the hierarchy to the pages this run wrote: England › region › system."""
    trail = []
    parent = _org(df, code)[2]
    while parent:
        p_level, p_name, p_parent = _org(df, parent)
        if parent in pages:
            trail.insert(
                0,
                f'<a href="{_e(_href(level, p_level, parent))}">'
                f"{_e(short_name(p_name, parent))}</a>",
            )
        else:
            trail.insert(0, _e(short_name(p_name, parent)))
        parent = p_parent
    here = _e(short_name(_org(df, code)[1], code))
    return "<nav>" + " › ".join([*trail, f"<strong>{here}</strong>"]) + "</nav>"


def _down(df: pl.DataFrame, level: str, code: str, pages: frozenset[str]) -> str:
    """Links to the organisations one level down that have pages (names where not)."""
    if level == "subicb":
        return ""
    child = vocab.LEVELS[vocab.LEVEL_ORDER[level] + 1]
    kids = (
        df.filter(pl.col("level") == child, pl.col("parent_code") == code)
        .select("org_code", "org_name")
        .unique("org_code")
        .sort("org_code")
        .rows()
    )
    if not kids:
        return ""
    items = [
        f'<li><a href="{_e(_href(level, child, c))}">{_e(short_name(n, c))}</a></li>'
        if c in pages and child in folder.REPORT_FOLDERS
        else f"<li>{_e(short_name(n, c))}</li>"
        for c, n in kids
    ]
    heading = {"region": "Regions", "icb": "Integrated care boards"}.get(child, "Sub-ICB locations")
    return f"<h2>{heading}</h2><ul class=down>{''.join(items)}</ul>"


def _files(level: str, code: str, chart: bool) -> str:
    """Links to the organisation's own files in the run: its workbook, its planning file
    (England's and each system's) and its chart; on England's page (the index) also to
    selector.xlsx, in which anyone picks their own organisation."""
    up = "../" if level == "england" else "../../"
    files = [("workbook", folder.workbook_file(level, code))]
    if level in ("england", "icb"):
        files.append(("planning file", folder.planning_file(None if level == "england" else code)))
    if chart:
        files.append(("chart", folder.chart_file("england" if level == "england" else code)))
    links = ", ".join(f'<a href="{_e(up + path)}">{_e(what)}</a>' for what, path in files)
    if level == "england":
        links += (
            f'; <a href="{_e(up + folder.SELECTOR)}">{_e(folder.SELECTOR)}</a>: '
            "pick any organisation in one workbook"
        )
    return f'<p class="files">This page\'s files: {links}.</p>'


def _index(rows: pl.DataFrame, level: str, pages: frozenset[str]) -> str:
    """England's page: every region with its ICBs, linked, before anything else, so the
    first screen shows where to go."""
    if level != "england":
        return ""
    orgs = rows.select("org_code", "org_name", "level", "parent_code").unique("org_code")
    items = []
    for r_code, r_name in (
        orgs.filter(pl.col("level") == "region")
        .sort("org_code")
        .select("org_code", "org_name")
        .rows()
    ):
        icbs = orgs.filter(pl.col("level") == "icb", pl.col("parent_code") == r_code)
        kids = ", ".join(
            _link(level, "icb", c, n, pages)
            for c, n in icbs.sort("org_code").select("org_code", "org_name").rows()
        )
        items.append(f"<li>{_link(level, 'region', r_code, r_name, pages)}: {kids}</li>")
    return f"<h2>Regions and their integrated care boards</h2><ul class=index>{''.join(items)}</ul>"


def _link(from_level: str, level: str, code: str, name: str, pages: frozenset[str]) -> str:
    label = _e(short_name(name, code))
    if code in pages and level in folder.REPORT_FOLDERS:
        return f'<a href="{_e(_href(from_level, level, code))}">{label}</a>'
    return label


def render_page(
    rows: pl.DataFrame,
    code: str,
    meta: WorkbookMeta,
    charts: list[tuple[bytes, str]],
    pages: frozenset[str],
    delivery: pl.DataFrame | None = None,
    tables: PageTables | None = None,
) -> str:
    """One organisation's page from its workbook's slice of the spine; `delivery`: its
    delivery rows (mhtool.outputs.views.delivery), for the same Delivery table; `tables`:
    the page's tables (views.sheets.page_tables of the same slice), when the workbook
    writer made them already."""
    level, name, _ = _org(rows, code)
    org = short_name(name, code, with_code=False)
    title = f"{short_name(name, code)}: fair shares of the national mental health ambitions"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        _nav(rows, level, code, pages),
        f"<h1>{_e(title)}</h1>",
        f'<p class="lede">{_e(org)}\'s fair share of each national ambition, found by '
        f"applying a basis (weights such as population or need) to the national figure and "
        f"rounding so every level adds up exactly. They are not agreed targets or measures "
        f"of performance. Data date {_e(meta.data_date)}; catalogue "
        f"{_e(meta.catalogue_name)}.</p>",
        f'<p class="lede">{_e(meta.benchmark)}</p>' if meta.benchmark else "",
    ]
    parts += [_files(level, code, bool(charts)), _index(rows, level, pages)]
    made = tables or page_tables(rows, meta, delivery)
    plan = made.plan
    parts += [f"<h2>{_e(plan.title)}</h2><p>{_described(plan)}</p>", _table(plan, False)]
    for sheet in made.categories:
        parts += [f"<h2>{_e(sheet.title)}</h2><p>{_described(sheet)}</p>", _table(sheet)]
    table = made.summary
    if table is not None:
        parts += [f"<h2>{_e(table.title)}</h2><p>{_described(table)}</p>", _table(table)]
    compare = made.compare
    if compare is not None:
        parts += [f"<h2>{_e(compare.title)}</h2>", _table(compare, figures=False)]
    parts += ["<h2>Charts</h2>", *(_figure(png, alt) for png, alt in charts)]
    delivered = made.delivery
    if delivered is not None:
        parts += [
            f"<h2>{_e(delivered.title)}</h2><p>{_described(delivered)}</p>",
            _table(delivered, figures=False),
        ]
    parts += [
        "" if level == "england" else _down(rows, level, code, pages),
        f"<footer>mhtool {_e(meta.tool_version)}; catalogue "
        f"{_e(meta.catalogue_name)} (SHA-256 {_e(meta.catalogue_sha256)}); "
        f"geography {_e(meta.geography)}; data date {_e(meta.data_date)}. "
        f"Notes and every figure are in the workbooks.</footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_page(
    out_dir: Path,
    rows: pl.DataFrame,
    code: str,
    meta: WorkbookMeta,
    charts: list[tuple[bytes, str]],
    pages: frozenset[str],
    delivery: pl.DataFrame | None = None,
    tables: PageTables | None = None,
) -> str:
    """Write one page; returns its path relative to the run folder."""
    level = _org(rows, code)[0]
    rel = page_path(level, code)
    path = Path(out_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_page(rows, code, meta, charts, pages, delivery, tables)
    path.write_text(page, encoding="utf-8")
    return rel
