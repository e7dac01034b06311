"""Named weights per sub-ICB location: what each national figure is split by.

A basis is declared as data (``reference_data/bases.toml`` or a catalogue's ``[bases.*]``)
and turned here into one non-negative weight for every sub-ICB of the run's geography.
Every source is checked for completeness, because a sub-ICB with no weight would silently
get nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
    "blend": "other bases mixed: each part's shares weighted by the amount it serves",
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
    name: str,
    spec: Mapping,
    *,
    geography: str,
    population_year: int,
    where: str = "bases",
    bases: Mapping[str, Mapping] | None = None,
) -> Weights:
    """The weight of every sub-ICB of ``geography`` under the basis ``name``; a blend's
    parts are looked up in ``bases`` (the catalogue's)."""
    source = spec.get("source")
    if source == "blend":
        return _blend(name, spec, bases or {}, geography, population_year, where)
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


def blend_parts(name: str, spec: Mapping, bases: Mapping[str, Mapping], where: str):
    """(part name, its spec, its amount) of a blend, each part a known non-blend basis."""
    out = []
    for part, amount in dict(spec.get("parts", {})).items():
        if part not in bases or bases[part].get("source") == "blend":
            raise InputError(
                f"blend part {part!r} must be a basis that is not a blend",
                file=where,
                row=f"basis {name}",
                field=f"parts.{part}",
            )
        out.append((part, bases[part], float(amount)))
    if not out:
        raise InputError("a blend needs parts", file=where, row=f"basis {name}", field="parts")
    return out


def mix(parts: list[tuple[Mapping[str, float], float]]) -> dict[str, float]:
    """Weights that give each part its amount, shared as that part's own weights share it:
    sum over parts of amount x weight / the part's total. Codes missing from a part weigh
    0 there."""
    codes = sorted({c for w, _ in parts for c in w})
    out = dict.fromkeys(codes, 0.0)
    for w, amount in parts:
        total = sum(w.values())
        for code, value in w.items():
            out[code] += amount * value / total
    return out


def _blend(name, spec, bases, geography, population_year, where) -> Weights:
    return mix(
        [
            (
                weights(
                    part, pspec, geography=geography, population_year=population_year, where=where
                ),
                amount,
            )
            for part, pspec, amount in blend_parts(name, spec, bases, where)
        ]
    )


# ---------------------------------------------------------------- bases beside delivery


@dataclass(frozen=True)
class Published:
    """A published distribution across ICBs (a register or an actual delivery measure) that
    a basis can be set beside: how far a basis is from need or delivery, in points."""

    name: str
    label: str
    values: dict[str, float]  # ICB code -> published figure

    def shares(self) -> dict[str, float]:
        return _normalise(self.values)


def _normalise(values: Mapping[str, float]) -> dict[str, float]:
    total = sum(values.values())
    return {code: v / total for code, v in sorted(values.items())} if total else {}


def icb_shares(w: Weights, geography: str) -> dict[str, float]:
    """A basis's share of England in each ICB of `geography` (its sub-ICB weights summed)."""
    return _normalise(_by_icb(w.items(), geography))


def _by_icb(subicb_values: Iterable[tuple[str, float]], geography: str) -> dict[str, float]:
    """Sub-ICB values summed to the ICB each sits in (in `geography`)."""
    icb_of = dict(store.geography(geography).select("subicb_code", "icb_code").iter_rows())
    sums: dict[str, float] = {}
    for code, value in subicb_values:
        sums[icb_of[code]] = sums.get(icb_of[code], 0.0) + float(value)
    return sums


@dataclass(frozen=True)
class Comparison:
    """A basis's ICB shares against a published distribution's: the mean absolute
    difference over the ICBs both cover, in percentage points, and the ICB furthest off."""

    basis: str
    published: str
    icbs: int
    mean_abs_points: float
    furthest: str
    furthest_points: float  # basis share minus published share, in points


def compare_shares(
    basis: str, shares: Mapping[str, float], published: Published
) -> Comparison | None:
    """`shares` beside `published`, over the ICBs both have (renormalised on them, so a
    measure missing for some ICBs compares like with like); None when none are shared."""
    theirs = published.shares()
    common = sorted(set(shares) & set(theirs))
    if not common:
        return None
    ours = _normalise({c: shares[c] for c in common})
    theirs = _normalise({c: theirs[c] for c in common})
    diffs = {c: 100 * (ours[c] - theirs[c]) for c in common}
    furthest = max(common, key=lambda c: (abs(diffs[c]), c))
    return Comparison(
        basis,
        published.name,
        len(common),
        sum(abs(d) for d in diffs.values()) / len(common),
        furthest,
        diffs[furthest],
    )


#: The latest QOF year of the shipped SMI register.
QOF_YEAR = "2020/21"


def _qof_register(geography: str) -> Published:
    year = QOF_YEAR
    df = store.smi_register(year, geography)
    values = _by_icb(df.select("subicb_code", "register").iter_rows(), geography)
    return Published(
        f"qof_smi_register_{year.replace('/', '_')}",
        f"QOF serious mental illness register, {year} (patients on GP registers)",
        values,
    )


#: Actual delivery measures worth setting a basis beside, when the reference data ships
#: them (store.actuals): (source, measure, year, label).
ACTUAL_MEASURES = (
    (
        "nhstt",
        "finished_course_treatment",
        "2022/23",
        "NHS Talking Therapies: referrals that finished a course of treatment, 2022/23",
    ),
    (
        "phsmi",
        "all_six_checks",
        "2022/23",
        "SMI physical health checks: people with all six checks, last quarter of 2022/23",
    ),
)


def _actual(source: str, measure: str, year: str, label: str, geography: str) -> Published:
    df = store.actuals(source, geography).filter(
        pl.col("measure") == measure, pl.col("year") == year, pl.col("value").is_not_null()
    )
    last = df["period"].sort()[-1] if df.height else None  # a year's last published period
    df = df.filter(pl.col("period") == last)
    if df.filter(pl.col("level") == "icb").height:
        rows = df.filter(pl.col("level") == "icb").select("org_code", "value").iter_rows()
        values = {code: float(v) for code, v in rows}
    else:
        subicbs = df.filter(pl.col("level") == "subicb").select("org_code", "value")
        values = _by_icb(subicbs.iter_rows(), geography)
    return Published(f"{source}_{measure}_{year.replace('/', '_')}", label, values)


def _dep_register(geography: str) -> Published:
    df = store.depression_register(QOF_YEAR, geography)
    values = _by_icb(df.select("subicb_code", "register").iter_rows(), geography)
    return Published(
        f"qof_depression_register_{QOF_YEAR.replace('/', '_')}",
        f"QOF depression register, {QOF_YEAR} (adults with depression recorded since 2006): "
        "recorded depression, the nearest shipped measure to the prevalence IAPT was set by",
        values,
    )


#: The allocation year of NHS England's core target the comparison uses.
CORE_TARGET_YEAR = "2022/23"


def _core_target(geography: str) -> Published:
    df = store.need_weighted(CORE_TARGET_YEAR, geography)
    values = _by_icb(df.select("subicb_code", "core_wp").iter_rows(), geography)
    return Published(
        f"nhse_core_target_{CORE_TARGET_YEAR.replace('/', '_')}",
        f"NHS England core allocation target (overall weighted population), "
        f"{CORE_TARGET_YEAR}: the 'fair share' NHS England gives systems' money",
        values,
    )


def published_distributions(geography: str) -> list[Published]:
    """Every published distribution the shipped reference data holds for `geography`:
    the QOF SMI and depression registers, NHS England's core allocation target, and actual
    delivery (Talking Therapies, SMI health checks) where an actuals table is shipped."""
    out = [_qof_register(geography), _core_target(geography)]
    try:
        out.insert(1, _dep_register(geography))
    except InputError:
        pass  # not shipped for this geography (geography 2021)
    if hasattr(store, "actuals"):
        for source, measure, year, label in ACTUAL_MEASURES:
            try:
                found = _actual(source, measure, year, label, geography)
            except InputError:
                continue  # not shipped for this geography
            if found.values:
                out.append(found)
    return out


@dataclass(frozen=True)
class BasesComparison:
    """Every basis beside every published distribution: `rows` (basis, one Comparison or
    None per distribution), `skipped` (basis, why it has no weights on the geography) and,
    for one basis, `by_icb` (ICB, its share and each distribution's, in percent)."""

    rows: list[tuple[str, list[Comparison | None]]]
    skipped: list[tuple[str, str]]
    by_icb: list[tuple[str, float, list[float | None]]]


def compare_bases(
    specs: Mapping[str, Mapping],
    published: list[Published],
    *,
    geography: str,
    population_year: int,
    where: str = "bases",
    only: str | None = None,
) -> BasesComparison:
    """Each basis of `specs` (or `only` that one) beside each distribution of `published`."""
    rows, skipped, by_icb = [], [], []
    for name in sorted(specs) if only is None else [only]:
        try:
            w = weights(
                name,
                specs[name],
                geography=geography,
                population_year=population_year,
                where=where,
                bases=specs,
            )
        except InputError as exc:
            if only is not None:
                raise
            skipped.append((name, exc.message))
            continue
        shares = icb_shares(w, geography)
        rows.append((name, [compare_shares(name, shares, p) for p in published]))
        if only is not None:
            theirs = [p.shares() for p in published]
            by_icb = [
                (code, 100 * s, [100 * t[code] if code in t else None for t in theirs])
                for code, s in shares.items()
            ]
    return BasesComparison(rows, skipped, by_icb)
