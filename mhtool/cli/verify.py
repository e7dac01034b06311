"""`mhtool verify DIR`: has anything in a run folder changed since the run wrote it?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mhtool.errors import ExitCode
from mhtool.infra.log import quiet
from mhtool.infra.manifest import verify as verify_folder


@click.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(directory: Path) -> None:
    """Re-hash every file of a run folder against its manifest.json and list any file
    changed, missing or added since. run.log (timings) and dotfiles are not covered.

    \b
    Exit codes:
      0  every file is as the run wrote it
      1  something changed, went missing, was added or cannot be read
      2  DIRECTORY holds no readable manifest.json (missing, damaged or of the
         wrong shape)
    """
    v = verify_folder(directory)
    for line in v.lines():
        click.echo(line)
    if not v.ok:
        click.echo(
            f"mhtool verify: {directory} differs from its manifest: "
            f"{len(v.changed)} changed, {len(v.missing)} missing, {len(v.added)} added, "
            f"{len(v.unreadable)} unreadable",
            err=True,
        )
        sys.exit(ExitCode.CHECKS_FAILED)
    if not quiet():
        click.echo(f"mhtool verify: all {v.checked} files in {directory} match manifest.json")


COMMANDS = [verify]
