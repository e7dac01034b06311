"""One writer per output folder: `<out>.lock` beside it names who holds it.

The holder keeps an OS lock on the file for the whole run, so the operating system
releases it the moment the process dies, however it dies. A lock file found unlocked but
still naming a holder was left by a run that died: it is reported and reused. A lock
naming another host cannot be checked (OS locks do not span hosts on every network
filesystem), so it is treated as held.

The OS lock is portable and its module is imported only when a lock is taken, so nothing
POSIX-only loads at start-up: `flock` on the whole file on POSIX; on Windows
`msvcrt.locking` on one byte far past the end of the file (as SQLite does), because a
Windows lock stops others reading the bytes it covers and a contender must be able to read
the holder record to name the holder. (filelock's Windows lock covers byte 0, which would
hide the record; hence this small primitive.) Windows cannot delete an open file, so there
the file is closed before it is removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from mhtool.errors import InputError
from mhtool.infra.log import LOG

#: Offset of the byte Windows locks: far beyond any holder record, so the record stays readable.
WINDOWS_LOCK_OFFSET = 1 << 30


class LockHeld(Exception):
    """Another run holds the output folder's lock."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        super().__init__(
            f"another run is writing this folder: {path} is held by pid {holder.get('pid')} "
            f"on {holder.get('host')} since {holder.get('started')} running "
            f"`{holder.get('command')}`; wait for it to finish"
        )


class LinkRefused(InputError):
    """The lock path is a symbolic link: it is refused, never followed."""

    def __init__(self, path: Path):
        super().__init__(
            "the lock file beside the output folder is a symbolic link; mhtool never "
            "follows one (the lock record would be written into the file it names): "
            "remove the link or choose another output folder",
            file=str(path),
        )


def lock_path(target: Path) -> Path:
    """The lock file of a folder: ``<name>.lock`` beside it, outside what is swapped."""
    target = Path(target).resolve()
    return target.parent / f"{target.name}.lock"


def windows() -> bool:
    """The platform probe every Windows-only path asks (tests force it on Linux)."""
    return sys.platform == "win32"


def pid_alive(pid: int) -> bool:
    """Whether a lock holder's process still runs, so a dead holder's lock is cleared."""
    if windows():
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _windows_pid_alive(pid: int) -> bool:
    """os.kill(pid, 0) would send CTRL_C on Windows; ask the process table instead."""
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def read_holder(path: Path) -> dict:
    """The holder record in a lock file ({} when unreadable: a stale or new lock)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def try_lock(fd: int) -> bool:
    """Take the OS lock on `fd` without waiting; False if another process holds it."""
    if windows():
        import msvcrt

        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open_locked(path: Path) -> int | None:
    """An fd holding the lock on the file now at `path`, or None if someone holds it."""
    while True:
        fd = _open_no_link(path)
        if not try_lock(fd):
            os.close(fd)
            return None
        if windows():  # an open file cannot be removed there, so it is the one at `path`
            return fd
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder unlinked it as we opened it: try the new file


def _open_no_link(path: Path) -> int:
    """Open (or create) the lock file itself, never a file a link there points at: the
    holder record would otherwise be written into whatever the link names. O_NOFOLLOW
    refuses a link where the OS has it; elsewhere the opened file must be the one the
    path names, not a link's target (checked with lstat against the open descriptor)."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    if path.is_symlink():
        raise LinkRefused(path)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():  # ELOOP: a link appeared between the check and the open
            raise LinkRefused(path) from None
        raise exc
    st, here = os.fstat(fd), os.lstat(path)
    if not (st.st_ino == here.st_ino and st.st_dev == here.st_dev) or os.path.islink(path):
        os.close(fd)
        raise LinkRefused(path)
    return fd


def _release(fd: int, path: Path) -> None:
    """Remove the lock file and drop the lock. POSIX unlinks first, so a contender that
    opened the old file sees it is gone; Windows must close before it can delete, and a
    contender that locked it in between keeps it (the delete then fails)."""
    if windows():
        os.close(fd)
        with contextlib.suppress(OSError):
            path.unlink()
        return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(fd)


def _write_holder(fd: int, me: dict) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, (json.dumps(me, indent=2) + "\n").encode())
    os.fsync(fd)


@contextlib.contextmanager
def run_lock(target: Path, command: str) -> Iterator[Path]:
    """Hold `<target>.lock` for the duration; raise LockHeld if another run has it."""
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_locked(path)
    if fd is None:
        raise LockHeld(path, read_holder(path))
    try:
        old = read_holder(path)
        if old and old.get("host") != socket.gethostname():
            raise LockHeld(path, old)
        if old:
            LOG.warning(
                "cleared a stale lock %s: pid %s on %s (started %s, `%s`) is %s",
                path,
                old.get("pid"),
                old.get("host"),
                old.get("started"),
                old.get("command"),
                "no longer running"
                if not (isinstance(old.get("pid"), int) and pid_alive(old["pid"]))
                else "alive but no longer holds the lock",
            )
        _write_holder(
            fd,
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "command": command,
            },
        )
    except LockHeld:
        os.close(fd)  # another host's lock file: theirs, left as it is
        raise
    except BaseException:
        _release(fd, path)  # ours (we hold its OS lock): a half-written record goes too
        raise
    try:
        yield path
    finally:
        _release(fd, path)
