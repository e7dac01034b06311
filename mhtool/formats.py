"""The version of every file format a planner hands mhtool or mhtool writes for itself.

A file written for an earlier version keeps working: what a later format added is filled
in, with one log line saying what was assumed (catalogue format 1 had no ``unit_kind``:
mhtool.catalogue.upgrade infers it from measure, kind and unit; a manifest without
``input_paths`` is replayed from its settings). A file that declares a format newer than
this mhtool knows is refused with a sentence, never half-read.

TOML inputs may say ``format = N`` (a catalogue under ``[catalogue]``, refresh settings at
the top); a file that does not say is read as the oldest format it fits. CSV inputs are
versioned by their columns (their schemas list which are required and which optional), so
they carry no number. manifest.json records ``"format"``.

Format history:

- catalogue 1: the first release; 2: every ambition declares ``unit_kind``.
- refresh settings 1: the first release (keys added since are optional).
- manifest 1: settings, inputs (name -> sha256), outputs; 2: ``format`` and
  ``input_paths`` (input -> the absolute path it was read from), so a replay can check
  every input it will read.
- planning/profile.json (unnumbered; read by mhtool.planning.spec.PlanningSpec.from_profile):
  the first release held refs and denominators; ``directions``, ``starts`` and
  ``percent_scale`` came later (a file without ``percent_scale`` holds proportions).
"""

from __future__ import annotations

from mhtool.errors import InputError

CATALOGUE = 2
REFRESH = 1
MANIFEST = 2

CURRENT: dict[str, int] = {"catalogue": CATALOGUE, "refresh": REFRESH, "manifest": MANIFEST}


def declared(doc: dict, name: str, *, file, field: str = "format") -> int | None:
    """The format a file says it is written in (None when it does not say), refused when
    it is not a whole number or is newer than this mhtool reads."""
    value = doc.get("format") if isinstance(doc, dict) else None
    if value is None:
        return None
    newest = CURRENT[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(
            f"must be a whole number from 1 to {newest} (e.g. format = {newest})",
            file=None if file is None else str(file),
            field=field,
        )
    if value > newest:
        raise InputError(
            f"{name} format {value} is newer than this mhtool reads (formats 1 to "
            f"{newest}): upgrade mhtool, or write the file in format {newest}",
            file=None if file is None else str(file),
            field=field,
        )
    return value
