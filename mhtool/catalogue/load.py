"""The ambitions catalogue: the Plan as declarative data, loaded, checked and phased.

A new planning round is a new TOML file, not new code, so everything round-specific (years,
programmes, figures, bases) lives in the file and this module only checks and fills it.
Every bad input is an InputError naming the file, the ambition and the field, because
planners edit these files by hand. Missing years are filled by mhtool.catalogue.phasing (rule in its
docstring); remainder lines (`remainder_of`) are computed here after phasing so that parts
plus remainder equal the total even after a user override.

A user catalogue may `extends = "<shipped name or path>"` under [catalogue]: its
[[ambition]]s replace same-id ones or are added, its [bases.*] replace same-name bases, and
[basis_overrides] maps ambition id -> basis name.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mhtool.apportion import STEPS
from mhtool.catalogue.phasing import (
    DECLARED,
    YearValue,
    exact,
    phase,
    remainder,
    year_label,
    year_start,
    years_problem,
)
from mhtool.errors import InputError
from mhtool.run import paths
from mhtool.vocab import CATEGORIES, KINDS, MEASURES

__all__ = [
    "Ambition",
    "Basis",
    "Catalogue",
    "YearValue",
    "apply_overrides",
    "load_bases",
    "load_catalogue",
    "CATEGORIES",
    "KINDS",
    "MEASURES",
    "BASIS_SOURCES",
]

DEFAULT_CATALOGUE = "mhip_2019_24"

# source -> (required parameters, optional parameters)
BASIS_SOURCES = {
    "ons_population": ({"ages"}, {"year"}),
    "need_weighted": ({"column", "allocation_year"}, set()),
    "smi_register": ({"qof_year"}, set()),
    "gp_registered": ({"sex", "ages"}, {"extract_date"}),
    "csv": ({"path"}, set()),
}
_AMBITION_KEYS = {
    "id",
    "programme",
    "title",
    "category",
    "category_source",
    "kind",
    "measure",
    "unit",
    "basis",
    "planning_ref",
    "planning_ref_source",
    "targets",
    "targets_note",
    "national_only",
    "additional",
    "anchor",
    "maintained",
    "part_of",
    "remainder_of",
    "status",
    "source",
    "note",
    "values",
}
_AGES = re.compile(r"^(\d+)(?:-(\d+)|\+)?$")
_VALUE_KEYS = {"year", "value", "high", "provenance", "source", "note"}


@dataclass(frozen=True, eq=False)
class Basis(Mapping):
    """A named basis declaration. Also a read-only mapping of source, label and params, the
    shape mhtool.bases.weights() reads."""

    name: str
    source: str
    params: dict
    label: str

    def _flat(self) -> dict:
        return {"source": self.source, "label": self.label, **self.params}

    def __getitem__(self, key):
        return self._flat()[key]

    def __iter__(self):
        return iter(self._flat())

    def __len__(self) -> int:
        return len(self._flat())


@dataclass(frozen=True)
class Ambition:
    id: str
    programme: str
    title: str
    category: str
    kind: str
    measure: str
    unit: str
    basis: str | None
    values: tuple[YearValue, ...]  # one per catalogue year, after phasing
    declared: tuple[YearValue, ...] = ()  # the figures as the file (or a user) gave them
    planning_ref: str = ""
    planning_ref_source: str = ""
    targets: tuple[str, ...] = ()
    targets_note: str = ""
    national_only: bool = False  # reported for England only, never apportioned
    additional: bool = False
    anchor: YearValue | None = None
    maintained: str = ""
    part_of: str = ""
    remainder_of: str = ""
    status: str = "ok"  # or "no_national_figure"
    category_source: str = ""
    source: str = ""
    note: str = ""

    @property
    def has_national_figure(self) -> bool:
        return self.status != "no_national_figure"

    def value(self, year: str) -> YearValue:
        return next(v for v in self.values if v.year == year)


@dataclass(frozen=True)
class Catalogue:
    name: str
    years: tuple[str, ...]
    ambitions: tuple[Ambition, ...]
    bases: dict[str, Basis]
    path: Path
    sha256: str  # over the catalogue, any file it extends, the bases file and any overrides
    title: str = ""
    programmes: dict[str, str] | None = None  # programme -> its name in the seed tables

    def get(self, ambition_id: str) -> Ambition:
        for a in self.ambitions:
            if a.id == ambition_id:
                return a
        raise KeyError(ambition_id)


# ------------------------------------------------------------------ bases


def load_bases(path: Path | None = None) -> dict[str, Basis]:
    """The shipped named bases (reference_data/bases.toml), checked."""
    path = Path(path) if path else paths.reference_data_dir() / "bases.toml"
    return _bases(_read_toml(path), path)


def _bases(tables: dict, file: Path) -> dict[str, Basis]:
    out = {}
    for name, spec in tables.items():

        def bad(msg, field=None):
            return InputError(msg, file=str(file), row=f"basis {name}", field=field)

        if not isinstance(spec, dict):
            raise bad("a basis must be a table")
        source = spec.get("source")
        if source not in BASIS_SOURCES:
            raise bad(f"unknown source {source!r}; known: {', '.join(BASIS_SOURCES)}", "source")
        required, optional = BASIS_SOURCES[source]
        params = {k: v for k, v in spec.items() if k not in ("source", "label")}
        for key in sorted(required - params.keys()):
            raise bad(f"source {source} needs parameter {key!r}", key)
        for key in sorted(params.keys() - required - optional):
            raise bad(
                f"unknown parameter for source {source}; allowed: "
                f"{', '.join(sorted(required | optional))}",
                key,
            )
        if not isinstance(spec.get("label"), str) or not spec["label"].strip():
            raise bad("needs a one-line description", "label")
        for key, value in params.items():
            problem = _param_problem(key, value)
            if problem:
                raise bad(problem, key)
        if source == "csv":
            params["path"] = str((file.parent / str(params["path"])).resolve())
        out[name] = Basis(name, source, params, spec["label"])
    return out


def _param_problem(key: str, value) -> str | None:
    if key == "ages":
        m = _AGES.match(str(value))
        if not m or (m[2] and int(m[2]) < int(m[1])):
            return f'ages {value!r} must be one band such as "0", "0-25" or "65+"'
    elif key == "sex" and value not in ("all", "female", "male"):
        return f"sex {value!r} must be all, female or male"
    elif key == "column" and value not in ("mh_wp", "mat_wp", "population"):
        return f"column {value!r} must be mh_wp, mat_wp or population"
    elif key in ("allocation_year", "qof_year") and year_start(value) is None:
        return f'{key} {value!r} must be a financial year such as "2022/23"'
    elif key == "year" and (not isinstance(value, int) or isinstance(value, bool)):
        return f"year {value!r} must be a mid-year such as 2020"
    elif key in ("path", "extract_date") and (not isinstance(value, str) or not value.strip()):
        return f"{key} must be a non-empty string"
    return None


# ------------------------------------------------------------------ loading


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load, check and phase a catalogue; default: the shipped MHIP 2019/20-2023/24 one."""
    path = Path(path) if path else _shipped(DEFAULT_CATALOGUE)
    chain = _chain(path)
    bases_file = paths.reference_data_dir() / "bases.toml"
    digest = hashlib.sha256()
    for file, _ in chain:
        digest.update(file.read_bytes())
    digest.update(bases_file.read_bytes() if bases_file.exists() else b"")

    head, programmes, bases = {}, {}, load_bases(bases_file) if bases_file.exists() else {}
    raw: dict[str, tuple[dict, Path]] = {}
    for file, doc in chain:
        head.update(doc.get("catalogue", {}))
        programmes.update(doc.get("programmes", {}))
        bases.update(_bases(doc.get("bases", {}), file))
        seen = set()
        for i, amb in enumerate(doc.get("ambition", [])):
            aid = amb.get("id") if isinstance(amb, dict) else None
            if not isinstance(aid, str) or not aid.strip():
                raise InputError(
                    "every ambition needs an id",
                    file=str(file),
                    row=f"ambition #{i + 1}",
                    field="id",
                )
            if aid in seen:
                raise InputError(
                    "duplicate ambition id", file=str(file), row=f"ambition {aid}", field="id"
                )
            seen.add(aid)
            raw[aid] = (amb, file)
        for aid, basis in doc.get("basis_overrides", {}).items():
            if aid not in raw:
                raise InputError(
                    "basis override for an unknown ambition",
                    file=str(file),
                    row=f"ambition {aid}",
                    field="basis_overrides",
                )
            raw[aid] = ({**raw[aid][0], "basis": basis}, file)

    problem = years_problem(head.get("years"))
    if problem:
        raise InputError(problem, file=str(path), field="years")
    years = tuple(head["years"])
    if not isinstance(head.get("name"), str) or not head["name"].strip():
        raise InputError("the catalogue needs a name", file=str(path), field="name")

    ctx = _Ctx(years, bases, programmes)
    ambitions = [_ambition(amb, file, ctx) for amb, file in raw.values()]
    ambitions = _check_links(ambitions, {a: f for a, (_, f) in raw.items()})
    return Catalogue(
        name=head["name"],
        years=years,
        ambitions=tuple(_with_remainders(ambitions, path)),
        bases=bases,
        path=path,
        sha256=digest.hexdigest(),
        title=head.get("title", ""),
        programmes=programmes,
    )


def _shipped(name: str) -> Path:
    return paths.reference_data_dir() / "catalogues" / f"{name}.toml"


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None


def _chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and the files it extends, parent first."""
    chain, seen = [], set()
    while path is not None:
        path = path.resolve()
        if path in seen:
            raise InputError("`extends` loops back to this file", file=str(path), field="extends")
        seen.add(path)
        doc = _read_toml(path)
        chain.insert(0, (path, doc))
        parent = doc.get("catalogue", {}).get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            raise InputError(
                "must be a shipped catalogue name or a path", file=str(path), field="extends"
            )
        path = path.parent / parent if parent.endswith(".toml") else _shipped(parent)
    return chain


@dataclass(frozen=True)
class _Ctx:
    years: tuple[str, ...]
    bases: dict
    programmes: dict


def _ambition(amb: dict, file: Path, ctx: _Ctx) -> Ambition:
    aid = amb["id"]

    def bad(msg, field):
        return InputError(msg, file=str(file), row=f"ambition {aid}", field=field)

    def text(key, required=False):
        v = amb.get(key, "")
        if not isinstance(v, str) or (required and not v.strip()):
            raise bad("must be a non-empty string" if required else "must be a string", key)
        return v.strip()

    for key in amb:
        if key not in _AMBITION_KEYS:
            raise bad(f"unknown field; allowed: {', '.join(sorted(_AMBITION_KEYS))}", key)
    fields = {
        k: text(k, True) for k in ("programme", "title", "category", "kind", "measure", "unit")
    }
    for key, allowed in (("category", CATEGORIES), ("kind", KINDS), ("measure", MEASURES)):
        if fields[key] not in allowed:
            raise bad(f"unknown {key} {fields[key]!r}; allowed: {', '.join(allowed)}", key)
    if ctx.programmes and fields["programme"] not in ctx.programmes:
        raise bad(
            f"programme not declared in [programmes]; known: {', '.join(ctx.programmes)}",
            "programme",
        )
    for key in ("national_only", "additional"):
        if not isinstance(amb.get(key, False), bool):
            raise bad("must be true or false", key)

    targets = amb.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) and t.strip() for t in targets):
        raise bad("must be a list of ICB ODS codes (strings)", "targets")
    if targets and fields["category"] != "targeted":
        raise bad("only targeted ambitions have targets", "targets")
    if fields["category"] == "targeted" and not text("targets_note"):
        raise bad(
            "a targeted ambition must say which areas it targets, or why it is England-only",
            "targets_note",
        )
    national_only = amb.get("national_only", False) or (
        fields["category"] == "targeted" and not targets
    )

    basis = amb.get("basis")
    if basis is not None and (not isinstance(basis, str) or basis not in ctx.bases):
        raise bad(f"unknown basis {basis!r}; known: {', '.join(sorted(ctx.bases))}", "basis")
    if basis is None and fields["kind"] != "rate" and not national_only:
        raise bad("a count or sites ambition that is apportioned needs a basis", "basis")
    if text("planning_ref") and not text("planning_ref_source"):
        raise bad("a planning_ref needs the source that justifies it", "planning_ref_source")

    default_source = text("source")
    step = _step(fields["kind"], fields["measure"])
    declared = _values(amb.get("values", []), default_source, ctx.years, bad, step, fields["unit"])
    anchor = _anchor(amb, ctx.years, bad)
    remainder_of = text("remainder_of")
    status = text("status") or "ok"
    if status not in ("ok", "no_national_figure"):
        raise bad('must be "ok" or "no_national_figure"', "status")
    if remainder_of and declared:
        raise bad("a remainder line is computed; it cannot declare values", "values")
    if not remainder_of and not declared and status != "no_national_figure":
        raise bad('no values: give figures or set status = "no_national_figure"', "values")
    if declared and status == "no_national_figure":
        raise bad("has values but says no_national_figure", "status")

    maintained = text("maintained")
    return Ambition(
        id=aid,
        **fields,
        basis=basis,
        declared=declared,
        values=phase(declared, ctx.years, fields["category"], anchor, maintained, step),
        planning_ref=text("planning_ref"),
        planning_ref_source=text("planning_ref_source"),
        targets=tuple(t.strip() for t in targets),
        targets_note=text("targets_note"),
        national_only=national_only,
        additional=amb.get("additional", False),
        anchor=anchor,
        maintained=maintained,
        part_of=text("part_of"),
        remainder_of=remainder_of,
        status=status,
        category_source=text("category_source"),
        source=default_source,
        note=text("note"),
    )


def _step(kind: str, measure: str):
    """The unit a count is apportioned in (mhtool.apportion.STEPS); rates have none."""
    return None if kind == "rate" else STEPS[measure]


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _values(
    items, default_source: str, years: tuple[str, ...], bad, step, unit: str
) -> tuple[YearValue, ...]:
    if not isinstance(items, list):
        raise bad("must be a list of {year, value, provenance, ...} tables", "values")
    out, seen = [], set()
    for i, item in enumerate(items):
        where = f"values[{i}]"
        if not isinstance(item, dict):
            raise bad("must be a table", where)
        for key in item:
            if key not in _VALUE_KEYS:
                raise bad(
                    f"unknown key; allowed: {', '.join(sorted(_VALUE_KEYS))}", f"{where}.{key}"
                )
        year = item.get("year")
        if year not in years:
            raise bad(
                f"year {year!r} is not one of the catalogue's years ({', '.join(years)})",
                f"{where}.year",
            )
        if year in seen:
            raise bad(f"two values for {year}", f"{where}.year")
        seen.add(year)
        if not _number(item.get("value")):
            raise bad(f"value {item.get('value')!r} is not a number", f"{where}.value")
        problem = value_problem(item["value"], unit)
        if problem:
            raise bad(problem, f"{where}.value")
        high = item.get("high")
        if high is not None and (not _number(high) or high < item["value"]):
            raise bad("high must be a number no smaller than value", f"{where}.high")
        for key in ("value", "high"):
            x = item.get(key)
            if step is not None and x is not None and (exact(float(x)) / step).denominator != 1:
                raise bad(
                    f"{x!r} is not a whole number of {float(step):g}, the unit this "
                    "measure is apportioned in",
                    f"{where}.{key}",
                )
        out.append(_declared_value(item, default_source, bad, where, DECLARED))
    return tuple(sorted(out, key=lambda v: year_start(v.year)))


def value_problem(value: float, unit: str) -> str | None:
    """National figures are never negative, and a percentage is at most 100."""
    if value < 0:
        return f"{value:g} is negative; national figures are counts, money, staff or rates >= 0"
    if ("percent" in unit.lower() or "%" in unit) and value > 100:
        return f"{value:g} is a percentage above 100"
    return None


def _declared_value(item: dict, default_source: str, bad, where: str, allowed) -> YearValue:
    prov = item.get("provenance")
    if prov not in allowed:
        raise bad(f"provenance {prov!r} must be one of {', '.join(allowed)}", f"{where}.provenance")
    source, note = item.get("source", default_source), item.get("note", "")
    if not isinstance(source, str) or not isinstance(note, str):
        raise bad("source and note must be strings", f"{where}.source")
    if prov == "stated" and not source.startswith(("http://", "https://", "seed:")):
        raise bad(
            "a stated figure needs a source URL (or seed:<file> reference)", f"{where}.source"
        )
    if prov == "inferred" and not note.strip():
        raise bad("an inferred figure needs a note saying how it was derived", f"{where}.note")
    return YearValue(
        item["year"],
        float(item["value"]),
        prov,
        source,
        note.strip(),
        None if item.get("high") is None else float(item["high"]),
    )


def _anchor(amb: dict, years: tuple[str, ...], bad) -> YearValue | None:
    first = year_start(years[0])
    if amb.get("additional", False):
        if "anchor" in amb:
            raise bad("give either additional = true or an anchor, not both", "anchor")
        return YearValue(
            year_label(first - 1),
            0.0,
            "inferred",
            note=f"additional count: zero by definition in {year_label(first - 1)}",
        )
    spec = amb.get("anchor")
    if spec is None:
        return None
    if not isinstance(spec, dict) or not _number(spec.get("value")):
        raise bad("must be a table {year, value, provenance, note}", "anchor")
    start = year_start(spec.get("year"))
    if start is None or start >= first:
        raise bad(f"anchor year must be a financial year before {years[0]}", "anchor.year")
    if set(spec) - (_VALUE_KEYS - {"high"}):
        raise bad("unknown key in anchor", "anchor")
    return _declared_value(spec, amb.get("source", ""), bad, "anchor", ("stated", "inferred"))


def _check_links(ambitions: list[Ambition], files: dict[str, Path]) -> list[Ambition]:
    by_id = {a.id: a for a in ambitions}
    for a in ambitions:
        for field in ("part_of", "remainder_of"):
            target = getattr(a, field)
            if not target:
                continue
            if target not in by_id or target == a.id:
                raise InputError(
                    f"refers to unknown ambition {target!r}",
                    file=str(files[a.id]),
                    row=f"ambition {a.id}",
                    field=field,
                )
            if by_id[target].measure != a.measure:
                raise InputError(
                    f"measure {a.measure} differs from {target}'s {by_id[target].measure}",
                    file=str(files[a.id]),
                    row=f"ambition {a.id}",
                    field=field,
                )
    return ambitions


def _with_remainders(ambitions: list[Ambition], file, field: str = "values") -> list[Ambition]:
    """Compute each remainder line from its total and parts; parts larger than the total are an error."""
    by_id = {a.id: a for a in ambitions}
    out = []
    for a in ambitions:
        if a.remainder_of:
            parts = {p.id: p.values for p in ambitions if p.part_of == a.remainder_of}
            values = remainder(by_id[a.remainder_of].values, parts, a.remainder_of)
            for v in values:
                if v.value is not None and v.value < -1e-6:
                    raise InputError(
                        f"the parts of {a.remainder_of} exceed it in {v.year} by {-v.value:,.0f}",
                        file=str(file),
                        row=f"ambition {a.id}",
                        field=field,
                    )
            a = replace(a, values=values)
        out.append(a)
    return out


# ------------------------------------------------------------------ user overrides


def apply_overrides(catalogue: Catalogue, csv_path: str | Path) -> Catalogue:
    """Replace national figures with a user's own (CSV: ambition_id,year,value[,note]); re-phase.

    Overridden figures get provenance `user`; years around them are re-filled by the phasing
    rule and remainder lines recomputed, so the user never has to restate a whole trajectory.
    """
    csv_path = Path(csv_path)
    by_id = {a.id: a for a in catalogue.ambitions}
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise InputError("file not found", file=str(csv_path)) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"cannot read it as UTF-8 CSV text: {exc}", file=str(csv_path)) from None
    missing = {"ambition_id", "year", "value"} - set(header)
    if missing:
        raise InputError(
            f"needs columns ambition_id,year,value[,note]; missing {', '.join(sorted(missing))}",
            file=str(csv_path),
            row=1,
        )
    extra = set(header) - {"ambition_id", "year", "value", "note"}
    if extra:
        raise InputError(
            "unknown column; allowed: ambition_id, year, value, note",
            file=str(csv_path),
            row=1,
            field=sorted(extra)[0],
        )

    new: dict[str, dict[str, YearValue]] = {}
    for n, row in rows:

        def bad(msg, field):
            return InputError(msg, file=str(csv_path), row=n, field=field)

        if None in row:
            raise bad("more cells than the header has columns", None)
        aid, year = (row.get("ambition_id") or "").strip(), (row.get("year") or "").strip()
        if aid not in by_id:
            raise bad(f"unknown ambition {aid!r}", "ambition_id")
        if by_id[aid].remainder_of:
            raise bad(
                f"{aid} is computed as {by_id[aid].remainder_of} minus its parts; override those",
                "ambition_id",
            )
        if year not in catalogue.years:
            raise bad(f"year {year!r} is not one of {', '.join(catalogue.years)}", "year")
        try:
            value = float((row.get("value") or "").replace(",", ""))
        except ValueError:
            raise bad(f"value {row.get('value')!r} is not a number", "value") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise bad("value must be a finite number", "value")
        problem = value_problem(value, by_id[aid].unit)
        if problem:
            raise bad(f"{problem} ({aid})", "value")
        step = _step(by_id[aid].kind, by_id[aid].measure)
        if step is not None and (exact(value) / step).denominator != 1:
            raise bad(
                f"{value!r} is not a whole number of {float(step):g} for {aid} "
                f"({by_id[aid].measure} is apportioned in steps of {float(step):g})",
                "value",
            )
        if year in new.get(aid, {}):
            raise bad(f"{aid} {year} is given twice", "year")
        note = (row.get("note") or "").strip() or "user override"
        new.setdefault(aid, {})[year] = YearValue(year, value, "user", str(csv_path), note)

    ambitions = []
    for a in catalogue.ambitions:
        if a.id in new:
            merged = {v.year: v for v in a.declared} | new[a.id]
            declared = tuple(sorted(merged.values(), key=lambda v: year_start(v.year)))
            a = replace(
                a,
                declared=declared,
                status="ok",
                values=phase(
                    declared,
                    catalogue.years,
                    a.category,
                    a.anchor,
                    a.maintained,
                    _step(a.kind, a.measure),
                ),
            )
        ambitions.append(a)
    digest = hashlib.sha256((catalogue.sha256 + "\n").encode() + csv_path.read_bytes()).hexdigest()
    return replace(
        catalogue, ambitions=tuple(_with_remainders(ambitions, csv_path, "value")), sha256=digest
    )
