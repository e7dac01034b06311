"""How the workbooks print: rows tall enough for their wrapped text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFont

from mhtool.outputs.workbook import check, write

FONT = Path(write.__file__).parents[2] / "fonts" / "DejaVuSans.ttf"


def test_no_character_is_reckoned_narrower_than_the_widest_font_shows_it():
    """DejaVu Sans (LibreOffice's stand-in for Calibri, wider than it) measured against a
    digit: a row is never too short for its text because a letter was reckoned narrow."""
    font = ImageFont.truetype(str(FONT), 2048)
    digit = font.getlength("0")
    for ch in [chr(i) for i in range(32, 127)] + list("£–—…’"):
        assert write.text_width(ch) >= font.getlength(ch) / digit, ch


def test_the_plan_page_cell_libreoffice_cut_off_is_given_all_its_lines():
    """The Plan page's flexible column (48 wide, 47 to wrap in) for Perinatal: LibreOffice
    wraps its second ask after "by", so the cell takes at least four lines (three were
    given, and PMH-06 was cut off)."""
    cell = (
        "PMH-04 Maternity outreach clinics: 100% by 2023/24\n"
        "PMH-05 Extended period of care from 12…: 100% by 2023/24\n"
        "PMH-06 Evidence-based assessments…: 100% by 2023/24"
    )
    assert write.text_lines(cell, 47) >= 4


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("Crisis and liaison", 30, 1),
        ("aaaa bbbb", 6, 2),  # a word that does not fit moves whole to the next line
        ("a" * 25, 10, 3),  # a word longer than the column breaks within itself
        ("", 10, 1),
    ],
)
def test_wrapped_lines_are_counted_at_word_breaks(text, width, lines):
    assert write.text_lines(text, width) == lines


def _sheet(cols: str, setup: str, fit: bool = True, margins: str = "") -> bytes:
    pr = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if fit else ""
    return (
        f'<worksheet xmlns="x">{pr}<cols>{cols}</cols><sheetData/>'
        f"{margins}<pageSetup {setup}/></worksheet>"
    ).encode()


def test_printed_size_is_the_font_scaled_to_fit_the_columns_to_the_page_width():
    """Calibri 11 on an A4 landscape page 0.4 in from each side (1,045 pixels of columns
    print at full size): columns twice as wide print at half the size; a fixed scale is
    the scale; columns the <col> elements do not size are 64 pixels."""
    page = (297 / 25.4 - 0.8) * 96
    margins = '<pageMargins left="0.4" right="0.4" top="0.4" bottom="0.4"/>'
    fit = 'paperSize="9" fitToHeight="0" orientation="landscape"'
    narrow = f'<col min="1" max="2" width="{page / 2 / 7}" customWidth="1"/>'
    assert check.printed_size(_sheet(narrow, fit, margins=margins), 2) == pytest.approx(11, 0.01)
    wide = f'<col min="1" max="4" width="{page / 2 / 7}" customWidth="1"/>'
    assert check.printed_size(_sheet(wide, fit, margins=margins), 4) == pytest.approx(5.5, 0.01)
    assert check.printed_size(_sheet(narrow, fit, margins=margins), 40) < 9  # 38 more at 64 px
    scaled = 'paperSize="9" scale="80" orientation="landscape"'
    assert check.printed_size(_sheet(wide, scaled, fit=False), 4) == pytest.approx(8.8)
    # the default margins (0.7 in) leave less room
    assert check.printed_size(_sheet(narrow, fit), 2) < 11


def test_readable_widths_fit_the_page_at_nine_points_and_keep_figures_whole():
    """A wide table's text columns narrowed, in proportion to the text they hold, until it
    prints at 9 pt or more; figure columns as wide as their widest figure."""
    import polars as pl

    from mhtool.outputs.views.layout import column_px, printed_pt
    from mhtool.outputs.views.tables import Column, Table

    frame = pl.DataFrame(
        {
            "a": ["a long text " * 12, "short"],
            "b": ["mid text " * 6, "x"],
            "n": [1234567890.0, 5.0],
        }
    )
    columns = [Column("A", "a"), Column("B", "b"), Column("Money", "n", "money")]
    table = Table("Summary", "t", "d", columns, frame)
    natural = [200.0, 120.0, 10.0]
    widths = write.readable_widths(table, natural)
    assert printed_pt(sum(column_px(w) for w in widths)) >= 9
    assert widths[2] >= write.text_width("£1,234,567,890")  # the figure is not cut to ###
    assert widths[0] > widths[1]  # the column with more text keeps more room
    small = Table("Summary", "t", "d", columns, frame.head(0))
    assert write.readable_widths(small, [20.0, 20.0, 10.0]) == [20.0, 20.0, 10.0]  # fits


def test_the_plan_page_widths_print_it_shortest_at_a_readable_size():
    """shortest_widths gives the column with the most lines of text the room: the page is
    no taller than with even widths, prints at PLAN_PT or more, and is the same every run."""
    import polars as pl

    from mhtool.outputs.views.layout import column_px, printed_pt
    from mhtool.outputs.views.tables import Column, Table

    many = "\n".join(f"ASK-{i} words of an ask: 1,234 a year (1.2% of England)" for i in range(6))
    frame = pl.DataFrame(
        {"p": ["Programme one", "Two"], "a": [many, "x"], "b": ["short", None], "c": ["y", None]}
    )
    columns = [Column("Programme", "p", width=18)] + [Column(k, k, width=40) for k in "abc"]
    table = Table("Plan", "t", "d", columns, frame)
    widths = write.shortest_widths(table)
    assert widths == write.shortest_widths(table)
    assert printed_pt(sum(column_px(w) for w in widths)) >= write.PLAN_PT - 0.05
    even = [18.0] + [(sum(widths) - 18.0) / 3] * 3
    assert write.rows_height(table, widths) <= write.rows_height(table, even)
    assert write.text_lines(many, widths[1] - 1) == 6  # each ask of the full cell on one line


def _wide_table(print_area=None):
    import polars as pl

    from mhtool.outputs.views.tables import Column, Table

    frame = pl.DataFrame(
        {
            "a": ["a long text " * 12, "short", "context", "context"],
            "n": [1234.0, 5.0, 6.0, 7.0],
            "how": ["how it was made " * 8, "how", "how it was made " * 40, "x"],
        }
    )
    columns = [Column("A", "a"), Column("Figure", "n", "count"), Column("How", "how", width=300)]
    return Table("Fixed", "t", "d", columns, frame, print_area=print_area)


def test_a_print_area_prints_the_first_rows_and_columns_and_the_check_knows_it(tmp_path):
    """Table.print_area (rows, columns): the sheet's default print area is its heading and
    those rows and columns; only the printed columns are fitted to the page (the others
    keep their width, on screen); `mhtool check` names a sheet printing anything else."""
    import openpyxl

    from mhtool.outputs.views.layout import column_px, printed_pt

    table = _wide_table(print_area=(2, 2))
    natural = [200.0, 12.0, 300.0]
    widths = write.readable_widths(table, natural)
    assert widths[2] == 300.0  # not printed: as wide as it was
    assert printed_pt(sum(column_px(w) for w in widths[:2])) >= 9
    whole = write.readable_widths(_wide_table(), [200.0, 12.0, 20.0])
    assert printed_pt(sum(column_px(w) for w in whole)) >= 9 and whole[0] < widths[0]
    # a prose column that is not printed is widened on screen until it is not what makes
    # a printed row tall: the printed rows are as tall as their printed text
    narrow = write.readable_widths(table, [200.0, 12.0, 20.0])
    assert narrow[:2] == widths[:2] and 20.0 < narrow[2] < write.SCREEN_WIDTH
    head = table.frame.head(2)
    for i in range(2):
        printed = write.text_lines(head["a"][i], write._room(table, 0, narrow[0]))
        assert write.text_lines(head["how"][i], write._room(table, 2, narrow[2])) <= printed

    from fixtures.sheets import written

    path = written(tmp_path / "QA0.xlsx", table)
    assert openpyxl.load_workbook(path)["Fixed"].print_area == "'Fixed'!$A$1:$B$5"
    assert check.print_ref(table) == "$A$1:$B$5"

    rel = "systems/QA0.xlsx"
    fine = check.check_print(path, rel, expected=[table])
    assert not [p for p in fine if "print area" in p or " pt" in p], fine
    xml = check.read_structure(path)[1]["Fixed"]
    assert check.printed_size(xml, 3) < 9 <= check.printed_size(xml, 2)  # How is not printed
    whole = check.check_print(path, rel, expected=[_wide_table()])
    assert f"{rel} Fixed: its print area is $A$1:$B$5; expected the whole sheet" in whole
    more = check.check_print(path, rel, expected=[_wide_table(print_area=(4, 3))])
    assert f"{rel} Fixed: its print area is $A$1:$B$5; expected $A$1:$C$7" in more


def test_numbering_the_notes_keeps_a_tables_print_area():
    """notes.number remakes every table with its notes renumbered: what prints is kept."""
    from fixtures.sample import SAMPLE_META

    from mhtool.outputs.views import notes

    table = _wide_table(print_area=(2, 2))
    table.description = "see [note 3]"
    numbered = [t for t in notes.number([table], SAMPLE_META) if t.sheet == "Fixed"]
    assert numbered[0].print_area == (2, 2) and numbered[0].description == "see [note 1]"


def test_the_printed_columns_share_the_page_for_the_fewest_printed_lines():
    """A row is as tall as its most wrapped cell: a column whose text is short on most
    rows but long on a few (a unit) is given the room those rows need, so the printed
    rows take fewer lines in all than widths in proportion to each column's average text."""
    import polars as pl

    from mhtool.outputs.views.layout import column_px
    from mhtool.outputs.views.tables import Column, Table

    frame = pl.DataFrame(
        {
            "title": [
                f"an ask of the plan number {i} with a title of some length" for i in range(8)
            ],
            "asks": ["what it asks of the organisation, in words, with its figures " * 2] * 8,
            "unit": ["people"] * 6 + ["people per year (additional vs the 2014/15 baseline)"] * 2,
            "n": [1.0] * 8,
        }
    )
    columns = [Column("Title", "title"), Column("Asks", "asks"), Column("Unit", "unit")]
    columns.append(Column("Figure", "n", "count"))
    table = Table("Fixed", "t", "d", columns, frame, print_area=(8, 4))
    natural, room = [60.0, 80.0, 40.0, 12.0], 700.0

    def lines(widths):
        return sum(
            max(write.text_lines(v, write._room(table, c, widths[c])) for c, v in enumerate(row))
            for row in frame.select("title", "asks", "unit").iter_rows()
        )

    proportional = write._fitted(table, natural, room, frame)
    fewest = write.readable_widths(table, natural, room)
    assert sum(map(column_px, fewest)) <= room
    assert lines(fewest) < lines(proportional)
    assert fewest[2] > proportional[2]  # the unit's long cells get their room
