"""The README's main command on the shipped defaults, then `mhtool check` on what it wrote."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mhtool.cli import main


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "outputs"
    result = CliRunner().invoke(main, ["run", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_default_run_writes_every_output(default_run):
    out, said = default_run
    assert "files written to" in said
    assert (out / "england.xlsx").is_file()
    assert len(list((out / "regions").glob("*.xlsx"))) == 7
    assert len(list((out / "systems").glob("*.xlsx"))) == 42
    assert len(list((out / "planning").glob("*.csv"))) == 45  # 42 ICBs, England, 2 long files
    assert len(list((out / "charts").glob("*.png"))) >= 42
    manifest = json.loads((out / "manifest.json").read_text())
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest["outputs"]) == written - {"manifest.json", "run.log"}


def test_check_passes_on_the_default_run(default_run):
    out, _ = default_run
    result = CliRunner().invoke(main, ["check", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 50 workbooks and 45 planning CSV files")
    assert "every file is listed in manifest.json" in result.output


def test_delivery_sets_each_systems_smi_checks_beside_its_fair_share(default_run):
    import polars as pl
    from python_calamine import CalamineWorkbook

    from mhtool.outputs.delivery.write import read_csv
    from mhtool.outputs.views import delivery
    from mhtool.refdata import store

    out, _ = default_run
    d = read_csv(out / delivery.FILE).filter(
        (pl.col("level") == "icb")
        & (pl.col("ambition_id") == "SMI-02")
        & (pl.col("period") == "Q4 2023/24")
        & (pl.col("unit") == "people")
    )
    spine = pl.read_csv(out / "apportionment.csv", infer_schema=False).filter(
        (pl.col("ambition_id") == "SMI-02") & (pl.col("year") == "2023/24")
    )
    fair = {c: float(v) for c, v in spine.select("org_code", "value").iter_rows()}
    checks = store.actuals("phsmi", "2022").filter(
        (pl.col("period") == "Q4 2023/24") & (pl.col("measure") == "all_six_checks")
    )
    by_icb = dict(
        checks.join(store.geography("2022"), left_on="org_code", right_on="subicb_code")
        .group_by("icb_code")
        .agg(pl.col("value").sum())
        .iter_rows()
    )
    assert d.height == 42
    for r in d.iter_rows(named=True):
        assert r["actual_value"] == by_icb[r["org_code"]], r["org_code"]
        assert r["fair_share"] == fair[r["org_code"]] and r["end_year"] == "2023/24"
    assert sum(d["actual_value"]) == 361_210
    for book in ("england.xlsx", "regions/Y59.xlsx", "systems/QKS.xlsx"):
        assert "Delivery" in CalamineWorkbook.from_path(str(out / book)).sheet_names


def test_check_names_an_edited_delivery_figure(default_run, tmp_path):
    from mhtool.outputs import check
    from mhtool.outputs.delivery.check import check as check_delivery
    from mhtool.outputs.views import delivery

    out, _ = default_run
    text = (out / delivery.FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(text) if ",QKS," in line and "Q4 2023/24" in line)
    text[row] = text[row].replace(",7979.0,", ",9979.0,", 1)
    (tmp_path / delivery.FILE).write_text("".join(text), encoding="utf-8")
    problems, _ = check_delivery(tmp_path, check.read_spine(out), check.read_meta(out))
    assert problems == [
        f"delivery.csv: row {row + 1} (QKS SMI-02 Q4 2023/24) actual_value is 9979.0, "
        "the spine and actuals give 7979.0"
    ]


def test_the_report_page_shows_the_delivery_table_and_check_holds_it(default_run, tmp_path):
    from mhtool.outputs import check
    from mhtool.outputs.delivery.check import check as check_delivery
    from mhtool.outputs.report import check as reportcheck
    from mhtool.outputs.views import delivery
    from mhtool.outputs.views import scope as scopes
    from mhtool.outputs.views.tables import prepare

    out, _ = default_run
    rel = "report/systems/QKS.html"
    spine, meta = check.read_spine(out), check.read_meta(out)
    _, remade = check_delivery(out, spine, meta)
    rows = scopes.rows(prepare(spine), reportcheck.scope_of(rel))
    args = (rel, rows, meta, out, delivery.for_orgs(remade, rows))
    assert reportcheck.check_page(out / rel, *args) == []
    page = (out / rel).read_text(encoding="utf-8")
    assert '<table id="delivery">' in page
    edited = tmp_path / "QKS.html"
    # the ICB's all-six-checks figure for Q4 2023/24, as the page shows it
    edited.write_text(page.replace(">7,979</td>", ">8,979</td>", 1), encoding="utf-8")
    shown = [p for p in reportcheck.check_page(edited, *args) if "goes to no file" not in p]
    assert shown == [f"{rel}: delivery row 5 'Actual' shows '8,979'; the spine gives '7,979'"]


def _soffice_pages(books, tmp_path) -> list[list[str]]:
    """Each workbook's printed pages' text, as LibreOffice prints it to PDF (all of them
    in one start of LibreOffice)."""
    import shutil
    import subprocess

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip("LibreOffice (soffice) and poppler (pdftotext) are needed to print")
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo"]
        + ["--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, books)],
        capture_output=True,
        timeout=300,
        check=True,
    )
    return [
        subprocess.run(
            [pdftotext, "-layout", str(tmp_path / f"{book.stem}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\f")[:-1]
        for book in books
    ]


# Printed pages at most: the 150 for England and 30 for a system, a region's about
# a system's. With Carlito (Calibri's letter widths, as Excel prints; .ci/run installs it)
# LibreOffice printed england 33, every system 28 or 29 (QKS 28) and every region 30 or 31
# (Y60 31), each readable sheet at 9 pt or more; with DejaVu Sans in Calibri's place a
# little fewer.
PAGE_BUDGETS = {"england.xlsx": 40, "systems/QKS.xlsx": 30, "regions/Y60.xlsx": 35}


def test_workbooks_print_within_their_page_budgets(default_run, tmp_path):
    """england.xlsx at most 40 printed pages (its Shares and Data sheets print their
    heading only), a system's at most 30, a region's at most 35; the Plan page is one
    page of its own in each (the Summary starts the next); no header or footer."""
    out = default_run[0]
    england, system, region = _soffice_pages([out / rel for rel in PAGE_BUDGETS], tmp_path)
    for pages, (rel, budget) in zip([england, system, region], PAGE_BUDGETS.items(), strict=True):
        assert len(pages) <= budget, (rel, len(pages))
    assert len(england) > 20  # its sheets are printed, not only their headings
    plan = [i for i, page in enumerate(system) if "What the Plan asks of Kent and Medway" in page]
    assert len(plan) == 1
    assert "Contents" in system[plan[0] - 1]  # the Plan starts a page of its own
    summary = [i for i, page in enumerate(system) if "Summary: Kent and Medway's figures" in page]
    assert summary == [plan[0] + 1]  # the Plan on one page, the Summary on the next
    assert system[summary[0]].lstrip().startswith("Summary:")  # ... and a page of its own
    for pages, org in ((england, "England"), (region, "Midlands")):
        at = [i for i, page in enumerate(pages) if f"What the Plan asks of {org}" in page]
        assert len(at) == 1 and pages[at[0] + 1].lstrip().startswith("Summary:"), org
    for pages in (england, system, region):
        assert all("Page " not in page.strip().splitlines()[-1] for page in pages)  # no footer


def test_a_systems_category_sheets_print_its_own_rows_first(default_run):
    """Kent and Medway (one part) and Lancashire and South Cumbria (several): each category
    sheet opens with the system's own row of each ask, once, in the Plan's order, and its
    print area is those rows up to the Unit column; its parts and the levels above follow,
    each ask's together, in the same order; How and Source are the last columns."""
    import openpyxl

    out = default_run[0]
    for code, name in (("QKS", "Kent and Medway"), ("QE1", "Lancashire and South Cumbria")):
        wb = openpyxl.load_workbook(out / f"systems/{code}.xlsx")
        for sheet in ("Fixed", "Flexible", "Targeted"):
            ws = wb[sheet]
            rows = list(ws.iter_rows(min_row=3, values_only=True))
            header, body = list(rows[0]), rows[1:]
            unit = header.index("Unit")
            assert header[unit + 1 :][-1] == "Source" and len(header) == unit + 3
            asks = list(dict.fromkeys(r[0] for r in body))
            own, context = body[: len(asks)], body[len(asks) :]
            assert [r[0] for r in own] == asks, (code, sheet)  # each ask once, first
            assert all(r[3] in (f"{name} ({code})", "England") or "Every" in r[3] for r in own)
            assert all(r[unit] == f"as for {name}" for r in context), (code, sheet)
            order = [asks.index(r[0]) for r in context]
            assert order == sorted(order), (code, sheet)
            last = openpyxl.utils.get_column_letter(unit + 1)
            assert ws.print_area == f"'{sheet}'!$A$1:${last}${3 + len(asks)}", (code, sheet)
            parts = {r[3] for r in context if r[2] == "part of this organisation"}
            assert sheet != "Fixed" or len(parts) == (1 if code == "QKS" else 8), (code, parts)


def test_every_sheets_description_fits_its_printed_width(default_run):
    """Row 2 says what a sheet holds in one line, unwrapped: no longer than the columns
    that print (a Delivery description of 340 characters was cut at the page's edge)."""
    import openpyxl
    from openpyxl.utils import column_index_from_string, get_column_letter

    from mhtool.outputs.workbook.write import text_width

    out = default_run[0]
    for rel in ("england.xlsx", "regions/Y60.xlsx", "systems/QKS.xlsx"):
        wb = openpyxl.load_workbook(out / rel)
        for ws in wb.worksheets:
            area = ws.print_area
            last = ws.max_column
            if area:
                last = column_index_from_string(area.split(":")[-1].split("$")[1])
            width = sum(
                ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, last + 1)
            )
            if ws.title in ("Cover", "Charts", "Shares", "Data"):
                continue  # prose set in one wide column; lookup sheets print their heading
            described = ws["A2"].value or ""
            assert text_width(described) <= width, (rel, ws.title, described)
