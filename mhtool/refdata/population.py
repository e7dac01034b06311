"""Resident (ONS) and registered (NHS Digital) populations by sub-ICB and single year of age.

ONS estimates are by LSOA 2011, so they are summed through each vintage's LSOA assignment:
every England LSOA lands in exactly one sub-ICB, so England totals hold in every vintage.
"""

from __future__ import annotations

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata.geography import Geographies
from mhtool.refdata.raw import RawDir, read_csv, reconcile, require_mapped

MYE = {2019: "demographr/population19_lsoa11.csv.gz", 2020: "demographr/population20_lsoa11.csv.gz"}
MYE_TOTAL = {2019: 56_286_961, 2020: 56_550_138}  # ONS published England totals
GP_REG = "nhsd_gp_registered/gp-reg-pat-prac-sing-age-regions_2026-08.zip"
GP_TOTAL, GP_WOMEN_15_44 = 63_237_908, 12_733_888
AGES = [str(a) for a in range(90)] + ["90+"]


def read_mye(raw: RawDir, year: int) -> pl.DataFrame:
    """LSOA rows (England only) with age columns a0..a90; ages must add to the total."""
    rel = MYE[year]
    cols = {"lsoa": "lsoa11_code", "total": "total_population"} | {
        f"a{i}": a for i, a in enumerate(AGES)
    }
    df = read_csv(
        raw,
        rel,
        cols,
        counts=list(cols)[1:],
        key=["lsoa"],
        where=pl.col("lsoa").str.starts_with("E"),
    )
    ages = [f"a{i}" for i in range(len(AGES))]
    bad = df.filter(pl.sum_horizontal(ages) != pl.col("total"))
    if bad.height:
        raise InputError(
            "single years of age do not add up to total_population",
            file=rel,
            row=bad["__row"][0],
            field="total_population",
        )
    reconcile(df["total"].sum(), MYE_TOTAL[year], rel, "England population", tol=0)
    return df


def ons_mye(raw: RawDir, geo: Geographies) -> tuple[pl.DataFrame, dict[int, pl.DataFrame]]:
    """Long table for every year × vintage, plus the LSOA frames (reused for the crosswalk)."""
    frames, lsoas = [], {}
    for year in MYE:
        df = lsoas[year] = read_mye(raw, year)
        ages = [f"a{i}" for i in range(len(AGES))]
        for vintage, assign in sorted(geo.lsoa.items()):
            j = df.join(assign.select("lsoa", "subicb_code"), on="lsoa", how="left")
            require_mapped(j, "subicb_code", MYE[year], f"LSOAs (geography {vintage})", "lsoa")
            long = (
                j.group_by("subicb_code")
                .agg(pl.col(ages).sum())
                .unpivot(index="subicb_code", variable_name="age", value_name="population")
                .with_columns(pl.col("age").str.slice(1).cast(pl.Int64))
            )
            reconcile(
                long["population"].sum(),
                MYE_TOTAL[year],
                MYE[year],
                f"England population (geography {vintage})",
                tol=0,
            )
            frames.append(
                long.with_columns(pl.lit(year).alias("year"), pl.lit(vintage).alias("geography"))
            )
    out = pl.concat(frames).select("year", "geography", "subicb_code", "age", "population")
    return out.sort("year", "geography", "subicb_code", "age"), lsoas


def gp_registered(raw: RawDir, geo: Geographies) -> pl.DataFrame:
    """Sub-ICB rows by sex and single age; the per-sub-ICB ALL rows are used as a check."""
    rel = GP_REG
    df = read_csv(
        raw,
        rel,
        {
            "extract_date": "EXTRACT_DATE",
            "org_type": "ORG_TYPE",
            "subicb_code": "ORG_CODE",
            "sex": "SEX",
            "age": "AGE",
            "patients": "NUMBER_OF_PATIENTS",
        },
        counts=["patients"],
        key=["subicb_code", "sex", "age"],
        where=pl.col("org_type") == "SUB_ICB_LOCATION_CODE",
    )
    known = geo.trees["2026"].select("subicb_code", pl.lit(True).alias("known"))
    require_mapped(
        df.join(known, on="subicb_code", how="left"),
        "known",
        rel,
        "sub-ICB codes (not in geography 2026)",
        "subicb_code",
    )
    detail = age_sex_detail(df, "subicb_code", rel)
    reconcile(detail["patients"].sum(), GP_TOTAL, rel, "registered patients", tol=0)
    women = detail.filter((pl.col("sex") == "female") & pl.col("age").is_between(15, 44))
    reconcile(women["patients"].sum(), GP_WOMEN_15_44, rel, "women aged 15-44", tol=0)
    dates = detail["extract_date"].unique().to_list()
    if len(dates) != 1:
        raise InputError(f"several extract dates {dates}", file=rel, field="EXTRACT_DATE")
    return (
        detail.with_columns(pl.lit("2026").alias("geography"))
        .select("extract_date", "geography", "subicb_code", "sex", "age", "patients")
        .sort("subicb_code", "sex", "age")
    )


def age_sex_detail(
    df: pl.DataFrame, key: str, file: str, *, max_age: int | None = None, whose: str = ""
) -> pl.DataFrame:
    """The single-year-of-age rows of an NHS Digital GP-registered table, after checking that
    each area's ages by sex add up to its ALL row (so a truncated or edited file is named).

    `key` is the area column (sub-ICB or PCN); `max_age` also refuses ages above it;
    `whose` names the areas in the message (e.g. "PCN ").
    """
    detail = df.filter((pl.col("sex") != "ALL") & (pl.col("age") != "ALL")).with_columns(
        pl.col("sex").str.to_lowercase(),
        pl.col("age").str.replace(r"\+$", "").cast(pl.Int64, strict=False),
    )
    age_ok = (
        pl.col("age").is_not_null() if max_age is None else pl.col("age").is_between(0, max_age)
    )
    bad = detail.filter(~pl.col("sex").is_in(["female", "male"]) | ~age_ok)
    if bad.height:
        raise InputError(
            "unexpected SEX or AGE value", file=file, row=bad["__row"][0], field="SEX/AGE"
        )
    alls = df.filter((pl.col("sex") == "ALL") & (pl.col("age") == "ALL"))
    sums = detail.group_by(key).agg(pl.col("patients").sum().alias("sum"))
    diff = alls.join(sums, on=key, how="left").filter(
        pl.col("sum").fill_null(-1) != pl.col("patients")
    )
    if diff.height:
        raise InputError(
            f"{whose}ages by sex do not add up to {'its' if whose else 'the'} ALL row",
            file=file,
            row=diff[key][0],
            field="NUMBER_OF_PATIENTS",
        )
    return detail
