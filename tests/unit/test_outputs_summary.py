"""The Summary and Compare sheets: the organisation's own figures, in order,
worded for one organisation, and equal to the spine."""

from __future__ import annotations

import re

import openpyxl
import polars as pl
import pytest
from fixtures.sample import SAMPLE_META, YEARS, sample_spine

from mhtool import vocab
from mhtool.outputs import write_outputs
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.summary import (
    basis_words,
    compare_table,
    provenance_words,
    summary_table,
)
from mhtool.outputs.views.tables import prepare
from mhtool.spine import basis_label


@pytest.fixture(scope="module")
def spine():
    return sample_spine()


@pytest.fixture(scope="module")
def books(tmp_path_factory, spine):
    out = tmp_path_factory.mktemp("books")
    write_outputs(spine, out, SAMPLE_META, progress=False, workers=1)
    return out


def _rows(ws):
    header = [c.value for c in ws[3]]
    return header, [
        dict(zip(header, r, strict=False)) for r in ws.iter_rows(min_row=4, values_only=True)
    ]


def test_summary_is_the_systems_own_figures_years_right_after_the_category(books, spine):
    header, rows = _rows(openpyxl.load_workbook(books / "systems/QA0.xlsx")["Summary"])
    assert header[:3] == ["Programme", "Ambition", "Category"]  # the Plan's category
    assert header[3 : 3 + len(YEARS)] == YEARS
    own = spine.filter(pl.col("org_code") == "QA0", pl.col("kind") != "rate")
    ids = [r["Ambition ID"] for r in rows]
    assert sorted(ids) == sorted(own.get_column("ambition_id").unique().to_list())
    for r in rows:
        line = own.filter(pl.col("ambition_id") == r["Ambition ID"])
        assert r["Category"] == line.get_column("category")[0]
        for y in YEARS:
            want = own.filter(pl.col("ambition_id") == r["Ambition ID"], pl.col("year") == y)
            assert r[y] == want.get_column("value").item(), (r["Ambition ID"], y)
        how = next(k for k in r if k.startswith("How each figure was made"))
        assert r["Unit"] and r[how]
    assert "Share of the region, 2023/24" in header


def test_summary_follows_the_plan_headline_asks_first():
    df = prepare(sample_spine())
    table = summary_table(scopes.rows(df, scopes.Scope("icb", "QA1")))
    order = table.frame.get_column("programme").to_list()
    # programmes in the order the catalogue lists them, each one block
    assert order == sorted(order, key=order.index)
    first = table.frame.filter(pl.col("programme") == order[0])
    assert first.get_column("ambition_id")[0] == "A01"  # the fixed count before its £ line


def test_region_compare_puts_its_icbs_beside_it_and_they_add_up():
    df = prepare(sample_spine())
    table = compare_table(scopes.rows(df, scopes.Scope("region", "Y56")))
    icbs = [c.key for c in table.columns if c.key.startswith("oQ")]
    assert table.columns[3].key == "oY56" and icbs
    for r in table.frame.iter_rows(named=True):
        assert r["oY56"] == sum(r[k] for k in icbs)
    assert compare_table(scopes.rows(df, scopes.Scope("icb", "QA0"))) is None


def test_words_for_provenance_and_basis():
    assert provenance_words([("2019/20", "inferred"), ("2020/21", "stated")]) == (
        "2019/20 inferred; 2020/21 stated"
    )
    assert provenance_words([("a", "stated"), ("b", "stated")]) == "stated"
    assert (
        provenance_words([("a", "phased"), ("b", "phased"), ("c", "stated")])
        == "a to b phased; c stated"
    )
    meta = WorkbookMeta(bases={"mh_need": "Mental health need"})
    assert basis_words("mh_need", "mh_need", vocab.BY_BASIS, meta) == "Mental health need"
    targeted = basis_label("mh_need", targets=["QA0"])
    assert basis_words(targeted, "mh_need", vocab.TARGETED, meta) == (
        "Mental health need, shared among the systems named: QA0"
    )
    total = basis_label("mh_need", parts=["A-01", "A-02"])
    assert basis_words(total, "", vocab.SUM_OF_PARTS, meta) == (
        "the sum of its part lines (A-01 + A-02)"
    )
    assert basis_words(None, "", vocab.STANDARD, meta) == "not shared out"
    # what the split is comes from the split method, not the label's text
    assert basis_words("mh_need", "mh_need", vocab.NATIONAL_ONLY, meta) == "not shared out"


def test_notes_are_only_those_referred_to_numbered_by_first_appearance(tmp_path):
    meta = SAMPLE_META.with_notes(
        ["A01 2019/20 (inferred): carried back.", "ZZ-9: never shown anywhere."]
    )
    write_outputs(sample_spine(), tmp_path, meta, system="QA0", progress=False)
    wb = openpyxl.load_workbook(tmp_path / "systems/QA0.xlsx")
    seen: list[int] = []
    for ws in wb.worksheets:
        if ws.title == "Notes":
            continue
        for row in ws.iter_rows(values_only=True):
            for v in row:
                for n in re.findall(r"\[note (\d+)\]", str(v or "")):
                    if int(n) not in seen:
                        seen.append(int(n))
    _, notes = _rows(wb["Notes"])
    assert [r["Note number"] for r in notes] == [f"note {i}" for i in range(1, len(notes) + 1)]
    assert seen == list(range(1, len(notes) + 1))  # every note referred to, in order
    texts = " ".join(r["Note text"] for r in notes)
    assert "carried back" in texts and "never shown" not in texts
    assert wb["Notes"]["A4"].alignment.vertical == "top"


def test_a_choice_several_notes_share_is_said_once_and_referred_to(tmp_path):
    """A catalogue choice the run's notes give for several ambitions is one note of its
    own, after the notes the sheets refer to; each ambition's note refers to it by its
    number (renumbered like the rest), and every [note N] on the Notes sheet is there."""
    shared = "Every additional figure says which baseline it is measured from. " * 3
    meta = SAMPLE_META.with_notes(
        [
            f"A01 (choice baselines): {shared}",
            "A01 2019/20 (inferred): carried back.",
            f"A02 (choice baselines): {shared}",
            "A02 (choice own): said for A02 alone.",
        ]
    )
    write_outputs(sample_spine(), tmp_path, meta, system="QA0", progress=False)
    ws = openpyxl.load_workbook(tmp_path / "systems/QA0.xlsx")["Notes"]
    assert ws["A2"].value.endswith("then the catalogue's choices several of those notes share.")
    _, rows = _rows(ws)
    notes = {r["Note number"]: r["Note text"] for r in rows}
    assert sum(shared.strip() in t for t in notes.values()) == 1
    choice = next(n for n, t in notes.items() if shared.strip() in t)
    assert notes[choice].startswith("The catalogue's choice baselines: ")
    assert choice == f"note {len(notes)}"  # only the ambitions' notes refer to it: last
    a01 = next(t for t in notes.values() if t.startswith("How A01's national figure"))
    a02 = next(t for t in notes.values() if t.startswith("How A02's national figure"))
    assert f"(choice baselines): see [{choice}]" in a01 and "carried back" in a01
    assert f"(choice baselines): see [{choice}]" in a02
    assert "(choice own): said for A02 alone." in a02  # one ambition's: said in place
    for text in notes.values():
        for n in re.findall(r"\[note (\d+)\]", text):
            assert f"note {n}" in notes


def test_headers_get_the_lines_their_words_need(books):
    from mhtool.outputs.workbook.write import LINE_HEIGHT, header_lines

    assert header_lines("Share of England, 2023/24", 13) == 3  # "Share of / England, / 2023/24"
    assert header_lines("Programme", 14) == 1
    ws = openpyxl.load_workbook(books / "systems/QA0.xlsx")["Summary"]
    assert ws.row_dimensions[3].height >= 3 * LINE_HEIGHT


def test_a_line_reported_for_england_only_is_not_in_the_compare_table():
    spine = sample_spine()
    england_only = spine.filter(pl.col("ambition_id") == "A01", pl.col("level") == "england")
    spine = pl.concat([spine, england_only.with_columns(ambition_id=pl.lit("A99"))])
    table = compare_table(scopes.rows(prepare(spine), scopes.Scope("england", "ENG")))
    ids = table.frame.get_column("ambition_id").to_list()
    assert ids == ["A01"]  # not A99: no region has a figure to set beside England's
    regions = [c.key for c in table.columns if c.key.startswith("oY")]
    for r in table.frame.iter_rows(named=True):
        assert r["oENG"] == sum(r[k] for k in regions)
