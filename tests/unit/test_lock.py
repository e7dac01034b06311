"""The output folder's lock: a live holder stops a second run (exit 3); a dead one is cleared."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from click.testing import CliRunner
from fixtures.runs import spine_only as _spine_only

from mhtool.cli import main
from mhtool.infra.lock import lock_path, run_lock


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_second_run_on_a_locked_folder_exits_3_naming_the_holder(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    out = tmp_path / "out"
    with run_lock(out, "mhtool refresh --config nightly.toml"):
        result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert f"pid {os.getpid()}" in result.output and socket.gethostname() in result.output
    assert "nightly.toml" in result.output
    assert not out.exists() and not lock_path(out).exists()
    assert CliRunner().invoke(main, ["run", "--out", str(out)]).exit_code == 0


def test_stale_lock_from_a_dead_process_is_reported_and_cleared(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    out = tmp_path / "out"
    lock_path(out).write_text(
        json.dumps(
            {
                "pid": _dead_pid(),
                "host": socket.gethostname(),
                "started": "2026-04-01T02:00:00+01:00",
                "command": "mhtool refresh",
            }
        )
    )
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "stale lock" in result.output and "no longer running" in result.output
    assert "stale lock" in (out / "run.log").read_text()
    assert not lock_path(out).exists()


def test_lock_from_another_host_is_respected(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    out = tmp_path / "out"
    lock_path(out).write_text(
        json.dumps(
            {
                "pid": 1,
                "host": "elsewhere.example",
                "started": "2026-04-01T02:00:00+01:00",
                "command": "mhtool refresh",
            }
        )
    )
    result = CliRunner().invoke(main, ["run", "--out", str(out)])
    assert result.exit_code == 3
    assert "elsewhere.example" in result.output
    assert lock_path(out).exists()
