"""One description of every spine column: type, meaning, unit and workbook header.

Modelled on PUDL's FIELD_METADATA: the spine's schema (``spine.SCHEMA``), the workbook
and changes headers, `mhtool check` and the column tables in docs/architecture.md are all
derived from ``FIELD_METADATA`` here, so a column is described once. Stable names:

- ``Field``: one column's metadata (``name``, ``dtype``, ``description``, ``unit``,
  ``header``).
- ``FIELD_METADATA``: column name -> Field, in the spine's column order.
- ``SPINE_COLUMNS``: the column names, in order.
- ``schema()``: {column: polars type}, the spine's contract.
- ``header(name)``: the workbook header of a column.
- ``HELPER_COLUMNS``: the columns the output views add to the spine (sort keys, each row's
  number format, each line's split method, ...), name -> Helper(name, meaning, added_by);
  their names (``ORG_SORT``, ``AMBITION_RANK``, ``ROW_FORMAT``, ``LEVEL_NAME``,
  ``LINE_SPLIT``, ``PLAN_ORDER``, ``OWN``, ``PLACE_WEIGHTING``) are what modules write and read.
- ``markdown_table()`` / ``helpers_table()``: the docs' tables; ``with_docs_table(text)``
  puts them between the ``<!-- fields:begin/end -->`` and ``<!-- helpers:begin/end -->``
  markers of a Markdown text.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mhtool import vocab


@dataclass(frozen=True)
class Field:
    """One spine column. ``unit`` is "" for text, else what its numbers are in;
    ``header`` is what a workbook table calls the column."""

    name: str
    dtype: type[pl.DataType] | pl.DataType
    description: str
    header: str
    unit: str = ""


def _words(words) -> str:
    return ", ".join(f"`{w}`" for w in words)


_FIELDS = (
    Field(
        "level",
        pl.String,
        f"Organisation level: {_words((*vocab.LEVELS, vocab.PLACE))} (places only in runs "
        "with `--places`).",
        "Organisation level",
    ),
    Field(
        "org_code",
        pl.String,
        f"ODS code of the organisation (`{vocab.ENGLAND_CODE}` for England).",
        "Organisation code",
    ),
    Field("ons_code", pl.String, "ONS (GSS) code of the organisation.", "ONS code"),
    Field("org_name", pl.String, "Name of the organisation.", "Organisation name"),
    Field(
        "parent_code",
        pl.String,
        "Code of the organisation one level up (empty for England); a place's is its "
        "sub-ICB, or its ICB where the user's places of that ICB cross sub-ICBs.",
        "Parent code",
    ),
    Field("region_code", pl.String, "Code of the region the organisation is in.", "Region code"),
    Field("icb_code", pl.String, "Code of the ICB the organisation is in.", "ICB code"),
    Field("programme", pl.String, "Programme of the Plan the ambition belongs to.", "Programme"),
    Field(
        "ambition_id",
        pl.String,
        "The ambition's ID in the catalogue; the metric code of the planning files.",
        "Ambition ID",
    ),
    Field(
        "planning_ref",
        pl.String,
        "The catalogue's planning-template reference (empty where it has none).",
        "Planning reference",
    ),
    Field("title", pl.String, "What the ambition asks for.", "Ambition"),
    Field("category", pl.String, f"Category of ask: {_words(vocab.CATEGORIES)}.", "Category"),
    Field("kind", pl.String, f"What the figure is: {_words(vocab.KINDS)}.", "Kind"),
    Field(
        "measure",
        pl.String,
        f"What it measures, which fixes the rounding step: {_words(vocab.MEASURES)}.",
        "Measure",
    ),
    Field("unit", pl.String, "The unit, as words for readers.", "Unit"),
    Field(
        "unit_kind",
        pl.String,
        f"What the figure is counted in, for code: {_words(vocab.UNIT_KINDS)}.",
        "Unit kind",
    ),
    Field("year", pl.String, "Financial year, e.g. 2023/24.", "Financial year"),
    Field(
        "value",
        pl.Float64,
        "The organisation's figure; its level sums exactly to the level above.",
        "Value",
        "unit",
    ),
    Field(
        "value_high",
        pl.Float64,
        "The upper end where the source gives a range ('between a fifth and a quarter': "
        "value 20, value_high 25); empty otherwise. Only lines that are not split carry one.",
        "Value (upper end)",
        "unit",
    ),
    Field("national_value", pl.Float64, "England's figure that year.", "England", "unit"),
    Field(
        "share",
        pl.Float64,
        "Unrounded share of England's figure (empty for carried rates and standards).",
        "Share of England",
        "fraction",
    ),
    Field(
        "basis",
        pl.String,
        "Label of the basis the figure was split by, as shown to readers.",
        "Basis",
    ),
    Field(
        "basis_name",
        pl.String,
        "The catalogue's name of that basis (empty where nothing is split by one).",
        "Basis name",
    ),
    Field(
        "split_method",
        pl.String,
        f"How the figure came from England's: {_words(vocab.SPLIT_METHODS)}.",
        "Split method",
    ),
    Field(
        "provenance",
        pl.String,
        f"How England's figure was obtained: {_words(vocab.PROVENANCES)}.",
        "Provenance",
    ),
)

#: Every spine column, in order: name -> Field.
FIELD_METADATA: dict[str, Field] = {f.name: f for f in _FIELDS}
SPINE_COLUMNS: tuple[str, ...] = tuple(FIELD_METADATA)


@dataclass(frozen=True)
class Helper:
    """A column the output views add to (a slice of) the spine for other output modules
    to rely on: never written to the spine, declared here so none is spelled ad hoc."""

    name: str
    meaning: str
    added_by: str


O1, O2, O3 = "_o1", "_o2", "_o3"
#: Organisation sort keys: England, then each region followed by its ICBs and sub-ICBs.
ORG_SORT: tuple[str, ...] = (O1, O2, O3)
AMBITION_RANK = "_ar"
ROW_FORMAT = "_fmt"
LEVEL_NAME = "_level_name"
LINE_SPLIT = "_split"
PLAN_ORDER = "_po"
OWN = "_own"
PLACE_WEIGHTING = "_place_how"

_HELPERS = (
    Helper(O1, "Sort key: the region's code ('' for England).", "views.prepare"),
    Helper(O2, "Sort key: the ICB's code ('' for England and regions).", "views.prepare"),
    Helper(O3, "Sort key: the sub-ICB's code ('' above sub-ICB).", "views.prepare"),
    Helper(
        AMBITION_RANK,
        "Ambition's rank in natural order of planning reference, then ID.",
        "views.prepare",
    ),
    Helper(
        ROW_FORMAT,
        "The row's number format, a key of layout.NUMBER_FORMATS (views.number_format).",
        "views.prepare",
    ),
    Helper(LEVEL_NAME, "The level as readers call it (vocab.LEVEL_NAMES).", "views.prepare"),
    Helper(
        LINE_SPLIT,
        "The line's split method in every year (views.line_split): a pilot year reported "
        "for England only keeps it.",
        "views.prepare",
    ),
    Helper(
        PLAN_ORDER,
        "Line's place in the Plan's order: programme, measure, headline first, catalogue.",
        "views.plan_order",
    ),
    Helper(
        OWN,
        "True for the workbook's own organisations, false for those shown for context.",
        "scope.rows",
    ),
    Helper(
        PLACE_WEIGHTING,
        "A place row's ambition, basis and how its places were weighted, for the notes.",
        "places.workbook_rows",
    ),
)
#: Every helper column of the output views: name -> Helper.
HELPER_COLUMNS: dict[str, Helper] = {h.name: h for h in _HELPERS}


def schema() -> dict[str, pl.DataType]:
    """The spine's columns and polars types, in order: the contract every output relies on."""
    return {name: f.dtype for name, f in FIELD_METADATA.items()}


def header(name: str) -> str:
    """The workbook header of a spine column."""
    return FIELD_METADATA[name].header


def _type_name(dtype) -> str:
    return {"String": "text", "Float64": "number"}.get(str(dtype), str(dtype))


def markdown_table() -> str:
    """The spine's column table as Markdown, as docs/architecture.md shows it."""
    lines = [
        "| column | type | unit | workbook header | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in FIELD_METADATA.values():
        lines.append(
            f"| `{f.name}` | {_type_name(f.dtype)} | {f.unit or '-'} | {f.header} | "
            f"{f.description} |"
        )
    return "\n".join(lines)


def helpers_table() -> str:
    """The helper columns' table as Markdown, as docs/architecture.md shows it."""
    lines = ["| column | added by | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{h.name}` | `{h.added_by}` | {h.meaning} |" for h in _HELPERS]
    return "\n".join(lines)


DOC_BEGIN, DOC_END = "<!-- fields:begin -->", "<!-- fields:end -->"
HELPERS_BEGIN, HELPERS_END = "<!-- helpers:begin -->", "<!-- helpers:end -->"


def _between(text: str, begin: str, end: str, table: str) -> str:
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def with_docs_table(text: str) -> str:
    """``text`` with the tables between its markers replaced by the current ones."""
    text = _between(text, DOC_BEGIN, DOC_END, markdown_table())
    if HELPERS_BEGIN in text:
        text = _between(text, HELPERS_BEGIN, HELPERS_END, helpers_table())
    return text


if __name__ == "__main__":  # python -m mhtool.fields docs/architecture.md
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        doc = Path(name)
        doc.write_text(with_docs_table(doc.read_text(encoding="utf-8")), encoding="utf-8")
