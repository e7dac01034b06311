"""Compare two runs and explain every change as new shares vs a new national figure.

With old value a = s_old × N_old and new value b = s_new × N_new:

    national effect = (N_new − N_old) × s_old      (the national figure moved)
    share effect    = (s_new − s_old) × N_new      (population, need or basis moved)
    rounding        = (b − a) − national − share   (whole-unit apportionment)

Figures are rounded to DECIMALS places before the residual is taken, so the three parts
add exactly (in decimal) to the change. Rates have no share: their change is national.

Runs on different geography vintages are compared on the NEW organisations: old sub-ICB
values are carried to new sub-ICBs through the LSOA crosswalk's population weights (the
share of each old sub-ICB's mid-2020 population that moved to each new one), and ICB and
region figures are the sums of those mapped sub-ICB figures within the new ICBs and regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.errors import InputError
from mhtool.infra.folder import MANIFEST, RunFolder
from mhtool.infra.manifest import read_manifest
from mhtool.refdata.crosswalk import subicb_flows
from mhtool.spine import organisations, read_spine

DECIMALS = 4
WHOLE = 0.9995  # a from→to flow this close to all of `from` counts as the whole organisation
KEYS = ["level", "org_code", "ambition_id", "year"]
COLUMNS = [
    "level",
    "org_code",
    "org_name",
    "region_code",
    "icb_code",
    "mapping",
    "ambition_id",
    "title",
    "measure",
    "unit",
    "year",
    "basis",
    "old_value",
    "new_value",
    "change",
    "pct_change",
    "national_effect",
    "share_effect",
    "rounding_residual",
    "old_share",
    "new_share",
    "old_national_value",
    "new_national_value",
]


@dataclass
class Run:
    """One run to compare: its spine, geography vintage and a label for messages."""

    spine: pl.DataFrame
    geography: str
    label: str
    catalogue: str = ""  # the catalogue's name, where the run recorded it


@dataclass
class Changes:
    """A comparison: the change table, where old organisations went, and both runs."""

    table: pl.DataFrame  # COLUMNS, one row per new organisation × ambition × year
    organisations: pl.DataFrame  # where each old organisation went: level, old_code, old_name,
    #                              new_codes, mapping
    old: Run
    new: Run


def load_run(folder: Path) -> Run:
    """A finished run folder as a Run; its manifest says which geography it used."""
    folder = Path(folder)
    settings = read_manifest(folder).get("settings", {})
    geography = str(settings.get("geography", ""))
    if not geography:
        raise InputError(f"{MANIFEST} names no geography vintage", file=str(folder))
    return Run(
        read_spine(RunFolder(folder).spine_parquet),
        geography,
        str(folder),
        str(settings.get("catalogue_name", "")),
    )


def check_comparable(old: Run, new: Run) -> None:
    """Two runs are compared line by line, so they must share an ambition in a year: runs
    of different planning rounds (the MHIP's 2019/20-2023/24 and the MTPF's 2026/27-2028/29)
    share none, and a table of every line 'gone' and 'new' would explain nothing."""

    def lines(run: Run) -> set[tuple[str, str]]:
        return set(run.spine.select("ambition_id", "year").unique().iter_rows())

    if lines(old) & lines(new):
        return

    def said(run: Run) -> str:
        years = sorted(run.spine["year"].unique().to_list())
        name = f"catalogue {run.catalogue}, " if run.catalogue else ""
        return f"{run.label} ({name}years {years[0]} to {years[-1]})" if years else run.label

    raise InputError(
        f"{said(old)} and {said(new)} share no ambition in any year, so there is nothing to "
        "compare line by line: diff compares two runs of one planning round (a new "
        "population, geography, basis or national figure). Read two rounds side by side in "
        "their own workbooks.",
        field="catalogue",
    )


# --------------------------------------------------------------------- geography mapping
# (the crosswalk search between vintages is mhtool.refdata.crosswalk; presenting the
# changes, as CSV, workbook or terminal lines, is mhtool.diff.write)


def _parents(run: Run) -> pl.DataFrame:
    """subicb code -> icb_code, region_code for a run, from its own spine."""
    return (
        run.spine.filter(pl.col("level") == "subicb")
        .select(pl.col("org_code").alias("code"), "icb_code", "region_code")
        .unique("code")
    )


def org_flows(old: Run, new: Run) -> pl.DataFrame:
    """level, from_code, to_code, pop at every level, built up from the sub-ICB flows."""
    op, np_ = _parents(old), _parents(new)
    sub = subicb_flows(old.geography, new.geography, op["code"].to_list())
    sub = sub.filter(pl.col("from_code").is_in(op["code"].implode()))
    out = [sub.with_columns(pl.lit("subicb").alias("level"))]
    for level, col in (("icb", "icb_code"), ("region", "region_code")):
        up = (
            sub.join(
                op.select("code", pl.col(col).alias("f")), left_on="from_code", right_on="code"
            )
            .join(np_.select("code", pl.col(col).alias("t")), left_on="to_code", right_on="code")
            .group_by("f", "t")
            .agg(pl.col("pop").sum())
            .select(
                pl.col("f").alias("from_code"),
                pl.col("t").alias("to_code"),
                "pop",
                pl.lit(level).alias("level"),
            )
        )
        out.append(up)
    out.append(
        pl.DataFrame(
            {
                "from_code": [vocab.ENGLAND_CODE],
                "to_code": [vocab.ENGLAND_CODE],
                "pop": [1.0],
                "level": ["england"],
            }
        )
    )
    return pl.concat([f.select("level", "from_code", "to_code", "pop") for f in out])


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.01 else "<1%"


def describe_mapping(flows: pl.DataFrame) -> tuple[dict[tuple[str, str], str], pl.DataFrame]:
    """How each new organisation came about (for the changes table) and where each old one
    went (the organisations table)."""
    f = flows.with_columns(
        (pl.col("pop") / pl.col("pop").sum().over("level", "from_code")).alias("of_from"),
        (pl.col("pop") / pl.col("pop").sum().over("level", "to_code")).alias("of_to"),
    )
    rows = f.sort("level", "to_code", "pop", descending=[False, False, True]).iter_rows(named=True)
    sources: dict[tuple[str, str], list[dict]] = {}
    targets: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        sources.setdefault((r["level"], r["to_code"]), []).append(r)
    for r in f.sort("level", "from_code", "pop", descending=[False, False, True]).iter_rows(
        named=True
    ):
        targets.setdefault((r["level"], r["from_code"]), []).append(r)

    def part(r: dict) -> str:
        return r["from_code"] if r["of_from"] >= WHOLE else f"part of {r['from_code']}"

    new_text = {}
    for (level, code), src in sources.items():
        mine = [r for r in src if r["from_code"] == code]
        others = [r for r in src if r["from_code"] != code]
        if mine:
            lost = [t["to_code"] for t in targets[(level, code)] if t["to_code"] != code]
            bits = ([f"gained {', '.join(part(r) for r in others)}"] if others else []) + (
                [f"lost part to {', '.join(lost)}"] if lost else []
            )
            new_text[(level, code)] = "same" if not bits else "boundary change: " + "; ".join(bits)
        elif len(src) == 1:
            r = src[0]
            new_text[(level, code)] = (
                f"recoded from {r['from_code']}"
                if r["of_from"] >= WHOLE
                else f"split from {r['from_code']}"
            )
        else:
            new_text[(level, code)] = "merged from " + ", ".join(part(r) for r in src)

    old_rows = []
    for (level, code), tgt in targets.items():
        into = [t["to_code"] for t in tgt]
        if len(tgt) == 1:
            t = tgt[0]
            crowd = len(sources[(level, t["to_code"])]) > 1
            text = (
                ("same" if not crowd else "same, enlarged")
                if t["to_code"] == code
                else (f"merged into {t['to_code']}" if crowd else f"recoded as {t['to_code']}")
            )
        elif code in into:
            text = "moved part to " + ", ".join(
                f"{t['to_code']} ({_pct(t['of_from'])})" for t in tgt if t["to_code"] != code
            )
        else:
            text = "split into " + ", ".join(f"{t['to_code']} ({_pct(t['of_from'])})" for t in tgt)
        old_rows.append(
            {"level": level, "old_code": code, "new_codes": ", ".join(into), "mapping": text}
        )
    return new_text, pl.DataFrame(
        old_rows,
        schema={
            "level": pl.String,
            "old_code": pl.String,
            "new_codes": pl.String,
            "mapping": pl.String,
        },
    )


# --------------------------------------------------------------------- values


def _carry_old(old: Run, new: Run, flows: pl.DataFrame) -> pl.DataFrame:
    """Old values and shares on the new organisations (KEYS, old_value, old_share).

    Counts are carried as weighted sums; rates (the same figure everywhere) as weighted
    means, so a rate stays the rate."""
    weights = flows.filter(pl.col("level") == "subicb").with_columns(
        (pl.col("pop") / pl.col("pop").sum().over("from_code")).alias("w")
    )
    sub = (
        old.spine.filter(pl.col("level") == "subicb")
        .join(weights, left_on="org_code", right_on="from_code")
        .select(
            pl.col("to_code").alias("org_code"),
            "ambition_id",
            "year",
            "kind",
            (pl.col("value") * pl.col("w")).alias("vw"),
            (pl.col("share") * pl.col("w")).alias("sw"),
            "w",
        )
    )
    parents = _parents(new)
    frames = [
        old.spine.filter(pl.col("level") == "england").select(
            *KEYS, pl.col("value").alias("old_value"), pl.col("share").alias("old_share")
        )
    ]
    for level, col in (("subicb", None), ("icb", "icb_code"), ("region", "region_code")):
        rows = (
            sub
            if col is None
            else sub.join(
                parents.select("code", col), left_on="org_code", right_on="code"
            ).with_columns(pl.col(col).alias("org_code"))
        )
        frames.append(
            rows.group_by("org_code", "ambition_id", "year", "kind")
            .agg(
                pl.col("vw").sum(),
                pl.col("w").sum(),
                pl.col("sw").sum(),
                pl.col("sw").is_null().all().alias("no_share"),
            )
            .select(
                pl.lit(level).alias("level"),
                "org_code",
                "ambition_id",
                "year",
                pl.when(pl.col("kind").is_in(vocab.CARRIED_KINDS))
                .then(pl.col("vw") / pl.col("w"))
                .otherwise("vw")
                .alias("old_value"),
                pl.when("no_share").then(None).otherwise("sw").alias("old_share"),
            )
        )
    return pl.concat(frames)


def _national(sp: pl.DataFrame, name: str) -> pl.DataFrame:
    return sp.group_by("ambition_id", "year").agg(pl.col("national_value").first().alias(name))


def _ambitions(old: Run, new: Run) -> pl.DataFrame:
    """Per ambition: title, measure, unit, kind (the new run's where it has them) and the
    basis, shown as `old → new` when it changed."""
    meta = ["title", "measure", "unit", "kind"]
    info = (
        pl.concat(
            [
                new.spine.select("ambition_id", *meta).with_columns(pl.lit(0).alias("_n")),
                old.spine.select("ambition_id", *meta).with_columns(pl.lit(1).alias("_n")),
            ]
        )
        .sort("_n")
        .unique("ambition_id", keep="first")
        .drop("_n")
    )
    nb, ob = (
        sp.group_by("ambition_id").agg(pl.col("basis").first().alias(k))
        for k, sp in (("nb", new.spine), ("ob", old.spine))
    )
    return (
        info.join(nb, on="ambition_id", how="left")
        .join(ob, on="ambition_id", how="left")
        .with_columns(
            pl.when(
                pl.col("ob").is_null() | pl.col("nb").is_null() | (pl.col("ob") == pl.col("nb"))
            )
            .then(pl.coalesce("nb", "ob"))
            .otherwise(pl.col("ob") + " → " + pl.col("nb"))
            .alias("basis")
        )
        .drop("nb", "ob")
    )


def compare(old: Run, new: Run) -> Changes:
    """Every change from ``old`` to ``new``, on the new organisations, split exactly into
    national, share and rounding parts (module docstring). Runs sharing no ambition in any
    year are refused (check_comparable)."""
    check_comparable(old, new)
    flows = org_flows(old, new)
    new_text, org_table = describe_mapping(flows)
    old_vals = _carry_old(old, new, flows)
    nsp = new.spine
    orgs = (
        pl.concat([organisations(new.geography), organisations(old.geography)])
        .unique(["level", "org_code"], keep="first")
        .select("level", "org_code", "org_name", "region_code", "icb_code")
    )
    df = (
        nsp.select(*KEYS, pl.col("value").alias("new_value"), pl.col("share").alias("new_share"))
        .join(old_vals, on=KEYS, how="full", coalesce=True)
        .join(_national(old.spine, "old_national_value"), on=["ambition_id", "year"], how="left")
        .join(_national(new.spine, "new_national_value"), on=["ambition_id", "year"], how="left")
        .join(_ambitions(old, new), on="ambition_id", how="left")
        .join(orgs, on=["level", "org_code"], how="left")
    )
    df = _explain(df)
    mapping = [
        new_text.get((lv, c), "new" if nv is not None else "gone")
        for lv, c, nv in df.select("level", "org_code", "new_value").iter_rows()
    ]
    order = {
        a: i
        for i, a in enumerate(
            nsp.unique("ambition_id", keep="first", maintain_order=True)["ambition_id"]
        )
    }
    df = (
        df.with_columns(
            pl.Series("mapping", mapping, pl.String),
            pl.col("ambition_id")
            .replace_strict(order, default=len(order), return_dtype=pl.Int64)
            .alias("_amb"),
            pl.col("level").replace_strict(vocab.LEVEL_ORDER, return_dtype=pl.Int64).alias("_lvl"),
        )
        .sort(
            "_amb",
            "ambition_id",
            "year",
            "_lvl",
            "region_code",
            "icb_code",
            "org_code",
            nulls_last=False,
        )
        .select(COLUMNS)
    )
    names = organisations(old.geography).select(
        "level", pl.col("org_code").alias("old_code"), pl.col("org_name").alias("old_name")
    )
    org_table = (
        org_table.join(names, on=["level", "old_code"], how="left")
        .with_columns(
            pl.col("level").replace_strict(vocab.LEVEL_ORDER, return_dtype=pl.Int64).alias("_l")
        )
        .sort("_l", "old_code")
        .select("level", "old_code", "old_name", "new_codes", "mapping")
    )
    return Changes(df, org_table, old, new)


def _explain(df: pl.DataFrame) -> pl.DataFrame:
    """Change and its split; see the module docstring for the formula."""
    r = DECIMALS
    a, b = pl.col("old_value").fill_null(0.0), pl.col("new_value").fill_null(0.0)
    n_old = pl.col("old_national_value").fill_null(0.0)
    n_new = pl.col("new_national_value").fill_null(0.0)
    # A missing row of a surviving ambition-year has share 0; a missing ambition-year takes
    # the other side's share, so its appearance or removal counts as national.
    s_old = (
        pl.when(pl.col("old_national_value").is_null())
        .then(pl.col("new_share"))
        .otherwise(pl.col("old_share"))
        .fill_null(0.0)
    )
    s_new = (
        pl.when(pl.col("new_national_value").is_null())
        .then(pl.col("old_share"))
        .otherwise(pl.col("new_share"))
        .fill_null(0.0)
    )
    is_rate = pl.col("kind").is_in(vocab.CARRIED_KINDS)
    df = df.with_columns(pl.col("old_value").round(r)).with_columns(
        (b - a).round(r).alias("change"),
        pl.when(is_rate)
        .then(b - a)
        .otherwise((n_new - n_old) * s_old)
        .round(r)
        .alias("national_effect"),
        pl.when(is_rate)
        .then(0.0)
        .otherwise((s_new - s_old) * n_new)
        .round(r)
        .alias("share_effect"),
    )
    df = df.with_columns(
        (pl.col("change") - pl.col("national_effect") - pl.col("share_effect"))
        .round(r)
        .alias("rounding_residual")
    )
    df = df.with_columns(
        pl.when(pl.col("old_value").is_null() | (pl.col("old_value") == 0))
        .then(None)
        .otherwise(100 * pl.col("change") / pl.col("old_value"))
        .round(2)
        .alias("pct_change")
    )
    parts = ["change", "national_effect", "share_effect", "rounding_residual", "pct_change"]
    return df.with_columns(  # -0.0 after rounding reads as a change in the CSV
        pl.when(pl.col(c) == 0).then(0.0).otherwise(c).alias(c) for c in parts
    )
