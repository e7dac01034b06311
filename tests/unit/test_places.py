"""Places: the user's places file refused cleanly case by case, where places sit, the
built-in kinds, and which bases have a practice-level equivalent."""

from __future__ import annotations

import polars as pl
import pytest

from mhtool import places
from mhtool.errors import InputError
from mhtool.refdata import store

GEO = "2022"


@pytest.fixture(scope="module")
def table():
    return places.practice_table(GEO)


def _two_icbs(table):
    """Practices of two ICBs: the first with one sub-ICB's practices, QOP with many."""
    qop = table.filter(pl.col("icb_code") == "QOP").sort("practice_code")
    other = table.filter(pl.col("icb_code") == "QHM").sort("practice_code")
    return qop, other


def _write(tmp_path, rows, header="practice_code,place_code,place_name", name="places.csv"):
    p = tmp_path / name
    p.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return p


def _whole_icb(df, per=2):
    """Every practice of `df` in a place within its own sub-ICB (`per` places each)."""
    out = []
    for i, (pc, sub) in enumerate(df.select("practice_code", "subicb_code").rows()):
        out.append(f"{pc},P-{sub}-{i % per},Place {sub} {i % per}")
    return out


def _error(path, unallocated="place") -> InputError:
    with pytest.raises(InputError) as e:
        places.load(path, GEO, unallocated)
    return e.value


def test_user_places_under_subicb_and_sum_of_practices(tmp_path, table):
    qop, _ = _two_icbs(table)
    p = places.load(_write(tmp_path, _whole_icb(qop)), GEO)
    assert set(p.places["parent_level"]) == {"subicb"}
    assert p.practices.height == qop.height and not p.unallocated
    assert set(p.places["icb_code"]) == {"QOP"}


def test_a_place_crossing_subicbs_puts_that_icbs_places_under_the_icb(tmp_path, table):
    qop, qhm = _two_icbs(table)
    rows = _whole_icb(qop) + _whole_icb(qhm)
    # one QOP place takes a practice of another QOP sub-ICB
    subs = qop["subicb_code"].unique().sort().to_list()
    moved = qop.filter(pl.col("subicb_code") == subs[1])["practice_code"][0]
    rows = [r for r in rows if not r.startswith(moved + ",")]
    rows.append(f"{moved},P-{subs[0]}-0,Place {subs[0]} 0")
    p = places.load(_write(tmp_path, rows), GEO)
    level = dict(p.places.select("icb_code", "parent_level").unique().rows())
    assert level == {"QOP": "icb", "QHM": "subicb"}
    assert "cross sub-ICB" in " ".join(p.notes)


@pytest.mark.parametrize("choice", ["place", "stop"])
def test_practices_left_out_are_reported_then_unallocated_or_stop(tmp_path, table, choice):
    qop, _ = _two_icbs(table)
    rows = _whole_icb(qop)[:-3]
    path = _write(tmp_path, rows)
    if choice == "stop":
        e = _error(path, "stop")
        assert e.file == str(path) and e.field == "practice_code" and "3 practice(s)" in e.message
        return
    p = places.load(path, GEO, "place")
    assert len(p.unallocated) == 3
    un = p.places.filter(pl.col("place_code").str.starts_with(places.UNALLOCATED_PREFIX))
    assert un.height >= 1 and un["place_name"].str.contains("no place").all()
    assert p.practices.height == qop.height


def test_bad_files_each_name_file_row_and_field(tmp_path, table):
    qop, qhm = _two_icbs(table)
    a, b, c = qop["practice_code"][:3].to_list()
    h = qhm["practice_code"][0]
    cases = {
        "unknown practice": ([f"{a},P1,One", "ZZZ999,P1,One"], 3, "practice_code", "unknown"),
        "practice in two places": (
            [f"{a},P1,One", f"{a},P2,Two"],
            3,
            "practice_code",
            "two places",
        ),
        "place spanning two ICBs": ([f"{a},P1,One", f"{h},P1,One"], 3, "place_code", "two ICBs"),
        "empty place code": ([f"{a},P1,One", f"{b},,Two"], 3, "place_code", "empty"),
        "empty place name": ([f"{a},P1,"], 2, "place_name", "empty"),
        "duplicate rows": (
            [f"{a},P1,One", f"{b},P1,One", f"{a},P1,One"],
            4,
            "practice_code",
            "duplicate",
        ),
        "one place two names": ([f"{a},P1,One", f"{c},P1,Uno"], 3, "place_name", "two names"),
        "extra cell": ([f"{a},P1,One,x"], 2, None, "cells"),
    }
    for what, (rows, row, field, words) in cases.items():
        path = _write(tmp_path, rows, name=f"{what.replace(' ', '_')}.csv")
        e = _error(path)
        assert (e.file, e.row, e.field) == (str(path), row, field), what
        assert words in e.message, (what, e.message)


def test_bom_header_and_empty_file_refused(tmp_path, table):
    a = table["practice_code"][0]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfpractice_code,place_code,place_name\n" + f"{a},P,N\n".encode())
    e = _error(bom)
    assert "byte-order mark" in e.message and e.row == 1
    e = _error(_write(tmp_path, [], name="empty.csv"))
    assert "no places" in e.message
    e = _error(_write(tmp_path, [f"{a},P,N"], header="practice,place,name", name="hdr.csv"))
    assert e.row == 1 and "header" in e.message
    e = _error(tmp_path / "absent.csv")
    assert "pcn" in e.message


def test_builtin_kinds_cover_every_practice_once(table):
    for kind in places.KINDS:
        p = places.load(kind, GEO)
        assert p.practices.height == table.height
        assert p.practices["practice_code"].n_unique() == table.height
        assert set(p.places["parent_level"]) == {"subicb"}
        # a place never spans two sub-ICBs
        j = p.practices.join(table, on="practice_code").group_by("place_code")
        assert j.agg(pl.col("subicb_code").n_unique())["subicb_code"].max() == 1
    pcn = places.load("pcn", GEO)
    assert pcn.places.height == 1305


def test_places_need_a_practice_map():
    with pytest.raises(InputError, match="practice map"):
        places.load("pcn", "2021")


def test_bases_by_area_use_the_registered_equivalent_or_are_refused():
    kw = {"geography": GEO, "population_year": 2020, "users": ["X-01"], "where": "cat.toml"}
    w, how = places.practice_weights("p", {"source": "ons_population", "ages": "0-25"}, **kw)
    assert "practice-registered equivalent" in how and "only by area" in how
    assert sum(w.values()) > 10_000_000
    w, how = places.practice_weights(
        "n", {"source": "need_weighted", "column": "mh_wp", "allocation_year": "2022/23"}, **kw
    )
    need = store.need_weighted("2022/23", GEO)["mh_wp"].sum()
    assert abs(sum(w.values()) - need) < 1  # the same practices as the sub-ICB table
    with pytest.raises(InputError) as e:
        places.practice_weights("mine", {"source": "csv", "path": "w.csv"}, **kw)
    assert "X-01" in e.value.message and "'mine'" in e.value.message


def test_the_shared_csv_reader_rules_apply(tmp_path, table):
    """The places file is read by mhtool.userfiles like every CSV a planner gives: its
    header, encoding and cell rules, each error naming file, row and field."""
    a, b = table["practice_code"][:2].to_list()
    head = "practice_code,place_code,place_name"
    cases = {
        "zero bytes": (b"", 1, None, "is empty"),
        "column twice": (f"{head},place_code\n{a},P,N\n".encode(), 1, "place_code", "twice"),
        "column missing": (f"practice_code,place_code\n{a},P\n".encode(), 1, None, "missing"),
        "not UTF-8": (f"{head}\n{a},P,N\n{b},P,Caf\xe9\n".encode("latin-1"), 3, None, "UTF-8"),
        "a tab in a name": (f"{head}\n{a},P,N\n{b},P,A\tB\n".encode(), 3, "place_name", "tab"),
        "a place of spaces": (f"{head}\n{a}, ,N\n".encode(), 2, "place_code", "empty"),
    }
    for what, (data, row, field, words) in cases.items():
        path = tmp_path / f"{what.replace(' ', '_')}.csv"
        path.write_bytes(data)
        e = _error(path)
        assert (e.file, e.row, e.field) == (str(path), row, field), (what, e.message)
        assert words in e.message, (what, e.message)
    # what a spreadsheet adds is accepted: CRLF line ends, a trailing empty cell, blank lines
    ok = tmp_path / "excel.csv"
    ok.write_bytes(f"{head},\r\n{a},P,N,\r\n\r\n{b},P,N\r\n".encode())
    p = places.load(ok, GEO)
    assert set(p.practices.filter(pl.col("place_code") == "P")["practice_code"]) == {a, b}
