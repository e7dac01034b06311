"""`mhtool assure PLANS... --against RUN_DIR`: system plans against their fair shares."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("assure")
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--against",
    "run_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder `mhtool run` wrote (its fair shares and planning references).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (replaced whole, only on success). Default: <RUN_DIR>_assurance.",
)
@click.option(
    "--source",
    help="Use only this plan version (the `source` column). Default: each system's latest.",
)
@click.option(
    "--refs",
    "refs_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of planning_ref,ambition_id[,measure_type]: references you know measure "
    "an ambition (they win over the run's own).",
)
@click.option(
    "--thresholds",
    help="Red and green thresholds as plan % of fair share, e.g. 95,100 (the default): "
    "below 95 red, 95 to below 100 amber, 100 or more green.",
)
def assure(plans, run_dir, out, source, refs_file, thresholds):
    """Compare system plan submissions (CSV or xlsx in the planning long layout or NHS
    England's own plan-monitoring layout, monthly columns or one value column) with the
    fair shares of RUN_DIR.

    The plan is the --source named, else each system's latest source named like *_plan;
    actuals (*actual*) are compared as delivery; a variance is never a plan. Providers are
    summed to the ICB named in their icb_code column; ICBs to regions (a region's own row
    is compared as it is, and checked against its ICBs) and England. Writes
    assurance.xlsx, assurance.csv, assurance_issues.csv (every row rejected, not used or
    not compared, with file, row, field and cause) and assurance.json (what was compared)
    into a staging folder swapped in only when done, and prints a summary with the
    issues counted by cause.

    \b
    Exit codes:
      0  compared (issues, if any, are counted and listed in assurance_issues.csv)
      2  nothing usable in the plans (only assurance_issues.csv and assurance.json are
         written, saying why), or bad options or --refs file (previous output kept)
    """
    from mhtool.assure import compare as cmp
    from mhtool.assure import write as assurance
    from mhtool.assure.read import read_plans
    from mhtool.errors import InputError
    from mhtool.infra.atomic import staged_folder
    from mhtool.infra.lock import lock_path, run_lock
    from mhtool.infra.log import quiet
    from mhtool.infra.manifest import sha256
    from mhtool.infra.place import check_inputs_outside, check_not_in_run, check_out_place
    from mhtool.planning.refs import user_refs

    limits = cmp.Thresholds.parse(thresholds)
    target = Path(out or run_dir.parent / f"{run_dir.resolve().name}_assurance").resolve()
    check_out_place(target, lock_path(target))
    check_not_in_run(target)
    check_inputs_outside(
        target,
        {
            "RUN_DIR": run_dir,
            "--refs": refs_file,
            **{f"PLANS[{i}]": p for i, p in enumerate(plans, 1)},
        },
    )
    run = cmp.load_run(run_dir)
    refs = None
    if refs_file is not None:
        ids = set(run.spine.get_column("ambition_id").unique().to_list())
        refs = user_refs(refs_file, ids, run.spec.known_refs())
    rows, issues = read_plans(list(plans))
    usable, more = cmp.checked_rows(rows, run, source, refs)
    issues += more
    options = {
        "source": source,
        "refs": None if refs_file is None else {str(refs_file): sha256(refs_file)},
        "thresholds": [limits.red, limits.green],
    }
    if not usable:
        with (
            run_lock(target, "mhtool assure"),
            staged_folder(target, marker=assurance.RECORD_FILE) as stage,
        ):
            assurance.write_issues(issues, stage)
            assurance.write_record(stage, run_dir=run_dir, plans=list(plans), options=options)
        _causes(issues, target, err=True)
        raise InputError(
            f"nothing usable in {len(plans)} plan file(s): {len(issues)} problem(s), "
            f"counted above by cause, each in {target / assurance.ISSUES_FILE}"
        )
    result, more = cmp.compare(usable, run, limits)
    issues += more
    with (
        run_lock(target, "mhtool assure"),
        staged_folder(target, marker=assurance.RECORD_FILE) as stage,
    ):
        assurance.write_csvs(result, issues, stage)
        assurance.write_record(stage, run_dir=run_dir, plans=list(plans), options=options)
        assurance.write_xlsx(
            result,
            issues,
            stage / assurance.XLSX_FILE,
            run.data_date,
            {
                "against": str(Path(run_dir).resolve()),
                "plans": [str(p) for p in plans],
                "source": source,
                "thresholds": f"red below {limits.red:g}%, green at or above {limits.green:g}%",
            },
        )
    if not quiet():
        _summary(result, issues, usable, target)


def _issue_line(i, short: bool = False) -> str:
    where = ", ".join(
        x
        for x in (
            f"file {Path(i.file).name if short else i.file}",
            f"row {i.row}" if i.row is not None else "",
            f"field '{i.field}'" if i.field else "",
        )
        if x
    )
    return f"{where}: {i.problem} ({i.action})"


def _summary(result, issues, usable, target: Path) -> None:
    import polars as pl

    from mhtool.planning.template import format_value

    eng = result.filter(pl.col("level").is_in(["england", "region"]))
    actual = sum(1 for u in usable if u.row.role == "actual")
    click.echo(
        f"mhtool assure: {len(usable) - actual} plan and {actual} actual row(s) compared; "
        f"results in {target}"
    )
    click.echo(
        f"{'compared':8} {'org':4} {'ambition':9} {'year':7} {'measure':10} {'figure':>12} "
        f"{'fair share':>12} {'% of fair':>9} {'shortfall':>11}  {'systems':9} rating"
    )
    for r in eng.iter_rows(named=True):

        def n(x):
            return "[x]" if x is None else format_value(round(x, 2))

        click.echo(
            f"{r['compared'].split()[0]:8} {r['org_code']:4} {r['ambition_id']:9} "
            f"{r['fin_year']:7} {r['measure_type']:10} "
            f"{n(r['plan']):>12} "
            f"{n(r['fair_share']):>12} {n(r['pct_of_fair_share']):>9} {n(r['shortfall']):>11}  "
            f"{r['systems_planned']:9} {r['rating']}"
        )
    _causes(issues, target)


def _causes(issues, target: Path, err: bool = False) -> None:
    """Every issue counted by cause (none hidden), each with its first example; the
    full list is in assurance_issues.csv."""
    if not issues:
        return
    from mhtool.assure.write import ISSUES_FILE, by_cause

    click.echo(f"{len(issues)} issue(s), by cause (every one in {target / ISSUES_FILE}):", err=err)
    for (cause, action), group in by_cause(issues):
        first = _issue_line(group[0], short=True)
        click.echo(f"  {len(group):6}  {cause} [{action}], e.g. {first}", err=err)


COMMANDS = [assure]
