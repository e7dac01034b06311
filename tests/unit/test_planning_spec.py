"""The planning spec is one frozen record: saved and read back the same from workbooks.json
and planning/profile.json, an earlier mhtool's profile.json still read, a damaged one
refused naming its field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mhtool.catalogue.load import load_catalogue
from mhtool.errors import InputError
from mhtool.planning import refs as planning_refs
from mhtool.planning.spec import DEFAULT_NOTE, PlanningRef, PlanningSpec, Start

FIRST_RELEASE = Path(__file__).parents[1] / "fixtures/formats/profile_v1_first_release.json"


@pytest.fixture(scope="module")
def spec():
    """The shipped catalogue's spec as a run with --refs, places and proportions has it."""
    user = [{"ambition_id": "CYP-01", "planning_ref": "E.H.9", "row": 2}]
    shipped = planning_refs.for_catalogue(load_catalogue())
    return dataclasses.replace(
        shipped.with_user_refs(user, "refs.csv"),
        denominators={"SMI-02": {"QA0": 10.0, "E54000001": 3.0}},
        percent_scale="proportion",
        subicb=True,
        places=True,
    )


def test_it_cannot_be_changed_in_place(spec):
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.subicb = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.refs["IAPT-01"].rule = "quarterly"


def test_workbooks_json_reads_back_the_same(spec):
    saved = json.loads(json.dumps(spec.to_json()))
    assert PlanningSpec.from_json(saved) == spec
    assert saved["user_refs"] == "refs.csv" and saved["places"] is True
    plain = PlanningSpec(file="p.toml")  # without places or --refs: those keys not written
    assert set(plain.to_json()) == {
        "file",
        "profile_note",
        "refs",
        "directions",
        "starts",
        "denominators",
        "percent_scale",
        "subicb",
    }


def test_profile_json_reads_back_the_same(spec):
    record = json.loads(json.dumps(spec.to_profile()))
    back = PlanningSpec.from_profile(record)
    assert back == dataclasses.replace(spec, user_refs=None)  # profile.json never held it
    assert back.refs["CYP-01"].confirmed_ref == "E.H.9"
    assert back.starts["IAPT-05"] == Start("2018/19", 50.0)
    assert PlanningSpec().to_profile()["note"] == DEFAULT_NOTE


def test_a_profile_json_from_the_first_release_still_reads():
    """Written before the scale, directions and starts were recorded: percentages were
    proportions then, every ambition higher-is-better, no starts."""
    spec = PlanningSpec.from_profile(json.loads(FIRST_RELEASE.read_text(encoding="utf-8")))
    assert spec.percent_scale == "proportion"
    assert spec.refs["IAPT-01"] == PlanningRef(
        "IAPT-01",
        "in_year_cumulative",
        True,
        planning_ref="E.A.3",
        ref_source=spec.refs["IAPT-01"].ref_source,
        ref_note=spec.refs["IAPT-01"].ref_note,
    )
    assert spec.rule_of("SMI-02") == "quarterly" and spec.rule_of("CYP-01") == "point_in_time"
    assert spec.direction_of("ACU-01") == "higher_is_better" and spec.starts == {}
    assert spec.denominators["SMI-02"] and spec.file == "mhip_2019_24.toml"


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"percent_scale": "percent"}, "percent_scale", "is not one of 0-100, proportion"),
        ({"refs": ["IAPT-01"]}, "refs", "refs must be a JSON object"),
        ({"refs": {"IAPT-01": {"rule": "quarterly"}}}, "refs", "with its ambition_id"),
        ({"starts": {"IAPT-05": {"year": "2018/19"}}}, "starts", "its year and value"),
        ({"denominators": 3}, "denominators", "denominators must be a JSON object"),
    ],
)
def test_a_damaged_profile_json_is_refused_naming_its_field(change, field, words):
    record = json.loads(FIRST_RELEASE.read_text(encoding="utf-8")) | change
    with pytest.raises(InputError, match=words) as err:
        PlanningSpec.from_profile(record, "run/planning/profile.json")
    assert (err.value.file, err.value.field) == ("run/planning/profile.json", field)
