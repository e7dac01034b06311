"""`mhtool assure PLANS... --against RUN_DIR`: system plans against their fair shares."""

from __future__ import annotations

from pathlib import Path

import click

MAX_SHOWN = 15  # issue lines printed before pointing at assurance_issues.csv


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
    "--thresholds",
    help="Red and green thresholds as plan % of fair share, e.g. 95,100 (the default): "
    "below 95 red, 95 to below 100 amber, 100 or more green.",
)
def assure(plans, run_dir, out, source, thresholds):
    """Compare system plan submissions (CSV or xlsx in the planning long layout, monthly
    columns or one value column) with the fair shares of RUN_DIR.

    Providers are summed to the ICB named in their icb_code column; ICBs to regions and
    England. Writes assurance.xlsx, assurance.csv, assurance_issues.csv (every row
    rejected, not used or not compared, with file, row and field) and assurance.json
    (what was compared) into a staging folder
    swapped in only when done, and prints a summary.

    \b
    Exit codes:
      0  compared (issues, if any, are listed)
      2  nothing usable in the plans, or bad options (previous output kept)
    """
    from mhtool.assure import compare as cmp
    from mhtool.assure import write as assurance
    from mhtool.assure.read import read_plans
    from mhtool.errors import InputError
    from mhtool.infra.atomic import staged_folder
    from mhtool.infra.lock import lock_path, run_lock
    from mhtool.infra.place import check_out_place

    limits = cmp.Thresholds.parse(thresholds)
    target = Path(out or run_dir.parent / f"{run_dir.resolve().name}_assurance").resolve()
    check_out_place(target, lock_path(target))
    run = cmp.load_run(run_dir)
    rows, issues = read_plans(list(plans))
    usable, more = cmp.checked_rows(rows, run, source)
    issues += more
    if not usable:
        for i in issues[:MAX_SHOWN]:
            click.echo(_issue_line(i), err=True)
        raise InputError(
            f"nothing usable in {len(plans)} plan file(s): {len(issues)} problem(s) above"
        )
    result = cmp.compare(usable, run, limits)
    with (
        run_lock(target, "mhtool assure"),
        staged_folder(target, marker=assurance.RECORD_FILE) as stage,
    ):
        assurance.write_csvs(result, issues, stage)
        assurance.write_record(
            stage,
            run_dir=run_dir,
            plans=list(plans),
            options={"source": source, "thresholds": [limits.red, limits.green]},
        )
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
    _summary(result, issues, len(usable), target)


def _issue_line(i) -> str:
    where = ", ".join(
        x
        for x in (
            f"file {i.file}",
            f"row {i.row}" if i.row is not None else "",
            f"field '{i.field}'" if i.field else "",
        )
        if x
    )
    return f"{where}: {i.problem} ({i.action})"


def _summary(result, issues, used: int, target: Path) -> None:
    import polars as pl

    from mhtool.outputs.planning.write import format_value

    eng = result.filter(pl.col("level").is_in(["england", "region"]))
    click.echo(f"mhtool assure: {used} plan rows compared; results in {target}")
    click.echo(
        f"{'org':4} {'ambition':9} {'year':7} {'measure':10} {'plan':>12} {'fair share':>12} "
        f"{'% of fair':>9} {'shortfall':>11}  {'systems':9} rating"
    )
    for r in eng.iter_rows(named=True):

        def n(x):
            return "[x]" if x is None else format_value(round(x, 2))

        click.echo(
            f"{r['org_code']:4} {r['ambition_id']:9} {r['fin_year']:7} {r['measure_type']:10} "
            f"{n(r['plan']):>12} "
            f"{n(r['fair_share']):>12} {n(r['pct_of_fair_share']):>9} {n(r['shortfall']):>11}  "
            f"{r['systems_planned']:9} {r['rating']}"
        )
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.action] = counts.get(i.action, 0) + 1
    if issues:
        click.echo(
            "issues: "
            + "; ".join(f"{n} {a}" for a, n in sorted(counts.items()))
            + " (see assurance_issues.csv)"
        )
        for i in [i for i in issues if i.action != "note"][:MAX_SHOWN]:
            click.echo("  " + _issue_line(i))


COMMANDS = [assure]
