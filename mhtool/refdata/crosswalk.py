"""Population flows between two geography vintages' sub-ICB codes, through the shipped
LSOA crosswalks.

A comparison of runs on different vintages needs to know where each old sub-ICB's
people went. The shipped crosswalks link some pairs of vintages (both ways); any other
pair is reached by a breadth-first search over them, composing flows on the way (each
flow through an intermediate vintage splits like that vintage's own population).
"""

from __future__ import annotations

from collections import deque

import polars as pl

from mhtool.errors import InputError
from mhtool.refdata import store


def _crosswalk_edges() -> dict[tuple[str, str], pl.DataFrame]:
    """Every shipped crosswalk, both ways: (from, to) -> from_code, to_code, pop."""
    edges = {}
    for path in sorted((store.reference_data_dir() / "geography").glob("crosswalk_*_*.csv")):
        a, b = path.stem.split("_")[1:3]
        cw = store.crosswalk(a, b).select(
            pl.col("from_subicb_code").alias("from_code"),
            pl.col("to_subicb_code").alias("to_code"),
            pl.col("population_mid2020").cast(pl.Float64).alias("pop"),
        )
        edges[(a, b)] = cw
        edges[(b, a)] = cw.select(
            pl.col("to_code").alias("from_code"), pl.col("from_code").alias("to_code"), "pop"
        )
    return edges


def _compose(ab: pl.DataFrame, bc: pl.DataFrame) -> pl.DataFrame:
    """Population flows a→c through b: each a→b flow splits like b's own population."""
    b_total = bc.group_by("from_code").agg(pl.col("pop").sum().alias("b_pop"))
    return (
        ab.join(
            bc.rename({"from_code": "mid", "to_code": "to2", "pop": "pop2"}),
            left_on="to_code",
            right_on="mid",
        )
        .join(b_total.rename({"from_code": "to_code"}), on="to_code")
        .group_by("from_code", "to2")
        .agg((pl.col("pop") * pl.col("pop2") / pl.col("b_pop")).sum().alias("pop"))
        .rename({"to2": "to_code"})
    )


def subicb_flows(old: str, new: str, old_codes: list[str]) -> pl.DataFrame:
    """Population flows between old and new sub-ICB codes (from_code, to_code, pop)."""
    if old == new:
        return pl.DataFrame(
            {"from_code": old_codes, "to_code": old_codes, "pop": [1.0] * len(old_codes)}
        )
    edges = _crosswalk_edges()
    queue, seen = deque([(old, None)]), {old}
    while queue:
        vintage, flows = queue.popleft()
        if vintage == new:
            return flows
        for (a, b), cw in edges.items():
            if a == vintage and b not in seen:
                seen.add(b)
                queue.append((b, cw if flows is None else _compose(flows, cw)))
    have = sorted(f"{a}->{b}" for a, b in edges)
    raise InputError(
        f"cannot compare geography {old} with {new}: no crosswalk links them "
        f"(have {', '.join(have)})"
    )
