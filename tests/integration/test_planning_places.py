"""The planning export with places (`--planning-places`): place rows in their ICB's files,
each adding up to its parent's row month by month; `mhtool check` holds them to the spine
and finds a place month changed; without the flag the files are what they were."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
from fixtures.sample import SAMPLE_META, SAMPLE_PLANNING, sample_places, sample_spine

from mhtool.infra.folder import RunFolder
from mhtool.outputs import write_outputs
from mhtool.outputs.planning.check import check_planning
from mhtool.outputs.views.tables import prepare
from mhtool.planning import profile, template

ICB = "QA0"


@pytest.fixture(scope="module")
def spine():
    return sample_spine()


@pytest.fixture(scope="module")
def places(spine):
    return sample_places(spine, [ICB])


def _write(folder, spine, rows, **spec):
    meta = replace(SAMPLE_META, planning=replace(SAMPLE_PLANNING, **spec))
    write_outputs(spine, folder, meta, progress=False, workers=1, places=rows)
    return folder


@pytest.fixture(scope="module")
def out(tmp_path_factory, spine, places):
    return _write(tmp_path_factory.mktemp("with"), spine, places, places=True, subicb=True)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_place_rows_add_up_to_their_subicb_every_month(out, places):
    rows = _rows(out / f"planning/{ICB}.csv")
    parent = dict(places.select("org_code", "parent_code").unique().iter_rows())
    mine = [r for r in rows if r["org_code"] in parent]
    assert {r["org_code"] for r in mine} == set(parent) and {r["icb_code"] for r in mine} == {ICB}
    assert rows.index(mine[0]) > max(i for i, r in enumerate(rows) if r["org_code"] not in parent)
    own = {(r["org_code"], r["planning_ref"], r["measure_type"], r["fin_year"]): r for r in rows}
    sums: dict = {}
    for r in mine:
        if r["measure_type"] == "Count":
            key = (parent[r["org_code"]], r["planning_ref"], "Count", r["fin_year"])
            for m in profile.MONTHS:
                if r[m] != template.NA:
                    sums[key, m] = sums.get((key, m), 0) + int(r[m])
    assert sums
    for (key, m), total in sums.items():
        assert int(own[key][m]) == total, (key, m)
    money = _rows(RunFolder(out).planning_money)
    assert any(r["org_code"] in parent for r in money)
    assert any(r["org_code"] in parent for r in _rows(RunFolder(out).planning_other))


def test_check_holds_place_rows_to_spine_and_parents(out, spine, places):
    above = prepare(spine)
    problems, files = check_planning(out, spine, above, places)
    assert problems == [] and files == 6
    problems, _ = check_planning(out, spine, above, None)
    assert any("the spine has none" in p for p in problems)
    path = out / f"planning/{ICB}.csv"
    text = path.read_text()
    lines = text.splitlines()
    n = next(i for i, r in enumerate(lines) if ",Count," in r and "-P1," in r and ",NA," not in r)
    fields = lines[n].split(",")
    fields[8] = str(int(fields[8]) + 1)  # May
    path.write_text("\n".join([*lines[:n], ",".join(fields), *lines[n + 1 :]]) + "\n")
    try:
        problems, _ = check_planning(out, spine, above, places)
        assert any("May: the places of" in p for p in problems), problems
    finally:
        path.write_text(text)


def test_without_the_flag_the_export_is_unchanged(tmp_path, spine, places):
    plain = _write(tmp_path / "plain", spine, None)
    off = _write(tmp_path / "off", spine, places)
    for p in sorted((plain / "planning").iterdir()):
        assert p.read_bytes() == (off / "planning" / p.name).read_bytes(), p.name
