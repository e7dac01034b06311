"""`mhtool run`: the main job — apportion the catalogue and write every output.

The options here are shared with `mhtool refresh`; both also take them from a file
(`--config`: refresh's TOML keys, or for `run` an earlier run's manifest.json to reproduce
it), and a flag given on the command line overrides the file. `execute_or_exit` maps the
pipeline's outcomes to the documented exit codes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mhtool.errors import ExitCode
from mhtool.infra.lock import LockHeld
from mhtool.infra.log import quiet, terminal_level
from mhtool.infra.paths import default_output_dir
from mhtool.infra.place import disk_problem
from mhtool.job.settings import Options, RunConfig, progress_wanted, read_config
from mhtool.vocab import GEOGRAPHIES


def exit_codes(checks: bool) -> str:
    """The exit-code table of a command's help, so --help and the code agree."""
    lines = [
        f"{ExitCode.OK:d}  success: the new run is in place",
        *(
            [f"{ExitCode.CHECKS_FAILED:d}  the outputs failed their checks (previous run kept)"]
            if checks
            else []
        ),
        f"{ExitCode.BAD_INPUT:d}  bad input or configuration (previous run kept)",
        f"{ExitCode.LOCKED:d}  another run holds the output folder's lock (<out>.lock)",
        f"{ExitCode.BUG:d}  an unexpected internal error (a bug; previous run kept)",
    ]
    return "\b\nExit codes:\n" + "\n".join("  " + line for line in lines)


def run_options(defaults: bool):
    """The options that decide a run. Without defaults (refresh), an unset flag leaves
    the config file's value alone."""
    d = RunConfig() if defaults else None

    def default(name):
        return getattr(d, name) if d else None

    opts = [
        click.option(
            "--catalogue",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Ambitions catalogue: a shipped one's name (mhip_2019_24, mtpf_2026_29, "
            "planning_2025_26; `mhtool catalogues` lists them) or a TOML file. Default: the "
            "MHIP 2019/20-2023/24.",
        ),
        click.option(
            "--values",
            type=click.Path(dir_okay=False, path_type=Path),
            help="CSV of ambition_id,year,value[,note] replacing national figures.",
        ),
        click.option(
            "--geography",
            type=click.Choice(GEOGRAPHIES),
            help="Organisation hierarchy vintage. Default: the "
            "catalogue's (2022 for the MHIP, 2026 for the MTPF).",
        ),
        click.option(
            "--population-year",
            type=int,
            help="ONS mid-year estimate used by population bases. Default: the catalogue's (2020).",
        ),
        click.option(
            "--out",
            type=click.Path(file_okay=False, path_type=Path),
            help="Output folder (replaced whole, only when everything succeeded). "
            "Default: outputs/.",
        ),
        click.option(
            "--level",
            type=click.Choice(["icb", "subicb"]),
            default=default("level"),
            show_default=defaults,
            help="subicb adds one workbook per sub-ICB location.",
        ),
        click.option(
            "--planning-subicb/--no-planning-subicb",
            default=default("planning_subicb"),
            help="Add sub-ICB rows to the planning export (default: ICB rows only).",
        ),
        click.option(
            "--planning-places/--no-planning-places",
            default=default("planning_places"),
            help="Add the places' rows to the planning export (needs --places; default: "
            "without them).",
        ),
        click.option(
            "--planning-proportions/--no-planning-proportions",
            default=default("planning_proportions"),
            help="Write the planning export's percentages as proportions (0.5) rather than "
            "on NHS England's 0-100 scale (50), the default.",
        ),
        click.option(
            "--refs",
            type=click.Path(dir_okay=False, path_type=Path),
            help="CSV of planning_ref,ambition_id[,measure_type]: references you know "
            "measure an ambition; the planning export writes them to the template files.",
        ),
        click.option(
            "--places",
            metavar="KIND|FILE",
            help="Also split every figure below sub-ICB to places: pcn, la, practice, or a "
            "CSV of practice_code,place_code,place_name (geographies 2022 and 2026).",
        ),
        click.option(
            "--unallocated",
            type=click.Choice(["place", "stop"]),
            default=default("unallocated"),
            show_default=defaults,
            help="Practices of a covered ICB in none of your places: an 'unallocated' place, "
            "or stop the run.",
        ),
        click.option("--region", help="Only this region's workbooks, e.g. Y63."),
        click.option("--system", help="Only this ICB's workbooks, e.g. QHM."),
        click.option(
            "--contact",
            help="Who answers questions about the figures (name and email), shown on each "
            "workbook's Cover; without it the Cover has no contact line.",
        ),
    ]

    def decorate(f):
        for o in reversed(opts):
            f = o(f)
        return f

    return decorate


def execute_or_exit(cfg: RunConfig, opts: Options):
    """Run the pipeline; turn its known failures into a message and their exit code."""
    from mhtool.job.pipeline import ChecksFailed, execute  # start-up: `--help` needs none of it

    try:
        return execute(cfg, opts)
    except LockHeld as exc:
        click.echo(f"mhtool: error: {exc}", err=True)
        sys.exit(ExitCode.LOCKED)
    except ChecksFailed as exc:
        click.echo(f"mhtool: error: {exc}" + (f"; log: {exc.log}" if exc.log else ""), err=True)
        sys.exit(ExitCode.CHECKS_FAILED)
    except Exception as exc:  # full, read-only or forbidden disk: bad input, not a bug
        problem = disk_problem(exc, Path(cfg.out or default_output_dir()).resolve())
        if problem is None:
            raise
        raise problem from exc


def settings_from(config: Path) -> dict:
    """Run settings from a TOML file (refresh's keys) or a run's manifest.json; for a
    manifest, whatever differs since that run is reported first."""
    from mhtool.job import replay

    if not replay.is_manifest(config):
        return read_config(config)
    doc = replay.read(config)
    settings = replay.settings(doc, RunConfig.keys(), config)
    differs = replay.what_differs(doc, settings)
    for line in differs:
        click.echo(f"mhtool: warning: differs from the recorded run: {line}", err=True)
    if differs:
        click.echo(
            f"mhtool: warning: NOT a reproduction of the run recorded in {config}: "
            f"{len(differs)} difference(s) above, so its outputs may differ",
            err=True,
        )
    elif not quiet():
        click.echo(f"mhtool: reproducing the run recorded in {config}", err=True)
    return settings


def given(ctx: click.Context, kw: dict) -> dict:
    """The options typed on the command line (or set in the environment), not defaults."""
    return {
        k: v
        for k, v in kw.items()
        if ctx.get_parameter_source(k)
        in (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    }


@click.command(epilog=exit_codes(checks=False))
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file: a TOML file with refresh's keys (see refresh.example.toml), or an "
    "earlier run's manifest.json to reproduce that run. Flags given here override it.",
)
@run_options(defaults=True)
@click.pass_context
def run(ctx, config, **kw):
    """Apportion every ambition and write the spine, workbooks, charts and planning CSVs.

    Writes into a staging folder beside --out and swaps it in only when everything
    succeeded; `<out>.lock` stops two runs writing one folder; the run's log, with stage
    timings, is saved as run.log in the folder.

    \b
    Examples:
      mhtool run                                  # shipped defaults, into outputs/
      mhtool run --geography 2026 --out out2026   # the 36-ICB geography
      mhtool run --catalogue mtpf_2026_29 --out mtpf   # the MTPF 2026/27-2028/29
      mhtool run --region Y63                     # one region's workbooks only
      mhtool run --places pcn                     # and every PCN's share, places/<ICB>.csv
      mhtool run --config refresh.toml            # settings from a file
      mhtool run --config old/manifest.json --out again   # reproduce an earlier run
    """
    cfg = RunConfig(**(kw | settings_from(config) | given(ctx, kw)) if config else kw)
    result = execute_or_exit(
        cfg,
        Options(
            command=_command_line(), progress=progress_wanted(), terminal_level=terminal_level()
        ),
    )
    if not quiet():
        click.echo(
            f"mhtool run: {result.rows:,} rows for {result.ambitions} ambitions; "
            f"{result.files} files written to {result.out} in {result.seconds:.1f}s"
        )


def _command_line() -> str:
    return " ".join(["mhtool", *sys.argv[1:]]) if sys.argv else "mhtool"


COMMANDS = [run]
