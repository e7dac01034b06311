"""A snapshot of real figures: every ICB's 2023/24 figure for every ambition split below
England, from the shipped catalogue and reference data.

Wrong reference data or an engine change can keep every invariant (sums, shares) and
still move local figures; this makes any such move a reviewed diff. After an intended
change, regenerate and review the diff:

    MHTOOL_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_golden_figures.py
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import polars as pl

from mhtool import vocab
from mhtool.catalogue.load import load_catalogue
from mhtool.planning.template import format_value
from mhtool.spine import build_spine

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "icb_2023_24_headline.csv"
YEAR = "2023/24"
SPLIT = (vocab.BY_BASIS, vocab.TARGETED, vocab.SUM_OF_PARTS)


def headline_csv() -> str:
    """The snapshot's text: one row per ICB and split ambition, in spine order."""
    spine = build_spine(load_catalogue(), geography="2022", population_year=2020)
    rows = spine.filter(
        pl.col("level") == "icb", pl.col("year") == YEAR, pl.col("split_method").is_in(SPLIT)
    )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["icb_code", "icb_name", "ambition_id", "unit", "value", "national_value"])
    for r in rows.iter_rows(named=True):
        w.writerow(
            [
                r["org_code"],
                r["org_name"],
                r["ambition_id"],
                r["unit"],
                format_value(r["value"]),
                format_value(r["national_value"]),
            ]
        )
    return out.getvalue()


def test_icb_headline_figures_match_the_reviewed_snapshot():
    got = headline_csv()
    if os.environ.get("MHTOOL_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(got, encoding="utf-8", newline="\n")
    want = GOLDEN.read_text(encoding="utf-8")
    assert got.count("\n") > 42, "the snapshot should hold every ICB"
    if got != want:
        changed = sorted(set(got.splitlines()) ^ set(want.splitlines()))[:10]
        raise AssertionError(
            f"{GOLDEN.name} differs from the figures now produced (first lines that differ: "
            f"{changed}); if the change is intended, regenerate with MHTOOL_REGEN_GOLDEN=1 "
            "and review the diff"
        )
