"""The README's main command on the shipped defaults, then `mhtool check` on what it wrote."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mhtool.cli import main


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "outputs"
    result = CliRunner().invoke(main, ["run", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_default_run_writes_every_output(default_run):
    out, said = default_run
    assert "files written to" in said
    assert (out / "england.xlsx").is_file()
    assert len(list((out / "regions").glob("*.xlsx"))) == 7
    assert len(list((out / "systems").glob("*.xlsx"))) == 42
    assert len(list((out / "planning").glob("*.csv"))) == 45  # 42 ICBs, England, 2 long files
    assert len(list((out / "charts").glob("*.png"))) >= 42
    manifest = json.loads((out / "manifest.json").read_text())
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest["outputs"]) == written - {"manifest.json", "run.log"}


def test_check_passes_on_the_default_run(default_run):
    out, _ = default_run
    result = CliRunner().invoke(main, ["check", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: 50 workbooks and 45 planning CSV files")
    assert "every file is listed in manifest.json" in result.output
