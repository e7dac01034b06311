"""Jobs done out of a total, told honestly, on a terminal or in a log.

The time left is estimated from the pace since the first job finished, so worker start-up
and the first job's warm-up (imports, caches) are not taken for the pace of the rest, and
no estimate is shown until there is a pace to go by (two jobs finished). Jobs of very
different sizes (England's workbook against one system's) are given weights
(`job_weight`: their rows and a fixed cost each): the pace is then per unit of weight,
not per job. On a terminal the line is rewritten in place; elsewhere (cron, a service, a
log file) an INFO log line is written at each tenth of the jobs, so a scheduled run is
never silent until the end.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence

from mhtool.infra.log import LOG

#: A job's weight for the estimate, in spine rows, as mhtool.outputs weighs its jobs: its
#: rows, a fixed cost per workbook (its charts, report page and fixed sheets take as long
#: as about JOB_ROWS rows) and a third of a row per place row of a system workbook.
#: Calibrated from each job's CPU seconds in default, PCN and GP-practice runs
#: (benchmarks/bench_progress.py --profile); rows alone made England's job 36 times an
#: ICB's where it takes 7 to 9 times as long, and the estimate a third of the truth.
JOB_ROWS = 4000
PLACE_ROW = 1 / 3
#: The same for `mhtool check`'s jobs (mhtool.outputs.check.check_dir): reading a workbook
#: back and comparing it takes as long as about CHECK_ROWS rows (England's is 14 ICBs').
CHECK_ROWS = 1500


def job_weight(workbooks: int, rows: int, place_rows: int = 0, per_book: int = JOB_ROWS) -> float:
    """How long a task takes, in spine rows: its workbooks (`per_book` rows each: JOB_ROWS
    to write, CHECK_ROWS to check), the rows of its slice of the spine, and its system's
    place rows."""
    return per_book * workbooks + rows + PLACE_ROW * place_rows


def _duration(seconds: float) -> str:
    seconds = math.ceil(seconds)
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"


class Progress:
    """How many jobs of a total are done, with the time left once there is a pace."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        tty: bool | None = None,
        stream=None,
        clock: Callable[[], float] = time.monotonic,
        weights: Sequence[float] | None = None,
    ):
        self.label, self.total, self.done = label, total, 0
        self.weights = list(weights) if weights is not None else [1.0] * total
        self.total_weight = sum(self.weights)
        self.done_weight = 0.0
        self.first_weight = 0.0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.started = clock()
        self.first: float | None = None  # when the first job finished
        self.logged_tenth = 0

    def estimate(self) -> float | None:
        """Seconds left at the pace since the first job finished; None until known."""
        since = self.done_weight - self.first_weight
        if self.first is None or self.done < 2 or since <= 0:
            return None
        pace = (self.clock() - self.first) / since
        return pace * (self.total_weight - self.done_weight)

    def line(self) -> str:
        left = self.estimate()
        told = "estimating the time left" if left is None else f"about {_duration(left)} left"
        if self.done >= self.total:
            told = f"done in {_duration(self.clock() - self.started)}"
        pct = 100 * self.done // max(self.total, 1)
        return f"{self.label}: {self.done}/{self.total} ({pct}%), {told}"

    def update(self, job: int | None = None, at: float | None = None) -> None:
        """One more job done: `job` is its index, for its weight; `at` when it finished
        (on this clock), where it is told later than that."""
        weight = self.weights[job] if job is not None else 1.0
        self.done += 1
        self.done_weight += weight
        if self.first is None:
            self.first, self.first_weight = self.clock() if at is None else at, weight
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
