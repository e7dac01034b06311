"""Write plan assurance: assurance.csv, assurance_issues.csv and assurance.xlsx.

The workbook follows the project's spreadsheet standards through the shared writer
(mhtool.outputs.workbook.write): a title in A1 and a description in A2 on every sheet, one Excel
table from A3, no merged cells or formulas, text written as text, the rating in words, the
document title set and the first sheet active. Sheets: Cover, Contents, England, one per
region, Chart (plan against fair share by system, with its figures in a table beside it)
Issues (every row rejected, not used or not compared, and why) and Notes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from mhtool import csvsafe
from mhtool.assure.compare import COLUMNS
from mhtool.assure.read import Issue
from mhtool.fields import ROW_FORMAT
from mhtool.infra.manifest import sha256
from mhtool.outputs.views.tables import Column, Table
from mhtool.outputs.workbook.write import (
    COVER_WIDTH,
    Formats,
    new_workbook,
    notes_sheet,
    print_setup,
    simple_table,
    wrapped,
    write_table,
)
from mhtool.planning.template import format_value

CSV_FILE = "assurance.csv"
ISSUES_FILE = "assurance_issues.csv"
XLSX_FILE = "assurance.xlsx"
RECORD_FILE = "assurance.json"  # what was compared; marks the folder as mhtool's
ISSUE_COLUMNS = ["file", "row", "field", "problem", "action", "cause"]

NOTES = [
    "Plan or actual: the figure the ambition is measured on, from the months of the plan "
    "or, where 'Compared' says actual delivery, of the actuals: the March value for "
    "rolling 12-month, point-in-time and quarterly measures, the sum of the months for "
    "in-year counts. Providers and sub-ICB locations are summed to their ICB unless the "
    "ICB gave its own row; ICBs are summed to regions (unless the region gave its own row, "
    "which is then checked against its ICBs) and regions to England. A rate or standard is "
    "compared as each ICB or region gives it, never summed.",
    "Fair share: the run's apportioned figure for the organisation, ambition and year.",
    "Gap: plan minus fair share. Shortfall: how far the plan misses the fair share: below "
    "it where more is better, above it where less is better (out-of-area placements, "
    "length of stay); 0 where it meets it. A region's or England's plan covers only the "
    "systems that planned: see 'Systems planned'.",
    "Percentages are recomputed from the summed numerators and denominators at every "
    "level, never averaged; the fair-share percentage is the fair share over the same "
    "denominator the planning export uses.",
    "Rating: plan as a percentage of fair share against the thresholds given (default: red "
    "below 95%, amber 95% to below 100%, green at or above 100%); always in words. Where "
    "less is better (the catalogue's direction, e.g. out-of-area placements) the band is "
    "mirrored: green at or below 100%, amber above 100% to 105%, red above 105%; against a "
    "fair share of zero, green only for a plan of zero.",
    "[x] = not available.",
]


def _sheet_name(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31].strip()


def _table(sheet: str, name: str, title: str, frame: pl.DataFrame) -> Table:
    columns = [
        Column("Compared", "compared"),
        Column("Level", "level"),
        Column("Region code", "region_code"),
        Column("Organisation code", "org_code"),
        Column("Organisation", "org_name"),
        Column("Ambition ID", "ambition_id"),
        Column("Planning reference", "planning_ref"),
        Column("Measure type", "measure_type"),
        Column("Financial year", "fin_year"),
        Column("Plan or actual [note 1]", "plan", "row"),
        Column("Fair share [note 2]", "fair_share", "row"),
        Column("Gap, plan minus fair share [note 3]", "gap", "row"),
        Column("Plan as % of fair share", "pct_of_fair_share", "rate"),
        Column("Rating [note 5]", "rating"),
        Column("Shortfall [note 3]", "shortfall", "row"),
        Column("Systems planned", "systems_planned"),
        Column("Plan version (source)", "source"),
    ]
    frame = frame.with_columns(
        pl.when(pl.col("measure_type") == "Percentage")
        .then(pl.lit("rate"))
        .otherwise(pl.lit("count"))
        .alias(ROW_FORMAT)
    )
    return Table(
        sheet,
        title,
        "One row per organisation, ambition, year and measure: plan, fair share, gap and "
        "rating [note 1] [note 4] [note 6].",
        columns,
        frame,
        name=name,
    )


def tables(result: pl.DataFrame) -> list[Table]:
    """England first, then a sheet per region (the region and its ICBs)."""
    out = [
        _table(
            "England",
            "england",
            "Plans against fair shares: England and every region",
            result.filter(pl.col("level").is_in(["england", "region"])),
        )
    ]
    regions = result.filter(pl.col("level") == "region").select("org_code", "org_name").unique()
    for code, name in sorted(regions.iter_rows()):
        part = result.filter(pl.col("region_code") == code)
        out.append(
            _table(
                _sheet_name(name or code),
                f"region_{code}".lower(),
                f"Plans against fair shares: {name} ({code}) and its systems",
                part,
            )
        )
    return out


def _issues_table(issues: list[Issue]) -> Table:
    frame = pl.DataFrame(
        [
            {
                "file": Path(i.file).name,
                "row": "" if i.row is None else str(i.row),
                "field": i.field,
                "problem": i.problem,
                "action": i.action,
                "cause": i.why,
            }
            for i in issues
        ],
        schema={c: pl.String for c in ISSUE_COLUMNS},
    )
    return Table(
        "Issues",
        "Rows rejected, not used or not compared, and why",
        "One row per problem found in the plan files: the file, row and field, and what was done.",
        [Column(c.capitalize(), c) for c in ISSUE_COLUMNS],
        frame,
        name="issues",
    )


def write_csvs(result: pl.DataFrame, issues: list[Issue], folder: Path) -> None:
    """assurance.csv and assurance_issues.csv: the result and the rejected rows."""
    rows = [
        ["" if v is None else (format_value(v) if isinstance(v, float) else str(v)) for v in r]
        for r in result.select(COLUMNS).iter_rows()
    ]
    _csv(folder / CSV_FILE, COLUMNS, rows)
    write_issues(issues, folder)


def write_issues(issues: list[Issue], folder: Path) -> None:
    """assurance_issues.csv: every problem, with its file, row, field, action and cause
    (also when nothing was usable: then it is the whole output)."""
    _csv(
        folder / ISSUES_FILE,
        ISSUE_COLUMNS,
        [
            [i.file, "" if i.row is None else str(i.row), i.field, i.problem, i.action, i.why]
            for i in issues
        ],
    )


def by_cause(issues: list[Issue]) -> list[tuple[tuple[str, str], list[Issue]]]:
    """Issues grouped by (cause, action), the commonest first."""
    groups: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        groups.setdefault((i.why, i.action), []).append(i)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def write_record(folder: Path, *, run_dir: Path, plans: list[Path], options: dict) -> None:
    """assurance.json: the run and plan files compared (with sha256) and the options, so a
    result can be traced; its `"tool": "mhtool"` lets a later assure replace the folder."""
    import json

    record = {
        "tool": "mhtool",
        "command": "mhtool assure",
        "against": str(Path(run_dir).resolve()),
        "plans": {str(p): sha256(p) for p in plans if Path(p).is_file()},
        "options": options,
    }
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """As every CSV the project writes: no cell a spreadsheet would run (mhtool.csvsafe);
    plan files are input, and their text reaches the issues list."""
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(csvsafe.row(r) for r in rows)


def _chart_frame(result: pl.DataFrame) -> pl.DataFrame:
    """ICB plan and fair share for each ambition's latest year planned (counts only)."""
    icb = result.filter(
        pl.col("level") == "icb", pl.col("measure_type") == "Count", pl.col("compared") == "plan"
    )
    latest = icb.group_by("ambition_id").agg(pl.col("fin_year").max())
    return icb.join(latest, on=["ambition_id", "fin_year"]).sort("ambition_id", "org_code")


def cover_lines(result: pl.DataFrame, issues: list[Issue], about: dict) -> list[tuple[str, str]]:
    """(heading, text) pairs for the Cover sheet: what the workbook is, what was compared."""
    causes = [f"{len(g)} {c} ({a})" for (c, a), g in by_cause(issues)]
    planned = result.filter(pl.col("level") == "icb").get_column("org_code").n_unique()
    return [
        (
            "What this is",
            "System plans compared with their fair shares of the national ambitions: plan, "
            "fair share, gap, plan as a percentage of fair share and a rating in words, for "
            "each ICB, region and England. A fair share is an apportionment, not a target set "
            "for a system; the monthly profile it is read against is indicative.",
        ),
        ("Fair shares from", str(about.get("against", ""))),
        ("Plan files", "; ".join(about.get("plans", [])) or "none"),
        (
            "Options",
            f"plan version: {about.get('source') or 'each system’s latest'}; rating "
            f"thresholds: {about.get('thresholds', '')}",
        ),
        ("Systems with a plan compared", str(planned)),
        (
            "Issues",
            "; ".join(causes) + " (listed on the Issues sheet)" if issues else "none",
        ),
        ("Data date", str(about.get("data_date", ""))),
    ]


def write_xlsx(
    result: pl.DataFrame, issues: list[Issue], path: Path, data_date: str, about: dict | None = None
) -> None:
    """assurance.xlsx on the shared workbook writer, dated by the data, not the clock."""

    sheets = tables(result)
    chart_rows = _chart_frame(result)
    wb = new_workbook(path)
    try:
        created = dt.datetime.fromisoformat(str(data_date)[:10])
    except ValueError:
        created = dt.datetime(2000, 1, 1)
    wb.set_properties({"title": "Plans against fair shares", "created": created})
    f = Formats(wb)
    names = ["Cover", "Contents", *[t.sheet for t in sheets], "Chart", "Issues", "Notes"]
    ws = wb.add_worksheet("Cover")
    print_setup(ws)
    ws.set_column(0, 0, COVER_WIDTH)
    ws.write_string(0, 0, "Plans against fair shares", f.title)
    ws.write_string(1, 0, "What this workbook compares, and with what.")
    r = 2
    for heading, text in cover_lines(result, issues, {"data_date": data_date, **(about or {})}):
        ws.write_string(r, 0, heading, f.heading)
        wrapped(ws, r + 1, 0, text, COVER_WIDTH, f.wrap)
        r += 2
    ws = wb.add_worksheet("Contents")
    print_setup(ws)
    simple_table(
        ws,
        "Contents",
        "Contents",
        "This workbook compares system plans with their fair shares. Select a sheet name.",
        ["Sheet name", "Description"],
        [[n, _describe(n)] for n in names],
        f,
        links=True,
        name="contents",
    )
    for t in sheets:
        ws = wb.add_worksheet(t.sheet)
        print_setup(ws)
        write_table(ws, t, f)
    ws = wb.add_worksheet("Chart")
    _chart_sheet(wb, ws, chart_rows, f)
    ws = wb.add_worksheet("Issues")
    print_setup(ws)
    write_table(ws, _issues_table(issues), f)
    notes_sheet(wb, NOTES, f)
    wb.worksheets()[0].activate()
    wb.close()


def _describe(sheet: str) -> str:
    return {
        "England": "England and each region: plan against fair share",
        "Cover": "What this workbook is, and what was compared",
        "Contents": "This list of sheets",
        "Chart": "Plan against fair share by system, for each ambition's latest year planned",
        "Issues": "Rows rejected, not used or not compared, and why",
        "Notes": "Numbered notes referred to as [note N]",
    }.get(sheet, f"{sheet}: the region and each of its systems")


def _chart_sheet(wb, ws, frame: pl.DataFrame, f) -> None:
    table = Table(
        "Chart",
        "Plan against fair share by system",
        "The figures charted: each system's plan and fair share for each ambition's latest "
        "year planned [note 1] [note 2].",
        [
            Column("Ambition ID", "ambition_id"),
            Column("Financial year", "fin_year"),
            Column("Organisation code", "org_code"),
            Column("Organisation", "org_name"),
            Column("Plan", "plan", "count"),
            Column("Fair share", "fair_share", "count"),
            Column("Rating", "rating"),
        ],
        frame,
        name="chart_data",
    )
    print_setup(ws)
    write_table(ws, table, f)
    first = 3  # data rows start below the header at A3
    row = 0
    for aid in frame.get_column("ambition_id").unique(maintain_order=True).to_list():
        idx = [i for i, a in enumerate(frame.get_column("ambition_id").to_list()) if a == aid]
        lo, hi = first + idx[0], first + idx[-1]
        year = frame.get_column("fin_year")[idx[0]]
        chart = wb.add_chart({"type": "bar"})
        for col, label in ((4, "Plan"), (5, "Fair share")):
            chart.add_series(
                {
                    "name": label,
                    "categories": ["Chart", lo, 2, hi, 2],
                    "values": ["Chart", lo, col, hi, col],
                }
            )
        chart.set_title({"name": f"{aid} {year}: plan and fair share by system"})
        chart.set_x_axis({"name": "People", "major_gridlines": {"visible": True}})
        chart.set_y_axis({"name": "System (ICB code)", "reverse": True})
        chart.set_size({"width": 720, "height": max(300, 22 * len(idx) + 120)})
        ws.insert_chart(
            row,
            8,
            chart,
            {
                "description": f"Bar chart of {aid} {year}: each system's plan beside its "
                "fair share; the figures are in the table on this sheet."
            },
        )
        row += max(16, len(idx) + 8)
