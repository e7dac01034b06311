"""The selector's words for one ask: the organisation's own figure, unit and share, and a
targeted ask held for England said to be held nationally, alike for every organisation."""

from __future__ import annotations

from mhtool.fields import LINE_SPLIT, ROW_FORMAT
from mhtool.outputs.selector.write import ask_words, formulas, label

LINE = {
    "title": "Women accessing specialist community perinatal mental health services",
    "category": "fixed",
    "kind": "count",
    "unit": "women per year",
    ROW_FORMAT: "count",
    LINE_SPLIT: "by_basis",
    "level": "icb",
    "value": 2167.0,
    "year": "2023/24",
    "share": 0.03284,
}


def test_own_count_with_its_share_of_england():
    assert ask_words(LINE, own=True) == (
        "Women accessing specialist community perinatal mental health services: "
        "2,167 women per year in 2023/24 (3.3% of England)"
    )


def test_england_has_no_share_and_a_national_line_says_it_is_not_shared():
    england = LINE | {"level": "england", "share": 1.0, "value": 66000.0}
    assert ask_words(england, own=True).endswith("66,000 women per year in 2023/24")
    held = england | {"category": "targeted", LINE_SPLIT: "national_only", "value": 15.0}
    assert ask_words(held, own=True).endswith("15 women per year in 2023/24; not shared out")


def test_standard_money_and_staff_in_their_own_units():
    standard = LINE | {
        "kind": "standard",
        ROW_FORMAT: "percent",
        "unit": "percent of the area's referrals",
        "value": 95.0,
        "share": None,
    }
    assert ask_words(standard, own=True).endswith(": 95% of the area's referrals by 2023/24")
    money = LINE | {ROW_FORMAT: "money", "unit": "£ (additional vs 2018/19)", "value": 1145480.0}
    assert ": £1,145,480 (additional vs 2018/19) in 2023/24 (3.3% of England)" in ask_words(
        money, own=True
    )
    staff = LINE | {"category": "flexible", ROW_FORMAT: "wte", "unit": "staff", "value": 117.9}
    assert ": 117.9 staff by 2023/24 (3.3% of England)" in ask_words(staff, own=True)


def test_a_targeted_ask_held_for_england_reads_alike_for_every_organisation():
    held = LINE | {"category": "targeted", "title": "New NHS gambling clinics", "value": 15.0}
    held |= {"unit": "clinics (number, national)", "level": "england"}
    text = ask_words(held, own=False)
    assert text == (
        "New NHS gambling clinics: 15 clinics (number, national) nationally in 2023/24; "
        "areas chosen nationally, not shared out"
    )
    assert ask_words(LINE | {"value": None}, own=True).endswith(": no figure")


def test_england_is_listed_by_name_and_others_with_their_code():
    assert label("England", "ENG") == "England"
    assert label("NHS Kent and Medway Integrated Care Board", "QKS").endswith("(QKS)")
    assert label("NHS Kent and Medway ICB - 09C", "09C") == "NHS Kent and Medway ICB - 09C"


def test_formulas_use_no_function_newer_spreadsheets_alone_know():
    """INDEX, MATCH and IFERROR only: no FILTER, XLOOKUP, LET or other dynamic arrays."""
    import re

    from fixtures.sample import SAMPLE_META, sample_spine

    from mhtool.outputs.selector.write import build
    from mhtool.outputs.views.tables import prepare

    sel = build(prepare(sample_spine()), SAMPLE_META)
    used = set()
    for cells in formulas(sel).values():
        for text in cells.values():
            used |= set(re.findall(r"([A-Z][A-Z.]+)\(", text))
    assert used == {"IFERROR", "INDEX", "MATCH"}
