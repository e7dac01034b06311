"""Workbooks, charts and planning CSVs written from a small synthetic spine."""

from __future__ import annotations

import csv
import zipfile

import openpyxl
import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, sample_spine
from hypothesis import given
from hypothesis import strategies as st

from mhtool.errors import InputError
from mhtool.outputs import write_outputs
from mhtool.outputs.charts.write import fmt_value
from mhtool.outputs.views.layout import SHEETS, TABLES
from mhtool.planning.template import TEMPLATE_COLUMNS, format_value

FORMULA_NAME = '=HYPERLINK("http://example.com","click")'


@pytest.fixture(scope="module")
def spine() -> pl.DataFrame:
    return sample_spine()


@pytest.fixture(scope="module")
def run(tmp_path_factory, spine):
    out = tmp_path_factory.mktemp("run")
    paths = write_outputs(spine, out, SAMPLE_META, subicb_workbooks=True, progress=False, workers=1)
    return out, paths


def _rel(out, paths):
    return [p.relative_to(out).as_posix() for p in paths]


def test_writes_every_file_named_by_code_in_a_stable_order(run):
    out, paths = run
    rel = _rel(out, paths)
    assert rel[:7] == [
        "england.xlsx",
        "selector.xlsx",
        "regions/Y56.xlsx",
        "regions/Y57.xlsx",
        "systems/QA0.xlsx",
        "systems/QA1.xlsx",
        "systems/QA2.xlsx",
    ]
    assert [r for r in rel if r.startswith("subicbs/")] == [f"subicbs/01{c}.xlsx" for c in "ABCDEF"]
    assert [r for r in rel if r.startswith("planning/")] == [
        "planning/england.csv",
        "planning/QA0.csv",
        "planning/QA1.csv",
        "planning/QA2.csv",
        "planning/funding_workforce.csv",
        "planning/other_lines.csv",
        "planning/profile.json",
    ]
    assert {r for r in rel if r.startswith("charts/")} == {
        "charts/england.png",
        "charts/england_compare.png",
        "charts/Y56.png",
        "charts/Y56_compare.png",
        "charts/Y57_compare.png",
        "charts/Y57.png",
        "charts/QA0.png",
        "charts/QA1.png",
        "charts/QA2.png",
    }
    assert all(p.exists() for p in paths)
    assert sorted(rel) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    )


def test_layout_follows_the_guidance(run):
    out, _ = run
    for path in [out / "england.xlsx", out / "systems/QA0.xlsx", out / "subicbs/01A.xlsx"]:
        wb = openpyxl.load_workbook(path)
        compare = ["Compare"] if path.name == "england.xlsx" else []
        # a run without places has no Places sheet (see test_outputs_places), one whose
        # catalogue maps no actuals no Delivery sheet (tests/unit/test_delivery.py)
        shown = [s for s in SHEETS if s not in ("Places", "Delivery")]
        assert wb.sheetnames == [s for s in shown if s != "Compare" or compare]
        assert wb.active.title == "Cover"
        assert wb.properties.title.startswith("Fair shares of national mental health ambitions")
        names = []
        for ws in wb.worksheets:
            assert isinstance(ws["A1"].value, str) and ws["A1"].value
            assert not ws.merged_cells.ranges
            if ws.title in TABLES:
                assert list(ws.tables) == [TABLES[ws.title]]
                ref = ws.tables[TABLES[ws.title]].ref
                assert ref.startswith("A3:")
                names.append(TABLES[ws.title])
                # no blank rows or columns inside the table
                for row in ws[ref]:
                    assert all(c.value is not None for c in row), (ws.title, row[0].row)
            else:
                assert not ws.tables
            for row in ws.iter_rows():
                assert all(c.data_type != "f" for c in row)
        assert len(names) == len(set(names))


def test_numbers_are_numbers_with_formats(run):
    out, _ = run
    ws = openpyxl.load_workbook(out / "systems/QA0.xlsx")["Fixed"]
    header = [c.value for c in ws[3]]
    col = header.index("2023/24") + 1
    money_row = next(
        r for r in range(4, ws.max_row + 1) if ws.cell(r, header.index("Unit") + 1).value == "£"
    )
    assert ws.cell(money_row, col).number_format == "£#,##0"  # a row's own format
    units = {
        ws.cell(r, header.index("Unit") + 1).value: ws.cell(r, col)
        for r in range(4, ws.max_row + 1)
    }
    assert isinstance(units["people"].value, (int, float))
    assert units["people"].number_format == "#,##0"
    summary = openpyxl.load_workbook(out / "systems/QA0.xlsx")["Summary"]
    share = [c.value for c in summary[3]].index("Share of England, 2023/24") + 1
    assert summary.cell(4, share).number_format == "0.000%"
    money = openpyxl.load_workbook(out / "systems/QA0.xlsx")["Funding"]
    last_year = [c.value for c in money[3]].index("2023/24") + 1
    assert money.cell(4, last_year).number_format == "£#,##0"
    wte = openpyxl.load_workbook(out / "systems/QA0.xlsx")["Workforce"]
    last_year = [c.value for c in wte[3]].index("2023/24") + 1
    assert wte.cell(4, last_year).value is not None
    assert wte.cell(4, last_year).number_format == "#,##0.0"
    assert wte.cell(4, last_year + 1).value == "WTE"  # the unit beside the figures


def test_text_that_looks_like_a_formula_stays_text(run):
    out, _ = run
    for path, sheet in [(out / "england.xlsx", "Funding"), (out / "subicbs/01A.xlsx", "Fixed")]:
        ws = openpyxl.load_workbook(path)[sheet]
        cells = [
            c
            for row in ws.iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith(FORMULA_NAME)
        ]
        assert cells and all(c.data_type == "s" for c in cells)
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    assert b"<f>" not in z.read(name)


def test_rerun_is_byte_identical_in_parallel_too(run, spine, tmp_path):
    out, paths = run
    again = write_outputs(
        spine, tmp_path, SAMPLE_META, subicb_workbooks=True, progress=False, workers=2
    )
    assert _rel(tmp_path, again) == _rel(out, paths)
    for a, b in zip(paths, again, strict=False):
        assert a.read_bytes() == b.read_bytes(), a


def test_png_has_no_software_or_time_metadata(run):
    out, _ = run
    data = (out / "charts/QA0.png").read_bytes()
    assert data.startswith(b"\x89PNG")
    assert b"Software" not in data and b"tIME" not in data
    with zipfile.ZipFile(out / "systems/QA0.xlsx") as z:
        media = [n for n in z.namelist() if n.startswith("xl/media/")]
        assert len(media) == 1 and z.read(media[0]) == data


def test_region_filter_writes_only_that_region(spine, tmp_path):
    paths = write_outputs(spine, tmp_path, SAMPLE_META, region="y56", progress=False)
    rel = _rel(tmp_path, paths)
    assert "england.xlsx" not in rel and "regions/Y56.xlsx" in rel
    assert "regions/Y57.xlsx" not in rel
    assert {r for r in rel if r.startswith("systems/")} == {"systems/QA0.xlsx", "systems/QA2.xlsx"}
    ws = openpyxl.load_workbook(tmp_path / "regions/Y56.xlsx")["Data"]
    assert {r[0] for r in ws.iter_rows(min_row=4, values_only=True)} >= {"Y56", "QA0", "01A"}
    assert "Y57" not in {r[0] for r in ws.iter_rows(min_row=4, values_only=True)}


def test_system_filter_and_unknown_codes(spine, tmp_path):
    rel = _rel(
        tmp_path,
        write_outputs(
            spine, tmp_path, SAMPLE_META, system="QA1", subicb_workbooks=True, progress=False
        ),
    )
    assert rel == [
        "selector.xlsx",  # in every run: every organisation, to pick from
        "systems/QA1.xlsx",
        "subicbs/01B.xlsx",
        "subicbs/01E.xlsx",
        "charts/QA1.png",
        "planning/QA1.csv",
        "planning/funding_workforce.csv",
        "planning/other_lines.csv",
        "planning/profile.json",
        "report/systems/QA1.html",
        "workbooks.json",
    ]
    with pytest.raises(InputError, match="valid region codes: Y56, Y57"):
        write_outputs(spine, tmp_path, SAMPLE_META, region="Y99")
    with pytest.raises(InputError, match="valid ICB codes: QA0, QA1, QA2"):
        write_outputs(spine, tmp_path, SAMPLE_META, system="XXX")
    with pytest.raises(InputError, match="not in region"):
        write_outputs(spine, tmp_path, SAMPLE_META, region="Y56", system="QA1")


def test_system_workbook_has_context_rows_but_data_is_its_own(run):
    out, _ = run
    wb = openpyxl.load_workbook(out / "systems/QA0.xlsx")
    fixed = wb["Fixed"]
    org = [c.value for c in fixed[3]].index("Organisation")
    first = [r for r in fixed.iter_rows(min_row=4, values_only=True) if r[0] == "A01"]
    codes = [r[org].split()[-1].strip("()") for r in first]
    assert list(dict.fromkeys(codes)) == ["QA0", "01A", "01D", "Y56", "England"]  # own first
    data_orgs = {r[0] for r in wb["Data"].iter_rows(min_row=4, values_only=True)}
    assert data_orgs == {"QA0", "01A", "01D"}


def test_planning_csv_layout(run, spine):
    out, _ = run
    with open(out / "planning/england.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == TEMPLATE_COLUMNS
    assert {r["org_code"] for r in rows} == {"ENG"}
    assert {r["planning_ref"] for r in rows} == {"E.S.1", "E.S.3", "E.S.4"}
    assert {r["measure_type"] for r in rows} == {"Count", "Percentage"}
    assert {r["dim_type"] for r in rows} == {"Month"}
    assert {r["source"] for r in rows} == {"mhtool fair share synthetic catalogue 2024-03-31"}
    with open(out / "planning/QA0.csv", newline="") as fh:
        qa0 = list(csv.DictReader(fh))
    assert {r["org_code"] for r in qa0} == {"QA0"}  # ICB rows only by default
    assert {r["icb_code"] for r in qa0} == {"QA0"}


def test_empty_categories_keep_their_sheets_and_others_are_left_out(spine, tmp_path):
    part = spine.filter(pl.col("measure") != "workforce", pl.col("category") != "targeted")
    write_outputs(part, tmp_path, SAMPLE_META, system="QA0", progress=False)
    names = openpyxl.load_workbook(tmp_path / "systems/QA0.xlsx", read_only=True).sheetnames
    assert names == [
        "Cover",
        "Contents",
        "Plan",
        "Summary",
        "Charts",
        "Fixed",
        "Flexible",
        "Targeted",
        "Funding",
        "Shares",
        "Notes",
        "Data",
    ]


def test_quiet_when_not_a_terminal(spine, tmp_path, capsys):
    write_outputs(spine, tmp_path, SAMPLE_META, system="QA0")
    shown = capsys.readouterr()
    assert (shown.out, shown.err) == ("", "")  # the progress bar would be on stderr


def test_progress_line_on_stderr_on_a_terminal(spine, tmp_path, capsys, monkeypatch):
    """The other half of the test above: on a terminal the progress line is seen there."""
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    write_outputs(spine, tmp_path, SAMPLE_META, system="QA0")
    shown = capsys.readouterr()
    assert shown.out == "" and "Writing workbooks" in shown.err


@pytest.mark.parametrize(
    "value, unit, unit_kind, text",
    [
        (1234.0, "people", "people", "1,234 people"),
        (84.3, "WTE", "staff", "84.3 WTE"),
        (96_960_000.0, "GBP (cash)", "gbp", "£97m"),
        (909_000.0, "£", "gbp", "£909k"),
        (None, "people", "people", "[x]"),
    ],
)
def test_chart_value_labels(value, unit, unit_kind, text):
    assert fmt_value(value, unit, unit_kind) == text


@pytest.mark.parametrize(
    "value, text", [(1234.0, "1234"), (84.3, "84.3"), (0.1 + 0.2, "0.3"), (None, ""), (-2.0, "-2")]
)
def test_planning_values_are_stable_text(value, text):
    assert format_value(value) == text


def test_blank_references_and_gbp_units_as_the_real_spine_has_them(spine, tmp_path):
    real_like = spine.with_columns(
        planning_ref=pl.when(pl.col("ambition_id").is_in(["A01", "A02"]))
        .then(pl.lit(""))
        .otherwise(pl.col("planning_ref")),
        unit=pl.when(pl.col("unit") == "£")
        .then(pl.lit("GBP (additional vs 2018/19)"))
        .otherwise(pl.col("unit")),
        basis=pl.col("basis").fill_null(""),
    )
    write_outputs(real_like, tmp_path, SAMPLE_META, system="QA0", progress=True)
    wb = openpyxl.load_workbook(tmp_path / "systems/QA0.xlsx")
    header = [c.value for c in wb["Funding"][3]]
    money = next(r for r in wb["Funding"].iter_rows(min_row=4) if "number 2 " in r[1].value)
    assert money[header.index("2023/24")].number_format == "£#,##0"
    assert money[header.index("Unit")].value == "£ (additional vs 2018/19)"
    data = [r for r in wb["Data"].iter_rows(min_row=4, values_only=True) if r[2] == "A02"]
    assert data and {r[1] for r in data} == {"[x]"}  # never the ambition ID in its place
    with open(tmp_path / "planning/funding_workforce.csv", newline="") as fh:
        money = [r for r in csv.DictReader(fh) if r["metric_code"] == "A02"]
    assert money and {r["unit"] for r in money} == {"GBP (additional vs 2018/19)"}


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_planning_values_round_trip(tenths):
    value = tenths / 10
    text = format_value(value)
    assert float(text) == value
    assert not text.endswith(".0")


def test_readable_sheets_print_at_nine_points_and_the_check_says_when_not(run, tmp_path):
    """Every sheet people read on paper prints at 9 pt or more (its columns fitted to an A4
    landscape page); a Summary whose columns were widened to print at half size is named."""
    import re
    import zipfile

    from xlsxwriter.utility import xl_cell_to_rowcol

    from mhtool.outputs.views.layout import READABLE
    from mhtool.outputs.workbook.check import check_print, printed_size, read_structure

    out, _ = run
    for rel in ["england.xlsx", "regions/Y56.xlsx", "systems/QA0.xlsx"]:
        st, xml = read_structure(out / rel)
        sheets = [n for n, _ in st.sheets if n in READABLE]
        assert {"Plan", "Summary", "Fixed", "Flexible", "Targeted"} <= set(sheets), rel
        for name in sheets:  # the columns it prints: its print area's, or its table's
            area = st.print_areas.get(name)
            refs = [area.replace("$", "")] if area else [ref for _, ref in st.tables[name]]
            columns = max(xl_cell_to_rowcol(r.split(":")[1])[1] + 1 for r in refs)
            assert printed_size(xml[name], columns) >= 9, (rel, name)
        assert check_print(out / rel, rel) == []
    st, _ = read_structure(out / "systems/QA0.xlsx")
    part = dict(st.sheets)["Summary"]
    widened = tmp_path / "QA0.xlsx"
    with zipfile.ZipFile(out / "systems/QA0.xlsx") as src, zipfile.ZipFile(widened, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                data = re.sub(
                    rb'width="([0-9.]+)"', lambda m: b'width="%.2f"' % (float(m[1]) * 2.5), data
                )
            dst.writestr(item, data)
    problems = check_print(widened, "systems/QA0.xlsx")
    assert len(problems) == 1 and problems[0].startswith("systems/QA0.xlsx Summary: prints at ")
    assert "people read 9 pt or more" in problems[0]


def test_the_cover_prints_on_one_page_its_rows_as_tall_as_their_wrapped_lines(run):
    """Each Cover row is as tall as its text's lines at word breaks in the Cover's column
    (workbook.text_lines: no line cut off, none left empty), and the whole Cover fits one
    A4 landscape page at full size."""
    from mhtool.outputs.views.layout import MARGIN, column_px, printable_px
    from mhtool.outputs.workbook.write import COVER_WIDTH, LINE_HEIGHT, text_lines

    out, _ = run
    page_pt = (210 / 25.4 - 2 * MARGIN) * 72
    for rel in ["england.xlsx", "regions/Y56.xlsx", "systems/QA0.xlsx", "subicbs/01A.xlsx"]:
        ws = openpyxl.load_workbook(out / rel)["Cover"]
        assert column_px(COVER_WIDTH) <= printable_px()  # printed at full size
        heights = []
        for r in range(1, ws.max_row + 1):
            lines = text_lines(str(ws.cell(r, 1).value or ""), COVER_WIDTH - 1)
            height = ws.row_dimensions[r].height or LINE_HEIGHT
            want = LINE_HEIGHT * lines + 2 if lines > 1 else LINE_HEIGHT
            assert height == pytest.approx(want, abs=0.75), (rel, r)  # stored to a pixel
            heights.append(height)
        assert max(heights) > 4 * LINE_HEIGHT  # 'How to use it' wraps
        assert sum(heights) <= page_pt, rel


def test_the_notes_print_across_the_page_at_a_readable_size(run):
    """The Notes sheet is read on paper too: its text column as wide as an A4 landscape
    page holds at 9 pt or a little more (not at 8 pt, as it was, nor narrower)."""
    from mhtool.outputs.views.layout import READABLE
    from mhtool.outputs.workbook.check import printed_size, read_structure
    from mhtool.outputs.workbook.write import LINE_HEIGHT, text_lines

    assert "Notes" in READABLE  # so `mhtool check` holds it to 9 pt
    out, _ = run
    for rel in ["england.xlsx", "systems/QA0.xlsx"]:
        _, xml = read_structure(out / rel)
        assert 9 <= printed_size(xml["Notes"], 2) <= 9.3, rel
        ws = openpyxl.load_workbook(out / rel)["Notes"]
        width = ws.column_dimensions["B"].width - 0.71  # as set: the file stores 5 px more
        tall = 0
        for r in range(4, ws.max_row + 1):  # each row as tall as its note's lines, no more
            lines = text_lines(ws.cell(r, 2).value, width - 1)
            want = LINE_HEIGHT * lines + 2 if lines > 1 else LINE_HEIGHT
            assert (ws.row_dimensions[r].height or LINE_HEIGHT) == pytest.approx(want, abs=0.75)
            tall = max(tall, lines)
        assert tall > 1, rel  # a note wraps


def test_funding_and_workforce_print_the_organisations_own_rows(run, spine):
    """A system's Funding and Workforce sheets print its own rows (its sub-ICB locations
    and the levels above follow on screen, as A2 says first), at 9 pt or more; `mhtool
    check` names such a sheet printing the whole of it."""
    from dataclasses import replace

    from mhtool.outputs.views import scope as scopes
    from mhtool.outputs.views.sheets import workbook_tables
    from mhtool.outputs.views.tables import PRINTED_FIRST, prepare
    from mhtool.outputs.workbook.check import check_print

    out, _ = run
    rel = "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(out / rel)
    rows = scopes.rows(prepare(spine), scopes.Scope("icb", "QA0"))
    made = {t.sheet: t for t in workbook_tables(rows, SAMPLE_META)}
    areas = {}
    for sheet in ("Funding", "Workforce"):
        ws = wb[sheet]
        names = [ws.cell(r, 1).value for r in range(4, ws.max_row + 1)]
        own = names.count(names[0])
        assert 0 < own < len(names) and names[0].endswith("(QA0)"), sheet
        areas[sheet] = f"$A$1:${chr(64 + ws.max_column)}${3 + own}"
        assert ws.print_area == f"'{sheet}'!{areas[sheet]}"
        assert ws["A2"].value.startswith(PRINTED_FIRST)
        assert made[sheet].print_area == (own, ws.max_column)
    assert check_print(out / rel, rel, expected=list(made.values())) == []
    whole = [replace(t, print_area=None) if t.sheet == "Funding" else t for t in made.values()]
    problems = check_print(out / rel, rel, expected=whole)
    assert problems == [
        f"{rel} Funding: its print area is {areas['Funding']}; expected the whole sheet"
    ]
