"""The selector's own pieces: how an organisation is listed, and formulas that only use
functions every spreadsheet program knows (its words for each ask are the Plan page's,
mhtool.outputs.views.planpage, tested with it)."""

from __future__ import annotations

import re

from mhtool.outputs.selector.write import formulas, label


def test_england_is_listed_by_name_and_others_with_their_code():
    assert label("England", "ENG") == "England"
    assert label("NHS Kent and Medway Integrated Care Board", "QKS").endswith("(QKS)")
    assert label("NHS Kent and Medway ICB - 09C", "09C") == "NHS Kent and Medway ICB - 09C"


def test_formulas_use_no_function_newer_spreadsheets_alone_know():
    """INDEX, MATCH, IFERROR and SUBSTITUTE only: no FILTER, XLOOKUP, LET or other
    dynamic arrays."""
    from fixtures.sample import SAMPLE_META, sample_spine

    from mhtool.outputs.selector.write import build
    from mhtool.outputs.views.tables import prepare

    sel = build(prepare(sample_spine()), SAMPLE_META)
    used = set()
    for cells in formulas(sel).values():
        for text in cells.values():
            used |= set(re.findall(r"([A-Z][A-Z.]+)\(", text))
    assert used == {"IFERROR", "INDEX", "MATCH", "SUBSTITUTE"}


def _as_pattern(formula: str, value: str) -> re.Pattern:
    """What an exact MATCH in `formula` looks for when its lookup value gives `value`:
    the formula's SUBSTITUTE calls applied innermost first, then the result read as
    Excel reads a pattern (~ takes the next character as it is, * any run, ? any one)."""
    for find, put in re.findall(r',"(.)","(~.)"\)', formula):
        value = value.replace(find, put)
    out, i = "", 0
    while i < len(value):
        ch = value[i]
        if ch == "~" and i + 1 < len(value):
            out, i = out + re.escape(value[i + 1]), i + 2
            continue
        out += ".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
        i += 1
    return re.compile(out, re.I | re.S)


NAMES = ["NHS Kent and Medway (QKS)?", "NHS Kent*~?", "A~B", "AB", "Who?", "Whom", "*", "x"]


def test_every_lookup_matches_its_text_alone_whatever_characters_it_holds():
    """A name with *, ? or ~ finds itself and no other row (unescaped, 'NHS Kent*~?'
    would find the name before it, 'A~B' would find 'AB', '*' the first row)."""
    from fixtures.sample import SAMPLE_META, sample_spine

    from mhtool.outputs.selector.write import build
    from mhtool.outputs.views.tables import prepare

    sel = build(prepare(sample_spine()), SAMPLE_META)
    lookups = [t for cells in formulas(sel).values() for t in cells.values() if "MATCH(" in t]
    assert lookups
    for formula in lookups:
        for name in NAMES:
            pattern = _as_pattern(formula, name)
            assert [n for n in NAMES if pattern.fullmatch(n)] == [name], (formula, name)


def test_the_selectors_plan_page_holds_each_organisations_workbook_plan_page():
    """Picking an organisation shows what its workbook's Plan sheet shows: the same
    programmes and words (activity asks; money and staff are on the Years sheet)."""
    import polars as pl
    from fixtures.sample import SAMPLE_META, sample_spine

    from mhtool.outputs.selector.write import build
    from mhtool.outputs.views import scope as scopes
    from mhtool.outputs.views.planpage import CATEGORY_COLUMNS, plan_table
    from mhtool.outputs.views.scope import Scope
    from mhtool.outputs.views.tables import prepare

    df = prepare(sample_spine())
    sel = build(df, SAMPLE_META)
    for level, code in (("icb", "QA0"), ("england", "ENG")):
        page = plan_table(scopes.rows(df, Scope(level, code)), SAMPLE_META).frame
        mine = sel.plan.filter(pl.col("key").str.starts_with(code + "/"))
        cols = ["programme", *CATEGORY_COLUMNS]
        assert mine.select(cols).rows() == page.select(cols).rows(), code
