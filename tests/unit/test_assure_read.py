"""Reading plan files: monthly or single-value layouts, NA and blanks, and every row or
file that cannot be read named with file, row and field."""

from __future__ import annotations

import openpyxl

from mhtool.assure.read import fin_year, read_plan
from mhtool.planning.profile import MONTHS

HEAD = "icb_code,org_code,planning_ref,measure_type,dim_type,fin_year,source," + ",".join(MONTHS)


def _csv(tmp_path, *lines, name="plan.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_monthly_rows_with_na_and_blanks(tmp_path):
    path = _csv(tmp_path, HEAD, "QA0,QA0,E.S.1,Count,Month,2023/24,v1,NA,,1,2,3,4,5,6,7,8,9,10")
    rows, issues = read_plan(path)
    assert issues == []
    assert rows[0].months == [None, None, *map(float, range(1, 11))]
    assert rows[0].fin_year == "2023/24" and rows[0].row == 2


def test_a_single_value_column_and_loose_headers(tmp_path):
    path = _csv(
        tmp_path, "Org Code,Planning Ref,Measure Type,FIN_YEAR,Value", "qa0,E.S.1,count,2023-24,12"
    )
    rows, issues = read_plan(path)
    assert issues == [] and rows[0].value == 12.0 and rows[0].months is None
    assert rows[0].org_code == "QA0" and rows[0].measure_type == "Count"


def test_text_in_a_number_column_rejects_that_row_only(tmp_path):
    path = _csv(
        tmp_path,
        HEAD,
        "QA0,QA0,E.S.1,Count,Month,2023/24,v1,1,2,3,4,5,6,7,8,9,10,11,12",
        "QA1,QA1,E.S.1,Count,Month,2023/24,v1,1,2,lots,4,5,6,7,8,9,10,11,12",
    )
    rows, issues = read_plan(path)
    assert [r.org_code for r in rows] == ["QA0"]
    assert [(i.row, i.field) for i in issues] == [(3, "Jun")]
    assert "'lots' is not a number" in issues[0].problem and issues[0].file == str(path)


def test_bad_measure_type_and_year(tmp_path):
    path = _csv(
        tmp_path,
        HEAD,
        "QA0,QA0,E.S.1,Value,Month,2023/24,v1" + ",1" * 12,
        "QA0,QA0,E.S.1,Count,Month,2023/25,v1" + ",1" * 12,
    )
    _, issues = read_plan(path)
    assert [(i.row, i.field) for i in issues] == [(2, "measure_type"), (3, "fin_year")]


def test_a_missing_required_column_rejects_the_file(tmp_path):
    path = _csv(tmp_path, "org_code,planning_ref,fin_year,value", "QA0,E.S.1,2023/24,1")
    rows, issues = read_plan(path)
    assert rows == [] and len(issues) == 1
    assert issues[0].field == "measure_type" and issues[0].row == 1
    assert issues[0].action == "file not read"


def test_xlsx_is_read_and_a_password_protected_one_is_named(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD.split(","))
    ws.append(["QA0", "QA0", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 13)])
    wb.save(tmp_path / "plan.xlsx")
    rows, issues = read_plan(tmp_path / "plan.xlsx")
    assert issues == [] and rows[0].months[-1] == 12.0
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    rows, issues = read_plan(locked)
    assert rows == [] and "password-protected" in issues[0].problem
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    rows, issues = read_plan(broken)
    assert rows == [] and "cannot be opened" in issues[0].problem


def test_financial_years():
    assert fin_year("2023/24") == fin_year("2023-24") == fin_year("2023/2024") == "2023/24"
    assert fin_year("2023/25") is None and fin_year("23/24") is None


def test_month_headers_in_any_common_spelling():
    from mhtool.assure.read import month_of

    assert [month_of(h) for h in ("April", "apr-24", "Sept", "SEP 2024", "March", "May")] == [
        "Apr",
        "Apr",
        "Sep",
        "Sep",
        "Mar",
        "May",
    ]
    assert [month_of(h) for h in ("source", "Ma", "Month 1", "dec1sion")] == [None] * 4


def test_a_stray_quote_is_its_own_row_and_never_swallows_the_next(tmp_path):
    good = "QA0,QA0,E.S.1,Count,Month,2023/24,v1" + ",1" * 12
    path = _csv(tmp_path, HEAD, good, 'QA1,"QA1,E.S.1,Count,Month,2023/24,v1' + ",1" * 12, good)
    rows, issues = read_plan(path)
    assert [r.row for r in rows] == [2, 4]  # the row after the stray quote is read
    assert [(i.row, i.cause) for i in issues] == [(3, "CSV quoting error")]


def test_formula_cells_without_a_saved_value_are_reported(tmp_path):
    wb = openpyxl.Workbook()  # openpyxl saves formulas without their results
    wb.active.append(HEAD.split(","))
    wb.active.append(
        ["QA0", "QA0", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 12), "=L2+1"]
    )
    wb.active.append(["QA1", "QA1", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 13)])
    wb.save(tmp_path / "plan.xlsx")
    rows, issues = read_plan(tmp_path / "plan.xlsx")
    assert [r.org_code for r in rows] == ["QA1"]
    assert [(i.row, i.field, i.cause) for i in issues] == [
        (2, "Mar", "formula without a saved value")
    ]
    assert "=L2+1" in issues[0].problem


def test_a_header_below_a_title_block_and_unread_columns_listed(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mental health plan submission 2024/25"])
    ws.append(["Prepared by the ICB"])
    ws.append([])
    ws.append([*HEAD.split(","), "org_name"])
    ws.append(["QA0", "QA0", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 13), "x"])
    wb.save(tmp_path / "plan.xlsx")
    rows, issues = read_plan(tmp_path / "plan.xlsx")
    assert [r.row for r in rows] == [5]
    assert [(i.row, i.field, i.action) for i in issues] == [(4, "org_name", "column not read")]


def test_an_unloadable_workbook_does_not_stop_the_batch(tmp_path):
    import zipfile

    from mhtool.assure.read import read_plans

    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(bad, "w") as z:  # a zip, but no workbook inside
        z.writestr("[Content_Types].xml", "<Types/>")
    good = _csv(tmp_path, HEAD, "QA0,QA0,E.S.1,Count,Month,2023/24,v1" + ",1" * 12)
    rows, issues = read_plans([bad, good])
    assert [r.org_code for r in rows] == ["QA0"]
    assert issues[0].file == str(bad) and issues[0].action == "file not read"


def test_a_padded_workbook_is_streamed(tmp_path):
    import tracemalloc

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD.split(","))
    ws.append(["QA0", "QA0", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 13)])
    ws.cell(row=60_000, column=19, value=None).number_format = "0"  # padding
    ws.cell(row=60_000, column=1, value=" ")
    wb.save(tmp_path / "plan.xlsx")
    tracemalloc.start()
    rows, issues = read_plan(tmp_path / "plan.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [r.row for r in rows] == [2] and issues == []
    assert peak < 6_000_000  # the rows are never held whole (a list of them is ~12 MB)


def test_month_headers_with_years_must_be_the_rows_year(tmp_path):
    import datetime as dt

    wb = openpyxl.Workbook()  # headers as date cells, as a template's Apr-24 often is
    months = [dt.date(2024 + (m < 4), m, 1) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    wb.active.append([*HEAD.split(",")[:7], *months])
    wb.active.append(["QA0", "QA0", "E.S.1", "Count", "Month", "2024/25", "v1", *range(1, 13)])
    wb.active.append(["QA1", "QA1", "E.S.1", "Count", "Month", "2023/24", "v1", *range(1, 13)])
    wb.save(tmp_path / "plan.xlsx")
    rows, issues = read_plan(tmp_path / "plan.xlsx")
    assert [r.org_code for r in rows] == ["QA0"] and rows[0].months[-1] == 12
    assert [(i.row, i.field, i.cause) for i in issues] == [
        (3, "fin_year", "month headers of another year")
    ]
