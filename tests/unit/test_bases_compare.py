"""`mhtool bases --compare`: a basis's ICB shares beside a published distribution."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool import bases
from mhtool.catalogue.load import load_catalogue
from mhtool.refdata import store
from mhtool.spine import build_spine


def test_mean_absolute_difference_in_points_over_the_icbs_both_cover():
    published = bases.Published("p", "a register", {"A": 3.0, "B": 1.0, "C": 4.0})
    got = bases.compare_shares("x", {"A": 0.5, "B": 0.5}, published)
    # C is left out and the published A and B renormalised to 75% / 25%
    assert (got.icbs, got.mean_abs_points) == (2, pytest.approx(25.0))
    assert (got.furthest, got.furthest_points) == ("B", pytest.approx(25.0))
    assert bases.compare_shares("x", {"Z": 1.0}, published) is None


def test_icb_shares_are_the_spines_shares():
    """The comparison reads a basis as the spine splits by it: the same ICB shares."""
    cat = load_catalogue()
    w = bases.weights("mh_need", cat.bases["mh_need"], geography="2022", population_year=2020)
    shares = bases.icb_shares(w, "2022")
    spine = build_spine(cat, geography="2022", population_year=2020).filter(
        pl.col("level") == "icb", pl.col("ambition_id") == "SMI-03", pl.col("year") == "2023/24"
    )
    assert len(shares) == spine.height == 42
    for code, share in spine.select("org_code", "share").iter_rows():
        assert shares[code] == pytest.approx(share, rel=1e-12), code


def test_every_basis_beside_the_register():
    cat = load_catalogue()
    published = bases.published_distributions("2022")
    names = [p.name for p in published]
    assert names[:3] == [
        "qof_smi_register_2020_21",
        "qof_depression_register_2020_21",
        "nhse_core_target_2022_23",
    ]
    table = bases.compare_bases(cat.bases, published, geography="2022", population_year=2020)

    def mad(i):
        return {name: row[i].mean_abs_points for name, row in table.rows}

    smi, dep, core = mad(0), mad(1), mad(2)
    assert smi["smi_register"] == pytest.approx(0.0, abs=1e-9)  # the register itself
    assert 0 < smi["mh_need"] < smi["population_18_plus"] < smi["population_65_plus"]
    assert core["core_need"] == pytest.approx(0.0, abs=1e-9)  # NHS England's own target
    assert core["all_population"] < core["mh_need"]
    # the IAPT choice: adults 18+ are the nearest activity basis to recorded depression (the
    # all-age core target, a money basis, is as near), far nearer than MH need
    activity = {k: v for k, v in dep.items() if k != "core_need"}
    assert min(activity, key=activity.get) == "population_18_plus"
    assert load_catalogue().get("IAPT-01").basis == "population_18_plus"
    assert dep["population_18_plus"] == pytest.approx(0.272, abs=0.0005)
    assert dep["mh_need"] == pytest.approx(0.530, abs=0.0005)

    assert [name for name, _ in table.skipped] == ["women_15_44"]  # no 2022 GP lists
    one = bases.compare_bases(
        cat.bases, published, geography="2022", population_year=2020, only="births_proxy"
    )
    assert len(one.by_icb) == 42
    assert sum(ours for _, ours, _ in one.by_icb) == pytest.approx(100.0)
    assert sum(theirs[0] for _, _, theirs in one.by_icb) == pytest.approx(100.0)


def test_an_actuals_table_plugs_in(monkeypatch):
    """Where the reference data ships actual delivery (store.actuals), its measures are
    compared too: ICB rows as published, sub-ICB rows summed to their ICB, the year's last
    period only."""
    geo = store.geography("2022")
    sub = geo["subicb_code"].to_list()
    rows = [("subicb", code, "2022/23", "Q4 2022/23", "all_six_checks", 2.0) for code in sub]
    rows += [("subicb", sub[0], "2022/23", "Q3 2022/23", "all_six_checks", 99.0)]
    rows += [
        ("icb", code, "2022/23", "2022/23", "finished_course_treatment", 1.0)
        for code in geo["icb_code"].unique()
    ]
    frame = pl.DataFrame(
        rows, schema=["level", "org_code", "year", "period", "measure", "value"], orient="row"
    )

    def actuals(source, geography):
        return frame

    monkeypatch.setattr(store, "actuals", actuals, raising=False)
    published = {p.name: p for p in bases.published_distributions("2022")}
    checks = published["phsmi_all_six_checks_2022_23"]
    per_icb = geo.group_by("icb_code").len()
    assert checks.values == {c: 2.0 * n for c, n in per_icb.iter_rows()}
    assert set(published["nhstt_finished_course_treatment_2022_23"].values.values()) == {1.0}


def test_the_depression_register_is_whole_on_each_geography():
    """Every practice placed: the same England total (the file's 2020/21 group DEP) on the
    2022 and 2026 sub-ICBs."""
    for geography in ("2022", "2026"):
        dep = store.depression_register("2020/21", geography)
        assert dep["register"].sum() == 5_955_865, geography
        assert dep.height == store.geography(geography).height
