"""The planning TOML: every reference keyed by a catalogue ambition, checked with file,
row and field named."""

from __future__ import annotations

import pytest

from mhtool.catalogue.load import load_catalogue
from mhtool.errors import InputError
from mhtool.planning import refs as planning_refs


def _write(tmp_path, body: str):
    path = tmp_path / "p.toml"
    path.write_text('[planning]\ncatalogue = "x"\n' + body)
    return path


def test_the_shipped_file_matches_the_shipped_catalogue():
    spec = planning_refs.for_catalogue(load_catalogue())
    confirmed = {a: r.planning_ref for a, r in spec.refs.items() if r.confirmed}
    assert confirmed == {"IAPT-01": "E.A.3", "IAPT-05": "E.A.S.2"}
    assert all(r.ref_source for r in spec.refs.values() if r.confirmed)
    assert spec.refs["SMI-02"].rule == "quarterly"
    assert spec.refs["SMI-02"].denominator_table == "smi_register"


def test_a_catalogue_that_extends_uses_its_parents_file(tmp_path):
    from mhtool.infra.paths import reference_data_dir

    child = reference_data_dir() / "catalogues" / "mhip_2019_24_geo2026.toml"
    spec = planning_refs.for_catalogue(load_catalogue(child))
    assert spec.file == "mhip_2019_24.toml"


@pytest.mark.parametrize(
    "body, field, message",
    [
        ('[[ref]]\nambition_id = "NOPE"\n', "ambition_id", "no ambition with this id"),
        ('[[ref]]\nambition_id = "A"\nrule = "monthly"\n', "rule", "must be one of"),
        ('[[ref]]\nambition_id = "A"\nconfirmed = true\n', "planning_ref", "needs its"),
        (
            '[[ref]]\nambition_id = "A"\nconfirmed = true\nplanning_ref = "E.X"\n',
            "ref_source",
            "source that confirms",
        ),
        ('[[ref]]\nambition_id = "A"\nnumerator = "n"\n', "denominator", "both"),
        ('[[ref]]\nambition_id = "A"\ncolour = "red"\n', "colour", "unknown field"),
        ('[[ref]]\nambition_id = "A"\n[[ref]]\nambition_id = "A"\n', "ambition_id", "twice"),
    ],
)
def test_bad_refs_name_file_row_and_field(tmp_path, body, field, message):
    path = _write(tmp_path, body)
    with pytest.raises(InputError, match=message) as err:
        planning_refs.load(path, {"A"})
    assert err.value.file == str(path) and err.value.field == field
    assert err.value.row.startswith("ref ")


def test_the_catalogue_declares_which_way_each_ambition_is_met():
    spec = planning_refs.for_catalogue(load_catalogue())
    assert spec.direction_of("ACU-01") == "lower_is_better"  # out-of-area placements
    assert spec.direction_of("ACU-02") == "lower_is_better"  # length of stay, at most
    assert spec.direction_of("IAPT-01") == "higher_is_better"
    assert set(spec.directions.values()) == {"lower_is_better"}


def test_a_users_refs_file_is_checked_row_by_row(tmp_path):
    from mhtool.planning.refs import user_refs
    from mhtool.planning.spec import PlanningSpec

    path = tmp_path / "refs.csv"
    path.write_text("planning_ref,ambition_id,measure_type\nE.H.15,A01,\nIAPT roll-out,A03,\n")
    got = user_refs(path, {"A01", "A03"}, known={"IAPT roll-out"})  # a name the TOML uses
    assert [(r["planning_ref"], r["row"]) for r in got] == [("E.H.15", 2), ("IAPT roll-out", 3)]
    spec = PlanningSpec().with_user_refs(got, "refs.csv")
    assert spec.refs["A01"].confirmed and "refs.csv (row 2)" in spec.refs["A01"].ref_source
    assert spec.confirmed_ref("A01") == "E.H.15" and spec.user_refs == "refs.csv"
    for body, row, fld in (
        ("E.H.15,A01,\nE.H.15,A03,\n", 3, "planning_ref"),  # the same reference twice
        ("E.H.15,A01,\nE.H.16,A01,\n", 3, "planning_ref"),  # one ambition, two references
        ("E.H.15,A01,Mean\n", 2, "measure_type"),
        ("E.H.15,A09,\n", 2, "ambition_id"),
    ):
        path.write_text("planning_ref,ambition_id,measure_type\n" + body)
        with pytest.raises(InputError) as err:
            user_refs(path, {"A01", "A03"})
        assert (err.value.row, err.value.field) == (row, fld)
