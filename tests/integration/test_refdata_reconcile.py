"""The committed reference tables reconcile: counts, children to parents, England totals."""

import polars as pl
import pytest

from mhtool.errors import InputError
from mhtool.refdata import store

MYE = {2019: 56_286_961, 2020: 56_550_138}
QOF = {"2018/19": 570_675, "2019/20": 562_831, "2020/21": 574_227}
NEED = {"2022/23": 61_498_822, "2023/24": 61_903_547, "2024/25": 62_154_630}


@pytest.mark.parametrize("vintage,icbs", [("2021", 42), ("2022", 42), ("2024", 42), ("2026", 36)])
def test_vintage_tree(vintage, icbs):
    g = store.geography(vintage)
    assert (g["subicb_code"].n_unique(), g["icb_code"].n_unique(), g["region_code"].n_unique()) == (
        106,
        icbs,
        7,
    )
    assert g.height == 106 and g.null_count().sum_horizontal().item() == 0
    assert g.select("icb_code", "region_code").unique()["icb_code"].is_unique().all()


def test_vintages_listed():
    assert store.vintages() == ["2021", "2022", "2024", "2026"]


@pytest.mark.parametrize("year", MYE)
@pytest.mark.parametrize("vintage", ["2021", "2022", "2024", "2026"])
def test_ons_population_totals_and_tree(year, vintage):
    pop = store.ons_population(year, vintage)
    assert pop["population"].sum() == MYE[year]
    assert set(pop["subicb_code"]) == set(store.geography(vintage)["subicb_code"])
    assert sorted(pop["age"].unique()) == list(range(91))
    by_icb = (
        pop.join(store.geography(vintage), on="subicb_code")
        .group_by("region_code")
        .agg(pl.col("population").sum())
    )
    assert by_icb["population"].sum() == MYE[year]


def test_births_proxy_is_age_zero():
    assert store.births_proxy(2019, "2022")["births_proxy"].sum() == 618_858
    assert store.births_proxy(2020, "2021")["births_proxy"].sum() == 601_913


def test_gp_registered():
    gp = store.gp_registered("2026")
    assert gp["patients"].sum() == 63_237_908
    women = gp.filter((pl.col("sex") == "female") & pl.col("age").is_between(15, 44))
    assert women["patients"].sum() == 12_733_888
    assert gp["subicb_code"].n_unique() == 106 and gp["age"].max() == 95


@pytest.mark.parametrize("year", NEED)
@pytest.mark.parametrize("vintage", ["2022", "2026"])
def test_need_weighted_reconciles(year, vintage):
    nw = store.need_weighted(year, vintage)
    total = nw["population"].sum()
    assert abs(total - NEED[year]) < 1
    assert abs(nw["mh_wp"].sum() - total) < 0.05 and abs(nw["mat_wp"].sum() - total) < 0.05
    assert set(nw["subicb_code"]) <= set(store.geography(vintage)["subicb_code"])


@pytest.mark.parametrize("year", QOF)
def test_qof_rollup_children_sum_to_parents(year):
    df = store.smi_rollup(year)
    assert df.filter(pl.col("level") == "england")["register"].item() == QOF[year]
    for child, parent in [("ccg", "stp"), ("stp", "region"), ("region", "england")]:
        sums = (
            df.filter(pl.col("level") == child)
            .group_by("parent_code")
            .agg(pl.col("register", "list_size").sum())
        )
        parents = df.filter(pl.col("level") == parent).select(
            pl.col("org_code").alias("parent_code"), "register", "list_size"
        )
        assert sums.sort("parent_code").equals(parents.sort("parent_code"))


def test_qof_subicb_totals():
    assert store.smi_register("2020/21", "2021")["register"].sum() == QOF["2020/21"]
    assert store.smi_register("2020/21", "2022")["register"].sum() == QOF["2020/21"]
    assert store.smi_register("2020/21", "2026")["register"].sum() == QOF["2020/21"]
    assert store.smi_register("2020/21", "2026").height == 106


def test_crosswalk_is_full():
    cw = store.crosswalk("2021", "2022")
    assert cw["population_mid2020"].sum() == MYE[2020] and cw["lsoa_count"].sum() == 32_844
    moved = cw.filter(pl.col("from_subicb_code") != pl.col("to_subicb_code"))
    assert moved["lsoa_count"].sum() == 21 + 92 + 9  # Glossop, West Birmingham, Cambs→Northants


def test_unknown_combination_lists_available():
    with pytest.raises(InputError, match="available.*2021, 2022, 2024, 2026"):
        store.geography("2019")
    with pytest.raises(InputError, match=r"available .*\(2022/23, 2022\)"):
        store.need_weighted("2030/31", "2022")


def test_a_damaged_reference_table_is_a_clear_error(tmp_path, monkeypatch):
    import shutil

    from mhtool.infra.paths import reference_data_dir

    copy = tmp_path / "reference_data"
    shutil.copytree(reference_data_dir(), copy)
    geo = copy / "geography" / "geography_2022.csv"
    lines = geo.read_text().splitlines(keepends=True)
    geo.write_text(
        "".join(lines[:3]) + lines[3].rstrip("\n") + ",an extra field\n" + "".join(lines[4:])
    )
    monkeypatch.setenv("MHTOOL_REFERENCE_DATA", str(copy))
    store.clear_cache()
    try:
        with pytest.raises(InputError) as err:
            store.geography("2022")
        assert "geography_2022.csv" in str(err.value) and "refdata build" in str(err.value)
    finally:
        store.clear_cache()
