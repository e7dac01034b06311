"""selector.xlsx used as a planner uses it: pick another organisation, let LibreOffice
recalculate, and every figure shown is that organisation's in the spine (England, a
region, an ICB and a sub-ICB location). Needs soffice; skipped where it is absent."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.libreoffice import convert, needs_soffice
from python_calamine import CalamineWorkbook

from mhtool.cli import main
from mhtool.infra import folder
from mhtool.outputs.selector import write as selector

SYSTEM = "QKS"


WILD = "wildcards"
# Names that would find the wrong row if MATCH took their *, ~ and ? as wildcards: the
# sub-ICB location's, picked, as a pattern matches the ICB's, listed before it.
WILD_NAMES = ("NHS Kent and Medway (QKS)?", "NHS Kent*~?")


def _wildcard_names(book, to, codes: list[str]):
    """A copy of the selector with the organisations `codes` (an ICB, then one listed
    after it) renamed on the Organisations sheet to WILD_NAMES, the second one picked."""
    wb = openpyxl.load_workbook(book)
    orgs = wb[selector.ORGS]
    for row in orgs.iter_rows(min_row=4):
        if row[1].value in codes:
            row[0].value = WILD_NAMES[codes.index(row[1].value)]
    wb[selector.SELECTOR]["B4"] = WILD_NAMES[1]
    wb.save(to)
    return to


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory):
    """A run's selector.xlsx with four organisations picked in turn, each recalculated by
    LibreOffice and saved again as xlsx: {org code: (rows of Selector, rows of Years)}."""
    tmp = tmp_path_factory.mktemp("selector_lo")
    out = tmp / "out"
    result = CliRunner().invoke(main, ["run", "--system", SYSTEM, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    spine = pl.read_parquet(out / folder.SPINE_PARQUET)
    icb = spine.filter(pl.col("org_code") == SYSTEM).row(0, named=True)
    sub = spine.filter(pl.col("parent_code") == SYSTEM).get_column("org_code").sort()[0]
    codes = ["ENG", icb["region_code"], SYSTEM, sub]
    names = dict(spine.select("org_code", "org_name").unique().iter_rows())
    books = []
    for code in codes:
        wb = openpyxl.load_workbook(out / folder.SELECTOR)
        wb[selector.SELECTOR]["B4"] = selector.label(names[code], code)
        books.append(tmp / f"picked_{code}.xlsx")
        wb.save(books[-1])
    books.append(_wildcard_names(out / folder.SELECTOR, tmp / "wildcards.xlsx", [SYSTEM, sub]))
    shown = {}
    for code, book in zip([*codes, WILD], convert(books, "xlsx", tmp / "lo", tmp), strict=True):
        wb = CalamineWorkbook.from_path(str(book))
        shown[code] = tuple(
            wb.get_sheet_by_name(s).to_python(skip_empty_area=False)
            for s in (selector.SELECTOR, selector.YEARS)
        )
        wb.close()
    return spine, codes, names, shown


@needs_soffice
def test_years_sheet_shows_the_picked_organisations_spine_figures(recalculated):
    spine, codes, names, shown = recalculated
    for code in codes:
        pick, years = shown[code]
        assert pick[4][1] == code  # B5: the code the pick resolves to
        assert years[0][0] == f"Figures by year: {selector.label(names[code], code)}"
        mine = spine.filter(pl.col("org_code") == code)
        header = years[2]
        year_cols = [i for i, h in enumerate(header) if h in set(mine["year"].to_list())]
        assert len(year_cols) == 5
        seen = 0
        for row in years[3:]:
            if not row[0]:
                break
            line = mine.filter(pl.col("ambition_id") == row[0])
            for i in year_cols:
                got = line.filter(pl.col("year") == header[i]).get_column("value").to_list()
                if line.is_empty():
                    want = "[z]"  # not shared out to this organisation
                elif not got or got[0] is None:
                    want = "[x]"
                else:  # LibreOffice saves 15 significant digits
                    want = pytest.approx(got[0], rel=1e-12)
                assert row[i] == want, (code, row[0], header[i], row[i], want)
                seen += not isinstance(want, str)
        assert seen == mine.filter(pl.col("value").is_not_null()).height, code


@needs_soffice
def test_plan_page_shows_the_picked_organisations_headline_figure(recalculated):
    spine, codes, names, shown = recalculated
    for code in codes:
        pick, _ = shown[code]
        assert pick[7][0] == f"What the Plan asks of {selector.label(names[code], code)}"
        perinatal = next(r for r in pick[10:] if r[0] == "Perinatal")
        last = spine.filter(
            pl.col("org_code") == code,
            pl.col("ambition_id") == "PMH-02",
            pl.col("year") == "2023/24",
        ).row(0, named=True)
        # the catalogue's short title, the figure for the round's last year without it
        said = f"PMH-02 Women in perinatal care: {last['value']:,.0f} a year"
        assert said in perinatal[1], perinatal[1]
        if code != "ENG":
            assert f"({last['share']:.1%} of England)" in perinatal[1]


@needs_soffice
def test_names_with_wildcard_characters_find_their_own_row(recalculated):
    """A picked name holding *, ~ and ? (as a pattern it matches the ICB listed before
    it) resolves to its own organisation, and shows its figures."""
    spine, codes, _, shown = recalculated
    sub = codes[-1]
    pick, years = shown[WILD]
    assert pick[3][1] == WILD_NAMES[1]
    assert pick[4][1] == sub, pick[4]
    assert years[0][0] == f"Figures by year: {WILD_NAMES[1]}"
    line = next(r for r in years[3:] if r[0] == "PMH-02")
    header = years[2]
    want = spine.filter(
        pl.col("org_code") == sub, pl.col("ambition_id") == "PMH-02", pl.col("year") == "2023/24"
    ).item(0, "value")
    assert line[header.index("2023/24")] == pytest.approx(want, rel=1e-12)
