"""The NHS operational planning template's layout: its columns, measure types, how a value
and a percentage are written. Shared by the planning export (mhtool.outputs.planning),
its checker, and plan assurance, which reads plans in the same layout."""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.planning import profile
from mhtool.planning.profile import MONTHS

NA = "NA"
TEMPLATE_COLUMNS = [
    "icb_code",
    "org_code",
    "planning_ref",
    "measure_type",
    "dim_type",
    "fin_year",
    "source",
    *MONTHS,
]
OTHER_COLUMNS = [
    "icb_code",
    "org_code",
    "metric_code",
    "title",
    "unit",
    "planning_ref",
    "ref_status",
    "measure_type",
    "dim_type",
    "fin_year",
    "source",
    *MONTHS,
    "note",
]
MONEY_COLUMNS = [
    "icb_code",
    "org_code",
    "metric_code",
    "title",
    "measure",
    "unit",
    "fin_year",
    "source",
    "value",
]
TEMPLATE_TYPES = ("Count", "Numerator", "Denominator", "Percentage")
#: How the files hold a percentage: 0-100 as NHS England's own files do (48.76 = 48.76%),
#: or proportions (0.4876) with `--planning-proportions`. profile.json records which; a
#: run written before it was recorded held proportions (OLD_SCALE).
HUNDRED, PROPORTION = "0-100", "proportion"
PERCENT_SCALES = (HUNDRED, PROPORTION)
OLD_SCALE = PROPORTION


def ratio_text(num: float, den: float, scale: str) -> float:
    """num / den as a Percentage on `scale`: 0-100 to 2 places, a proportion to 4 (the
    same precision either way)."""
    if scale == PROPORTION:
        return round(num / den, profile.RATE_PLACES)
    return round(100 * num / den, profile.RATE_PLACES - 2)


def measure_type() -> pl.Expr:
    """Each row's measure type for the workbooks' Data sheet: 'Percentage' for a rate or
    standard in percent, 'Count' for counts (people, sites, £, WTE), 'Value' for any other
    rate."""
    is_percent = pl.col("unit_kind") == "percent"
    return (
        pl.when(~pl.col("kind").is_in(vocab.CARRIED_KINDS))
        .then(pl.lit("Count"))
        .when(is_percent)
        .then(pl.lit("Percentage"))
        .otherwise(pl.lit("Value"))
    )


def format_value(x: float | None) -> str:
    """Whole numbers without a decimal point, others with the fewest digits that round-trip
    (WTE come out as 12.3), so the files are stable and paste cleanly."""
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else repr(round(x, 10))
