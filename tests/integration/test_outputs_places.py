"""A system workbook in a run with places: its Places sheet and the block of places ending
its Summary add up to their parents, `mhtool check` holds them to the spine (and finds a
cell changed), and a run without places writes the very same bytes as before."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, sample_places, sample_spine

from mhtool.outputs import write_outputs
from mhtool.outputs.views.layout import HEADER_ROW, table_tops
from mhtool.outputs.views.place_tables import by_system
from mhtool.outputs.views.tables import is_headline, prepare
from mhtool.outputs.workbook.check import check_workbook

ICB = "QA0"


@pytest.fixture(scope="module")
def spine():
    return sample_spine(ambitions=10)  # A01 and A09 are headline asks


@pytest.fixture(scope="module")
def run(tmp_path_factory, spine):
    out = tmp_path_factory.mktemp("places")
    places = sample_places(spine, [ICB])
    write_outputs(spine, out, SAMPLE_META, system=ICB, progress=False, places=places)
    return out, places


def _table(ws, name):
    ref = ws.tables[name].ref
    rows = [[c.value for c in row] for row in ws[ref]]
    return rows[0], rows[1:]


def test_places_sheet_adds_up_to_each_subicb(run, spine):
    out, places = run
    wb = openpyxl.load_workbook(out / f"systems/{ICB}.xlsx")
    assert wb.sheetnames.index("Places") == wb.sheetnames.index("Summary") + 1
    contents = [c.value for c in wb["Contents"]["A"]]
    assert "Places" in contents
    header, body = _table(wb["Places"], "places")
    assert wb["Places"].tables["places"].ref.startswith(f"A{HEADER_ROW + 1}:")
    heads = places.filter(is_headline())
    assert len(body) == heads.select("org_code", "ambition_id").unique().height
    parent, aid = header.index("Parent code"), header.index("Ambition ID")
    fixed = _table(wb["Fixed"], "fixed_ambitions")
    years = [y for y in header if isinstance(y, str) and y[:2] == "20" and "/" in y]
    assert years
    sums: dict = {}
    for row in body:
        for y in years:
            v = row[header.index(y)]
            if isinstance(v, (int, float)):
                key = (row[parent], row[aid], y)
                sums[key] = sums.get(key, 0) + v
    subs = spine.filter(pl.col("level") == "subicb", pl.col("icb_code") == ICB, is_headline())
    want = {
        (c, a, y): v
        for c, a, y, v in subs.select("org_code", "ambition_id", "year", "value").iter_rows()
        if v is not None
    }
    assert {k: sums.get(k) for k in want} == want
    assert fixed[1], "the parents' figures are on the Fixed sheet"
    names = {row[header.index("Place")] for row in body}
    assert "=1+1 place (01A-P0)" in names  # text from input stays text


def test_summary_ends_with_the_places_side_by_side(run, spine):
    out, places = run
    ws = openpyxl.load_workbook(out / f"systems/{ICB}.xlsx")["Summary"]
    assert list(ws.tables) == ["summary", "summary_places"]
    first = int(ws.tables["summary"].ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    top = table_tops([first - HEADER_ROW - 1, 0])[1]
    assert ws.tables["summary_places"].ref.startswith(f"A{top + HEADER_ROW + 1}:")
    assert "places side by side" in ws.cell(top + 1, 1).value
    assert [b.id for b in ws.row_breaks.brk] == [top]  # the block starts a printed page
    assert ws.print_title_rows is None  # no header standing over the other table's columns
    assert not ws.print_area  # the places below the Summary print too (all of the sheet)
    header, body = _table(ws, "summary_places")
    assert len(body) == places["org_code"].n_unique()
    asks = sorted(places.filter(is_headline())["ambition_id"].unique())
    assert header[2:] == [h for a in asks for h in header if h.startswith(f"{a}, 2023/24: ")]
    own = spine.filter(pl.col("org_code") == ICB, pl.col("year") == "2023/24")
    for a, h in zip(asks, header[2:], strict=True):  # each ask's places: the system's figure
        want = own.filter(pl.col("ambition_id") == a)["value"][0]
        assert sum(row[header.index(h)] for row in body) == want > 0


def test_check_holds_the_place_tables_to_the_spine(run, spine, tmp_path):
    out, places = run
    prepared = prepare(spine)
    from mhtool.outputs.views import scope as scopes

    rows = scopes.rows(prepared, scopes.Scope("icb", ICB))
    mine = by_system(places, prepared)[ICB]
    path, rel = out / f"systems/{ICB}.xlsx", f"systems/{ICB}.xlsx"
    assert check_workbook(path, rel, rows, SAMPLE_META, mine) == []
    assert check_workbook(path, rel, rows, SAMPLE_META, None)  # the places are expected
    for sheet, table in (("Places", "places"), ("Summary", "summary_places")):
        wb = openpyxl.load_workbook(path)
        last = wb[sheet][wb[sheet].tables[table].ref][-1]
        cell = next(c for c in last if isinstance(c.value, (int, float)))
        cell.value += 1
        bad = tmp_path / f"{sheet}.xlsx"
        wb.save(bad)
        problems = check_workbook(bad, rel, rows, SAMPLE_META, mine)
        assert any(f"{sheet}!{cell.coordinate}: found" in p for p in problems), problems


def test_without_places_every_file_is_byte_identical(tmp_path, spine):
    plain, other = tmp_path / "plain", tmp_path / "other"
    write_outputs(spine, plain, SAMPLE_META, progress=False)
    write_outputs(spine, other, SAMPLE_META, progress=False, places=sample_places(spine, ["QA1"]))
    files = sorted(p.relative_to(plain) for p in plain.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    changed = [f for f in files if (plain / f).read_bytes() != (other / f).read_bytes()]
    # the system's workbook gains its places, and selector.xlsx lists them
    assert [f.as_posix() for f in changed] == ["selector.xlsx", "systems/QA1.xlsx"]
