"""What a workbook says about the run that made it: a typed record, not a loose dict.

The Cover sheet, the Notes sheet and the file properties all print these fields, and
worker processes receive them, so they are declared once here (frozen, picklable).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime


@dataclass(frozen=True)
class WorkbookMeta(Mapping):
    """The run's facts every workbook carries.

    ``bases`` maps each basis name used to its description (the Notes sheet); ``notes``
    are the run's own notes (for example how each inferred figure was made), numbered on
    after the fixed ones; ``planning`` is the planning export's references, rules and
    denominators (None: no template lines). ``data_date`` (YYYY-MM-DD) is the release
    date of the newest reference data, and also each workbook's created date, so the same
    inputs give the same bytes whenever they are written.
    """

    tool_version: str
    catalogue_name: str
    catalogue_sha256: str
    geography: str
    population_year: int
    reference_data: str
    data_date: str
    bases: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    planning: dict | None = None  # the planning export's spec (mhtool.outputs.planning)
    contact: str = ""  # who answers questions, for the Cover sheet (--contact)

    # Read-only mapping access (meta["bases"], meta.get("contact")), for the output code
    # that reads it by key; the fields above are the whole of what it may hold.
    def __getitem__(self, key: str):
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __or__(self, other: Mapping) -> WorkbookMeta:
        """The same facts with some replaced (``meta | {"planning": spec}``); a key that is
        not a field is refused."""
        return replace(self, **dict(other))

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @property
    def created(self) -> datetime:
        """The workbook's created date: the data date, not the clock."""
        return datetime.fromisoformat(str(self.data_date)[:10])

    def with_notes(self, notes) -> WorkbookMeta:
        """The same facts with other run notes."""
        return replace(self, notes=tuple(notes))
