"""One writer per output folder: `<out>.lock` beside it names who holds it.

The holder keeps an exclusive flock on the file for the whole run, so the kernel releases
it the moment the process dies, however it dies. A lock file found unlocked but still
naming a holder was left by a run that died (its pid is gone): it is reported and reused.
A lock naming another host cannot be checked (flock does not span hosts on every network
filesystem), so it is treated as held.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from mhtool.run.log import LOG

EXIT_LOCKED = 3


class LockHeld(Exception):
    """Another run holds the output folder's lock."""

    def __init__(self, path: Path, holder: dict):
        self.path, self.holder = path, holder
        super().__init__(
            f"another run is writing this folder: {path} is held by pid {holder.get('pid')} "
            f"on {holder.get('host')} since {holder.get('started')} running "
            f"`{holder.get('command')}`; wait for it to finish"
        )


def lock_path(target: Path) -> Path:
    target = Path(target).resolve()
    return target.parent / f"{target.name}.lock"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _open_locked(path: Path) -> int | None:
    """An fd holding the flock on the file now at `path`, or None if someone holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder unlinked it as we opened it: try the new file


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
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me, indent=2) + "\n").encode(), 0)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)
