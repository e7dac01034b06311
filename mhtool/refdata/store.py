"""Read API for the shipped reference tables: callers never open reference_data/ by path.

Tables are read once per process (lru_cache) and filtered per call; every lookup of a
combination that is not shipped raises InputError listing what is. Before a table is used
its sha256 and row count are checked against sources.json, where `refdata build` recorded
them: a truncated or edited table is a clear error, never a run on part of England.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import polars as pl

from mhtool.errors import InputError
from mhtool.infra.paths import reference_data_dir

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
    "core_wp": pl.Float64,
    "patients_2026": pl.Float64,
    "value": pl.Int64,  # actuals/*.csv: a count, empty where not published
}
#: The shipped tables of actual delivery, by the name a catalogue's [[actual]] gives.
ACTUAL_SOURCES = ("nhstt", "phsmi")


@cache
def _table(rel: str, root: str) -> pl.DataFrame:
    path = Path(root) / rel
    if not path.is_file():
        raise InputError("reference table missing: run `mhtool refdata build`", file=str(path))
    data = path.read_bytes()
    _verify(rel, data, _recorded(root), path)
    try:
        head = pl.read_csv(data, n_rows=0).columns
        overrides = {c: _SCHEMA.get(c, pl.String) for c in head}
        if rel in ("need/need_weighted.csv", "places/practice_need.csv"):
            overrides["population"] = pl.Float64
        if rel.startswith("actuals/"):
            overrides["year"] = pl.String  # a financial year, 2023/24
        if rel == "places/pcn_registered.csv":
            overrides |= {c: pl.Int64 for c in head if c.startswith("age_")}
        df = pl.read_csv(data, schema_overrides=overrides)
    except pl.exceptions.PolarsError as exc:
        # a hand-edited or damaged table: say which, and how to get a good one back
        first = str(exc).strip().splitlines()[0]
        raise InputError(
            f"reference table cannot be read ({first}); rebuild it with `mhtool refdata build`",
            file=str(path),
        ) from None
    want = _recorded(root)["tables"][rel].get("rows")
    if want is not None and df.height != want:
        raise InputError(
            f"reference table has {df.height:,} rows where `refdata build` wrote {want:,}: "
            "it was truncated or edited; rebuild it with `mhtool refdata build`",
            file=str(path),
        )
    return df


def _verify(rel: str, data: bytes, recorded: dict, path: Path) -> None:
    """A table is used only as `refdata build` wrote it: listed in sources.json with its
    sha256, so a truncated, edited or half-copied table stops the run (exit 2) instead of
    quietly apportioning on fewer areas."""
    entry = recorded.get("tables", {}).get(rel)
    if not isinstance(entry, dict):
        raise InputError(
            "reference table is not listed in sources.json, so it cannot be checked; "
            "rebuild the reference data with `mhtool refdata build`",
            file=str(path),
        )
    want = entry.get("sha256")
    if want is not None and hashlib.sha256(data).hexdigest() != want:
        raise InputError(
            "reference table differs from the one `refdata build` wrote (sha256 in "
            "sources.json): it was truncated, edited or damaged; rebuild it with "
            "`mhtool refdata build` or restore it",
            file=str(path),
        )


@cache
def _recorded(root: str) -> dict:
    """sources.json of the reference folder `root`, checked to be the build's record."""
    path = Path(root) / "sources.json"
    if not path.is_file():
        raise InputError("sources.json missing: run `mhtool refdata build`", file=str(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"sources.json is damaged ({exc}); rebuild it with `mhtool refdata build`",
            file=str(path),
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise InputError(
            "sources.json does not list the reference tables; rebuild it with "
            "`mhtool refdata build`",
            file=str(path),
        )
    return doc


def table(rel: str) -> pl.DataFrame:
    """A shipped table by its path inside the reference data in use (read once)."""
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
    """The geography vintages `refdata build` recorded (a recorded table that has gone
    missing is then reported as missing, not as an unknown vintage)."""
    tables = sources()["tables"]
    return sorted(
        Path(rel).stem.removeprefix("geography_")
        for rel in tables
        if rel.startswith("geography/geography_") and rel.endswith(".csv")
    )


def geography(vintage: str = "2022") -> pl.DataFrame:
    """One row per sub-ICB of a vintage, with its ICB and region."""
    vintage = str(vintage)
    if vintage not in vintages():
        raise InputError(f"no geography vintage {vintage}; available: {', '.join(vintages())}")
    rel = f"geography/geography_{vintage}.csv"
    df = table(rel)
    _plain_codes(rel, df)
    return df


#: An organisation code as output file names use it (regions/Y63.xlsx, planning/QHM.csv).
ODS_CODE = r"^[A-Z0-9]{2,10}$"


def _plain_codes(rel: str, df: pl.DataFrame) -> None:
    """Output file names are made only from organisation codes, so every code must be a
    plain ODS code: never a path, a dot or anything a file system would read otherwise."""
    for col in ("subicb_code", "icb_code", "region_code"):
        bad = df.filter(~pl.col(col).fill_null("").str.contains(ODS_CODE))
        if bad.height:
            raise InputError(
                f"{bad[col][0]!r} is not an organisation code (letters and digits only)",
                file=str(reference_data_dir() / rel),
                field=col,
            )


_geography = geography  # for functions whose parameter is named `geography`


def crosswalk(from_vintage: str = "2021", to_vintage: str = "2022") -> pl.DataFrame:
    """The LSOA-level boundary moves between two vintages, aggregated by sub-ICB."""
    rel = f"geography/crosswalk_{from_vintage}_{to_vintage}.csv"
    if not (reference_data_dir() / rel).is_file():
        have = sorted(p.stem for p in (reference_data_dir() / "geography").glob("crosswalk_*"))
        raise InputError(f"no crosswalk {from_vintage}->{to_vintage}; available: {have}")
    return table(rel)


def ons_population(year: int, geography: str) -> pl.DataFrame:
    """ONS mid-year population by sub-ICB and single year of age."""
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
    """GP registered patients by sub-ICB, sex and single year of age."""
    return _pick(
        table("population/gp_registered.csv"), "GP registered population", geography=str(geography)
    ).drop("extract_date")


def need_weighted(allocation_year: str, geography: str) -> pl.DataFrame:
    """Need-weighted populations by sub-ICB for an allocation year."""
    return _pick(
        table("need/need_weighted.csv"),
        "need-weighted population",
        allocation_year=allocation_year,
        geography=str(geography),
    )


def smi_register(qof_year: str, geography: str) -> pl.DataFrame:
    """The QOF SMI register by sub-ICB for a QOF year."""
    return _pick(
        table("registers/qof_smi_subicb.csv"),
        "SMI register",
        qof_year=qof_year,
        geography=str(geography),
    )


def depression_register(qof_year: str, geography: str) -> pl.DataFrame:
    """The QOF depression register (group DEP) by sub-ICB for a QOF year."""
    return _pick(
        table("registers/qof_dep_subicb.csv"),
        "depression register",
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
    """practice_code, population, mh_wp, mat_wp, core_wp of one allocation year's practices."""
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


def actuals(source: str, geography: str) -> pl.DataFrame:
    """Published actual delivery of `source` (ACTUAL_SOURCES) on a geography's codes: level,
    org_code, year, period, measure, value (missing where not published) and route (how the
    published code got there; `split` where shared out by a weight)."""
    if source not in ACTUAL_SOURCES:
        raise InputError(f"no actuals {source!r}; available: {', '.join(ACTUAL_SOURCES)}")
    return _pick(table(f"actuals/{source}.csv"), f"{source} actuals", geography=str(geography))


def actual_geographies(source: str) -> list[str]:
    """The geographies an actuals table is shipped on."""
    if source not in ACTUAL_SOURCES:
        raise InputError(f"no actuals {source!r}; available: {', '.join(ACTUAL_SOURCES)}")
    return sorted(table(f"actuals/{source}.csv")["geography"].unique().to_list())


def sources() -> dict:
    """sources.json of the reference data in use (inputs, totals, data date, sha256s)."""
    return _recorded(str(reference_data_dir()))


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
    _recorded.cache_clear()
