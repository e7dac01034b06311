"""`mhtool refresh`: config plus flags, checks before the swap, comparison with the
previous run, reproducible bytes, and a reference-data rebuild."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from fixtures.runs import snapshot
from fixtures.runs import spine_only as _workbooks_off

from mhtool.cli import main
from mhtool.diff import write as shown
from mhtool.infra.paths import default_raw_dir
from mhtool.job import pipeline


def _refresh(*args: str):
    return CliRunner().invoke(main, ["refresh", *args])


def _snapshot(folder: Path) -> dict[str, str]:
    return snapshot(folder, skip=("run.log",))  # run.log carries timings


@pytest.fixture
def spine_only(monkeypatch):
    """No workbooks, so no checks to run on them: these tests are about the job's flow."""
    _workbooks_off(monkeypatch)
    monkeypatch.setattr(pipeline, "_checks", lambda stage: [])
    monkeypatch.setattr(shown, "write_xlsx", lambda changes, path: path.write_bytes(b""))


def _config(tmp_path: Path, **extra) -> Path:
    body = {"geography": '"2022"', "population_year": "2019", "out": '"runs/current"', **extra}
    path = tmp_path / "refresh.toml"
    path.write_text("".join(f"{k} = {v}\n" for k, v in body.items()))
    return path


def test_config_file_with_flags_overriding_it(tmp_path, spine_only):
    result = _refresh("--config", str(_config(tmp_path)), "--population-year", "2020")
    assert result.exit_code == 0, result.output
    out = tmp_path / "runs" / "current"
    doc = json.loads((out / "manifest.json").read_text())
    assert doc["settings"]["population_year"] == 2020 and doc["settings"]["geography"] == "2022"
    assert "stage spine: done in" in (out / "run.log").read_text()
    assert "no previous run" in result.output


@pytest.mark.parametrize(
    "extra,words",
    [
        ({"populaton_year": "2020"}, ["populaton_year", "unknown setting"]),
        ({"population_year": '"2020"'}, ["population_year", "mid-year"]),
        ({"out": "3"}, ["out", "path"]),
    ],
)
def test_bad_config_exits_2(tmp_path, spine_only, extra, words):
    result = _refresh("--config", str(_config(tmp_path, **extra)))
    assert result.exit_code == 2, result.output
    assert "refresh.toml" in result.output and all(w in result.output for w in words)


def test_help_documents_exit_codes():
    text = CliRunner().invoke(main, ["refresh", "--help"]).output
    assert "Exit codes" in text and "3  another run holds" in text


def test_failing_checks_keep_the_previous_run_and_its_log(tmp_path, spine_only, monkeypatch):
    cfg = _config(tmp_path)
    assert _refresh("--config", str(cfg)).exit_code == 0
    out = tmp_path / "runs" / "current"
    before = _snapshot(out)
    monkeypatch.setattr(pipeline, "_checks", lambda stage: ["systems/QHM.xlsx: broken"])
    result = _refresh("--config", str(cfg), "--population-year", "2020")
    assert result.exit_code == 1, result.output
    assert "check failed: systems/QHM.xlsx: broken" in result.output
    assert _snapshot(out) == before
    failed = tmp_path / "runs" / "current.failed.log"
    assert "check failed" in failed.read_text() and str(failed) in result.output
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "current",
        "current.failed.log",
    ]


def test_refresh_is_reproducible_checked_and_explained(tmp_path):
    """Real workbooks (one ICB's), real checks: identical bytes from identical inputs, then
    a refresh over the earlier run writes the comparison into the new run."""
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        r = _refresh("--system", "QHM", "--population-year", "2019", "--out", str(out))
        assert r.exit_code == 0, r.output
    assert _snapshot(a) == _snapshot(b) and "systems/QHM.xlsx" in _snapshot(a)
    r = _refresh("--system", "QHM", "--population-year", "2020", "--out", str(a))
    assert r.exit_code == 0, r.output
    assert "compared with the previous run" in r.output and "checks: OK" in r.output
    doc = json.loads((a / "manifest.json").read_text())
    assert {"changes.csv", "changes.xlsx"} <= set(doc["outputs"])
    assert (
        doc["previous_run"]["manifest_sha256"]
        == hashlib.sha256((b / "manifest.json").read_bytes()).hexdigest()
    )
    changes = pl.read_csv(a / "changes.csv")
    assert (changes["national_effect"] == 0).all() and (changes["share_effect"] != 0).any()
    assert CliRunner().invoke(main, ["verify", str(a)]).exit_code == 0


@pytest.mark.raw
def test_rebuild_reference_data_into_a_fresh_folder(tmp_path, spine_only):
    if not default_raw_dir().is_dir():
        pytest.skip("raw public files not present")
    ref = tmp_path / "refdata"
    result = _refresh(
        "--config",
        str(
            _config(
                tmp_path,
                rebuild_reference_data="true",
                reference_data='"refdata"',
                raw=f'"{default_raw_dir()}"',
            )
        ),
    )
    assert result.exit_code == 0, result.output
    assert (ref / "geography" / "geography_2022.csv").exists()
    assert (ref / "catalogues" / "mhip_2019_24.toml").exists()  # seeded
    doc = json.loads((tmp_path / "runs" / "current" / "manifest.json").read_text())
    assert any(k.startswith("raw/") for k in doc["inputs"])
    assert doc["settings"]["rebuild_reference_data"] is True
