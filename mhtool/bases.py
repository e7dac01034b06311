"""Named weights per sub-ICB location: what each national figure is split by.

A basis is declared as data (``reference_data/bases.toml`` or a catalogue's ``[bases.*]``)
and turned here into one non-negative weight for every sub-ICB of the run's geography.
Every source is checked for completeness, because a sub-ICB with no weight would silently
get nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import polars as pl

from mhtool import schema, userfiles
from mhtool.errors import InputError
from mhtool.refdata import store
from mhtool.refdata.bands import parse_bands

Weights = dict[str, float]

#: Where each source's numbers come from, for the Notes sheet and `mhtool bases`.
SOURCE_DESCRIPTIONS = {
    "ons_population": "ONS mid-year population estimates (LSOA single year of age, aggregated)",
    "need_weighted": "NHS England need-weighted populations from the allocation formula",
    "smi_register": "QOF serious mental illness (MH) register, practices rolled up",
    "gp_registered": "NHS Digital patients registered at a GP practice, by sex and single age",
    "csv": "a user's own CSV of org_code,weight",
}


def _age_filter(ages: str, column: str, top: int, where: str) -> pl.Expr:
    """Rows inside one age band such as ``0``, ``0-25`` or ``65+`` (the top age is open)."""
    try:
        [(_, lo, hi)] = parse_bands(ages, top=top)
    except (InputError, ValueError) as exc:
        raise InputError(f"bad ages {ages!r}: {exc}", file=where, field="ages") from None
    expr = pl.col(column) >= lo
    return expr if hi is None else expr & (pl.col(column) <= hi)


def _ons_population(
    spec: Mapping, geography: str, population_year: int, where: str
) -> pl.DataFrame:
    year = int(spec.get("year", population_year))
    df = store.ons_population(year, geography)
    return (
        df.filter(_age_filter(str(spec["ages"]), "age", 90, where))
        .group_by("subicb_code")
        .agg(pl.col("population").sum().alias("weight"))
    )


def _need_weighted(spec: Mapping, geography: str, population_year: int, where: str) -> pl.DataFrame:
    df = store.need_weighted(str(spec["allocation_year"]), geography)
    column = str(spec["column"])
    if column not in df.columns:
        raise InputError(
            f"unknown need-weighted column {column!r}; choose one of "
            f"{[c for c in df.columns if c != 'subicb_code']}",
            file=where,
            field="column",
        )
    return df.select("subicb_code", pl.col(column).alias("weight"))


def _smi_register(spec: Mapping, geography: str, population_year: int, where: str) -> pl.DataFrame:
    df = store.smi_register(str(spec["qof_year"]), geography)
    return df.select("subicb_code", pl.col("register").alias("weight"))


def _gp_registered(spec: Mapping, geography: str, population_year: int, where: str) -> pl.DataFrame:
    df = store.gp_registered(geography)
    sex = str(spec.get("sex", "all"))
    if sex not in ("all", "female", "male"):
        raise InputError(f"sex must be all, female or male, not {sex!r}", file=where, field="sex")
    if sex != "all":
        df = df.filter(pl.col("sex") == sex)
    return (
        df.filter(_age_filter(str(spec["ages"]), "age", 95, where))
        .group_by("subicb_code")
        .agg(pl.col("patients").sum().alias("weight"))
    )


def _csv(spec: Mapping, geography: str, population_year: int, where: str) -> pl.DataFrame:
    # the catalogue loader has already made the path absolute, relative to the declaring file
    expected = set(store.geography(geography)["subicb_code"])
    return read_weights_csv(Path(str(spec["path"])), expected=expected)


_SOURCES: dict[str, Callable[..., pl.DataFrame]] = {
    "ons_population": _ons_population,
    "need_weighted": _need_weighted,
    "smi_register": _smi_register,
    "gp_registered": _gp_registered,
    "csv": _csv,
}


#: No sub-ICB weight is larger than this (populations and budgets are far below it); a
#: bigger one is a pasted total, a wrong unit or a typo, and would swamp every other area.
MAX_WEIGHT = 1e12


def read_weights_csv(path: Path, expected: set[str]) -> pl.DataFrame:
    """A user's weights (columns in mhtool/schemas/weights.schema.json): every sub-ICB
    once, numbers (mhtool.userfiles's rule), none negative, none absurdly large, not all
    zero. Read as a stream: the first bad row stops it."""
    seen: dict[str, float] = {}
    for n, rec in schema.read_csv_rows(path, "weights"):

        def bad(msg, field, n=n):
            return InputError(msg, file=str(path), row=n, field=field)

        code = (rec["org_code"] or "").strip()
        if code not in expected:
            raise bad(f"unknown sub-ICB code {code!r}", "org_code")
        if code in seen:
            raise bad(f"duplicate org_code {code!r}", "org_code")
        try:
            value = userfiles.number(rec["weight"])
        except ValueError as exc:
            raise bad(str(exc), "weight") from None
        if value < 0 or value > MAX_WEIGHT:
            raise bad(
                f"weight {rec['weight']} must be a number from 0 to {MAX_WEIGHT:,.0f}", "weight"
            )
        seen[code] = value
    absent = sorted(expected - seen.keys())
    if absent:
        raise InputError(
            f"{len(absent)} sub-ICB(s) missing, e.g. {absent[:5]}", file=str(path), field="org_code"
        )
    if not any(seen.values()):
        raise InputError("every weight is zero", file=str(path), field="weight")
    return pl.DataFrame({"subicb_code": list(seen), "weight": list(seen.values())})


def weights(
    name: str, spec: Mapping, *, geography: str, population_year: int, where: str = "bases"
) -> Weights:
    """The weight of every sub-ICB of ``geography`` under the basis ``name``."""
    source = spec.get("source")
    if source not in _SOURCES:
        raise InputError(
            f"basis {name!r} has unknown source {source!r}; choose one of {sorted(_SOURCES)}",
            file=where,
            field="source",
        )
    df = _SOURCES[source](spec, geography, population_year, where)
    expected = set(store.geography(geography)["subicb_code"])
    got = dict(zip(df["subicb_code"].to_list(), df["weight"].to_list(), strict=True))
    absent = sorted(expected - got.keys())
    if absent:
        raise InputError(
            f"basis {name!r} has no weight for {len(absent)} sub-ICB(s) of "
            f"geography {geography}, e.g. {absent[:5]}",
            file=where,
            field=name,
        )
    if any(w is None or w < 0 for w in got.values()) or not any(got.values()):
        raise InputError(
            f"basis {name!r} has negative, missing or all-zero weights", file=where, field=name
        )
    return {code: float(got[code]) for code in sorted(expected)}
