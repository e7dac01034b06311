"""docs/cli.md is the commands' own --help: regenerate it when a command changes."""

from __future__ import annotations

from pathlib import Path

from mhtool.cli.docs import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_the_commands_help():
    assert DOC.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is out of date: run python -m mhtool.cli.docs docs/cli.md"
    )


def test_cli_reference_has_every_command():
    from mhtool.cli import main

    text = reference()
    for name in main.commands:
        assert f"## `mhtool {name}`" in text
    assert "Exit codes:" in text  # run's and refresh's epilogs come along
