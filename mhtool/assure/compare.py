"""Plans against fair shares: check plan rows against a run, sum them up the hierarchy
and compare each level with its fair share.

The run folder gives everything compared with: the spine (fair shares), its geography
(manifest.json) and `planning/profile.json` (which planning reference is which ambition,
and how each is measured through the year). Steps:

1. check each row: its organisation (an ICB or sub-ICB of the run's geography, or a
   provider, which must name its ICB in `icb_code`), codes of another geography vintage,
   duplicates (same org × reference × measure type × year × source), a Percentage without
   its Numerator and Denominator;
2. keep one plan version per ICB: `--source` if given, else the latest (the source text
   with the latest ISO date, else the one read last);
3. map each planning reference to its ambition (confirmed references only); others are
   reported as not compared, never dropped;
4. turn each row's months into the figure the ambition is measured on (year end for
   rolling, point-in-time and quarterly measures, the sum for in-year counts);
5. sum providers and sub-ICB locations to their ICB (an ICB's own row, where given, is
   its plan), ICBs to regions, regions to England; percentages are recomputed from the
   summed numerators and denominators at every level, never averaged;
6. compare: plan, fair share, gap, plan as % of fair share and a rating in words.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.assure.read import Issue, PlanRow
from mhtool.errors import InputError
from mhtool.planning import profile
from mhtool.planning import refs as planning_refs

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
    spec: dict
    data_date: str = ""

    @property
    def orgs(self) -> pl.DataFrame:
        return self.spine.select(
            "level", "org_code", "org_name", "parent_code", "region_code"
        ).unique("org_code", keep="first")


def load_run(folder: Path) -> Run:
    """The run a plan is held to: its spine (and the settings its manifest records)."""
    from mhtool.infra.folder import RunFolder
    from mhtool.spine import read_spine

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
    spec = {k: record.get(k, {}) for k in ("refs", "denominators", "directions")}
    return Run(folder, read_spine(spine_path), geography, spec, str(record.get("data_date", "")))


# --- 1. rows against the run ---------------------------------------------------------------


def _other_vintages(run: Run) -> dict[str, str]:
    """Codes of ICBs and sub-ICB locations in other shipped geographies → that vintage."""
    from mhtool.refdata import store

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


def _resolve_icb(r: PlanRow, run: Run, level: dict, parent: dict, old: dict) -> str | Issue:
    """The ICB a row belongs to, or the Issue that stops it being used."""
    where = f"geography {run.geography}" if run.geography else "the run's geography"

    def bad(field: str, problem: str) -> Issue:
        return Issue(r.file, r.row, field, problem)

    for field_name, code in (("org_code", r.org_code), ("icb_code", r.icb_code)):
        if code and code in old:
            return bad(
                field_name,
                f"{code} is a code of the {old[code]} geography; the run uses {where}",
            )
    lv = level.get(r.org_code)
    if lv in ("england", "region"):
        return bad("org_code", f"{r.org_code} is {lv}-level; plans are read for ICBs and below")
    if lv in ("icb", "subicb"):
        icb = r.org_code if lv == "icb" else parent[r.org_code]
        if r.icb_code and r.icb_code != icb:
            return bad("icb_code", f"{r.org_code} is in ICB {icb}, not {r.icb_code}")
        return icb
    if not r.icb_code:
        return bad(
            "org_code",
            f"{r.org_code} is not an ICB or sub-ICB location of {where}; a provider row "
            "needs the icb_code of its ICB",
        )
    if level.get(r.icb_code) != "icb":
        return bad("icb_code", f"{r.icb_code} is not an ICB of {where}")
    return r.icb_code


def _duplicates(rows: list[tuple[PlanRow, str]]) -> tuple[list, list[Issue]]:
    seen: dict[tuple, list[PlanRow]] = defaultdict(list)
    for r, _ in rows:
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
                    )
                )
    return [(r, icb) for r, icb in rows if id(r) not in dup], issues


def _version_key(source: str, order: int) -> tuple:
    m = _DATE.search(source)
    return (m.group(0) if m else "", order)


def _versions(rows, wanted: str | None) -> tuple[list, list[Issue]]:
    """One source per ICB: `wanted`, or the latest."""
    order: dict[str, int] = {}
    for i, (r, _) in enumerate(rows):
        order[r.source] = i
    by_icb: dict[str, set[str]] = defaultdict(set)
    for r, icb in rows:
        by_icb[icb].add(r.source)
    chosen = {
        icb: wanted if wanted is not None else max(s, key=lambda x: _version_key(x, order[x]))
        for icb, s in by_icb.items()
    }
    keep, issues = [], []
    for r, icb in rows:
        if r.source == chosen[icb]:
            keep.append((r, icb))
        else:
            why = (
                f"--source {wanted!r} was asked for"
                if wanted is not None
                else f"the latest version for {icb} is {chosen[icb]!r}"
            )
            issues.append(
                Issue(r.file, r.row, "source", f"version {r.source!r} not used: {why}", "not used")
            )
    return keep, issues


def _percentages(rows) -> tuple[list, list[Issue]]:
    """A Percentage needs its Numerator and Denominator (same org, reference, year,
    source); it is then recomputed from them, so the submitted figure is not used."""
    have: dict[tuple, set[str]] = defaultdict(set)
    for r, _ in rows:
        have[(r.org_code, r.planning_ref, r.fin_year, r.source)].add(r.measure_type)
    keep, issues = [], []
    for r, icb in rows:
        if r.measure_type != "Percentage":
            keep.append((r, icb))
            continue
        types = have[(r.org_code, r.planning_ref, r.fin_year, r.source)]
        if not {"Numerator", "Denominator"} <= types:
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "measure_type",
                    "a Percentage without its Numerator and Denominator rows cannot be "
                    "summed or recomputed",
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
                )
            )
    return keep, issues


def checked_rows(rows: list[PlanRow], run: Run, source: str | None = None):
    """The rows that can be compared, as (row, ICB, ambition, year figure), and Issues."""
    orgs = run.orgs
    level = dict(orgs.select("org_code", "level").iter_rows())
    parent = dict(orgs.select("org_code", "parent_code").iter_rows())
    old = _other_vintages(run)
    placed, issues = [], []
    for r in rows:
        icb = _resolve_icb(r, run, level, parent, old)
        (issues.append(icb) if isinstance(icb, Issue) else placed.append((r, icb)))
    placed, more = _duplicates(placed)
    issues += more
    placed, more = _versions(placed, source)
    issues += more
    placed, more = _percentages(placed)
    issues += more
    by_ref = {
        ref["planning_ref"]: aid
        for aid, ref in run.spec.get("refs", {}).items()
        if ref.get("confirmed") and ref.get("planning_ref")
    }
    candidates = {
        ref["planning_ref"]: aid
        for aid, ref in run.spec.get("refs", {}).items()
        if ref.get("planning_ref") and not ref.get("confirmed")
    }
    usable = []
    for r, icb in placed:
        aid = by_ref.get(r.planning_ref)
        if aid is None:
            hint = (
                f" (a candidate for {candidates[r.planning_ref]}, not confirmed)"
                if r.planning_ref in candidates
                else ""
            )
            issues.append(
                Issue(
                    r.file,
                    r.row,
                    "planning_ref",
                    f"{r.planning_ref} is mapped to no ambition in the run's planning "
                    f"references{hint}",
                    "not compared (unmapped)",
                )
            )
            continue
        rule = planning_refs.rule_of(run.spec, aid)
        figure = r.value if r.months is None else profile.year_figure(rule, r.months)
        if figure is None:
            field = "value" if r.months is None else "Mar"
            issues.append(
                Issue(r.file, r.row, field, f"no figure for the year ({rule})", "not compared")
            )
            continue
        usable.append((r, icb, aid, figure))
    return usable, issues


# --- 5 and 6. sums and comparison ------------------------------------------------------------


def _sum_to_icbs(usable) -> dict[tuple, dict]:
    """(ambition, year, ICB) → {"plan", "den", "source", "ref"}: the ICB's own row where it
    has one, else the sum of its providers and sub-ICB locations."""
    own: dict[tuple, dict[str, float]] = defaultdict(dict)
    parts: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    info: dict[tuple, tuple[str, str]] = {}
    for r, icb, aid, figure in usable:
        key = (aid, r.fin_year, icb)
        kind = "plan" if r.measure_type in PLAN_TYPES else "den"
        info[key] = (r.source, r.planning_ref)
        if r.org_code == icb:
            own[key][kind] = own[key].get(kind, 0.0) + figure
        else:
            parts[key][kind] += figure
    out = {}
    for key in sorted(set(own) | set(parts)):
        got = own.get(key) or dict(parts[key])
        out[key] = {**got, "source": info[key][0], "ref": info[key][1]}
    return out


COLUMNS = [
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


def compare(usable, run: Run, thresholds: Thresholds) -> pl.DataFrame:
    """One row per organisation (ICB, region, England) × ambition × year planned, and for
    a measure with a denominator one more for its percentage."""
    icbs = _sum_to_icbs(usable)
    orgs = run.orgs
    name = dict(orgs.select("org_code", "org_name").iter_rows())
    region_of = dict(
        orgs.filter(pl.col("level") == "icb").select("org_code", "parent_code").iter_rows()
    )
    n_icbs: dict[str, int] = defaultdict(int)
    for reg in region_of.values():
        n_icbs[reg] += 1
    fair = {
        (r[0], r[1], r[2]): r[3]
        for r in run.spine.select("org_code", "ambition_id", "year", "value").iter_rows()
    }
    dens = run.spec.get("denominators", {})
    groups: dict[tuple, dict] = {}
    for (aid, year, icb), got in icbs.items():
        for org, lv in (
            (icb, "icb"),
            (region_of.get(icb), "region"),
            (vocab.ENGLAND_CODE, "england"),
        ):
            g = groups.setdefault(
                (lv, org, aid, year),
                {"plan": 0.0, "den": 0.0, "has_den": True, "n": 0, "sources": set(), "ref": ""},
            )
            g["plan"] += got.get("plan", 0.0)
            g["has_den"] = g["has_den"] and "den" in got
            g["den"] += got.get("den", 0.0)
            g["n"] += 1
            g["sources"].add(got["source"])
            g["ref"] = got["ref"]
    order = {lv: i for i, lv in enumerate(vocab.LEVELS)}
    out = []
    for (lv, org, aid, year), g in sorted(
        groups.items(), key=lambda kv: (kv[0][2], kv[0][3], order[kv[0][0]], kv[0][1])
    ):
        region = org if lv == "region" else region_of.get(org)
        total = len(region_of) if lv == "england" else (n_icbs[org] if lv == "region" else 1)
        base = {
            "level": lv,
            "region_code": region if lv != "england" else None,
            "org_code": org,
            "org_name": name.get(org, org),
            "ambition_id": aid,
            "planning_ref": g["ref"],
            "fin_year": year,
            "systems_planned": f"{g['n']} of {total}",
            "source": "; ".join(sorted(g["sources"])),
        }
        want = fair.get((org, aid, year))
        way = planning_refs.direction_of(run.spec, aid)
        out.append(base | _measures("Count", g["plan"], want, thresholds, way, whole=True))
        den_fair = dens.get(aid, {}).get(org)
        if aid in dens and g["has_den"] and g["den"]:
            plan_pct = 100 * g["plan"] / g["den"]
            fair_pct = None if want is None or not den_fair else 100 * want / den_fair
            out.append(
                base | _measures("Percentage", plan_pct, fair_pct, thresholds, way, whole=False)
            )
    schema = {c: pl.String for c in COLUMNS} | {
        c: pl.Float64 for c in ("plan", "fair_share", "gap", "pct_of_fair_share", "shortfall")
    }
    return pl.DataFrame(out, schema=schema).select(COLUMNS)


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
