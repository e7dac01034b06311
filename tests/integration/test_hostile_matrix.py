"""Nothing that is not ours is lost or overwritten, and no input is silently wrong: the
second hostile matrix (the first is test_bad_inputs.py; both share fixtures/hostile.py).

Each case asserts the exit status, no traceback, the file and field named, the previous
run in {out} byte-identical and nothing left behind. Cases run in-process on a one-ICB run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.catalogues import V1, V1_EXTENDING
from fixtures.hostile import SMALL, Case, invoke, refused_cleanly, tree

from mhtool.cli import main
from mhtool.infra.manifest import sha256
from mhtool.job import replay

R = ("run", *SMALL, "--out", "{out}")
VALUES = "ambition_id,year,value\nPMH-01,2023/24,66000\n"
DEEP = "a = " + "[" * 5000 + "]" * 5000 + "\n"


def _link_lock(d: Path, out: Path, mp) -> None:
    """<out>.lock is a symbolic link to a file of someone else's."""
    (d / "precious.txt").write_text("someone else's file\n")
    (out.parent / "out.lock").symlink_to(d / "precious.txt")


def _dangling_lock(d: Path, out: Path, mp) -> None:
    (out.parent / "out.lock").symlink_to(d / "nowhere" / "file")


def _values_inside_out(d: Path, out: Path, mp) -> None:
    (out / "my_values.csv").write_text(VALUES)


def _places_inside_out(d: Path, out: Path, mp) -> None:
    (out / "places.csv").write_text("practice_code,place_code,place_name\n")


def _catalogue_inside_out(d: Path, out: Path, mp) -> None:
    (out / "c.toml").write_text(V1_EXTENDING)


def _empty_ref(d: Path, out: Path, mp) -> None:
    (d / "ref").mkdir()


def _planning_files_in_d(d: Path, out: Path, mp) -> None:
    """The shipped catalogue's planning file is read from {d}/planning (written by the case)."""
    from mhtool.planning import refs

    mp.setattr(refs, "folder", lambda: d / "planning")


PLANNING = '[planning]\ncatalogue = "mhip_2019_24"\n'


def _run_around(d: Path, out: Path, mp) -> None:
    """A folder inside the previous run, as the place to write into."""
    (out / "charts").mkdir(exist_ok=True)


CASES = [
    # ---- never lose what is not ours
    Case("lock-symlink", R, ("out.lock", "symbolic link"), setup=_link_lock),
    Case("lock-dangling-symlink", R, ("out.lock", "symbolic link"), setup=_dangling_lock),
    Case(
        "values-inside-out",
        ("run", *SMALL, "--values", "{out}/my_values.csv", "--out", "{out}"),
        ("my_values.csv", "field 'values'", "inside the output folder"),
        setup=_values_inside_out,
    ),
    Case(
        "places-inside-out",
        ("run", *SMALL, "--places", "{out}/places.csv", "--out", "{out}"),
        ("places.csv", "field 'places'", "inside the output folder"),
        setup=_places_inside_out,
    ),
    Case(
        "catalogue-inside-out",
        ("run", *SMALL, "--catalogue", "{out}/c.toml", "--out", "{out}"),
        ("c.toml", "field 'catalogue'", "inside the output folder"),
        setup=_catalogue_inside_out,
    ),
    Case(
        "out-inside-a-run",
        ("run", *SMALL, "--out", "{out}/systems/again"),
        ("inside the run folder", "field '--out'"),
    ),
    Case(
        "refresh-out-inside-reference-data",
        ("refresh", "--reference-data", "{d}/ref", "--out", "{d}/ref/out", "-q"),
        ("inside the reference_data folder", "field '--out'"),
        setup=_empty_ref,
    ),
    Case(
        "refresh-out-is-the-reference-data",
        ("refresh", "--reference-data", "{out}", "--out", "{out}", "-q"),
        ("reference_data input lies inside the output folder",),
        previous="refdata",
    ),
    Case(
        "assure-out-is-a-run",
        ("assure", "{d}/plan.csv", "--against", "{out}", "--out", "{out}"),
        ("inside the run folder", "field '--out'"),
        files={"plan.csv": "org_code\n"},
    ),
    Case(
        "assure-out-inside-a-run",
        ("assure", "{d}/plan.csv", "--against", "{out}", "--out", "{out}/assurance"),
        ("inside the run folder", "field '--out'"),
        files={"plan.csv": "org_code\n"},
    ),
    Case(
        "diff-out-inside-a-run",
        ("diff", "{out}", "{out}", "--out", "{out}/changes.csv"),
        ("inside the run folder", "field '--out'"),
    ),
    Case(
        "diff-out-inside-a-run-subfolder",
        ("diff", "{out}", "{out}", "--out", "{out}/planning/changes.xlsx"),
        ("inside the run folder",),
    ),
    # ---- deeply nested files: a sentence, exit 2
    Case(
        "catalogue-deeply-nested",
        ("run", *SMALL, "--catalogue", "{d}/c.toml", "--out", "{out}"),
        ("c.toml", "nested too deeply"),
        files={"c.toml": DEEP},
    ),
    Case(
        "config-deeply-nested",
        ("refresh", "--config", "{d}/r.toml", "--out", "{out}"),
        ("r.toml", "nested too deeply"),
        files={"r.toml": DEEP},
    ),
    Case(
        "run-config-deeply-nested",
        ("run", "--config", "{d}/r.toml", "--out", "{out}"),
        ("r.toml", "nested too deeply"),
        files={"r.toml": DEEP},
    ),
    Case(
        "manifest-deeply-nested",
        ("run", "--config", "{d}/manifest.json", "--out", "{out}"),
        ("manifest.json", "nested too deeply"),
        files={"manifest.json": "[" * 100000 + "]" * 100000},
    ),
    # ---- a manifest fed back to `run --config` must be of the declared shape
    *[
        Case(
            f"replay-{name}",
            ("run", "--config", "{d}/m.json", "--out", "{out}"),
            ("m.json", *says),
            files={"m.json": text},
        )
        for name, text, says in [
            (
                "geography-a-list",
                '{"tool": "mhtool", "outputs": {}, "settings": {"geography": [2022]}}',
                ("field 'settings.geography'",),
            ),
            (
                "population-year-text",
                '{"tool": "mhtool", "outputs": {}, "settings": {"population_year": "x"}}',
                ("field 'settings.population_year'", "mid-year"),
            ),
            (
                "level-unknown",
                '{"tool": "mhtool", "outputs": {}, "settings": {"level": "ward"}}',
                ("field 'settings.level'", "icb, subicb"),
            ),
            (
                "format-from-the-future",
                '{"tool": "mhtool", "format": 7, "outputs": {}, "settings": {}}',
                ("field 'format'", "newer than this mhtool"),
            ),
            (
                "outputs-missing",
                '{"tool": "mhtool", "settings": {}}',
                ("field 'outputs'",),
            ),
            (
                "inputs-not-hashes",
                '{"tool": "mhtool", "outputs": {}, "settings": {}, "inputs": {"values": "x"}}',
                ("field 'inputs.values'", "sha256"),
            ),
        ]
    ],
    # ---- formats
    Case(
        "config-format-from-the-future",
        ("refresh", "--config", "{d}/r.toml", "--out", "{out}"),
        ("r.toml", "field 'format'", "newer than this mhtool"),
        files={"r.toml": "format = 9\n"},
    ),
    Case(
        "catalogue-format-from-the-future",
        ("run", *SMALL, "--catalogue", "{d}/c.toml", "--out", "{out}"),
        ("c.toml", "field 'format'", "newer than this mhtool"),
        files={"c.toml": V1_EXTENDING.replace("[catalogue]\n", "[catalogue]\nformat = 3\n")},
    ),
    Case(
        "catalogue-v2-without-unit-kind",
        ("run", *SMALL, "--catalogue", "{d}/c.toml", "--out", "{out}"),
        ("c.toml", "ambition LOC-01", "field 'unit_kind'", "allowed: people", "e.g. unit_kind"),
        files={"c.toml": V1_EXTENDING.replace("[catalogue]\n", "[catalogue]\nformat = 2\n")},
    ),
    # ---- the planning file (reference_data/planning/<catalogue>.toml), held to its schema
    *[
        Case(
            f"planning-{name}",
            R,
            ("mhip_2019_24.toml", *says),
            files={"planning/mhip_2019_24.toml": PLANNING + body},
            setup=_planning_files_in_d,
        )
        for name, body, says in [
            (
                "rule-unknown",
                '[[ref]]\nambition_id = "IAPT-01"\nrule = "monthly"\n',
                ("row ref IAPT-01", "field 'rule'", "rolling_12m"),
            ),
            (
                "confirmed-a-word",
                '[[ref]]\nambition_id = "IAPT-01"\nconfirmed = "yes"\n',
                ("row ref IAPT-01", "field 'confirmed'", "true or false"),
            ),
            (
                "note-a-number",
                "profile_note = 3\n",
                ("field 'planning.profile_note'", "must be text"),
            ),
            ("ref-a-table", "[ref]\nambition_id = 'IAPT-01'\n", ("field 'ref'", "[[ref]]")),
        ]
    ],
    Case(
        "catalogue-v1-unit-kind-not-inferable",
        ("run", *SMALL, "--catalogue", "{d}/c.toml", "--out", "{out}"),
        ("c.toml", "ambition LOC-01", "field 'unit_kind'", "could not be inferred"),
        files={"c.toml": V1_EXTENDING.replace('kind = "count"', 'kind = "counted"', 1)},
    ),
]


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """One finished small run, copied into each case's --out."""
    out = tmp_path_factory.mktemp("previous") / "out"
    result = invoke(["run", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_cleanly(case: Case, previous: Path, tmp_path: Path, monkeypatch):
    links = (_link_lock, _dangling_lock)  # refused and left alone: not ours to remove
    refused_cleanly(case, previous, tmp_path, monkeypatch, lock_left=case.setup in links)


def test_a_symlinked_lock_leaves_its_target_alone(previous, tmp_path, monkeypatch):
    case = next(c for c in CASES if c.id == "lock-symlink")
    refused_cleanly(case, previous, tmp_path, monkeypatch, lock_left=True)
    assert (tmp_path / "precious.txt").read_text() == "someone else's file\n"
    assert (tmp_path / "out.lock").is_symlink()  # refused, never followed nor removed


def test_the_first_release_catalogue_runs_unchanged(tmp_path):
    out = tmp_path / "out"
    result = invoke(["run", *SMALL, "--catalogue", str(V1), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "catalogue format 1" in result.stderr and "inferred unit_kind" in result.stderr
    extending = tmp_path / "mine.toml"
    extending.write_text(V1_EXTENDING)
    result = invoke(["run", *SMALL, "--catalogue", str(extending), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "LOC-01" in (out / "apportionment.csv").read_text()


def test_values_with_a_header_and_no_rows_change_nothing(previous, tmp_path):
    empty = tmp_path / "v.csv"
    empty.write_text("ambition_id,year,value,note\n")
    out = tmp_path / "out"
    result = invoke(["run", *SMALL, "--values", str(empty), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "holds no figures" in result.stderr and "no figure replaced" in result.stderr
    for name in ("apportionment.csv", "systems/QHM.xlsx", "planning/QHM.csv"):
        assert (out / name).read_bytes() == (previous / name).read_bytes(), name


def test_a_replay_compares_every_input_and_never_calls_a_changed_run_a_reproduction(
    previous, tmp_path
):
    values = tmp_path / "v.csv"
    values.write_text(VALUES)
    first = tmp_path / "first"
    result = invoke(["run", *SMALL, "--values", str(values), "--out", str(first)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["format"] == 2
    assert manifest["input_paths"]["values"] == str(values.resolve())  # absolute
    assert manifest["inputs"]["values"] == sha256(values)
    values.write_text(VALUES.replace("66000", "66001"))
    result = invoke(["run", "--config", str(first / "manifest.json"), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "values: changed since the run" in result.stderr
    assert f"sha256 was {manifest['inputs']['values'][:12]}" in result.stderr
    assert "NOT a reproduction" in result.stderr
    assert "reproducing the run" not in result.stderr


def test_a_replay_checks_a_places_file_and_every_recorded_input(tmp_path):
    places = tmp_path / "places.csv"
    places.write_text("practice_code,place_code,place_name\nA1,P1,One\n")
    doc = {
        "inputs": {
            "catalogue": "0" * 64,
            "places": sha256(places),
            "raw/x.csv": "1" * 64,
            "something_new": "2" * 64,
        }
    }
    settings = {"places": str(places), "raw": str(tmp_path)}
    assert [line.split(":")[0] for line in replay.changed_inputs(doc, settings)] == [
        "raw/x.csv",
        "something_new",
    ]
    places.write_text("practice_code,place_code,place_name\nA1,P2,Two\n")
    said = replay.changed_inputs(doc, settings)
    assert said[0].startswith("places: changed since the run") and str(places) in said[0]


def test_a_relative_places_file_is_recorded_absolute(tmp_path, monkeypatch):
    from mhtool.job.settings import RunConfig

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.csv").write_text("x\n")
    assert RunConfig(places="p.csv").recorded()["places"] == str(tmp_path / "p.csv")
    assert RunConfig(places="pcn").recorded()["places"] == "pcn"


def test_an_assurance_folder_of_its_own_may_be_replaced(previous, tmp_path):
    """The refusal is about run folders: assure's own earlier output is replaced as before."""
    out = tmp_path / "assured"
    out.mkdir()
    (out / "assurance.json").write_text("{}")
    before = tree(previous)
    result = CliRunner().invoke(
        main, ["assure", str(tmp_path / "none.csv"), "--against", str(previous), "--out", str(out)]
    )
    assert "inside the run folder" not in result.output
    assert tree(previous) == before
    shutil.rmtree(out)
