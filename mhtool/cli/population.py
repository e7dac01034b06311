"""`mhtool population`: ONS resident population by organisation in chosen age bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mhtool import csvsafe, vocab
from mhtool.vocab import GEOGRAPHIES

if TYPE_CHECKING:
    import polars as pl

_LEVELS = {"subicb": "subicb", "icb": "icb", "region": "region"}


def population_table(year: int, geography: str, bands: str, level: str) -> pl.DataFrame:
    """One row per organisation at `level` plus England: a column per band and all ages."""
    import polars as pl  # loaded only when a command runs, so `mhtool --help` stays quick

    from mhtool.refdata import store
    from mhtool.refdata.bands import band_expr, parse_bands

    parsed = parse_bands(bands, top=90)
    labels = [b[0] for b in parsed]
    tree = store.geography(geography)
    pop = store.ons_population(year, geography).join(tree, on="subicb_code")
    pop = pop.with_columns(band_expr(parsed).alias("band"))
    keys = [f"{level}_code", f"{level}_ons", f"{level}_name"]

    def wide(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
        out = df.group_by(by).agg(
            *[
                pl.col("population").filter(pl.col("band") == lab).sum().alias(lab)
                for lab in labels
            ],
            pl.col("population").sum().alias("all_ages"),
        )
        return out.rename(dict(zip(by, ["code", "ons_code", "name"], strict=False)))

    orgs = wide(pop, keys).sort("code")
    england = wide(
        pop.with_columns(
            pl.lit(vocab.ENGLAND_CODE).alias("c"),
            pl.lit(vocab.ENGLAND_ONS).alias("o"),
            pl.lit(vocab.ENGLAND_NAME).alias("n"),
        ),
        ["c", "o", "n"],
    )
    return pl.concat([orgs, england])


@click.command("population")
@click.option(
    "--year",
    type=click.IntRange(2019, 2020),
    default=2020,
    show_default=True,
    help="ONS mid-year estimate: 2019 or 2020.",
)
@click.option(
    "--geography",
    type=click.Choice(GEOGRAPHIES),
    default="2022",
    show_default=True,
    help="Geography vintage.",
)
@click.option(
    "--bands",
    default="0-17,18-64,65+",
    show_default=True,
    help="Comma-separated age bands: N-M, a single age N, or an open last band N+ "
    "(to 90+). Bands may leave gaps but must not overlap.",
)
@click.option(
    "--level",
    type=click.Choice(list(_LEVELS)),
    default="subicb",
    show_default=True,
    help="Organisation level to report.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="Aligned text table or CSV on stdout.",
)
def population(year: int, geography: str, bands: str, level: str, fmt: str) -> None:
    """Print ONS resident population by organisation in the named age bands, with codes,
    names, an all-ages column and an England total row.

    \b
    Examples:
      mhtool population --year 2020 --geography 2021 --bands 0-17,18-64,65+
      mhtool population --bands 0-25 --level icb --format csv
      mhtool population --year 2019 --bands 0 --level region   # births proxy (age 0)
    """
    df = population_table(year, geography, bands, level)
    if fmt == "csv":
        click.echo(csvsafe.frame(df).write_csv(line_terminator="\n"), nl=False)
        return
    rows = [df.columns] + [
        [f"{v:,}" if isinstance(v, int) else str(v) for v in r] for r in df.rows()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(df.columns))]
    numeric = [i >= 3 for i in range(len(df.columns))]
    for n, r in enumerate(rows):
        click.echo(
            "  ".join(
                c.rjust(w) if numeric[i] else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=False))
            ).rstrip()
        )
        if n == 0 or n == len(rows) - 2:
            click.echo("  ".join("-" * w for w in widths))


COMMANDS = [population]
