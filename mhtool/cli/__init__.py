"""The `mhtool` command. Each module in this package holds one family of commands.

A module joins the command line by exposing ``COMMANDS``, a list of click commands or
groups; this file finds them, so adding a command never means editing a shared list.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback

import click

from mhtool import __version__
from mhtool.errors import ExitCode, InputError
from mhtool.infra.signals import Stopped, stop_signals_raise


def _stdout_gone() -> None:
    """Point stdout at the null device so the interpreter's final flush stays quiet."""
    with_fd = getattr(sys.stdout, "fileno", None)
    try:
        fd = with_fd() if with_fd else None
    except (OSError, ValueError):
        fd = None
    if fd is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


def _standard_streams() -> None:
    """Started with stdin, stdout or stderr closed (`mhtool run 2>&-` from a careless
    script), a process would hand that descriptor to the next file it opens, and an error
    line would land in a workbook. So each closed one is pointed at the null device first,
    and the text streams are made to show any byte a name holds instead of failing on it
    (a folder named with a byte that is not UTF-8 is then named, as \\xff, in the error)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, os.O_RDWR)
            if opened != fd:  # a lower descriptor was free: it is the one now taken
                os.dup2(opened, fd)
                os.close(opened)
    for name, fd, mode in (("stdout", 1, "w"), ("stderr", 2, "w")):
        stream = getattr(sys, name)
        if stream is None:
            stream = open(fd, mode, encoding="utf-8", closefd=False)
            setattr(sys, name, stream)
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


class _Main(click.Group):
    """Turns any InputError into one clear line on stderr and exit status 2, a stop signal
    into clean-up and exit 128 + its number (130 Ctrl-C, 143 SIGTERM), a closed stdout
    pipe into a quiet exit 141, and any other failure into a traceback and exit status 4.
    `--debug` adds the traceback to bad-input errors too, for a bug report."""

    def main(self, *args, **kwargs):
        _standard_streams()
        with stop_signals_raise():
            try:
                return super().main(*args, **kwargs)
            except Stopped as exc:  # arrived outside a command (while parsing, say)
                click.echo(f"mhtool: {exc}", err=True)
                sys.exit(exc.status)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            if ctx.params.get("debug"):
                traceback.print_exc()
            click.echo(f"mhtool: error: {exc}", err=True)
            sys.exit(ExitCode.BAD_INPUT)
        except Stopped as exc:
            click.echo(f"mhtool: {exc}", err=True)
            sys.exit(exc.status)
        except BrokenPipeError:
            _stdout_gone()
            sys.exit(ExitCode.BROKEN_PIPE)
        except (
            click.exceptions.Exit,
            click.ClickException,
            click.Abort,
            SystemExit,
            KeyboardInterrupt,
        ):
            raise
        except Exception:
            traceback.print_exc()
            click.echo(
                "mhtool: internal error (exit 4): please report it with the traceback "
                "above and the run's run.log",
                err=True,
            )
            sys.exit(ExitCode.BUG)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mhtool")
@click.option("--debug", is_flag=True, help="Show the traceback of any error (for a bug report).")
def main(debug: bool) -> None:
    """Apportion the NHS Mental Health Implementation Plan 2019/20-2023/24 to every
    NHS region, ICB and sub-ICB location, and write the results as tables and workbooks.

    Start with `mhtool run` (all outputs on the shipped defaults) or
    `mhtool refdata summary` (what reference data ships).
    """


_VERBOSITY = "mhtool_verbosity"


def _set_verbosity(ctx: click.Context, param: click.Parameter, value) -> None:
    """-v and -q may sit before or after the command's name (`mhtool -v run`, `mhtool run
    -v`); the counts add up for the whole command line, and -q wins."""
    from mhtool.infra.log import set_verbosity

    seen = ctx.find_root().meta.setdefault(_VERBOSITY, {"v": 0, "q": False})
    if param.name == "verbose":
        seen["v"] += value or 0
    elif value:
        seen["q"] = True
    set_verbosity(-1 if seen["q"] else seen["v"])


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="More log lines on stderr: stages and progress (-vv: debug).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="Only errors on stderr, and no summary line on success.",
        ),
    ]


def _with_verbosity(command: click.Command) -> None:
    """Give a command, and every command of a group, -v and -q."""
    command.params += _verbosity_options()
    for sub in getattr(command, "commands", {}).values():
        _with_verbosity(sub)


#: What each command's success and own failures mean, for the exit-code table its
#: --help ends with (commands whose help already has one keep it). Every command also
#: exits 2 on bad input or options, 4 on a bug, 130/143 when stopped, 141 when the reader
#: of its output went away.
EXIT_MEANINGS = {
    "ambitions": "0  the catalogue was listed",
    "bases": "0  the bases (or one basis's weights) were listed",
    "catalogues": "0  the shipped catalogues were listed",
    "population": "0  the population was listed",
    "check": "0  every check passed\n1  problems were found (one line each on stdout)",
    "diff": "0  the runs were compared (and --out written)",
    "refdata build": "0  the tables were rebuilt and swapped in\n"
    "3  another build holds the folder's lock (<out>.lock)",
    "refdata summary": "0  the reference data was summarised",
    "refdata": "0  success (see each subcommand)",
}
COMMON_EXITS = (
    "2  bad input or options (a file or field named; earlier outputs kept)\n"
    "4  an unexpected internal error (a bug: please report it)\n"
    "130/143  stopped by Ctrl-C / SIGTERM; 141  the reader of the output went away"
)


def _with_exit_codes(command: click.Command, name: str) -> None:
    """End a command's --help with its exit codes, where its own text has none."""
    text = f"{command.help or ''}\n{command.epilog or ''}"
    if "Exit codes" not in text and name in EXIT_MEANINGS:
        lines = f"{EXIT_MEANINGS[name]}\n{COMMON_EXITS}".splitlines()
        command.epilog = "\b\nExit codes:\n" + "\n".join("  " + line for line in lines)
    for sub_name, sub in getattr(command, "commands", {}).items():
        _with_exit_codes(sub, f"{name} {sub_name}")


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "docs":  # the reference generator (python -m), not a command
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            _with_verbosity(command)
            _with_exit_codes(command, command.name)
            main.add_command(command)
    main.params += _verbosity_options()


_register()
