"""Map GP practices to sub-ICBs through an ordered chain of routes, recording which route
placed each practice, because no single practice map covers every year's practices.

A route is either a lookup (practice → sub-ICB) or a peer rule: an unplaced practice takes
the sub-ICB of the already-placed practices that share its group (e.g. same PCN, or same ICB
and local authority) when they all agree. Nothing is guessed beyond that; what is left
unplaced is returned for the caller to reject.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Lookup:
    """A placement route: a practice -> sub-ICB map."""

    name: str
    table: pl.DataFrame  # practice, subicb_code


@dataclass(frozen=True)
class Peers:
    """A placement route: the sub-ICB the already placed practices sharing ``by`` agree on."""

    name: str
    by: tuple[str, ...]  # columns of the practice frame


def place(df: pl.DataFrame, routes: list[Lookup | Peers]) -> pl.DataFrame:
    """Add `subicb_code` and `route` (null where no route placed the practice)."""
    out = df.with_columns(
        pl.lit(None, pl.String).alias("subicb_code"), pl.lit(None, pl.String).alias("route")
    )
    for r in routes:
        if isinstance(r, Lookup):
            found = r.table.select("practice", pl.col("subicb_code").alias("_new"))
        else:
            placed = out.filter(
                pl.col("subicb_code").is_not_null()
                & pl.all_horizontal([pl.col(c).is_not_null() for c in r.by])
            )
            agree = (
                placed.group_by(r.by)
                .agg(pl.col("subicb_code").unique().alias("_c"))
                .filter(pl.col("_c").list.len() == 1)
                .select(*r.by, pl.col("_c").list.first().alias("_new"))
            )
            found = out.join(agree, on=list(r.by), how="inner").select("practice", "_new")
        out = (
            out.join(found, on="practice", how="left")
            .with_columns(
                pl.when(pl.col("subicb_code").is_null() & pl.col("_new").is_not_null())
                .then(pl.lit(r.name))
                .otherwise("route")
                .alias("route"),
                pl.coalesce("subicb_code", "_new").alias("subicb_code"),
            )
            .drop("_new")
        )
    return out


def route_summary(placed: pl.DataFrame, weight: str, first_route: int = 20) -> dict[str, dict]:
    """Per route: practices placed and the weight they carry (for sources.json). Small
    routes (the fallbacks, and the unplaced) also list each practice so they can be audited."""
    s = (
        placed.with_columns(pl.col("route").fill_null("UNPLACED: not shipped"))
        .group_by("route")
        .agg(
            pl.len().alias("practices"),
            pl.col(weight).sum(),
            pl.struct("practice", "subicb_code").sort_by("practice").alias("list"),
        )
        .sort("route")
    )
    out = {}
    for r in s.iter_rows(named=True):
        out[r["route"]] = {"practices": r["practices"], weight: round(float(r[weight]), 4)}
        if r["practices"] <= first_route:
            out[r["route"]]["placed"] = {p["practice"]: p["subicb_code"] for p in r["list"]}
    return out


def stable_codes(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Sub-ICB ODS codes with the same ONS code in two trees: same boundary in both."""
    return a.join(b, on=["subicb_code", "subicb_ons"]).select("subicb_code")
