"""A catalogue with no asks in a category (the MTPF has no flexible ones) still gives
England's workbook its tables: the category sheet's row saying so names no ambition."""

from fixtures.sample import sample_spine

from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.tables import prepare, tables


def test_englands_tables_with_a_category_that_has_no_asks():
    df = prepare(sample_spine(ambitions=2))  # two fixed asks: no flexible, no targeted
    shown = tables(scopes.rows(df, scopes.Scope("england", "ENG")))
    flexible = next(t for t in shown if t.sheet == "Flexible")
    assert flexible.frame["ambition_id"].to_list() == [None]
    assert flexible.frame["title"][0].startswith("The catalogue has no")
