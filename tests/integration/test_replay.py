"""`mhtool run --config FILE`: refresh's TOML keys, or an earlier run's manifest.json fed
back to reproduce that run byte for byte; flags override the file; what changed since the
recorded run (input files, library versions) is reported before it runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mhtool.cli import main


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "run.log"
    }


def _run(*args: str):
    return CliRunner().invoke(main, ["run", *args])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A real run, on settings other than the defaults (one system's workbooks)."""
    tmp = tmp_path_factory.mktemp("replay")
    values = tmp / "values.csv"
    values.write_text("ambition_id,year,value\nSMI-02,2023/24,400000\n")
    out = tmp / "first"
    result = _run(
        "--population-year", "2019", "--system", "QHM", "--values", str(values), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    return tmp, out, values


def test_a_manifest_fed_back_reproduces_the_run_byte_for_byte(recorded):
    tmp, first, _ = recorded
    again = tmp / "again"
    result = _run("--config", str(first / "manifest.json"), "--out", str(again))
    assert result.exit_code == 0, result.output
    assert "reproducing the run recorded in" in result.output
    assert "differs" not in result.output
    assert _files(again) == _files(first)  # manifest.json included


def test_a_flag_overrides_the_manifest_and_changes_are_reported(recorded, tmp_path):
    _, first, values = recorded
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["environment"]["packages"]["xlsxwriter"] = "0.0.1"
    tampered = tmp_path / "manifest.json"
    tampered.write_text(json.dumps(manifest))
    out = tmp_path / "out"
    result = _run("--config", str(tampered), "--population-year", "2020", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "xlsxwriter: recorded 0.0.1, installed" in result.output
    settings = json.loads((out / "manifest.json").read_text())["settings"]
    assert settings["population_year"] == 2020 and settings["system"] == "QHM"
    assert Path(settings["values"]) == values


def test_a_changed_input_is_reported(recorded, tmp_path):
    _, first, values = recorded
    copy = tmp_path / "values.csv"
    copy.write_text(values.read_text().replace("400000", "400001"))
    manifest = json.loads((first / "manifest.json").read_text())
    manifest["settings"]["values"] = str(copy)
    (tmp_path / "m.json").write_text(json.dumps(manifest))
    result = _run("--config", str(tmp_path / "m.json"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "values: changed since the run" in result.output


def test_a_toml_config_gives_refresh_keys_to_run(tmp_path, monkeypatch):
    import mhtool.outputs

    monkeypatch.setattr(mhtool.outputs, "write_outputs", lambda *a, **k: [])
    (tmp_path / "run.toml").write_text('population_year = 2019\nout = "here"\nsystem = "QHM"\n')
    result = _run("--config", str(tmp_path / "run.toml"), "--system", "QOP")
    assert result.exit_code == 0, result.output
    settings = json.loads((tmp_path / "here" / "manifest.json").read_text())["settings"]
    assert settings["population_year"] == 2019 and settings["system"] == "QOP"


@pytest.mark.parametrize(
    "text,words",
    [("{not json", "not a readable manifest.json"), ('{"tool": "other"}', "not a manifest")],
)
def test_a_file_that_is_not_a_manifest_is_refused(tmp_path, text, words):
    (tmp_path / "manifest.json").write_text(text)
    result = _run("--config", str(tmp_path / "manifest.json"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and words in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: d["settings"].update(out="a\x00b"), "settings.out"),
        (lambda d: d["settings"].update(values="v\n.csv"), "settings.values"),
        (lambda d: d["settings"].update(places="mine\x00.csv"), "settings.places"),
        (lambda d: d.update(inputs=["catalogue"]), "inputs"),
        (lambda d: d["inputs"].update({"catalogue_file/a\x00b": "00"}), "inputs"),
    ],
)
def test_a_damaged_manifest_is_refused_by_field(recorded, tmp_path, change, field):
    """Hand-edited manifests: a control character in a path or a malformed inputs record
    is refused with the field named, before anything is written."""
    _, out, _ = recorded
    doc = json.loads((out / "manifest.json").read_text())
    change(doc)
    config = tmp_path / "manifest.json"
    config.write_text(json.dumps(doc))
    result = _run("--config", str(config), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output
    assert field in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
