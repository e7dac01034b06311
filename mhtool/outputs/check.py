"""Re-read a run's outputs and check them against the spine it saved.

Every check is a function returning a list of problem lines (empty when all is well), so
`mhtool check` prints them and tests assert on them. The families:

- sums: each count, funding and workforce figure's children sum exactly to it
  (sub-ICBs → ICB → region → England, per ambition and year);
- workbooks (mhtool.outputs.workbook.check): every table cell equals what the spine gives
  (the expected tables are recomputed from the saved spine by the same views the writer
  uses); sheet order, a title in A1, one uniquely named Excel table per table sheet at A3,
  no merged cells, no formulas, the title property set, the first sheet active at A1;
- planning (mhtool.outputs.planning.check): every planning-CSV field equals what the spine
  gives, each line's months stand for its apportioned figure (March or the quarter end, or
  the sum for in-year counts) in whole people, and the ICB files add up to england.csv
  month by month;
- report: every HTML report page's Summary, Compare and Standards tables show the
  spine's figures cell by cell, and every link resolves to a file in the run
  (mhtool.outputs.report.check);
- files: with a manifest.json, every output it lists exists and every workbook, CSV, PNG
  and Parquet file present is listed; apportionment.csv equals apportionment.parquet.

This module holds the checks of the run as a whole (sums, places, files) and runs them all;
each output's own checks sit beside its writer.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mhtool import csvsafe, vocab
from mhtool import spine as spines  # its read_spine checks the columns
from mhtool.errors import InputError
from mhtool.infra import folder
from mhtool.infra.folder import RunFolder
from mhtool.infra.manifest import folder_problems, regular
from mhtool.infra.parallel import run_jobs
from mhtool.infra.progress import CHECK_ROWS, job_weight
from mhtool.outputs.delivery.check import check as check_delivery
from mhtool.outputs.planning.check import check_planning
from mhtool.outputs.report import check as reportcheck
from mhtool.outputs.selector.check import check_selector
from mhtool.outputs.views import delivery
from mhtool.outputs.views import scope as scopes
from mhtool.outputs.views.meta import WorkbookMeta
from mhtool.outputs.views.place_tables import place_table, system_parts
from mhtool.outputs.views.problems import TOLERANCE, capped, figure_text, unreadable
from mhtool.outputs.views.tables import prepare
from mhtool.outputs.workbook.check import check_book

SPINE_FILE = folder.SPINE_PARQUET


@dataclass
class Report:
    """What `mhtool check` found, and how much it looked at."""

    problems: list[str]
    workbooks: int
    csvs: int
    spine_rows: int
    manifest: bool = False  # whether the files were held to a manifest.json
    place_rows: int = 0  # spine rows at the place level (runs with --places)
    pages: int = 0  # HTML report pages checked (mhtool.outputs.report.check)
    selector: bool = False  # selector.xlsx checked (mhtool.outputs.selector.check)

    @property
    def summary(self) -> str:
        files = "; every file is listed in manifest.json" if self.manifest else ""
        places = (
            f"; {self.place_rows:,} place rows sum to their parents and match places/*.csv"
            if self.place_rows
            else ""
        )
        report = (
            f"; {self.pages} report pages show the spine's figures and every link resolves"
            if self.pages
            else ""
        )
        selector = "; selector.xlsx's data and formulas match it" if self.selector else ""
        return (
            f"OK: {self.workbooks} workbooks and {self.csvs} planning CSV files match the "
            f"spine ({self.spine_rows:,} rows){selector}; every level sums to its parent; "
            f"layout rules hold{report}{files}{places}."
        )


# --- sums --------------------------------------------------------------------------------


def additive(spine: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Rows whose figures must add up: counts, and all funding and workforce figures."""
    return spine.filter(
        ~pl.col("kind").is_in(vocab.CARRIED_KINDS),
        (pl.col("kind") == "count") | pl.col("measure").is_in(["funding", "workforce"]),
    )


def check_sums(spine: pl.DataFrame) -> list[str]:
    """Each parent's figure equals the sum of its children's, per ambition and year."""
    df = additive(spine.lazy())  # lazily: only the columns summed are read
    problems = []
    steps = [
        ("subicb", ["icb"]),
        ("icb", ["region"]),
        ("region", ["england"]),
        (vocab.PLACE, ["subicb", "icb"]),  # a place sits under its sub-ICB or its ICB
    ]
    for child, parent in steps:
        sums = (
            df.filter(pl.col("level") == child)
            .group_by("parent_code", "ambition_id", "year")
            .agg(pl.col("value").sum().alias("children"), pl.len().alias("n"))
        )
        parents = df.filter(pl.col("level").is_in(parent)).select(
            pl.col("org_code").alias("parent_code"), "ambition_id", "year", "value"
        )
        joined = sums.join(parents, on=["parent_code", "ambition_id", "year"], how="left")
        bad = joined.filter(
            pl.col("value").is_null() | ((pl.col("children") - pl.col("value")).abs() > TOLERANCE)
        )
        bad = bad.with_columns(pl.col("ambition_id", "parent_code").cast(pl.String))
        for r in bad.sort("ambition_id", "year", "parent_code").collect().iter_rows(named=True):
            if r["value"] is None:
                problems.append(
                    f"sums: {r['ambition_id']} {r['year']}: {r['n']} {child} rows "
                    f"name parent {r['parent_code']}, which has no row"
                )
            else:
                problems.append(
                    f"sums: {r['ambition_id']} {r['year']}: the {r['n']} {child} rows under "
                    f"{r['parent_code']} sum to {figure_text(r['children'])} but "
                    f"{r['parent_code']} has {figure_text(r['value'])}"
                )
    return problems


def check_places(out_dir: Path, spine: pl.DataFrame) -> list[str]:
    """places/<ICB>.csv holds exactly the spine's place rows of that ICB, and a spine with
    places has those files (sums are checked with the other levels in check_sums). One
    ICB at a time, so a compact spine (mhtool.spine.compact_text) is never made text whole."""
    where, practices = RunFolder(out_dir).places, Path(folder.PLACES_MAP).name
    files = (
        sorted(p for p in where.glob("*.csv") if p.name != practices and regular(p))
        if where.is_dir()
        else []
    )
    problems = []
    have = {p.stem for p in files}
    need = set(
        spine.lazy()
        .filter(pl.col("level") == vocab.PLACE)
        .select(pl.col("icb_code").cast(pl.String).unique())
        .collect()["icb_code"]
        .to_list()
    )
    for icb in sorted(need - have):
        problems.append(
            f"{folder.places_file(icb)}: missing, but the spine has places in ICB {icb}"
        )
    for icb in sorted(have - need):
        problems.append(f"{folder.places_file(icb)}: the spine has no places in ICB {icb}")
    for p in files:
        if p.stem not in need:
            continue
        exp = csvsafe.frame(spines.plain_text(place_table(spine, p.stem)))  # as written
        try:
            got = pl.read_csv(p, schema_overrides=dict(exp.schema), infer_schema=False)
        except (OSError, pl.exceptions.PolarsError) as exc:
            problems.append(f"{folder.places_file(p.stem)}: {unreadable(exc)}")
            continue
        key = ["ambition_id", "year", "place_code"]
        j = exp.join(got, on=key, how="full", suffix="_file")
        bad = j.filter(
            pl.col("place_code").is_null()
            | pl.col("place_code_file").is_null()
            | ((pl.col("value") - pl.col("value_file")).abs() > TOLERANCE)
        )
        if bad.height:
            r = bad.row(0, named=True)
            problems.append(
                f"{folder.places_file(p.stem)}: {bad.height} row(s) differ from the spine, e.g. "
                f"{r['ambition_id'] or r['ambition_id_file']} {r['year'] or r['year_file']} "
                f"{r['place_code'] or r['place_code_file']}"
            )
    return capped(problems, "places")


# --- the run's files ----------------------------------------------------------------------

MANIFEST_FILE = folder.MANIFEST
CSV_FILE = folder.SPINE_CSV
LISTED_SUFFIXES = (".xlsx", ".csv", ".png", ".parquet")
UNLISTED_OK = (folder.MANIFEST, folder.LOG)  # and changes.*: see check_files


def check_files(out_dir: Path) -> list[str]:
    """With a manifest.json: every output it lists exists as a regular file with the
    sha256 recorded (a chart or CSV replaced since the run is found here), and every
    workbook, CSV, PNG and Parquet file present is listed (bar manifest.json, run.log and
    changes.*, which a comparison adds). Without one there is nothing to hold the folder to."""
    if not os.path.lexists(RunFolder(out_dir).manifest):
        return []
    return capped(
        folder_problems(out_dir, LISTED_SUFFIXES, UNLISTED_OK, folder.CHANGES_PREFIX), "files"
    )


def check_spine_csv(out_dir: Path, spine: pl.DataFrame) -> list[str]:
    """apportionment.csv holds the same rows and values as apportionment.parquet (its
    text cells made formula-safe as every CSV's are: mhtool.csvsafe). The CSV is read a
    block of rows at a time (read_csv_batches) against the same rows of `spine`,
    which may be compact (mhtool.spine.compact_text)."""
    path = out_dir / CSV_FILE
    if not path.is_file():
        return []
    bad: dict[str, list] = {}  # column -> [rows differing, first (line, csv, parquet)]
    seen = 0
    try:
        with open(path, encoding="utf-8", newline="") as f:
            header = next(csv.reader([f.readline()]), [])
        if set(spine.columns) - set(header):  # older than a column: read whole
            return _compare_spine_csv(spine, spines.read_spine(path), bad)
        for got in read_csv_batches(path):
            if seen + got.height <= spine.height:
                part = spine.slice(seen, got.height)
                _compare_spine_csv(part, got.select(spine.columns), bad, seen)
            seen += got.height
    except (InputError, ValueError, OSError, pl.exceptions.PolarsError) as exc:
        return [f"{CSV_FILE}: cannot be read as a spine ({exc})"]
    if seen != spine.height:
        return [f"{CSV_FILE}: has {seen:,} rows; {SPINE_FILE} has {spine.height:,}"]
    return _spine_csv_problems(spine.columns, bad)


#: Bytes of apportionment.csv read_csv_batches parses at a time.
CSV_BLOCK = 1 << 23


def read_csv_batches(path: Path, block: int | None = None):
    """The spine CSV at `path` as frames of whole rows (about `block` bytes of the file
    each, CSV_BLOCK by default) with the spine's types, in file order, so a
    practice-places run's 400 MB file is checked without holding it (polars would map it
    whole). A row ends at a line break outside quotes (a quoted cell may hold one)."""
    with open(path, "rb") as f:
        header, rest = f.readline(), b""
        while True:
            data = f.read(block or CSV_BLOCK)
            buf = rest + data
            cut = _rows_end(buf) if data else len(buf)
            if cut:
                yield pl.read_csv(header + buf[:cut], schema_overrides=spines.SCHEMA)
            rest = buf[cut:]
            if not data:
                return


def _rows_end(buf: bytes) -> int:
    """Just past the last line break of `buf` that ends a CSV row (an even number of
    quote characters before it); 0 when none does."""
    end, quotes = len(buf), buf.count(b'"')  # quotes before `end`
    while (nl := buf.rfind(b"\n", 0, end)) >= 0:
        quotes -= buf.count(b'"', nl, end)
        if quotes % 2 == 0:
            return nl + 1
        end = nl
    return 0


def _compare_spine_csv(spine, got, bad: dict[str, list], offset: int = 0) -> list[str]:
    """Tally in `bad` where `got` (rows of the CSV from `offset`) differs from the same
    rows of the Parquet `spine`; returns the problems when given the whole files."""
    if offset == 0 and got.height != spine.height:
        return [f"{CSV_FILE}: has {got.height:,} rows; {SPINE_FILE} has {spine.height:,}"]
    spine = csvsafe.frame(spines.plain_text(spine))
    pair = pl.concat(
        [spine, got.select(pl.all().name.suffix("_csv"))], how="horizontal"
    ).with_row_index("_n", offset)
    differ = {name: _differs(name, spine.schema[name]) for name in spine.columns}
    counts = pair.select(d.sum().alias(name) for name, d in differ.items()).row(0, named=True)
    for name, count in counts.items():
        if count:
            first = pair.filter(differ[name]).select("_n", name, f"{name}_csv").row(0)
            bad.setdefault(name, [0, first])[0] += count
    return _spine_csv_problems(spine.columns, bad)


def _differs(name: str, dtype: pl.DataType) -> pl.Expr:
    """True where column `name` of the Parquet spine and `name`_csv of the CSV differ."""
    want, have = pl.col(name), pl.col(f"{name}_csv")
    if dtype.is_numeric():
        both = want.is_not_null() & have.is_not_null()
        differ = (want.is_null() != have.is_null()) | (
            both
            & ~(
                (want.is_nan() & have.is_nan())
                | ((want - have).abs() <= TOLERANCE * pl.max_horizontal(pl.lit(1.0), want.abs()))
            )
        )
    else:  # the CSV cannot tell an empty string from no value
        differ = want.cast(pl.String).fill_null("") != have.cast(pl.String).fill_null("")
    return differ.fill_null(True)


def _spine_csv_problems(columns: list[str], bad: dict[str, list]) -> list[str]:
    problems = []
    for name in (c for c in columns if c in bad):
        count, (n, w, g) = bad[name]
        problems.append(
            f"{CSV_FILE} line {n + 2}: {name} is {g!r}; {SPINE_FILE} has "
            f"{w!r}" + (f" ({count - 1:,} more rows differ in {name})" if count > 1 else "")
        )
    return capped(problems, CSV_FILE)


# --- a whole run -------------------------------------------------------------------------


def read_spine(
    out_dir: Path, *, compact: bool = False, where: pl.Expr | None = None
) -> pl.DataFrame:
    """The run's Parquet spine, with a clear error when the folder holds none; `compact`
    and `where` as mhtool.spine.read_spine."""
    path = out_dir / SPINE_FILE
    if not path.exists():
        raise InputError(
            f"no {SPINE_FILE} here; is this the folder a run wrote?", file=str(out_dir)
        )
    return spines.read_spine(path, compact=compact, where=where)


def read_meta(out_dir: Path) -> WorkbookMeta:
    """The settings the workbooks were worded with (folder.WORKBOOK_META); an empty
    WorkbookMeta where the run saved none."""
    path = RunFolder(Path(out_dir)).workbook_meta
    if not path.is_file():
        return WorkbookMeta()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc})", file=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("not the settings mhtool saves (a JSON object)", file=str(path))
    return WorkbookMeta.from_mapping(data)


def _rows_for(prepared: pl.DataFrame, rel: str) -> pl.DataFrame:
    """Only the rows a workbook can show, so each worker is sent a small frame."""
    scope = scopes.Scope.from_path(rel)
    if scope is None:
        return prepared
    try:
        return scopes.rows(prepared, scope)
    except KeyError:  # a workbook of no organisation in the spine: check_workbook says so
        return prepared.clear()


def check_dir(out_dir: Path, *, workers: int | None = None, progress: bool = False) -> Report:
    """Every check on a run folder: its files against manifest.json, apportionment.csv
    against the Parquet spine, the spine's sums, then each workbook and planning CSV.
    `progress` tells the workbooks checked so far (mhtool.infra.progress), as a run does."""
    out_dir = Path(out_dir)
    spine = read_spine(out_dir, compact=True)  # with places, a million rows: held compact
    problems = check_files(out_dir) + check_spine_csv(out_dir, spine) + check_sums(spine)
    problems += check_places(out_dir, spine)
    place_rows = spine.filter(pl.col("level") == vocab.PLACE)  # compact, as a run holds them
    rows, places = spine.height, place_rows.height
    # the views' rows, the levels above places, as Parquet gives them (text read from its
    # dictionaries is smaller than text made from categories, sent to every worker)
    spine = read_spine(out_dir, where=pl.col("level") != vocab.PLACE)
    prepared = prepare(spine)
    by_icb = system_parts(place_rows)  # each made workbook rows where it is checked
    books = sorted(
        p
        for p in out_dir.rglob("*.xlsx")
        if scopes.Scope.from_path(p.relative_to(out_dir).as_posix()) and regular(p)
    )
    meta = read_meta(out_dir)
    found, delivered = check_delivery(out_dir, spine, meta)
    problems += found
    jobs = [
        (
            p,
            p.relative_to(out_dir).as_posix(),
            _rows_for(prepared, p.relative_to(out_dir).as_posix()),
            meta,
            by_icb.get(p.stem) if p.parent.name == scopes.FOLDERS["icb"] else None,
            delivery.for_orgs(delivered, _rows_for(prepared, p.relative_to(out_dir).as_posix())),
        )
        for p in books
    ]
    found = run_jobs(
        check_book,
        jobs,
        workers=workers,
        label="Checking workbooks" if progress else None,
        weights=[  # as the run's jobs are weighed
            job_weight(1, rows.height, 0 if part is None else part.height, CHECK_ROWS)
            for _, _, rows, _, part, _ in jobs
        ],
    )
    problems += [line for lines in found for line in lines]
    problems += check_selector(out_dir, prepared, meta, place_rows)
    planning_problems, csvs = check_planning(out_dir, spine, prepared, place_rows)
    problems += planning_problems
    html_pages = reportcheck.pages(out_dir)
    found = run_jobs(
        reportcheck.check_page,
        [
            (p, rel, rows, meta, out_dir, delivery.for_orgs(delivered, rows))
            for p in html_pages
            for rel in [p.relative_to(out_dir).as_posix()]
            for rows in [scopes.rows(prepared, reportcheck.scope_of(rel))]
        ],
        workers=workers,
    )
    problems += [line for lines in found for line in lines]
    if not books and not csvs:
        problems.append(f"{out_dir}: no workbooks or planning CSV files to check")
    return Report(
        problems,
        len(books),
        csvs,
        rows,
        RunFolder(out_dir).holds_run(),
        places,
        len(html_pages),
        RunFolder(out_dir).selector.is_file(),
    )
