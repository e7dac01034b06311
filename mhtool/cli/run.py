"""`mhtool run`: the main job — apportion the catalogue and write every output."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from mhtool import __version__
from mhtool.atomic import staged_folder
from mhtool.catalogue import apply_overrides, load_catalogue
from mhtool.manifest import file_hashes, sha256, write_manifest
from mhtool.paths import default_output_dir, reference_data_dir
from mhtool.refdata import store
from mhtool.spine import build_spine, write_spine


def _progress_wanted() -> bool:
    return sys.stderr.isatty()


@click.command()
@click.option("--catalogue", "catalogue_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Ambitions catalogue (TOML). Default: the shipped MHIP 2019/20-2023/24.")
@click.option("--values", "values_path", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of ambition_id,year,value[,note] replacing national figures.")
@click.option("--geography", default="2022", show_default=True,
              help="Organisation hierarchy vintage: 2021, 2022, 2024 or 2026.")
@click.option("--population-year", default=2020, show_default=True, type=int,
              help="ONS mid-year estimate used by population bases.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (replaced whole, only when everything succeeded). "
                   "Default: outputs/.")
@click.option("--level", type=click.Choice(["icb", "subicb"]), default="icb", show_default=True,
              help="subicb adds one workbook per sub-ICB location.")
@click.option("--region", help="Only this region's workbooks, e.g. Y63.")
@click.option("--system", help="Only this ICB's workbooks, e.g. QHM.")
def run(catalogue_path, values_path, geography, population_year, out_dir, level, region, system):
    """Apportion every ambition and write the spine, workbooks, charts and planning CSVs.

    \b
    Examples:
      mhtool run                                  # shipped defaults, into outputs/
      mhtool run --geography 2026 --out out2026   # the 36-ICB geography
      mhtool run --region Y63                     # one region's workbooks only
    """
    from mhtool.outputs import write_outputs

    started = time.perf_counter()
    out_dir = out_dir or default_output_dir()
    catalogue = load_catalogue(catalogue_path)
    if values_path:
        catalogue = apply_overrides(catalogue, values_path)
    store.geography(geography)  # fail fast on an unknown vintage

    with click.progressbar(length=len(catalogue.ambitions), label="Apportioning",
                           file=sys.stderr) if _progress_wanted() else _NoBar() as bar:
        spine = build_spine(catalogue, geography=geography, population_year=population_year,
                            progress=lambda _a: bar.update(1))

    ref_dir = reference_data_dir()
    settings = {"catalogue": catalogue.name, "geography": geography,
                "population_year": population_year, "level": level,
                "region": region, "system": system, "values": str(values_path or "")}
    inputs = {"catalogue": catalogue.sha256,
              **({"values": sha256(values_path)} if values_path else {}),
              **{f"reference_data/{k}": v for k, v in file_hashes(
                  [p for p in ref_dir.rglob("*") if p.is_file()], ref_dir).items()}}
    meta = {"tool_version": __version__, "catalogue_name": catalogue.name,
            "catalogue_sha256": inputs["catalogue"], "geography": geography,
            "population_year": population_year,
            "reference_data": store.describe(geography, population_year),
            "data_date": store.data_date(),
            "bases": {name: spec.get("label", "") for name, spec in catalogue.bases.items()
                      if name in set(spine["basis"].unique().to_list())}}

    with staged_folder(out_dir) as stage:
        written = write_spine(spine, stage)
        written += write_outputs(spine, stage, meta, subicb_workbooks=(level == "subicb"),
                                 region=region, system=system, progress=_progress_wanted())
        write_manifest(stage, settings=settings, inputs=inputs, outputs=written)
    click.echo(f"mhtool run: {len(spine):,} rows for {spine['ambition_id'].n_unique()} "
               f"ambitions; {len(written) + 1} files written to {out_dir} "
               f"in {time.perf_counter() - started:.1f}s")


class _NoBar:
    """Stands in for a progress bar when output is not a terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        pass


COMMANDS = [run]
