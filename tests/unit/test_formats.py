"""Files written for an earlier format keep working (mhtool/formats.py): a catalogue
without `unit_kind` gets it inferred with one log line; where it cannot be, the error names
the field, the allowed values and an example; a file from a newer format is refused."""

from __future__ import annotations

import logging

import pytest
from fixtures.catalogues import MINI, V1, V1_EXTENDING, write

from mhtool import formats, userfiles
from mhtool.catalogue.load import load_catalogue
from mhtool.catalogue.upgrade import inferred_unit_kind
from mhtool.errors import InputError


def test_the_first_release_catalogue_loads_with_the_unit_kinds_declared_since(caplog):
    with caplog.at_level(logging.WARNING, logger="mhtool"):
        old = load_catalogue(V1)
    declared = {a.id: a.unit_kind for a in load_catalogue().ambitions}
    inferred = {a.id: a.unit_kind for a in old.ambitions}
    assert len(inferred) >= 50
    assert {k: v for k, v in inferred.items() if declared.get(k, v) != v} == {}
    said = [r.getMessage() for r in caplog.records if "catalogue format 1" in r.getMessage()]
    assert len(said) == 1 and "59 ambition(s)" in said[0] and "and 51 more" in said[0]


def test_an_old_extending_catalogue_runs_unchanged(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="mhtool"):
        cat = load_catalogue(write(tmp_path, V1_EXTENDING))
    assert cat.get("LOC-01").unit_kind == "people"
    assert cat.get("LOC-02").unit_kind == "gbp"  # funding is counted in pounds
    assert cat.get("PMH-02").basis == "maternity_need"
    said = [r.getMessage() for r in caplog.records if "inferred unit_kind" in r.getMessage()]
    assert len(said) == 1 and "LOC-01 people, LOC-02 gbp" in said[0]


@pytest.mark.parametrize(
    "amb, want",
    [
        ({"kind": "count", "measure": "activity", "unit": "people"}, "people"),
        ({"kind": "count", "measure": "funding", "unit": "£m"}, "gbp"),
        ({"kind": "count", "measure": "funding", "unit": "pounds"}, "gbp"),
        ({"kind": "count", "measure": "workforce", "unit": "WTE"}, "staff"),
        ({"kind": "rate", "measure": "activity", "unit": "percent of referrals"}, "percent"),
        ({"kind": "standard", "measure": "activity", "unit": "days"}, "days"),
        ({"kind": "sites", "measure": "activity", "unit": "sites"}, "sites"),
        ({"kind": "count", "measure": "money", "unit": "£"}, None),
        ({"kind": "counts", "measure": "activity", "unit": "people"}, None),
        ({"measure": "activity", "unit": "people"}, None),
        ({"kind": "count", "measure": "activity", "unit": 5}, None),
        ({"kind": ["count"], "measure": "activity", "unit": "people"}, None),
        ({"kind": "count", "measure": {"a": 1}, "unit": "people"}, None),
    ],
)
def test_unit_kind_is_inferred_only_where_measure_kind_and_unit_settle_it(amb, want):
    assert inferred_unit_kind(amb) == want


def test_where_inference_is_impossible_the_error_names_allowed_values_and_an_example(tmp_path):
    text = MINI.replace('unit_kind = "people"\n', "").replace(
        'measure = "activity"', 'measure = "activities"'
    )
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, text))
    e = err.value
    assert (e.row, e.field) == ("ambition A-01", "unit_kind"), str(e)
    assert "could not be inferred" in e.message
    assert "allowed: people, gbp, staff, percent, days, sites" in e.message
    assert 'e.g. unit_kind = "people"' in e.message


def test_a_file_declaring_the_current_format_must_declare_unit_kind(tmp_path):
    text = MINI.replace("[catalogue]\n", "[catalogue]\nformat = 2\n").replace(
        'unit_kind = "people"\n', ""
    )
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.field == "unit_kind" and "allowed: people" in err.value.message
    ok = MINI.replace("[catalogue]\n", "[catalogue]\nformat = 2\n")
    assert load_catalogue(write(tmp_path, ok)).get("A-01").unit_kind == "people"


@pytest.mark.parametrize(
    "value, words",
    [("3", "newer than this mhtool reads"), ('"2"', "whole number"), ("0", "whole number")],
)
def test_a_format_this_mhtool_cannot_read_is_refused(tmp_path, value, words):
    text = MINI.replace("[catalogue]\n", f"[catalogue]\nformat = {value}\n")
    with pytest.raises(InputError) as err:
        load_catalogue(write(tmp_path, text))
    assert err.value.field == "format" and words in err.value.message


def test_formats_declared_refuses_a_bool():
    with pytest.raises(InputError, match="whole number"):
        formats.declared({"format": True}, "refresh", file="x.toml")
    assert formats.declared({}, "refresh", file="x.toml") is None
    assert formats.declared({"format": 1}, "refresh", file="x.toml") == 1


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 3000])
def test_deeply_nested_toml_is_refused_not_a_traceback(tmp_path, text):
    path = tmp_path / "deep.toml"
    path.write_text(text)
    with pytest.raises(InputError, match="nested too deeply|not valid TOML") as err:
        userfiles.read_toml(path)
    assert err.value.file == str(path)


def test_deeply_nested_json_is_refused(tmp_path):
    with pytest.raises(InputError, match="nested too deeply"):
        userfiles.parse_json("[" * 100000 + "]" * 100000, tmp_path / "m.json")
