"""run_jobs: results in job order, and other work for the parent while workers run."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from mhtool.infra.parallel import PARALLEL_FROM, run_jobs, started


@pytest.mark.parametrize("workers", [1, 2])
def test_meanwhile_runs_in_this_process_and_results_keep_job_order(workers):
    ran: list[int] = []
    results = run_jobs(
        pow,
        [(2, k) for k in range(8)],
        workers=workers,
        weights=[1, 5, 2, 8, 3, 3, 9, 0],  # run heaviest first, still returned in job order
        meanwhile=lambda: ran.append(os.getpid()),
    )
    assert results == [2**k for k in range(8)]
    assert ran == [os.getpid()]


def test_a_failing_meanwhile_stops_the_workers():
    def boom() -> None:
        raise RuntimeError("meanwhile failed")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="meanwhile failed"):
        run_jobs(time.sleep, [(60,)] * 6, workers=2, meanwhile=boom)
    assert time.monotonic() - started < 30  # did not wait for the 60 s jobs
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not multiprocessing.active_children()


def _polars_threads() -> int:
    import polars as pl

    return pl.thread_pool_size()


def test_workers_run_polars_on_one_thread_each():
    assert run_jobs(_polars_threads, [()] * 6, workers=2) == [1] * 6


def _loaded(module: str) -> bool:
    import sys

    return module in sys.modules


def test_workers_started_ahead_load_their_modules_and_take_the_jobs():
    preload = "colorsys"  # nothing else imports it in a worker
    with started(8, preload=(preload,), workers=2) as pool:
        assert pool is not None and pool.n == 2
        children = {p.pid for p in multiprocessing.active_children()}
        assert len(children) == 2  # running before any job was given
        results = run_jobs(_loaded, [(preload,), ("wave",)] * 4, pool=pool)
        assert {p.pid for p in multiprocessing.active_children()} == children  # the same ones
    assert results == [True, False] * 4
    _no_workers_left()


def test_workers_started_ahead_stop_when_the_caller_fails():
    started_at = time.monotonic()
    with pytest.raises(RuntimeError, match="spine failed"), started(8, workers=2) as pool:
        pool.executor.submit(time.sleep, 60)
        raise RuntimeError("spine failed")
    assert time.monotonic() - started_at < 30  # did not wait for the 60 s job
    _no_workers_left()


def test_a_small_batch_starts_no_workers():
    with started(PARALLEL_FROM - 1) as pool:
        assert pool is None
        assert run_jobs(pow, [(2, 3)], pool=pool) == [8]
    assert not multiprocessing.active_children()


def _no_workers_left() -> None:
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not multiprocessing.active_children()
