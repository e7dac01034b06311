"""`mhtool refdata build` killed at any point leaves the previous reference data byte for
byte (after the recovery the next build does first), and the next build succeeds.

The killed build is a real `mhtool refdata build` process whose table-making step is the
tiny one in fixtures.refdata (the real build reads about a gigabyte); its lock, staging
folder, written tables, sources.json, SOURCES.md and swap are the real ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures import refdata as tiny
from fixtures.runs import kill_when_paused, snapshot

from mhtool.cli import main
from mhtool.infra import atomic
from mhtool.infra.lock import lock_path
from mhtool.refdata import build

TESTS = Path(__file__).resolve().parents[1]
CHILD = [
    sys.executable,
    "-c",
    "from fixtures.refdata import install; install(); from mhtool.cli import main; main()",
]


def _build(raw: Path, out: Path, monkeypatch, n: int) -> None:
    """A finished tiny build in this process (figure `n`)."""
    monkeypatch.setattr(build, "build_tables", tiny.tiny_tables)
    monkeypatch.setenv("MHTOOL_TINY_BUILD", str(n))
    result = CliRunner().invoke(main, ["refdata", "build", "--raw", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "stage,env",
    [
        ("refdata-tables", {}),
        ("refdata-writing", {}),
        ("swap", {}),
        ("swap", {atomic.FORCE_RENAME_ENV: "rename"}),  # the fallback Windows and macOS use
        ("swap-between", {atomic.FORCE_RENAME_ENV: "rename"}),
    ],
)
def test_kill_at_each_stage_keeps_the_previous_reference_data(tmp_path, monkeypatch, stage, env):
    raw, out = tmp_path / "raw", tmp_path / "reference_data"
    raw.mkdir()
    (out / "catalogues").mkdir(parents=True)
    (out / "catalogues" / "mine.toml").write_text("kept")
    (out / "bases.toml").write_text("kept")
    _build(raw, out, monkeypatch, 1)
    before = snapshot(out)
    assert "sources.json" in before and "catalogues/mine.toml" in before
    pythonpath = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [*CHILD, "refdata", "build", "--raw", str(raw), "--out", str(out)],
        env={
            **os.environ,
            "PYTHONPATH": pythonpath,
            "MHTOOL_TINY_BUILD": "2",
            "MHTOOL_PAUSE_AT": stage,
            **env,
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    kill_when_paused(proc, stage)
    assert proc.returncode == -9
    assert lock_path(out).exists()  # left by the killed build
    if stage == "swap-between":  # killed between the two renames: the old folder is parked
        assert not out.exists()
        atomic.recover(out)
    assert snapshot(out) == before
    _build(raw, out, monkeypatch, 2)  # recovers what the kill left, then builds
    after = snapshot(out)
    assert after != before and after["catalogues/mine.toml"] == before["catalogues/mine.toml"]
    assert after["bases.toml"] == before["bases.toml"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert not lock_path(out).exists()
