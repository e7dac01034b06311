"""`mhtool check DIR`: re-read a run's workbooks and CSVs and compare them with its spine."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mhtool.errors import ExitCode


@click.command("check")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check(directory: Path) -> None:
    """Check the outputs in DIRECTORY (a folder `mhtool run` wrote) against the spine it
    saved (apportionment.parquet): every workbook value and planning-CSV field, every level
    summing to its parent, and the spreadsheet layout rules; that apportionment.csv holds
    the same rows as the Parquet file; and, when manifest.json is there, that every file it
    lists exists and every workbook, CSV, chart and Parquet file present is listed. Prints
    one line per problem and exits 1, or prints a one-line summary and exits 0."""
    from mhtool.infra.log import logging_to_terminal, quiet, terminal_level
    from mhtool.outputs.check import check_dir  # calamine, polars: loaded only when checking

    with logging_to_terminal(terminal_level()):  # progress lines when not on a terminal
        report = check_dir(directory, progress=not quiet())
    for line in report.problems:
        click.echo(line)
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s) found in {directory}", err=True)
        sys.exit(ExitCode.CHECKS_FAILED)
    if not quiet():
        click.echo(f"{report.summary} ({directory})")


COMMANDS = [check]
