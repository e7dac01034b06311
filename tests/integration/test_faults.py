"""Faults of the machine, not of the inputs (docs/operations.md, "Where a run may write"): a
disk that fills up at any point of a run, a read-only disk, an output name that is not UTF-8, and a
process started with its standard streams closed. Each ends with its documented exit
status, no traceback, the previous run byte for byte and nothing left behind.

The disk cases need a small filesystem of their own: a tmpfs mounted for the test (CI
runs as root, so it can); where mounting is not permitted they are skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.hostile import SMALL, assert_refused, invoke, leftovers, tree


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("previous") / "out"
    result = invoke(["run", *SMALL, "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def small_disk(tmp_path, previous):
    """A tmpfs about three runs big, holding a copy of the previous run in out/."""
    where = tmp_path / "disk"
    where.mkdir()
    size = 3 * _size(previous) // 1024 + 512
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}k", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        shutil.copytree(previous, where / "out")
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Fill the disk until `leave` bytes are free."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "wb") as fh:
        left = max(0, free - leave)
        block = b"\0" * (1 << 20)
        while left > 0:
            n = fh.write(block[: min(len(block), left)])
            left -= n


#: Free space left when the run starts, as a share of one run's size: the lock record,
#: the staging folder, the spine, the workbooks, the charts and the manifest each meet a
#: full disk somewhere along these.
SHARES = [0.0, 0.001, 0.05, 0.25, 0.5, 0.75, 0.9, 0.97]


@pytest.mark.parametrize("share", SHARES)
def test_a_full_disk_mid_run_exits_2_and_keeps_the_previous_run(small_disk, previous, share):
    out = small_disk / "out"
    _fill(small_disk, int(_size(previous) * share))
    before = tree(out)
    result = invoke(["run", *SMALL, "--out", str(out)])
    assert_refused(result, 2, (str(out), "--out", "previous run is untouched"))
    assert "No space left" in result.stderr or "disk is full" in result.stderr
    assert tree(out) == before
    assert leftovers(out) == []
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out"]


def test_with_room_the_same_run_succeeds(small_disk):
    """The control: the disk cases fail for want of space, not for being on a tmpfs."""
    result = invoke(["run", *SMALL, "--out", str(small_disk / "out"), "-q"])
    assert result.exit_code == 0, result.output


def test_a_read_only_disk_is_refused_before_anything_is_written(small_disk):
    out = small_disk / "out"
    before = tree(out)
    made = subprocess.run(
        ["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, check=False
    )
    if made.returncode != 0:
        pytest.skip("cannot remount the tmpfs read-only here")
    try:
        result = invoke(["run", *SMALL, "--out", str(out)])
        assert_refused(result, 2, (str(out), "read-only"))
        assert tree(out) == before
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=False)


def test_an_output_name_that_is_not_utf8_is_refused(tmp_path):
    out = os.fsdecode(os.fsencode(str(tmp_path)) + b"/out\xff")
    result = invoke(["run", *SMALL, "--out", out])
    assert_refused(result, 2, ("out\\xff", "not UTF-8", "--out"))
    assert list(tmp_path.iterdir()) == []


def _mhtool(*args: str, close: tuple[int, ...], cwd: Path) -> subprocess.CompletedProcess:
    """mhtool in a process of its own started with the descriptors `close` closed."""

    def closing():
        for fd in close:
            os.close(fd)

    return subprocess.run(
        [sys.executable, "-m", "mhtool", *args],
        preexec_fn=closing,
        cwd=cwd,
        stdout=subprocess.DEVNULL if 1 in close else subprocess.PIPE,
        stderr=subprocess.DEVNULL if 2 in close else subprocess.PIPE,
        check=False,
    )


@pytest.mark.skipif(os.name != "posix", reason="closing a child's descriptors is POSIX")
def test_stderr_closed_at_start_runs_and_fails_cleanly(tmp_path, previous):
    out = tmp_path / "out"
    done = _mhtool("run", *SMALL, "--out", str(out), close=(2,), cwd=tmp_path)
    assert done.returncode == 0
    checked = _mhtool("check", str(out), close=(1, 2), cwd=tmp_path)
    assert checked.returncode == 0
    verified = _mhtool("verify", str(out), close=(0, 1, 2), cwd=tmp_path)
    assert verified.returncode == 0
    # a refusal with stderr closed: exit 2, and no error line in any file it opened
    before = tree(out)
    bad = _mhtool("run", *SMALL, "--values", str(tmp_path / "none.csv"), "--out", str(out),
                  close=(2,), cwd=tmp_path)  # fmt: skip
    assert bad.returncode == 2
    assert tree(out) == before
    assert b"mhtool: error" not in (out / "run.log").read_bytes()
