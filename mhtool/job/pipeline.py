"""The one run pipeline behind `mhtool run` and `mhtool refresh`.

Order matters for safety: take the folder's lock, recover what a killed run left, stage,
(re)build reference data, apportion, write, compare with the previous run, write the
manifest, check — and only then swap the staged folder in. Anything that fails before the
swap leaves the previous run untouched.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import mhtool.outputs
from mhtool import __version__, formats, vocab
from mhtool import places as place_maps
from mhtool.catalogue.load import apply_overrides, chain, load_catalogue
from mhtool.catalogue.rules import basis_warnings
from mhtool.diff import changes as diff
from mhtool.diff import write as change_files
from mhtool.errors import InputError
from mhtool.infra import folder
from mhtool.infra.atomic import staged_folder
from mhtool.infra.folder import RunFolder
from mhtool.infra.lock import lock_path, run_lock
from mhtool.infra.log import (
    LOG,
    close_file_log,
    keep_failed_log,
    log_into,
    logging_to_terminal,
    stage,
)
from mhtool.infra.manifest import file_hashes, sha256, write_manifest
from mhtool.infra.parallel import started
from mhtool.infra.paths import (
    default_output_dir,
    default_raw_dir,
    is_shipped_package_data,
    reference_data_dir,
    shipped_reference_data,
    shown,
    using_reference_data,
)
from mhtool.infra.place import check_inputs_outside, check_not_in_run, check_out_place
from mhtool.job.settings import Options, RunConfig
from mhtool.outputs.check import check_dir
from mhtool.outputs.planning import write as export
from mhtool.outputs.views import delivery
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.place_tables import shown_rows, write_places
from mhtool.outputs.views.scope import plan
from mhtool.planning import refs as planning_refs
from mhtool.planning import template
from mhtool.planning.spec import PlanningSpec
from mhtool.refdata import store
from mhtool.refdata.build import build
from mhtool.spine import build_spine, named_sites, organisations, plain_text, write_spine

SEEDED = ("catalogues", "bases.toml", "planning")  # hand-written files a fresh folder needs


@dataclass
class Result:
    """What a finished run reports: where, how many rows, ambitions and files, how long."""

    out: Path
    rows: int
    ambitions: int
    files: int
    seconds: float
    changes: object | None = None  # mhtool.diff.changes.Changes when compared


class ChecksFailed(Exception):
    """The staged outputs failed mhtool.outputs.check; the previous run was kept."""

    def __init__(self, problems: list[str], log: Path | None):
        self.problems, self.log = problems, log
        super().__init__(f"{len(problems)} check(s) failed; the previous run was left in place")


def execute(cfg: RunConfig, opts: Options) -> Result:
    """Run once, all-or-nothing: lock the folder, stage, build, check and swap in.

    The order is in the module docstring; any failure before the swap leaves the previous
    run as it was (the failed run's log is kept beside it when asked)."""
    started = time.perf_counter()
    out = Path(cfg.out or default_output_dir()).resolve()
    failed_log = RunFolder(out).failed_log
    check_out_place(out, lock_path(out))
    check_not_in_run(out, own=True)
    check_inputs_outside(out, input_paths(cfg))
    with logging_to_terminal(opts.terminal_level), run_lock(out, opts.command):
        with staged_folder(out) as staging:
            log = log_into(staging)
            LOG.info("%s: writing %s (staging in %s)", opts.command, out, staging.name)
            try:
                with _reference_data(cfg):
                    result = _build(cfg, opts, out, staging)
            except BaseException as exc:
                _keep_log(exc, log, out, opts)
                close_file_log()  # so the staging folder can go, on Windows too
                raise
            close_file_log()  # the folder is renamed next
        log_into(out, append=True)
        LOG.info("swapped the new run into %s", out)
        failed_log.unlink(missing_ok=True)
        result.seconds = time.perf_counter() - started
        LOG.info(
            "%s: done in %.1fs; %d files in %s", opts.command, result.seconds, result.files, out
        )
    return result


def _keep_log(exc: BaseException, log: Path, out: Path, opts: Options) -> None:
    """Save a failed run's log beside its folder before the staging folder goes."""
    if not opts.keep_failed_log:
        return
    if not isinstance(exc, ChecksFailed):
        LOG.error("run failed: %s", exc)
    kept = keep_failed_log(log, out)
    LOG.error("previous run left untouched; this run's log: %s", kept)
    if isinstance(exc, ChecksFailed):
        exc.log = kept


@contextlib.contextmanager
def _reference_data(cfg: RunConfig) -> Iterator[Path]:
    """Point the store at the chosen reference data (rebuilt first if asked) for the run."""

    folder = Path(cfg.reference_data or reference_data_dir()).resolve()
    store.clear_cache()
    with using_reference_data(folder), contextlib.ExitStack() as done:
        done.callback(store.clear_cache)
        if cfg.rebuild_reference_data:
            if is_shipped_package_data(folder):
                raise InputError(
                    "the installed package's reference data is read-only: set "
                    "reference_data (or --reference-data) to a folder of your own to rebuild into",
                    file=str(folder),
                    field="reference_data",
                )
            with stage("refdata"):
                _rebuild(Path(cfg.raw or default_raw_dir()), folder)
                store.clear_cache()
        elif not folder.is_dir():
            raise InputError(
                "reference data folder not found (set rebuild_reference_data to build it)",
                file=str(folder),
            )
        yield folder


def _rebuild(raw: Path, folder: Path) -> None:

    if not raw.is_dir():
        raise InputError("raw data folder not found", file=str(raw), field="raw")
    shipped = shipped_reference_data()
    for name in SEEDED:  # a fresh folder gets the shipped catalogues and bases
        src, dst = shipped / name, folder / name
        if src.exists() and not dst.exists() and src.resolve() != dst.resolve():
            folder.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
            LOG.info("seeded %s from %s", dst, src)
    tables = build(raw, folder, progress=lambda s: LOG.info("refdata: %s", s))
    LOG.info("rebuilt %d reference tables in %s from %s", len(tables), folder, raw)


def _build(cfg: RunConfig, opts: Options, out: Path, staging: Path) -> Result:

    with stage("inputs"):
        catalogue = load_catalogue(cfg.catalogue)
        cfg = cfg.with_catalogue(catalogue)
        if cfg.values:
            catalogue = apply_overrides(catalogue, cfg.values)
        # a bad planning file or --refs file stops the run before any work
        planning = _planning_refs(cfg, catalogue)
        # fail fast, before any work, on an unknown vintage, region or system

        scopes = plan(organisations(cfg.geography), region=cfg.region, system=cfg.system)
        places = None
        if cfg.planning_places and not cfg.places:
            raise InputError(
                "--planning-places adds the places to the planning export; it needs "
                "--places KIND|FILE",
                field="planning_places",
            )
        if cfg.places:
            places = place_maps.load(cfg.places, cfg.geography, cfg.unallocated)
            for note in places.notes:
                LOG.info("%s", note)

    for warning in basis_warnings(catalogue):
        LOG.warning("basis: %s", warning)
    # the workbooks' worker processes start now, loading their code while the spine is
    # built (one job per charted organisation: England, regions, ICBs; outputs.batch)
    charted = sum(1 for s in scopes if s.level != "subicb")
    with started(charted, preload=mhtool.outputs.WORKER_MODULES) as pool:
        with stage("spine"):
            spine = build_spine(
                catalogue,
                geography=cfg.geography,
                population_year=cfg.population_year,
                places=places,
                compact=True,  # text categorical: with places the spine has a million rows
            )
        with stage("outputs"):
            write_spine(spine, staging)
            if places is not None:
                import polars as pl

                write_places(spine, staging, places.practices)
                place_rows = shown_rows(spine, every=cfg.planning_places)
                spine_above = spine.filter(pl.col("level") != vocab.PLACE)
            else:
                spine_above, place_rows = spine, None
            # the workbooks, charts and planning export are views of the levels above places
            # (and of the place rows they show), as plain text
            _write_outputs(
                plain_text(spine_above),
                staging,
                cfg,
                catalogue,
                opts,
                planning,
                place_rows,
                places,
                pool,
            )
            del spine_above, place_rows
    changes = None
    extra = {
        "catalogue_sha256": catalogue.sha256,
        "format": formats.MANIFEST,
        "input_paths": {k: shown(p) for k, p in input_paths(cfg).items() if p is not None},
    }
    if opts.compare:
        with stage("compare"):
            changes = _compare(out, staging, plain_text(spine), cfg.geography)
        if changes is not None:
            extra["previous_run"] = {
                "manifest_sha256": sha256(RunFolder(out).manifest),
                "geography": changes.old.geography,
            }
    with stage("manifest"):
        write_manifest(
            staging,
            settings={"catalogue_name": catalogue.name, **cfg.recorded()},
            inputs=_inputs(cfg, catalogue),
            extra=extra,
        )
    if opts.check:
        with stage("checks"):
            problems = _checks(staging)
        if problems:
            for line in problems:
                LOG.error("check failed: %s", line)
            raise ChecksFailed(problems, None)
    files = sum(1 for p in staging.rglob("*") if p.is_file() and p.name != folder.LOG)
    # the catalogue's count, as `mhtool ambitions` gives it (lines without a figure included)
    return Result(out, len(spine), len(catalogue.ambitions), files, 0.0, changes)


def used_bases(spine) -> set[str]:
    """Catalogue names of the bases the spine's figures are split by (a total summed from
    its parts is not split by its own basis, so it does not count)."""
    import polars as pl  # loaded when a run starts, not with the command line

    rows = spine.filter(
        pl.col("basis_name").fill_null("") != "", pl.col("split_method") != vocab.SUM_OF_PARTS
    )
    return set(rows["basis_name"].unique().to_list())


def figure_notes(catalogue, ambition_ids: set[str]) -> list[str]:
    """The catalogue's own words for the Notes sheet: the choices it makes where sources
    are silent, any basis that models another age group than its line, and where each
    figure that is not simply stated came from (inferred, interpolated, phased,
    approximate, or a year reported for England only)."""

    # every line starts with the ambition it concerns, so each workbook shows it in that
    # ambition's note wherever the ambition appears
    warnings = basis_warnings(catalogue)
    notes = []
    for amb in catalogue.ambitions:
        if amb.id not in ambition_ids:
            continue
        if amb.note:
            notes.append(f"{amb.id}: {amb.note}")
        notes += [
            f"{amb.id} (choice {c.id}): {c.text}"
            for c in catalogue.choices
            if amb.id in c.ambitions
        ]
        notes += [f"{amb.id} (basis warning): {w}" for w in warnings if w.startswith(f"{amb.id} ")]
        if amb.basis_note:
            notes.append(f"{amb.id} basis ({amb.basis}): {amb.basis_note}")
        if amb.national_years:
            notes.append(
                f"{amb.id} {', '.join(amb.national_years)}: reported for England only, not "
                f"split: {amb.national_years_note}"
            )
        notes += [
            f"{amb.id} {yv.year} ({'approximate, ' if yv.approximate else ''}"
            f"{yv.provenance}): " + "; ".join(filter(None, (yv.note, _where(yv))))
            for yv in amb.values
            if yv.value is not None
            and ((yv.provenance != "stated" or yv.approximate) and yv.note or yv.where)
        ]
    return notes


def ambition_sources(catalogue, ambition_ids: set[str]) -> dict[str, tuple[str, ...]]:
    """Each ambition's sources in the catalogue's order: its own, then each year's figure's
    (a user's figures name their file), then the page naming its selected sites, without
    repeats."""
    out = {}
    for amb in catalogue.ambitions:
        if amb.id in ambition_ids:
            found = [amb.source, *(yv.source for yv in amb.values if yv.value is not None)]
            found += [amb.selected.source] if amb.selected else []
            out[amb.id] = tuple(dict.fromkeys(s.strip() for s in found if s and s.strip()))
    return out


def _where(yv) -> str:
    """Where a figure's words stand in its source, and the words, as a note says them."""
    if not yv.where:
        return ""
    return f"{yv.where}" + (f": '{yv.quote}'" if yv.quote else "") + f" ({yv.source})"


def _write_outputs(  # noqa: PLR0913 (the run's parts the outputs are made of)
    spine,
    staging: Path,
    cfg: RunConfig,
    catalogue,
    opts: Options,
    planning: PlanningSpec,
    place_rows=None,
    places=None,
    pool=None,
) -> None:

    used = used_bases(spine)
    meta = WorkbookMeta(
        tool_version=__version__,
        catalogue_name=catalogue.name,
        catalogue_sha256=catalogue.sha256,
        catalogue_title=catalogue.title,
        benchmark=catalogue.benchmark,
        geography=cfg.geography,
        population_year=cfg.population_year,
        reference_data=store.describe(cfg.geography, cfg.population_year),
        data_date=store.data_date(),
        bases={name: spec.label for name, spec in catalogue.bases.items() if name in used},
        notes=tuple(figure_notes(catalogue, set(spine["ambition_id"].unique().to_list()))),
        contact=cfg.contact,
        sources=ambition_sources(catalogue, set(spine["ambition_id"].unique().to_list())),
        planning=_planning_spec(planning, spine, cfg, places),
        actuals=delivery.specs(catalogue),
        selected=named_sites(catalogue, cfg.geography),
        short_titles={a.id: a.short_title for a in catalogue.ambitions if a.short_title},
    )
    mhtool.outputs.write_outputs(
        spine,
        staging,
        meta,
        subicb_workbooks=(cfg.level == "subicb"),
        region=cfg.region,
        system=cfg.system,
        progress=opts.progress,
        places=place_rows,
        pool=pool,
    )


def _planning_refs(cfg: RunConfig, catalogue) -> PlanningSpec:
    """The catalogue's planning references and rules (mhtool.planning.refs) with the
    user's (`--refs`) confirmed, both files checked against the catalogue."""
    spec = planning_refs.for_catalogue(catalogue)
    if not cfg.refs:
        return spec
    ids = {a.id for a in catalogue.ambitions}
    user = planning_refs.user_refs(Path(cfg.refs), ids, spec.known_refs())
    return spec.with_user_refs(user, Path(cfg.refs).name)


def _planning_spec(spec: PlanningSpec, spine, cfg: RunConfig, places=None) -> PlanningSpec:
    """`spec` with the run's options: denominators for its geography, the percentage
    scale, and whether to add sub-ICB rows and places (each place's denominator too)."""
    spec = replace(
        spec,
        denominators=export.denominators(spec, spine, cfg.geography),
        percent_scale=template.PROPORTION if cfg.planning_proportions else template.HUNDRED,
        subicb=cfg.planning_subicb,
    )
    if cfg.planning_places and places is not None:
        parents = dict(places.places.select("place_code", "parent_code").iter_rows())
        dens = export.place_denominators(spec, spec.denominators, places.practices, parents)
        spec = replace(spec, places=True, denominators=dens)
    return spec


def input_paths(cfg: RunConfig) -> dict[str, Path | None]:
    """Every file or folder a run reads, by its setting, as given (None: not used)."""
    places = cfg.places if cfg.places not in (None, *vocab.PLACE_KINDS) else None
    return {
        "catalogue": cfg.catalogue,
        "values": cfg.values,
        "refs": cfg.refs,
        "places": Path(places) if places else None,
        "reference_data": Path(cfg.reference_data or reference_data_dir()),
        "raw": Path(cfg.raw or default_raw_dir()) if cfg.rebuild_reference_data else None,
    }


def _inputs(cfg: RunConfig, catalogue) -> dict[str, str]:
    """sha256 of every file the run read: catalogue chain, values, reference data and,
    when rebuilt, the raw files (as sources.json recorded them)."""

    ref = reference_data_dir()
    inputs = {"catalogue": catalogue.sha256}
    inputs |= {f"catalogue_file/{shown(p)}": sha256(p) for p, _ in chain(catalogue.path)}
    if cfg.values:
        inputs["values"] = sha256(Path(cfg.values))
    if cfg.refs:
        inputs["refs"] = sha256(Path(cfg.refs))
    if cfg.places and Path(cfg.places).is_file():
        inputs["places"] = sha256(Path(cfg.places))
    inputs |= {
        f"reference_data/{k}": v
        for k, v in file_hashes([p for p in ref.rglob("*") if p.is_file()], ref).items()
    }
    if cfg.rebuild_reference_data:
        for table in store.sources().get("tables", {}).values():
            inputs |= {f"raw/{i['file']}": i["sha256"] for i in table.get("inputs", [])}
    return inputs


def _compare(out: Path, staging: Path, spine, geography: str):
    """Compare the staged run with the one it will replace; write changes.csv/.xlsx."""

    previous, staged = RunFolder(out), RunFolder(staging)
    if not (previous.holds_run() and previous.spine_parquet.is_file()):
        LOG.info("compare: %s holds no earlier run; nothing to compare", out)
        return None
    try:
        old = diff.load_run(out)
        old.label = "previous run"
        changes = diff.compare(old, diff.Run(spine, geography, "this run"))
    except InputError as exc:  # an unexplainable comparison must not block the refresh
        LOG.warning("compare: cannot compare with the previous run, so no changes.csv: %s", exc)
        return None
    change_files.write_csv(changes, staged.changes_csv)
    change_files.write_xlsx(changes, staged.changes_xlsx)
    for line in change_files.summary_lines(changes):
        LOG.info("compare: %s", line)
    return changes


def _checks(staging: Path) -> list[str]:

    report = check_dir(staging)
    if not report.problems:
        LOG.info("checks: %s", report.summary)
    return report.problems
