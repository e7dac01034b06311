"""Jobs done out of a total, told honestly, on a terminal or in a log.

The time left is estimated from the pace since the first job finished, so worker start-up
and the first job's warm-up (imports, caches) are not taken for the pace of the rest, and
no estimate is shown until there is a pace to go by (two jobs finished). On a terminal the
line is rewritten in place; elsewhere (cron, a service, a log file) an INFO log line is
written at each tenth of the jobs, so a scheduled run is never silent until the end.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

from mhtool.run.log import LOG


def _duration(seconds: float) -> str:
    seconds = math.ceil(seconds)
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        *,
        tty: bool | None = None,
        stream=None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.started = clock()
        self.first: float | None = None  # when the first job finished
        self.logged_tenth = 0

    def estimate(self) -> float | None:
        """Seconds left at the pace since the first job finished; None until known."""
        if self.first is None or self.done < 2:
            return None
        pace = (self.clock() - self.first) / (self.done - 1)
        return pace * (self.total - self.done)

    def line(self) -> str:
        left = self.estimate()
        told = "estimating the time left" if left is None else f"about {_duration(left)} left"
        if self.done >= self.total:
            told = f"done in {_duration(self.clock() - self.started)}"
        pct = 100 * self.done // max(self.total, 1)
        return f"{self.label}: {self.done}/{self.total} ({pct}%), {told}"

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.first is None:
            self.first = self.clock()
        if self.tty:
            self.stream.write("\r" + self.line().ljust(79))
            self.stream.flush()
            return
        tenth = 10 * self.done // max(self.total, 1)
        if tenth > self.logged_tenth:
            self.logged_tenth = tenth
            LOG.info("%s", self.line())

    def finish(self) -> None:
        if self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()
