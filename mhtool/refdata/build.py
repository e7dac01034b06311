"""Build every shipped reference table from the raw public files, all-or-nothing.

Tables are written to a temporary folder beside the target and swapped in only after every
table has validated, so a failed build leaves the existing reference data untouched. Only
the folders and files this build owns are replaced; anything else in the target (the
catalogues, bases.toml) is left alone. Outputs hold no build-clock timestamps and no
absolute paths, so a rebuild from the same raw files is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mhtool.infra.atomic import staged_folder
from mhtool.infra.lock import run_lock
from mhtool.infra.log import checkpoint
from mhtool.refdata import geography, need, population, practice_tables, qof
from mhtool.refdata.actuals import nhstt, phsmi
from mhtool.refdata.raw import RawDir
from mhtool.refdata.sources import render_sources_md

OWNED = [
    "geography",
    "population",
    "need",
    "registers",
    "places",
    "actuals",
    "SOURCES.md",
    "sources.json",
]
FLOAT_DECIMALS = 4


@dataclass
class Table:
    """One built reference table with what sources.json records about it."""

    path: str  # relative to the output folder
    df: pl.DataFrame
    inputs: list[str]  # raw files, relative to the raw folder
    totals: dict
    notes: list[str] = field(default_factory=list)
    routes: dict | None = None


def _totals(df: pl.DataFrame, by: list[str], values: list[str]) -> dict:
    agg = df.group_by(by).agg(pl.col(values).sum()).sort(by)
    return {
        " ".join(str(r[b]) for b in by): {v: _num(r[v]) for v in values}
        for r in agg.iter_rows(named=True)
    }


def _num(x):
    return round(float(x), FLOAT_DECIMALS) if isinstance(x, float) else int(x)


def build_tables(raw: RawDir, progress: Callable[[str], None] = lambda s: None) -> list[Table]:
    """Every reference table from the raw files, validated, in memory (nothing written)."""
    geo = geography.build(raw)
    tables = []
    for v, t in sorted(geo.trees.items()):
        tables.append(
            Table(
                f"geography/geography_{v}.csv",
                t,
                geography.VINTAGE_INPUTS[v],
                {
                    "subicb": t["subicb_code"].n_unique(),
                    "icb": t["icb_code"].n_unique(),
                    "region": t["region_code"].n_unique(),
                },
                geo.notes.get(v, []),
            )
        )
        progress(
            f"geography {v}: {t.height} sub-ICBs, {t['icb_code'].n_unique()} ICBs, "
            f"{t['region_code'].n_unique()} regions"
        )

    mye, lsoas = population.ons_mye(raw, geo)
    pop20 = lsoas[2020].select("lsoa", pl.col("total").alias("population"))
    crosswalks = {}
    for a, b in (("2021", "2022"), ("2022", "2026")):
        cw = crosswalks[b] = geography.crosswalk(geo, a, b, pop20)
        moved = cw.filter(pl.col("from_subicb_code") != pl.col("to_subicb_code"))
        inputs = sorted(
            set(geography.VINTAGE_INPUTS[a] + geography.VINTAGE_INPUTS[b] + [population.MYE[2020]])
        )
        tables.append(
            Table(
                f"geography/crosswalk_{a}_{b}.csv",
                cw,
                inputs,
                {
                    "lsoa_count": int(cw["lsoa_count"].sum()),
                    "population_mid2020": int(cw["population_mid2020"].sum()),
                    "moved_lsoas": int(moved["lsoa_count"].sum()),
                    "moved_population_mid2020": int(moved["population_mid2020"].sum()),
                },
                geo.notes.get(b, []) if b == "2026" else [],
            )
        )
        progress(f"crosswalk {a}->{b}: {cw.height} rows, {moved['lsoa_count'].sum()} LSOAs move")

    inputs = sorted(
        set(population.MYE.values()) | {i for v in geography.VINTAGE_INPUTS.values() for i in v}
    )
    tables.append(
        Table(
            "population/ons_mye.csv",
            mye,
            inputs,
            _totals(mye, ["year", "geography"], ["population"]),
            [f"geography {v}: {n}" for v in ("2024", "2026") for n in geo.notes.get(v, [])],
        )
    )
    progress(f"ONS mid-year estimates: {mye.height} rows")

    gp = population.gp_registered(raw, geo)
    women = gp.filter((pl.col("sex") == "female") & pl.col("age").is_between(15, 44))
    tables.append(
        Table(
            "population/gp_registered.csv",
            gp,
            [population.GP_REG, geography.PRAC_MAP26],
            _totals(gp, ["sex"], ["patients"])
            | {
                "all": {"patients": int(gp["patients"].sum())},
                "female 15-44": {"patients": int(women["patients"].sum())},
            },
        )
    )
    progress(f"GP registered: {gp.height} rows, {gp['patients'].sum():,} patients")

    nw, routes = need.need_weighted(raw, geo)
    tables.append(
        Table(
            "need/need_weighted.csv",
            nw,
            sorted({y[0] for y in need.YEARS.values()} | {geography.ALLOC22, geography.PRAC_MAP26}),
            _totals(nw, ["allocation_year", "geography"], need.WEIGHTS),
            routes=routes,
        )
    )
    progress(f"need-weighted populations: {nw.height} rows")

    smi, smi_sub, ledger = qof.smi(raw, geo)
    qof_inputs = sorted({f for y in qof.YEARS.values() for f in (y[0], y[3])})
    tables.append(
        Table(
            "registers/qof_smi.csv",
            smi,
            qof_inputs,
            _totals(
                smi.filter(pl.col("level") == "england"), ["qof_year"], ["register", "list_size"]
            ),
            routes={k: v for k, v in ledger.items() if " " not in k},
        )
    )
    tables.append(
        Table(
            "registers/qof_smi_subicb.csv",
            smi_sub,
            qof_inputs + [geography.ALLOC22],
            _totals(smi_sub, ["qof_year", "geography"], ["register"]),
            routes={k: v for k, v in ledger.items() if " " in k},
        )
    )
    progress(f"QOF SMI registers: {smi.height} rows; by sub-ICB {smi_sub.height} rows")
    dep, dep_ledger = qof.depression(raw, geo)
    tables.append(
        Table(
            "registers/qof_dep_subicb.csv",
            dep,
            sorted({qof.YEARS[qof.DEP_YEAR][0], qof.YEARS[qof.DEP_YEAR][3]}) + [geography.ALLOC22],
            _totals(dep, ["qof_year", "geography"], ["register"]),
            routes=dep_ledger,
        )
    )
    progress(f"QOF depression register by sub-ICB: {dep.height} rows")
    tables += _place_tables(raw, geo)
    progress(
        "practice-level tables for places: "
        + ", ".join(f"{t.path} {t.df.height} rows" for t in tables if t.path.startswith("places/"))
    )
    cw_inputs = sorted(set(geography.VINTAGE_INPUTS["2026"]) | {population.MYE[2020]})
    for name, source in (("phsmi", phsmi), ("nhstt", nhstt)):
        df, inputs, notes = source.build(raw, geo, crosswalks)
        tables.append(
            Table(
                f"actuals/{name}.csv",
                df,
                sorted(set(inputs) | set(cw_inputs)),
                _actual_totals(df),
                notes,
            )
        )
        progress(f"actuals {name}: {df.height} rows")
    return tables


def _actual_totals(df: pl.DataFrame) -> dict:
    """Per geography, measure and period: rows, missing values and the sum of the rest at
    the lowest level published (what a rebuild must give again)."""
    low = df.filter(pl.col("level") == pl.col("level").last().over("geography", "measure"))
    out = {}
    for (g, m, y), d in sorted(low.group_by("geography", "measure", "period"), key=lambda x: x[0]):
        out[f"{g} {m} {y} {d['level'][0]}"] = {
            "rows": d.height,
            "missing": int(d["value"].is_null().sum()),
            "value": int(d["value"].sum()),
        }
    return out


def _place_tables(raw: RawDir, geo) -> list[Table]:
    """The practice-level tables that split a system's figures to its places."""
    pr = practice_tables.practices(raw, geo)
    counts = {
        g: {
            "practices": d.height,
            "pcns": d["pcn_code"].n_unique(),
            "lads": d["lad_code"].n_unique(),
            "subicbs": d["subicb_code"].n_unique(),
        }
        for (g,), d in sorted(pr.group_by("geography"), key=lambda x: x[0])
    }
    pn = practice_tables.practice_need(raw)
    ps = practice_tables.practice_smi(raw)
    pcn = practice_tables.pcn_registered(raw)
    ages = [c for c in pcn.columns if c.startswith("age_")]
    return [
        Table(
            "places/practices.csv",
            pr,
            sorted({geography.ALLOC22, geography.PRAC_MAP26, practice_tables.NEED26}),
            counts,
        ),
        Table(
            "places/practice_need.csv",
            pn,
            sorted(y[0] for y in need.YEARS.values()),
            _totals(pn, ["allocation_year"], need.WEIGHTS),
        ),
        Table(
            "places/practice_smi.csv",
            ps,
            sorted({f for y in qof.YEARS.values() for f in (y[0], y[3])}),
            _totals(ps, ["qof_year"], ["register"]),
        ),
        Table(
            "places/pcn_registered.csv",
            pcn,
            [practice_tables.GP_REG],
            {
                sex: {"patients": int(d.select(pl.sum_horizontal(ages)).to_series().sum())}
                for (sex,), d in sorted(pcn.group_by("sex"), key=lambda x: x[0])
            }
            | {"pcns": {"count": pcn["pcn_code"].n_unique()}},
        ),
    ]


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """A table as CSV the same way every time (\n line ends, fixed float places), so
    a rebuild is byte-identical."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, line_terminator="\n", float_precision=FLOAT_DECIMALS, null_value="")


def sources_json(tables: list[Table], raw: RawDir, written: dict[str, str]) -> str:
    """The build's record: per table its rows and the sha256 of the file as written
    (`written`, by path), which mhtool.refdata.store checks before every use."""
    gp = next(t.df for t in tables if t.path == "population/gp_registered.csv")
    doc = {
        "licence": "Open Government Licence v3.0",
        "data_date": str(gp["extract_date"].max()),
        "tables": {},
    }
    for t in tables:
        doc["tables"][t.path] = {
            "rows": t.df.height,
            "sha256": written[t.path],
            "inputs": [
                {"file": f, "sha256": raw.read[f]["sha256"], "rows": raw.read[f]["rows"]}
                for f in t.inputs
            ],
            "totals": t.totals,
            "notes": t.notes,
        } | ({"routes": t.routes} if t.routes else {})
    return json.dumps(doc, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def build(
    raw_dir: Path, out_dir: Path, progress: Callable[[str], None] = lambda s: None
) -> list[Table]:
    """Build every table from ``raw_dir`` and swap them into ``out_dir`` all-or-nothing.

    The tables are written to a staging folder beside ``out_dir``, which replaces it whole
    only after every table has validated (mhtool.infra.atomic, as for a run's outputs);
    entries the build does not own (catalogues, bases.toml) are carried over. A build
    killed at any point leaves the old folder, which the next build recovers.
    """
    raw = RawDir(Path(raw_dir))
    out_dir = Path(out_dir).resolve()
    with (
        run_lock(out_dir, "mhtool refdata build"),
        staged_folder(out_dir, marker="sources.json", owned=OWNED) as stage,
    ):
        tables = build_tables(raw, progress)
        checkpoint("refdata-tables")  # built in memory, nothing written (tests kill here)
        for i, t in enumerate(tables):
            write_csv(t.df, stage / t.path)
            if i == 0:
                checkpoint("refdata-writing")  # the staging folder half written
        written = {
            t.path: hashlib.sha256((stage / t.path).read_bytes()).hexdigest() for t in tables
        }
        (stage / "sources.json").write_text(sources_json(tables, raw, written), encoding="utf-8")
        (stage / "SOURCES.md").write_text(render_sources_md(tables, raw), encoding="utf-8")
    return tables
