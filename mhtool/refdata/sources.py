"""Publisher, release and licence of each raw file, and the human SOURCES.md built from them."""

from __future__ import annotations

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence "
    "v3.0. Source: Office for National Statistics; NHS Digital; NHS England."
)

# raw file: (publisher, publication and release, copied from)
RAW = {
    "geographr/lookup_lsoa11_ccg21_stp21_ltla21.csv.gz": (
        "ONS",
        "LSOA (2011) to CCG to STP (April 2021) Lookup in England, published 1 Apr 2021",
        "humaniverse/geographr",
    ),
    "geographr/lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz": (
        "ONS",
        "LSOA (2011) to Sub ICB Locations to ICBs (July 2022) Lookup in England",
        "humaniverse/geographr",
    ),
    "geographr/lookup_lsoa21_icb24.csv.gz": (
        "ONS",
        "LSOA (2021) to SICBL to ICB to Cancer Alliances to LAD (April 2024) Lookup",
        "humaniverse/geographr",
    ),
    "geographr/lookup_lsoa11_lsoa21_ltla22.csv.gz": (
        "ONS",
        "LSOA (2011) to LSOA (2021) to LAD (2022) Lookup for England and Wales (v2)",
        "humaniverse/geographr",
    ),
    "demographr/population19_lsoa11.csv.gz": (
        "ONS",
        "SAPE22DT2 Mid-2019 LSOA single year of age estimates, persons",
        "humaniverse/demographr",
    ),
    "demographr/population20_lsoa11.csv.gz": (
        "ONS",
        "SAPE23DT2 Mid-2020 LSOA single year of age estimates, persons",
        "humaniverse/demographr",
    ),
    "nhsd_qof/PREVALENCE_1819_v2.csv.gz": (
        "NHS Digital",
        "QOF 2018/19 prevalence (registers) by practice",
        "datascience2021-web/hyp",
    ),
    "nhsd_qof/ORGANISATION_REFERENCE_1819_v2.csv.gz": (
        "NHS Digital",
        "QOF 2018/19 organisation reference (practice → CCG/STP/region)",
        "datascience2021-web/hyp",
    ),
    "nhsd_qof/PREVALENCE_1920.csv.gz": (
        "NHS Digital",
        "QOF 2019/20 prevalence (registers) by practice",
        "datascience2021-web/hyp",
    ),
    "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_1920.csv.gz": (
        "NHS Digital",
        "QOF 2019/20 practice → PCN/CCG/STP/region mapping",
        "datascience2021-web/hyp",
    ),
    "nhsd_qof/PREVALENCE_2021_v2.csv.gz": (
        "NHS Digital",
        "QOF 2020/21 prevalence (registers) by practice",
        "datascience2021-web/hyp",
    ),
    "nhsd_qof/MAPPING_NHS_GEOGRAPHIES_2021.csv.gz": (
        "NHS Digital",
        "QOF 2020/21 practice → PCN/CCG/STP/region mapping (106 CCGs)",
        "datascience2021-web/hyp",
    ),
    "nhse_allocations/2022_2023.csv.gz": (
        "NHS England",
        "ICB place based allocation tool data 2022/23 (practice level)",
        "nhsx/AIF_Allocation_Tool",
    ),
    "nhse_allocations/2023_2024.csv.gz": (
        "NHS England",
        "ICB place based allocation tool data 2023/24 (practice level)",
        "nhsx/AIF_Allocation_Tool",
    ),
    "nhse_allocations/2024_2025.csv.gz": (
        "NHS England",
        "ICB place based allocation tool data 2024/25 (practice level)",
        "nhsx/AIF_Allocation_Tool",
    ),
    "nhse_allocations/2025_2026.csv.gz": (
        "NHS England",
        "ICB allocation tool data 2025/26 (practice level)",
        "nhsengland/ICB_Allocation_Tool_update",
    ),
    "nhse_allocations/2026_2027.csv.gz": (
        "NHS England",
        "ICB place based tool data 2026/27 (practice level, 36 ICBs)",
        "nhsengland/ICB_Place_Based_Tool_2627-2829",
    ),
    "nhsd_gp_registered/gp-reg-pat-prac-map_2022-01.csv.gz": (
        "NHS Digital",
        "Patients Registered at a GP Practice, practice mapping, extract 1 Jan 2022",
        "nhsx-mirror/SystemHierarchies",
    ),
    "nhsd_gp_registered/gp-reg-pat-prac-map_2026-08.zip": (
        "NHS Digital",
        "Patients Registered at a GP Practice, practice mapping, extract 1 Aug 2026",
        "robg-test/icb-map",
    ),
    "nhsd_gp_registered/gp-reg-pat-prac-sing-age-regions_2026-08.zip": (
        "NHS Digital",
        "Patients Registered at a GP Practice, single year of age, sub-ICB/ICB/"
        "region, extract 1 Aug 2026",
        "robg-test/icb-map",
    ),
    "nhstt/measures_annual.parquet": (
        "NHS England",
        "NHS Talking Therapies for anxiety and depression, Annual reports 2017-18 to 2024-25 "
        "(measures by England, region, STP/CCG, ICB, provider)",
        "bennettoxford/nhstt",
    ),
    "phsmi/physical_health_checks_smi_raw_2018q3_2024q4.xlsx": (
        "NHS England",
        "Physical Health Checks for people with Severe Mental Illness, raw data by CCG / "
        "sub-ICB location, Q3 2018/19 to Q4 2023/24",
        "katpham12/NHS-SMI-Health-Check",
    ),
}

WHAT = {
    "geography/geography_2021.csv": (
        "106 CCGs → 42 STPs → 7 regions (April 2021). ONS codes from the LSOA lookup; ODS codes "
        "and regions from the QOF 2020/21 practice mapping, joined on the CCG ONS code."
    ),
    "geography/geography_2022.csv": (
        "106 sub-ICB locations → 42 ICBs → 7 regions (July 2022, the default). ICB → region from "
        "the 2022/23 allocation file (ICS22 → R22); region ONS codes and names from the Jan 2022 "
        "practice map."
    ),
    "geography/geography_2024.csv": (
        "106 sub-ICB locations → 42 ICBs → 7 regions (April 2024, LSOA 2021). ICB → region from "
        "the 2024/25 allocation file; region ONS codes are the pre-reissue codes of the Jan 2022 "
        "practice map (no 2024 region lookup among the raw files)."
    ),
    "geography/geography_2026.csv": (
        "106 sub-ICB locations → 36 ICBs → 7 regions (August 2026 practice map), with the "
        "re-issued region ONS codes."
    ),
    "geography/crosswalk_2021_2022.csv": (
        "Every England LSOA 2011 from its CCG21 to its July 2022 sub-ICB, aggregated; rows where "
        "from = to are LSOAs that stay. Exact (both ONS lookups are on LSOA 2011)."
    ),
    "actuals/phsmi.csv": (
        "People with SMI who had all six physical health checks in the 12 months to a quarter's "
        "end (`all_six_checks`) and the SMI register (`smi_register`), by sub-ICB, Q1 2019/20 "
        "to Q4 2023/24, on geographies 2022 and 2026. Columns `geography, level, org_code, "
        "year, period, measure, value, route`; an empty value was not published. Quarters of "
        "2019/20 and 2020/21 are on CCG codes of their day, moved through their practices; "
        "`route` says how each value got to its code, and `split` where it was shared out."
    ),
    "actuals/nhstt.csv": (
        "NHS Talking Therapies annual counts (referrals received, finished courses, at "
        "caseness, recovery, reliable recovery, improvement) for England, regions, ICBs (from "
        "2020/21, when they are published on ODS codes) and sub-ICBs (2019/20 to 2021/22, from "
        "the CCG rows; 2019/20 and 2020/21 moved through their practices by list size), on "
        "geographies 2022 and 2026. Same columns as `actuals/phsmi.csv`; an empty value was "
        "suppressed (`*`)."
    ),
    "geography/crosswalk_2022_2026.csv": (
        "Every England LSOA 2011 from its July 2022 sub-ICB to its 2026 sub-ICB (through the "
        "2024 and 2026 routes of the population table: approximate where noted)."
    ),
    "population/ons_mye.csv": (
        "ONS mid-2019 and mid-2020 resident population by single year of age (90 = 90+) summed "
        "from England LSOAs 2011 to every vintage. 2021 and 2022 are exact. 2024: LSOA 2011 → "
        "LSOA 2021 best-fit lookup → April 2024 sub-ICB; exact except LSOAs 2011 whose pieces "
        "straddle two sub-ICBs (kept whole, listed below). 2026: 2024 sub-ICBs whose ODS code "
        "survives keep their LSOAs; the dissolved Frimley sub-ICB (D4U1Y) is split by local "
        "authority following where its practices went (approximate, listed below). Births "
        'proxy: age 0 of this table, labelled "proxy: ONS mid-year population aged 0".'
    ),
    "population/gp_registered.csv": (
        "Registered patients by sub-ICB, sex and single year of age (95 = 95+), extract "
        "1 Aug 2026, geography 2026."
    ),
    "need/need_weighted.csv": (
        "NHS England need-weighted populations (MH WP, Mat WP) and the unweighted population "
        "by sub-ICB for 2022/23–2026/27, for geographies 2022 and 2026. Practices are placed in "
        "order: the practice map of that geography (LOC22 of 2022/23 for 2022, Aug 2026 map for "
        "2026); then the other map where the sub-ICB is unchanged 2022–2026 (same ODS and ONS "
        "code); then the sub-ICB on which the already-placed practices of the same ICB and local "
        "authority all agree; last, a practice no map or peer places is placed by hand in "
        "mhtool/refdata/practice_placements.csv, with its reason (one practice: Y07377, The "
        "Yorkshire Gateway, ICB QOQ, about 200 people, placed in 42D North Yorkshire). Every "
        "practice must be placed or the build stops. Counts per route are in sources.json. "
        "The 2023/24 and 2024/25 "
        "population column is headed `pop 2022/23` but holds that year's population."
    ),
    "places/practices.csv": (
        "Every GP practice once per geography with its sub-ICB, primary care network (PCN) "
        "and local authority district: geography 2022 from the 2022/23 allocation file "
        "(LOC22, PCN_Code, LAD21), geography 2026 from the Aug 2026 practice map (sub-ICB, "
        "PCN) with the LAD of the 2026/27 allocation file. `pcn_2026` and `patients_2026` "
        "(registered patients as projected in the 2026/27 file) share a PCN's age profile "
        "out to its practices. "
        "Used only by runs with places."
    ),
    "places/practice_need.csv": (
        "NHS England need-weighted populations by practice for every allocation year (each "
        "year's own practices; the sub-ICB table is these rows placed and summed)."
    ),
    "places/practice_smi.csv": (
        "QOF SMI register (group MH) by practice, 2018/19–2020/21 (blank = 0)."
    ),
    "places/pcn_registered.csv": (
        "Registered patients by PCN, sex and single year of age (age_95 = 95+), extract "
        "1 Aug 2026: the finest level NHS Digital publishes by age. Wide (one row per PCN "
        "and sex) to stay small; ages add up to each PCN's ALL row and PCNs to England's "
        "total."
    ),
    "registers/qof_smi.csv": (
        "QOF SMI register (group MH) and list size rolled up by CCG/STP/region through each "
        "year's own practice map, plus an England row. 2018/19 STPs carry their ONS code as "
        "org_code (the 2018/19 reference file has no STP ODS code). Blank registers count as 0."
    ),
    "registers/qof_dep_subicb.csv": (
        "QOF depression register (group DEP: patients 18 and over with depression recorded "
        "since April 2006) by sub-ICB, 2020/21, on geographies 2022 and 2026, placed as the "
        "SMI register is. Recorded depression: the published distribution nearest the "
        "prevalence of depression and anxiety IAPT ambitions were set by; `mhtool bases "
        "--compare` sets the bases beside it. Not a basis."
    ),
    "registers/qof_smi_subicb.csv": (
        "SMI register by sub-ICB: 2020/21 on geography 2021 through its own 106-CCG map (exact); "
        "on geographies 2022 and 2026 through that geography's practice map (LOC22 of the "
        "2022/23 allocation file; the Aug 2026 map), then the other map where the sub-ICB is "
        "unchanged, then practices of the same PCN, then of the same own-year CCG, where they "
        "agree. A year is shipped for a "
        "geography only if every practice is placed (see sources.json)."
    ),
}


def render_sources_md(tables, raw) -> str:
    """SOURCES.md: what each shipped table holds and how it was made, for readers."""
    lines = [
        "# Sources of the shipped reference data",
        "",
        "Built by `mhtool refdata build` from the raw public files described in "
        "`shared/data/raw/PROVENANCE.md`. Machine-readable detail (sha256 of each input, "
        "rows, totals, mapping routes) is in `sources.json`.",
        "",
        f"Licence: Open Government Licence v3.0. {ATTRIBUTION}",
        "",
    ]
    for t in tables:
        lines += [
            f"## `{t.path}`",
            "",
            WHAT.get(t.path, ""),
            "",
            f"Rows: {t.df.height}.",
            "",
            "| raw input | publisher | publication | copied from | sha256 (16) |",
            "|---|---|---|---|---|",
        ]
        for f in t.inputs:
            pub, what, repo = RAW.get(f, ("?", "?", "?"))
            lines.append(f"| `{f}` | {pub} | {what} | {repo} | `{raw.sha256(f)[:16]}` |")
        if t.notes:
            lines += ["", "Approximations:", ""] + [f"- {n}" for n in t.notes]
        lines.append("")
    lines += [
        "## Births proxy",
        "",
        "There is no births table: `store.births_proxy(year, geography)` returns age 0 of "
        '`population/ons_mye.csv`, labelled "proxy: ONS mid-year population aged 0".',
        "",
    ]
    return "\n".join(lines)
