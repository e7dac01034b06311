"""Practice-level reference tables, for splitting a sub-ICB's (or ICB's) figures to places.

Each geography with a practice universe gets one practice table: every practice once, with
its sub-ICB, primary care network and local authority district, taken from one published
practice file of that geography, so no practice is placed by inference:

  geography 2022: NHS England's 2022/23 allocation file (LOC22 sub-ICB, PCN_Code, LAD21);
  geography 2026: NHS Digital's Aug 2026 practice map (sub-ICB, PCN), with the LAD of the
                  2026/27 allocation file.

Weights come from the practice-level sources, joined to that table by practice code:
need-weighted populations of every allocation year (a practice closed or opened in another
year simply has no row that year), QOF SMI registers, and GP-registered patients by single
year of age and sex, which NHS Digital publishes by PCN (not by practice): a practice's share
of its Aug 2026 PCN's patients is kept (`patients_2026`) so age bands can be shared out.
A practice with no sub-ICB, or a sub-ICB not in the geography, stops the build.
"""

from __future__ import annotations

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata import need, qof
from mhtool.refdata.geography import ALLOC22, PRAC_MAP26, Geographies
from mhtool.refdata.population import GP_REG, GP_TOTAL, age_sex_detail
from mhtool.refdata.raw import RawDir, read_csv, reconcile, require_mapped

GEOGRAPHIES = ("2022", "2026")
NEED26 = need.YEARS["2026/27"][0]
TOP_AGE = 95  # NHS Digital's 95+ band
COLUMNS = [
    "geography",
    "practice_code",
    "practice_name",
    "subicb_code",
    "pcn_code",
    "pcn_name",
    "lad_code",
    "lad_name",
    "pcn_2026",
    "patients_2026",
]


def _need26(raw: RawDir) -> pl.DataFrame:
    return read_csv(
        raw,
        NEED26,
        {
            "practice_code": "Practice_Code",
            "lad_code": "LAD",
            "lad_name": "LADname",
            "patients_2026": "Registered Patients",
        },
        floats=["patients_2026"],
        key=["practice_code"],
    ).drop("__row")


def _map26(raw: RawDir) -> pl.DataFrame:
    return read_csv(
        raw,
        PRAC_MAP26,
        {
            "practice_code": "PRACTICE_CODE",
            "practice_name": "PRACTICE_NAME",
            "pcn_code": "PCN_CODE",
            "pcn_name": "PCN_NAME",
            "subicb_code": "SUB_ICB_LOCATION_CODE",
        },
        key=["practice_code"],
    ).drop("__row")


def practices(raw: RawDir, geo: Geographies) -> pl.DataFrame:
    """One row per practice and geography (COLUMNS), sorted."""
    m26, n26 = _map26(raw), _need26(raw)
    age_key = m26.select("practice_code", pl.col("pcn_code").alias("pcn_2026")).join(
        n26.select("practice_code", "patients_2026"), on="practice_code", how="left"
    )
    require_mapped(
        age_key, "patients_2026", NEED26, "Aug 2026 practices (no 2026/27 row)", "practice_code"
    )
    a22 = read_csv(
        raw,
        ALLOC22,
        {
            "practice_code": "Practice_Code",
            "practice_name": "GP_Practice_Name",
            "pcn_code": "PCN_Code",
            "pcn_name": "PCN_Name",
            "subicb_code": "LOC22",
            "lad_code": "LAD21",
            "lad_name": "LTLA21",
        },
        key=["practice_code"],
    ).drop("__row")
    frames = {
        "2022": (a22, ALLOC22),
        "2026": (m26.join(n26.drop("patients_2026"), on="practice_code", how="left"), PRAC_MAP26),
    }
    out = []
    for geography, (df, rel) in frames.items():
        for col in ("subicb_code", "pcn_code", "lad_code"):
            require_mapped(
                df, col, rel, f"practices (no {col}, geography {geography})", "practice_code"
            )
        known = set(geo.trees[geography]["subicb_code"])
        stray = df.filter(~pl.col("subicb_code").is_in(sorted(known)))
        if stray.height:
            raise InputError(
                f"practice in sub-ICB {stray['subicb_code'][0]}, not in geography {geography}",
                file=rel,
                row=stray["practice_code"][0],
                field="subicb_code",
            )
        out.append(
            df.join(age_key, on="practice_code", how="left").with_columns(
                pl.lit(geography).alias("geography"),
                pl.col("patients_2026").fill_null(0),
            )
        )
    return pl.concat(out, how="diagonal").select(COLUMNS).sort("geography", "practice_code")


def practice_need(raw: RawDir) -> pl.DataFrame:
    """allocation_year, practice_code, population, mh_wp, mat_wp, core_wp: every year's own
    practices."""
    frames = []
    for year in need.YEARS:
        df = need.read_year(raw, year)
        reconcile(
            df["population"].sum(), need.YEARS[year][4], need.YEARS[year][0], "population", tol=1
        )
        frames.append(
            df.select(
                pl.lit(year).alias("allocation_year"),
                pl.col("practice").alias("practice_code"),
                *need.WEIGHTS,
            )
        )
    return pl.concat(frames).sort("allocation_year", "practice_code")


def practice_smi(raw: RawDir) -> pl.DataFrame:
    """qof_year, practice_code, register: the QOF SMI register of each year's practices."""
    frames = [
        qof.read_year(raw, year).select(
            pl.lit(year).alias("qof_year"), pl.col("practice").alias("practice_code"), "register"
        )
        for year in qof.YEARS
    ]
    return pl.concat(frames).sort("qof_year", "practice_code")


def pcn_registered(raw: RawDir) -> pl.DataFrame:
    """extract_date, pcn_code, sex, age_0 … age_95 (95 = 95+): one row per PCN and sex.

    Wide, because 1,299 PCNs x 2 sexes x 96 ages is a quarter of a million rows long; the
    single ages still add up to each PCN's ALL row, and all PCNs to England's total."""
    df = read_csv(
        raw,
        GP_REG,
        {
            "extract_date": "EXTRACT_DATE",
            "org_type": "ORG_TYPE",
            "pcn_code": "ORG_CODE",
            "sex": "SEX",
            "age": "AGE",
            "patients": "NUMBER_OF_PATIENTS",
        },
        counts=["patients"],
        key=["pcn_code", "sex", "age"],
        where=pl.col("org_type") == "PCN",
    )
    detail = age_sex_detail(df, "pcn_code", GP_REG, max_age=TOP_AGE, whose="PCN ")
    reconcile(detail["patients"].sum(), GP_TOTAL, GP_REG, "registered patients (PCNs)", tol=0)
    wide = (
        detail.with_columns((pl.lit("age_") + pl.col("age").cast(pl.String)).alias("age_col"))
        .pivot(on="age_col", index=["extract_date", "pcn_code", "sex"], values="patients")
        .fill_null(0)
    )
    ages = [f"age_{a}" for a in range(TOP_AGE + 1)]
    for a in ages:
        if a not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.Int64).alias(a))
    return wide.select("extract_date", "pcn_code", "sex", *ages).sort("pcn_code", "sex")
