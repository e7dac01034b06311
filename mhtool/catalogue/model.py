"""What a loaded catalogue is: ambitions, their yearly figures, bases and stated choices.

Plain frozen records with no I/O, so the engine and the outputs depend on this shape only,
never on how a file spelt it (mhtool.catalogue.load builds them; rules.py checks them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mhtool.catalogue.phasing import YearValue

__all__ = ["Ambition", "Basis", "Catalogue", "Choice", "Selected", "Site", "YearValue"]

#: A catalogue that does not say which geography and population year it runs on gets the
#: ones the MHIP catalogue was written for.
DEFAULT_GEOGRAPHY = "2022"
DEFAULT_POPULATION_YEAR = 2020


@dataclass(frozen=True, eq=False)
class Basis(Mapping):
    """A named basis declaration. Also a read-only mapping of source, label and params, the
    shape mhtool.bases.weights() reads. `age_group` says whose need the weights model
    (cyp, adults or all_ages), so a run can warn where it splits another group's line."""

    name: str
    source: str
    params: dict
    label: str
    age_group: str = "all_ages"
    age_group_source: str = ""

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
    """One planning ask. `values` has one YearValue per catalogue year, after phasing;
    `declared` the figures as the file (or a user) gave them."""

    id: str
    programme: str
    title: str
    category: str
    kind: str  # vocab.KINDS
    measure: str
    unit: str
    unit_kind: str  # vocab.UNIT_KINDS: declared, never guessed from `unit`
    basis: str | None
    values: tuple[YearValue, ...]
    declared: tuple[YearValue, ...] = ()
    short_title: str = ""  # the ask in a few words, for the Plan page
    age_group: str = "all_ages"  # who the ask serves: cyp, adults or all_ages
    direction: str = "higher_is_better"  # vocab.DIRECTIONS: which way a plan meets it
    basis_note: str = ""
    planning_ref: str = ""
    planning_ref_source: str = ""
    targets: tuple[str, ...] = ()
    targets_note: str = ""
    selected: Selected | None = None  # the sites a source names (a record, never a basis)
    national_only: bool = False  # reported for England only, never apportioned
    national_years: tuple[str, ...] = ()  # years reported for England only (pilots)
    national_years_note: str = ""
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

    def national_in(self, year: str) -> bool:
        """Reported for England alone in `year`: the whole line, or that year of it."""
        return self.national_only or year in self.national_years


@dataclass(frozen=True)
class Site:
    """One named site of a targeted ask: its name as the source gives it, the 2022 ICB
    that hosts it and the sub-ICB location holding it (mhtool's reading: inferred), and
    when it was named."""

    name: str
    icb: str
    subicb: str
    named: str
    host: str = ""
    # (geography, sub-ICB location) where `subicb` is not one of that geography's
    subicb_in: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Selected:
    """Who a targeted ask selects, as a public source names them (catalogue
    `[ambition.selected]`). A record for readers only: it never changes a fair share.
    `complete` False: the source names only some of the sites (`list` says which)."""

    source: str
    words: str
    complete: bool
    sites: tuple[Site, ...]
    list: str = ""
    note: str = ""
    count: int = 0  # how many sites the source names; 0: one per entry
    everywhere: bool = False  # the source says every system has it by the end point

    @property
    def named(self) -> int:
        return self.count or len(self.sites)


@dataclass(frozen=True)
class Choice:
    """A choice the catalogue makes where the sources cannot settle a question, in words
    the Notes sheet shows as written."""

    id: str
    text: str
    ambitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actual:
    """Which published actual measures an ambition, and how (catalogue `[[actual]]`), or
    why none does (`none`). The delivery view compares it with the ambition's fair shares."""

    ambition: str
    label: str
    source: str = ""  # a shipped actuals table (store.ACTUAL_SOURCES); empty with `none`
    measure: str = ""
    denominator: str = ""  # a rate: measure / denominator x 100
    period: str = ""  # "12 months to quarter end" or "financial year"
    quarter: str = ""  # with "12 months to quarter end": the quarter standing for its year
    none: str = ""  # why nothing measures the ambition
    note: str = ""

    @property
    def how(self) -> str:
        """How the actual is measured, in words (a column of delivery.csv)."""
        if self.none:
            return ""
        when = f"12 months to the end of {self.quarter}" if self.quarter else self.period
        what = f"{self.measure} / {self.denominator} x 100" if self.denominator else self.measure
        return f"{what}, {when}"


@dataclass(frozen=True)
class Catalogue:
    """A loaded catalogue: every ambition phased over `years`, the bases they may be split
    by, and the sha256 a run records, so a run's figures can be traced to these inputs."""

    name: str
    years: tuple[str, ...]
    ambitions: tuple[Ambition, ...]
    bases: dict[str, Basis]
    path: Path
    sha256: str  # over the catalogue, any file it extends, the bases file and any overrides
    title: str = ""
    programmes: dict[str, str] | None = None  # programme -> its name in the seed tables
    choices: tuple[Choice, ...] = ()
    source: str = ""  # the planning round's document
    # the round's data: the geography in force in its years and the years its bases use
    # (a run's defaults; its flags override them)
    geography: str = DEFAULT_GEOGRAPHY
    population_year: int = DEFAULT_POPULATION_YEAR
    need_year: str = ""
    benchmark: str = ""  # what its fair shares are for a reader (the Cover says it)
    actuals: tuple[Actual, ...] = ()  # what published delivery measures which ambition

    def get(self, ambition_id: str) -> Ambition:
        """The ambition with this ID (KeyError if the catalogue has none)."""
        for a in self.ambitions:
            if a.id == ambition_id:
                return a
        raise KeyError(ambition_id)
