"""NHS England need-weighted populations (MH, maternity and the overall core target) by
sub-ICB, 2022/23–2026/27.

The allocation files are per practice and, after 2022/23, carry no sub-ICB, so practices are
placed through `practices.place` with routes suited to each target geography.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata.geography import ALLOC22, PRAC_MAP26, Geographies
from mhtool.refdata.practices import Lookup, Peers, place, route_summary, stable_codes
from mhtool.refdata.raw import RawDir, read_csv, reconcile, require_mapped

# year: (file, population header, ICB header, local authority header, published total)
YEARS = {
    "2022/23": ("nhse_allocations/2022_2023.csv.gz", "pop 2022/23", "ICS22", "LAD21", 61_498_822),
    # 2023/24 and 2024/25 keep the header `pop 2022/23` but hold that year's population.
    "2023/24": ("nhse_allocations/2023_2024.csv.gz", "pop 2022/23", "ICS22", "LAD21", 61_903_547),
    "2024/25": ("nhse_allocations/2024_2025.csv.gz", "pop 2022/23", "ICS22", "LAD21", 62_154_630),
    "2025/26": ("nhse_allocations/2025_2026.csv.gz", "Population", "ICB", "LAD", 63_849_324),
    "2026/27": (
        "nhse_allocations/2026_2027.csv.gz",
        "Registered Patients",
        "ICB",
        "LAD",
        63_916_251,
    ),
}
GEOGRAPHIES = ("2022", "2026")
WEIGHTS = ["population", "mh_wp", "mat_wp", "core_wp"]
# The overall weighted population of the core allocation target: `Final WP` until 2025/26,
# `Core WP` in the 2026/27 file. Its share is each area's share of the target allocations.
CORE_HEADER = {"2026/27": "Core WP"}
# The last resort: a practice no map or peer places, decided by hand with its reason beside it.
PLACEMENTS = pl.read_csv(
    Path(__file__).with_name("practice_placements.csv"),
    columns=["practice", "subicb_code"],
    schema_overrides={"practice": pl.String, "subicb_code": pl.String},
)


def practice_maps(raw: RawDir) -> dict[str, pl.DataFrame]:
    """practice → sub-ICB: LOC22 of the 2022/23 file (geography 2022), Aug 2026 map (2026)."""
    loc22 = read_csv(
        raw, ALLOC22, {"practice": "Practice_Code", "subicb_code": "LOC22"}, key=["practice"]
    )
    require_mapped(loc22, "subicb_code", ALLOC22, "practices (blank LOC22)", "practice")
    m26 = read_csv(
        raw,
        PRAC_MAP26,
        {"practice": "PRACTICE_CODE", "subicb_code": "SUB_ICB_LOCATION_CODE"},
        key=["practice"],
    )
    return {"2022": loc22.drop("__row"), "2026": m26.drop("__row")}


def routes(geography: str, maps: dict[str, pl.DataFrame], geo: Geographies) -> list:
    """The practice-placement routes for one geography, in the order they are tried."""
    other = "2026" if geography == "2022" else "2022"
    stable = stable_codes(geo.trees["2022"], geo.trees["2026"])
    label = {"2022": "LOC22 of the 2022/23 allocation file", "2026": "Aug 2026 practice map"}
    return [
        Lookup(label[geography], maps[geography]),
        Lookup(
            f"{label[other]}, sub-ICB unchanged 2022-2026 (same ODS and ONS code)",
            maps[other].join(stable, on="subicb_code"),
        ),
        Peers("practices of the same ICB and local authority agree", ("icb", "lad")),
        Lookup("placed by hand (mhtool/refdata/practice_placements.csv)", PLACEMENTS),
    ]


def read_year(raw: RawDir, year: str) -> pl.DataFrame:
    """One allocation year's practices: practice, icb, lad, population, mh_wp, mat_wp,
    core_wp."""
    rel, pop, icb, lad, _ = YEARS[year]
    return read_csv(
        raw,
        rel,
        {
            "practice": "Practice_Code",
            "icb": icb,
            "lad": lad,
            "population": pop,
            "mh_wp": "MH WP",
            "mat_wp": "Mat WP",
            "core_wp": CORE_HEADER.get(year, "Final WP"),
        },
        floats=WEIGHTS,
        key=["practice"],
        blank_as_zero=["mh_wp", "mat_wp"],
    )


def need_weighted(raw: RawDir, geo: Geographies) -> tuple[pl.DataFrame, dict]:
    """Need-weighted populations by sub-ICB for every allocation year and geography,
    with the count of practices each route placed."""
    maps = practice_maps(raw)
    frames, ledger = [], {}
    for year, (rel, pop, _, _, total) in YEARS.items():
        df = read_year(raw, year)
        # 2022/23 has 17 blank Mat WP; the column still reconciles, so blank means zero.
        ledger[f"{year} blank weights read as zero"] = {
            w: raw.read[rel][f"blank_{w}"] for w in ("mh_wp", "mat_wp")
        }
        reconcile(df["population"].sum(), total, rel, pop, tol=1)
        for w in ("mh_wp", "mat_wp", "core_wp"):
            reconcile(
                df[w].sum(),
                df["population"].sum(),
                rel,
                {"mh_wp": "MH WP", "mat_wp": "Mat WP", "core_wp": "Final/Core WP"}[w],
                tol=0.01,
            )
        for geography in GEOGRAPHIES:
            placed = place(df, routes(geography, maps, geo))
            ledger[f"{year} geography {geography}"] = route_summary(placed, "population")
            require_mapped(
                placed,
                "subicb_code",
                rel,
                f"practices (no route to geography {geography})",
                "practice",
            )
            frames.append(
                _by_subicb(placed, df, rel, geography, geo).with_columns(
                    pl.lit(year).alias("allocation_year"), pl.lit(geography).alias("geography")
                )
            )
    out = pl.concat(frames).select("allocation_year", "geography", "subicb_code", *WEIGHTS)
    return out.sort("allocation_year", "geography", "subicb_code"), ledger


def _by_subicb(
    placed: pl.DataFrame, df: pl.DataFrame, rel: str, geography: str, geo: Geographies
) -> pl.DataFrame:
    known = set(geo.trees[geography]["subicb_code"])
    stray = placed.filter(~pl.col("subicb_code").is_in(known))
    if stray.height:
        raise InputError(
            f"practice placed in sub-ICB {stray['subicb_code'][0]} not in geography {geography}",
            file=rel,
            row=stray["practice"][0],
            field="subicb_code",
        )
    agg = placed.group_by("subicb_code").agg(pl.col(WEIGHTS).sum())
    for w in WEIGHTS:
        reconcile(agg[w].sum(), df[w].sum(), rel, f"{w} (geography {geography})", tol=0.01)
    return agg
