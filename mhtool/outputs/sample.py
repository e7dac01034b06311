"""A synthetic spine that reconciles exactly, so outputs can be built and tested before
(and independently of) the real engine. Not used by `mhtool run`.

Every level sums exactly to its parent: values are split by the engine's own top-down
rounding (mhtool.apportion) on integers of the rounding unit (1, or 0.1 WTE).
"""

from __future__ import annotations

import random

import polars as pl

from mhtool.apportion import apportion_hierarchy
from mhtool.spine import SCHEMA

YEARS = ["2019/20", "2020/21", "2021/22", "2022/23", "2023/24"]

# (category, kind, measure, unit, programme, national 2023/24 value, national_only)
_TEMPLATES = [
    ("fixed", "count", "activity", "people", "Perinatal", 66_000, False),
    ("fixed", "count", "funding", "£", "Perinatal", 96_000_000, False),
    ("flexible", "count", "activity", "people", "Adult community", 370_000, False),
    ("flexible", "rate", "activity", "%", "IAPT", 25.0, False),
    ("flexible", "count", "workforce", "WTE", "Adult community", 4_500.0, False),
    ("targeted", "sites", "activity", "sites", "Suicide prevention", 120, False),
    ("targeted", "count", "activity", "people", "Crisis", 1_000, True),
    ("targeted", "count", "funding", "£", "Crisis", 25_000_000, False),
]

_BASES = ["population", "need", "smi_register"]
_PROVENANCE = ["stated", "inferred", "interpolated", "phased"]


def _hierarchy(regions: int, icbs: int, subicbs: int):
    rng = random.Random(7)
    region_codes = [f"Y{56 + i}" for i in range(regions)]
    icb_codes = [f"Q{chr(65 + i // 10)}{i % 10}" for i in range(icbs)]
    sub_codes = [f"{i // 26 + 1:02d}{chr(65 + i % 26)}" for i in range(subicbs)]
    icb_region = {c: region_codes[i % regions] for i, c in enumerate(icb_codes)}
    sub_icb = {c: icb_codes[i % icbs] for i, c in enumerate(sub_codes)}
    names = {"ENG": "England"}
    names |= {c: f"NHS Region {c}" for c in region_codes}
    names |= {c: f"NHS {c} Integrated Care Board" for c in icb_codes}
    names |= {c: f"NHS {c} sub-ICB location" for c in sub_codes}
    # Inputs that look like formulas must come out as text.
    names[sub_codes[0]] = '=HYPERLINK("http://example.com","click")'
    names[icb_codes[-1]] = "+44 Care Board, @risk & <things>"
    weights = {b: {c: rng.uniform(0.5, 2.0) for c in sub_codes} for b in _BASES}
    return region_codes, icb_codes, sub_codes, icb_region, sub_icb, names, weights


def sample_spine(regions: int = 2, icbs: int = 3, subicbs: int = 6, ambitions: int = 8,
                 years: list[str] | None = None, targeted_systems: list[str] | None = None,
                 label_targets: bool = True) -> pl.DataFrame:
    """A spine with `ambitions` ambitions (cycling the templates) over the given hierarchy.

    `targeted_systems` (ICB codes) splits the targeted counts among those systems only, as
    the engine does for a targeted ask naming systems: every organisation keeps a row,
    those outside get 0. Their basis is labelled `<basis> (targeted: <codes>)` as the
    engine labels it, or left plain with `label_targets=False` (as older spines have it).
    """
    years = years or YEARS
    region_codes, icb_codes, sub_codes, icb_region, sub_icb, names, weights = _hierarchy(
        regions, icbs, subicbs)
    ons = {"ENG": "E92000001"}
    ons |= {c: f"E40{i:06d}" for i, c in enumerate(region_codes)}
    ons |= {c: f"E54{i:06d}" for i, c in enumerate(icb_codes)}
    ons |= {c: f"E38{i:06d}" for i, c in enumerate(sub_codes)}
    rows: list[dict] = []

    def row(level, code, parent, region, icb, amb, year, value, share, prov):
        rows.append({"level": level, "org_code": code, "ons_code": ons[code],
                     "org_name": names[code], "parent_code": parent, "region_code": region,
                     "icb_code": icb, **amb, "year": year, "value": value, "share": share,
                     "provenance": prov})

    for a in range(ambitions):
        category, kind, measure, unit, programme, final, national_only = _TEMPLATES[
            a % len(_TEMPLATES)]
        basis = _BASES[a % len(_BASES)]
        named = bool(targeted_systems) and category == "targeted" and kind != "rate" \
            and not national_only
        leaves = [(c, sub_icb[c], icb_region[sub_icb[c]],
                   weights[basis][c] if not named or sub_icb[c] in targeted_systems else 0.0)
                  for c in sub_codes]
        label = basis
        if named and label_targets:
            label = f"{basis} (targeted: {', '.join(sorted(targeted_systems))})"
        amb = {"programme": programme, "ambition_id": f"A{a + 1:02d}",
               "planning_ref": f"E.S.{a + 1}", "title": f"Synthetic {category} {kind} "
               f"{measure} ambition number {a + 1} for {programme.lower()}",
               "category": category, "kind": kind, "measure": measure, "unit": unit,
               "basis": None if kind == "rate" else label}
        step = 10 if measure == "workforce" else 1
        for y, year in enumerate(years):
            frac = (y + 1) / len(years)
            national = round(final * (0.5 + 0.5 * frac) * (1 + a / 100), 1) if kind == "rate" \
                else float(round(final * (0.4 + 0.6 * frac) * (1 + a / 100) * step) / step)
            amb_y = amb | {"national_value": national}
            prov = _PROVENANCE[(a + y) % len(_PROVENANCE)] if y < len(years) - 1 else "stated"
            row("england", "ENG", None, None, None, amb_y, year, national,
                None if kind == "rate" else 1.0, prov)
            if national_only:
                continue
            if kind == "rate":
                for r in region_codes:
                    row("region", r, "ENG", r, None, amb_y, year, national, None, prov)
                for i in icb_codes:
                    row("icb", i, icb_region[i], icb_region[i], i, amb_y, year, national, None,
                        prov)
                for c in sub_codes:
                    i = sub_icb[c]
                    row("subicb", c, i, icb_region[i], i, amb_y, year, national, None, prov)
                continue
            alloc = apportion_hierarchy(round(national * step), leaves, england_code="ENG")
            for r in region_codes:
                row("region", r, "ENG", r, None, amb_y, year, alloc.region[r] / step,
                    alloc.share["region"][r], prov)
                for i in (i for i in icb_codes if icb_region[i] == r):
                    row("icb", i, r, r, i, amb_y, year, alloc.icb[i] / step,
                        alloc.share["icb"][i], prov)
                    for c in (c for c in sub_codes if sub_icb[c] == i):
                        row("subicb", c, i, r, i, amb_y, year, alloc.subicb[c] / step,
                            alloc.share["subicb"][c], prov)
    return pl.DataFrame(rows, schema=SCHEMA)


SAMPLE_META = {
    "tool_version": "0.1.0",
    "catalogue_name": "synthetic catalogue",
    "catalogue_sha256": "0" * 64,
    "geography": "2022",
    "population_year": 2020,
    "reference_data": "ONS mid-2020 estimates; GP registered patients April 2021; "
                      "QOF 2020/21 SMI registers (synthetic)",
    "data_date": "2024-03-31",
    "bases": {"population": "Resident population, all ages (ONS mid-year estimates).",
              "need": "Need-weighted population from the mental health allocation formula.",
              "smi_register": "Patients on the QOF serious mental illness register."},
    "notes": ["These figures are synthetic and for testing only."],
}


def real_size_spine() -> pl.DataFrame:
    """The shape of the real run: 7 regions, 42 ICBs, 106 sub-ICBs, 40 ambitions, 5 years."""
    return sample_spine(regions=7, icbs=42, subicbs=106, ambitions=40)
