"""The delivery view: published actual delivery beside each organisation's fair shares.

A pure table of the spine and the shipped actuals tables (mhtool.refdata.store.actuals),
guided by the catalogue's `[[actual]]` entries (carried in WorkbookMeta.actuals, so `mhtool
check` remakes it from the run alone). Nothing here makes a share: the fair shares are the
spine's, the actuals are the published figures (an organisation the file does not publish
gets the sum of its published parts, and is missing if any part is). `delivery.csv`, the
Delivery sheet of every workbook and the marks over the chart's bars are made from it.
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from mhtool import vocab
from mhtool.catalogue.model import Actual
from mhtool.errors import InputError
from mhtool.outputs.views.layout import short_name
from mhtool.outputs.views.summary import home
from mhtool.outputs.views.tables import PRINTED_FIRST, ROW_FORMAT, Column, Table
from mhtool.refdata import store

FILE = "delivery.csv"
#: delivery.csv's columns, in order (docs/outputs.md and docs/architecture.md say what each means)
COLUMNS = {
    "level": pl.String,
    "org_code": pl.String,
    "org_name": pl.String,
    "parent_code": pl.String,
    "ambition_id": pl.String,
    "title": pl.String,
    "actual": pl.String,
    "how": pl.String,
    "source": pl.String,
    "period": pl.String,
    "year": pl.String,
    "actual_value": pl.Float64,
    "unit": pl.String,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "actual_from": pl.String,
    "fair_share_year": pl.String,
    "fair_share": pl.Float64,
    "end_year": pl.String,
    "fair_share_end": pl.Float64,
    "actual_pct_of_fair_share": pl.Float64,
    "gap": pl.Float64,
    "gap_to_end": pl.Float64,
    "growth_a_year_pct": pl.Float64,
    "parts_sum": pl.Float64,
    "parts_difference": pl.Float64,
}
PEOPLE, PERCENT = "people", "percent"
_RANK = {lv: i for i, lv in enumerate(vocab.LEVELS)}
_BELOW = {lv: vocab.LEVELS[i + 1] for i, lv in enumerate(vocab.LEVELS[:-1])}
_WITHIN = {"region": "region_code", "icb": "icb_code", "subicb": "org_code"}


def specs(catalogue) -> tuple[dict, ...]:
    """The catalogue's `[[actual]]` entries as plain mappings (WorkbookMeta.actuals)."""
    return tuple(asdict(a) for a in catalogue.actuals)


def build(spine: pl.DataFrame, actuals: tuple[dict, ...], geography: str) -> pl.DataFrame:
    """One row per organisation, actual and year it is set beside (the years of the round
    the actual is published for, else its latest year), and one row saying why for each
    ambition no published actual measures."""
    spine = spine.filter(pl.col("level").is_in(vocab.LEVELS))
    rows: list[dict] = []
    round_years = sorted(spine["year"].unique().to_list())
    end_year = round_years[-1] if round_years else ""
    for i, spec in enumerate(Actual(**a) for a in actuals):
        lines = spine.filter(pl.col("ambition_id") == spec.ambition)
        if lines.is_empty():
            continue
        first = lines.row(0, named=True)
        if spec.none:
            rows.append(
                _org(_top(lines))
                | _line(first, spec, i)
                | {"actual_from": f"not measured: {spec.none}", "end_year": end_year}
            )
            continue
        shipped = store.actual_geographies(spec.source)
        if str(geography) not in shipped:
            why = f"no {spec.source} actuals on geography {geography} (shipped on {shipped})"
            rows.append(_org(_top(lines)) | _line(first, spec, i) | {"actual_from": why})
            continue
        table = store.actuals(spec.source, geography)
        for field in ("measure", "denominator"):
            name = getattr(spec, field)
            if name and name not in set(table["measure"]):
                have = ", ".join(sorted(set(table["measure"])))
                raise InputError(
                    f"{spec.ambition}'s actual {spec.label!r}: no {field} {name!r} in the "
                    f"{spec.source} actuals (they have: {have})",
                    field=field,
                )
        table = table.filter(pl.col("measure").is_in([spec.measure, spec.denominator]))
        if spec.quarter:
            table = table.filter(pl.col("period") == pl.lit(spec.quarter + " ") + pl.col("year"))
        else:
            table = table.filter(pl.col("period") == pl.col("year"))
        rows += _rows(lines, table, spec, i, round_years)
    frame = pl.DataFrame(rows, schema=COLUMNS | {"_i": pl.Int64}, orient="row")
    rank = pl.col("level").replace_strict(_RANK, return_dtype=pl.Int8)
    return frame.sort(rank, "org_code", "_i", "year").drop("_i")


def _top(lines: pl.DataFrame) -> dict:
    """The highest organisation of an ambition's lines (England in a whole run)."""
    return lines.sort(pl.col("level").replace_strict(_RANK, return_dtype=pl.Int8)).row(
        0, named=True
    )


def _org(r: dict) -> dict:
    return {k: r[k] for k in ("level", "org_code", "org_name", "parent_code")}


def _line(first: dict, spec: Actual, i: int) -> dict:
    return {
        "ambition_id": spec.ambition,
        "title": first["title"],
        "actual": spec.label,
        "how": spec.how,
        "source": spec.source or None,
        "_i": i,
    }


def _rows(lines: pl.DataFrame, table: pl.DataFrame, spec: Actual, i: int, round_years) -> list:
    """The rows of one actual: each organisation of the spine, each year chosen."""
    end_year = round_years[-1]
    have = sorted(table["year"].unique().to_list())
    years = [y for y in have if y in round_years] or have[-1:]
    published = {
        (r["level"], r["org_code"], r["year"], r["measure"]): (r["value"], r["route"])
        for r in table.iter_rows(named=True)
    }
    lowest = max((_RANK[lv] for lv in table["level"].unique()), default=0)
    orgs = lines.select("level", "org_code", "org_name", "parent_code", "region_code", "icb_code")
    orgs = orgs.unique("org_code").sort("org_code").to_dicts()
    fair = {(r[0], r[1]): r[2] for r in lines.select("org_code", "year", "value").iter_rows()}
    first = lines.row(0, named=True)
    as_rate = bool(spec.denominator) and first["unit_kind"] != PERCENT
    out = []
    for year in years:
        counted = {
            m: {o["org_code"]: _value(o, orgs, published, year, m, lowest) for o in orgs}
            for m in filter(None, (spec.measure, spec.denominator))
        }
        for o in orgs:
            num, how = counted[spec.measure][o["org_code"]]
            den = counted[spec.denominator][o["org_code"]][0] if spec.denominator else None
            value = num
            if spec.denominator:
                value = round(100 * num / den, 1) if num is not None and den else None
            # the same year; the round's first (or last) year for an actual outside it
            fs_year = min(max(year, round_years[0]), end_year)
            fs, fs_end = fair.get((o["org_code"], fs_year)), fair.get((o["org_code"], end_year))
            if as_rate:  # a count's fair share over the same denominator
                fs = round(100 * fs / den, 1) if fs is not None and den else None
                fs_end = round(100 * fs_end / den, 1) if fs_end is not None and den else None
            row = _org(o) | _line(first, spec, i)
            row |= {"period": f"{spec.quarter} {year}" if spec.quarter else year, "year": year}
            row |= {"actual_value": value, "unit": PERCENT if spec.denominator else PEOPLE}
            row |= {"numerator": num, "denominator": den}
            row |= {"actual_from": how, "fair_share_year": fs_year, "fair_share": fs}
            row |= {"end_year": end_year}
            row |= {"fair_share_end": fs_end} | _compare(value, fs, fs_end, year, end_year, row)
            row |= _parts(o, orgs, counted[spec.measure], how)
            out.append(row)
    return out


def _value(o: dict, orgs: list, published: dict, year: str, measure: str, lowest: int):
    """(value, how it was got) of one organisation: as published, else the sum of its
    published parts at the lowest level published (missing if any part is missing)."""
    hit = published.get((o["level"], o["org_code"], year, measure))
    if hit is not None:
        value, route = hit
        return value, "published" + ("" if route == "as published" else f" ({route})")
    if _RANK[o["level"]] >= lowest:
        return None, "not published for this organisation"
    level = vocab.LEVELS[lowest]
    parts = [
        p
        for p in orgs
        if p["level"] == level
        and (o["level"] == "england" or p[_WITHIN[o["level"]]] == o["org_code"])
    ]
    got = [published.get((p["level"], p["org_code"], year, measure)) for p in parts]
    if not parts or any(g is None or g[0] is None for g in got):
        return None, f"not published for every {vocab.LEVEL_NAMES[level]} of it"
    split = any("split" in g[1] for g in got)
    name = vocab.LEVEL_NAMES[level] + ("s" if len(parts) > 1 else "")
    words = f"sum of its {len(parts)} {name} as published"
    return sum(g[0] for g in got), words + ("; some split by a weight" if split else "")


def _compare(value, fs, fs_end, year: str, end_year: str, row: dict) -> dict:
    """Actual as a percentage of its fair share, the gaps, and the growth a year needed."""
    people = row["unit"] == PEOPLE
    out = {"actual_pct_of_fair_share": None, "gap": None, "gap_to_end": None}
    out["growth_a_year_pct"] = None
    if value is None:
        return out
    if fs:
        out["actual_pct_of_fair_share"] = round(100 * value / fs, 1)
    if fs is not None:
        out["gap"] = round(fs - value, 1)
    if fs_end is not None:
        out["gap_to_end"] = round(fs_end - value, 1)
    steps = int(end_year[:4]) - int(year[:4])
    if people and fs_end and value > 0 and steps > 0:
        out["growth_a_year_pct"] = round(100 * ((fs_end / value) ** (1 / steps) - 1), 1)
    return out


def _parts(o: dict, orgs: list, counted: dict, how: str) -> dict:
    """A published figure beside the sum of its parts one level down, where those are
    known: how far the parts fall short of (or exceed) the whole."""
    out = {"parts_sum": None, "parts_difference": None}
    below = _BELOW.get(o["level"])
    if not how.startswith("published") or below is None:
        return out
    parts = [
        p["org_code"]
        for p in orgs
        if p["level"] == below and (o["level"] == "england" or p["parent_code"] == o["org_code"])
    ]
    values = [counted[p][0] for p in parts]
    if parts and all(v is not None for v in values):
        out["parts_sum"] = float(sum(values))
        out["parts_difference"] = float(counted[o["org_code"]][0] - sum(values))
    return out


def for_orgs(frame: pl.DataFrame | None, df: pl.DataFrame) -> pl.DataFrame | None:
    """The delivery rows of the organisations in `df` (a workbook's slice of the spine)."""
    if frame is None:
        return None
    return frame.filter(pl.col("org_code").is_in(df["org_code"].unique().to_list()))


def sheet_table(df: pl.DataFrame, rows: pl.DataFrame | None):
    """The Delivery sheet of a workbook: its own organisation first, then its parts one
    level down, then the levels above, each actual beside its fair shares (None without
    actuals)."""
    if rows is None or rows.is_empty():
        return None
    level, code, _ = home(df)
    rank = pl.col("level").replace_strict(_RANK, return_dtype=pl.Int8)
    # its parts one level down only (every organisation is in delivery.csv); the slice
    # holds no organisation above it but its own parents
    rows = rows.filter(
        (pl.col("org_code") == code) | (pl.col("parent_code") == code) | (rank < _RANK[level])
    )
    place = (
        pl.when(pl.col("org_code") == code)
        .then(0)
        .when(rank > _RANK[level])
        .then(1 + rank)
        .otherwise(10 - rank)  # the levels above, the nearest first
    )
    frame = (
        rows.with_row_index("_n")
        .sort(place, "_n")
        .with_columns(
            pl.struct("org_name", "org_code")
            .map_elements(lambda r: short_name(r["org_name"], r["org_code"]), pl.String)
            .alias("_org"),
            pl.col("level").replace_strict(vocab.LEVEL_NAMES, default=None).alias("_level"),
            pl.when(pl.col("unit") == PERCENT)
            .then(pl.lit("percent"))
            .otherwise(pl.lit("count"))
            .alias(ROW_FORMAT),
        )
    )
    end = frame["end_year"].drop_nulls()
    end_year = end[0] if end.len() else "the end year"
    own = frame.filter(pl.col("org_code") == code).height
    # a board paper takes the organisation's own rows: they print, the rest stay on screen
    printed = own if 0 < own < frame.height else None
    columns = [
        Column("Organisation", "_org"),
        Column("Organisation level", "_level"),
        Column("Ambition ID", "ambition_id"),
        Column("What was delivered", "actual", width=46),
        Column("Period", "period"),
        Column("Actual", "actual_value", "row"),
        Column("Fair share year", "fair_share_year"),
        Column("Fair share", "fair_share", "row"),
        Column("Actual as % of fair share", "actual_pct_of_fair_share", "percent"),
        Column("Gap", "gap", "row"),
        Column(f"Fair share, {end_year}", "fair_share_end", "row"),
        Column(f"Gap to {end_year}", "gap_to_end", "row"),
        Column("Growth a year needed (%)", "growth_a_year_pct", "percent"),
        Column("How the actual was got", "actual_from", width=46),
        Column("Parts one level down (sum)", "parts_sum", "count"),
        Column("Published less its parts", "parts_difference", "count"),
    ]
    return Table(
        "Delivery",
        "Actual delivery beside fair shares",
        (f"{PRINTED_FIRST} " if printed else "")
        + "NHS England's published delivery beside the fair share for its year and the end "
        "year; actuals never change a fair share. Gap: fair share less actual.",
        columns,
        frame,
        name="delivery",
        # the parts' sum and the difference from it (how the published file adds up) are
        # on screen only
        print_area=(printed, len(columns) - 2) if printed else None,
    )


def marks(rows: pl.DataFrame | None, org_code: str) -> tuple:
    """An organisation's counted actuals for its chart: (ambition_id, year, value, label)."""
    if rows is None:
        return ()
    own = rows.filter(
        (pl.col("org_code") == org_code)
        & (pl.col("unit") == PEOPLE)
        & pl.col("actual_value").is_not_null()
    )
    return tuple(own.select("ambition_id", "year", "actual_value", "period").iter_rows())
