"""Read API for the shipped reference tables: callers never open reference_data/ by path.

Tables are read once per process (lru_cache) and filtered per call; every lookup of a
combination that is not shipped raises InputError listing what is.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import polars as pl

from mhtool.errors import InputError
from mhtool.run.paths import reference_data_dir

BIRTHS_PROXY_LABEL = "proxy: ONS mid-year population aged 0"
_SCHEMA = {
    "year": pl.Int64,
    "age": pl.Int64,
    "population": pl.Int64,
    "patients": pl.Int64,
    "register": pl.Int64,
    "list_size": pl.Int64,
    "lsoa_count": pl.Int64,
    "population_mid2020": pl.Int64,
    "mh_wp": pl.Float64,
    "mat_wp": pl.Float64,
    "patients_2026": pl.Float64,
}


@cache
def _table(rel: str, root: str) -> pl.DataFrame:
    path = Path(root) / rel
    if not path.is_file():
        raise InputError("reference table missing: run `mhtool refdata build`", file=str(path))
    try:
        head = pl.read_csv(path, n_rows=0).columns
        overrides = {c: _SCHEMA.get(c, pl.String) for c in head}
        if rel in ("need/need_weighted.csv", "places/practice_need.csv"):
            overrides["population"] = pl.Float64
        if rel == "places/pcn_registered.csv":
            overrides |= {c: pl.Int64 for c in head if c.startswith("age_")}
        return pl.read_csv(path, schema_overrides=overrides)
    except pl.exceptions.PolarsError as exc:
        # a hand-edited or damaged table: say which, and how to get a good one back
        first = str(exc).strip().splitlines()[0]
        raise InputError(
            f"reference table cannot be read ({first}); rebuild it with `mhtool refdata build`",
            file=str(path),
        ) from None


def table(rel: str) -> pl.DataFrame:
    return _table(rel, str(reference_data_dir()))


def _pick(df: pl.DataFrame, what: str, **keys) -> pl.DataFrame:
    out = df
    for k, v in keys.items():
        out = out.filter(pl.col(k) == v)
    if out.is_empty():
        have = df.select(list(keys)).unique().sort(list(keys)).rows()
        listed = ", ".join("(" + ", ".join(str(x) for x in r) + ")" for r in have)
        wanted = ", ".join(f"{k}={v}" for k, v in keys.items())
        raise InputError(f"no {what} for {wanted}; available ({', '.join(keys)}): {listed}")
    return out.drop(list(keys))


def vintages() -> list[str]:
    root = reference_data_dir() / "geography"
    return sorted(p.stem.removeprefix("geography_") for p in root.glob("geography_*.csv"))


def geography(vintage: str = "2022") -> pl.DataFrame:
    vintage = str(vintage)
    if vintage not in vintages():
        raise InputError(f"no geography vintage {vintage}; available: {', '.join(vintages())}")
    return table(f"geography/geography_{vintage}.csv")


_geography = geography  # for functions whose parameter is named `geography`


def crosswalk(from_vintage: str = "2021", to_vintage: str = "2022") -> pl.DataFrame:
    rel = f"geography/crosswalk_{from_vintage}_{to_vintage}.csv"
    if not (reference_data_dir() / rel).is_file():
        have = sorted(p.stem for p in (reference_data_dir() / "geography").glob("crosswalk_*"))
        raise InputError(f"no crosswalk {from_vintage}->{to_vintage}; available: {have}")
    return table(rel)


def ons_population(year: int, geography: str) -> pl.DataFrame:
    return _pick(
        table("population/ons_mye.csv"), "ONS population", year=int(year), geography=str(geography)
    )


def births_proxy(year: int, geography: str) -> pl.DataFrame:
    """Births proxy: ONS mid-year population aged 0 (no births by sub-ICB were found)."""
    return (
        ons_population(year, geography)
        .filter(pl.col("age") == 0)
        .select("subicb_code", pl.col("population").alias("births_proxy"))
    )


def gp_registered(geography: str) -> pl.DataFrame:
    return _pick(
        table("population/gp_registered.csv"), "GP registered population", geography=str(geography)
    ).drop("extract_date")


def need_weighted(allocation_year: str, geography: str) -> pl.DataFrame:
    return _pick(
        table("need/need_weighted.csv"),
        "need-weighted population",
        allocation_year=allocation_year,
        geography=str(geography),
    )


def smi_register(qof_year: str, geography: str) -> pl.DataFrame:
    return _pick(
        table("registers/qof_smi_subicb.csv"),
        "SMI register",
        qof_year=qof_year,
        geography=str(geography),
    )


def smi_rollup(qof_year: str) -> pl.DataFrame:
    """SMI register by CCG/STP/region/England through the year's own practice map."""
    return _pick(table("registers/qof_smi.csv"), "SMI roll-up", qof_year=qof_year)


def place_geographies() -> list[str]:
    """Geographies with a practice map, so runs with places (practice-level tables)."""
    return sorted(table("places/practices.csv")["geography"].unique().to_list())


def practices(geography: str) -> pl.DataFrame:
    """Every practice of a geography: practice_code, practice_name, subicb_code, pcn_code,
    pcn_name, lad_code, lad_name, pcn_2026, patients_2026."""
    return _pick(table("places/practices.csv"), "practice map", geography=str(geography))


def practice_need(allocation_year: str) -> pl.DataFrame:
    """practice_code, population, mh_wp, mat_wp of one allocation year's practices."""
    return _pick(
        table("places/practice_need.csv"),
        "practice need-weighted population",
        allocation_year=str(allocation_year),
    )


def practice_smi(qof_year: str) -> pl.DataFrame:
    """practice_code, register: the QOF SMI register of one year's practices."""
    return _pick(table("places/practice_smi.csv"), "practice SMI register", qof_year=str(qof_year))


def pcn_registered() -> pl.DataFrame:
    """pcn_code, sex, age_0 … age_95: GP-registered patients by PCN (Aug 2026)."""
    return table("places/pcn_registered.csv").drop("extract_date")


def sources() -> dict:
    path = reference_data_dir() / "sources.json"
    if not path.is_file():
        raise InputError("sources.json missing: run `mhtool refdata build`", file=str(path))
    return json.loads(path.read_text(encoding="utf-8"))


def data_date() -> str:
    """ISO date of the newest shipped data (the GP registered extract), for run metadata."""
    return str(sources()["data_date"])


def describe(geography: str, population_year: int) -> str:
    """One line naming the reference data a run used, for output metadata."""
    g = _geography(geography)
    return (
        f"geography {geography} ({g['subicb_code'].n_unique()} sub-ICBs, "
        f"{g['icb_code'].n_unique()} ICBs, {g['region_code'].n_unique()} regions); "
        f"ONS mid-{population_year} population estimates; data date {data_date()}; "
        "sources in reference_data/SOURCES.md"
    )


def clear_cache() -> None:
    """Forget cached tables (after a rebuild in the same process)."""
    _table.cache_clear()
