"""How the workbooks print: rows tall enough for their wrapped text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageFont

from mhtool.outputs.workbook import write

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
