"""Published actual delivery moved onto a shipped geography, one code vintage at a time.

The actuals files are published on the codes of their day (CCGs of 2019, sub-ICBs of 2022,
ICBs of 2024). A run compares them with fair shares on its own geography, so the build moves
each value along a flow table (from code, to code, weight): a code that goes whole to one
code is carried (several such codes are summed), a code that is split goes in whole people
by the stated weight (largest remainder) and is flagged in its `route`. A value that was
suppressed or not published stays missing, and so does every sum it would be part of:
missing is never read as zero. Moving keeps every total: the parts of a split add back to
the value split.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict

import polars as pl

from mhtool.refdata import qof
from mhtool.refdata.need import practice_maps
from mhtool.refdata.raw import RawDir

#: The columns of every actuals table, in order.
COLUMNS = ["geography", "level", "org_code", "year", "period", "measure", "value", "route"]
AS_PUBLISHED = "as published"
LEVEL_RANK = {"england": 0, "region": 1, "icb": 2, "subicb": 3}


def record(raw: RawDir, rel: str, rows: int) -> bytes:
    """A raw file's bytes, entered in the build's ledger (sha256, rows) for sources.json."""
    data = raw.path(rel).read_bytes()
    raw.read[rel] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": rows}
    return data


def whole_split(value: int, weights: list[float]) -> list[int]:
    """`value` split in whole units by `weights` (largest remainder; ties to the earlier)."""
    total = sum(weights)
    exact = [value * w / total for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (out[i] - exact[i], i))
    for i in order[: value - sum(out)]:
        out[i] += 1
    return out


def onto(df: pl.DataFrame, flows: pl.DataFrame, weight: str) -> tuple[pl.DataFrame, list[str]]:
    """Move `df` (org_code, value, route and key columns) along `flows` (from_code, to_code,
    weight), a group of keys at a time; `weight` names the weight in the routes' words.

    Returns the moved rows and the codes that had no flow (left out, for the notes)."""
    keys = [c for c in df.columns if c not in ("org_code", "value", "route")]
    targets: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for f, t, w in flows.select("from_code", "to_code", "weight").iter_rows():
        if w > 0:
            targets[f].append((t, float(w)))
    unmapped = sorted(set(df["org_code"]) - set(targets))
    acc: dict[tuple, dict] = {}
    for row in df.filter(pl.col("org_code").is_in(list(targets))).iter_rows(named=True):
        code, value = row["org_code"], row["value"]
        dest = sorted(targets[code])
        total = sum(w for _, w in dest)
        parts = [None] * len(dest) if value is None else whole_split(value, [w for _, w in dest])
        for (to, w), part in zip(dest, parts, strict=True):
            k = tuple(row[c] for c in keys) + (to,)
            slot = acc.setdefault(k, {"value": 0, "from": []})
            slot["value"] = None if part is None or slot["value"] is None else slot["value"] + part
            slot["from"].append(_piece(code, to, row["route"], len(dest) > 1, w / total, weight))
    rows = []
    for k, slot in acc.items():
        route = slot["from"][0] if len(slot["from"]) == 1 else "sum of: " + "; ".join(slot["from"])
        row = dict(zip(keys + ["org_code"], k, strict=True))
        rows.append(row | {"value": slot["value"], "route": route})
    out = pl.DataFrame(rows, schema=df.schema) if rows else df.clear()
    return out.select(df.columns), unmapped


def _piece(code: str, to: str, before: str, split: bool, share: float, weight: str) -> str:
    """How one part of a moved value got there, in words (the earlier move kept)."""
    if split:
        here = f"split: {100 * share:.1f}% of {code} by {weight}"
    elif code == to:
        return before
    else:
        here = f"from {code}"
    return here if before == AS_PUBLISHED else f"{here} ({before})"


def practice_flows(raw: RawDir, geo, qof_year: str, weight: str) -> tuple[pl.DataFrame, int]:
    """CCG codes of a QOF year's practice map to geography 2022's sub-ICBs, weighted by the
    practices' `weight` (`register`: SMI register, `list_size`: registered patients), and
    the weight of practices no route places (left out)."""
    placed = qof.place_year(qof.read_year(raw, qof_year), "2022", practice_maps(raw), geo)
    lost = int(placed.filter(pl.col("subicb_code").is_null())[weight].sum())
    flows = (
        placed.drop_nulls("subicb_code")
        .group_by(pl.col("ccg_code").alias("from_code"), pl.col("subicb_code").alias("to_code"))
        .agg(pl.col(weight).sum().alias("weight"))
    )
    return flows, lost


def tidy(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """The actuals table: every frame in COLUMNS order, sorted the same way every build."""
    out = pl.concat([f.select(COLUMNS) for f in frames])
    rank = pl.col("level").replace_strict(LEVEL_RANK, return_dtype=pl.Int8)
    return out.sort("geography", "measure", "year", "period", rank, "org_code")
