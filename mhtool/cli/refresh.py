"""`mhtool refresh`: the scheduled job — rebuild, run, check, compare, swap in.

Settings come from a TOML file (keys = RunConfig fields; relative paths are relative to
the file) and any flag given on the command line overrides the file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from mhtool.cli.run import execute_or_exit, exit_codes, run_options
from mhtool.infra.log import quiet, terminal_level
from mhtool.job.settings import Options, RunConfig, progress_wanted, read_config


@click.command(epilog=exit_codes(checks=True))
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (see refresh.example.toml); flags override it.",
)
@run_options(defaults=False)
@click.option(
    "--reference-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reference data folder to read (and to rebuild into). "
    "Default: $MHTOOL_REFERENCE_DATA or the project's reference_data/.",
)
@click.option(
    "--raw",
    type=click.Path(file_okay=False, path_type=Path),
    help="Raw public files for the rebuild. Default: ../shared/data/raw.",
)
@click.option(
    "--rebuild-reference-data/--no-rebuild-reference-data",
    default=None,
    help="Rebuild the reference tables from --raw first. Default: no.",
)
def refresh(config, **flags):
    """The yearly refresh: optionally rebuild the reference data, run every output, check
    it, and compare it with the run it replaces (changes.csv, changes.xlsx) — all in a
    staging folder swapped in only when every step, checks included, succeeded.

    Logs go to stderr and to run.log in the new run; a failed run's log is kept beside the
    folder as <out>.failed.log.

    \b
    Examples:
      mhtool refresh --config refresh.example.toml
      mhtool refresh --config refresh.toml --population-year 2020 --out outputs
    """
    settings = read_config(config) if config else {}
    settings |= {k: (str(v) if k == "geography" else v) for k, v in flags.items() if v is not None}
    cfg = RunConfig(**settings)
    result = execute_or_exit(
        cfg,
        Options(
            command="mhtool refresh" + (f" --config {config}" if config else ""),
            check=True,
            compare=True,
            keep_failed_log=True,
            terminal_level=terminal_level(logging.INFO),
            progress=progress_wanted(),
        ),
    )
    if quiet():
        return
    compared = (
        "compared with the previous run (changes.csv, changes.xlsx)"
        if result.changes is not None
        else "no previous run to compare with"
    )
    click.echo(
        f"mhtool refresh: {result.rows:,} rows for {result.ambitions} ambitions; "
        f"{result.files} files checked and written to {result.out}; {compared}; "
        f"{result.seconds:.1f}s"
    )


COMMANDS = [refresh]
