"""Sub-ICB → ICB → region trees for each vintage, and where every LSOA 2011 sits in each.

ONS lookups give LSOA-level membership but not always ODS codes or regions; the practice
files give ODS codes and regions but not LSOAs. Each vintage joins the two and insists the
result is a clean tree. The LSOA assignments are kept (not shipped) so population can be
summed exactly to every vintage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata.raw import RawDir, one_parent, read_csv, require_mapped

G21 = "geographr/lookup_lsoa11_ccg21_stp21_ltla21.csv.gz"
G22 = "geographr/lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz"
G24 = "geographr/lookup_lsoa21_icb24.csv.gz"
L11_21 = "geographr/lookup_lsoa11_lsoa21_ltla22.csv.gz"
QOF_MAP21 = "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_2021.csv.gz"
PRAC_MAP22 = "nhsd_gp_registered/gp-reg-pat-prac-map_2022-01.csv.gz"
PRAC_MAP26 = "nhsd_gp_registered/gp-reg-pat-prac-map_2026-08.zip"
ALLOC22 = "nhse_allocations/2022_2023.csv.gz"
ALLOC24 = "nhse_allocations/2024_2025.csv.gz"

TREE = [
    "subicb_code",
    "subicb_ons",
    "subicb_name",
    "icb_code",
    "icb_ons",
    "icb_name",
    "region_code",
    "region_ons",
    "region_name",
]
ENGLAND = pl.col("lsoa").str.starts_with("E")

# What each vintage is built from (for SOURCES.md / sources.json).
VINTAGE_INPUTS = {
    "2021": [G21, QOF_MAP21],
    "2022": [G22, ALLOC22, PRAC_MAP22],
    "2024": [G24, L11_21, G22, ALLOC24, PRAC_MAP22],
    "2026": [PRAC_MAP26, ALLOC22],
}


@dataclass
class Geographies:
    """What the geography build makes: a tree, LSOA map and notes per vintage."""

    trees: dict[str, pl.DataFrame] = field(default_factory=dict)
    lsoa: dict[str, pl.DataFrame] = field(default_factory=dict)  # lsoa, subicb_code
    notes: dict[str, list[str]] = field(default_factory=dict)  # approximations, per vintage


def tree(df: pl.DataFrame, rel: str) -> pl.DataFrame:
    """Validate a sub-ICB tree: each code has one parent, each ONS code one ODS code."""
    out = one_parent(df, "subicb_code", TREE[1:], rel)
    one_parent(out, "subicb_ons", ["subicb_code"], rel)
    one_parent(out, "icb_code", ["icb_ons", "icb_name", "region_code"], rel)
    one_parent(out, "region_code", ["region_ons", "region_name"], rel)
    return out.select(TREE).sort("subicb_code")


def _regions(raw: RawDir) -> pl.DataFrame:
    """Region ODS → ONS code and name as issued up to 2022 (before the re-issue)."""
    m = read_csv(
        raw,
        PRAC_MAP22,
        {
            "practice": "PRACTICE_CODE",
            "region_code": "COMM_REGION_CODE",
            "region_ons": "ONS_COMM_REGION_CODE",
            "region_name": "COMM_REGION_NAME",
        },
        key=["practice"],
    )
    return one_parent(m, "region_code", ["region_ons", "region_name"], PRAC_MAP22)


def _icb_regions(raw: RawDir, rel: str) -> pl.DataFrame:
    a = read_csv(
        raw,
        rel,
        {"practice": "Practice_Code", "icb_code": "ICS22", "region_code": "R22"},
        key=["practice"],
    )
    return one_parent(a, "icb_code", ["region_code"], rel)


def _join_regions(
    units: pl.DataFrame, icb_region: pl.DataFrame, regions: pl.DataFrame, rel: str
) -> pl.DataFrame:
    out = units.join(icb_region, on="icb_code", how="left").join(
        regions, on="region_code", how="left"
    )
    require_mapped(out, "region_code", rel, "ICBs", "icb_code")
    require_mapped(out, "region_ons", rel, "regions", "region_code")
    return out


def _lookup(raw: RawDir, rel: str, cols: dict[str, str], key: str = "lsoa") -> pl.DataFrame:
    return read_csv(raw, rel, cols, key=[key], where=pl.col(key).str.starts_with("E"))


def build_2021(raw: RawDir, g: Geographies) -> None:
    """The April 2021 tree (CCGs, STPs, regions) from the 2021 LSOA lookup."""
    lk = _lookup(
        raw,
        G21,
        {
            "lsoa": "lsoa11_code",
            "subicb_ons": "ccg21_code",
            "subicb_name": "ccg21_name",
            "icb_ons": "stp21_code",
            "icb_name": "stp21_name",
        },
    )
    m = read_csv(
        raw,
        QOF_MAP21,
        {
            "practice": "PRACTICE_CODE",
            "subicb_code": "CCG_ODS_CODE",
            "subicb_ons": "CCG_ONS_CODE",
            "icb_code": "STP_ODS_CODE",
            "icb_ons": "STP_ONS_CODE",
            "region_code": "REGION_ODS_CODE",
            "region_ons": "REGION_ONS_CODE",
            "region_name": "REGION_NAME",
        },
        key=["practice"],
    )
    ods = one_parent(
        m,
        "subicb_ons",
        ["subicb_code", "icb_code", "icb_ons", "region_code", "region_ons", "region_name"],
        QOF_MAP21,
    )
    units = one_parent(lk, "subicb_ons", ["subicb_name", "icb_ons", "icb_name"], G21)
    units = units.join(ods, on="subicb_ons", how="left", suffix="_map")
    require_mapped(units, "subicb_code", QOF_MAP21, "CCG21 ONS codes", "subicb_ons")
    clash = units.filter(pl.col("icb_ons") != pl.col("icb_ons_map"))
    if clash.height:
        raise InputError(
            f"CCG's STP differs between {G21} and this file: {clash.row(0)}",
            file=QOF_MAP21,
            row=clash["subicb_ons"][0],
            field="STP_ONS_CODE",
        )
    g.trees["2021"] = tree(units, G21)
    g.lsoa["2021"] = lk.join(units.select("subicb_ons", "subicb_code"), on="subicb_ons").select(
        "lsoa", "subicb_code"
    )


def build_2022(raw: RawDir, g: Geographies) -> None:
    """The July 2022 tree (sub-ICB locations, ICBs, regions), the default vintage."""
    lk = _lookup(
        raw,
        G22,
        {
            "lsoa": "lsoa11_code",
            "subicb_ons": "sicbl22_code",
            "subicb_code": "sicbl22_code_h",
            "subicb_name": "sicbl22_name",
            "icb_ons": "icb22_code",
            "icb_code": "icb22_code_h",
            "icb_name": "icb22_name",
            "lad": "ltla22_code",
        },
    )
    units = one_parent(
        lk, "subicb_code", ["subicb_ons", "subicb_name", "icb_ons", "icb_code", "icb_name"], G22
    )
    units = _join_regions(units, _icb_regions(raw, ALLOC22), _regions(raw), ALLOC22)
    g.trees["2022"] = tree(units, G22)
    g.lsoa["2022"] = lk.select("lsoa", "subicb_code", "lad")


def build_2024(raw: RawDir, g: Geographies) -> None:
    """April 2024 is on LSOA 2021: reach it from LSOA 2011 through the ONS best-fit lookup.

    An LSOA 2011 whose LSOA 2021 pieces fall in two sub-ICBs (change code X) cannot be split
    without LSOA 2021 populations; it stays whole in the piece's sub-ICB that it belonged to
    in 2022 (same ODS codes), and is listed as an approximation.
    """
    lk = _lookup(
        raw,
        G24,
        {
            "lsoa21": "lsoa21_code",
            "subicb_ons": "sicbl24_code",
            "subicb_code": "sicbl24_code_nhs",
            "subicb_name": "sicbl24_name",
            "icb_ons": "icb24_code",
            "icb_code": "icb24_code_nhs",
            "icb_name": "icb24_name",
        },
        key="lsoa21",
    )
    units = one_parent(
        lk, "subicb_code", ["subicb_ons", "subicb_name", "icb_ons", "icb_code", "icb_name"], G24
    )
    units = _join_regions(units, _icb_regions(raw, ALLOC24), _regions(raw), ALLOC24)
    g.trees["2024"] = tree(units, G24)

    best = read_csv(
        raw,
        L11_21,
        {"lsoa": "lsoa11_code", "lsoa21": "lsoa21_code", "change": "change_code"},
        key=["lsoa", "lsoa21"],
        where=ENGLAND,
    )
    best = best.join(lk.select("lsoa21", "subicb_code"), on="lsoa21", how="left")
    require_mapped(
        best, "subicb_code", L11_21, "LSOA 2021 codes (not in the 2024 lookup)", "lsoa21"
    )
    pieces = best.group_by("lsoa").agg(pl.col("subicb_code").unique().sort().alias("codes"))
    was = g.lsoa["2022"].select("lsoa", pl.col("subicb_code").alias("was"))
    pieces = pieces.join(was, on="lsoa", how="left")
    require_mapped(pieces, "was", G22, "LSOA 2011 codes of the LSOA11→21 lookup", "lsoa")
    split = pieces.filter(pl.col("codes").list.len() > 1)
    bad = split.filter(~pl.col("was").is_in(pl.col("codes")))
    if bad.height:
        raise InputError(
            f"LSOA 2011 straddles 2024 sub-ICBs {bad['codes'][0].to_list()} and "
            "none is its 2022 sub-ICB",
            file=L11_21,
            row=bad["lsoa"][0],
            field="lsoa21_code",
        )
    g.lsoa["2024"] = pieces.select(
        "lsoa",
        pl.when(pl.col("codes").list.len() > 1)
        .then("was")
        .otherwise(pl.col("codes").list.first())
        .alias("subicb_code"),
    ).sort("lsoa")
    g.notes["2024"] = [
        f"{r['lsoa']} straddles {'/'.join(r['codes'])}: kept whole in {r['was']}"
        for r in split.sort("lsoa").iter_rows(named=True)
    ]


def build_2026(raw: RawDir, g: Geographies) -> None:
    """August 2026 from the practice map; LSOAs carried over from April 2024.

    Sub-ICBs whose ODS code survives keep their 2024 LSOAs. The LSOAs of a dissolved sub-ICB
    (Frimley, D4U1Y) go by local authority: to the 2026 sub-ICB that its own practices in
    that authority joined, or, where it had no practice there, to the sub-ICB holding the rest
    of that authority. There is no published LSOA → 2026 lookup, so this is an approximation.
    """
    m = read_csv(
        raw,
        PRAC_MAP26,
        {
            "practice": "PRACTICE_CODE",
            "subicb_code": "SUB_ICB_LOCATION_CODE",
            "subicb_ons": "ONS_SUB_ICB_LOCATION_CODE",
            "subicb_name": "SUB_ICB_LOCATION_NAME",
            "icb_code": "ICB_CODE",
            "icb_ons": "ONS_ICB_CODE",
            "icb_name": "ICB_NAME",
            "region_code": "COMM_REGION_CODE",
            "region_ons": "ONS_COMM_REGION_CODE",
            "region_name": "COMM_REGION_NAME",
        },
        key=["practice"],
    )
    g.trees["2026"] = tree(m, PRAC_MAP26)
    codes26 = set(g.trees["2026"]["subicb_code"])
    a = read_csv(
        raw,
        ALLOC22,
        {"practice": "Practice_Code", "was": "LOC22", "lad": "LAD21"},
        key=["practice"],
    )
    evidence = (
        a.join(m.select("practice", "subicb_code"), on="practice")
        .group_by("was", "lad")
        .agg(pl.col("subicb_code").unique().alias("to"))
    )
    lsoa = g.lsoa["2024"].join(g.lsoa["2022"].select("lsoa", "lad"), on="lsoa")
    kept = lsoa.filter(pl.col("subicb_code").is_in(codes26))
    by_lad = kept.group_by("lad").agg(pl.col("subicb_code").unique().alias("rest"))
    moved = (
        lsoa.filter(~pl.col("subicb_code").is_in(codes26))
        .join(evidence, left_on=["subicb_code", "lad"], right_on=["was", "lad"], how="left")
        .join(by_lad, on="lad", how="left")
        .with_columns(
            pl.col("to").is_not_null().alias("by_practice"), pl.coalesce("to", "rest").alias("to")
        )
    )
    bad = moved.filter(pl.col("to").list.len().fill_null(0) != 1)
    if bad.height:
        r = bad.row(0, named=True)
        raise InputError(
            f"cannot place LSOA of dissolved sub-ICB {r['subicb_code']} (authority "
            f"{r['lad']}) in one 2026 sub-ICB",
            file=PRAC_MAP26,
            row=r["lsoa"],
            field="SUB_ICB_LOCATION_CODE",
        )
    moved = moved.with_columns(pl.col("to").list.first().alias("new"))
    g.lsoa["2026"] = pl.concat(
        [
            kept.select("lsoa", "subicb_code"),
            moved.select("lsoa", pl.col("new").alias("subicb_code")),
        ]
    ).sort("lsoa")
    g.notes["2026"] = [
        f"{r['subicb_code']} (dissolved) LSOAs in authority {r['lad']} → {r['new']} "
        f"({r['n']} LSOAs, by {'its practices there' if r['ev'] else 'rest of authority'})"
        for r in moved.group_by("subicb_code", "lad", "new")
        .agg(pl.len().alias("n"), pl.col("by_practice").first().alias("ev"))
        .sort("subicb_code", "lad")
        .iter_rows(named=True)
    ]


def build(raw: RawDir) -> Geographies:
    """Every geography vintage, in order (later vintages are built from earlier ones)."""
    g = Geographies()
    for step in (build_2021, build_2022, build_2024, build_2026):
        step(raw, g)
    return g


def crosswalk(g: Geographies, a: str, b: str, lsoa_pop: pl.DataFrame) -> pl.DataFrame:
    """LSOA-level moves between two vintages, with LSOA counts and resident population."""
    return (
        g.lsoa[a]
        .select("lsoa", pl.col("subicb_code").alias("from_subicb_code"))
        .join(g.lsoa[b].select("lsoa", pl.col("subicb_code").alias("to_subicb_code")), on="lsoa")
        .join(lsoa_pop, on="lsoa", how="left")
        .group_by("from_subicb_code", "to_subicb_code")
        .agg(pl.len().alias("lsoa_count"), pl.col("population").sum().alias("population_mid2020"))
        .sort("from_subicb_code", "to_subicb_code")
    )
