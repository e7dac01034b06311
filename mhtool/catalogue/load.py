"""Read a catalogue: the Plan as declarative data, checked and phased.

A new planning round is a new TOML file, not new code, so everything round-specific (years,
programmes, figures, bases, the choices made where sources are silent) lives in the file.
Loading is three steps: the structure is checked against the shipped JSON Schema
(mhtool/schemas/catalogue.schema.json; a ``#:schema`` line gives editors the same checks),
the cross-field rules of mhtool.catalogue.rules run, and years without a figure are filled by
mhtool.catalogue.phasing. Remainder lines (`remainder_of`) are computed after phasing so
that parts plus remainder equal the total even after a user override
(mhtool.catalogue.overrides).

A user catalogue may `extends = "<shipped name or path>"` under [catalogue]: its
[[ambition]]s replace same-id ones or are added, its [bases.*] replace same-name bases, and
[basis_overrides] maps ambition id -> basis name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from mhtool import schema, userfiles
from mhtool.catalogue import rules
from mhtool.catalogue.model import (
    DEFAULT_GEOGRAPHY,
    DEFAULT_POPULATION_YEAR,
    Actual,
    Ambition,
    Basis,
    Catalogue,
    Choice,
    Selected,
    Site,
    YearValue,
)
from mhtool.catalogue.overrides import apply_overrides, with_remainders
from mhtool.catalogue.phasing import phase, years_problem
from mhtool.catalogue.upgrade import upgrade
from mhtool.errors import InputError
from mhtool.infra import paths
from mhtool.vocab import CATEGORIES, HIGHER_IS_BETTER, KINDS, MEASURES

__all__ = [
    "Ambition",
    "Basis",
    "Catalogue",
    "Choice",
    "YearValue",
    "apply_overrides",
    "load_bases",
    "load_catalogue",
    "chain",
    "CATEGORIES",
    "KINDS",
    "MEASURES",
    "BASIS_SOURCES",
]

DEFAULT_CATALOGUE = "mhip_2019_24"


def _basis_sources() -> dict[str, tuple[set[str], set[str]]]:
    """source -> (required, optional) parameters, read from the bases schema (said once)."""
    spec = schema.schema("bases")["$defs"]["basis"]
    common = set(spec["required"]) | {"age_group", "age_group_source"}
    out = {}
    for rule in spec["allOf"]:
        source = rule["if"]["properties"]["source"]["const"]
        required = set(rule["then"]["required"])
        allowed = set(rule["then"]["propertyNames"]["enum"]) - common
        out[source] = (required, allowed - required)
    return out


BASIS_SOURCES = _basis_sources()


# ------------------------------------------------------------------ bases


def load_bases(path: Path | None = None) -> dict[str, Basis]:
    """The shipped named bases (reference_data/bases.toml), checked."""
    path = Path(path) if path else paths.reference_data_dir() / "bases.toml"
    tables = _read_toml(path)
    schema.validate(tables, "bases", file=path, locate=_locate_basis)
    return _bases(tables, path)


def _locate_basis(path, prefix: int = 0):
    if len(path) <= prefix:
        return None, schema.field_path(path)
    return f"basis {path[prefix]}", schema.field_path(path[prefix + 1 :]) or "source"


def _bases(tables: dict, file: Path) -> dict[str, Basis]:
    out = {}
    for name, spec in tables.items():
        params = {
            k: v
            for k, v in spec.items()
            if k not in ("source", "label", "age_group", "age_group_source")
        }
        if "ages" in params:
            lo, _, hi = params["ages"].rstrip("+").partition("-")
            if hi and int(hi) < int(lo):
                raise InputError(
                    f'ages {params["ages"]!r} must be one band such as "0", "0-25" or "65+"',
                    file=str(file),
                    row=f"basis {name}",
                    field="ages",
                )
        if spec["source"] == "csv":
            params["path"] = str((file.parent / params["path"]).resolve())
        out[name] = Basis(
            name,
            spec["source"],
            params,
            spec["label"].strip(),
            spec.get("age_group", "all_ages"),
            spec.get("age_group_source", ""),
        )
    return out


def _check_blends(bases: dict[str, Basis], file: Path) -> None:
    """A blend's parts are other bases, none a blend itself (so weights never loop)."""
    for name, b in bases.items():
        for part in b.params.get("parts", {}) if b.source == "blend" else {}:
            if part not in bases or bases[part].source == "blend":
                raise InputError(
                    f"blend part {part!r} must be a basis that is not a blend; "
                    f"known: {sorted(n for n, x in bases.items() if x.source != 'blend')}",
                    file=str(file),
                    row=f"basis {name}",
                    field=f"parts.{part}",
                )


# ------------------------------------------------------------------ loading


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load, check and phase a catalogue (a file, or a shipped catalogue's name); default:
    the shipped MHIP 2019/20-2023/24 one."""
    path = resolve(path)
    files = chain(path)
    bases_file = paths.reference_data_dir() / "bases.toml"
    digest = hashlib.sha256()
    for file, _ in files:
        digest.update(file.read_bytes())
    digest.update(bases_file.read_bytes() if bases_file.exists() else b"")

    head, programmes, choices, actuals = {}, {}, {}, {}
    bases = load_bases(bases_file) if bases_file.exists() else {}
    raw: dict[str, tuple[dict, Path]] = {}
    for file, doc in files:
        head.update(doc.get("catalogue", {}))
        programmes.update(doc.get("programmes", {}))
        bases.update(_bases(doc.get("bases", {}), file))
        choices.update({c["id"]: c for c in doc.get("choice", [])})
        actuals.update({(a["ambition"], a["label"]): (a, file) for a in doc.get("actual", [])})
        seen = set()
        for amb in doc.get("ambition", []):
            if amb["id"] in seen:
                raise InputError(
                    "duplicate ambition id", file=str(file), row=f"ambition {amb['id']}", field="id"
                )
            seen.add(amb["id"])
            raw[amb["id"]] = (amb, file)
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
    if not head.get("name", "").strip():
        raise InputError("the catalogue needs a name", file=str(path), field="name")
    years = tuple(head["years"])

    _check_blends(bases, path)
    ctx = rules.Context(years, bases, programmes)
    ambitions = [_ambition(amb, file, ctx) for amb, file in raw.values()]
    rules.check_links(ambitions, {a: f for a, (_, f) in raw.items()})
    rules.check_need_year(head.get("need_year", ""), ambitions, bases, path)
    for c in choices.values():
        for i, aid in enumerate(c["ambitions"]):
            if aid not in raw:
                raise InputError(
                    f"unknown ambition {aid!r}",
                    file=str(path),
                    row=f"choice {c['id']}",
                    field=f"ambitions[{i}]",
                )
    for i, (a, file) in enumerate(actuals.values()):
        if a["ambition"] not in raw:
            raise InputError(
                f"unknown ambition {a['ambition']!r}",
                file=str(file),
                row=f"actual #{i + 1}",
                field="ambition",
            )
        if a.get("period") == "12 months to quarter end" and not a.get("quarter"):
            raise InputError(
                "a figure for the 12 months to a quarter's end needs its quarter",
                file=str(file),
                row=f"actual #{i + 1}",
                field="quarter",
            )
    return Catalogue(
        name=head["name"],
        years=years,
        ambitions=tuple(with_remainders(ambitions, path)),
        bases=bases,
        path=path,
        sha256=digest.hexdigest(),
        title=head.get("title", ""),
        programmes=programmes,
        choices=tuple(
            Choice(c["id"], c["text"].strip(), tuple(c.get("ambitions", [])))
            for c in choices.values()
        ),
        source=head.get("source", "").strip(),
        geography=head.get("geography", DEFAULT_GEOGRAPHY),
        population_year=head.get("population_year", DEFAULT_POPULATION_YEAR),
        need_year=head.get("need_year", ""),
        benchmark=head.get("benchmark", "").strip(),
        actuals=tuple(Actual(**a) for a, _ in actuals.values()),
    )


def _shipped(name: str) -> Path:
    return paths.reference_data_dir() / "catalogues" / f"{name}.toml"


def shipped() -> list[Path]:
    """The shipped catalogues' files, by name."""
    return sorted(_shipped("x").parent.glob("*.toml"))


def resolve(value: str | Path | None) -> Path:
    """The file of a catalogue given by path or by shipped name (a file of that name wins);
    an unknown name is refused, naming the shipped ones."""
    if not value:
        return _shipped(DEFAULT_CATALOGUE)
    path = Path(value)
    if path.is_file() or not paths.is_name(value):
        return path
    if _shipped(str(value)).is_file():
        return _shipped(str(value))
    raise InputError(
        f"no shipped catalogue {str(value)!r} (shipped: {', '.join(p.stem for p in shipped())}); "
        "give a name, or the path of a catalogue file",
        file=str(value),
        field="catalogue",
    )


def _read_toml(path: Path) -> dict:
    return userfiles.read_toml(path)


def _locate(doc: dict):
    """Where a schema error in a catalogue file is, as the file's row and field."""

    def locate(path):
        head = path[0] if path else None
        if head == "ambition" and len(path) > 1:
            amb = doc["ambition"][path[1]]
            aid = amb.get("id") if isinstance(amb, dict) else None
            row = f"ambition {aid}" if isinstance(aid, str) else f"ambition #{path[1] + 1}"
            return row, schema.field_path(path[2:]) or "id"
        if head == "bases":
            return _locate_basis(path, 1)
        if head in ("choice", "actual") and len(path) > 1:
            return f"{head} #{path[1] + 1}", schema.field_path(path[2:])
        if head == "basis_overrides" and len(path) > 1:
            return f"ambition {path[1]}", "basis_overrides"
        return None, schema.field_path(path[1:] if head == "catalogue" else path)

    return locate


def _one_line_text(doc, file: Path, locate, at: tuple = ()) -> None:
    """Every text in a catalogue is one line of printable text: a tab, line break or other
    control character in a title, unit or note would break the tables and CSVs it reaches
    (and a tab or CR starts a spreadsheet formula)."""
    if isinstance(doc, str):
        problem = userfiles.control_problem(doc)
        if problem:
            row, field = locate(at)
            raise InputError(problem, file=str(file), row=row, field=field)
    elif isinstance(doc, dict):
        for key, value in doc.items():
            _one_line_text(value, file, locate, (*at, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            _one_line_text(value, file, locate, (*at, i))


def chain(path: Path) -> list[tuple[Path, dict]]:
    """The file and the files it extends, parent first, each checked against the schema."""
    out, seen = [], set()
    while path is not None:
        path = path.resolve()
        if path in seen:
            raise InputError("`extends` loops back to this file", file=str(path), field="extends")
        seen.add(path)
        doc = upgrade(_read_toml(path), path)
        schema.validate(doc, "catalogue", file=path, locate=_locate(doc))
        _one_line_text(doc, path, _locate(doc))
        out.insert(0, (path, doc))
        parent = doc.get("catalogue", {}).get("extends")
        if parent is None:
            break
        child, path = path, path.parent / parent if parent.endswith(".toml") else _shipped(parent)
        if not path.is_file():
            raise InputError(
                f"extends {parent!r}, which is neither a file beside it nor a shipped "
                f"catalogue (shipped: {', '.join(p.stem for p in shipped())})",
                file=str(child),
                field="extends",
            )
    return out


def _ambition(amb: dict, file: Path, ctx: rules.Context) -> Ambition:
    aid = amb["id"]

    def bad(msg, field):
        return InputError(msg, file=str(file), row=f"ambition {aid}", field=field)

    rules.check_fields(amb, ctx, bad)
    declared = rules.figures(amb, ctx, bad)
    anchor = rules.anchor(amb, ctx.years, bad)
    targets = tuple(t.strip() for t in amb.get("targets", []))
    category, kind, measure = amb["category"], amb["kind"], amb["measure"]
    text = {k: v.strip() for k, v in amb.items() if isinstance(v, str)}
    return Ambition(
        id=aid,
        programme=text["programme"],
        title=text["title"],
        category=category,
        kind=kind,
        measure=measure,
        unit=text["unit"],
        unit_kind=amb["unit_kind"],
        basis=amb.get("basis"),
        declared=declared,
        values=phase(
            declared,
            ctx.years,
            category,
            anchor,
            text.get("maintained", ""),
            rules.step(kind, measure),
        ),
        short_title=text.get("short_title", ""),
        age_group=amb.get("age_group", "all_ages"),
        direction=amb.get("direction", HIGHER_IS_BETTER),
        basis_note=text.get("basis_note", ""),
        planning_ref=text.get("planning_ref", ""),
        planning_ref_source=text.get("planning_ref_source", ""),
        targets=targets,
        targets_note=text.get("targets_note", ""),
        selected=_selected(amb.get("selected")),
        national_only=amb.get("national_only", False) or (category == "targeted" and not targets),
        national_years=tuple(amb.get("national_years", [])),
        national_years_note=text.get("national_years_note", ""),
        additional=amb.get("additional", False),
        anchor=anchor,
        maintained=text.get("maintained", ""),
        part_of=text.get("part_of", ""),
        remainder_of=text.get("remainder_of", ""),
        status=amb.get("status", "ok"),
        category_source=text.get("category_source", ""),
        source=text.get("source", ""),
        note=text.get("note", ""),
    )


def _selected(sel: dict | None) -> Selected | None:
    """`[ambition.selected]` as a record (the schema has checked its shape)."""
    if sel is None:
        return None
    sites = tuple(
        Site(
            name=s["name"].strip(),
            icb=s["icb"],
            subicb=s["subicb"],
            named=s["named"].strip(),
            host=s.get("host", "").strip(),
            subicb_in=tuple(sorted(s.get("subicb_in", {}).items())),
        )
        for s in sel.get("sites", [])
    )
    return Selected(
        source=sel["source"].strip(),
        words=sel["words"].strip(),
        complete=sel["complete"],
        sites=sites,
        list=sel.get("list", "").strip(),
        note=sel.get("note", "").strip(),
        count=sel.get("count", 0),
        everywhere=sel.get("everywhere", False),
    )
