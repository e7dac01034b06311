"""Windows and macOS code paths, forced on Linux: nothing POSIX-only loads at start-up,
the Windows lock names its holder and is released, and the two-rename swap keeps no file
open in the folder it renames."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.runs import spine_only

from mhtool.cli import main
from mhtool.infra import atomic, lock

TESTS = Path(__file__).resolve().parents[1]
BLOCK = """
import sys
for name in ("fcntl", "termios", "pwd", "grp", "resource"):
    sys.modules[name] = None  # any import of it now fails, as on Windows
import ctypes
def no_cdll(*a, **k):
    raise AssertionError("ctypes.CDLL called while importing")
ctypes.CDLL = no_cdll
"""


def _python(code: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def test_start_up_needs_no_posix_only_module():
    done = _python(
        BLOCK
        + """
import mhtool.infra.lock, mhtool.infra.atomic, mhtool.job.settings, mhtool.infra.parallel
from mhtool.cli import main
main(["--help"], prog_name="mhtool")
"""
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: mhtool" in done.stdout


def test_every_module_imports_without_posix_only_modules():
    """Not only start-up: no module of mhtool (nor the libraries it loads) needs one."""
    done = _python(
        """
import sys
for name in ("fcntl", "termios", "pwd", "grp", "resource"):
    sys.modules[name] = None
import importlib, pkgutil, mhtool
for m in pkgutil.walk_packages(mhtool.__path__, "mhtool."):
    if m.name != "mhtool.__main__":
        importlib.import_module(m.name)
import PIL.ImageFont, openpyxl, polars, xlsxwriter
print("ok")
"""
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _force_windows(monkeypatch):
    from fixtures import fake_msvcrt

    fake_msvcrt.CALLS.clear()
    monkeypatch.setattr(lock, "windows", lambda: True)
    monkeypatch.setitem(sys.modules, "msvcrt", fake_msvcrt)
    return fake_msvcrt


def test_windows_lock_names_a_live_holder_and_is_released(tmp_path, monkeypatch):
    fake = _force_windows(monkeypatch)
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                sys.path.insert(0, {str(TESTS)!r})
                from fixtures import fake_msvcrt
                sys.modules["msvcrt"] = fake_msvcrt
                from mhtool.infra import lock
                lock.windows = lambda: True
                with lock.run_lock({str(out)!r}, "mhtool refresh"):
                    print("held", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(lock.LockHeld) as held:
            with lock.run_lock(out, "mhtool run"):
                pass
        assert held.value.holder["pid"] == holder.pid
        assert json.loads(lock.lock_path(out).read_text())["command"] == "mhtool refresh"
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0 and not lock.lock_path(out).exists()
    with lock.run_lock(out, "mhtool run") as path:  # free again
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert not lock.lock_path(out).exists()
    assert {pos for _, pos, _ in fake.CALLS} == {lock.WINDOWS_LOCK_OFFSET}


def test_windows_lock_reports_and_clears_a_stale_holder(tmp_path, monkeypatch):
    _force_windows(monkeypatch)
    monkeypatch.setattr(lock, "_windows_pid_alive", lambda pid: False)
    out = tmp_path / "out"
    lock.lock_path(out).write_text(json.dumps({"pid": 12345, "host": lock.socket.gethostname()}))
    with lock.run_lock(out, "mhtool run") as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert not lock.lock_path(out).exists()


def test_atomic_exchange_is_looked_up_lazily_and_absent_off_linux(monkeypatch):
    atomic._renameat2.cache_clear()
    monkeypatch.setattr(atomic.sys, "platform", "win32")
    try:
        assert atomic._renameat2() is None and not atomic.exchange_available()
    finally:
        atomic._renameat2.cache_clear()


def _open_under(folder: Path) -> list[str]:
    fds = Path("/proc/self/fd")
    found = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder) + os.sep):
            found.append(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to list open files")
def test_rename_fallback_renames_no_folder_with_an_open_file(tmp_path, monkeypatch):
    """Windows refuses to rename a folder holding an open file (run.log was one)."""
    spine_only(monkeypatch)
    monkeypatch.setattr(atomic, "exchange_available", lambda: False)
    renamed: list[tuple[str, list[str]]] = []
    real_rename = os.rename

    def rename(src, dst):
        renamed.append((str(src), _open_under(Path(src))))
        real_rename(src, dst)

    monkeypatch.setattr(atomic.os, "rename", rename)
    out = tmp_path / "out"
    for year in ("2019", "2020"):  # a first run, then one that replaces it
        result = CliRunner().invoke(main, ["run", "--population-year", year, "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert len(renamed) == 3  # first run: stage in; second: old out, then stage in
    assert all(not open_files for _, open_files in renamed), renamed
    log = (out / "run.log").read_text()
    assert "swapped the new run into" in log and "stage spine: done" in log


def test_the_command_line_loads_no_heavy_library_until_a_command_runs():
    """`mhtool --help` must stay quick: polars, openpyxl, Pillow and XlsxWriter load
    only inside the commands that use them."""
    done = _python(
        """
import sys
import mhtool.cli
print(sorted(m for m in ("polars", "openpyxl", "PIL", "xlsxwriter", "numpy")
             if m in sys.modules))
"""
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
