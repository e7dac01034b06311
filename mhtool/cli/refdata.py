"""`mhtool refdata`: build the shipped reference tables from raw public files; show them."""

from __future__ import annotations

import time
from pathlib import Path

import click

from mhtool.infra.log import quiet
from mhtool.infra.paths import default_raw_dir, reference_data_dir, writable_reference_data
from mhtool.infra.place import check_out_place, place_error


@click.group("refdata")
def refdata() -> None:
    """Reference data: geography vintages, populations, need weights and SMI registers."""


@refdata.command("build")
@click.option(
    "--raw",
    "raw_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of raw public files [default: ../shared/data/raw].",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Reference data folder to (re)write [default: $MHTOOL_REFERENCE_DATA, else the "
    "checkout's reference_data/; an installed package needs --out].",
)
def build_cmd(raw_dir: Path | None, out_dir: Path | None) -> None:
    """Rebuild the reference tables from the raw files, all or nothing.

    Every table is validated (columns, unique keys, counts, one parent per code, national
    totals) and written to a temporary folder; only when all pass are the built folders
    swapped in. Other files in the output folder (catalogues/, bases.toml) are kept.
    A rebuild from the same raw files is byte-identical.

    \b
    Examples:
      mhtool refdata build
      mhtool refdata build --raw /data/raw --out /tmp/reference_data
    """
    from mhtool.refdata.build import build
    from mhtool.refdata.store import clear_cache

    raw_dir = raw_dir or default_raw_dir()
    out_dir = writable_reference_data(out_dir)
    check_out_place(out_dir)
    start = time.perf_counter()
    try:
        tables = build(
            raw_dir,
            out_dir,
            progress=(lambda s: None) if quiet() else lambda s: click.echo(f"  {s}"),
        )
    except OSError as exc:  # the disk filled or forbids us: bad input, not a bug
        raise place_error(exc, Path(out_dir).resolve()) or exc from None
    clear_cache()
    if not quiet():
        click.echo(
            f"wrote {len(tables)} tables ({sum(t.df.height for t in tables):,} rows) plus "
            f"SOURCES.md and sources.json to {out_dir} in {time.perf_counter() - start:.1f}s"
        )


@refdata.command("summary")
def summary() -> None:
    """Show what reference data ships: vintages, tables, rows, totals and sources.

    \b
    Example:
      mhtool refdata summary
    """
    from mhtool.refdata import store

    click.echo(f"reference data: {reference_data_dir()}")
    click.echo("geography vintages:")
    for v in store.vintages():
        g = store.geography(v)
        click.echo(
            f"  {v}: {g['subicb_code'].n_unique()} sub-ICBs, "
            f"{g['icb_code'].n_unique()} ICBs, {g['region_code'].n_unique()} regions"
        )
    doc = store.sources()
    click.echo("tables:")
    for path, t in doc["tables"].items():
        click.echo(f"  {path}: {t['rows']:,} rows from {len(t['inputs'])} raw file(s)")
        for key, vals in t["totals"].items():
            shown = (
                ", ".join(f"{k} {v:,}" for k, v in vals.items())
                if isinstance(vals, dict)
                else f"{vals:,}"
            )
            click.echo(f"      {key}: {shown}")
        for note in t.get("notes", []):
            click.echo(f"      note: {note}")
    click.echo(f"licence: {doc['licence']}; details in SOURCES.md")


COMMANDS = [refdata]
