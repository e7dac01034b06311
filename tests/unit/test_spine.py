"""The spine: every split ambition reconciles exactly at every level, every year."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool import csvsafe, vocab
from mhtool.catalogue.load import load_catalogue
from mhtool.spine import SCHEMA, build_spine, organisations

SPLIT = pl.col("share").is_not_null() & ~pl.col("kind").is_in(vocab.CARRIED_KINDS)


@pytest.fixture(scope="module")
def spine() -> pl.DataFrame:
    return build_spine(load_catalogue(), geography="2022", population_year=2020)


def _children_sum(spine: pl.DataFrame, child: str, parent: str) -> pl.DataFrame:
    """Per parent org, ambition and year: its value and the sum of its children's values."""
    kids = (
        spine.filter(pl.col("level") == child)
        .group_by("parent_code", "ambition_id", "year")
        .agg(pl.col("value").sum().alias("children"), pl.len().alias("n"))
    )
    return spine.filter(pl.col("level") == parent).join(
        kids,
        left_on=["org_code", "ambition_id", "year"],
        right_on=["parent_code", "ambition_id", "year"],
        how="inner",
    )


def test_schema_is_the_contract(spine):
    assert spine.columns == list(SCHEMA)
    assert dict(spine.schema) == SCHEMA


def test_every_split_ambition_sums_to_the_national_figure_at_every_level(spine):
    split = spine.filter(
        pl.col("ambition_id").is_in(
            spine.filter(SPLIT & (pl.col("level") == "subicb"))["ambition_id"].unique().implode()
        )
    )
    assert split["ambition_id"].n_unique() >= 15
    for child, parent, n_children in (
        ("region", "england", 7),
        ("icb", "region", 42),
        ("subicb", "icb", 106),
    ):
        sums = _children_sum(split, child, parent)
        bad = sums.filter((pl.col("children") - pl.col("value")).abs() > 1e-6)
        assert bad.is_empty(), bad.select("ambition_id", "year", "org_code", "value", "children")
        # every parent of every ambition-year was checked, with all its children
        per_year = sums.group_by("ambition_id", "year").agg(pl.col("n").sum())
        assert (per_year["n"] == n_children).all()


def test_people_and_pounds_are_whole_and_staff_are_tenths(spine):
    split = spine.filter(SPLIT)
    whole = split.filter(pl.col("measure").is_in(["activity", "funding"]))
    assert (whole["value"] == whole["value"].round(0)).all()
    wte = split.filter(pl.col("measure") == "workforce")
    assert not wte.is_empty()
    assert ((wte["value"] * 10 - (wte["value"] * 10).round(0)).abs() < 1e-6).all()
    assert (split["value"] >= 0).all()


def test_each_figure_is_close_to_its_unrounded_share(spine):
    """Top-down rounding keeps every org within 3 units of share x national (see apportion)."""
    split = spine.filter(SPLIT & pl.col("measure").is_in(["activity", "funding"]))
    gap = (split["value"] - split["share"] * split["national_value"]).abs()
    assert gap.max() < 3


def test_rates_and_standards_are_carried_unchanged_never_split(spine):
    carried = spine.filter(pl.col("kind").is_in(vocab.CARRIED_KINDS))
    assert set(carried["kind"]) == {"rate", "standard"}
    assert (carried["value"] == carried["national_value"]).all()
    assert carried["share"].is_null().all()
    per = carried.group_by("ambition_id", "year").len()
    # a standard reaches every organisation; a national rate (targeted, no systems named)
    # or a pilot year is England alone
    assert set(per["len"]) == {len(organisations("2022")), 1}
    standards = carried.filter(pl.col("kind") == "standard", pl.col("level") != "england")
    assert set(standards["split_method"]) == {vocab.STANDARD}
    acu = spine.filter(pl.col("ambition_id") == "ACU-01")
    assert set(acu["kind"]) == {"standard"} and set(acu["value"]) == {0}


def test_national_only_lines_have_only_an_england_row(spine):
    cat = load_catalogue()
    checked = 0
    for amb in cat.ambitions:
        if amb.national_only or (not amb.targets and amb.category == "targeted"):
            rows = spine.filter(pl.col("ambition_id") == amb.id)
            figures = sum(yv.value is not None for yv in amb.values)
            assert rows.height == figures, amb.id
            assert set(rows["level"]) == {"england"}, amb.id
            checked += 1
    assert checked >= 8


def test_organisations_tree():
    orgs = organisations("2026")
    counts = orgs.group_by("level").len()
    assert dict(counts.iter_rows()) == {"england": 1, "region": 7, "icb": 36, "subicb": 106}


def test_parts_and_other_add_up_to_the_total_where_it_is_shown(spine):
    """FUN-01 holds national money, so it is shown for England only, where its parts (the
    national ones included) plus the other line equal it."""
    fun = spine.filter(pl.col("ambition_id").str.starts_with("FUN-0"))
    assert set(fun.filter(pl.col("ambition_id") == "FUN-01")["level"]) == {"england"}
    eng = fun.filter(pl.col("level") == "england", pl.col("year") == "2023/24")
    v = dict(eng.select("ambition_id", "value").iter_rows())
    parts = ["FUN-02", "FUN-03", "FUN-04", "FUN-05", "FUN-06", "FUN-07"]
    assert sum(v[p] for p in parts) == v["FUN-01"] == 3_000_000_000


def test_no_england_only_money_inside_a_local_line(spine):
    local = spine.filter(pl.col("level") == "subicb")
    for aid in ("FUN-01", "FUN-05"):
        assert local.filter(pl.col("ambition_id") == aid).is_empty(), aid
    # FUN-06 went to every STP per head, and FUN-07 (FUN-01 less every part) is known in
    # every year now that FUN-05 and FUN-06 are spread over their five years
    years = set(spine["year"])
    for aid in ("FUN-06", "FUN-07", "FUN-03"):
        assert set(local.filter(pl.col("ambition_id") == aid)["year"]) == years, aid
    suicide = local.filter(pl.col("ambition_id") == "FUN-06")
    assert suicide["value"].sum() == 57_000_000 and set(suicide["basis_name"]) == {"all_population"}


def test_pilot_years_without_a_count_have_no_rows(spine):
    """SMI-01's pilots have no published count: no row in 2019/20-2020/21 at any level;
    the fair-share years are split to every sub-ICB."""
    rows = spine.filter(pl.col("ambition_id") == "SMI-01")
    assert not set(rows["year"]) & {"2019/20", "2020/21"}
    assert rows["basis"].n_unique() == 1  # one label per line, in every view
    later = rows.filter(pl.col("level") == "subicb")
    assert later.group_by("year").len().sort("year")["len"].to_list() == [106] * 3
    assert set(later["split_method"]) == {vocab.BY_BASIS}


def test_a_range_survives_to_the_spine_and_its_files(spine, tmp_path):
    from mhtool.spine import read_spine, write_spine

    mhst = spine.filter(pl.col("ambition_id") == "CYP-06", pl.col("year") == "2023/24")
    assert mhst.select("value", "value_high").rows() == [(20.0, 25.0)]
    assert spine.filter(pl.col("ambition_id") != "CYP-06")["value_high"].is_null().all()
    for path in write_spine(spine, tmp_path):
        back = read_spine(path).filter(pl.col("ambition_id") == "CYP-06")
        assert back["value_high"].to_list() == [25.0], path.name


def test_parts_and_other_line_add_up_to_the_total_for_every_organisation(spine):
    total = "WF-01"
    cat = load_catalogue()
    parts = [a.id for a in cat.ambitions if total in (a.part_of, a.remainder_of)]
    assert len(parts) >= 4
    rows = spine.filter(pl.col("ambition_id").is_in([total, *parts]))
    wide = rows.pivot(on="ambition_id", index=["level", "org_code", "year"], values="value")
    wide = wide.drop_nulls()
    assert wide.height > 150 * 3
    gap = (wide[total] - sum(wide[p] for p in parts)).abs()
    assert gap.max() < 1e-6


def test_england_carries_the_catalogues_national_figures(spine):
    cat = load_catalogue()
    england = spine.filter(pl.col("level") == "england")
    got = {(a, y): v for a, y, v in england.select("ambition_id", "year", "value").iter_rows()}
    want = {
        (a.id, yv.year): yv.value for a in cat.ambitions for yv in a.values if yv.value is not None
    }
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key


def test_targeted_split_goes_only_to_the_named_systems(tmp_path):
    from dataclasses import replace

    from mhtool.spine import basis_label

    cat = load_catalogue()
    smi = cat.get("SMI-03")
    targeted = replace(smi, category="targeted", targets=("QHM", "QOQ"))
    cat = replace(cat, ambitions=(targeted,))
    spine = build_spine(cat)
    year = spine.filter(pl.col("year") == "2023/24")
    icbs = year.filter(pl.col("level") == "icb")
    assert set(icbs.filter(pl.col("value") > 0)["org_code"]) == {"QHM", "QOQ"}
    assert icbs["value"].sum() == 55_000
    assert year.filter(pl.col("level") == "subicb")["value"].sum() == 55_000
    label = basis_label(targeted.basis, targets=targeted.targets)
    assert set(year["basis"]) == {label} == {"mh_need (targeted: QHM, QOQ)"}
    assert set(year["basis_name"]) == {"mh_need"}
    assert set(year["split_method"]) == {vocab.TARGETED}


def test_no_share_is_nan_or_out_of_range(spine):
    shares = spine["share"].drop_nulls()
    assert not shares.is_nan().any()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()


def test_basis_names_come_from_the_structured_columns():
    from mhtool.job.pipeline import used_bases

    rows = pl.DataFrame(
        {
            "basis_name": ["mh_need", "births_proxy", "mh_need", "", "sum_basis"],
            "split_method": [
                vocab.TARGETED,
                vocab.BY_BASIS,
                vocab.BY_BASIS,
                vocab.NATIONAL_ONLY,
                vocab.SUM_OF_PARTS,
            ],
        }
    )
    assert used_bases(rows) == {"mh_need", "births_proxy"}


def test_every_row_says_how_it_was_split(spine):
    assert set(spine["split_method"].unique()) <= set(vocab.SPLIT_METHODS)
    assert set(spine["unit_kind"].unique()) <= set(vocab.UNIT_KINDS)
    carried = spine.filter(pl.col("kind").is_in(vocab.CARRIED_KINDS))
    assert set(carried["split_method"]) <= {vocab.STANDARD, vocab.NATIONAL_ONLY}
    totals = spine.filter(pl.col("split_method") == vocab.SUM_OF_PARTS)
    assert totals["basis"].str.starts_with("sum of ").all()


def test_a_compact_spine_is_written_a_row_group_at_a_time_with_the_same_bytes(
    spine, tmp_path, monkeypatch
):
    """A run holds the spine compact (categorical text) and writes it a row group at a
    time; the files are those of the plain spine written whole, risky text made safe
    in every group, and a row group never holds more than PARQUET_ROWS rows."""
    import mhtool.spine as sp
    from mhtool import csvsafe

    risky = spine.with_columns(
        pl.when(pl.int_range(pl.len()) % 997 == 5)
        .then(pl.lit("=HYPERLINK(1)"))
        .otherwise("org_name")
        .alias("org_name")
    )
    whole = tmp_path / "whole"
    whole.mkdir()
    csvsafe.frame(risky).write_csv(whole / "a.csv", float_precision=None)
    risky.write_parquet(whole / "a.parquet", statistics=False, row_group_size=10**9)
    monkeypatch.setattr(sp, "PARQUET_ROWS", 1000)
    groups = sp._groups(risky.height)
    assert len(groups) > 10 and max(n for _, n in groups) <= 1000
    assert sum(min(n, risky.height - i) for i, n in groups) == risky.height
    compact = sp.compact_text(risky)
    assert compact.schema["org_name"] == pl.Categorical
    assert compact.estimated_size() < risky.estimated_size() / 2
    for form, frame in (("plain", risky), ("compact", compact)):
        out = tmp_path / form
        out.mkdir()
        csv_path, parquet_path = sp.write_spine(frame, out)
        assert csv_path.read_bytes() == (whole / "a.csv").read_bytes(), form
        assert sp.read_spine(parquet_path).equals(risky), form
    assert (tmp_path / "plain" / "apportionment.parquet").read_bytes() == (
        tmp_path / "compact" / "apportionment.parquet"
    ).read_bytes()
    assert sp.plain_text(compact).equals(risky)


def test_the_compact_spine_holds_the_same_values(spine):
    from mhtool.spine import plain_text

    compact = build_spine(load_catalogue(), geography="2022", population_year=2020, compact=True)
    assert all(t in (pl.Categorical, pl.Float64) for t in compact.schema.values())
    assert spine.equals(plain_text(compact))


def test_a_pilot_year_with_a_count_is_england_only(tmp_path):
    """A year in national_years keeps its national figure for England alone; the other
    years of the line are split to every sub-ICB."""
    from fixtures.catalogues import MINI, write

    text = MINI.replace(
        'unit = "people"',
        'unit = "people"\nnational_years = ["2019/20"]\nnational_years_note = "pilots"',
    )
    spine = build_spine(load_catalogue(write(tmp_path, text)), geography="2022")
    pilot = spine.filter(pl.col("year") == "2019/20")
    assert pilot.select("level", "value", "split_method").rows() == [
        ("england", 10.0, vocab.NATIONAL_ONLY)
    ]
    later = spine.filter(pl.col("year") != "2019/20", pl.col("level") == "subicb")
    assert later.height == 2 * 106 and set(later["split_method"]) == {vocab.BY_BASIS}


def test_the_spine_reads_back_compact_and_its_csv_in_blocks_of_whole_rows(
    spine, tmp_path, monkeypatch
):
    """mhtool check holds the spine compact, read a part at a time, and reads the CSV a
    block of whole rows at a time (a quoted line break never splits a row); a changed
    value far into the file, in two blocks, and a cut-off file are still named."""
    import mhtool.outputs.check as check
    import mhtool.spine as sp
    from mhtool.outputs.check import check_spine_csv

    assert check._rows_end(b'1,"a\nb"\n2,"c\nd') == len(b'1,"a\nb"\n')  # not inside quotes
    odd = pl.int_range(pl.len()) % 61 == 7
    risky = spine.head(4000).with_columns(
        pl.when(odd)
        .then(pl.lit('=A1\n"quoted", line\r\nbreaks'))
        .otherwise("org_name")
        .alias("org_name")
    )
    monkeypatch.setattr(check, "CSV_BLOCK", 32_768)
    csv_path, parquet_path = sp.write_spine(risky, tmp_path)
    compact = sp.read_spine(parquet_path, compact=True)
    assert compact.schema["org_name"] == pl.Categorical
    assert sp.plain_text(compact).equals(risky)
    blocks = list(check.read_csv_batches(csv_path))
    assert len(blocks) > 20 and pl.concat(blocks).equals(sp.read_spine(csv_path))
    assert check_spine_csv(tmp_path, compact) == []

    rows = [risky.height - 7, 1_500]  # far apart: blocks apart
    changed = risky.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(rows))
        .then(pl.col("value") + 1)
        .otherwise("value")
        .alias("value")
    )
    csvsafe.frame(changed).write_csv(csv_path, float_precision=None)
    (problem,) = check_spine_csv(tmp_path, compact)
    want, got = risky["value"][1_500], changed["value"][1_500]
    assert problem == (
        f"apportionment.csv line 1502: value is {got!r}; apportionment.parquet has "
        f"{want!r} (1 more rows differ in value)"
    )
    csvsafe.frame(risky.head(-3)).write_csv(csv_path, float_precision=None)
    assert check_spine_csv(tmp_path, compact) == [
        f"apportionment.csv: has {risky.height - 3:,} rows; apportionment.parquet has "
        f"{risky.height:,}"
    ]
    csv_path.write_bytes(csv_path.read_bytes()[:50_000] + b'\n1,2,"x\n')
    (problem,) = check_spine_csv(tmp_path, compact)
    assert problem.startswith("apportionment.csv: cannot be read as a spine"), problem
