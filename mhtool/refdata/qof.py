"""QOF serious mental illness register (group MH) by CCG/STP/region and by sub-ICB, and the
depression register (group DEP, 2020/21) by sub-ICB.

A register counts patients at practices, so it is rolled up through the practice map of the
same year. Sub-ICB tables for later geographies place the practices through
`practices.place`; a year whose practices cannot all be placed is not shipped for that
geography (recorded in sources.json), never shipped short.
"""

from __future__ import annotations

import polars as pl

from mhtool import vocab
from mhtool.refdata.geography import Geographies
from mhtool.refdata.need import GEOGRAPHIES, practice_maps, routes
from mhtool.refdata.practices import Lookup, Peers, place, route_summary
from mhtool.refdata.raw import RawDir, one_parent, read_csv, reconcile, require_mapped

_NEW = {
    "ccg_code": "CCG_ODS_CODE",
    "ccg_ons": "CCG_ONS_CODE",
    "ccg_name": "CCG_NAME",
    "stp_code": "STP_ODS_CODE",
    "stp_ons": "STP_ONS_CODE",
    "stp_name": "STP_NAME",
    "region_code": "REGION_ODS_CODE",
    "region_ons": "REGION_ONS_CODE",
    "region_name": "REGION_NAME",
    "pcn": "PCN_ODS_CODE",
}
# 2018/19's reference file has no STP ODS code or PCN: STPs are keyed by their ONS code.
_OLD = {
    "ccg_code": "CCG_CODE",
    "ccg_ons": "CCG_ONS_CODE",
    "ccg_name": "CCG_NAME",
    "stp_code": "STP_ONS_CODE",
    "stp_ons": "STP_ONS_CODE",
    "stp_name": "STP_NAME",
    "region_code": "REGION_CODE",
    "region_ons": "REGION_ONS_CODE",
    "region_name": "REGION_NAME",
}
# year: (prevalence file, group header, list size header, map file, map columns, total)
YEARS = {
    "2018/19": (
        "nhsd_qof/PREVALENCE_1819_v2.csv.gz",
        "INDICATOR_GROUP_CODE",
        "PATIENT_LIST_SIZE",
        "nhsd_qof/ORGANISATION_REFERENCE_1819_v2.csv.gz",
        _OLD,
        570_675,
    ),
    "2019/20": (
        "nhsd_qof/PREVALENCE_1920.csv.gz",
        "GROUP_CODE",
        "PATIENT_LIST_SIZE",
        "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_1920.csv.gz",
        _NEW,
        562_831,
    ),
    "2020/21": (
        "nhsd_qof/PREVALENCE_2021_v2.csv.gz",
        "GROUP_CODE",
        "PRACTICE_LIST_SIZE",
        "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_2021.csv.gz",
        _NEW,
        574_227,
    ),
}
OWN_GEOGRAPHY = {"2020/21": "2021"}  # the year whose own CCG map is a shipped vintage
LEVELS = [("ccg", "stp"), ("stp", "region"), ("region", None)]


def read_year(raw: RawDir, year: str, register: str = "MH") -> pl.DataFrame:
    """One QOF year's register (SMI unless told) and list size by practice, with its
    practice map. The SMI register is reconciled with its published England total."""
    prev, group, size, rel_map, cols, total = YEARS[year]
    mh = read_csv(
        raw,
        prev,
        {"practice": "PRACTICE_CODE", "group": group, "register": "REGISTER", "list_size": size},
        counts=["register", "list_size"],
        blank_as_zero=["register"],
        key=["practice"],
        where=pl.col("group") == register,
    )
    if register == "MH":
        reconcile(mh["register"].sum(), total, prev, "REGISTER (group MH)", tol=0)
    m = read_csv(raw, rel_map, {"practice": "PRACTICE_CODE"} | cols, key=["practice"])
    out = mh.drop("__row").join(m.drop("__row"), on="practice", how="left")
    require_mapped(out, "ccg_code", rel_map, "practices", "practice")
    return out


def rollup(df: pl.DataFrame, year: str) -> pl.DataFrame:
    """One QOF year rolled up CCG -> STP -> region -> England through its own map."""
    rel = YEARS[year][3]
    frames = []
    for level, parent in LEVELS:
        attrs = [f"{level}_ons", f"{level}_name"] + ([f"{parent}_code"] if parent else [])
        orgs = one_parent(df, f"{level}_code", attrs, rel)
        sums = df.group_by(f"{level}_code").agg(pl.col("register", "list_size").sum())
        frames.append(
            orgs.join(sums, on=f"{level}_code").select(
                pl.lit(level).alias("level"),
                pl.col(f"{level}_code").alias("org_code"),
                pl.col(f"{level}_ons").alias("org_ons"),
                pl.col(f"{level}_name").alias("org_name"),
                (pl.col(f"{parent}_code") if parent else pl.lit(vocab.ENGLAND_CODE)).alias(
                    "parent_code"
                ),
                "register",
                "list_size",
            )
        )
    frames.append(
        pl.DataFrame(
            {
                "level": ["england"],
                "org_code": [vocab.ENGLAND_CODE],
                "org_ons": [vocab.ENGLAND_ONS],
                "org_name": [vocab.ENGLAND_NAME],
                "parent_code": [None],
                "register": [df["register"].sum()],
                "list_size": [df["list_size"].sum()],
            },
            schema_overrides={"parent_code": pl.String},
        )
    )
    return pl.concat(frames).with_columns(pl.lit(year).alias("qof_year"))


def smi(raw: RawDir, geo: Geographies) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """The SMI register tables: the roll-up by each year's own map, and by sub-ICB."""
    maps = practice_maps(raw)
    tables, subicb, ledger = [], [], {}
    for year in YEARS:
        df = read_year(raw, year)
        tables.append(rollup(df, year))
        seen = raw.read[YEARS[year][0]]
        ledger[year] = {
            "blank_registers_as_zero_group_MH": seen["blank_register"],
            "blank_registers_all_groups_in_file": seen["blank_register_all_rows"],
        }
        own = OWN_GEOGRAPHY.get(year)
        if own:  # the year's own CCGs are this vintage's sub-ICBs
            placed = df.with_columns(
                pl.col("ccg_code").alias("subicb_code"),
                pl.lit("own-year practice map").alias("route"),
            )
            subicb.append(_by_subicb(placed, year, own, geo))
            ledger[f"{year} geography {own}"] = route_summary(placed, "register")
        for geography in GEOGRAPHIES:
            placed = place_year(df, geography, maps, geo)
            ledger[f"{year} geography {geography}"] = route_summary(placed, "register")
            if not placed["subicb_code"].is_null().any():
                subicb.append(_by_subicb(placed, year, geography, geo))
    cols = [
        "qof_year",
        "level",
        "org_code",
        "org_ons",
        "org_name",
        "parent_code",
        "register",
        "list_size",
    ]
    level_order = pl.col("level").replace_strict(
        {"england": 0, "region": 1, "stp": 2, "ccg": 3}, return_dtype=pl.Int8
    )
    table = pl.concat(tables).sort("qof_year", level_order, "org_code").select(cols)
    return table, pl.concat(subicb).sort("qof_year", "geography", "subicb_code"), ledger


def place_year(df: pl.DataFrame, geography: str, maps: dict, geo: Geographies) -> pl.DataFrame:
    """A QOF year's practices (read_year) placed in a geography's sub-ICBs: the practice
    maps of that geography first, then own-year neighbours agreeing (`subicb_code`, `route`;
    null where nothing placed the practice)."""
    steps = [r for r in routes(geography, maps, geo) if isinstance(r, Lookup)]
    if "pcn" in df.columns:
        steps.append(Peers("practices of the same own-year PCN agree", ("pcn",)))
    steps.append(Peers("practices of the same own-year CCG agree", ("ccg_code",)))
    return place(df, steps)


#: The depression register shipped (group DEP: patients 18 and over with depression recorded
#: since April 2006): recorded depression, the published distribution nearest the need
#: IAPT ambitions were set by (`mhtool bases --compare`).
DEP_YEAR = "2020/21"


def depression(raw: RawDir, geo: Geographies) -> tuple[pl.DataFrame, dict]:
    """The QOF depression register of DEP_YEAR by sub-ICB, on every geography whose
    practice maps place all its practices (as the SMI register is placed)."""
    maps = practice_maps(raw)
    df = read_year(raw, DEP_YEAR, register="DEP")
    frames, ledger = [], {}
    for geography in GEOGRAPHIES:
        placed = place_year(df, geography, maps, geo)
        ledger[f"{DEP_YEAR} geography {geography}"] = route_summary(placed, "register")
        if not placed["subicb_code"].is_null().any():
            frames.append(
                _by_subicb(placed, DEP_YEAR, geography, geo, total=int(df["register"].sum()))
            )
    return pl.concat(frames).sort("qof_year", "geography", "subicb_code"), ledger


def _by_subicb(
    placed: pl.DataFrame, year: str, geography: str, geo: Geographies, total: int | None = None
) -> pl.DataFrame:
    known = geo.trees[geography].select("subicb_code", pl.lit(True).alias("known"))
    require_mapped(
        placed.join(known, on="subicb_code", how="left"),
        "known",
        YEARS[year][3],
        f"sub-ICB codes (not in geography {geography})",
        "subicb_code",
    )
    out = placed.group_by("subicb_code").agg(pl.col("register").sum())
    reconcile(
        out["register"].sum(),
        YEARS[year][5] if total is None else total,
        YEARS[year][0],
        f"REGISTER (geography {geography})",
        tol=0,
    )
    return out.select(
        pl.lit(year).alias("qof_year"),
        pl.lit(geography).alias("geography"),
        "subicb_code",
        "register",
    )
