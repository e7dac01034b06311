"""Run independent per-file jobs (write or check a workbook) across processes.

Workbook writing and reading are CPU-bound pure Python, so threads don't help; worker
processes do, but cost ~1.5 s each to start, so small batches run in-process. Results come
back in the order the jobs were given, whatever order they finish in, so outputs stay
deterministic.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Any

import click

PARALLEL_FROM = 6  # fewer jobs than this run in-process
MAX_WORKERS = 4


def workers_for(requested: int | None, n_jobs: int) -> int:
    if requested is not None:
        return max(1, requested)
    if n_jobs < PARALLEL_FROM:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_WORKERS))


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    *,
    workers: int | None = None,
    label: str | None = None,
) -> list[Any]:
    """``[fn(*job) for job in jobs]``, in parallel where worth it; a progress bar on stderr
    when ``label`` is given (callers pass one only for an interactive terminal)."""
    n = workers_for(workers, len(jobs))
    results: list[Any] = [None] * len(jobs)
    bar = click.progressbar(length=len(jobs), label=label, file=sys.stderr) if label else None
    try:
        if n == 1:
            for i, job in enumerate(jobs):
                results[i] = fn(*job)
                if bar:
                    bar.update(1)
        else:
            with ProcessPoolExecutor(n, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if bar:
                        bar.update(1)
    finally:
        if bar:
            bar.render_finish()
    return results
