"""Places below sub-ICB: groups of GP practices a system's figures are split to exactly.

A run with places (`mhtool run --places KIND|FILE`) adds a `place` level to the spine. Every
count, £ and staff figure of a place's parent is split among its places by the same
top-down largest remainder as every other level, so places sum exactly to their parent, for
every ambition and year, and nothing above them changes.

Kinds
  pcn       primary care networks; la local authority districts; practice one place each;
  FILE      a CSV `practice_code,place_code,place_name` of the user's own places.

Where places sit
  * Built-in kinds sit under their sub-ICB. A PCN or local authority whose practices lie in
    two sub-ICBs becomes one place per sub-ICB (`<code>-<sub-ICB>`, "… (part in …)").
  * A user's places sit under their sub-ICB when every place of that ICB lies inside one
    sub-ICB; if any place of an ICB crosses a sub-ICB boundary, all of that ICB's places sit
    under the ICB instead (a place is never split). A place spanning two ICBs is refused.
  * Practices of an ICB the user's file covers but that are in no place are reported, and
    go to an "unallocated" place under each parent (`--unallocated place`, the default) or
    stop the run (`--unallocated stop`). ICBs the file does not mention get no places.

Weights (the practice-level equivalent of each basis; `practice_weights`)
  need_weighted  the practices' own MH WP / Mat WP / population of that allocation year;
  smi_register   the practices' own QOF SMI register of that year;
  ons_population the ONS estimate exists only by area, so the practice-registered equivalent
  gp_registered  is used: GP-registered patients of the same ages (and sex), Aug 2026, which
                 NHS Digital publishes by PCN, shared among the PCN's practices by their
                 registered patients. The spine's basis label says so on every place row;
  csv            a user's weights by sub-ICB have no practice equivalent: refused, naming the
                 ambitions and the basis.
A practice with no figure in a source (opened or closed between its year and the map's) has
weight 0 there; the counts are in the run's notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from mhtool import apportion, userfiles, vocab
from mhtool.bases import blend_parts, mix
from mhtool.errors import InputError
from mhtool.refdata import store
from mhtool.refdata.bands import parse_bands

KINDS = vocab.PLACE_KINDS
UNALLOCATED = ("place", "stop")
HEADER = ["practice_code", "place_code", "place_name"]
UNALLOCATED_PREFIX = "UNALLOCATED-"
_GROUP = {  # kind: (code column, name column, is the code an ONS code)
    "pcn": ("pcn_code", "pcn_name", False),
    "la": ("lad_code", "lad_name", True),
    "practice": ("practice_code", "practice_name", False),
}
#: Columns of `Places.places`, one row per place.
PLACE_COLUMNS = ["place_code", "place_name", "ons_code", "parent_level", "parent_code"]


@dataclass
class Places:
    """A practice -> place map for one geography, and where each place sits."""

    kind: str  # pcn / la / practice / user
    source: str  # the kind, or the user's file
    geography: str
    practices: pl.DataFrame  # practice_code, place_code
    places: pl.DataFrame  # PLACE_COLUMNS + icb_code, region_code
    notes: list[str] = field(default_factory=list)
    unallocated: list[str] = field(default_factory=list)  # practice codes in no user place

    def org_rows(self) -> pl.DataFrame:
        """The places as organisation rows, in the shape of `spine.organisations`."""
        return self.places.select(
            pl.lit(vocab.PLACE).alias("level"),
            pl.col("place_code").alias("org_code"),
            "ons_code",
            pl.col("place_name").alias("org_name"),
            "parent_code",
            "region_code",
            "icb_code",
        )

    @property
    def tree(self) -> apportion.Tree:
        """root -> parent -> place, parents keyed `<level>:<code>` (sub-ICB or ICB)."""
        if not hasattr(self, "_tree"):
            self._tree = apportion.Tree.from_paths(
                ("england", "parent", vocab.PLACE),
                (
                    (p, f"{lv}:{c}")
                    for p, lv, c in self.places.select(
                        "place_code", "parent_level", "parent_code"
                    ).iter_rows()
                ),
                root=vocab.ENGLAND_CODE,
            )
        return self._tree


# -------------------------------------------------------------------------- the place map


def practice_table(geography: str) -> pl.DataFrame:
    """The shipped practices of a geography (sub-ICB, PCN, LAD), with ICB and region."""
    have = store.place_geographies()
    if str(geography) not in have:
        raise InputError(
            f"places need a practice map, shipped for geographies {', '.join(have)}, "
            f"not {geography}; choose one of those with --geography",
            field="places",
        )
    g = store.geography(geography).select("subicb_code", "subicb_name", "icb_code", "region_code")
    return store.practices(geography).join(g, on="subicb_code", how="left")


def load(spec: str | Path, geography: str, unallocated: str = "place") -> Places:
    """Places of a built-in kind, or from a user's CSV file."""
    if unallocated not in UNALLOCATED:
        raise InputError(
            f"unallocated must be one of {', '.join(UNALLOCATED)}, not {unallocated!r}",
            field="unallocated",
        )
    practices = practice_table(geography)
    if str(spec) in KINDS:
        return _builtin(str(spec), geography, practices)
    path = Path(spec)
    if not path.is_file():
        raise InputError(
            f"--places must be one of {', '.join(KINDS)} or a CSV file of "
            f"{','.join(HEADER)}; no such file",
            file=str(path),
        )
    return _user(path, geography, practices, unallocated)


def _builtin(kind: str, geography: str, practices: pl.DataFrame) -> Places:
    code, name, is_ons = _GROUP[kind]
    df = practices.with_columns(
        pl.col(code).alias("_group"),
        pl.col(name).alias("_name"),
        (pl.col("subicb_code").n_unique().over(code) > 1).alias("_split"),
    ).with_columns(
        pl.when("_split")
        .then(pl.col("_group") + "-" + pl.col("subicb_code"))
        .otherwise("_group")
        .alias("place_code"),
        pl.when("_split")
        .then(pl.col("_name") + " (part in " + pl.col("subicb_name") + ")")
        .otherwise("_name")
        .alias("place_name"),
    )
    places = (
        df.group_by("place_code")
        .agg(
            pl.col("place_name").first(),
            (pl.col("_group").first() if is_ons else pl.lit(None, pl.String)).alias("ons_code"),
            pl.lit("subicb").alias("parent_level"),
            pl.col("subicb_code").first().alias("parent_code"),
            pl.col("icb_code").first(),
            pl.col("region_code").first(),
        )
        .sort("place_code")
    )
    split = df.filter("_split")["_group"].n_unique()
    notes = [
        f"places: {places.height:,} {kind} places from {df.height:,} practices "
        f"(geography {geography}), each under its sub-ICB"
        + (f"; {split} {kind} codes span two sub-ICBs and are split by sub-ICB" if split else "")
    ]
    return Places(kind, kind, geography, df.select("practice_code", "place_code"), places, notes)


def _read_user(path: Path) -> list[tuple[int, dict]]:
    """The user's rows through the shared CSV reader (mhtool.userfiles: header checked at
    once, file read a line at a time, every error naming file, row and field), each cell
    required, no row twice. A byte-order mark is refused here: the codes are matched
    exactly, and a file saved with one is also likely to hold other spreadsheet marks."""
    with open(path, "rb") as fh:
        if fh.read(3) == b"\xef\xbb\xbf":
            raise InputError(
                "the file starts with a byte-order mark (BOM); save it as plain UTF-8 CSV",
                file=str(path),
                row=1,
            )
    rows, seen = [], {}
    for n, r in userfiles.rows(path, HEADER):
        for col in HEADER:
            if not r[col]:
                raise InputError(f"{col} is empty", file=str(path), row=n, field=col)
        key = tuple(r[c] for c in HEADER)
        if key in seen:
            raise InputError(
                f"duplicate row (same as row {seen[key]})", file=str(path), row=n, field=HEADER[0]
            )
        seen[key] = n
        rows.append((n, r))
    if not rows:
        raise InputError("no places: the file has a header but no rows", file=str(path), row=2)
    return rows


def _user(path: Path, geography: str, practices: pl.DataFrame, unallocated: str) -> Places:
    rows = _read_user(path)
    info = {
        r[0]: r[1:] for r in practices.select("practice_code", "subicb_code", "icb_code").rows()
    }
    where, names, place_icb = {}, {}, {}
    for n, r in rows:
        pc, code, name = r["practice_code"], r["place_code"], r["place_name"]
        if pc not in info:
            raise InputError(
                f"unknown practice {pc!r}: not a GP practice of geography {geography}",
                file=str(path),
                row=n,
                field="practice_code",
            )
        if pc in where:
            raise InputError(
                f"practice {pc} is in two places: {where[pc][1]} (row {where[pc][0]}) and {code}",
                file=str(path),
                row=n,
                field="practice_code",
            )
        if names.setdefault(code, (n, name))[1] != name:
            raise InputError(
                f"place {code} has two names: {names[code][1]!r} (row {names[code][0]}) "
                f"and {name!r}",
                file=str(path),
                row=n,
                field="place_name",
            )
        icb = info[pc][1]
        first = place_icb.setdefault(code, (n, icb))
        if first[1] != icb:
            raise InputError(
                f"place {code} spans two ICBs: {first[1]} (row {first[0]}) and {icb} "
                f"(practice {pc}); a place must lie within one ICB",
                file=str(path),
                row=n,
                field="place_code",
            )
        where[pc] = (n, code)
    mapped = pl.DataFrame(
        {"practice_code": list(where), "place_code": [c for _, c in where.values()]},
        schema={"practice_code": pl.String, "place_code": pl.String},
    ).join(practices, on="practice_code", how="left")
    covered = sorted({icb for _, icb in place_icb.values()})
    crossing = sorted(
        set(
            mapped.group_by("place_code")
            .agg(pl.col("icb_code").first(), pl.col("subicb_code").n_unique().alias("_n"))
            .filter(pl.col("_n") > 1)["icb_code"]
            .to_list()
        )
    )
    left = practices.filter(
        pl.col("icb_code").is_in(covered) & ~pl.col("practice_code").is_in(list(where))
    )
    if left.height and unallocated == "stop":
        codes = left["practice_code"].sort().to_list()
        raise InputError(
            f"{len(codes)} practice(s) of the ICB(s) this file covers are in no place, e.g. "
            f"{', '.join(codes[:10])}; add them to a place, or run with --unallocated place "
            f"to put them in an 'unallocated' place",
            file=str(path),
            field="practice_code",
        )
    parent_level = pl.when(pl.col("icb_code").is_in(crossing))
    mapped = pl.concat(
        [
            mapped,
            left.with_columns(
                (
                    pl.lit(UNALLOCATED_PREFIX)
                    + pl.when(pl.col("icb_code").is_in(crossing))
                    .then("icb_code")
                    .otherwise("subicb_code")
                ).alias("place_code")
            ).select(mapped.columns),
        ]
    )
    names = {c: nm for c, (_, nm) in names.items()}
    places = (
        mapped.with_columns(
            parent_level.then(pl.lit("icb")).otherwise(pl.lit("subicb")).alias("parent_level"),
            parent_level.then("icb_code").otherwise("subicb_code").alias("parent_code"),
        )
        .group_by("place_code")
        .agg(
            pl.col("parent_level").first(),
            pl.col("parent_code").first(),
            pl.col("icb_code").first(),
            pl.col("region_code").first(),
        )
        .with_columns(
            pl.col("place_code")
            .replace_strict(names, default=None)
            .fill_null(pl.lit("Practices in no place (") + pl.col("parent_code") + pl.lit(")"))
            .alias("place_name"),
            pl.lit(None, pl.String).alias("ons_code"),
        )
        .select(*PLACE_COLUMNS, "icb_code", "region_code")
        .sort("place_code")
    )
    notes = [
        f"places: {len(names)} places from {path.name} ({len(where):,} practices) covering "
        f"ICB(s) {', '.join(covered)}; places sit under their sub-ICB"
        + (
            f", except in ICB(s) {', '.join(sorted(crossing))}, whose places cross sub-ICB "
            "boundaries and so sit under the ICB"
            if crossing
            else ""
        )
    ]
    if left.height:
        notes.append(
            f"places: {left.height} practice(s) of the covered ICB(s) are in no place and go "
            f"to an 'unallocated' place under their parent, e.g. "
            f"{', '.join(left['practice_code'].sort().to_list()[:10])}"
        )
    return Places(
        "user",
        str(path),
        geography,
        mapped.select("practice_code", "place_code"),
        places,
        notes,
        left["practice_code"].sort().to_list(),
    )


# -------------------------------------------------------------------------- weights


def _ages(ages: str, top: int, where: str) -> tuple[int, int]:
    try:
        [(_, lo, hi)] = parse_bands(ages, top=top)
    except (InputError, ValueError) as exc:
        raise InputError(f"bad ages {ages!r}: {exc}", file=where, field="ages") from None
    return lo, top if hi is None else min(hi, top)


def practice_weights(
    name: str,
    spec: Mapping,
    *,
    geography: str,
    population_year: int,
    users: list[str],
    where: str,
    bases: Mapping[str, Mapping] | None = None,
) -> tuple[dict[str, float], str]:
    """(practice -> weight, how) under basis `name`: the practice-level equivalent of the
    basis (see the module docstring), or InputError naming the ambitions and basis. A
    blend mixes its parts' practice-level equivalents in its stated amounts."""
    practices = store.practices(geography)
    source = spec.get("source")
    if source == "blend":
        parts, hows = [], []
        for part, pspec, amount in blend_parts(name, spec, bases or {}, where):
            w, how = practice_weights(
                part,
                pspec,
                geography=geography,
                population_year=population_year,
                users=users,
                where=where,
            )
            parts.append((w, amount))
            hows.append(f"{amount:,.0f} by {how}")
        return mix(parts), "a blend: " + "; ".join(hows)
    if source == "need_weighted":
        year, column = str(spec["allocation_year"]), str(spec["column"])
        df = store.practice_need(year).select("practice_code", pl.col(column).alias("w"))
        how = f"practices' own {column} ({year} allocations)"
    elif source == "smi_register":
        year = str(spec["qof_year"])
        df = store.practice_smi(year).select("practice_code", pl.col("register").alias("w"))
        how = f"practices' own QOF SMI register ({year})"
    elif source in ("ons_population", "gp_registered"):
        df, how = _registered_by_age(spec, source, geography, where)
    else:
        raise InputError(
            f"basis {name!r} (used by {', '.join(users)}) is a {source!r} basis given by "
            f"sub-ICB only; it has no practice-level equivalent, so it cannot be split to "
            f"places. Give those ambitions another basis, or run without --places",
            file=where,
            field="basis",
        )
    joined = practices.select("practice_code").join(df, on="practice_code", how="left")
    missing = joined["w"].null_count()
    if missing:
        how += f"; {missing} practice(s) of the map have no figure there and weigh 0"
    w = dict(zip(joined["practice_code"], joined["w"].fill_null(0.0).cast(pl.Float64), strict=True))
    return w, how


def _registered_by_age(
    spec: Mapping, source: str, geography: str, where: str
) -> tuple[pl.DataFrame, str]:
    lo, hi = _ages(str(spec["ages"]), 95, where)
    sex = str(spec.get("sex", "all")) if source == "gp_registered" else "all"
    pcn = store.pcn_registered()
    if sex != "all":
        pcn = pcn.filter(pl.col("sex") == sex)
    band = (
        pcn.select(
            "pcn_code", pl.sum_horizontal([f"age_{a}" for a in range(lo, hi + 1)]).alias("n")
        )
        .group_by("pcn_code")
        .agg(pl.col("n").sum())
    )
    lists = store.practices("2026").select("pcn_2026", "patients_2026")
    totals = lists.group_by("pcn_2026").agg(pl.col("patients_2026").sum().alias("pcn_patients"))
    df = (
        store.practices(geography)
        .select("practice_code", "pcn_2026", "patients_2026")
        .join(totals, on="pcn_2026", how="left")
        .join(band, left_on="pcn_2026", right_on="pcn_code", how="left")
        .select(
            "practice_code",
            pl.when(pl.col("pcn_patients") > 0)
            .then(pl.col("n") * pl.col("patients_2026") / pl.col("pcn_patients"))
            .otherwise(None)
            .alias("w"),
        )
    )
    ages = f"{lo}+" if hi >= 95 else str(lo) if lo == hi else f"{lo}-{hi}"
    who = {"all": "patients", "female": "women", "male": "men"}[sex]
    how = (
        f"GP-registered {who} aged {ages} (Aug 2026, by PCN, shared to practices by "
        f"registered patients): the practice-registered equivalent"
        + (
            " of the ONS resident population, which exists only by area"
            if source == "ons_population"
            else ""
        )
    )
    return df, how


# -------------------------------------------------------------------------- the split


@dataclass
class PlaceBasis:
    """One basis's place weights on `Places.tree`, and each place's share of England."""

    basis: apportion.Basis
    share: np.ndarray
    how: str


def place_basis(
    places: Places,
    weights: dict[str, float],
    upper: apportion.Basis,
    how: str,
    targets: set[str] | None = None,
) -> PlaceBasis:
    """Sum practice weights to places (zero outside `targets`, ICB codes), and each place's
    exact share of England: its parent's share times its share of the parent."""
    df = places.practices.with_columns(
        pl.col("practice_code")
        .replace_strict(weights, default=0.0, return_dtype=pl.Float64)
        .alias("w")
    )
    by_place = dict(df.group_by("place_code").agg(pl.col("w").sum()).iter_rows())
    if targets is not None:
        icb = dict(places.places.select("place_code", "icb_code").iter_rows())
        by_place = {p: (w if icb[p] in targets else 0.0) for p, w in by_place.items()}
    tree = places.tree
    basis = tree.weigh({p: float(by_place.get(p, 0.0)) for p in tree.leaves})
    index = _upper_index(places, upper.tree)
    national = upper.national
    shares = []
    for j, p in enumerate(tree.parent[2].tolist()):
        k, i = index[p]
        pw = int(basis.weight[1][p])
        share = (
            Fraction(int(upper.weight[k][i]), national) * Fraction(int(basis.weight[2][j]), pw)
            if national and pw
            else 0
        )
        shares.append(float(share))
    return PlaceBasis(basis, np.array(shares, dtype=np.float64), how)


def _upper_index(places: Places, upper: apportion.Tree) -> list[tuple[int, int]]:
    """For each parent of the place tree: (level, index) in the standard tree."""
    levels = {lv: k for k, lv in enumerate(upper.levels)}
    pos = {(lv, c): i for lv, k in levels.items() for i, c in enumerate(upper.codes[k])}
    out = []
    for key in places.tree.codes[1]:
        lv, code = key.split(":", 1)
        out.append((levels[lv], pos[(lv, code)]))
    return out


def split_places(
    places: Places, pb: PlaceBasis, upper_units: list[np.ndarray], upper: apportion.Basis
) -> np.ndarray:
    """Units of every place (len(years), places) from the standard levels' units."""
    index = _upper_index(places, upper.tree)
    parent_units = np.stack([upper_units[k][:, i] for k, i in index], axis=1)
    return pb.basis.split_below(1, parent_units)[-1]
