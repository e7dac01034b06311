"""Write every output of a run: workbooks, charts and the planning export.

Work is split into one task per charted organisation (England, each region, each ICB):
the task renders that organisation's chart once and writes every file that uses it
(its workbook and its sub-ICB workbooks). Tasks are independent, so with more than a
handful they run in worker processes (spawned, not forked: polars' thread pool is not
fork-safe); every file's bytes depend only on the spine and meta. The
planning export (mhtool.outputs.planning.write), a few CSV files from the whole spine, is
written in this process while the workers run (after the tasks when there are none).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.infra import folder
from mhtool.infra.parallel import Pool, run_jobs
from mhtool.infra.progress import job_weight
from mhtool.outputs.charts import write as charts
from mhtool.outputs.delivery.write import write_csv as write_delivery
from mhtool.outputs.planning import write as planning_export
from mhtool.outputs.report import write as report
from mhtool.outputs.selector import write as selector
from mhtool.outputs.views import delivery
from mhtool.outputs.views import place_tables as place_views
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.layout import org_label, short_name
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.sheets import page_tables, workbook_tables
from mhtool.outputs.views.tables import prepare
from mhtool.outputs.workbook.write import Chart, write_workbook


@dataclass
class Task:
    """One charted organisation and the workbooks that use its chart."""

    chart_code: str
    chart_file: str
    workbooks: list[scopes.Scope] = field(default_factory=list)
    pages: frozenset[str] = frozenset()  # organisations with a report page, for links


def _org_name(df: pl.DataFrame, code: str) -> str:
    return df.filter(pl.col("org_code") == code).get_column("org_name")[0]


def workbook_title(df: pl.DataFrame, scope: scopes.Scope) -> str:
    """'<the period of the spine's years>: <organisation>'. Nothing names a particular
    plan, so a new planning round is a catalogue change only."""
    years = sorted(df.get_column("year").unique().drop_nulls().to_list())
    title = f"Fair shares of national mental health ambitions, {years[0]} to {years[-1]}"
    if scope.level == "england":
        return f"{title}: England, every region, ICB and sub-ICB location"
    return f"{title}: {org_label(_org_name(df, scope.code), scope.code)}"


def plan_tasks(df: pl.DataFrame, planned: list[scopes.Scope]) -> list[Task]:
    """Group the planned workbooks by the chart they show, so each chart is drawn once."""
    tasks: dict[str, Task] = {}
    for s in planned:
        code = (
            s.code
            if s.level != "subicb"
            else df.filter(pl.col("org_code") == s.code).get_column("parent_code")[0]
        )
        name = "england" if code == vocab.ENGLAND_CODE else code
        task = tasks.setdefault(code, Task(code, folder.chart_file(name)))
        task.workbooks.append(s)
    pages = frozenset(s.code for s in planned if s.level != "subicb")
    for task in tasks.values():
        task.pages = pages
    return list(tasks.values())


def run_task(
    task: Task,
    frame: pl.DataFrame,
    meta: WorkbookMeta,
    out_dir: Path,
    places: pl.DataFrame | None = None,
    actuals: pl.DataFrame | None = None,
) -> list[tuple[str, int]]:
    """Write one task's files; returns (relative path, cells written) for each. `places`:
    the task's system's place rows (outputs.places.system_parts), for its workbook;
    `actuals`: the delivery rows of the task's organisations (outputs.views.delivery)."""
    out: list[tuple[str, int]] = []
    drawn: list[Chart] = []
    compare_file = task.chart_file.removesuffix(".png") + "_compare.png"
    for render, file in ((charts.render, task.chart_file), (charts.render_compare, compare_file)):
        marks = delivery.marks(actuals, task.chart_code) if render is charts.render else None
        rendered = (
            render(frame, task.chart_code, marks) if marks else render(frame, task.chart_code)
        )
        if rendered is not None:
            drawn.append(Chart(rendered[0], rendered[1], file))
            (out_dir / file).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / file).write_bytes(rendered[0])
            out.append((file, 0))
    for s in task.workbooks:
        rows = scopes.rows(frame, s)
        org = short_name(_org_name(frame, s.code), s.code, with_code=False)
        title = workbook_title(frame, s)
        own = drawn if s.level in ("england", "region") else drawn[:1]
        own_places = None
        if s.level == "icb" and places is not None:
            own_places = place_views.system_rows(places, frame)
        made = page_tables(rows, meta, actuals)  # the workbook's and the report page's
        shown = workbook_tables(rows, meta, own_places, actuals, made)
        cells = write_workbook(out_dir / s.path, title, shown, meta, own, org)
        out.append((s.path, cells))
        if s.code == task.chart_code:
            pictures = [(c.png, c.alt) for c in own]
            page = report.write_page(
                out_dir, rows, s.code, meta, pictures, task.pages, actuals, made
            )
            out.append((page, 0))
    return out


def _task_rows(df: pl.DataFrame, task: Task, parent: dict[str, str]) -> pl.DataFrame:
    """The smallest slice of the spine a task needs (less to send to a worker); `parent`:
    scopes.parents(df), made once for every task."""
    first = task.workbooks[0]
    return (
        df
        if first.level == "england"
        else scopes.rows(
            df, first if first.level != "subicb" else scopes.Scope("icb", task.chart_code), parent
        )
    )


def write_all(  # noqa: PLR0913 (each a documented option of the run)
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
    pool: Pool | None = None,
) -> tuple[list[Path], int]:
    """Write the outputs; returns (paths in a stable order, cells written). `places`: the
    run's place rows (spine rows at the place level), for the system workbooks; `pool`:
    worker processes started ahead (infra.parallel.started) for the jobs."""
    out_dir = Path(out_dir)
    df = prepare(spine)
    planned = scopes.plan(df, subicb_workbooks=subicb_workbooks, region=region, system=system)
    tasks = plan_tasks(df, planned)
    if progress is None:
        progress = sys.stderr.isatty()  # where the bar is drawn
    label = "Writing workbooks and charts" if progress else None
    by_icb = place_views.system_parts(places)
    delivered = delivery.build(spine, meta.actuals, meta.geography) if meta.actuals else None
    jobs, parent = [], scopes.parents(df)
    for t in tasks:
        rows = _task_rows(df, t, parent)
        jobs.append(
            (t, rows, meta, out_dir, by_icb.get(t.chart_code), delivery.for_orgs(delivered, rows))
        )
    exported: list[str] = []
    if delivered is not None:
        write_delivery(delivered, out_dir)
        exported.append(delivery.FILE)

    def export() -> None:  # the planning CSVs and selector.xlsx, written while workers write
        exported.extend(
            planning_export.write(
                df,
                out_dir,
                meta,
                icbs=[s.code for s in planned if s.level == "icb"],
                england=any(s.level == "england" for s in planned),
                places=places,
            )
        )
        exported.append(selector.write_run(df, out_dir, meta, places))

    results = run_jobs(
        run_task,
        jobs,
        workers=workers,
        label=label,
        weights=[
            job_weight(len(t.workbooks), rows.height, 0 if own is None else own.height)
            for t, rows, _, _, own, _ in jobs
        ],
        meanwhile=export,
        pool=pool,
    )
    written = [item for result in results for item in result]
    folder.RunFolder(out_dir).workbook_meta.write_text(  # words the tables; check reads it
        json.dumps(meta.as_dict(), sort_keys=True, indent=1, ensure_ascii=False, default=str)
        + "\n",
        encoding="utf-8",
    )
    written.append((folder.WORKBOOK_META, 0))
    written += [(rel, 0) for rel in exported]
    order = {
        "england.xlsx": 0,
        folder.SELECTOR: 0,
        "regions": 1,
        "systems": 2,
        "subicbs": 3,
        "charts": 4,
        "planning": 5,
        "report": 6,
    }
    england_csv = folder.planning_file(None)
    written.sort(key=lambda p: (order.get(p[0].split("/")[0], 9), p[0] != england_csv, p[0]))
    return [out_dir / p for p, _ in written], sum(c for _, c in written)
