"""The offline HTML report: self-contained pages linked up and down the hierarchy, whose
figures equal the spine, as a browser shows them."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, sample_spine

from mhtool.outputs import write_outputs
from mhtool.outputs.report.write import fmt_cell

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    spine = sample_spine()
    write_outputs(spine, out, SAMPLE_META, progress=False, workers=1)
    return out, spine


class _Figures(HTMLParser):
    """Every cell carrying data-value: (ambition, year, value, the text shown)."""

    def __init__(self):
        super().__init__()
        self.cells, self.links, self.srcs, self._open = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-value" in a:
            self._open = [a["data-ambition"], a["data-year"], float(a["data-value"]), ""]
            self._open.append(a.get("data-org"))
        if tag == "a":
            self.links.append(a.get("href"))
        if tag in ("img", "script", "link"):
            self.srcs.append((tag, a.get("src") or a.get("href") or ""))

    def handle_data(self, data):
        if self._open is not None:
            self._open[3] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._open is not None:
            self.cells.append(tuple(self._open))
            self._open = None


def _parse(text: str) -> _Figures:
    p = _Figures()
    p.feed(text)
    return p


def _assert_figures_are_the_spine(page: _Figures, spine: pl.DataFrame, code: str):
    own = spine.filter(pl.col("org_code") == code)
    assert page.cells
    cells = [c for c in page.cells if c[4] in (None, code)]  # its own figures
    assert len(cells) < len(page.cells)  # the category tables show others' too
    for ambition, year, value, shown, _org in cells:
        row = own.filter(pl.col("ambition_id") == ambition, pl.col("year") == year)
        want = row.get_column("value").item()
        assert value == want, (ambition, year)
        fmt = {"funding": "money", "workforce": "wte"}.get(row["measure"][0], "count")
        assert shown.strip() == fmt_cell(want, fmt), (ambition, year, shown)


def test_pages_are_self_contained_and_linked(run):
    out, spine = run
    pages = sorted(p.relative_to(out).as_posix() for p in (out / "report").rglob("*.html"))
    assert pages[0] == "report/index.html"
    assert "report/regions/Y56.html" in pages and "report/systems/QA0.html" in pages
    system = _parse((out / "report/systems/QA0.html").read_text(encoding="utf-8"))
    assert "../index.html" in system.links and "../regions/Y56.html" in system.links
    region = _parse((out / "report/regions/Y56.html").read_text(encoding="utf-8"))
    assert "../systems/QA0.html" in region.links
    for tag, src in system.srcs + region.srcs:
        assert tag == "img" and src.startswith("data:image/png;base64,"), (tag, src[:40])
    for page in pages:
        text = (out / page).read_text(encoding="utf-8")
        assert not re.search(r"src=\"(https?:)?//", text), page  # nothing fetched
        sources = {u for urls in SAMPLE_META.sources.values() for u in urls}
        for href in _parse(text).links:
            if href in sources:  # a source a reader can follow: the only link out
                continue
            assert (out / page).parent.joinpath(href).resolve().is_file(), (page, href)
    _assert_figures_are_the_spine(system, spine, "QA0")


def test_chromium_shows_the_spines_figures(run, tmp_path):
    if CHROMIUM is None:
        pytest.skip(
            "chromium is not installed (apt-get install chromium); the page's HTML is "
            "checked without a browser in test_pages_are_self_contained_and_linked"
        )
    out, spine = run
    page = Path(out / "report/systems/QA0.html").resolve()
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _parse(result.stdout)
    _assert_figures_are_the_spine(dom, spine, "QA0")
    assert len(dom.cells) == len(_parse(page.read_text(encoding="utf-8")).cells)


def test_a_page_opens_with_the_plan_page_then_the_categories_and_links_its_files(run):
    out = run[0]
    page = (out / "report/systems/QA0.html").read_text(encoding="utf-8")
    order = [
        page.index('id="plan_page"'),
        page.index('id="fixed"'),
        page.index('id="flexible"'),
        page.index('id="targeted"'),
        page.index('id="summary"'),
    ]
    assert order == sorted(order)
    assert "What the Plan asks of QA0" in page[: order[0]]
    for own in ("../../systems/QA0.xlsx", "../../planning/QA0.csv", "../../charts/QA0.png"):
        assert f'href="{own}"' in page[: order[0]], own
    assert '<a href="https://example.org/source/1">https://example.org/source/1</a>' in page
    # a web page shows every row: the sheets' words on what prints say what comes first
    from mhtool.outputs.views.tables import PRINTED_FIRST, SHOWN_FIRST

    assert SHOWN_FIRST in page[order[1] :] and PRINTED_FIRST not in page
    index = (out / "report/index.html").read_text(encoding="utf-8")
    first = index.index('id="plan_page"')
    for link in ('href="regions/Y56.html"', 'href="systems/QA0.html"'):
        assert index.index(link) < first, link  # regions and ICBs before anything else


def test_a_link_out_is_allowed_only_to_a_source(run):
    from mhtool.outputs.report.check import check_page
    from mhtool.outputs.views import scope as scopes
    from mhtool.outputs.views.tables import prepare

    out, spine = run
    rel = "report/systems/QA0.html"
    rows = scopes.rows(prepare(spine), scopes.Scope("icb", "QA0"))
    assert check_page(out / rel, rel, rows, SAMPLE_META, out) == []
    text = (out / rel).read_text(encoding="utf-8")
    try:
        (out / rel).write_text(
            text.replace('href="https://example.org/source/1"', 'href="https://example.com/x"', 1)
        )
        problems = check_page(out / rel, rel, rows, SAMPLE_META, out)
    finally:
        (out / rel).write_text(text, encoding="utf-8")
    assert any("links outside the run (https://example.com/x)" in p for p in problems), problems


def test_the_index_links_selector_xlsx_and_check_says_when_it_goes_nowhere(run, tmp_path):
    """England's page (the index) links selector.xlsx beside its own files, by a link that
    resolves inside the run folder; a system page links its own files only."""
    from mhtool.outputs.report.check import check_page
    from mhtool.outputs.views.tables import prepare

    out, spine = run
    index = (out / "report/index.html").read_text(encoding="utf-8")
    link = index.index('href="../selector.xlsx"')
    assert link < index.index('id="plan_page"')  # beside the workbook, planning file, chart
    assert index.index('href="../england.xlsx"') < link
    assert "pick any organisation in one workbook" in index
    assert (out / "report/../selector.xlsx").resolve() == (out / "selector.xlsx").resolve()
    assert (out / "selector.xlsx").is_file()
    assert "selector.xlsx" not in (out / "report/systems/QA0.html").read_text(encoding="utf-8")
    rel, rows = "report/index.html", prepare(spine)
    assert check_page(out / rel, rel, rows, SAMPLE_META, out) == []
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    (copy / "selector.xlsx").unlink()
    problems = check_page(copy / rel, rel, rows, SAMPLE_META, copy)
    assert problems == [f"{rel}: the link ../selector.xlsx goes to no file in the run"]
