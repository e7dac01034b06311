"""The command line behaves as click users expect: every command's --help ends with its
exit codes, closed sets are choices (so completion offers them and a typo is refused at
once), shell completion works as docs/operations.md documents it, and -q is silent on success."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.vocab import GEOGRAPHIES


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


COMMANDS = list(_commands(main))


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_help_gives_its_exit_codes(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Exit codes:" in result.output
    assert "\n    0  " in result.output and "\n    2  " in result.output


def test_every_command_takes_q_and_v():
    for path, command in COMMANDS:
        names = {o for p in command.params for o in getattr(p, "opts", [])}
        assert {"-q", "-v"} <= names, path


@pytest.mark.parametrize("path", [("run",), ("refresh",), ("population",), ("bases",)])
def test_geography_is_a_closed_choice(path):
    command = main
    for name in path:
        command = command.commands[name]
    option = next(p for p in command.params if p.name == "geography")
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == GEOGRAPHIES
    result = CliRunner().invoke(main, [*path, "--geography", "2023"])
    assert result.exit_code == 2 and "'2023' is not one of" in result.output


def test_shell_completion_offers_the_choices():
    env = {"_MHTOOL_COMPLETE": "bash_complete", "COMP_WORDS": "mhtool run --geography ",
           "COMP_CWORD": "3"}  # fmt: skip
    result = CliRunner().invoke(main, [], env=env, prog_name="mhtool")
    assert [line.split(",")[1] for line in result.output.split()] == list(GEOGRAPHIES)
    source = (
        CliRunner()
        .invoke(main, [], env={"_MHTOOL_COMPLETE": "bash_source"}, prog_name="mhtool")
        .output
    )
    assert "_mhtool_completion" in source


def test_catalogues_and_ambitions_print_what_was_asked_even_with_q():
    """-q silences success lines, not the answer a listing command was asked for."""
    result = CliRunner().invoke(main, ["catalogues", "-q"])
    assert result.exit_code == 0 and "mhip_2019_24" in result.output
