"""A user's own national figures (`--values` CSV) and the remainder lines they change.

Overridden figures get provenance `user`; years around them are re-filled by the phasing
rule and remainder lines recomputed, so the user never has to restate a whole trajectory
and parts plus remainder still equal the total. The CSV's columns are declared in
mhtool/schemas/values.schema.json, numbers follow mhtool.userfiles's rule (docs/inputs.md,
"Numbers in your files"); the rules about each cell are here.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from mhtool import schema, userfiles
from mhtool.catalogue import rules
from mhtool.catalogue.model import Ambition, Catalogue
from mhtool.catalogue.phasing import YearValue, phase, remainder, year_start
from mhtool.errors import InputError
from mhtool.infra.log import LOG


def apply_overrides(catalogue: Catalogue, csv_path: str | Path) -> Catalogue:
    """Replace national figures with a user's own (CSV: ambition_id,year,value[,note]); re-phase."""
    csv_path = Path(csv_path)
    by_id = {a.id: a for a in catalogue.ambitions}
    new: dict[str, dict[str, YearValue]] = {}
    for n, row in schema.read_csv_rows(csv_path, "values"):
        aid, year, value, note = _override(row, by_id, catalogue.years, csv_path, n)
        if year in new.get(aid, {}):
            raise InputError(
                f"{aid} {year} is given twice", file=str(csv_path), row=n, field="year"
            )
        new.setdefault(aid, {})[year] = YearValue(year, value, "user", str(csv_path), note)
    if not new:  # a header and no rows: a file that changes nothing changes nothing
        LOG.warning("%s holds no figures (a header and no rows): no figure replaced", csv_path)
        return catalogue

    ambitions = [
        _rephased(a, new[a.id], catalogue.years) if a.id in new else a for a in catalogue.ambitions
    ]
    digest = hashlib.sha256((catalogue.sha256 + "\n").encode() + csv_path.read_bytes()).hexdigest()
    return replace(
        catalogue, ambitions=tuple(with_remainders(ambitions, csv_path, "value")), sha256=digest
    )


def _override(row: dict, by_id: dict[str, Ambition], years, path: Path, n: int):
    def bad(msg, field):
        return InputError(msg, file=str(path), row=n, field=field)

    aid, year = (row.get("ambition_id") or "").strip(), (row.get("year") or "").strip()
    if aid not in by_id:
        raise bad(f"unknown ambition {aid!r}", "ambition_id")
    amb = by_id[aid]
    if amb.remainder_of:
        raise bad(
            f"{aid} is computed as {amb.remainder_of} minus its parts; override those",
            "ambition_id",
        )
    if year not in years:
        raise bad(f"year {year!r} is not one of {', '.join(years)}", "year")
    try:
        value = userfiles.number(row.get("value") or "")
    except ValueError as exc:
        raise bad(str(exc), "value") from None
    problem = rules.value_problem(value, amb.unit_kind, amb.kind, amb.measure)
    if problem:
        raise bad(f"{problem} ({aid})", "value")
    step = rules.step(amb.kind, amb.measure)
    if rules.whole_problem(value, step):
        raise bad(
            f"{value!r} is not a whole number of {float(step):g} for {aid} "
            f"({amb.measure} is apportioned in steps of {float(step):g})",
            "value",
        )
    note = (row.get("note") or "").strip() or "user override"
    return aid, year, value, note


def _rephased(a: Ambition, figures: dict[str, YearValue], years) -> Ambition:
    merged = {v.year: v for v in a.declared} | figures
    declared = tuple(sorted(merged.values(), key=lambda v: year_start(v.year)))
    return replace(
        a,
        declared=declared,
        status="ok",
        values=phase(
            declared, years, a.category, a.anchor, a.maintained, rules.step(a.kind, a.measure)
        ),
    )


def with_remainders(ambitions: list[Ambition], file, field: str = "values") -> list[Ambition]:
    """Compute each remainder line from its total and parts; parts larger than the total
    are an error."""
    by_id = {a.id: a for a in ambitions}
    out = []
    for a in ambitions:
        if a.remainder_of:
            parts = {p.id: p.values for p in ambitions if p.part_of == a.remainder_of}
            a = replace(a, values=remainder(by_id[a.remainder_of].values, parts, a.remainder_of))
            rules.check_remainder(a, file, field)
        out.append(a)
    return out
