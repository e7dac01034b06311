"""The selector's own pieces: how an organisation is listed, and formulas that only use
functions every spreadsheet program knows (its words for each ask are the Plan page's,
mhtool.outputs.views.planpage, tested with it)."""

from __future__ import annotations

from mhtool.outputs.selector.write import formulas, label


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
