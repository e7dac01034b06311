"""A run killed at any point leaves the previous run byte-for-byte intact, and the next
run recovers and succeeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.runs import kill_when_paused as _kill_when_paused
from fixtures.runs import snapshot as _snapshot
from fixtures.runs import spine_only as _spine_only

from mhtool.cli import main
from mhtool.infra import atomic
from mhtool.infra.lock import lock_path

CLI = [sys.executable, "-c", "from mhtool.cli import main; main()"]


def _previous_run(tmp_path: Path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """A finished earlier run (population 2019, so a new run would change its bytes)."""
    _spine_only(monkeypatch)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--population-year", "2019", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (out / ".gitkeep").write_text("")
    return out, _snapshot(out)


def _start(out: Path, env: dict[str, str], stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, "run", "--system", "QHM", "--out", str(out)],
        env={**os.environ, **env},
        stderr=stderr,
        text=True,
    )


def test_a_stalled_child_fails_instead_of_hanging():
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], stderr=subprocess.PIPE, text=True
    )
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="did not reach spine within 1s"):
        _kill_when_paused(proc, "spine", timeout=1)
    assert time.monotonic() - started < 10 and proc.returncode == -9


@pytest.mark.parametrize(
    "stage,env",
    [
        ("spine", {}),
        ("outputs", {}),
        ("manifest", {}),
        ("swap", {}),
        ("swap", {atomic.FORCE_RENAME_ENV: "rename"}),  # the fallback Windows and macOS use
        ("swap-between", {atomic.FORCE_RENAME_ENV: "rename"}),
    ],
)
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
    """Kills at arbitrary moments: each killed run leaves the previous run byte-identical
    (after recovery); a run that finished before its kill must be a whole new run; and the
    next run succeeds."""
    out, before = _previous_run(tmp_path, monkeypatch)
    killed = 0
    for delay in (0.3, 1.0, 1.8):
        proc = _start(out, {}, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        atomic.recover(out)
        now = _snapshot(out)
        # it finished (or swapped in and was killed on its way out) before the kill: a
        # whole new run, every output its manifest lists present
        if proc.returncode == 0 or now != before:
            manifest = json.loads((out / "manifest.json").read_text())
            assert set(manifest["outputs"]) <= set(now) and now != before
            assert all(now.get(f) == h for f, h in manifest["outputs"].items())
            break
        assert proc.returncode == -9
        assert now == before, f"killed after {delay}s, the previous run changed"
        killed += 1
    assert killed >= 1  # at least one kill landed mid-run
    assert not list(tmp_path.glob(".out.*"))
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file() and not lock_path(out).exists()
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
    (target / "manifest.json").write_text('{"tool": "mhtool"}')  # an earlier run of ours
    (target / "gone.csv").write_text("old")
    (target / ".gitkeep").write_text("")
    with atomic.staged_folder(target) as stage:
        (stage / "manifest.json").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [".gitkeep", "manifest.json"]
    assert (target / "manifest.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("mode", ["exchange", "rename"])
def test_shared_folder_swap_carries_what_the_writer_does_not_own(tmp_path, monkeypatch, mode):
    """refdata build's swap: owned entries replaced whole, catalogues and bases kept."""
    if mode == "rename":
        monkeypatch.setenv(atomic.FORCE_RENAME_ENV, "rename")
    target = tmp_path / "reference_data"
    (target / "geography").mkdir(parents=True)
    (target / "geography" / "old.csv").write_text("old")
    (target / "catalogues").mkdir()
    (target / "catalogues" / "mine.toml").write_text("keep")
    (target / "bases.toml").write_text("keep")
    with atomic.staged_folder(target, marker="sources.json", owned=["geography"]) as stage:
        (stage / "geography").mkdir()
        (stage / "geography" / "new.csv").write_text("new")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "bases.toml",
        "catalogues",
        "catalogues/mine.toml",
        "geography",
        "geography/new.csv",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["reference_data"]


def test_shared_folder_killed_mid_swap_is_recovered_by_the_next_writer(tmp_path):
    target = tmp_path / "reference_data"
    parked = tmp_path / ".reference_data.old-abc" / "reference_data"
    parked.mkdir(parents=True)
    (parked / "bases.toml").write_text("keep")  # the old folder, parked by a killed swap
    with atomic.staged_folder(target, marker="sources.json", owned=["geography"]) as stage:
        (stage / "geography").mkdir()
    assert (target / "bases.toml").read_text() == "keep"
    assert (target / "geography").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["reference_data"]
