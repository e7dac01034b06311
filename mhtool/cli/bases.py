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
    help="With --show or --compare, the geography vintage to compute weights for.",
)
@click.option("--population-year", default=2020, show_default=True, type=int)
@click.option(
    "--show",
    "show",
    metavar="BASIS",
    help="Print this basis's weight and share for every sub-ICB location.",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Set each basis's ICB shares beside published distributions (the QOF SMI and "
    "depression registers, NHS England's core allocation target, actual delivery where "
    "shipped): the mean absolute difference in percentage points. With --show, that "
    "basis's shares ICB by ICB.",
)
def bases_command(catalogue_path, geography, population_year, show, compare):
    """List the bases (weights) ambitions are split by, and which ambitions use each.

    \b
    Examples:
      mhtool bases
      mhtool bases --show births_proxy --geography 2022
      mhtool bases --compare
      mhtool bases --compare --show mh_need
    """
    from mhtool import bases as bases_mod  # polars: loaded only when a command runs

    catalogue = load_catalogue(catalogue_path)
    if show and show not in catalogue.bases:
        raise click.BadParameter(
            f"unknown basis {show!r}; choose one of {sorted(catalogue.bases)}",
            param_hint="--show",
        )
    if compare:
        _compare(catalogue, geography, population_year, show)
        return
    if show:
        w = bases_mod.weights(
            show,
            catalogue.bases[show],
            geography=geography,
            population_year=population_year,
            where=str(catalogue.path),
            bases=catalogue.bases,
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
            f"{k}="
            + (" + ".join(f"{n} {a:,}" for n, a in v.items()) if isinstance(v, dict) else str(v))
            for k, v in sorted(spec.items())
            if k not in ("source", "label") and not k.startswith("_")
        )
        click.echo(
            f"{name}\n  {spec.get('label', '')}\n  source: {spec['source']}"
            f" ({bases_mod.SOURCE_DESCRIPTIONS.get(spec['source'], '')})"
            f"{'; ' + params if params else ''}\n"
            f"  used by: {', '.join(used.get(name, [])) or '-'}"
        )


def _compare(catalogue, geography: str, population_year: int, show: str | None) -> None:
    """Print the comparison mhtool.bases computes: one row per basis (or, with `show`,
    per ICB), one column per published distribution."""
    from mhtool import bases as bases_mod

    published = bases_mod.published_distributions(geography)
    table = bases_mod.compare_bases(
        catalogue.bases,
        published,
        geography=geography,
        population_year=population_year,
        where=str(catalogue.path),
        only=show,
    )
    for p in published:
        click.echo(f"# {p.name}: {p.label}")
    if show:
        click.echo("icb_code,basis_share_pct," + ",".join(f"{p.name}_pct" for p in published))
        for code, ours, theirs in table.by_icb:
            cells = ",".join("" if t is None else f"{t:.3f}" for t in theirs)
            click.echo(f"{code},{ours:.3f},{cells}")
        return
    click.echo(
        "# mean absolute difference of ICB shares, percentage points (a basis far from both "
        "need and delivery needs a reason)"
    )
    click.echo("basis," + ",".join(p.name for p in published) + ",used_by")
    used: dict[str, list[str]] = {}
    for amb in catalogue.ambitions:
        if amb.basis:
            used.setdefault(amb.basis, []).append(amb.id)
    for name, row in table.rows:
        cells = ",".join("" if r is None else f"{r.mean_abs_points:.3f}" for r in row)
        click.echo(f"{name},{cells},{' '.join(used.get(name, [])) or '-'}")
    for name, why in table.skipped:
        click.echo(f"# {name}: not computed for geography {geography}: {why}")


COMMANDS = [bases_command]
