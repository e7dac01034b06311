"""Every table sheet of a workbook, in order: the one list the writer writes and
`mhtool check` recomputes. It sits above the tables it gathers (tables, summary, notes,
place_tables), so none of them needs to import another back."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from mhtool.outputs.views import categories, notes, planpage, summary, tables
from mhtool.outputs.views import delivery as delivery_view
from mhtool.outputs.views import place_tables as place_views
from mhtool.outputs.views.layout import short_name
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.tables import Table


@dataclass(frozen=True)
class PageTables:
    """The tables an organisation's workbook and its report page both show (before the
    workbook numbers their notes), made once and handed to both writers."""

    plan: Table
    categories: tuple[Table, ...]  # Fixed, Flexible, Targeted
    summary: Table | None
    compare: Table | None
    delivery: Table | None

    def shown(self) -> list[tuple[Table, bool]]:
        """(Table, carries figures) in the order a report page shows them."""
        made = [
            (self.plan, False),
            *((t, True) for t in self.categories),
            (self.summary, True),
            (self.compare, False),
            (self.delivery, False),
        ]
        return [(t, figures) for t, figures in made if t is not None]


def page_tables(
    df: pl.DataFrame, meta: WorkbookMeta | None = None, delivery: pl.DataFrame | None = None
) -> PageTables:
    """The Plan page, category, Summary, Compare and Delivery tables of this slice of the
    (prepared) spine; `delivery`: the run's delivery rows (mhtool.outputs.views.delivery)."""
    meta = meta or WorkbookMeta()
    return PageTables(
        plan=planpage.plan_table(df, meta),
        categories=categories.category_sheets(df, meta),
        summary=summary.summary_table(df, meta),
        compare=summary.compare_table(df),
        delivery=delivery_view.sheet_table(df, delivery_view.for_orgs(delivery, df)),
    )


def workbook_tables(
    df: pl.DataFrame,
    meta: WorkbookMeta | None = None,
    places: pl.DataFrame | None = None,
    delivery: pl.DataFrame | None = None,
    shared: PageTables | None = None,
) -> list[Table]:
    """Every table sheet of a workbook for this slice of the (prepared) spine, in order.
    `meta` words the bases (the catalogue's labels); without it their names are shown.
    `places`: a system's place rows (mhtool.outputs.views.place_tables.workbook_rows), for
    its Places sheet and the block of places at the end of its Summary; none, no such
    tables. `delivery`: the run's delivery rows (mhtool.outputs.views.delivery), for the
    Delivery sheet. `shared`: page_tables of the same slice, meta and delivery, when the
    caller made them already (for the report page too)."""
    meta = meta or WorkbookMeta()
    page = shared or page_tables(df, meta, delivery)
    out = [page.plan, page.summary, page.compare, page.delivery]
    if places is not None and not places.is_empty():
        level, code, name = summary.home(df)
        org = short_name(name, code, with_code=False)
        out += [place_views.summary_block(places, org), place_views.places_table(places)]
        if page.summary is not None:  # its block of places below it prints too: all of it
            out[1] = replace(page.summary, print_area=None)
    out += list(page.categories)
    out += [
        tables.funding_table(df, meta),
        tables.workforce_table(df, meta),
        tables.shares_table(df, meta),
    ]
    out.append(tables.data_table(df))
    return notes.number([t for t in out if t is not None], meta)
