"""The planning references and measurement rules of a catalogue's ambitions.

They live in `reference_data/planning/<catalogue name>.toml`, apart from the catalogue:
which template line an ambition is planned on, whether a source confirms it, and how the
measure is counted through a year (the rule the export profiles months by and `mhtool
assure` reads a plan's months by). `load` checks the file against the catalogue and
returns a PlanningSpec (mhtool.planning.spec), which travels to worker processes and is
saved with a run.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mhtool import schema, userfiles
from mhtool.catalogue.load import chain
from mhtool.errors import InputError
from mhtool.infra.paths import reference_data_dir
from mhtool.planning.spec import (
    DEFAULT_RULE,
    DENOMINATOR_TABLES,
    PlanningRef,
    PlanningSpec,
    Start,
)
from mhtool.planning.template import TEMPLATE_TYPES
from mhtool.vocab import CARRIED_KINDS, HIGHER_IS_BETTER

_TEXT = (
    "planning_ref",
    "ref_source",
    "ref_note",
    "numerator",
    "denominator",
    "denominator_table",
    "denominator_qof_year",
    "definition_source",
)


def folder() -> Path:
    """Where the planning reference files live in the reference data in use."""
    return reference_data_dir() / "planning"


def find(names: list[str]) -> Path | None:
    """The planning file of the first catalogue name that has one (own name first, then
    the catalogues it extends)."""
    for name in names:
        path = folder() / f"{name}.toml"
        if path.is_file():
            return path
    return None


def load(path: Path, ambition_ids: set[str]) -> PlanningSpec:
    """Read and check one planning file: its shape against schemas/planning.schema.json,
    then what a schema cannot say (every ambition_id in the catalogue and listed once,
    a confirmed reference with its source, a Percentage's numerator with its
    denominator, table and QOF year)."""
    path = Path(path)
    doc = userfiles.read_toml(path)
    schema.validate(doc, "planning", file=path, locate=_locate(doc))
    refs: dict[str, PlanningRef] = {}
    for item in doc.get("ref", []):
        ref = _ref(item, path, ambition_ids)
        if ref.ambition_id in refs:
            raise InputError(
                "the ambition is listed twice",
                file=str(path),
                row=f"ref {ref.ambition_id}",
                field="ambition_id",
            )
        refs[ref.ambition_id] = ref
    note = doc.get("planning", {}).get("profile_note", "")
    return PlanningSpec(file=path.name, profile_note=note, refs=refs)


def _locate(doc: dict):
    """Where a schema error in a planning file is: `ref <ambition_id>` (or `ref #n`) and
    the field."""

    def locate(where):
        if len(where) > 1 and where[0] == "ref" and isinstance(where[1], int):
            item = doc["ref"][where[1]]
            aid = item.get("ambition_id") if isinstance(item, dict) else None
            row = f"ref {aid}" if isinstance(aid, str) and aid.strip() else f"ref #{where[1] + 1}"
            return row, schema.field_path(where[2:])
        return None, schema.field_path(where)

    return locate


def _ref(item: dict, path: Path, ambition_ids: set[str]) -> PlanningRef:
    aid = item["ambition_id"]

    def bad(message: str, field: str) -> InputError:
        return InputError(message, file=str(path), row=f"ref {aid}", field=field)

    if aid not in ambition_ids:
        raise bad("no ambition with this id in the catalogue", "ambition_id")
    texts = {k: item.get(k, "").strip() for k in _TEXT}
    out = PlanningRef(aid, item.get("rule", DEFAULT_RULE), item.get("confirmed", False), **texts)
    if out.confirmed and not out.planning_ref:
        raise bad("a confirmed ref needs its planning_ref", "planning_ref")
    if out.confirmed and not out.ref_source:
        raise bad("a confirmed ref needs the source that confirms it", "ref_source")
    if bool(out.numerator) != bool(out.denominator):
        raise bad("a Percentage needs both a numerator and a denominator", "denominator")
    if out.denominator:
        if out.denominator_table not in DENOMINATOR_TABLES:
            raise bad(f"must be one of {', '.join(DENOMINATOR_TABLES)}", "denominator_table")
        if not out.denominator_qof_year:
            raise bad("the register's QOF year is needed", "denominator_qof_year")
    return out


def for_catalogue(catalogue) -> PlanningSpec:
    """The planning spec of a loaded catalogue: its own file, else the one of a catalogue
    it extends, else none."""
    names = [doc.get("catalogue", {}).get("name") for _, doc in reversed(chain(catalogue.path))]
    path = find([n for n in names if isinstance(n, str)])
    spec = PlanningSpec() if path is None else load(path, {a.id for a in catalogue.ambitions})
    return replace(spec, directions=directions(catalogue), starts=starts(catalogue))


def starts(catalogue) -> dict[str, Start]:
    """ambition_id → the level a carried rate or standard had in the
    year before its first figure (the catalogue's `anchor`), which every organisation
    carries as it is. The monthly profile of that first year steps from it (an existing
    standard such as IAPT recovery holds all year) instead of giving March alone. Counts
    get none: their anchor is national and the run apportions no figure for that year."""
    return {
        a.id: Start(a.anchor.year, a.anchor.value)
        for a in catalogue.ambitions
        if a.kind in CARRIED_KINDS and a.anchor is not None and not a.additional
    }


def directions(catalogue) -> dict[str, str]:
    """ambition_id → the catalogue's `direction` for every ambition that is met at or below
    its fair share (the others are higher-is-better, the default)."""
    return {a.id: a.direction for a in catalogue.ambitions if a.direction != HIGHER_IS_BETTER}


#: The form of every NHS England planning reference (E.A.3, E.H.13, E.A.S.1, E.B.23c).
REF_FORM = re.compile(r"^E(\.[A-Z]{1,2}){1,2}\.\d+[a-z]?$")
REFS_COLUMNS = ["planning_ref", "ambition_id"]


def user_refs(path: Path, ambition_ids: set[str], known: set[str] = frozenset()) -> list[dict]:
    """A user's `--refs` CSV (`planning_ref,ambition_id[,measure_type]`): the references
    they know measure an ambition, read through the shared reader (mhtool.userfiles) and
    refused with the row and field of the first problem: an ambition not in the catalogue,
    a reference neither of `known` nor of the form of NHS England's references, a measure
    type outside the template, the same reference (and type) twice, or two references for
    one ambition and type."""

    file = str(path)
    out: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    by_aid: dict[tuple[str, str], tuple[str, int]] = {}
    for n, cells in userfiles.rows(path, REFS_COLUMNS, ["measure_type"]):
        ref, aid = cells["planning_ref"], cells["ambition_id"]
        mtype = cells.get("measure_type", "").capitalize()

        def bad(message: str, fld: str, n: int = n) -> InputError:
            return InputError(message, file=file, row=n, field=fld)

        if aid not in ambition_ids:
            shown = ", ".join(sorted(ambition_ids)[:12])
            raise bad(
                f"{aid!r} is not an ambition of the catalogue (it has {shown} …)", "ambition_id"
            )
        if ref not in known and not REF_FORM.match(ref):
            raise bad(
                f"{ref!r} is not a planning reference: neither one the catalogue's planning "
                "file names nor of NHS England's form (E.H.13, E.A.S.1, E.B.23c)",
                "planning_ref",
            )
        if mtype and mtype not in TEMPLATE_TYPES:
            raise bad(f"must be one of {', '.join(TEMPLATE_TYPES)} (or empty)", "measure_type")
        if (ref, mtype) in seen:
            raise bad(
                f"{ref} {mtype} is already mapped on row {seen[(ref, mtype)]}", "planning_ref"
            )
        seen[(ref, mtype)] = n
        other = by_aid.get((aid, mtype))
        if other and other[0] != ref:
            raise bad(
                f"{aid} is already mapped to {other[0]} on row {other[1]}; one reference per "
                "ambition",
                "planning_ref",
            )
        by_aid[(aid, mtype)] = (ref, n)
        out.append({"planning_ref": ref, "ambition_id": aid, "measure_type": mtype, "row": n})
    if not out:
        raise InputError("has no rows: give planning_ref,ambition_id lines", file=file, row=2)
    return out
