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
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Sequence
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


def _watch_parent(lifeline) -> None:
    """Worker initializer: exit the moment the parent's end of `lifeline` closes. Also
    one polars thread per worker (set before the jobs import polars): the workers already
    fill the cores, and a job's frames are small, so more threads only add overhead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("POLARS_MAX_THREADS", "1")

    def wait() -> None:
        try:
            lifeline.recv()  # the parent never sends: this returns only by EOF
        except (EOFError, OSError):
            pass
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=wait, name="mhtool-parent-watch", daemon=True).start()


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    *,
    workers: int | None = None,
    label: str | None = None,
    weights: Sequence[float] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Any]:
    """``[fn(*job) for job in jobs]``, in parallel where worth it. With a ``label``,
    progress is told on stderr (mhtool.infra.progress: a line with the time left on a
    terminal, log lines at each tenth elsewhere), with the time left paced by ``weights``
    (one per job, e.g. its rows) when the jobs differ in size. ``meanwhile`` is other
    work for this process while the workers run (done after the jobs when there are no
    workers); if it fails, the workers are stopped."""
    n = workers_for(workers, len(jobs))
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
            _in_workers(fn, jobs, n, results, bar, meanwhile, weights)
    finally:
        if bar:
            bar.finish()
    return results


def _in_workers(fn, jobs, n: int, results: list, bar, meanwhile, weights) -> None:
    """The jobs across `n` workers, heaviest first (by `weights`) so no big job is left to
    run alone at the end; results land at their job's index."""
    ctx = get_context("spawn")
    theirs, ours = ctx.Pipe(duplex=False)
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_watch_parent, initargs=(theirs,))
    try:
        order = sorted(range(len(jobs)), key=lambda i: -weights[i]) if weights else range(len(jobs))
        futures = {pool.submit(fn, *jobs[i]): i for i in order}
        if meanwhile:
            meanwhile()
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            if bar:
                bar.update(futures[fut])
    except BaseException:
        ours.close()  # the workers see the pipe close and exit now
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    ours.close()
    theirs.close()
