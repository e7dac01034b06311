"""Plans against fair shares: check plan rows against a run, sum them up the hierarchy
and compare each level with its fair share.

The run folder gives everything compared with: the spine (fair shares), its geography
(manifest.json) and `planning/profile.json` (which planning reference is which ambition,
and how each is measured through the year). Steps:

1. check each row: its organisation (a region's own row, an ICB or sub-ICB of the run's
   geography, or a provider, which must name its ICB in `icb_code`), codes of another
   geography vintage;
2. keep one version per ICB (and per region's own rows): `--source` if given, else the
   latest source named like `*_plan` (`June24_plan` after `may24_plan`), else the latest
   by the date in its name, else the one read last; actuals (`*actual*`) are kept too, as
   delivery; a `variance` is never used;
3. duplicates (same org × reference × measure type × year × source) are rejected;
4. map each planning reference to its ambition (the run's confirmed references, and the
   user's `--refs`); others are reported as not compared, never dropped;
5. a rate or standard (a carried kind) is compared as its Percentage (on 0-100, as read);
   any other Percentage needs its Numerator and Denominator and is recomputed;
6. turn each row's months into the figure the ambition is measured on (year end for
   rolling, point-in-time and quarterly measures, the sum for in-year counts);
7. sum providers and sub-ICB locations to their ICB (an ICB's own row, where given, is
   its plan), ICBs to regions (a region's own row, where given, is its plan, and is
   checked against the sum of its ICBs), regions to England; percentages are recomputed
   from the summed numerators and denominators at every level, never averaged;
8. compare plans, then actuals: figure, fair share, gap, % of fair share and a rating.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.assure.read import ACTUAL, PLAN, VARIANCE, Issue, PlanRow, month_of
from mhtool.errors import InputError
from mhtool.infra.folder import RunFolder
from mhtool.planning import profile
from mhtool.planning.profile import MONTHS
from mhtool.planning.spec import PlanningSpec
from mhtool.refdata import store
from mhtool.spine import read_spine

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DEFAULT_THRESHOLDS = (95.0, 100.0)
PLAN_TYPES = ("Count", "Numerator")


@dataclass(frozen=True)
class Thresholds:
    """Plan as % of fair share. Where more is better (most asks): below `red` is red, from
    `red` to below `green` amber, at or above `green` green. Where less is better
    (vocab.LOWER_IS_BETTER: placements, length of stay) the same band mirrored about
    `green`: at or below `green` green, up to `green` + (`green` - `red`) amber, above red."""

    red: float = DEFAULT_THRESHOLDS[0]
    green: float = DEFAULT_THRESHOLDS[1]

    @classmethod
    def parse(cls, text: str | None) -> Thresholds:
        if not text:
            return cls()
        try:
            red, green = (float(x) for x in text.split(","))
        except ValueError:
            raise InputError(
                "give two percentages, red and green, e.g. 95,100", field="thresholds"
            ) from None
        if not 0 <= red <= green:
            raise InputError("red must be at most green, and not negative", field="thresholds")
        return cls(red, green)

    def rating(
        self,
        pct: float | None,
        direction: str = vocab.HIGHER_IS_BETTER,
        *,
        plan: float | None = None,
        fair: float | None = None,
    ) -> str:
        """The rating in words. A zero fair share (a zero standard such as no inappropriate
        out-of-area placements) has no percentage: where less is better it is met by a
        plan of zero or less and missed by any more."""
        lower = direction == vocab.LOWER_IS_BETTER
        if pct is None and lower and fair == 0 and plan is not None:
            if plan <= 0:
                return "green (at or below a fair share of zero)"
            return "red (above a fair share of zero)"
        if pct is None:
            return "not rated (no fair share to compare with)"
        if lower:
            ceiling = 2 * self.green - self.red
            if pct <= self.green:
                return f"green (at or below {_pct(self.green)} of fair share; less is better)"
            if pct <= ceiling:
                return (
                    f"amber (above {_pct(self.green)} to {_pct(ceiling)} of fair share; "
                    "less is better)"
                )
            return f"red (above {_pct(ceiling)} of fair share; less is better)"
        if pct < self.red:
            return f"red (below {_pct(self.red)} of fair share)"
        if pct < self.green:
            return f"amber ({_pct(self.red)} to below {_pct(self.green)} of fair share)"
        return f"green (at or above {_pct(self.green)} of fair share)"


def _pct(x: float) -> str:
    return f"{x:g}%"


@dataclass
class Run:
    """What a plan is compared with: a run folder's spine, geography and planning spec."""

    folder: Path
    spine: pl.DataFrame
    geography: str
    spec: PlanningSpec
    data_date: str = ""

    @cached_property
    def kinds(self) -> dict[str, str]:
        """ambition_id → its kind (a rate or standard is carried, never summed)."""
        return dict(self.spine.select("ambition_id", "kind").unique("ambition_id").iter_rows())

    @cached_property
    def unit_kinds(self) -> dict[str, str]:
        """ambition_id → what it is counted in (`percent` is planned as a Percentage)."""
        return dict(self.spine.select("ambition_id", "unit_kind").unique("ambition_id").iter_rows())

    @cached_property
    def fair(self) -> dict[tuple[str, str, str], float]:
        """(org_code, ambition_id, year) → the fair share."""
        cols = ("org_code", "ambition_id", "year", "value")
        return {(o, a, y): v for o, a, y, v in self.spine.select(*cols).iter_rows()}

    @property
    def orgs(self) -> pl.DataFrame:
        return self.spine.select(
            "level", "org_code", "org_name", "parent_code", "region_code"
        ).unique("org_code", keep="first")


def load_run(folder: Path) -> Run:
    """The run a plan is held to: its spine (and the settings its manifest records)."""
    folder = Path(folder)
    spine_path = RunFolder(folder).spine_parquet
    if not spine_path.is_file():
        raise InputError(
            "no apportionment.parquet here; give the folder `mhtool run` wrote",
            file=str(folder),
            field="--against",
        )
    profile_path = RunFolder(folder).planning_profile
    try:
        record = json.loads(profile_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            "cannot read the run's planning references (run mhtool run again to write it)",
            file=str(profile_path),
        ) from None
    geography = ""
    manifest = RunFolder(folder).manifest
    if manifest.is_file():
        try:
            geography = str(
                json.loads(manifest.read_text()).get("settings", {}).get("geography", "")
            )
        except ValueError:
            geography = ""
    spec = PlanningSpec.from_profile(record, str(profile_path))
    return Run(folder, read_spine(spine_path), geography, spec, str(record.get("data_date", "")))


# --- 1. rows against the run ---------------------------------------------------------------


@dataclass
class Use:
    """A row that can be compared: its organisation's ICB (None for a region's own row),
    region, ambition and the figure the ambition is measured on."""

    row: PlanRow
    icb: str | None
    region: str
    aid: str = ""
    figure: float = 0.0

    @property
    def unit(self) -> str:
        """The ICB, or for a region's own row the region: where a version is chosen."""
        return self.icb or self.region


def _other_vintages(run: Run) -> dict[str, str]:
    """Codes of ICBs and sub-ICB locations in other shipped geographies → that vintage."""
    known = set(run.orgs.get_column("org_code").to_list())
    out: dict[str, str] = {}
    try:
        vintages = store.vintages()
    except InputError:
        return out
    for v in vintages:
        if v == run.geography:
            continue
        g = store.geography(v)
        for code in [*g.get_column("icb_code").to_list(), *g.get_column("subicb_code").to_list()]:
            if code not in known:
                out.setdefault(code, v)
    return out


def _place(r: PlanRow, run: Run, level: dict, parent: dict, old: dict) -> Use | Issue:
    """Where a row belongs (its ICB and region, or a region's own row), or the Issue that
    stops it being used."""
    where = f"geography {run.geography}" if run.geography else "the run's geography"

    def bad(field: str, problem: str, cause: str) -> Issue:
        return Issue(r.file, r.row, field, problem, cause=cause)

    for field_name, code in (("org_code", r.org_code), ("icb_code", r.icb_code)):
        if code and code in old:
            return bad(
                field_name,
                f"{code} is a code of the {old[code]} geography; the run uses {where}",
                "code of another geography",
            )
    lv = level.get(r.org_code)
    if lv == "england":
        return bad(
            "org_code",
            f"{r.org_code} is England: plans are read for regions, ICBs and below "
            "(England is their sum)",
            "England row",
        )
    if lv == "region":
        if r.icb_code and r.icb_code != r.org_code:
            return bad(
                "icb_code", f"{r.org_code} is a region: its icb_code is itself", "wrong icb_code"
            )
        return Use(r, None, r.org_code)
    if lv in ("icb", "subicb"):
        icb = r.org_code if lv == "icb" else parent[r.org_code]
        if r.icb_code and r.icb_code != icb:
            return bad(
                "icb_code", f"{r.org_code} is in ICB {icb}, not {r.icb_code}", "wrong icb_code"
            )
        return Use(r, icb, parent[icb])
    if not r.icb_code:
        return bad(
            "org_code",
            f"{r.org_code} is not an ICB or sub-ICB location of {where}; a provider row "
            "needs the icb_code of its ICB",
            "unknown organisation",
        )
    if level.get(r.icb_code) != "icb":
        return bad("icb_code", f"{r.icb_code} is not an ICB of {where}", "unknown ICB")
    return Use(r, r.icb_code, parent[r.icb_code])


def _duplicates(uses: list[Use]) -> tuple[list[Use], list[Issue]]:
    seen: dict[tuple, list[PlanRow]] = defaultdict(list)
    for u in uses:
        r = u.row
        seen[(r.org_code, r.planning_ref, r.measure_type, r.fin_year, r.source)].append(r)
    issues, dup = [], set()
    for group in seen.values():
        if len(group) > 1:
            where = ", ".join(f"{Path(g.file).name} row {g.row}" for g in group)
            for g in group:
                dup.add(id(g))
                issues.append(
                    Issue(
                        g.file,
                        g.row,
                        "org_code",
                        f"duplicate: {g.org_code} {g.planning_ref} {g.measure_type} "
                        f"{g.fin_year} source {g.source!r} appears at {where}",
                        cause="duplicate row",
                    )
                )
    return [u for u in uses if id(u.row) not in dup], issues


_MONTH_YEAR = re.compile(r"([a-z]{3,9})[\s_\-]*'?(\d{4}|\d{2})(?!\d)")
_CALENDAR = {m: (i + 3) % 12 + 1 for i, m in enumerate(MONTHS)}  # Apr → 4 … Mar → 3


def version_date(source: str) -> str:
    """The date a version's name carries: an ISO date (`plan 2024-03-01`), or a month and
    year (`June24_plan` → 2024-06); '' when it carries none."""
    m = _DATE.search(source)
    if m:
        return m.group(0)
    for m in _MONTH_YEAR.finditer(source.lower()):
        month = month_of(m.group(1))
        if month:
            year = int(m.group(2))
            return f"{year + 2000 if year < 100 else year:04d}-{_CALENDAR[month]:02d}"
    return ""


def _named_plan(source: str) -> bool:
    return source.strip().lower().endswith("_plan")


def _versions(uses: list[Use], wanted: str | None) -> tuple[list[Use], list[Issue]]:
    """One plan version per ICB (and per region's own rows): `wanted`, else the latest
    source named like `*_plan`, else the latest by the date in its name, else the one read
    last. Actuals: the latest actual source, compared as delivery. Variances: never."""
    order: dict[str, int] = {}
    for i, u in enumerate(uses):
        order[u.row.source] = i
    by_unit: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u in uses:
        by_unit[(u.row.role, u.unit)].add(u.row.source)

    def latest(sources: set[str]) -> str:
        named = {s for s in sources if _named_plan(s)} or sources
        return max(named, key=lambda x: (version_date(x), order[x]))

    chosen = {
        key: wanted if wanted is not None and key[0] == PLAN else latest(s)
        for key, s in by_unit.items()
    }
    keep, issues = [], []
    for u in uses:
        r = u.row
        if r.role == VARIANCE:
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "source",
                    f"{r.source!r} is a variance (actual minus plan), never a plan",
                    "not used",
                    "variance (never a plan)",
                )
            )
            continue
        pick = chosen[(r.role, u.unit)]
        if r.source == pick:
            keep.append(u)
            continue
        if r.role == ACTUAL:
            why = f"the latest actuals for {u.unit} are {pick!r}"
        elif wanted is not None:
            why = f"--source {wanted!r} was asked for"
        else:
            why = f"the latest plan version for {u.unit} is {pick!r}"
        issues.append(
            Issue(
                r.file,
                r.row,
                "source",
                f"version {r.source!r} not used: {why}",
                "not used",
                "another version",
            )
        )
    return keep, issues


def refs_index(run: Run, user: list[dict] | None = None) -> dict[tuple[str, str], str]:
    """(planning_ref, measure_type or '') → ambition: the run's confirmed references, then
    the user's (`--refs`), which win."""
    out = {(ref.confirmed_ref, ""): aid for aid, ref in run.spec.refs.items() if ref.confirmed_ref}
    for u in user or []:
        out[(u["planning_ref"], u.get("measure_type", ""))] = u["ambition_id"]
    return out


def _mapped(uses: list[Use], run: Run, index: dict) -> tuple[list[Use], list[Issue]]:
    """Each row's ambition, or the Issue saying its reference maps to none."""
    candidates = {
        ref.planning_ref: aid
        for aid, ref in run.spec.refs.items()
        if ref.planning_ref and not ref.confirmed
    }
    keep, issues = [], []
    for u in uses:
        r = u.row
        aid = index.get((r.planning_ref, r.measure_type)) or index.get((r.planning_ref, ""))
        if aid is None:
            hint = (
                f" (a candidate for {candidates[r.planning_ref]}, not confirmed)"
                if r.planning_ref in candidates
                else ""
            ) + "; map it with --refs if you know the ambition it measures"
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "planning_ref",
                    f"{r.planning_ref} is mapped to no ambition in the run's planning "
                    f"references{hint}",
                    "not compared (unmapped)",
                    "candidate reference, not confirmed (--refs maps it)"
                    if r.planning_ref in candidates
                    else "reference mapped to no ambition",
                )
            )
            continue
        u.aid = aid
        keep.append(u)
    return keep, issues


def _percentages(uses: list[Use], run: Run) -> tuple[list[Use], list[Issue]]:
    """A rate or standard (a carried kind) is planned as it is, a Percentage where it is
    in percent, else a Count (zero out-of-area placements), and compared for ICBs and
    regions as given, never summed. Any other Percentage needs its Numerator and
    Denominator (same org, reference, year, source); it is then recomputed from them, so
    the submitted figure is not used."""
    kinds = run.kinds
    have: dict[tuple, set[str]] = defaultdict(set)
    for u in uses:
        r = u.row
        have[(r.org_code, r.planning_ref, r.fin_year, r.source)].add(r.measure_type)
    keep, issues = [], []
    for u in uses:
        r = u.row
        carried = kinds.get(u.aid) in vocab.CARRIED_KINDS
        want = "Percentage" if run.unit_kinds.get(u.aid) == "percent" else "Count"
        if carried and r.measure_type != want:
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "measure_type",
                    f"{u.aid} is a {kinds[u.aid]} every organisation carries, in "
                    f"{run.unit_kinds.get(u.aid)}: it is planned as a {want}",
                    "not compared",
                    "rate or standard not planned in its own unit",
                )
            )
            continue
        if r.measure_type == "Percentage" and not carried:
            if (
                not {"Numerator", "Denominator"}
                <= have[(r.org_code, r.planning_ref, r.fin_year, r.source)]
            ):
                issues.append(
                    Issue(
                        r.file,
                        r.row,
                        "measure_type",
                        "a Percentage without its Numerator and Denominator rows cannot be "
                        "summed or recomputed",
                        cause="Percentage without Numerator and Denominator",
                    )
                )
            else:
                issues.append(
                    Issue(
                        r.file,
                        r.row,
                        "measure_type",
                        "Percentage recomputed from the summed Numerator and Denominator",
                        "note",
                        "Percentage recomputed",
                    )
                )
            continue
        if carried and u.icb is not None and r.org_code != u.icb:
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "org_code",
                    f"{r.org_code} is below its ICB: a rate or standard is compared as an "
                    "ICB or region gives it, never summed from its parts",
                    "not compared",
                    "rate or standard below ICB level",
                )
            )
            continue
        keep.append(u)
    return keep, issues


def checked_rows(
    rows: list[PlanRow], run: Run, source: str | None = None, refs: list[dict] | None = None
) -> tuple[list[Use], list[Issue]]:
    """The rows that can be compared (plans and actuals), each with its ICB, ambition and
    year figure, and the Issues of the others."""
    orgs = run.orgs
    level = dict(orgs.select("org_code", "level").iter_rows())
    parent = dict(orgs.select("org_code", "parent_code").iter_rows())
    old = _other_vintages(run)
    placed, issues = [], []
    for r in rows:
        got = _place(r, run, level, parent, old)
        (issues.append(got) if isinstance(got, Issue) else placed.append(got))
    placed, more = _versions(placed, source)
    issues += more
    placed, more = _mapped(placed, run, refs_index(run, refs))
    issues += more
    placed, more = _duplicates(placed)
    issues += more
    placed, more = _percentages(placed, run)
    issues += more
    usable = []
    for u in placed:
        r = u.row
        rule = run.spec.rule_of(u.aid)
        figure = r.value if r.months is None else profile.year_figure(rule, r.months)
        if figure is None:
            fld = "value" if r.months is None else "Mar"
            what = "actuals" if r.role == ACTUAL else "plan"
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    fld,
                    f"no figure for the year ({rule})",
                    "not compared",
                    f"no year figure in the {what}",
                )
            )
            continue
        u.figure = figure
        usable.append(u)
    return usable, issues


# --- 5 and 6. sums and comparison ------------------------------------------------------------


def _sum_to_icbs(usable: list[Use], issues: list[Issue] | None = None) -> dict[tuple, dict]:
    """(ambition, year, ICB) → {"plan", "den", "source", "ref"}: the ICB's own row where it
    has one, else the sum of its providers and sub-ICB locations (each part then listed
    in `issues` as not used)."""
    own: dict[tuple, dict[str, float]] = defaultdict(dict)
    parts: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    info: dict[tuple, tuple[str, str]] = {}
    for u in usable:
        r = u.row
        key = (u.aid, r.fin_year, u.unit)
        kind = "plan" if r.measure_type in PLAN_TYPES else "den"
        info[key] = (r.source, r.planning_ref)
        if r.org_code == u.unit:
            own[key][kind] = own[key].get(kind, 0.0) + u.figure
        else:
            parts[key][kind] += u.figure
    if issues is not None:
        for u in usable:
            r = u.row
            if r.org_code != u.unit and (u.aid, r.fin_year, u.unit) in own:
                issues.append(
                    Issue(
                        r.file,
                        r.row,
                        "org_code",
                        f"{u.unit} gave its own row for {r.planning_ref} {r.fin_year}, which "
                        f"is its plan; {r.org_code}'s row is not added to it",
                        "not used",
                        "part of an organisation that gave its own row",
                    )
                )
    out = {}
    for key in sorted(set(own) | set(parts)):
        got = own.get(key) or dict(parts[key])
        out[key] = {**got, "source": info[key][0], "ref": info[key][1]}
    return out


COLUMNS = [
    "compared",
    "level",
    "region_code",
    "org_code",
    "org_name",
    "ambition_id",
    "planning_ref",
    "measure_type",
    "fin_year",
    "plan",
    "fair_share",
    "gap",
    "pct_of_fair_share",
    "rating",
    "shortfall",
    "systems_planned",
    "source",
]
COMPARED = {PLAN: "plan", ACTUAL: "actual delivery"}


def compare(usable: list[Use], run: Run, thresholds: Thresholds) -> tuple[pl.DataFrame, list]:
    """Plans, then actuals (compared as delivery), against fair shares: one row per
    organisation (ICB, region, England) × ambition × year, and for a measure with a
    denominator one more for its percentage; and the Issues found on the way (a region's
    own row that differs from the sum of its ICBs)."""
    rows, issues = [], []
    for role_ in (PLAN, ACTUAL):
        got, more = _compare([u for u in usable if u.row.role == role_], run, thresholds)
        rows += [r | {"compared": COMPARED[role_]} for r in got]
        issues += more
    schema = {c: pl.String for c in COLUMNS} | {
        c: pl.Float64 for c in ("plan", "fair_share", "gap", "pct_of_fair_share", "shortfall")
    }
    return pl.DataFrame(rows, schema=schema).select(COLUMNS), issues


def _group() -> dict:
    return {"plan": 0.0, "den": 0.0, "has_den": True, "n": 0, "sources": set(), "ref": ""}


def _add(g: dict, got: dict, n: int) -> None:
    g["plan"] += got.get("plan", 0.0)
    g["has_den"] = g["has_den"] and (got["has_den"] if "has_den" in got else "den" in got)
    g["den"] += got.get("den", 0.0)
    g["n"] += n
    g["sources"] |= got["sources"] if "sources" in got else {got["source"]}
    g["ref"] = got["ref"]


def _compare(usable: list[Use], run: Run, thresholds: Thresholds) -> tuple[list[dict], list]:
    summed = [u for u in usable if run.kinds.get(u.aid) not in vocab.CARRIED_KINDS]
    issues: list[Issue] = []
    icbs = _sum_to_icbs([u for u in summed if u.icb is not None], issues)
    own_regions = _sum_to_icbs([u for u in summed if u.icb is None])
    orgs = run.orgs
    name = dict(orgs.select("org_code", "org_name").iter_rows())
    region_of = dict(
        orgs.filter(pl.col("level") == "icb").select("org_code", "parent_code").iter_rows()
    )
    n_icbs: dict[str, int] = defaultdict(int)
    for reg in region_of.values():
        n_icbs[reg] += 1
    dens = run.spec.denominators
    groups: dict[tuple, dict] = {}
    icb_sums: dict[tuple, dict] = {}
    for (aid, year, icb), got in icbs.items():
        _add(groups.setdefault(("icb", icb, aid, year), _group()), got, 1)
        _add(icb_sums.setdefault((aid, year, region_of[icb]), _group()), got, 1)
    for key in sorted(set(icb_sums) | set(own_regions)):
        aid, year, reg = key
        parts, own = icb_sums.get(key), own_regions.get(key)
        g = groups.setdefault(("region", reg, aid, year), _group())
        _add(g, own or parts, 0)
        g["n"] = parts["n"] if parts else 0
        g["own"] = own is not None
        if own and parts:
            issues += _region_check(usable, reg, aid, year, own, parts, n_icbs[reg])
        _add(groups.setdefault(("england", vocab.ENGLAND_CODE, aid, year), _group()), g, g["n"])
    out = []
    order = {lv: i for i, lv in enumerate(vocab.LEVELS)}
    for (lv, org, aid, year), g in sorted(
        groups.items(), key=lambda kv: (kv[0][2], kv[0][3], order[kv[0][0]], kv[0][1])
    ):
        total = len(region_of) if lv == "england" else (n_icbs[org] if lv == "region" else 1)
        planned = f"{g['n']} of {total}"
        if g.get("own"):
            planned = f"region's own row ({planned} systems)"
        base = _base((lv, org, aid, year), g["ref"], planned, g["sources"], (name, region_of))
        want = run.fair.get((org, aid, year))
        way = run.spec.direction_of(aid)
        out.append(base | _measures("Count", g["plan"], want, thresholds, way, whole=True))
        den_fair = dens.get(aid, {}).get(org)
        if aid in dens and g["has_den"] and g["den"]:
            plan_pct = 100 * g["plan"] / g["den"]
            fair_pct = None if want is None or not den_fair else 100 * want / den_fair
            out.append(
                base | _measures("Percentage", plan_pct, fair_pct, thresholds, way, whole=False)
            )
    ids = {id(u) for u in summed}
    for u in (u for u in usable if id(u) not in ids):  # rates: each as planned, never summed
        r, lv = u.row, ("icb" if u.icb else "region")
        base = _base(
            (lv, r.org_code, u.aid, r.fin_year),
            r.planning_ref,
            "1 of 1" if u.icb else "region's own row",
            {r.source},
            (name, region_of),
        )
        want = run.fair.get((r.org_code, u.aid, r.fin_year))
        way = run.spec.direction_of(u.aid)
        whole = r.measure_type == "Count"
        out.append(base | _measures(r.measure_type, u.figure, want, thresholds, way, whole=whole))
    return out, issues


def _base(key: tuple, ref: str, planned: str, sources, where: tuple[dict, dict]) -> dict:
    """The columns naming a result row; `where`: org → name, ICB → region."""
    lv, org, aid, year = key
    name, region_of = where
    return {
        "level": lv,
        "region_code": None if lv == "england" else (org if lv == "region" else region_of.get(org)),
        "org_code": org,
        "org_name": name.get(org, org),
        "ambition_id": aid,
        "planning_ref": ref,
        "fin_year": year,
        "systems_planned": planned,
        "source": "; ".join(sorted(sources)),
    }


def _region_check(usable, reg, aid, year, own, parts, total) -> list[Issue]:
    """A region's own row against the sum of its ICBs' plans (where both are given)."""
    problems = []
    for kind, label in (("plan", "figure"), ("den", "denominator")):
        a, b = own.get(kind), parts.get(kind)
        if a is None or b is None or abs(a - b) <= 1e-6 * max(1.0, abs(a)):
            continue
        row = next(
            u.row
            for u in usable
            if u.icb is None and u.region == reg and u.aid == aid and u.row.fin_year == year
        )
        problems.append(
            Issue(
                row.file,
                row.row,
                "org_code",
                f"the region's own {label} for {aid} {year} ({a:g}) differs from the sum of "
                f"its {parts['n']} of {total} ICBs that planned ({b:g}) by {a - b:+g}; the "
                "region's own row is compared",
                "note",
                "region row differs from the sum of its ICBs",
            )
        )
    return problems


def _measures(mtype, plan, fair, thresholds: Thresholds, direction: str, *, whole: bool) -> dict:
    """Plan against fair share. The shortfall is how far the plan misses the ambition: below
    the fair share where more is better, above it where less is better."""
    pct = None if fair in (None, 0) else 100 * plan / fair
    gap = None if fair is None else plan - fair
    missed = gap if direction == vocab.LOWER_IS_BETTER else None if gap is None else -gap
    shortfall = None if missed is None else max(0.0, missed)
    rating = thresholds.rating(pct, direction, plan=plan, fair=fair)
    if not whole:
        plan, fair = round(plan, 2), None if fair is None else round(fair, 2)
        gap = None if gap is None else round(gap, 2)
        shortfall = None if shortfall is None else round(shortfall, 2)
    return {
        "measure_type": mtype,
        "plan": plan,
        "fair_share": fair,
        "gap": gap,
        "pct_of_fair_share": None if pct is None else round(pct, 1),
        "rating": rating,
        "shortfall": shortfall,
    }
