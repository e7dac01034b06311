"""The shipped MHIP catalogue: complete, consistent with its sources, and fully phased."""

from __future__ import annotations

import csv
import tomllib

import pytest

from mhtool.catalogue.load import BASIS_SOURCES, load_bases, load_catalogue
from mhtool.run import paths

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
    for aid in ("IAPT-05", "IAPT-06"):
        a = cat.get(aid)
        assert not a.has_national_figure and a.status == "no_national_figure"
        assert all(v.value is None and v.provenance == "missing" for v in a.values)


def test_national_only_lines(cat):
    for aid in ("GAM-01", "RS-01", "FUN-05", "FUN-06", "FUN-08", "FUN-09", "CYP-06", "CRI-04"):
        assert cat.get(aid).national_only, aid
    for a in cat.ambitions:
        if a.category == "targeted":
            assert a.targets_note
        if a.kind != "rate" and not a.national_only:
            assert a.basis in cat.bases, a.id


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
            assert v.value is not None, (a.id, v.year)
            assert v.provenance == ("interpolated" if v.year not in declared else v.provenance)
            assert v.provenance in ("stated", "inferred", "interpolated")
    assert checked >= 8
    cyp = [v.value for v in cat.get("CYP-01").values]
    assert cyp == [69_000, 138_000, 207_000, 276_000, 345_000]
    assert [v.provenance for v in cat.get("CYP-01").values] == ["interpolated"] * 4 + ["stated"]


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
    assert [v.value for v in cat.get("CRI-03").values] == [
        None,
        100,
        None,
        None,
        None,
    ]  # not "maintained"


def test_counts_are_whole_units(cat):
    from mhtool.apportion import STEPS, to_units

    for a in cat.ambitions:
        if a.kind != "rate":
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
    [("FUN-01", "FUN-02 FUN-03 FUN-04 FUN-07"), ("WF-01", "WF-02 WF-03 WF-04 WF-05 WF-06")],
)
def test_remainders_reconcile(cat, total, parts):
    for i, t in enumerate(cat.get(total).values):
        got = [cat.get(p).values[i].value for p in parts.split()]
        if t.value is None:
            continue
        assert sum(got) == pytest.approx(t.value), t.year
    assert cat.get("WF-06").value("2023/24").value == 27_460 - 12_820
    assert cat.get("FUN-07").value("2023/24").value == pytest.approx((3000 - 904 - 975 - 41) * 1e6)


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
        ("Rough sleeping", "2023/24"): "FUN-05",
        ("Suicide reduction", "2023/24"): "FUN-06",
    }
    with open(SHARED_MHIP / "mhip_funding.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            aid = by_line.get((row["programme"], row["year"]))
            if aid:
                assert cat.get(aid).value(row["year"]).value == float(row["gbp_millions"]) * 1e6
