"""The spine: every ambition apportioned into one tidy table that every output reads.

One row per organisation x ambition x year. Counts, money and staff are split top-down
England -> region -> ICB -> sub-ICB (mhtool.apportion), so every level sums exactly to its
parent; rates are carried unchanged by every organisation; targeted asks are split only
among the systems the catalogue names, or reported for England alone.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from mhtool import apportion, bases, csvsafe, fields, vocab
from mhtool import places as pl_places
from mhtool.catalogue.load import Ambition, Catalogue
from mhtool.catalogue.rules import national_in
from mhtool.errors import InputError
from mhtool.infra.folder import RunFolder
from mhtool.refdata import store

LEVEL_ORDER = vocab.LEVEL_ORDER

#: The spine's columns and types, in order: the contract every output relies on
#: (described column by column in mhtool.fields).
SCHEMA: dict[str, pl.DataType] = fields.schema()
#: A run holds the spine with its text columns categorical (`compact_text`): with places
#: it has a million rows whose few hundred distinct texts would otherwise be stored per
#: row. Files and every view get the contract's String columns (`plain_text`).
CAT = pl.Categorical


def _schema(df: pl.DataFrame | pl.LazyFrame) -> pl.Schema:
    return df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema


def compact_text(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """`df` with its String columns categorical: the same values in a fraction of the memory."""
    return df.with_columns(pl.col(c).cast(CAT) for c, t in _schema(df).items() if t == pl.String)


def plain_text(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """`df` with its categorical columns back to String (the spine's file contract)."""
    return df.with_columns(pl.col(c).cast(pl.String) for c, t in _schema(df).items() if t == CAT)


def organisations(geography: str) -> pl.DataFrame:
    """Every organisation of a geography vintage, England first, with its parent codes."""
    g = store.geography(geography)
    sub = g.select(
        pl.lit("subicb").alias("level"),
        pl.col("subicb_code").alias("org_code"),
        pl.col("subicb_ons").alias("ons_code"),
        pl.col("subicb_name").alias("org_name"),
        pl.col("icb_code").alias("parent_code"),
        "region_code",
        "icb_code",
    )
    icb = g.unique("icb_code").select(
        pl.lit("icb").alias("level"),
        pl.col("icb_code").alias("org_code"),
        pl.col("icb_ons").alias("ons_code"),
        pl.col("icb_name").alias("org_name"),
        pl.col("region_code").alias("parent_code"),
        "region_code",
        "icb_code",
    )
    reg = g.unique("region_code").select(
        pl.lit("region").alias("level"),
        pl.col("region_code").alias("org_code"),
        pl.col("region_ons").alias("ons_code"),
        pl.col("region_name").alias("org_name"),
        pl.lit(vocab.ENGLAND_CODE).alias("parent_code"),
        "region_code",
        pl.lit(None, pl.String).alias("icb_code"),
    )
    eng = pl.DataFrame(
        [
            {
                "level": "england",
                **vocab.ENGLAND,
                "parent_code": None,
                "region_code": None,
                "icb_code": None,
            }
        ],
        schema=reg.schema,
    )
    return in_spine_order(pl.concat([eng, reg, icb, sub]))


def in_spine_order(orgs: pl.DataFrame) -> pl.DataFrame:
    """Organisations in the spine's order: level, then region, ICB and code (empty first)."""
    return (
        orgs.with_columns(pl.col("level").replace_strict(LEVEL_ORDER).alias("_o"))
        .sort("_o", "region_code", "icb_code", "org_code", nulls_last=False)
        .drop("_o")
    )


class _WeightCache:
    """Each basis is computed once per run, however many ambitions use it."""

    def __init__(self, catalogue: Catalogue, geography: str, population_year: int):
        self.catalogue, self.geography, self.population_year = catalogue, geography, population_year
        self._cache: dict[str, dict[str, float]] = {}

    def users(self, name: str) -> list[str]:
        return [a.id for a in self.catalogue.ambitions if a.basis == name]

    def __call__(self, name: str) -> dict[str, float]:
        if name not in self._cache:
            spec = self.catalogue.bases.get(name)
            users = self.users(name)
            if spec is None:
                raise InputError(
                    f"unknown basis {name!r}",
                    file=str(self.catalogue.path),
                    row=", ".join(users),
                    field="basis",
                )
            try:
                self._cache[name] = bases.weights(
                    name,
                    spec,
                    geography=self.geography,
                    population_year=self.population_year,
                    where=str(self.catalogue.path),
                    bases=self.catalogue.bases,
                )
            except InputError as exc:
                if exc.file and exc.file != str(self.catalogue.path):
                    raise  # a user's weights file: its own file and row say it best
                raise InputError(
                    f"basis {name!r} (used by {', '.join(users)}) cannot be computed for "
                    f"geography {self.geography}, population year {self.population_year}: "
                    f"{exc.message}. Choose another geography or year, or give those "
                    f"ambitions another basis ([basis_overrides] in your catalogue, as in "
                    f"catalogues/mhip_2019_24_geo2026.toml)",
                    file=str(self.catalogue.path),
                    field="basis",
                ) from None
        return self._cache[name]


#: Columns of the facts table built before the ambitions' descriptions are joined on.
FACTS: dict[str, pl.DataType] = {
    "year": CAT,
    "national_value": pl.Float64,
    "provenance": CAT,
    "level": CAT,
    "org_code": CAT,
    "value": pl.Float64,
    "share": pl.Float64,
    "value_high": pl.Float64,  # a range's upper end; only where nothing is split
    "_national_year": pl.Boolean,  # a year reported for England only on a split line
    "ambition_id": CAT,
}


class _Bases:
    """The hierarchy of a geography as an apportionment tree, and each basis's exact weights
    on it (once per basis and set of targeted systems), shared by every ambition and year."""

    def __init__(self, tree: pl.DataFrame, weight_of: _WeightCache, places=None):
        self.places = places
        self._place_cache: dict = {}
        self._practice: dict = {}
        self.icb_of = dict(zip(tree["subicb_code"], tree["icb_code"], strict=True))
        self.tree = apportion.Tree.from_paths(
            apportion.LEVELS,
            tree.select("subicb_code", "icb_code", "region_code").iter_rows(),
            root=vocab.ENGLAND_CODE,
        )
        self.weight_of = weight_of
        self._cache: dict[tuple[str, tuple[str, ...]], apportion.Basis] = {}

    def __call__(self, name: str, targets: tuple[str, ...]) -> apportion.Basis:
        key = (name, tuple(sorted(targets)))
        if key not in self._cache:
            w = self.weight_of(name)
            if targets:
                w = {c: (v if self.icb_of[c] in targets else 0.0) for c, v in w.items()}
            self._cache[key] = self.tree.weigh(w)
        return self._cache[key]

    def place(self, name: str, targets: tuple[str, ...]):
        """The basis's practice-level equivalent on the run's places (mhtool.places)."""
        key = (name, tuple(sorted(targets)))
        if key not in self._place_cache:
            wc = self.weight_of
            if name not in self._practice:
                self._practice[name] = pl_places.practice_weights(
                    name,
                    wc.catalogue.bases[name],
                    geography=wc.geography,
                    population_year=wc.population_year,
                    users=wc.users(name),
                    where=str(wc.catalogue.path),
                    bases=wc.catalogue.bases,
                )
            w, how = self._practice[name]
            self._place_cache[key] = pl_places.place_basis(
                self.places, w, self(name, targets), how, set(targets) if targets else None
            )
        return self._place_cache[key]


def _units_to_values(units: np.ndarray, step: Fraction) -> np.ndarray:
    """Whole units back to values (int x step, correctly rounded like from_units)."""
    scaled = (units * step.numerator).astype(np.float64)
    return scaled if step.denominator == 1 else scaled / step.denominator


def _level_frame(amb, years, level, codes, units, shares, step) -> pl.DataFrame:
    """One level's rows of every year (years outer, organisations inner), built from
    arrays: no Python object per row."""
    n, m = len(codes), len(years)
    by_year = np.repeat(np.arange(m), n)
    return pl.DataFrame(
        {
            "year": pl.Series([yv.year for yv in years], dtype=CAT).gather(by_year),
            "national_value": np.repeat([float(yv.value) for yv in years], n),
            "provenance": pl.Series([yv.provenance for yv in years], dtype=CAT).gather(by_year),
            "level": pl.Series([level], dtype=CAT).gather(np.zeros(n * m, dtype=np.int64)),
            "org_code": pl.Series(list(codes), dtype=CAT).gather(np.tile(np.arange(n), m)),
            "value": _units_to_values(units, step).ravel(),
            "share": np.tile(shares, m),
            "value_high": pl.Series(values=[None], dtype=pl.Float64).gather(
                np.zeros(n * m, dtype=np.int64)
            ),
            "_national_year": np.zeros(n * m, dtype=bool),
            "ambition_id": pl.Series([amb.id], dtype=CAT).gather(np.zeros(n * m, dtype=np.int64)),
        },
        schema=FACTS,
    )


def _split_frame(amb: Ambition, years: list, basis: apportion.Basis, place=None) -> pl.DataFrame:
    """Every year of one counted ambition split down the tree at once, as facts rows
    (and, with `place` = (Places, PlaceBasis), on to the places from their parents)."""
    step = apportion.STEPS[amb.measure]
    units = []
    for yv in years:
        try:
            units.append(apportion.to_units(yv.value, step))
        except ValueError as exc:
            raise InputError(
                f"cannot apportion {yv.value} in {yv.year}: {exc}", row=amb.id, field="values"
            ) from None
    try:
        split = basis.split(units)
    except ValueError:  # name the first year that cannot be split, as one split at a time would
        for yv, u in zip(years, units, strict=True):
            try:
                basis.split([u])
            except ValueError as exc:
                raise InputError(
                    f"cannot apportion {yv.value} in {yv.year}: {exc}",
                    row=amb.id,
                    field="values",
                ) from None
        raise
    tree = basis.tree
    frames = [
        _level_frame(amb, years, level, tree.codes[k], split[k], basis.share[k], step)
        for k, level in enumerate(tree.levels)
    ]
    if place is not None:
        places, pb = place
        try:
            units = pl_places.split_places(places, pb, split, basis)
        except ValueError as exc:
            raise InputError(
                f"cannot split {amb.basis!r} to places: {exc} (place weights: {pb.how})",
                row=amb.id,
                field="basis",
            ) from None
        frames.append(
            _level_frame(amb, years, vocab.PLACE, pb.basis.tree.leaves, units, pb.share, step)
        )
    return pl.concat(frames)


def _ambition_facts(
    amb: Ambition, orgs: pl.DataFrame, tree: pl.DataFrame, basis_of: _Bases
) -> list[pl.DataFrame]:
    targets = set(amb.targets)
    unknown = targets - set(tree["icb_code"])
    if unknown:
        raise InputError(
            f"targets name ICBs not in this geography: {sorted(unknown)}",
            row=amb.id,
            field="targets",
        )
    national_only = is_national_only(amb)
    carried = amb.kind in vocab.CARRIED_KINDS
    in_scope = (
        orgs
        if not targets
        else orgs.filter((pl.col("level") == "england") | pl.col("icb_code").is_in(sorted(targets)))
    )
    # A standard with no number at all (a direction: "reduce length of stay") is still an
    # ask of every organisation: its rows carry no value, so a reader sees it is asked.
    direction_only = carried and not amb.has_national_figure
    years = [yv for yv in amb.values if yv.value is not None or direction_only]
    frames = []
    if not national_only and not carried:
        split = [yv for yv in years if not national_in(amb, yv.year)]
        years = [yv for yv in years if national_in(amb, yv.year)]  # pilot years: England only
        if split:
            place = None
            if basis_of.places is not None:
                place = (basis_of.places, basis_of.place(amb.basis, amb.targets))
            frames.append(_split_frame(amb, split, basis_of(amb.basis, amb.targets), place))
    for yv in years:  # carried or reported for England only: the figure as it is
        england = national_in(amb, yv.year)
        at = (
            pl.DataFrame({"level": ["england"], "org_code": [vocab.ENGLAND_CODE]})
            if england
            else in_scope.select("level", "org_code")
        )
        frames.append(
            at.select(
                pl.lit(yv.year).alias("year"),
                pl.lit(yv.value, pl.Float64).alias("national_value"),
                pl.lit(yv.provenance).alias("provenance"),
                "level",
                "org_code",
                pl.lit(yv.value, pl.Float64).alias("value"),
                pl.lit(None if carried or not england else 1.0, pl.Float64).alias("share"),
                pl.lit(yv.high, pl.Float64).alias("value_high"),
                pl.lit(not national_only and england).alias("_national_year"),
                pl.lit(amb.id).alias("ambition_id"),
            ).cast(FACTS)
        )
    return frames


def is_national_only(amb: Ambition) -> bool:
    """Reported for England alone in every year: national-only lines, targeted asks and
    sites that name no systems, and counts with no basis are never fair-shared (the rule
    is mhtool.catalogue.rules.national_in, which also knows the years of a line reported
    for England only)."""
    return national_in(amb, None)


def split_method(amb: Ambition, parts: dict[str, list[Ambition]]) -> str:
    """How the ambition's figures below England come from England's (vocab.SPLIT_METHODS)."""
    if is_national_only(amb):
        return vocab.NATIONAL_ONLY
    if amb.kind in vocab.CARRIED_KINDS:
        return vocab.STANDARD
    if amb.id in parts:
        return vocab.SUM_OF_PARTS
    return vocab.TARGETED if amb.targets else vocab.BY_BASIS


SUM_OF = "sum of "  # a total made of its part lines: "sum of FUN-02 + FUN-07"
_TARGETED = " (targeted: "  # a split among named systems: "mh_need (targeted: QHM, QOX)"


def basis_label(
    basis_name: str | None,
    *,
    targets: tuple[str, ...] | list[str] = (),
    parts: tuple[str, ...] | list[str] = (),
) -> str:
    """The one place a basis label is made, for readers: what a row's share is a share of.

    A total made of its parts is labelled "sum of <parts>"; a targeted split is a share of
    the named systems, not of England, so it is labelled apart ("mh_need (targeted: QHM)")
    and never mixed with the plain basis. Code reads basis_name and split_method instead.
    """
    if parts:
        return SUM_OF + " + ".join(parts)
    if targets:
        return f"{basis_name}{_TARGETED}{', '.join(sorted(targets))})"
    return basis_name or ""


PLACES_BY = "; places by "  # a place row's label: "<its basis label>; places by <how>"


def place_label_parts() -> tuple[pl.Expr, pl.Expr]:
    """A place row's label read back as (the basis label of its parent's split, how its
    places were weighted); the second is null for a row not split to places by a basis."""
    parts = pl.col("basis").str.split(PLACES_BY)
    return parts.list.first(), parts.list.get(1, null_on_oob=True)


def label_detail(label: str | None, split_method: str) -> str:
    """What a label names beyond its basis, for the words a reader sees: a total's part
    lines ('FUN-02 + FUN-07') or the systems a targeted ask is shared among ('QHM, QOX');
    "" for any other split. Only the label carries these, so they are read back here,
    beside the one function that writes them; what the split is comes from split_method."""
    label = label or ""
    if split_method == vocab.SUM_OF_PARTS:
        return label.removeprefix(SUM_OF)
    if split_method == vocab.TARGETED and _TARGETED in label:
        return label.split(_TARGETED, 1)[1].split(")", 1)[0]
    return ""


def parts_of(catalogue: Catalogue) -> dict[str, list[Ambition]]:
    """Each total's itemised parts and remainder line, in catalogue order."""
    out: dict[str, list[Ambition]] = {}
    for amb in catalogue.ambitions:
        if amb.part_of or amb.remainder_of:
            out.setdefault(amb.part_of or amb.remainder_of, []).append(amb)
    return out


def compose_totals(facts: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """Below England, a total with itemised parts becomes the sum of its parts and remainder.

    Each line is rounded on its own, so a separately split total would differ from the sum
    of its split parts by a unit or two; summing the parts makes "parts + other = total"
    hold for every organisation, and the total still reconciles because each part does.
    Only the rows of totals and their parts are taken apart, so the table (a million rows
    with places) is copied once, not once per total.
    """
    totals = parts_of(catalogue)
    if not totals:
        return facts
    involved = list(dict.fromkeys([*totals, *(a.id for p in totals.values() for a in p)]))
    rows = {i: facts.filter(pl.col("ambition_id") == i) for i in involved}
    for total_id, parts in totals.items():
        total_amb = catalogue.get(total_id)
        local = [
            f"{a.id} ({y})"
            for a in parts
            for y in catalogue.years
            if national_in(a, y) and not national_in(total_amb, y)
        ]
        if local:  # the catalogue rules refuse this; the engine never composes it either
            raise InputError(
                f"{local} are reported for England only, so they cannot be parts "
                f"of {total_id}, which is split locally",
                file=str(catalogue.path),
                row=total_id,
                field="part_of",
            )
        ids = [a.id for a in parts]
        summed = (
            pl.concat([rows[i] for i in ids])
            .filter(pl.col("level") != "england")
            .group_by("level", "org_code", "year")
            .agg(pl.col("value").sum().alias("_sum"), pl.len().alias("_n"))
        )
        total = rows[total_id]
        # only years in which every part has a figure; otherwise the total keeps its own split
        below = (
            total.filter(pl.col("level") != "england")
            .join(summed, on=["level", "org_code", "year"], how="left")
            .with_columns(
                pl.when(pl.col("_n") == len(ids))
                .then(pl.col("_sum").round(1))
                .otherwise("value")
                .alias("value")
            )
            .with_columns(
                pl.when(pl.col("national_value") != 0)
                .then(pl.col("value") / pl.col("national_value"))
                .otherwise("share")
                .alias("share")
            )
        )
        rows[total_id] = pl.concat(
            [total.filter(pl.col("level") == "england"), below.select(facts.columns)]
        )
    return pl.concat(
        [facts.filter(~pl.col("ambition_id").is_in(list(totals))), *(rows[t] for t in totals)]
    )


def named_sites(catalogue: Catalogue, geography: str) -> dict[str, dict]:
    """Each targeted ask's named sites (`[ambition.selected]`) placed on the run's
    geography, as the outputs word them (WorkbookMeta.selected): per site its name, when
    named, the ICB and region holding its sub-ICB location here, and the 2022 ICB the
    catalogue gives. A record for readers: no fair share reads it. A sub-ICB location not in
    the geography, or a 2022 ICB that does not hold it, is refused naming the site."""
    found = [a for a in catalogue.ambitions if a.selected is not None]
    if not found:
        return {}
    cols = ("subicb_code", "icb_code", "icb_name", "region_code", "region_name")
    here = {r[0]: r[1:] for r in store.geography(geography).select(cols).iter_rows()}
    was = dict(store.geography("2022").select("subicb_code", "icb_code").iter_rows())
    out: dict[str, dict] = {}
    for amb in found:
        sites = []
        for i, site in enumerate(amb.selected.sites):
            code = dict(site.subicb_in).get(geography, site.subicb)
            problem = _site_problem(site, code, here, was.get(site.subicb), geography)
            if problem:
                raise InputError(
                    problem[0],
                    file=str(catalogue.path),
                    row=f"ambition {amb.id}",
                    field=f"selected.sites[{i}].{problem[1]}",
                )
            icb, icb_name, region, region_name = here[code]
            sites.append(
                {"name": site.name, "named": site.named, "icb": icb, "icb_name": icb_name}
                | {"region": region, "region_name": region_name, "icb_2022": site.icb}
            )
        sel = amb.selected
        out[amb.id] = {"source": sel.source, "complete": sel.complete, "list": sel.list}
        out[amb.id] |= {"count": sel.named, "everywhere": sel.everywhere}
        out[amb.id]["sites"] = sites
    return out


def _site_problem(site, code: str, here: dict, icb_2022: str | None, geography: str):
    """(message, field) where a named site is not where the catalogue says, else None."""
    if code not in here:
        where = "subicb_in" if code != site.subicb else "subicb"
        return (
            f"sub-ICB location {code!r} is not in geography {geography}; where it was split "
            f'or merged, say which holds the site: subicb_in = {{ "{geography}" = "<code>" }}',
            where,
        )
    if icb_2022 != site.icb:
        return (f"ICB {site.icb!r} is not the 2022 ICB of {site.subicb} ({icb_2022})", "icb")
    return None


def build_spine(
    catalogue: Catalogue,
    *,
    geography: str = "2022",
    population_year: int = 2020,
    progress: Callable[[Ambition], None] | None = None,
    places=None,
    compact: bool = False,
) -> pl.DataFrame:
    """Apportion every ambition of the catalogue to every organisation of ``geography``
    (and to `places`, a mhtool.places.Places, when given: the level below, from each
    place's parent, which is therefore unchanged). With `compact` the text columns stay
    categorical (`compact_text`), as a run holds the spine; the values are the same."""
    orgs = organisations(geography)
    if places is not None:
        orgs = in_spine_order(pl.concat([orgs, places.org_rows().select(orgs.columns)]))
    orgs = compact_text(orgs)
    named_sites(catalogue, geography)  # a named site's codes are checked before any work
    tree = store.geography(geography).select("subicb_code", "icb_code", "region_code")
    basis_of = _Bases(tree, _WeightCache(catalogue, geography, population_year), places)
    frames: list[pl.DataFrame] = []
    for amb in catalogue.ambitions:
        frames += _ambition_facts(amb, orgs, tree, basis_of)
        if progress:
            progress(amb)
    if not frames:
        raise InputError(
            "the catalogue has no national figure to apportion", file=str(catalogue.path)
        )
    facts = pl.concat(frames, rechunk=True)  # one chunk: filters on many are costly
    del frames
    facts = compose_totals(facts, catalogue)
    parts = parts_of(catalogue)
    meta = pl.DataFrame(
        [
            {
                "ambition_id": a.id,
                "programme": a.programme,
                "planning_ref": a.planning_ref or "",
                "title": a.title,
                "category": a.category,
                "kind": a.kind,
                "measure": a.measure,
                "unit": a.unit,
                "unit_kind": a.unit_kind,  # declared by the catalogue, never guessed
                "basis": basis_label(
                    a.basis,
                    targets=a.targets,
                    # an England-only total is not summed from its parts below England
                    parts=[] if is_national_only(a) else [p.id for p in parts.get(a.id, [])],
                ),
                "basis_name": a.basis or "",
                "split_method": split_method(a, parts),
                "_order": i,
            }
            for i, a in enumerate(catalogue.ambitions)
        ]
    )
    facts = _in_spine_order(facts, meta, orgs)  # the unsorted facts freed here
    spine = _assemble(facts, meta, orgs, basis_of if places is not None else None)
    return spine if compact else plain_text(spine)


def _in_spine_order(facts: pl.DataFrame, meta: pl.DataFrame, orgs: pl.DataFrame) -> pl.DataFrame:
    """The facts sorted as the spine is: ambition (catalogue order), year, organisation.
    Organisations are already in spine order (level, region, ICB, code), so each one's
    position is its sort key; only the narrow keys are sorted, and the rows moved once."""
    rank = orgs.select(
        "level",
        "org_code",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_rank"),
    )
    keys = (
        facts.select(
            pl.col("ambition_id")
            .replace_strict(dict(zip(meta["ambition_id"], meta["_order"], strict=True)))
            .alias("_order"),
            "year",
            "level",
            "org_code",
        )
        .with_row_index("_i")
        .join(rank, on=["level", "org_code"], how="left")
        .sort("_order", "year", "_rank")
    )
    return facts.select(pl.all().gather(keys["_i"]))


def _assemble(
    order: pl.DataFrame, meta: pl.DataFrame, orgs: pl.DataFrame, basis_of: _Bases | None
) -> pl.DataFrame:
    """Join the facts, already in spine order (`_in_spine_order`), with the ambitions'
    descriptions and the organisations, in that order. With places, place rows split by a
    basis carry that basis's label plus how their places were weighted."""
    spine = (
        order.lazy()
        .join(compact_text(meta).lazy(), on="ambition_id", how="left", maintain_order="left")
        .join(orgs.lazy(), on=["level", "org_code"], how="left", maintain_order="left")
    )
    if basis_of is not None:
        labels = (
            _place_basis_labels(basis_of)
            .join(meta.select("ambition_id", "basis", "split_method"), on="ambition_id")
            .filter(pl.col("split_method").is_in([vocab.BY_BASIS, vocab.TARGETED]))
            .select(
                pl.col("ambition_id").cast(CAT),
                (pl.col("basis") + PLACES_BY + pl.col("_place_how")).cast(CAT).alias("_pb"),
            )
        )
        spine = spine.join(
            labels.lazy(), on="ambition_id", how="left", maintain_order="left"
        ).with_columns(
            pl.when(pl.col("level") == vocab.PLACE, pl.col("_pb").is_not_null())
            .then(pl.col("_pb"))
            .otherwise("basis")
            .alias("basis")
        )
    spine = spine.with_columns(  # a year reported for England only (a pilot) is split by
        # nothing; its basis stays the line's, so each ambition keeps one label in every view
        pl.when("_national_year")
        .then(pl.lit(vocab.NATIONAL_ONLY))
        .otherwise("split_method")
        .alias("split_method"),
    )
    # streamed: the joins run a batch of rows at a time (each join keeps the facts' order),
    # so no whole intermediate table is held beside the result
    return spine.select(
        pl.col(c).cast(CAT if t == pl.String else t) for c, t in SCHEMA.items()
    ).collect(engine="streaming")


def _place_basis_labels(basis_of: _Bases) -> pl.DataFrame:
    """ambition_id -> how its places were weighted (the practice-level equivalent used)."""
    rows = []
    for amb in basis_of.weight_of.catalogue.ambitions:
        key = (amb.basis, tuple(sorted(amb.targets)))
        if key in basis_of._place_cache:
            rows.append({"ambition_id": amb.id, "_place_how": basis_of._place_cache[key].how})
    return pl.DataFrame(rows, schema={"ambition_id": pl.String, "_place_how": pl.String})


#: Most rows in one Parquet row group. The spine is written a group at a time, its text
#: made plain (and CSV-safe) one group at a time on the way; groups are equal in size, the
#: fewest that hold the rows, so the bytes depend on the rows alone, not on how the table
#: happens to sit in memory (a spine of up to this many rows is one group).
PARQUET_ROWS = 100_000


def _groups(height: int) -> list[tuple[int, int]]:
    """(offset, length) of each row group of a spine of `height` rows."""
    n = max(1, -(-height // PARQUET_ROWS))
    size = max(1, -(-height // n))
    return [(i, size) for i in range(0, max(height, 1), size)]


def write_spine(spine: pl.DataFrame, out_dir: Path) -> list[Path]:
    """The spine as CSV (for people and spreadsheets) and Parquet (for code), same rows.

    A compact spine (`compact_text`) is made plain text a row group at a time, so a spine
    with places is never held with a string per row; the bytes are those of the plain
    spine written whole."""
    run = RunFolder(out_dir)
    csv_path, parquet_path = run.spine_csv, run.spine_parquet
    groups = _groups(spine.height)
    with open(csv_path, "wb") as f:  # no cell a formula
        for start, size in groups:
            part = csvsafe.frame(plain_text(spine.slice(start, size)))
            part.write_csv(f, float_precision=None, include_header=start == 0)
    parts = [plain_text(spine.slice(start, size).lazy()) for start, size in groups]
    pl.concat(parts).sink_parquet(
        parquet_path, statistics=False, row_group_size=groups[0][1], engine="streaming"
    )
    return [csv_path, parquet_path]


#: Columns a spine written before they existed lacks; read_spine fills them in.
ADDED_COLUMNS = ("unit_kind", "basis_name", "split_method", "value_high")


def read_spine(path: Path, *, compact: bool = False, where: pl.Expr | None = None) -> pl.DataFrame:
    """Read a spine back (Parquet or CSV), checking it has the contract's columns; a
    damaged or cut-off file is an InputError naming it, not a reader's traceback. `where`
    keeps only the Parquet rows it selects; `compact` makes the text categorical as the
    file is streamed in (`compact_text`: a practice spine is never held as text whole)."""
    try:
        if path.suffix == ".parquet":
            lf = pl.scan_parquet(path) if where is None else pl.scan_parquet(path).filter(where)
            df = compact_text(lf).collect(engine="streaming") if compact else lf.collect()
        else:
            df = pl.read_csv(path, schema_overrides=SCHEMA)
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot be read ({first}): damaged, cut off or not a spine mhtool wrote",
            file=str(path),
        ) from None
    missing = [c for c in SCHEMA if c not in df.columns]
    if missing and set(missing) <= set(ADDED_COLUMNS):
        df, missing = _from_older_spine(plain_text(df)), []
    if missing:
        raise InputError(f"not an mhtool spine: missing columns {missing}", file=str(path))
    return compact_text(df.select(list(SCHEMA))) if compact else df.select(list(SCHEMA))


def _from_older_spine(df: pl.DataFrame) -> pl.DataFrame:
    """Fill the structured columns of a spine written before they existed, so a run can
    still be compared with its predecessor. The one place an old basis label is read.

    The oldest spines labelled a targeted ask's split by its plain basis; it is told
    apart by the ICBs given a share (some, not all) and labelled as the engine labels it."""
    amb = df.unique("ambition_id", keep="first", maintain_order=True).select(
        "ambition_id", "kind", "measure", "unit", "basis", "category"
    )
    icbs = df.filter(pl.col("level") == "icb")
    all_icbs = icbs.get_column("org_code").n_unique()
    named = dict(
        icbs.filter(pl.col("share").fill_null(0) > 0)
        .group_by("ambition_id")
        .agg(pl.col("org_code").unique().sort())
        .iter_rows()
    )
    filled = []
    for r in amb.iter_rows(named=True):
        label = r["basis"] or ""
        name = label.split(" (targeted")[0]
        if r["kind"] in vocab.CARRIED_KINDS:
            method = vocab.STANDARD
        elif label.startswith(SUM_OF):
            method, name = vocab.SUM_OF_PARTS, ""
        elif " (targeted" in label:
            method = vocab.TARGETED
        elif not label:
            method = vocab.NATIONAL_ONLY
        elif r["category"] == "targeted" and 0 < len(named.get(r["ambition_id"], [])) < all_icbs:
            method = vocab.TARGETED
            label = basis_label(name, targets=named[r["ambition_id"]])
        else:
            method = vocab.BY_BASIS
        filled.append(
            {
                "ambition_id": r["ambition_id"],
                "_label": label if label != (r["basis"] or "") else None,
                "unit_kind": vocab.unit_kind(r["unit"], r["kind"], r["measure"]),
                "basis_name": name,
                "split_method": method,
            }
        )
    text = [c for c in ADDED_COLUMNS if c != "value_high"]
    extra = pl.DataFrame(
        filled,
        schema={"ambition_id": pl.String, "_label": pl.String, **dict.fromkeys(text, pl.String)},
    )
    keep = [c for c in df.columns if c not in text]
    df = (
        df.select(keep)
        .join(extra, on="ambition_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_label", "basis").alias("basis"))
        .drop("_label")
    )
    if "value_high" not in df.columns:  # older spines carried no ranges
        df = df.with_columns(pl.lit(None, pl.Float64).alias("value_high"))
    return df
