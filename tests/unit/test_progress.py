"""Progress told honestly, and -v/-q on every command: no estimate before there is a pace,
an estimate from the pace after the first job (start-up is not pace), log lines at each
tenth when stderr is not a terminal, and the stage lines a cron log needs."""

from __future__ import annotations

import io
import logging

import click
from click.testing import CliRunner

from mhtool.cli import main
from mhtool.infra.progress import Progress


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
