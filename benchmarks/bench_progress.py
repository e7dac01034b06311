"""How honest the run's progress line is: each line's estimate beside the true time left.

    .venv/bin/python benchmarks/bench_progress.py                    # default and --places pcn
    .venv/bin/python benchmarks/bench_progress.py --places practice  # or any run's flags
    .venv/bin/python benchmarks/bench_progress.py --profile          # job costs, to calibrate

Each run is `mhtool run` in a fresh process with its progress recorded as it is told
(mhtool.infra.progress, fed by mhtool.infra.parallel): at every job done, the time, the
jobs done and the estimate of the time left; at the end, when the last job was done. The
table gives, for each line, the estimate and the true time left (`ratio` = estimate /
truth; the promise in docs/operations.md is a ratio between 0.5 and 2 from 20% of the
jobs on). `--profile` runs the jobs one at a time in this process instead and prints each
job's CPU seconds beside its rows and place rows, the figures the weights in
mhtool.infra.progress.job_weight are calibrated from. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = {"default": [], "--places pcn": ["--places", "pcn"]}


def child(flags: list[str], out: str) -> None:
    """One run in this process, its progress recorded; print the record as JSON."""
    from click.testing import CliRunner

    import mhtool.infra.parallel as parallel
    from mhtool.cli import main

    lines: list[dict] = []

    class Recorded(parallel.Progress):
        def update(self, job=None, at=None):
            super().update(job, at)
            lines.append(
                {"t": self.clock(), "done": self.done, "total": self.total, "left": self.estimate()}
            )

        def finish(self):
            super().finish()
            lines.append({"t": self.clock(), "end": True})

    parallel.Progress = Recorded
    start = time.monotonic()
    r = CliRunner().invoke(main, ["run", *flags, "--out", out], catch_exceptions=False)
    if r.exit_code:
        raise SystemExit(r.output)
    print(json.dumps({"start": start, "lines": lines}))


def profile(flags: list[str], out: str) -> None:
    """The run's jobs one at a time in this process, each timed: print JSON lines."""
    from click.testing import CliRunner

    import mhtool.infra.parallel as parallel
    import mhtool.outputs.batch as batch
    from mhtool.cli import main
    from mhtool.infra.progress import job_weight

    plain, jobs = batch.run_task, []

    def timed(task, frame, meta, out_dir, places=None, actuals=None):
        cpu = time.process_time()
        result = plain(task, frame, meta, out_dir, places, actuals)
        jobs.append(
            {
                "job": task.chart_code,
                "workbooks": len(task.workbooks),
                "rows": frame.height,
                "place_rows": 0 if places is None else places.height,
                "weight": job_weight(
                    len(task.workbooks), frame.height, 0 if places is None else places.height
                ),
                "cpu": time.process_time() - cpu,
            }
        )
        return result

    batch.run_task, parallel.workers_for = timed, lambda requested, n: 1
    r = CliRunner().invoke(main, ["run", *flags, "--out", out, "-q"], catch_exceptions=False)
    if r.exit_code:
        raise SystemExit(r.output)
    print(json.dumps(jobs))


def _fresh(mode: str, flags: list[str], out: Path) -> object:
    cmd = [sys.executable, __file__, mode, json.dumps(flags), str(out)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def _flags(kind: str) -> list[str]:
    return [] if kind == "none" else ["--places", kind]


def table(name: str, record: dict) -> None:
    lines = record["lines"]
    end = next(x["t"] for x in lines if x.get("end"))
    worst = worst_s = 1.0
    print(f"\n{name}: {lines[0]['total']} jobs, {end - record['start']:.1f} s from the start")
    print(
        f"{'jobs done':>10} {'%':>4} {'elapsed s':>10} {'estimate s':>11} "
        f"{'true s':>7} {'ratio':>6}"
    )
    for x in lines:
        if x.get("end"):
            continue
        truth, pct = end - x["t"], 100 * x["done"] // x["total"]
        told = "-" if x["left"] is None else f"{max(x['left'], 0.0):.1f}"
        ratio = "" if x["left"] is None or truth <= 0 else f"{x['left'] / truth:.2f}"
        if ratio and pct >= 20 and x["done"] < x["total"]:
            r = float(ratio)
            worst = max(worst, r, 1 / r if r else float("inf"))
            if abs(x["left"] - truth) >= 1:  # the line tells whole seconds
                worst_s = max(worst_s, r, 1 / r if r else float("inf"))
        print(
            f"{x['done']:>4}/{x['total']:<5} {pct:>4} {x['t'] - record['start']:>10.1f} "
            f"{told:>11} {truth:>7.1f} {ratio:>6}"
        )
    print(
        f"{name}: worst factor from 20% on (before the last job): {worst:.2f}; "
        f"where a second or more off: {worst_s:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--places", action="append", help="none, pcn, la, practice (repeatable)")
    ap.add_argument("--save", type=Path, help="with --profile: the jobs as a CSV profile")
    ap.add_argument("--profile", action="store_true", help="time each job, one at a time")
    args = ap.parse_args()
    runs = (
        {(f"--places {k}" if k != "none" else "default"): _flags(k) for k in args.places}
        if args.places
        else RUNS
    )
    saved = []
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"cpus: {len(os.sched_getaffinity(0))}; load average at start {load}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, flags) in enumerate(runs.items()):
            out = Path(tmp, str(i))
            if args.profile:
                jobs = _fresh("--profile-child", flags, out)
                print(f"\n{name}: {len(jobs)} jobs, {sum(j['cpu'] for j in jobs):.1f} CPU s")
                print(
                    f"{'job':<6} {'rows':>7} {'place rows':>10} {'weight':>8} {'cpu s':>6} "
                    f"{'ms/1k weight':>12}"
                )
                kind = flags[-1] if flags else "default"
                saved += [
                    f"{kind},{j['job']},{j['workbooks']},{j['rows']},{j['place_rows']},"
                    f"{j['cpu']:.3f}"
                    for j in jobs
                ]
                for j in sorted(jobs, key=lambda j: -j["weight"]):
                    print(
                        f"{j['job']:<6} {j['rows']:>7} {j['place_rows']:>10} {j['weight']:>8.0f} "
                        f"{j['cpu']:>6.2f} {1e6 * j['cpu'] / j['weight']:>12.1f}"
                    )
            else:
                table(name, _fresh("--child", flags, out))
    if args.save and saved:
        args.save.write_text("\n".join(["run,job,workbooks,rows,place_rows,cpu_s", *saved]) + "\n")
    print(f"\nload average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--child", "--profile-child"):
        (child if sys.argv[1] == "--child" else profile)(json.loads(sys.argv[2]), sys.argv[3])
    else:
        main()
