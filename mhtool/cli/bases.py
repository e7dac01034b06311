"""`mhtool bases`: the named weights ambitions can be apportioned by."""

from __future__ import annotations

from pathlib import Path

import click

from mhtool.catalogue.load import load_catalogue
from mhtool.vocab import GEOGRAPHIES


@click.command("bases")
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Catalogue whose bases to list (its own [bases.*] included).",
)
@click.option(
    "--geography",
    type=click.Choice(GEOGRAPHIES),
    default="2022",
    show_default=True,
    help="With --show, the geography vintage to compute weights for.",
)
@click.option("--population-year", default=2020, show_default=True, type=int)
@click.option(
    "--show",
    "show",
    metavar="BASIS",
    help="Print this basis's weight and share for every sub-ICB location.",
)
def bases_command(catalogue_path, geography, population_year, show):
    """List the bases (weights) ambitions are split by, and which ambitions use each.

    \b
    Examples:
      mhtool bases
      mhtool bases --show births_proxy --geography 2022
    """
    from mhtool import bases as bases_mod  # polars: loaded only when a command runs

    catalogue = load_catalogue(catalogue_path)
    if show:
        if show not in catalogue.bases:
            raise click.BadParameter(
                f"unknown basis {show!r}; choose one of {sorted(catalogue.bases)}",
                param_hint="--show",
            )
        w = bases_mod.weights(
            show,
            catalogue.bases[show],
            geography=geography,
            population_year=population_year,
            where=str(catalogue.path),
        )
        total = sum(w.values())
        click.echo("subicb_code,weight,share")
        for code, value in w.items():
            click.echo(f"{code},{value:.3f},{value / total:.6f}")
        return
    used: dict[str, list[str]] = {}
    for amb in catalogue.ambitions:
        if amb.basis:
            used.setdefault(amb.basis, []).append(amb.id)
    for name, spec in sorted(catalogue.bases.items()):
        params = ", ".join(
            f"{k}={v}"
            for k, v in sorted(spec.items())
            if k not in ("source", "label") and not k.startswith("_")
        )
        click.echo(
            f"{name}\n  {spec.get('label', '')}\n  source: {spec['source']}"
            f" ({bases_mod.SOURCE_DESCRIPTIONS.get(spec['source'], '')})"
            f"{'; ' + params if params else ''}\n"
            f"  used by: {', '.join(used.get(name, [])) or '-'}"
        )


COMMANDS = [bases_command]
