"""Progress told honestly, and -v/-q on every command: no estimate before there is a pace,
an estimate from the pace after the first job (start-up is not pace), log lines at each
tenth when stderr is not a terminal, and the stage lines a cron log needs."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import click
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.infra.progress import CHECK_ROWS, JOB_ROWS, Progress, job_weight


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_estimate_comes_from_the_pace_after_the_first_job():
    clock, out = Clock(), io.StringIO()
    bar = Progress("Writing", 10, tty=True, stream=out, clock=clock)
    clock.now = 30.0  # workers took 30 s to start and finish the first job
    bar.update()
    assert bar.estimate() is None and "estimating the time left" in out.getvalue()
    clock.now = 32.0  # then one job every 2 s
    bar.update()
    assert bar.estimate() == 16.0  # 8 jobs left at 2 s, not 8 x 16 s
    assert out.getvalue().endswith("Writing: 2/10 (20%), about 16 s left".ljust(79))
    for _ in range(8):
        clock.now += 2
        bar.update()
    bar.finish()
    assert "10/10 (100%), done in 48 s" in out.getvalue() and out.getvalue().endswith("\n")


def test_jobs_of_different_sizes_are_paced_by_their_weight():
    clock = Clock()
    bar = Progress("Writing", 4, tty=True, stream=io.StringIO(), clock=clock, weights=[8, 1, 1, 4])
    clock.now = 10.0
    bar.update(0)  # the big one first
    clock.now = 11.0
    bar.update(1)  # then 1 s for a job of weight 1
    assert bar.estimate() == 5.0  # weight 5 left, not 2 jobs x 1 s


def test_jobs_told_late_are_paced_by_when_they_finished():
    """The run's workers finish jobs while the run writes the planning export; they are
    told afterwards, all at once, each with when it finished: the pace is theirs, not
    that of the burst (which made 'about 0 s left' at 10% of a PCN run)."""
    clock = Clock()
    bar = Progress("Writing", 10, tty=True, stream=io.StringIO(), clock=clock)
    clock.now = 12.0  # the export is done; four jobs finished at 4, 6, 8 and 10 s
    for i, at in enumerate((4.0, 6.0, 8.0, 10.0)):
        bar.update(i, at=at)
    assert bar.estimate() == 8 / 3 * 6  # 3 jobs in 8 s since the first; 6 to go
    told_now = Progress("Writing", 10, tty=True, stream=io.StringIO(), clock=clock)
    for i in range(4):
        told_now.update(i)
    assert told_now.estimate() == 0  # stamped when told: the burst's pace, 'about 0 s left'


def test_off_a_terminal_progress_is_a_log_line_at_each_tenth(caplog):
    clock = Clock()
    bar = Progress("Writing", 50, tty=False, stream=io.StringIO(), clock=clock)
    with caplog.at_level(logging.INFO, logger="mhtool"):
        for _ in range(50):
            clock.now += 1
            bar.update()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 10
    assert lines[0] == "Writing: 5/50 (10%), about 45 s left"
    assert lines[-1] == "Writing: 50/50 (100%), done in 50 s"


def _spine_only(monkeypatch):
    import mhtool.outputs

    monkeypatch.setattr(mhtool.outputs, "write_outputs", lambda *a, **k: [])


def test_a_run_off_a_terminal_logs_its_stages(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "stage spine: started" in result.stderr and "stage spine: done in" in result.stderr
    assert "mhtool run: " in result.stdout


def test_quiet_says_nothing_on_success(tmp_path, monkeypatch):
    _spine_only(monkeypatch)
    for args in (["-q", "run"], ["run", "-q"], ["-v", "run", "-q"]):
        result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")])
        assert result.exit_code == 0, result.output
        assert result.output == "", args


def test_every_command_takes_v_and_q():
    def commands(cmd: click.Command, path: str):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from commands(sub, f"{path} {name}")

    for path, cmd in commands(main, "mhtool"):
        flags = {o for p in cmd.params for o in p.opts}
        assert {"-v", "--verbose", "-q", "--quiet"} <= flags, path


PROFILE = Path(__file__).parent.parent / "fixtures" / "progress_profile.csv"
WORKERS = 2  # the machine the profile was recorded on
START_UP = 1.5  # seconds for a spawned worker to start (mhtool.infra.parallel)


def _replayed(jobs: list[dict], weights: list[float]) -> list[tuple[float, float, float]]:
    """The jobs of a recorded run replayed on a fake clock as run_jobs runs them (heaviest
    first by `weights`, each to the first free worker) with the Progress run_jobs makes:
    (fraction of jobs done, estimate, true time left) at each job done before the last."""
    free = [START_UP] * WORKERS
    done_at = {}
    for i in sorted(range(len(jobs)), key=lambda i: -weights[i]):
        w = free.index(min(free))
        free[w] += jobs[i]["cpu_s"]
        done_at[i] = free[w]
    end = max(done_at.values())
    clock = Clock()
    bar = Progress(
        "Writing", len(jobs), tty=True, stream=io.StringIO(), clock=clock, weights=weights
    )
    told = []
    for i in sorted(done_at, key=done_at.get):
        clock.now = done_at[i]
        bar.update(i)
        if bar.done < bar.total and bar.estimate() is not None:
            told.append((bar.done / bar.total, bar.estimate(), end - clock.now))
    return told


def _runs() -> dict[str, list[dict]]:
    with open(PROFILE, newline="") as f:
        rows = list(csv.DictReader(f))
    runs: dict[str, list[dict]] = {}
    for r in rows:
        runs.setdefault(r["run"], []).append(
            {k: float(v) for k, v in r.items() if k not in ("run", "job")}
        )
    return runs


def test_the_time_left_is_within_a_factor_of_two_from_a_fifth_of_the_jobs_on():
    """On the jobs of real default, PCN and GP-practice runs and of `mhtool check` on a
    default and a practice run (their CPU seconds, one at a time, as
    benchmarks/bench_progress.py --profile records them), the weights keep every estimate from
    20% of the jobs on within a factor of two of the time truly left; weighing by rows
    alone, as before, told a third of it. The last second is told to the second only."""
    runs = _runs()
    assert set(runs) == {"default", "pcn", "practice", "check-default", "check-practice"}
    assert all(len(j) == 50 for j in runs.values())
    for name, jobs in runs.items():
        per_book = CHECK_ROWS if name.startswith("check") else JOB_ROWS
        weights = [
            job_weight(int(j["workbooks"]), int(j["rows"]), int(j["place_rows"]), per_book)
            for j in jobs
        ]
        told = _replayed(jobs, weights)
        late = [(f, est, truth) for f, est, truth in told if f >= 0.2]
        assert len(late) >= 35, name
        for f, est, truth in late:
            assert _honest(est, truth), (name, f, est, truth)
        by_rows = _replayed(jobs, [j["rows"] for j in jobs])
        assert any(not truth / 2 <= est <= 2 * truth for f, est, truth in by_rows if f >= 0.2)


def _honest(estimate: float, truth: float) -> bool:
    """Within a factor of two of the truth, or under a second off (the line's resolution:
    it tells whole seconds)."""
    return truth / 2 <= estimate <= 2 * truth or abs(estimate - truth) < 1
