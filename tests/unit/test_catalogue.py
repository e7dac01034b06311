"""The shipped MHIP catalogue: complete, consistent with its sources, and fully phased."""

from __future__ import annotations

import csv
import tomllib

import pytest

from mhtool.catalogue.load import BASIS_SOURCES, load_bases, load_catalogue
from mhtool.infra import paths

SHARED_MHIP = paths.PROJECT_ROOT.parent / "shared" / "mhip"
SEED_PROGRAMMES = [
    "Specialist Community Perinatal Mental Health",
    "Children and Young People's (CYP) Mental Health",
    "Adult Common Mental Illnesses (IAPT)",
    "Adult Mental Health (SMI) Community Care",
    "Mental Health Crisis Care and Liaison",
    "Therapeutic Acute Mental Health Inpatient Care",
    "Suicide Reduction and Bereavement Support",
    "Problem Gambling Mental Health Support",
    "Rough Sleeping Mental Health Support",
    "Funding",
    "Provider Collaboratives",
    "Digital",
    "Data quality",
]


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def test_shipped_catalogue_loads(cat):
    assert cat.name == "mhip_2019_24"
    assert cat.years == ("2019/20", "2020/21", "2021/22", "2022/23", "2023/24")
    assert cat.path.name == "mhip_2019_24.toml" and len(cat.sha256) == 64
    assert len(cat.ambitions) >= 50
    assert all(len(a.values) == len(cat.years) for a in cat.ambitions)


def test_ids_unique_in_the_file():
    raw = tomllib.loads(
        (paths.reference_data_dir() / "catalogues" / "mhip_2019_24.toml").read_text()
    )
    ids = [a["id"] for a in raw["ambition"]]
    assert len(ids) == len(set(ids))


def test_every_seed_programme_has_activity_asks(cat):
    names = {seed: prog for prog, seed in cat.programmes.items()}
    for seed in SEED_PROGRAMMES:
        assert seed in names, seed
        assert any(a.programme == names[seed] and a.measure == "activity" for a in cat.ambitions), (
            seed
        )


@pytest.mark.parametrize(
    "aid, year, value, category",
    [
        ("PMH-02", "2023/24", 66_000, "fixed"),
        ("CYP-01", "2023/24", 345_000, "fixed"),
        ("CYP-04", "2020/21", 95, "fixed"),
        ("CYP-07", "2023/24", 100, "fixed"),
        ("CYP-08", "2023/24", 100, "flexible"),
        ("CYP-06", "2023/24", 20, "targeted"),
        ("IAPT-01", "2023/24", 1_900_000, "fixed"),
        ("SMI-01", "2023/24", 370_000, "fixed"),
        ("SMI-02", "2023/24", 390_000, "fixed"),
        ("SMI-03", "2023/24", 55_000, "fixed"),
        ("SMI-04", "2020/21", 60, "fixed"),
        ("SMI-05", "2023/24", 95, "fixed"),
        ("CRI-04", "2023/24", 70, "targeted"),
        ("CRI-05", "2023/24", 100, "flexible"),
        ("CRI-06", "2023/24", 100, "flexible"),
        ("CRI-02", "2023/24", 100, "flexible"),
        ("ACU-02", "2023/24", 32, "flexible"),
        ("GAM-01", "2023/24", 15, "targeted"),
        ("RS-01", "2023/24", 20, "targeted"),
        ("SUI-01", "2023/24", 100, "targeted"),
        ("MHIS-01", "2019/20", 100, "fixed"),
        ("PC-01", "2022/23", 100, "flexible"),
        ("DQ-02", "2020/21", 100, "fixed"),
        ("FUN-02", "2023/24", 904_000_000, "fixed"),
        ("WF-01", "2023/24", 27_460, "flexible"),
    ],
)
def test_headline_asks(cat, aid, year, value, category):
    a = cat.get(aid)
    assert a.value(year).value == value and a.category == category


def test_ranges_and_missing_figures(cat):
    mhst = cat.get("CYP-06").value("2023/24")
    assert (mhst.value, mhst.high, mhst.provenance) == (20, 25, "inferred")
    assert all(a.has_national_figure for a in cat.ambitions)


@pytest.mark.parametrize("aid, value", [("IAPT-05", 50), ("IAPT-06", 75), ("IAPT-07", 95)])
def test_existing_iapt_standards_are_filled_and_kept(cat, aid, value):
    a = cat.get(aid)
    assert a.kind == "standard" and a.declared[0].provenance == "stated"
    assert [v.value for v in a.values] == [value] * 5
    assert [v.provenance for v in a.values] == ["stated"] + ["inferred"] * 4


def test_national_only_lines(cat):
    for aid in (
        "GAM-01",
        "RS-01",
        "FUN-01",
        "FUN-05",
        "FUN-08",
        "FUN-09",
        "CYP-06",
        "CYP-09",
        "CYP-10",
        "CRI-04",
        "IAPT-03",
        "PMH-01",
    ):
        assert cat.get(aid).national_only, aid
    for a in cat.ambitions:
        if a.category == "targeted":
            assert a.targets_note
        if a.kind == "count" and not a.national_only:
            assert a.basis in cat.bases, a.id
        if a.kind in ("rate", "standard"):
            assert a.basis is None, a.id


def test_fixed_counts_have_full_trajectory(cat):
    """Anchored or starting in the first year and reaching the last: every year filled, linearly."""
    checked = 0
    for a in cat.ambitions:
        if a.category != "fixed" or a.kind != "count" or a.remainder_of:
            continue
        first_given = a.declared and a.declared[0].year == cat.years[0]
        if not (a.anchor or first_given) or a.declared[-1].year != cat.years[-1]:
            continue
        checked += 1
        declared = {v.year for v in a.declared}
        for v in a.values:
            if a.anchor and v.year <= a.anchor.year:  # a roll-out that starts later
                assert v.provenance == "missing", (a.id, v.year)
                continue
            assert v.value is not None, (a.id, v.year)
            assert v.provenance == ("interpolated" if v.year not in declared else v.provenance)
            assert v.provenance in ("stated", "inferred", "interpolated")
    assert checked >= 8


def test_lti_increments_say_their_baselines(cat):
    """IAPT-03 is counted from the 2020/21 FYFV level; CYP-01 'compared with 2019', as NHS
    England's 2023/24 guidance measures it (choice cyp_baseline)."""
    iapt = cat.get("IAPT-03")
    assert "vs the 2020/21" in iapt.unit and [v.value for v in iapt.values][:2] == [None, 0]
    cyp = cat.get("CYP-01")
    assert "vs 2019/20" in cyp.unit and "compared with 2019" in cyp.declared[0].note
    assert [v.value for v in cyp.values] == [0, 86_250, 172_500, 258_750, 345_000]
    assert cat.get("CYP-03").value("2020/21").value == 70_000


def test_perinatal_2019_20_is_the_stated_share_of_births(cat):
    """PMH-02 2019/20 is NHS England's 4.5% of births (PMH-03) on the catalogue's own scale
    of 7.1% = 47,000 in 2020/21, not a ramp from the 2018/19 lower bound."""
    pmh, rate = cat.get("PMH-02"), cat.get("PMH-03")
    scale = pmh.value("2020/21").value / rate.value("2020/21").value
    first = pmh.value("2019/20")
    assert first.value == round(rate.value("2019/20").value * scale) == 29_789
    assert first.provenance == "inferred" and "4.5" in first.note and "7.1" in first.note
    inc = cat.get("PMH-01").value("2019/20")
    assert (inc.value, inc.provenance) == (first.value - 12_000, "inferred")
    assert cat.get("PMH-01").anchor.value == 9_000 and "30,000" in cat.get("PMH-01").note


def test_smi_new_models_have_no_invented_pilot_counts(cat):
    """No source counts the SMI pilots: 2019/20-2020/21 are missing, and the fair-share
    roll-out from 2021/22 is counted from zero at the end of the pilots."""
    smi = cat.get("SMI-01")
    assert [v.value for v in smi.values] == [None, None, 123_333, 246_667, 370_000]
    assert [v.provenance for v in smi.values][:2] == ["missing", "missing"]
    assert (smi.anchor.year, smi.anchor.value) == ("2020/21", 0)
    assert "from 2021/22" in smi.anchor.note and smi.national_years == ("2019/20", "2020/21")
    coverage = cat.get("SMI-06").value("2023/24")
    assert (coverage.value, coverage.approximate, coverage.provenance) == (50, True, "stated")


def test_programme_totals_are_spread_over_their_five_years(cat):
    """FUN-06 (GBP 57m) and FUN-05 (up to GBP 30m) are five-year totals (DHSC; Parliament):
    a fifth a year, summing to the total; FUN-06 was allocated per head, so it is split."""
    for aid, total in (("FUN-06", 57_000_000), ("FUN-05", 30_000_000)):
        a = cat.get(aid)
        assert sum(v.value for v in a.values) == total, aid
        assert {v.provenance for v in a.values} == {"inferred"}, aid
        assert "five-year" in a.note or "programme total" in a.note, aid
    suicide = cat.get("FUN-06")
    assert "pence per head" in suicide.note and suicide.basis == "all_population"
    assert not suicide.national_only and cat.get("FUN-05").national_only


def test_smi_community_money_is_split_in_every_year(cat):
    """Seed 000: 'Growing CCG allocations across the five-year period are available to
    systems' for SMI community teams; nothing in FUN-03 is held nationally."""
    fun = cat.get("FUN-03")
    assert fun.national_years == () and "Growing CCG allocations" in fun.note
    assert [v.provenance for v in fun.values] == ["interpolated"] * 4 + ["stated"]


def test_ips_and_rough_sleeping_first_years(cat):
    ips = cat.get("SMI-03").value("2019/20")
    assert (ips.value, ips.provenance) == (16_000, "inferred") and "1.6" in ips.note
    assert cat.get("RS-01").value("2019/20").value == 7


def test_pilot_years_are_england_only(cat):
    for aid, years in (
        ("SMI-01", ("2019/20", "2020/21")),
        ("PMH-04", ("2020/21", "2021/22")),
    ):
        a = cat.get(aid)
        assert a.national_years == years and a.national_years_note
        assert not a.national_in("2021/22" if aid != "PMH-04" else "2022/23")


def test_approximate_figures_are_marked(cat):
    assert cat.get("FUN-01").value("2023/24").approximate
    assert cat.get("FUN-05").value("2023/24").approximate
    assert all(v.approximate for v in cat.get("FUN-05").values)
    assert not cat.get("FUN-02").value("2023/24").approximate
    assert cat.get("CRI-06").value("2023/24").provenance == "inferred"
    assert "not like for like" in cat.get("FUN-09").note


def test_end_points_held_once_in_place(cat):
    assert [v.value for v in cat.get("PC-01").values][3:] == [100, 100]
    assert [v.value for v in cat.get("DIG-01").values][2:] == [100, 100, 100]
    assert [v.value for v in cat.get("CRI-03").values] == [None, 100, 100, 100, 100]


def test_standards_are_worded_for_one_organisation(cat):
    standards = [a for a in cat.ambitions if a.kind == "standard"]
    ids = {a.id for a in standards}
    assert {"ACU-01", "CYP-04", "SMI-04", "ACU-02", "CRI-01", "IAPT-05"} <= ids
    for a in standards:
        assert "England" not in a.unit and "country" not in a.unit and "CCGs" not in a.unit


def test_every_line_declares_its_unit_kind(cat):
    kinds = {a.id: a.unit_kind for a in cat.ambitions}
    assert kinds["FUN-02"] == "gbp" and kinds["WF-01"] == "staff" and kinds["ACU-02"] == "days"
    assert kinds["CYP-04"] == "percent" and kinds["GAM-01"] == "sites"


def test_bases_follow_the_evidence(cat):
    """Programme money by NHS England's core allocation target (its 'fair share' of money),
    IAPT by adults 18+, nurses by programme; no line split by a basis for another group."""
    from mhtool.catalogue.rules import basis_warnings

    money = {a.id for a in cat.ambitions if a.basis == "core_need"}
    assert money == {"FUN-02", "FUN-03", "FUN-04", "FUN-07"}
    assert cat.bases["core_need"].params == {"column": "core_wp", "allocation_year": "2022/23"}
    assert "place-based target allocation" in cat.get("FUN-03").basis_note
    assert cat.get("IAPT-01").basis == "population_18_plus"
    assert "prevalence of depression and anxiety" in cat.get("IAPT-01").basis_note
    assert cat.get("CYP-01").basis == "population_0_25"
    assert cat.bases["mh_need"].age_group == "adults"
    assert basis_warnings(cat) == []
    assert "2,110 in CYP" in cat.get("WF-01").basis_note


def test_the_iapt_note_in_the_shipped_bases_says_how_ambitions_were_set():
    text = (paths.reference_data_dir() / "bases.toml").read_text()
    assert "prevalence of depression and anxiety" in text and "Adult Psychiatric Morbidity" in text
    assert "common-mental-disorders/supporting-information/Glossary" in text
    assert "IAPT and SMI community\n# care by mental health need" not in text


def test_choices_are_stated_for_the_notes_sheet(cat):
    ids = {c.id for c in cat.choices}
    assert {"baselines", "pilot_years", "national_money", "one_line", "bases", "ranges"} <= ids
    decided = {
        "cyp_baseline", "mhst_in_cyp", "ips_waves", "point_in_time", "programme_totals",
        "acute_fixed", "crisis_111", "nurses_total", "pmh04_phasing", "smi_coverage",
        "iapt_basis", "workforce_basis", "money_basis",
    }  # fmt: skip
    assert decided <= ids
    for c in cat.choices:
        assert all(aid in {a.id for a in cat.ambitions} for aid in c.ambitions), c.id


def test_flexible_fills_are_phased_and_maintained_rates_carried(cat):
    assert [v.provenance for v in cat.get("PMH-04").values] == [
        "inferred",
        "phased",
        "phased",
        "phased",
        "stated",
    ]
    assert [v.value for v in cat.get("SMI-04").values] == [56, 60, 60, 60, 60]
    assert [v.provenance for v in cat.get("SMI-04").values][2:] == ["inferred"] * 3
    assert [v.value for v in cat.get("PMH-03").values][:2] == [4.5, 7.1]


def test_counts_are_whole_units(cat):
    from mhtool.apportion import STEPS, to_units

    for a in cat.ambitions:
        if a.kind not in ("rate", "standard"):
            for v in a.values:
                if v.value is not None:
                    to_units(v.value, STEPS[a.measure])  # raises unless a whole number of steps


def test_nothing_silently_invented(cat):
    for a in cat.ambitions:
        for v in a.values:
            if v.provenance == "stated":
                assert v.source.startswith(("http", "seed:")), (a.id, v.year)
            else:
                assert v.note, (a.id, v.year, v.provenance)


@pytest.mark.parametrize(
    "total, parts",
    [
        ("FUN-01", "FUN-02 FUN-03 FUN-04 FUN-05 FUN-06 FUN-07"),
        ("WF-01", "WF-02 WF-03 WF-04 WF-05 WF-06"),
    ],
)
def test_remainders_reconcile(cat, total, parts):
    for i, t in enumerate(cat.get(total).values):
        got = [cat.get(p).values[i].value for p in parts.split()]
        if t.value is None or None in got:
            continue
        assert sum(got) == pytest.approx(t.value), t.year
    assert cat.get("WF-06").value("2023/24").value == 27_460 - 12_820
    assert cat.get("FUN-07").value("2023/24").value == pytest.approx(
        (3000 - 904 - 975 - 41 - 6 - 11.4) * 1e6
    )
    assert all(v.value is not None for v in cat.get("FUN-07").values)


def test_shipped_bases():
    bases = load_bases()
    for name in (
        "births_proxy",
        "population_0_25",
        "population_0_17",
        "population_18_64",
        "population_18_plus",
        "population_65_plus",
        "all_population",
        "mh_need",
        "maternity_need",
        "smi_register",
        "women_15_44",
        "core_need",
    ):
        b = bases[name]
        assert b.source in BASIS_SOURCES and b.label
        assert BASIS_SOURCES[b.source][0] <= set(b.params)
        assert (
            b["source"] == b.source and dict(b)["label"] == b.label
        )  # Mapping view for mhtool.bases


@pytest.mark.skipif(
    not (SHARED_MHIP / "mhip_ambitions.csv").exists(), reason="../shared/mhip absent"
)
def test_every_csv_figure_is_in_the_catalogue(cat):
    ids = {a.id for a in cat.ambitions}
    with open(SHARED_MHIP / "mhip_ambitions.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            assert row["ambition_id"] in ids, row["ambition_id"]
            if not row["value"]:
                continue
            got = cat.get(row["ambition_id"]).value(row["year"])
            if "-" in row["value"]:
                lo, hi = map(float, row["value"].split("-"))
                assert (got.value, got.high) == (lo, hi)
            else:
                assert got.value == float(row["value"]), (row["ambition_id"], row["year"])
    by_line = {
        ("CYP", "2019/20"): "FUN-02",
        ("CYP", "2023/24"): "FUN-02",
        ("Adult SMI community care", "2023/24"): "FUN-03",
        ("Therapeutic acute inpatient", "2023/24"): "FUN-04",
    }  # FUN-05 and FUN-06: the CSV reads five-year totals as 2023/24 figures (choice
    # programme_totals); test_programme_totals_are_spread_over_their_five_years holds them
    with open(SHARED_MHIP / "mhip_funding.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            aid = by_line.get((row["programme"], row["year"]))
            if aid:
                assert cat.get(aid).value(row["year"]).value == float(row["gbp_millions"]) * 1e6
