"""selector.xlsx: written from the spine alone, byte-identical on a rerun, its pick cell a
list of every organisation, and `mhtool check` naming any cell that no longer agrees."""

from __future__ import annotations

import json
import shutil
import zipfile

import openpyxl
import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, sample_places, sample_spine
from python_calamine import CalamineWorkbook

from mhtool import vocab
from mhtool.infra import folder
from mhtool.outputs.check import check_dir
from mhtool.outputs.selector import write as selector
from mhtool.outputs.selector.check import check_selector
from mhtool.outputs.views.tables import prepare


@pytest.fixture(scope="module")
def spine():
    return sample_spine()


@pytest.fixture(scope="module")
def written(spine, tmp_path_factory):
    out = tmp_path_factory.mktemp("selector")
    spine.write_parquet(out / folder.SPINE_PARQUET)
    meta = json.dumps(SAMPLE_META.as_dict(), default=str)  # what check_dir words tables by
    folder.RunFolder(out).workbook_meta.write_text(meta, encoding="utf-8")
    selector.write_run(prepare(spine), out, SAMPLE_META)
    return out


@pytest.fixture
def run(written, tmp_path):
    """A fresh copy to corrupt."""
    shutil.copytree(written, tmp_path / "run")
    return tmp_path / "run"


def _check(out, spine, places=None):
    return check_selector(out, prepare(spine), SAMPLE_META, places)


def _sheet(path, name):
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()


def test_clean_selector_passes_its_check(written, spine):
    assert _check(written, spine) == []


def test_rerun_is_byte_identical(written, spine, tmp_path):
    again = selector.write_run(prepare(spine), tmp_path, SAMPLE_META)
    assert (tmp_path / again).read_bytes() == (written / folder.SELECTOR).read_bytes()


def test_pick_cell_lists_every_organisation_in_hierarchy_order(written, spine):
    wb = openpyxl.load_workbook(written / folder.SELECTOR)
    assert wb.sheetnames[0] == selector.SELECTOR
    assert wb.properties.title.startswith("Fair shares")
    (dv,) = wb[selector.SELECTOR].data_validations.dataValidation
    assert dv.type == "list" and str(dv.sqref) == "B4"
    sheet, cells = dv.formula1.split("!")
    first, last = (int(c.split("$")[-1]) for c in cells.split(":"))
    listed = [wb[sheet][f"B{r}"].value for r in range(first, last + 1)]
    orgs = spine.select("org_code", "level").unique()
    assert sorted(listed) == sorted(orgs.get_column("org_code").to_list())
    assert listed[0] == vocab.ENGLAND_CODE
    level = dict(orgs.iter_rows())
    parent = dict(spine.select("org_code", "parent_code").unique().iter_rows())
    for i, code in enumerate(listed[1:], 1):  # each organisation after its parent
        assert parent[code] in listed[:i], code
        assert vocab.LEVEL_ORDER[level[code]] >= 1
    assert wb[selector.SELECTOR]["B4"].value == "England"
    assert not wb[selector.SELECTOR].merged_cells.ranges
    with zipfile.ZipFile(written / folder.SELECTOR) as z:
        names = z.namelist()
    assert not [n for n in names if "externalLink" in n or "vba" in n.lower()]


def test_saved_values_are_englands_figures_from_the_spine(written, spine):
    """A viewer that does not recalculate shows England: the cached values of the Years
    sheet equal England's spine rows, [x] where a year has no figure."""
    rows = _sheet(written / folder.SELECTOR, selector.YEARS)
    years = rows[2][4:9]
    england = spine.filter(pl.col("level") == "england")
    checked = 0
    for row in rows[3:]:
        if not row[0]:
            break
        got = england.filter(pl.col("ambition_id") == row[0])
        for y, cell in zip(years, row[4:9], strict=True):
            want = got.filter(pl.col("year") == y).get_column("value").to_list()
            assert cell == (want[0] if want and want[0] is not None else "[x]"), (row[0], y)
            checked += 1
    assert checked == england.height


def test_check_names_a_tampered_data_value(run, spine):
    path = run / folder.SELECTOR
    wb = openpyxl.load_workbook(path)
    ws = wb[selector.DATA]
    cell = next(c for c in ws["C"][3:] if isinstance(c.value, (int, float)) and c.value)
    cell.value += 1
    wb.save(path)
    problems = _check(run, spine)
    assert any(f"Data!{cell.coordinate}: found" in p for p in problems), problems


def test_check_names_a_typed_over_formula_and_a_stale_saved_value(run, spine):
    path = run / folder.SELECTOR
    wb = openpyxl.load_workbook(path)
    wb[selector.YEARS]["E4"] = 12345  # a figure typed over its lookup
    wb.save(path)
    problems = _check(run, spine)
    assert any("Years!E4: formula is None" in p for p in problems), problems


def test_check_names_a_missing_list(run, spine):
    path = run / folder.SELECTOR
    wb = openpyxl.load_workbook(path)
    wb[selector.SELECTOR].data_validations.dataValidation = []
    wb.save(path)
    assert any("no list to pick" in p for p in _check(run, spine))


def test_long_lookup_sheets_print_their_header_only_and_check_says_when_not(run, spine):
    path = run / folder.SELECTOR
    wb = openpyxl.load_workbook(path)
    assert wb[selector.DATA].print_area == "'Data'!$A$1:$F$3"
    assert wb[selector.PLAN_DATA].print_area == "'Plan data'!$A$1:$E$3"
    assert not wb[selector.YEARS].print_area
    wb[selector.DATA].print_area = "A1:F99"
    wb.save(path)
    assert any("Data: prints $A$1:$F$99" in p for p in _check(run, spine))


def test_plan_and_years_headers_repeat_on_printed_pages_and_check_says_when_not(run, spine):
    """The Plan page runs onto a second printed page: its header row (programme / Fixed /
    Flexible / Targeted) prints on each, as the Years table's does."""
    path = run / folder.SELECTOR
    wb = openpyxl.load_workbook(path)
    head = wb[selector.SELECTOR].cell(selector.PLAN_TOP + 3, 1)
    assert head.value == "Programme" and wb[selector.SELECTOR].cell(head.row, 2).value
    assert wb[selector.SELECTOR].print_title_rows == f"${head.row}:${head.row}"
    assert wb[selector.YEARS].print_title_rows == "$3:$3"
    wb[selector.SELECTOR].print_title_rows = "1:1"  # a sheet's title, not the table's header
    wb.save(path)
    problems = _check(run, spine)
    want = f"expected ${head.row}:${head.row}"
    assert f"selector.xlsx Selector: repeats $1:$1 on printed pages; {want}" in problems


def test_years_prints_at_a_readable_size_and_check_says_when_not(run, spine):
    """The Years sheet's text columns are narrowed so it prints one page wide at 9 pt or
    more (it printed at about 6.9 pt); a sheet widened past that is named."""
    from mhtool.outputs.views.layout import READABLE_PT
    from mhtool.outputs.workbook.check import printed_size, read_structure

    path = run / folder.SELECTOR
    columns = len(selector.years_columns(selector.build(prepare(spine), SAMPLE_META)))
    assert printed_size(read_structure(path)[1][selector.YEARS], columns) >= READABLE_PT
    wb = openpyxl.load_workbook(path)
    wb[selector.YEARS].column_dimensions["C"].width = 120
    wb.save(path)
    problems = [p for p in _check(run, spine) if " pt" in p]
    assert len(problems) == 1 and problems[0].startswith("selector.xlsx Years: prints at ")


def test_check_dir_runs_the_selector_check(run, spine):
    spine.write_parquet(run / folder.SPINE_PARQUET)
    report = check_dir(run, workers=1)
    assert not [p for p in report.problems if "selector" in p]
    assert report.selector and "selector.xlsx" in report.summary
    wb = openpyxl.load_workbook(run / folder.SELECTOR)
    wb[selector.ORGS]["B4"] = "XXX"
    wb.save(run / folder.SELECTOR)
    assert any("Organisations!B4" in p for p in check_dir(run, workers=1).problems)


def test_places_are_listed_under_their_parent_until_there_are_too_many(
    spine, tmp_path, monkeypatch
):
    icbs = spine.filter(pl.col("level") == "icb").get_column("org_code").unique().sort()[:1]
    places = sample_places(spine, icbs.to_list())
    sel = selector.build(prepare(spine), SAMPLE_META, places)
    listed = sel.orgs.get_column("org_code").to_list()
    place_codes = places.get_column("org_code").unique().to_list()
    assert set(place_codes) <= set(listed)
    for code in place_codes:  # right after its sub-ICB location or a sibling place
        parent = code.rsplit("-P", 1)[0]
        assert listed.index(parent) < listed.index(code)
    selector.write(tmp_path / folder.SELECTOR, sel, SAMPLE_META)
    assert _check(tmp_path, spine, places) == []
    monkeypatch.setattr(selector, "MAX_PLACES", len(place_codes) - 1)
    fewer = selector.build(prepare(spine), SAMPLE_META, places)
    assert fewer.places_left_out == len(place_codes)
    assert not set(place_codes) & set(fewer.orgs.get_column("org_code").to_list())
