"""`mhtool diff OLD NEW`: what changed between two runs, and why."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("diff")
@click.argument("old_run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("new_run", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full comparison here: .csv, or .xlsx for a workbook.",
)
@click.option("--top", default=8, show_default=True, help="Biggest changes to show per level.")
def diff(old_run: Path, new_run: Path, out: Path | None, top: int) -> None:
    """Compare two run folders per organisation, ambition and year, splitting each change
    into the part due to new shares (population, need or basis moved) and the part due to
    a changed national figure, plus a rounding residual; the three add to the change.

    Runs on different geography vintages are compared on the new organisations through
    the sub-ICB crosswalk; the `mapping` column says what merged, split or moved.

    \b
    Examples:
      mhtool diff outputs-2019 outputs-2020
      mhtool diff old new --out changes.csv
    """
    from mhtool.diff import changes as d
    from mhtool.diff import write as shown
    from mhtool.infra.log import quiet
    from mhtool.infra.place import check_not_in_run, check_out_place, place_error

    if out:  # refused before the comparison, which can take a while
        check_out_place(out, file=True)
        check_not_in_run(out)
    changes = d.compare(d.load_run(old_run), d.load_run(new_run))
    if not (out and quiet()):  # the comparison is the answer, unless it went to --out
        for line in shown.summary_lines(changes, top=top):
            click.echo(line)
    if out:
        try:
            (shown.write_xlsx if out.suffix.lower() == ".xlsx" else shown.write_csv)(changes, out)
        except OSError as exc:  # the disk filled or forbids us: bad input, not a bug
            raise place_error(exc, out.resolve()) or exc from None
        if not quiet():
            click.echo(f"wrote {changes.table.height:,} rows to {out}")


COMMANDS = [diff]
