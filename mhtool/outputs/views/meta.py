"""What a workbook says about the run that made it: a typed record, not a loose dict.

The Cover sheet, the Notes sheet and the file properties all print these fields, and
worker processes receive them, so they are declared once here (frozen, picklable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime

from mhtool.planning.spec import PlanningSpec


@dataclass(frozen=True)
class WorkbookMeta:
    """The run's facts every workbook carries, read as attributes.

    ``bases`` maps each basis name used to its description (the Notes sheet); ``notes``
    are the run's own notes (for example how each inferred figure was made), numbered on
    after the fixed ones; ``planning`` is the planning export's references, rules and
    denominators (None: no template lines). ``data_date`` (YYYY-MM-DD) is the release
    date of the newest reference data, and also each workbook's created date, so the same
    inputs give the same bytes whenever they are written. ``WorkbookMeta()`` says nothing
    (tables then show basis names, not their descriptions).
    """

    tool_version: str = ""
    catalogue_name: str = ""
    catalogue_sha256: str = ""
    catalogue_title: str = ""  # the planning round, in words
    benchmark: str = ""  # the catalogue's words on what its fair shares are for
    geography: str = ""
    population_year: int | str = ""
    reference_data: str = ""
    data_date: str = ""
    bases: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    planning: PlanningSpec | None = None  # the planning export's spec (mhtool.planning.spec)
    contact: str = ""  # who answers questions, for the Cover sheet (--contact)
    # ambition ID -> the sources of its national figures (URLs, in the catalogue's order),
    # shown beside each ask on the category sheets and in the report
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # ambition ID -> the sites a public source names for a targeted ask, placed on the
    # run's geography (mhtool.spine.named_sites; worded by outputs.views.categories.chosen_words)
    selected: dict[str, dict] = field(default_factory=dict)
    # ambition ID -> the ask in a few words (the catalogue's short_title), for the Plan page
    short_titles: dict[str, str] = field(default_factory=dict)
    actuals: tuple[dict, ...] = ()  # the catalogue's [[actual]] entries (outputs.views.delivery)

    @classmethod
    def from_mapping(cls, data: Mapping) -> WorkbookMeta:
        """The facts saved as a plain mapping (``workbooks.json``) read back; keys that
        are not fields are ignored, so a newer run's file still reads."""
        names = {f.name for f in fields(cls)}
        given = {k: v for k, v in data.items() if k in names}
        if "notes" in given:
            given["notes"] = tuple(given["notes"] or ())
        if "actuals" in given:
            given["actuals"] = tuple(dict(a) for a in given["actuals"] or ())
        if "selected" in given:
            given["selected"] = dict(given["selected"] or {})
        if "short_titles" in given:
            given["short_titles"] = dict(given["short_titles"] or {})
        if "bases" in given:
            given["bases"] = dict(given["bases"] or {})
        if "sources" in given:
            given["sources"] = {k: tuple(v) for k, v in dict(given["sources"] or {}).items()}
        if given.get("planning") is not None:
            given["planning"] = PlanningSpec.from_json(given["planning"])
        return cls(**given)

    def as_dict(self) -> dict:
        """The facts as a plain mapping, as ``workbooks.json`` saves them."""
        out = asdict(replace(self, planning=None))
        out["planning"] = None if self.planning is None else self.planning.to_json()
        return out

    def replaced(self, **changes) -> WorkbookMeta:
        """The same facts with some replaced (a name that is not a field is refused)."""
        return replace(self, **changes)

    @property
    def round_name(self) -> str:
        """What the sheets call the planning round, from the catalogue's title: its name
        before any ':' or ',' without its years ('Medium Term Planning Framework 2026/27 -
        2028/29: mental health success measures' → 'the Medium Term Planning
        Framework'); a plan, and a run that names no catalogue, is 'the Plan'."""
        name = re.split(r"[:,]", self.catalogue_title or "")[0]
        name = re.sub(r"\s*\d{4}/\d{2}(\s*-\s*\d{4}/\d{2})?\s*$", "", name).strip()
        if not name or name.split()[-1] == "Plan":
            return "the Plan"
        return name if name.lower().startswith("the ") else f"the {name}"

    def plan_words(self, text: str) -> str:
        """`text` with 'the Plan' called as this round is (round_name)."""
        return text.replace("the Plan", self.round_name)

    @property
    def created(self) -> datetime:
        """The workbook's created date: the data date, not the clock."""
        return datetime.fromisoformat(str(self.data_date)[:10])

    def with_notes(self, notes) -> WorkbookMeta:
        """The same facts with other run notes."""
        return replace(self, notes=tuple(notes))
