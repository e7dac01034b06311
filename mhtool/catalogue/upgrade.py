"""Read a catalogue written in an earlier format as the current one (mhtool/formats.py).

Catalogue format 1 (the first release) had no ``unit_kind``: what a figure counts was read
from its unit text. A format-1 file keeps working: each ambition without ``unit_kind`` gets
the one its measure, kind and unit imply (the rule the first release applied, narrowed to
the unit kinds the measure allows: funding is counted in pounds, workforce in staff), and
the run logs one line listing what it assumed. Where the three do not settle it (a
missing or unknown kind or measure), nothing is assumed and the schema's error names the
field, its allowed values and an example. A file that declares ``format = 2`` or later
gets no inference: it promised to declare every field.
"""

from __future__ import annotations

from pathlib import Path

from mhtool import formats, vocab
from mhtool.infra.log import LOG

#: Which unit kinds each measure may be counted in (the rule mhtool.catalogue.rules checks).
UNIT_KINDS_BY_MEASURE = {
    "activity": ("people", "percent", "days", "sites"),
    "funding": ("gbp",),
    "workforce": ("staff",),
}


def inferred_unit_kind(amb: dict) -> str | None:
    """The unit kind an ambition's measure, kind and unit imply, or None if they do not."""
    kind, measure, unit = amb.get("kind"), amb.get("measure"), amb.get("unit")
    if not all(isinstance(x, str) for x in (kind, measure, unit)):
        return None  # the schema names the field of the wrong type
    if kind not in vocab.KINDS or measure not in UNIT_KINDS_BY_MEASURE:
        return None
    allowed = UNIT_KINDS_BY_MEASURE[measure]
    guess = vocab.unit_kind(unit, kind, measure)
    if guess in allowed:
        return guess
    return allowed[0] if len(allowed) == 1 else None


def upgrade(doc: dict, file: Path) -> dict:
    """The catalogue `doc` read from `file`, with what earlier formats lacked filled in
    (logged once per file); the document itself is not changed."""
    head = doc.get("catalogue")
    version = formats.declared(head if isinstance(head, dict) else {}, "catalogue", file=file)
    if version is not None and version >= 2:
        return doc
    ambitions = doc.get("ambition")
    if not isinstance(ambitions, list):
        return doc
    filled, out = [], []
    for amb in ambitions:
        if isinstance(amb, dict) and "unit_kind" not in amb:
            guess = inferred_unit_kind(amb)
            if guess is not None:
                amb = {**amb, "unit_kind": guess}
                filled.append(f"{amb.get('id')} {guess}")
        out.append(amb)
    if not filled:
        return doc
    LOG.warning(
        "%s is in catalogue format 1 (no unit_kind): inferred unit_kind from measure, kind "
        "and unit for %d ambition(s): %s; declare unit_kind (and format = %d) to silence this",
        file,
        len(filled),
        ", ".join(filled[:8]) + (f" and {len(filled) - 8} more" if len(filled) > 8 else ""),
        formats.CATALOGUE,
    )
    return {**doc, "ambition": out}
