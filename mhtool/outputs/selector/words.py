"""The selector's words: how each ask reads for the chosen organisation on the Plan page,
and how each line's figures were made, per level. Pure text from the prepared spine."""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.fields import LINE_SPLIT, PLAN_ORDER, ROW_FORMAT
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.summary import provenance_words
from mhtool.outputs.views.tables import (
    basis_words,
)

SEP = "/"  # joins an organisation code and a line in the data sheets' keys (no wildcard)
CATEGORY_COLUMNS = tuple(vocab.CATEGORIES)  # fixed, flexible, targeted


def figure_text(value: float, fmt: str) -> str:
    """A figure as its cells show it (layout.NUMBER_FORMATS)."""
    if fmt == "money":
        return f"£{value:,.0f}"
    if fmt == "wte":
        return f"{value:,.1f}"
    if fmt in ("percent", "rate"):
        return f"{value:,.1f}".removesuffix(".0")
    return f"{value:,.0f}"


def amount_text(value: float, fmt: str, unit: str) -> str:
    """'2,167 women per year', '£1,234 (additional vs 2018/19)', '95% of the area's ...'
    (`unit` in words: layout.unit_words)."""
    if fmt == "money":
        return f"{figure_text(value, fmt)} {unit.removeprefix('£').strip()}".strip()
    if fmt == "percent" and unit.lower().startswith("percent"):
        return f"{figure_text(value, fmt)}% {unit[len('percent') :].strip()}".strip()
    return f"{figure_text(value, fmt)} {unit}".strip()


def ask_words(line: dict, own: bool) -> str:
    """One ask in words with this organisation's figure in the last year it has one:
    `line` holds title, category, kind, unit, _fmt, the split, level and the last value,
    year and share; `own` False: the organisation has no row for it (a targeted ask held
    for England), so England's figure is told and that it is not shared out. What the
    categories mean (phasing agreed locally, selected areas) is said once, in the Plan
    page's headers."""
    title, value, year = line["title"], line["value"], line["year"]
    if value is None:
        return f"{title}: no figure"
    carried = line["kind"] in vocab.CARRIED_KINDS
    amount = amount_text(value, line[ROW_FORMAT], line["unit"])
    when = "by" if carried or line["category"] == "flexible" else "in"
    if not own:  # worded alike for every organisation, so stored once (shared strings)
        return (
            f"{title}: {amount} nationally {when} {year}; areas chosen nationally, not shared out"
        )
    text = f"{title}: {amount} {when} {year}"
    if line["share"] is not None and not carried and line["level"] != "england":
        text += f" ({line['share']:.1%} of England)"
    if line[LINE_SPLIT] == vocab.NATIONAL_ONLY and line["level"] == "england":
        text += "; not shared out"
    return text


CATEGORY_HEADERS = {
    "fixed": "Fixed (national trajectories every area follows)",
    "flexible": "Flexible (in place everywhere by the year shown; phasing agreed locally)",
    "targeted": "Targeted (selected areas; where no source names them, chosen nationally: "
    "this organisation may or may not be one)",
}


def line_words(rows: pl.DataFrame, lines: pl.DataFrame, meta: WorkbookMeta) -> pl.DataFrame:
    """How each line's figures were made and its basis in words, per level: the spine
    gives every organisation of a level the same (a place's basis is the practice-level
    equivalent of its parent's)."""
    first = (
        rows.sort("year")
        .group_by("level", "ambition_id", maintain_order=True)
        .agg(
            pl.col("year").filter(pl.col("org_code") == pl.col("org_code").first()),
            pl.col("provenance").filter(pl.col("org_code") == pl.col("org_code").first()),
            pl.col("basis").first(),
            pl.col("basis_name").first(),
        )
        .join(lines.select("ambition_id", PLAN_ORDER, LINE_SPLIT), on="ambition_id")
        .with_columns(
            pl.col("level").replace_strict(vocab.LEVEL_ORDER, return_dtype=pl.Int64).alias("_l")
        )
        .sort("_l", PLAN_ORDER)
    )
    out = []
    for level, amb, years, prov, basis, name, split in first.select(
        "level", "ambition_id", "year", "provenance", "basis", "basis_name", LINE_SPLIT
    ).iter_rows():
        shown = vocab.LEVEL_NAMES.get(level, level)
        out.append(
            [
                f"{shown}{SEP}{amb}",
                shown,
                amb,
                provenance_words(list(zip(years, prov, strict=True))),
                basis_words(basis, name, split, meta),
            ]
        )
    schema = ["key", "level", "ambition_id", "how", "basis_words"]
    return pl.DataFrame(out, schema={k: pl.String for k in schema}, orient="row")


def plan_words(
    by_line: pl.DataFrame, lines: pl.DataFrame, orgs: pl.DataFrame, programmes: list[str]
) -> pl.DataFrame:
    """The Plan page's words: per organisation and programme, each category's asks, one
    per line of text, in the Plan's order. Above places an organisation also sees the
    targeted asks held for England (a reader asks whether they are one of the areas); a
    place lists its own asks. Other lines held for England only are on the Years sheet."""
    info = {r["ambition_id"]: r for r in lines.iter_rows(named=True)}
    england = {
        r["ambition_id"]: r
        for r in by_line.filter(pl.col("level") == "england")
        .select("ambition_id", "value", "year", "share")
        .iter_rows(named=True)
    }
    own: dict[str, dict[str, dict]] = {}
    for r in by_line.select("org_code", "level", "ambition_id", "value", "year", "share").iter_rows(
        named=True
    ):
        own.setdefault(r["org_code"], {})[r["ambition_id"]] = r
    number = {p: i for i, p in enumerate(programmes, 1)}
    out = []
    for code, level in orgs.select("org_code", "level").iter_rows():
        mine = own.get(code, {})
        cells: dict[tuple[str, str], list[str]] = {}
        for amb, line in info.items():
            got = mine.get(amb)
            if got is None and (
                level == vocab.LEVEL_NAMES[vocab.PLACE]
                or amb not in england
                or line["category"] != "targeted"  # another framing of a national figure
            ):
                continue
            text = ask_words({**line, **(got or england[amb])}, got is not None)
            cells.setdefault((line["programme"], line["category"]), []).append(text)
        for p in programmes:
            texts = [cells.get((p, c)) for c in CATEGORY_COLUMNS]
            if any(texts):
                out.append(
                    [f"{code}{SEP}{number[p]}", p] + ["\n".join(t) if t else None for t in texts]
                )
    schema = ["key", "programme", *CATEGORY_COLUMNS]
    return pl.DataFrame(out, schema={k: pl.String for k in schema}, orient="row")
