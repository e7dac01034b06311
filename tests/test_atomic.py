"""A run killed at any point leaves the previous run byte-for-byte intact, and the next
run recovers and succeeds."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mhtool import atomic
from mhtool.cli import main
from mhtool.lock import lock_path

CLI = [sys.executable, "-c", "from mhtool.cli import main; main()"]


def _spine_only(monkeypatch):
    import mhtool.outputs
    monkeypatch.setattr(mhtool.outputs, "write_outputs", lambda *a, **k: [])


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _previous_run(tmp_path: Path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """A finished earlier run (population 2019, so a new run would change its bytes)."""
    _spine_only(monkeypatch)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--population-year", "2019", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (out / ".gitkeep").write_text("")
    return out, _snapshot(out)


def _start(out: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "run", "--system", "QHM", "--out", str(out)],
                            env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)


def _kill_when_paused(proc: subprocess.Popen, stage: str) -> None:
    deadline = time.monotonic() + 60
    for line in proc.stderr:
        if line.strip() == f"paused at {stage}":
            break
        assert time.monotonic() < deadline
    else:
        pytest.fail(f"run ended without reaching {stage} (exit {proc.wait()})")
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("stage,env", [
    ("spine", {}),
    ("outputs", {}),
    ("manifest", {}),
    ("swap", {}),
    ("swap-between", {atomic.FORCE_RENAME_ENV: "rename"}),
])
def test_kill_at_each_stage_keeps_the_previous_run(tmp_path, monkeypatch, stage, env):
    out, before = _previous_run(tmp_path, monkeypatch)
    proc = _start(out, {"MHTOOL_PAUSE_AT": stage, **env})
    _kill_when_paused(proc, stage)
    assert proc.returncode == -9
    if stage == "swap-between":  # killed between the two renames: the old run is parked
        assert not out.exists()
        atomic.recover(out)
    assert _snapshot(out) == before
    assert lock_path(out).exists()  # left by the killed run
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _snapshot(out) != before and (out / ".gitkeep").exists()
    assert not list(tmp_path.glob(".out.*")) and not lock_path(out).exists()


def test_kill_after_a_while_keeps_the_previous_run(tmp_path, monkeypatch):
    out, before = _previous_run(tmp_path, monkeypatch)
    for delay in (0.3, 1.0, 1.8):
        proc = _start(out, {})
        time.sleep(delay)
        proc.kill()
        proc.wait()
        atomic.recover(out)
        now = _snapshot(out)
        assert now == before or (proc.returncode == 0 and "manifest.json" in now)
        if now != before:  # the run finished before the kill: that is a new whole run
            break
    assert not list(tmp_path.glob(".out.*"))


def test_recover_restores_a_parked_run_and_clears_staging(tmp_path):
    target = tmp_path / "out"
    parked = tmp_path / ".out.old-abc" / "out"
    parked.mkdir(parents=True)
    (parked / "manifest.json").write_text("{}")
    (tmp_path / ".out.tmp-xyz").mkdir()
    (tmp_path / ".out.tmp-xyz" / "half.csv").write_text("x")
    done = atomic.recover(target)
    assert (target / "manifest.json").read_text() == "{}"
    assert not list(tmp_path.glob(".out.*")) and len(done) == 3


@pytest.mark.parametrize("mode", ["exchange", "rename"])
def test_swap_replaces_the_whole_folder(tmp_path, monkeypatch, mode):
    if mode == "rename":
        monkeypatch.setenv(atomic.FORCE_RENAME_ENV, "rename")
    target = tmp_path / "out"
    target.mkdir()
    (target / "manifest.json").write_text("old")
    (target / "gone.csv").write_text("old")
    (target / ".gitkeep").write_text("")
    with atomic.staged_folder(target) as stage:
        (stage / "manifest.json").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [".gitkeep", "manifest.json"]
    assert (target / "manifest.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
