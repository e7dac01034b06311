"""Logging for a run: stderr for whoever watches, run.log in the run folder for later.

run.log carries wall-clock timings, so it is the one file of a run that is never
byte-identical between runs: the manifest leaves it out and `mhtool verify` ignores it.
A failed run's log would vanish with its staging folder, so `keep_failed_log` copies it
beside the output folder as `<name>.failed.log`.

`checkpoint(name)` marks the pipeline's stages. With MHTOOL_PAUSE_AT=<name> set, the run
prints "paused at <name>" to stderr and sleeps there: tests use it to kill a run at a
known point.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from mhtool.infra.folder import LOG as LOG_NAME
from mhtool.infra.folder import RunFolder

LOG = logging.getLogger("mhtool")
LOG_FILE = LOG_NAME  # mhtool.infra.folder.LOG
PAUSE_ENV = "MHTOOL_PAUSE_AT"
_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_verbosity = 0  # -q: -1; -v: 1; -vv: 2 (set by the command line's -v/-q on every command)


def set_verbosity(level: int) -> None:
    """Set -q/-v for the process: -1 quiet, 0 normal, 1 and up more detail."""
    global _verbosity
    _verbosity = level


def quiet() -> bool:
    """True under -q: only errors are told."""
    return _verbosity < 0


def terminal_level(default: int | None = None) -> int:
    """The level of log lines shown on stderr: -q errors only, -v info, -vv debug;
    otherwise `default`, or if none is given warnings on a terminal (where a progress line
    shows the run going) and info elsewhere (stage and progress lines for cron's log)."""
    if _verbosity < 0:
        return logging.ERROR
    if _verbosity > 0:
        return logging.INFO if _verbosity == 1 else logging.DEBUG
    if default is not None:
        return default
    return logging.WARNING if sys.stderr.isatty() else logging.INFO


def _buffer() -> logging.Handler:
    """Holds records until `log_into` names the file they belong in."""
    h = logging.handlers.MemoryHandler(10_000, flushLevel=logging.CRITICAL + 1)
    h._mhtool_buffer = True  # type: ignore[attr-defined]
    return h


def _is_buffer(h: logging.Handler) -> bool:
    return getattr(h, "_mhtool_buffer", False)


@contextlib.contextmanager
def logging_to_terminal(level: int = logging.INFO) -> Iterator[None]:
    """Send mhtool's log to stderr at `level`, and hold every record until `log_into`
    names the run.log that should also get them (a run's first messages, about locks
    and leftovers, come before its folder exists). Handlers go on exit, so repeated runs
    in one process (tests) do not stack them."""
    term = logging.StreamHandler(sys.stderr)
    term.setLevel(level)
    term.setFormatter(logging.Formatter("mhtool: %(levelname)s %(message)s"))
    buffer = _buffer()
    old_level, old_propagate = LOG.level, LOG.propagate
    LOG.setLevel(logging.DEBUG)
    LOG.propagate = False
    LOG.addHandler(term)
    LOG.addHandler(buffer)
    try:
        yield
    finally:
        for h in list(LOG.handlers):
            if h is term or getattr(h, "_mhtool_file", False) or _is_buffer(h):
                LOG.removeHandler(h)
                h.close()
        LOG.setLevel(old_level)
        LOG.propagate = old_propagate


def log_into(folder: Path, *, append: bool = False) -> Path:
    """Also write everything, from the start of the run, to folder/run.log (or, with
    `append`, go on writing the run.log already there)."""
    path = folder / LOG_FILE
    fh = logging.FileHandler(
        path, mode="a" if append else "w", encoding="utf-8", errors="backslashreplace"
    )
    fh.setFormatter(logging.Formatter(_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    fh._mhtool_file = True  # type: ignore[attr-defined]
    for h in list(LOG.handlers):
        if _is_buffer(h):
            h.setTarget(fh)
            h.flush()
            LOG.removeHandler(h)
    LOG.addHandler(fh)
    return path


def close_file_log() -> None:
    """Close run.log before its folder is renamed (Windows cannot rename a folder holding
    an open file); records until the next `log_into` are held, not lost."""
    for h in list(LOG.handlers):
        if getattr(h, "_mhtool_file", False):
            LOG.removeHandler(h)
            h.close()
            LOG.addHandler(_buffer())


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Log a stage's start and its duration; pause here first if asked to."""
    checkpoint(name)
    LOG.info("stage %s: started", name)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        LOG.error("stage %s: failed after %.2fs", name, time.perf_counter() - started)
        raise
    LOG.info("stage %s: done in %.2fs", name, time.perf_counter() - started)


def checkpoint(name: str) -> None:
    """A named point where tests can pause a run (MHTOOL_PAUSE_AT) to kill it there."""
    if os.environ.get(PAUSE_ENV) == name:
        sys.stderr.write(f"paused at {name}\n")
        sys.stderr.flush()
        while True:  # until killed
            time.sleep(3600)


def keep_failed_log(log: Path | None, target: Path) -> Path | None:
    """Copy a failed run's log beside its output folder; the staging folder is deleted."""
    if log is None or not log.exists():
        return None
    dest = RunFolder(target).failed_log
    shutil.copyfile(log, dest)
    return dest
