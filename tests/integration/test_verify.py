"""`mhtool verify`: a run folder re-hashed against its manifest; run.log is not covered."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only

from mhtool.cli import main


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    spine_only(monkeypatch)
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", "--out", str(out)]).exit_code == 0
    return out


def _verify(folder):
    return CliRunner().invoke(main, ["verify", str(folder)])


def test_untouched_run_verifies(run_dir):
    (run_dir / "run.log").write_text("timings differ every run\n")
    result = _verify(run_dir)
    assert result.exit_code == 0, result.output
    assert "all 2 files" in result.output


def test_manifest_records_inputs_and_outputs_but_not_the_log(run_dir):
    doc = json.loads((run_dir / "manifest.json").read_text())
    assert set(doc["outputs"]) == {"apportionment.csv", "apportionment.parquet"}
    assert doc["not_hashed"] == ["run.log"] and (run_dir / "run.log").exists()
    assert doc["catalogue_sha256"] == doc["inputs"]["catalogue"]
    assert "catalogue_file/reference_data/catalogues/mhip_2019_24.toml" in doc["inputs"]
    assert "reference_data/geography/geography_2022.csv" in doc["inputs"]
    assert doc["settings"]["population_year"] == 2020 and "out" not in doc["settings"]


def test_tampered_missing_and_added_files_are_reported(run_dir):
    csv = run_dir / "apportionment.csv"
    text = csv.read_bytes()
    assert b"66000.0" in text
    csv.write_bytes(text.replace(b"66000.0", b"66001.0", 1))
    (run_dir / "apportionment.parquet").unlink()
    (run_dir / "notes.txt").write_text("mine")
    result = _verify(run_dir)
    assert result.exit_code == 1
    assert "changed: apportionment.csv" in result.output
    assert "missing: apportionment.parquet" in result.output
    assert "added: notes.txt" in result.output


def test_folder_without_manifest_is_bad_input(tmp_path):
    result = _verify(tmp_path)
    assert result.exit_code == 2 and "manifest.json" in result.output
