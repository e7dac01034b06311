"""A run's settings: what decides its outputs (RunConfig, one field per refresh.toml key and
flag), how it is run (Options), and reading them from a refresh TOML file. Light on
purpose: the command line imports this at start-up; the pipeline itself loads on demand."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from mhtool import formats, schema, userfiles, vocab
from mhtool.infra.log import quiet
from mhtool.infra.paths import is_name, shown


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's outputs (plus where they go). Every field is a
    refresh.toml key and a flag."""

    catalogue: Path | None = None  # a file, or a shipped catalogue's name
    values: Path | None = None
    geography: str | None = None  # None: the catalogue's (with_catalogue)
    population_year: int | None = None  # None: the catalogue's
    out: Path | None = None
    level: str = "icb"
    planning_subicb: bool = False
    planning_places: bool = False  # the planning export carries the places too (--places)
    planning_proportions: bool = False  # percentages as proportions, not NHS England's 0-100
    refs: Path | None = None  # a user's planning_ref,ambition_id CSV (planning.refs.user_refs)
    region: str | None = None
    system: str | None = None
    contact: str | None = None
    reference_data: Path | None = None
    raw: Path | None = None
    rebuild_reference_data: bool = False
    places: str | None = None  # pcn, la, practice or a CSV file (mhtool.places)
    unallocated: str = "place"  # a user's left-out practices: an unallocated place, or stop

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_catalogue(self, catalogue) -> RunConfig:
        """The settings with the catalogue's geography and population year wherever none
        was given: a planning round's data is the catalogue's, a flag still overrides."""
        return replace(
            self,
            geography=str(self.geography or catalogue.geography),
            population_year=self.population_year or catalogue.population_year,
        )

    def recorded(self) -> dict:
        """The config as the manifest keeps it: no output path (where, not what), paths
        inside the project made relative so a checkout anywhere records the same."""
        out = {k: _shown(v) for k, v in asdict(self).items() if k != "out"}
        if self.places and self.places not in vocab.PLACE_KINDS:  # a file of the user's own
            out["places"] = shown(Path(self.places))
        return out


@dataclass
class Options:
    """How to run, not what: these never change the outputs' bytes."""

    command: str = "mhtool run"
    check: bool = False
    compare: bool = False
    keep_failed_log: bool = False
    terminal_level: int = logging.WARNING
    progress: bool = False


def _shown(v):
    return shown(v) if isinstance(v, Path) else v


PATH_KEYS = {"catalogue", "values", "refs", "out", "reference_data", "raw"}


def read_config(path: Path) -> dict:
    """The file's settings, checked against mhtool/schemas/refresh.schema.json, with paths
    resolved against the file's folder."""
    doc = userfiles.read_toml(path)
    formats.declared(doc, "refresh", file=path)
    doc.pop("format", None)  # which format the file is in, not a setting
    schema.validate(doc, "refresh", file=path)
    out = {}
    for key, value in doc.items():
        if key == "catalogue" and is_name(value):
            pass  # a shipped catalogue's name, not a path
        elif key in PATH_KEYS or (key == "places" and value not in vocab.PLACE_KINDS):
            value = (path.parent / value).resolve()
        out[key] = str(value) if key in ("geography", "places") else value
    return out


def progress_wanted() -> bool:
    """Progress is told unless -q: on a terminal as a line, elsewhere as log lines."""
    return not quiet()
