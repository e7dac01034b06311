"""Run independent per-file jobs (write or check a workbook) across processes.

Workbook writing and reading are CPU-bound pure Python, so threads don't help; worker
processes do, but cost ~1.5 s each to start, so small batches run in-process. Results come
back in the order the jobs were given, whatever order they finish in, so outputs stay
deterministic.

Workers die with their parent, however it ends. Each holds the read end of a pipe whose
only write end stays in the parent; a thread in the worker waits on it and ends the
worker when it closes, which the operating system does when the parent exits or is
killed (SIGKILL included), on Windows as on POSIX. The parent also closes it itself when
a job fails or a stop signal arrives, so workers stop at once instead of finishing their
jobs. Workers ignore Ctrl-C: the parent decides, and cleans up.

A caller that knows workers will be needed can start them early (`started`): they start
and load the modules the jobs need while the caller does other work (a run builds its
spine meanwhile), and `run_jobs(..., pool=)` then hands them their jobs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

from mhtool.infra.progress import Progress

PARALLEL_FROM = 6  # fewer jobs than this run in-process
MAX_WORKERS = 4
EXIT_ORPHANED = 70  # a worker's status when its parent went away


def workers_for(requested: int | None, n_jobs: int) -> int:
    """How many worker processes to use: in-process for small batches, where starting
    workers costs more than it saves."""
    if requested is not None:
        return max(1, requested)
    if n_jobs < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS))


def _watch_parent(lifeline, preload: tuple[str, ...] = ()) -> None:
    """Worker initializer: exit the moment the parent's end of `lifeline` closes. Also
    one polars thread per worker (set before the jobs import polars): the workers already
    fill the cores, and a job's frames are small, so more threads only add overhead.
    Then import the `preload` modules (a pool started early loads its jobs' code before
    the jobs come)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("POLARS_MAX_THREADS", "1")

    def wait() -> None:
        try:
            lifeline.recv()  # the parent never sends: this returns only by EOF
        except (EOFError, OSError):
            pass
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=wait, name="mhtool-parent-watch", daemon=True).start()
    for module in preload:
        importlib.import_module(module)


class Pool:
    """Worker processes and the pipe they watch (see _watch_parent)."""

    def __init__(self, n: int, preload: tuple[str, ...] = ()) -> None:
        ctx = get_context("spawn")
        self.n = n
        self.theirs, self.ours = ctx.Pipe(duplex=False)
        self.executor = ProcessPoolExecutor(
            n, mp_context=ctx, initializer=_watch_parent, initargs=(self.theirs, preload)
        )

    def start(self) -> None:
        """Start every worker now (one is started per job submitted, up to n)."""
        for _ in range(self.n):
            self.executor.submit(int)

    def stop(self) -> None:
        """Stop the workers at once: they see the pipe close and exit."""
        self.ours.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let the workers finish and go."""
        self.executor.shutdown(wait=True)
        self.ours.close()
        self.theirs.close()


@contextlib.contextmanager
def started(n_jobs: int, preload: tuple[str, ...] = (), workers: int | None = None) -> Iterator:
    """Worker processes for about `n_jobs` jobs (workers_for), started now and loading the
    `preload` modules while the caller goes on; None where the jobs will run in-process.
    Hand it to run_jobs(..., pool=); the workers go when the block ends."""
    n = workers_for(workers, n_jobs)
    if n == 1:
        yield None
        return
    pool = Pool(n, preload)
    try:
        pool.start()
        yield pool
    except BaseException:
        pool.stop()
        raise
    pool.close()


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    *,
    workers: int | None = None,
    label: str | None = None,
    weights: Sequence[float] | None = None,
    meanwhile: Callable[[], None] | None = None,
    pool: Pool | None = None,
) -> list[Any]:
    """``[fn(*job) for job in jobs]``, in parallel where worth it. With a ``label``,
    progress is told on stderr (mhtool.infra.progress: a line with the time left on a
    terminal, log lines at each tenth elsewhere), with the time left paced by ``weights``
    (one per job, e.g. its rows) when the jobs differ in size. ``meanwhile`` is other
    work for this process while the workers run (done after the jobs when there are no
    workers); if it fails, the workers are stopped. `pool`: workers started earlier
    (`started`), used instead of starting new ones."""
    n = pool.n if pool is not None else workers_for(workers, len(jobs))
    results: list[Any] = [None] * len(jobs)
    bar = Progress(label, len(jobs), weights=weights) if label else None
    try:
        if n == 1:
            for i, job in enumerate(jobs):
                results[i] = fn(*job)
                if bar:
                    bar.update(i)
            if meanwhile:
                meanwhile()
        else:
            _in_workers(fn, jobs, pool or Pool(n), results, bar, meanwhile, weights, pool is None)
    finally:
        if bar:
            bar.finish()
    return results


def _in_workers(fn, jobs, pool: Pool, results: list, bar, meanwhile, weights, own: bool) -> None:
    """The jobs across the pool's workers, heaviest first (by `weights`) so no big job is
    left to run alone at the end; results land at their job's index. A pool of its `own`
    is closed after; a pool handed in is stopped only on failure."""
    try:
        order = sorted(range(len(jobs)), key=lambda i: -weights[i]) if weights else range(len(jobs))
        futures = {pool.executor.submit(fn, *jobs[i]): i for i in order}
        finished: dict = {}  # when each job finished: told only after `meanwhile`
        for fut in futures if bar else ():
            fut.add_done_callback(lambda f: finished.setdefault(f, bar.clock()))
        if meanwhile:
            meanwhile()
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if bar:
                bar.update(futures[fut], at=finished.get(fut))
    except BaseException:
        pool.stop()
        raise
    if own:
        pool.close()
