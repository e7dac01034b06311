"""The planning spec: what the planning export and plan assurance know of each ambition's
planning line, as one frozen record.

It is read from the catalogue's planning TOML (`refs.load`: references, measurement
rules, denominators' definitions) plus the catalogue (directions, carried starting
levels) and the run's options (denominators for its geography, the percentage scale,
sub-ICB and place rows; `job.pipeline`). It travels to worker processes in
`WorkbookMeta.planning` and is saved twice: in `workbooks.json` (`to_json`/`from_json`)
and as `planning/profile.json` (`to_profile`/`from_profile`), which `mhtool check` and
`mhtool assure` read back, also as an earlier mhtool wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace

from mhtool.errors import InputError
from mhtool.infra.folder import PLANNING_PROFILE
from mhtool.planning.template import HUNDRED, OLD_SCALE, PERCENT_SCALES
from mhtool.vocab import HIGHER_IS_BETTER

#: How a measure is counted through a year; see the planning TOML's header.
RULES = ("rolling_12m", "in_year_cumulative", "point_in_time", "quarterly")
DEFAULT_RULE = "point_in_time"
DENOMINATOR_TABLES = ("smi_register",)
#: profile.json's note when the planning file gives none.
DEFAULT_NOTE = "Indicative monthly profile made by mhtool from the year's fair share; not a plan."


@dataclass(frozen=True)
class PlanningRef:
    """One ambition's planning line: its reference (confirmed only where `ref_source`
    states it), how it is counted through a year, and for a Percentage what its numerator
    and denominator count (the denominator from `denominator_table` of that QOF year)."""

    ambition_id: str
    rule: str = DEFAULT_RULE
    confirmed: bool = False
    planning_ref: str = ""
    ref_source: str = ""
    ref_note: str = ""
    numerator: str = ""
    denominator: str = ""
    denominator_table: str = ""
    denominator_qof_year: str = ""
    definition_source: str = ""

    @property
    def confirmed_ref(self) -> str:
        """The reference a template file may carry: only a confirmed one."""
        return self.planning_ref if self.confirmed else ""

    @classmethod
    def from_json(cls, data: Mapping, where: str = PLANNING_PROFILE) -> PlanningRef:
        """A saved ref; a field an earlier mhtool did not write takes its default, one a
        later mhtool added is left out."""
        if not isinstance(data, Mapping) or not isinstance(data.get("ambition_id"), str):
            raise InputError(
                "every entry of refs must be a table with its ambition_id",
                file=where,
                field="refs",
            )
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Start:
    """The level a carried rate or standard had in the year before its first figure."""

    year: str
    value: float


@dataclass(frozen=True)
class PlanningSpec:
    """Everything the planning files are made and checked with (`PlanningSpec()`: no
    planning file, every ambition on the default rule, percentages on 0-100)."""

    file: str | None = None  # the planning TOML's name, None without one
    profile_note: str = ""
    refs: dict[str, PlanningRef] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)  # only the lower-is-better
    starts: dict[str, Start] = field(default_factory=dict)
    denominators: dict[str, dict[str, float]] = field(default_factory=dict)  # aid → org → n
    percent_scale: str = HUNDRED
    subicb: bool = False  # sub-ICB rows in the export
    places: bool = False  # place rows in the export
    user_refs: str | None = None  # the name of the user's `--refs` file, if given

    def ref(self, ambition_id: str) -> PlanningRef:
        """The ambition's planning line; one the planning file does not list has no
        reference and the default rule."""
        return self.refs.get(ambition_id) or PlanningRef(ambition_id)

    def rule_of(self, ambition_id: str) -> str:
        """The measurement rule of an ambition's planning line."""
        return self.ref(ambition_id).rule

    def direction_of(self, ambition_id: str) -> str:
        """Which way a plan meets an ambition (vocab.DIRECTIONS); higher-is-better unless
        the catalogue says otherwise."""
        return self.directions.get(ambition_id, HIGHER_IS_BETTER)

    def confirmed_ref(self, ambition_id: str) -> str:
        """The planning reference a template file may carry: only a confirmed one."""
        return self.ref(ambition_id).confirmed_ref

    def known_refs(self) -> set[str]:
        """Every reference the planning file names, confirmed or a candidate."""
        return {r.planning_ref for r in self.refs.values() if r.planning_ref}

    def with_user_refs(self, refs: list[dict], file_name: str) -> PlanningSpec:
        """The spec with the user's references confirmed for their ambitions (the export
        then writes those lines to the template files), each saying it came from the
        user's file."""
        table = dict(self.refs)
        for u in refs:
            aid = u["ambition_id"]
            table[aid] = replace(
                self.ref(aid),
                planning_ref=u["planning_ref"],
                confirmed=True,
                ref_source=f"the user's references file {file_name} (row {u['row']})",
            )
        return replace(self, refs=table, user_refs=file_name)

    # --- saved as workbooks.json's `planning` -----------------------------------------

    def to_json(self) -> dict:
        """The spec as plain JSON data (workbooks.json); `places` and `user_refs` only
        when set, as a run has always written them."""
        out = {
            "file": self.file,
            "profile_note": self.profile_note,
            **self._shared(),
            "percent_scale": self.percent_scale,
            "subicb": self.subicb,
        }
        if self.places:
            out["places"] = True
        if self.user_refs is not None:
            out["user_refs"] = self.user_refs
        return out

    @classmethod
    def from_json(cls, data: Mapping, where: str = "workbooks.json") -> PlanningSpec:
        """What to_json wrote (a field it did not write then takes its default)."""
        return cls._read(
            data,
            where,
            file=data.get("file"),
            profile_note=str(data.get("profile_note") or ""),
            percent_scale=data.get("percent_scale", HUNDRED),
            user_refs=data.get("user_refs"),
        )

    # --- saved as planning/profile.json ---------------------------------------------------

    def to_profile(self) -> dict:
        """The spec as planning/profile.json records it (beside the run's own facts)."""
        return {
            "note": self.profile_note or DEFAULT_NOTE,
            "planning_file": self.file,
            "subicb": self.subicb,
            "percent_scale": self.percent_scale,
            **({"places": True} if self.places else {}),
            **self._shared(),
        }

    @classmethod
    def from_profile(cls, record: Mapping, where: str = PLANNING_PROFILE) -> PlanningSpec:
        """planning/profile.json as any mhtool wrote it: one written before the scale was
        recorded held proportions, before directions or starts none were recorded; a
        field of the wrong shape is an InputError naming it."""
        if not isinstance(record, Mapping):
            raise InputError("must be a JSON object of the planning spec", file=where)
        return cls._read(
            record,
            where,
            file=record.get("planning_file"),
            profile_note=str(record.get("note") or ""),
            percent_scale=record.get("percent_scale", OLD_SCALE),
        )

    def _shared(self) -> dict:
        return {
            "refs": {aid: asdict(r) for aid, r in self.refs.items()},
            "directions": dict(self.directions),
            "starts": {aid: {"year": s.year, "value": s.value} for aid, s in self.starts.items()},
            "denominators": {aid: dict(d) for aid, d in self.denominators.items()},
        }

    @classmethod
    def _read(cls, data: Mapping, where: str, **given) -> PlanningSpec:
        def table(name: str) -> dict:
            value = data.get(name) or {}
            if not isinstance(value, Mapping):
                raise InputError(f"{name} must be a JSON object", file=where, field=name)
            return dict(value)

        if given["percent_scale"] not in PERCENT_SCALES:
            raise InputError(
                f"percent_scale {given['percent_scale']!r} is not one of "
                f"{', '.join(PERCENT_SCALES)}",
                file=where,
                field="percent_scale",
            )
        try:
            starts = {a: Start(str(s["year"]), s["value"]) for a, s in table("starts").items()}
        except (KeyError, TypeError):
            raise InputError(
                "every entry of starts must hold its year and value", file=where, field="starts"
            ) from None
        dens = table("denominators")
        if not all(isinstance(d, Mapping) for d in dens.values()):
            raise InputError(
                "every entry of denominators must map organisations to numbers",
                file=where,
                field="denominators",
            )
        return cls(
            refs={a: PlanningRef.from_json(r, where) for a, r in table("refs").items()},
            directions={a: str(d) for a, d in table("directions").items()},
            starts=starts,
            denominators={a: dict(d) for a, d in dens.items()},
            subicb=bool(data.get("subicb")),
            places=bool(data.get("places")),
            **given,
        )
