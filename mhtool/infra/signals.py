"""Stop signals become an exception, so a stopped run cleans up like a failed one.

By default SIGTERM kills Python outright, skipping every `finally`: a scheduler stopping a
run (systemd, `timeout`, Task Scheduler's "stop the task") would leave the staging folder
and `<out>.lock` behind. While a command runs, SIGINT, SIGTERM and SIGHUP (SIGBREAK on
Windows) raise `Stopped` in the main thread instead: the staging folder and lock are
removed on the way out and the command exits 128 + the signal's number (130 for Ctrl-C,
143 for SIGTERM), as shells report it. A signal the caller set to be ignored (nohup,
a background job) stays ignored. A second signal during that clean-up exits at
once; the next run recovers anything left (mhtool.infra.atomic.recover).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from mhtool.errors import ExitCode

NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")


class Stopped(BaseException):
    """A stop signal arrived. A BaseException, so `except Exception` cannot swallow it."""

    def __init__(self, signum: int):
        self.signum = signum
        self.status = ExitCode.SIGNAL + signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, the stop signals raise `Stopped` (main thread only; elsewhere a
    no-op, as Python allows handlers only there). The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}
    stopping = []

    def handler(signum, frame):
        if stopping:  # a second signal while cleaning up: stop now
            os._exit(ExitCode.SIGNAL + signum)
        stopping.append(signum)
        raise Stopped(signum)

    for name in NAMES:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        if signal.getsignal(sig) == signal.SIG_IGN:
            continue  # ignored on purpose (nohup, a background job): keep it so
        with contextlib.suppress(OSError, ValueError):
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(sig, old)
