"""Views of the spine: workbooks, charts and the planning export.

`write_outputs` is the one entry point `mhtool run` calls; `mhtool check` re-reads what
it wrote (see mhtool/outputs/check.py).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mhtool.outputs.views.meta import WorkbookMeta

# what a run's worker jobs run (outputs.batch.run_task): the modules workers started ahead
# of their jobs load (infra.parallel.started)
WORKER_MODULES = ("mhtool.outputs.batch",)


def write_outputs(  # noqa: PLR0913 (each a documented option of the run)
    spine: pl.DataFrame,
    out_dir: Path,
    meta: WorkbookMeta,
    *,
    subicb_workbooks: bool = False,
    region: str | None = None,
    system: str | None = None,
    progress: bool | None = None,
    workers: int | None = None,
    places: pl.DataFrame | None = None,
    pool=None,
) -> list[Path]:
    """Write england.xlsx, regions/, systems/, (subicbs/), charts/ and planning/ into
    out_dir and return the paths written, in a stable order.

    `region` / `system` (ODS codes) limit the run to that organisation and those below;
    an unknown code raises InputError listing the valid ones. `progress=None` shows a
    progress bar (on stderr) only when stderr is a terminal. `workers=None` picks the
    number of worker processes (1 for small runs). The planning export
    (mhtool.outputs.planning.write) takes its references, rules and denominators, and whether to
    add sub-ICB rows, from `meta.planning` (none: no template lines). `places`: the
    run's place rows (a run with places), for each system workbook's Places sheet and
    the places block of its Summary; `spine` holds the levels above them only. `pool`:
    worker processes started ahead (infra.parallel.started), for the workbooks' jobs.
    """
    from mhtool.outputs.batch import write_all  # start-up: any outputs module runs this file

    paths, _cells = write_all(
        spine,
        out_dir,
        meta,
        subicb_workbooks=subicb_workbooks,
        region=region,
        system=system,
        progress=progress,
        workers=workers,
        places=places,
        pool=pool,
    )
    return paths


__all__ = ["WORKER_MODULES", "write_outputs"]
