"""NHS Talking Therapies annual report measures for England, regions and ICBs, per geography.

Only the whole-organisation counts are kept (`variable_type` Total, `measure_statistic`
count): a rate is a numerator over a denominator of this table (recovery over at caseness),
made where it is used, never the file's rounded percentage. `*` marks a suppressed count,
which stays missing. ICBs are published on ODS codes from 2020-21 (as STPs until 2021-22),
which are geography 2022's ICB codes; geography 2026 merges some of them (summed, through the
LSOA crosswalk; any ICB that would be split goes by mid-2020 population and says so). STPs
before 2020-21 carry ONS codes of older boundaries and CCG rows carry codes of their year;
neither is shipped. Rows of organisation `UNKNOWN` have no place and are left out (their
counts are in sources.json).
"""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.errors import InputError
from mhtool.refdata.actuals import move
from mhtool.refdata.geography import Geographies
from mhtool.refdata.raw import RawDir, reconcile

RAW = "nhstt/measures_annual.parquet"
MEASURES = (
    "referrals_received",
    "finished_course_treatment",
    "at_caseness",
    "recovery",
    "reliable_recovery",
    "improvement",
)
LEVELS = {"England": "england", "Commissioning Region": "region", "STP": "icb", "ICB": "icb"}
#: England's finished courses as checked when the file was copied (PROVENANCE.md)
CHECKED = [
    ("2024/25", "finished_course_treatment", 670_419),
    ("2023/24", "finished_course_treatment", 671_648),
    ("2022/23", "finished_course_treatment", 672_193),
]
COLUMNS = [
    "reporting_period",
    "org_type",
    "org_code",
    "variable_type",
    "measure_name",
    "measure_statistic",
    "value",
]


def read(raw: RawDir) -> pl.DataFrame:
    """The Total counts: year, level, org_code, measure, value (missing where `*`)."""
    path = raw.path(RAW)
    try:
        lf = pl.scan_parquet(path)
        have = lf.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"not a readable parquet file ({exc})", file=RAW) from None
    for c in COLUMNS:
        if c not in have:
            raise InputError(f"missing column (have: {', '.join(have)})", file=RAW, field=c)
    rows = lf.select(pl.len()).collect().item()
    move.record(raw, RAW, rows)
    df = (
        lf.select(COLUMNS)
        .filter(
            (pl.col("variable_type") == "Total")
            & (pl.col("measure_statistic") == "count")
            & pl.col("measure_name").is_in(MEASURES)
            & pl.col("org_type").is_in(list(LEVELS))
        )
        .collect()
    )
    text = df["value"].str.strip_chars()
    number = text.cast(pl.Float64, strict=False)
    bad = df.filter((text != "*") & (number.is_null() | (number < 0) | (number != number.round())))
    if bad.height:
        r = bad.row(0, named=True)
        raise InputError(
            f"not a count or '*': {r['value']!r} ({r['org_code']} {r['reporting_period']} "
            f"{r['measure_name']})",
            file=RAW,
            field="value",
        )
    year = pl.col("reporting_period").str.slice(0, 5).str.replace("-", "/") + pl.col(
        "reporting_period"
    ).str.slice(5, 2)
    return df.select(
        year.alias("year"),
        pl.col("org_type").replace_strict(LEVELS).alias("level"),
        pl.when(pl.col("org_type") == "England")
        .then(pl.lit(vocab.ENGLAND_CODE))
        .otherwise("org_code")
        .alias("org_code"),
        pl.col("measure_name").alias("measure"),
        number.cast(pl.Int64).alias("value"),
    )


def build(raw: RawDir, geo: Geographies, crosswalk_22_26: pl.DataFrame) -> tuple:
    """The Talking Therapies table for geographies 2022 and 2026, its inputs and notes."""
    df = read(raw)
    for year, measure, total in CHECKED:
        got = df.filter(
            (pl.col("level") == "england")
            & (pl.col("year") == year)
            & (pl.col("measure") == measure)
        )
        reconcile(got["value"].sum(), total, RAW, f"England {measure} {year}", tol=0)
    df = df.with_columns(
        pl.col("year").alias("period"),
        pl.lit("2022").alias("geography"),
        pl.lit(move.AS_PUBLISHED).alias("route"),
    )
    t22 = geo.trees["2022"]
    known = {
        "england": {vocab.ENGLAND_CODE},
        "region": set(t22["region_code"]),
        "icb": set(t22["icb_code"]),
    }
    keep = pl.any_horizontal(
        [(pl.col("level") == lv) & pl.col("org_code").is_in(list(c)) for lv, c in known.items()]
    )
    left = df.filter(~keep)
    notes = [
        f"left out (no place in geography 2022): {n} {lv} counts of {', '.join(codes)} "
        f"({first} to {last})"
        for lv, codes, n, first, last in left.group_by("level")
        .agg(
            pl.col("org_code").unique().sort(),
            pl.len(),
            pl.col("year").min().alias("a"),
            pl.col("year").max().alias("b"),
        )
        .sort("level")
        .iter_rows()
    ]
    g22 = df.filter(keep)
    above = g22.filter(pl.col("level") != "icb").with_columns(pl.lit("2026").alias("geography"))
    icb = {}
    for v in ("2022", "2026"):
        icb[v] = geo.trees[v].select("subicb_code", "icb_code")
    flows = (
        crosswalk_22_26.join(icb["2022"], left_on="from_subicb_code", right_on="subicb_code")
        .join(icb["2026"], left_on="to_subicb_code", right_on="subicb_code", suffix="_26")
        .group_by(pl.col("icb_code").alias("from_code"), pl.col("icb_code_26").alias("to_code"))
        .agg(pl.col("population_mid2020").sum().alias("weight"))
    )
    moved, unmapped = move.onto(
        g22.filter(pl.col("level") == "icb").with_columns(pl.lit("2026").alias("geography")),
        flows,
        "mid-2020 population",
    )
    if unmapped:
        raise InputError(f"ICBs not in the 2022 -> 2026 crosswalk: {unmapped}", file=RAW)
    notes.append(
        "geography 2026 ICBs from the 2022 ones through the LSOA crosswalk (merged ICBs summed)"
    )
    return move.tidy([g22, above, moved]), [RAW], notes
