"""`mhtool verify DIR`: has anything in a run folder changed since the run wrote it?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mhtool.errors import ExitCode
from mhtool.infra.manifest import verify as verify_folder


@click.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(directory: Path) -> None:
    """Re-hash every file of a run folder against its manifest.json and list any file
    changed, missing or added since. run.log (timings) and dotfiles are not covered.

    \b
    Exit codes:
      0  every file is as the run wrote it
      1  something changed, went missing or was added
      2  DIRECTORY holds no readable manifest.json
    """
    v = verify_folder(directory)
    for kind, files in (("changed", v.changed), ("missing", v.missing), ("added", v.added)):
        for f in files:
            click.echo(f"{kind}: {f}")
    if not v.ok:
        click.echo(
            f"mhtool verify: {directory} differs from its manifest: "
            f"{len(v.changed)} changed, {len(v.missing)} missing, {len(v.added)} added",
            err=True,
        )
        sys.exit(ExitCode.CHECKS_FAILED)
    click.echo(f"mhtool verify: all {v.checked} files in {directory} match manifest.json")


COMMANDS = [verify]
