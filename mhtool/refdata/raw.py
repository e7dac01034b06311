"""One reader and a handful of validators shared by every raw source.

Raw files differ in wrapping (gzip, zip, BOM) and header spelling, but every check we need
is the same: the columns exist, keys are unique, counts are non-negative numbers, every code
maps to exactly one parent and totals reconcile. Each failure raises InputError naming the
raw file, the row (1-based data row, or the code) and the column.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mhtool.errors import InputError

_ROW = "__row"  # 1-based data row number carried through for error messages


@dataclass
class RawDir:
    """The raw folder plus a ledger of every file read (for sources.json)."""

    root: Path
    read: dict[str, dict] = field(default_factory=dict)

    def path(self, rel: str) -> Path:
        p = self.root / rel
        if not p.is_file():
            raise InputError("raw file not found", file=str(p))
        return p

    def sha256(self, rel: str) -> str:
        return self.read[rel]["sha256"]


def read_csv(
    raw: RawDir,
    rel: str,
    columns: dict[str, str] | list[str],
    *,
    counts: list[str] = (),
    floats: list[str] = (),
    key: list[str] | None = None,
    blank_as_zero: list[str] = (),
    where: pl.Expr | None = None,
) -> pl.DataFrame:
    """Read `rel` (csv, csv.gz or single-member zip) as text and validate it.

    `columns` maps our name -> the file's header (a list means same names). `counts` must be
    non-negative integers, `floats` non-negative numbers; `blank_as_zero` counts may be blank
    (treated as 0, tallied in the ledger). `where` filters rows before the numeric checks
    (row numbers still refer to the whole file). `key` must be unique after filtering.
    """
    path = raw.path(rel)
    data = path.read_bytes()
    entry = raw.read.setdefault(rel, {"sha256": hashlib.sha256(data).hexdigest()})
    try:
        df = pl.read_csv(unwrap(data, path.suffix, rel), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"not a readable CSV ({first}); download it again", file=rel) from None
    df = df.rename({c: c.lstrip("\ufeff").strip() for c in df.columns})
    if df.height == 0:
        raise InputError("holds a header but no rows; download it again", file=rel)
    entry["rows"] = df.height
    if isinstance(columns, list):
        columns = {c: c for c in columns}
    for theirs in columns.values():
        if theirs not in df.columns:
            raise InputError(
                f"missing column (have: {', '.join(df.columns)})", file=rel, field=theirs
            )
    df = df.with_row_index(_ROW, offset=1).select(
        _ROW, *[pl.col(t).str.strip_chars().alias(o) for o, t in columns.items()]
    )
    for col in blank_as_zero:
        entry[f"blank_{col}_all_rows"] = int(df[col].is_null().sum())
    if where is not None:
        df = df.filter(where)
    for col in blank_as_zero:
        entry[f"blank_{col}"] = int(df[col].is_null().sum())
        df = df.with_columns(pl.col(col).fill_null("0"))
    df = _numbers(df, rel, columns, counts, pl.Int64)
    df = _numbers(df, rel, columns, floats, pl.Float64)
    if key:
        dup = df.filter(~pl.struct(key).is_first_distinct())  # the repeats, not the first
        if dup.height:
            r = dup.row(0, named=True)
            raise InputError(
                f"duplicate key {tuple(r[k] for k in key)}",
                file=rel,
                row=r[_ROW],
                field=columns[key[0]],
            )
    return df


def unwrap(data: bytes, suffix: str, rel: str) -> bytes:
    """The CSV text inside a raw file (plain, gzip or a zip holding one CSV), checked to be
    whole and UTF-8: a download cut short or saved in another encoding is named, with the
    line of the first bad byte, instead of failing somewhere inside the reader."""
    again = "download it again"
    if not data:
        raise InputError(f"is empty (0 bytes); {again}", file=rel)
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = [n for n in zf.namelist() if n.endswith(".csv")]
                if len(names) != 1:
                    raise InputError(f"expected one CSV in the zip, found {names}", file=rel)
                data = zf.read(names[0])
        elif suffix == ".gz":
            data = gzip.decompress(data)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        kind = "zip" if suffix == ".zip" else "gzip"
        raise InputError(
            f"not a readable {kind} file, truncated or damaged ({exc}); {again}", file=rel
        ) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1  # the header is line 1, data row 1 line 2
        raise InputError(f"not UTF-8 text; {again}", file=rel, row=line - 1 or "header") from None
    if not data.strip():
        raise InputError(f"holds no rows; {again}", file=rel)
    return data


def _numbers(df, rel, columns, cols, dtype) -> pl.DataFrame:
    for col in cols:
        parsed = df[col].cast(pl.Float64, strict=False)
        bad_mask = parsed.is_null() | parsed.is_nan() | (parsed < 0)
        if dtype == pl.Int64:
            bad_mask = bad_mask | (parsed != parsed.round(0))
        bad = df.filter(bad_mask.fill_null(True))
        if bad.height:
            r = bad.row(0, named=True)
            raise InputError(
                f"not a non-negative {'whole ' if dtype == pl.Int64 else ''}number: {r[col]!r}",
                file=rel,
                row=r[_ROW],
                field=columns[col],
            )
        df = df.with_columns(parsed.cast(dtype).alias(col))
    return df


def one_parent(df: pl.DataFrame, child: str, parents: list[str], rel: str) -> pl.DataFrame:
    """Distinct (child, parents...) rows; a child code with two parents is an error."""
    out = df.select(child, *parents).unique()
    clash = out.filter(pl.col(child).is_duplicated()).sort(child)
    if clash.height:
        code = clash[child][0]
        seen = clash.filter(pl.col(child) == code).rows()
        raise InputError(
            f"code maps to more than one parent: {seen}", file=rel, row=code, field=child
        )
    nulls = out.filter(pl.any_horizontal(pl.all().is_null()))
    if nulls.height:
        raise InputError(f"blank code in hierarchy: {nulls.row(0)}", file=rel, field=child)
    return out.sort(child)


def require_mapped(df: pl.DataFrame, col: str, rel: str, what: str, id_col: str) -> None:
    """Every row must have found a parent in a join (left join leaves nulls)."""
    miss = df.filter(pl.col(col).is_null())
    if miss.height:
        codes = miss[id_col].unique().sort().to_list()
        raise InputError(
            f"{len(codes)} {what} map to nothing: {', '.join(codes[:10])}"
            f"{' …' if len(codes) > 10 else ''}",
            file=rel,
            row=codes[0],
            field=id_col,
        )


def reconcile(got: float, want: float, rel: str, what: str, *, tol: float = 0.5) -> None:
    """Stop the build when a table's total drifts from the source's published total."""
    if abs(got - want) > tol:
        raise InputError(
            f"{what} total {got:,.4f} does not reconcile to {want:,.4f}", file=rel, field=what
        )
