"""NHS Talking Therapies annual report measures for England, regions and ICBs, per geography.

Only the whole-organisation counts are kept (`variable_type` Total, `measure_statistic`
count): a rate is a numerator over a denominator of this table (recovery over at caseness),
made where it is used, never the file's rounded percentage. `*` marks a suppressed count,
which stays missing. ICBs are published on ODS codes from 2020-21 (as STPs until 2021-22),
which are geography 2022's ICB codes; CCG rows of 2019-20 and 2020-21 carry the CCG codes of
their year, moved to 2022's sub-ICBs through the QOF practice map holding them (split by
the practices' list sizes where needed, and flagged); 2021-22's CCGs and the STPs of 2020-21
and 2021-22 are on April 2021's boundaries and move by the 2021 -> 2022 crosswalk.
Geography 2026 merges some of them (summed, through the LSOA crosswalk; anything split goes
by mid-2020 population and says so). STPs before 2020-21 carry ONS codes of older
boundaries and are not shipped; `UNKNOWN` and the commissioning hubs have no place and are
left out (listed in sources.json).
"""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.errors import InputError
from mhtool.refdata import qof
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
LEVELS = {
    "England": "england",
    "Commissioning Region": "region",
    "STP": "icb",
    "ICB": "icb",
    "CCG": "subicb",
}
#: financial year of CCG rows -> the QOF year whose practice map holds that year's CCG codes
#: (2021/22's are geography 2022's sub-ICB codes, carried as published)
CODE_MAPS = {"2019/20": "2018/19", "2020/21": "2019/20"}
FIRST_CCG_YEAR = "2019/20"
STP_YEARS = ("2020/21", "2021/22")  # STP rows on ODS codes, April 2021 boundaries
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


def _icb_flows(geo: Geographies, cw: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    """ICB (STP) codes of vintage `a` to those of `b`, by the mid-2020 population of the
    LSOAs that move (the crosswalk aggregated to ICBs)."""
    icb = {v: geo.trees[v].select("subicb_code", "icb_code") for v in (a, b)}
    return (
        cw.join(icb[a], left_on="from_subicb_code", right_on="subicb_code")
        .join(icb[b], left_on="to_subicb_code", right_on="subicb_code", suffix="_b")
        .group_by(pl.col("icb_code").alias("from_code"), pl.col("icb_code_b").alias("to_code"))
        .agg(pl.col("population_mid2020").sum().alias("weight"))
    )


def build(raw: RawDir, geo: Geographies, crosswalks: dict[str, pl.DataFrame]) -> tuple:
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
    # STPs (to 2021/22) are on the April 2021 boundaries: moved to 2022's ICBs (Bassetlaw
    # went from South Yorkshire to Nottinghamshire), split by population and flagged
    is_stp = (pl.col("level") == "icb") & (pl.col("year") <= max(STP_YEARS))
    stp = df.filter(keep & is_stp)
    moved, unmapped = move.onto(
        stp, _icb_flows(geo, crosswalks["2022"], "2021", "2022"), "mid-2020 population"
    )
    if unmapped:
        raise InputError(f"STPs not in the 2021 -> 2022 crosswalk: {unmapped}", file=RAW)
    frames = [df.filter(keep & ~is_stp), moved]
    ccg = df.filter((pl.col("level") == "subicb") & (pl.col("year") >= FIRST_CCG_YEAR))
    notes, placed = [], set()
    for year, qof_year in CODE_MAPS.items():
        flows, lost = move.practice_flows(raw, geo, qof_year, "list_size")
        moved, unmapped = move.onto(
            ccg.filter(pl.col("year") == year), flows, f"the QOF {qof_year} list sizes"
        )
        frames.append(moved)
        placed |= {(year, c) for c in set(ccg.filter(pl.col("year") == year)["org_code"])}
        placed -= {(year, c) for c in unmapped}
        notes.append(
            f"{year} CCGs moved to 2022 sub-ICBs through the QOF {qof_year} practice map, "
            f"split by list size where their practices went to more than one ({lost} "
            "registered patients at practices with no 2022 sub-ICB)"
        )
    # 2021/22's CCGs are April 2021's: moved by the 2021 -> 2022 crosswalk, as the STPs are
    own = ccg.filter(pl.col("year") > max(CODE_MAPS))
    cw21 = crosswalks["2022"].select(
        pl.col("from_subicb_code").alias("from_code"),
        pl.col("to_subicb_code").alias("to_code"),
        pl.col("population_mid2020").alias("weight"),
    )
    moved, unmapped = move.onto(own, cw21, "mid-2020 population")
    frames.append(moved)
    placed |= {r for r in own.select("year", "org_code").iter_rows() if r[1] not in unmapped}
    left = df.filter(~keep).filter(
        ~pl.struct("year", "org_code").map_elements(
            lambda r: (r["year"], r["org_code"]) in placed, pl.Boolean
        )
    )
    notes += [
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
    g22 = pl.concat(frames)
    to26 = g22.with_columns(pl.lit("2026").alias("geography"))
    sub_flows = crosswalks["2026"].select(
        pl.col("from_subicb_code").alias("from_code"),
        pl.col("to_subicb_code").alias("to_code"),
        pl.col("population_mid2020").alias("weight"),
    )
    icb_flows = _icb_flows(geo, crosswalks["2026"], "2022", "2026")
    out = [g22, to26.filter(pl.col("level").is_in(["england", "region"]))]
    for level, flows in (("icb", icb_flows), ("subicb", sub_flows)):
        moved, unmapped = move.onto(
            to26.filter(pl.col("level") == level), flows, "mid-2020 population"
        )
        if unmapped:
            raise InputError(
                f"{level} codes not in the 2022 -> 2026 crosswalk: {unmapped}", file=RAW
            )
        out.append(moved)
    notes.append(
        "geography 2026 from the 2022 ICBs and sub-ICBs through the LSOA crosswalk (merged "
        "codes summed; split ones by mid-2020 population, said in `route`)"
    )
    inputs = [RAW] + sorted({qof.YEARS[y][i] for y in CODE_MAPS.values() for i in (0, 3)})
    return move.tidy(out), inputs, notes
