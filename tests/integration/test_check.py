"""`mhtool check`: passes a clean run, and names the cell, line or sum that is wrong."""

from __future__ import annotations

import shutil

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.sample import SAMPLE_META, sample_spine

from mhtool.cli import main
from mhtool.infra.manifest import write_manifest
from mhtool.outputs import write_outputs
from mhtool.outputs.check import check_dir, check_sums, read_meta
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.sheets import workbook_tables
from mhtool.outputs.views.tables import prepare
from mhtool.outputs.workbook.check import check_layout, check_values, check_workbook
from mhtool.spine import write_spine


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    spine = sample_spine()
    write_outputs(spine, out, SAMPLE_META, subicb_workbooks=True, progress=False, workers=1)
    spine.write_parquet(out / "apportionment.parquet")
    return out


@pytest.fixture
def listed(clean, tmp_path):
    """A copy of the clean run with its CSV spine and a manifest.json, as `mhtool run`
    leaves it."""
    out = tmp_path / "listed"
    shutil.copytree(clean, out)
    write_spine(pl.read_parquet(out / "apportionment.parquet"), out)  # as a run writes it
    write_manifest(out, settings={}, inputs={})
    (out / "run.log").write_text("log\n")
    return out


@pytest.fixture
def run(clean, tmp_path):
    """A fresh copy of the clean run to corrupt."""
    shutil.copytree(clean, tmp_path / "run")
    return tmp_path / "run"


def _expected(run, rel):
    spine = prepare(pl.read_parquet(run / "apportionment.parquet"))
    return workbook_tables(scopes.rows(spine, scopes.Scope.from_path(rel)), read_meta(run))


def test_clean_run_passes(clean):
    report = check_dir(clean)
    assert report.problems == []
    assert report.workbooks == 12 and report.csvs == 6
    result = CliRunner().invoke(main, ["check", str(clean)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 12 workbooks and 6 planning CSV files match")
    assert len(result.stdout.strip().splitlines()) == 1
    # not on a terminal: progress as log lines on stderr, as a run tells it
    assert "INFO Checking workbooks: 12/12 (100%), done in" in result.stderr
    quiet = CliRunner().invoke(main, ["check", "-q", str(clean)])
    assert quiet.exit_code == 0 and "Checking" not in quiet.stderr


def test_a_changed_workbook_value_is_named(run):
    path = run / "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Summary"]
    header = [c.value for c in ws[3]]
    col = header.index("2023/24") + 1
    original = ws.cell(6, col).value
    ws.cell(6, col).value = original + 1
    wb.save(path)
    problems = _check(run, "systems/QA0.xlsx")
    letter = openpyxl.utils.get_column_letter(col)
    assert len(problems) == 1, problems  # re-saving with openpyxl breaks no layout rule
    assert problems[0].startswith(
        f"systems/QA0.xlsx Summary!{letter}6: found {original + 1}, spine gives {float(original)!r}"
    )
    result = CliRunner().invoke(main, ["check", str(run)])
    assert result.exit_code == 1
    assert f"systems/QA0.xlsx Summary!{letter}6: found" in result.output


def test_a_number_stored_as_text_is_caught(run):
    path = run / "england.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["Data"]
    ws["F4"].value = str(ws["F4"].value)
    wb.save(path)
    assert any(p.startswith("england.xlsx Data!F4: found '") for p in _check(run, "england.xlsx"))


def test_a_changed_csv_value_is_named(run):
    path = run / "planning/QA0.csv"
    lines = path.read_text().splitlines()
    fields = lines[3].split(",")
    fields[-1] = str(int(fields[-1]) + 1)
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    problems = check_dir(run).problems
    assert len(problems) == 3
    assert problems[0].startswith("planning/QA0.csv line 4: found ")
    assert problems[1].startswith("planning/QA0.csv line 4: A01 2021/22 QA0: the months give ")
    assert problems[2].startswith("planning: E.S.1 Count 2021/22 Mar: the ICB files sum to ")


def test_a_broken_sum_in_the_spine_is_named():
    spine = sample_spine()
    broken = spine.with_columns(
        pl.when(
            (pl.col("org_code") == "01A")
            & (pl.col("ambition_id") == "A01")
            & (pl.col("year") == "2023/24")
        )
        .then(pl.col("value") + 1)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    assert check_sums(spine) == []
    problems = check_sums(broken)
    assert len(problems) == 1
    assert problems[0].startswith("sums: A01 2023/24: the 2 subicb rows under QA0 sum to ")


def test_a_broken_sum_fails_the_run_check(run):
    spine = pl.read_parquet(run / "apportionment.parquet")
    spine.with_columns(
        pl.when((pl.col("org_code") == "QA2") & (pl.col("ambition_id") == "A02"))
        .then(pl.col("value") - 1)
        .otherwise(pl.col("value"))
        .alias("value")
    ).write_parquet(run / "apportionment.parquet")
    problems = check_dir(run).problems
    assert any(
        p.startswith("sums: A02 2019/20: the 2 subicb rows under QA2 sum to") for p in problems
    )
    assert any(p.startswith("sums: A02 2019/20: the 2 icb rows under Y56 sum to") for p in problems)


def _check(run, rel):
    spine = prepare(pl.read_parquet(run / "apportionment.parquet"))
    return check_workbook(run / rel, rel, spine, read_meta(run))


def _layout(run, rel):
    return check_layout(run / rel, rel, _expected(run, rel))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda wb: wb["Fixed"].merge_cells("A1:C1"), "systems/QA0.xlsx Fixed: has merged cells"),
        (lambda wb: wb["Notes"].cell(1, 5, "=1+1"), "systems/QA0.xlsx Notes: has formula cells"),
        (lambda wb: setattr(wb["Shares"], "title", "Split"), "systems/QA0.xlsx: sheets are"),
        (lambda wb: wb.move_sheet("Data", -3), "systems/QA0.xlsx: sheets are"),
        (lambda wb: setattr(wb, "active", 3), "systems/QA0.xlsx: sheet 4 is active"),
        (
            lambda wb: setattr(wb["Cover"].sheet_view.selection[0], "activeCell", "B7"),
            "systems/QA0.xlsx: the cursor on Cover is at B7, not A1",
        ),
        (
            lambda wb: setattr(wb.properties, "title", None),
            "systems/QA0.xlsx: the workbook's title",
        ),
        (
            lambda wb: setattr(wb["Fixed"].tables["fixed_ambitions"], "displayName", "summary"),
            "systems/QA0.xlsx Fixed: table name 'summary' is also used",
        ),
        (
            lambda wb: setattr(wb["Data"].tables["data_long"], "ref", "A4:H15"),
            "systems/QA0.xlsx Data: table covers A4:H15, expected A3:I",
        ),
    ],
)
def test_layout_breaks_are_named(run, edit, message):
    rel = "systems/QA0.xlsx"
    assert _layout(run, rel) == []
    wb = openpyxl.load_workbook(run / rel)
    edit(wb)
    wb.save(run / rel)
    problems = _layout(run, rel)
    assert any(p.startswith(message) for p in problems), problems


def test_a_missing_title_and_a_formula_cell_are_named(run):
    rel = "subicbs/01A.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    wb["Workforce"]["A1"].value = None
    wb["Fixed"]["D6"].value = '=HYPERLINK("http://example.com","click")'
    wb["Fixed"]["D6"].data_type = "f"
    wb.save(run / rel)
    problems = check_values(run / rel, rel, _expected(run, rel))
    assert f"{rel} Workforce!A1: no title" in problems
    assert f"{rel} Fixed!D6: is a formula" in problems


def test_check_needs_the_spine(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "apportionment.parquet" in result.output


def test_files_are_held_to_the_manifest(listed):
    report = check_dir(listed)
    assert report.problems == [] and report.manifest
    assert "every file is listed in manifest.json" in report.summary
    (listed / "systems/QA0.xlsx").unlink()
    (listed / "charts/QA9.png").write_bytes(b"\x89PNG")
    (listed / "planning/extra.csv").write_text("a\n")
    (listed / "changes.csv").write_text("a\n")  # a comparison adds these afterwards
    (listed / "changes.xlsx").write_bytes(b"")
    problems = check_dir(listed).problems
    assert "systems/QA0.xlsx: listed in manifest.json but missing" in problems
    assert "charts/QA9.png: present but not listed in manifest.json" in problems
    assert not any(p.startswith("changes.") for p in problems)
    result = CliRunner().invoke(main, ["check", str(listed)])
    assert (
        result.exit_code == 1
        and "systems/QA0.xlsx: listed in manifest.json but missing" in result.output
    )


def test_the_csv_spine_must_match_the_parquet_one(listed):
    path = listed / "apportionment.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[5].split(",")
    col = header.index("value")
    fields[col] = str(float(fields[col]) + 1)
    lines[5] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    problems = check_dir(listed).problems
    assert problems[0] == (
        "apportionment.csv: changed since the run (its sha256 differs from manifest.json)"
    )
    assert len(problems) == 2 and problems[1].startswith("apportionment.csv line 6: value is "), (
        problems
    )
    path.write_text("\n".join(lines[:-3]) + "\n")
    problems = check_dir(listed).problems
    assert any(p.startswith("apportionment.csv: has ") for p in problems), problems


def test_print_setup_and_unreferenced_notes_are_named(run):
    rel = "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    wb["Summary"].page_setup.orientation = "portrait"
    ws = wb["Notes"]
    ws.cell(ws.max_row + 1, 1).value = "note 99"
    ws.cell(ws.max_row, 2).value = "A note no table refers to."
    wb.save(run / rel)
    problems = _check(run, rel)
    assert f"{rel} Summary: does not print A4 landscape" in problems
    assert any(p.startswith(f"{rel} Notes: row ") and "beyond" in p for p in problems), problems


def _edit_page(run, rel, old, new, count=1):
    path = run / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_the_report_pages_are_checked(clean):
    report = check_dir(clean)
    pages = sorted(p.relative_to(clean).as_posix() for p in (clean / "report").rglob("*.html"))
    assert report.pages == len(pages) and "report/index.html" in pages
    assert f"{len(pages)} report pages show the spine's figures" in report.summary


def test_a_changed_report_figure_is_named(run):
    import re

    rel = "report/systems/QA0.html"
    text = (run / rel).read_text(encoding="utf-8")
    cell = re.compile(
        r'data-ambition="(A\d+)" data-year="2023/24" (?:data-org="QA0" )?'
        r'data-value="([^"]+)">([^<]+)<'
    ).search(text, text.index('<table id="summary"'))
    aid, value, shown = cell.groups()
    _edit_page(run, rel, cell.group(0), cell.group(0).replace(f">{shown}<", ">1<"))
    problems = check_dir(run).problems
    # the same figure shows first on the category sheet's table of the page
    assert any(rel in p and " row " in p and "shows '1'" in p for p in problems), problems
    _edit_page(run, rel, ">1<", f">{shown}<")
    _edit_page(run, rel, f'data-value="{value}"', f'data-value="{float(value) + 1}"')
    problems = check_dir(run).problems
    assert any(rel in p and "carries" in p for p in problems), problems


def test_a_missing_report_row_is_named(run):
    rel = "report/index.html"
    text = (run / rel).read_text(encoding="utf-8")
    start = text.index("<tbody><tr>", text.index('<table id="summary"')) + len("<tbody>")
    end = text.index("</tr>", start) + len("</tr>")
    (run / rel).write_text(text[:start] + text[end:], encoding="utf-8")
    problems = check_dir(run).problems
    assert any(rel in p and "summary has" in p and "rows" in p for p in problems), problems


def test_every_report_link_must_resolve_within_the_run(run):
    rel = "report/index.html"
    text = (run / rel).read_text(encoding="utf-8")
    href = text[text.index('href="regions/') :].split('"')[1]
    (run / "report" / href).unlink()  # a page the index links to is gone
    _edit_page(run, rel, "</footer>", '</footer><a href="https://example.org/x">x</a>')
    problems = check_dir(run).problems
    assert any(rel in p and f"the link {href} goes to no file" in p for p in problems), problems
    assert any(rel in p and "links outside the run" in p for p in problems), problems


def test_a_changed_category_sheet_figure_or_source_is_named(run):
    rel = "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    ws = wb["Flexible"]
    header = [c.value for c in ws[3]]
    year, source = header.index("2023/24") + 1, header.index("Source") + 1
    original = ws.cell(4, year).value
    ws.cell(4, year).value = original + 1
    ws.cell(5, source).value = "https://example.org/somewhere-else"
    wb.save(run / rel)
    problems = _check(run, rel)
    letter = openpyxl.utils.get_column_letter
    assert any(p.startswith(f"{rel} Flexible!{letter(year)}4: found") for p in problems), problems
    assert any(p.startswith(f"{rel} Flexible!{letter(source)}5: found") for p in problems)


def test_a_print_footer_or_a_printed_data_sheet_is_named(run):
    rel = "england.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    wb["Fixed"].oddFooter.right.text = "Page &P of &N"
    wb["Data"].print_area = None
    wb.save(run / rel)
    problems = _check(run, rel)
    assert f"{rel} Fixed: prints a header or footer" in problems
    assert any(p.startswith(f"{rel} Data: its print area is the whole sheet") for p in problems)


def test_a_changed_plan_page_is_named(run):
    rel = "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    ws = wb["Plan"]
    assert ws["A1"].value == "What the Plan asks of QA0"
    original = ws["B4"].value
    ws["B4"].value = original.replace(":", ": 9", 1)  # a figure changed
    wb.save(run / rel)
    problems = _check(run, rel)
    assert any(p.startswith(f"{rel} Plan!B4: found") for p in problems), problems


def test_a_category_sheet_printing_or_ordering_other_rows_is_named(run):
    """The Fixed sheet prints QA0's own rows up to its Unit column: a print area taking in
    the context rows or the How and Source columns is named, and so is a context row
    moved up among the own rows (the order is the view's, cell by cell)."""
    rel = "systems/QA0.xlsx"
    wb = openpyxl.load_workbook(run / rel)
    ws = wb["Fixed"]
    assert ws.print_area == "'Fixed'!$A$1:$J$5"
    ws.print_area = "A1:L13"
    flexible = wb["Flexible"]
    last = flexible.max_row
    own = [c.value for c in flexible[4]]
    context = [c.value for c in flexible[last]]
    assert context[-1] == "as for QA0" and own[-1] != context[-1]
    for c, (a, b) in enumerate(zip(own, context, strict=True), 1):
        flexible.cell(4, c).value, flexible.cell(last, c).value = b, a
    wb.save(run / rel)
    problems = _check(run, rel)
    assert f"{rel} Fixed: its print area is $A$1:$L$13; expected $A$1:$J$5" in problems
    assert any(p.startswith(f"{rel} Flexible!D4: found") for p in problems), problems
    assert any(p.startswith(f"{rel} Flexible!D{last}: found 'QA0 (QA0)'") for p in problems)
