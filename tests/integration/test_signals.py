"""Stop signals and closed pipes: a stopped run removes its staging folder and lock and
exits 128 + the signal; workers never outlive their parent; `| head` ends quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only

from mhtool.cli import main
from mhtool.errors import ExitCode
from mhtool.infra.lock import lock_path

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
CLI = [sys.executable, "-c", "from mhtool.cli import main; main()"]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")}


def _wait_for_line(proc: subprocess.Popen, wanted: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            pytest.fail(f"child ended (exit {proc.wait()}) before saying {wanted!r}")
        if line.strip() == wanted:
            return
    pytest.fail(f"child did not say {wanted!r} within {timeout}s")


def _gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() and _not_zombie(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("sig,status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_cleans_up_and_exits_with_the_signal_status(
    tmp_path, monkeypatch, sig, status
):
    spine_only(monkeypatch)
    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["run", "--population-year", "2019", "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = _snapshot(out)
    proc = subprocess.Popen(
        [*CLI, "run", "--system", "QHM", "--out", str(out)],
        env={**os.environ, "MHTOOL_PAUSE_AT": "outputs"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(proc, "paused at outputs")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == status, err
    assert "Traceback" not in err and f"stopped by {sig.name}" in err
    assert _snapshot(out) == before
    assert not lock_path(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


WORKERS = """
import multiprocessing, sys, threading, time
from mhtool.cli import main
from mhtool.infra.parallel import run_jobs

def report():
    while len(multiprocessing.active_children()) < 2:
        time.sleep(0.05)
    pids = " ".join(str(p.pid) for p in multiprocessing.active_children())
    sys.stderr.write("workers " + pids + "\\n")
    sys.stderr.flush()

threading.Thread(target=report, daemon=True).start()
BODY
"""


def _start_workers(body: str) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKERS.replace("BODY", textwrap.dedent(body))],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line.startswith("workers "):
            return proc, [int(p) for p in line.split()[1:]]
        if not line:
            pytest.fail(f"child ended (exit {proc.wait()}) before starting workers")
    pytest.fail("workers did not start")


def test_workers_die_when_their_parent_is_killed():
    proc, pids = _start_workers("run_jobs(time.sleep, [(60,)] * 6, workers=2)")
    proc.kill()
    proc.wait()
    assert _gone(pids), f"workers {pids} outlived their killed parent"


def test_workers_stop_when_their_parent_is_stopped():
    """Through the CLI's signal handling: the parent exits 143 at once, workers with it."""
    body = """
import click
@click.command()
def sleepy():
    run_jobs(time.sleep, [(60,)] * 6, workers=2)
main.add_command(sleepy)
main(["sleepy"])
"""
    proc, pids = _start_workers(body)
    started = time.monotonic()
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert time.monotonic() - started < 20  # did not wait for the 60 s jobs
    assert "Traceback" not in err
    assert _gone(pids), f"workers {pids} outlived their stopped parent"


def test_a_closed_stdout_pipe_ends_quietly():
    proc = subprocess.Popen(
        [*CLI, "ambitions"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == ExitCode.BROKEN_PIPE, err
    assert err == ""
