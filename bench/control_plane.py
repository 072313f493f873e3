"""`control_plane`: what one small day costs outside the crawlers.

A 20-page day of the demo shop launched as an operator does, `dagster job execute` on a local
instance, in a fresh process per run, twice per instance: the target's first day (no frontier yet:
its steps get a process each, `defs/executor.py`) and the next day (the steady state of a daily
schedule: the latest frontier fit one shard, so its steps run in the run's process). Measured per run:

- wall time of the whole command;
- CPU-seconds of every process of the run (the command, the step processes, the multiprocessing
  helpers, the crawlers) minus what the crawlers report for themselves (`cpu_seconds` in the
  frontier's and raw_pages' metadata): the control plane's own cost. This process makes itself a
  child subreaper (prctl) so that orphaned helpers are reaped here and counted too;
- rows written to the instance's event log for the run.

Also prints the capacity figures the README's table quotes: control-plane cores and event-log rows per
day at 1.2 million runs a month (0.46 runs/s).

`python bench/control_plane.py 20 --against DIR` compares this checkout with another one (a `git
worktree` of an earlier commit, say) in the same run: their runs interleaved, so that a noisy
neighbour hits both alike, each run importing the code of its own checkout.
"""

from __future__ import annotations

import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.pipeline_figures import DAY, _environment, job_execute_command  # noqa: E402
from scrape_assets.demo_site.process import DemoSite  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
FIRST_DAY = "2026-11-19"  # the day before DAY, the run that leaves a frontier behind
RUNS_PER_MONTH = 1_200_000
SECONDS_PER_MONTH = 30 * 24 * 3600


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _reap_everything() -> None:
    """Wait for every descendant left (orphans were reparented here), so their CPU counts."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def _crawler_cpu_and_rows(home: Path) -> tuple[float, int, str]:
    """CPU the crawlers reported, event-log rows of the latest run, and its status."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        logs = instance.all_logs(run.run_id)
        crawler = 0.0
        for entry in logs:
            materialization = entry.asset_materialization
            value = materialization.metadata.get("cpu_seconds") if materialization is not None else None
            if value is not None:
                crawler += float(str(value.value))
        rows = len(logs)
        return crawler, rows, run.status.value


def measure(command: list[str]) -> dict:
    """Run `command` as a child subreaper (every orphaned descendant is reparented here) and reap all
    of its processes: wall time, CPU-seconds of the whole tree, exit code."""
    _become_subreaper()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    _reap_everything()
    return {"wall": wall, "cpu": _children_cpu(), "returncode": process.returncode, "stderr": stderr[-3000:]}


def _one_run(env: dict[str, str], home: Path, checkout: Path, day: str, command: list[str] | None = None) -> dict:
    command = command or job_execute_command(day)
    completed = subprocess.run(
        [sys.executable, __file__, "--measure", *command],
        env={**env, "PYTHONPATH": str(checkout)},
        cwd=checkout,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"control_plane measurement failed:\n{completed.stderr[-3000:]}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    if measured["returncode"] != 0:
        raise RuntimeError(f"control_plane run failed:\n{measured['stderr']}")
    crawler, rows, status = _crawler_cpu_and_rows(home)
    return {"wall": measured["wall"], "cpu": measured["cpu"], "crawler_cpu": crawler, "rows": rows, "status": status}


def _runs(products: int, repeat: int, checkouts: list[Path]) -> dict[Path, dict[str, list[dict]]]:
    """`repeat` pairs of runs (a first day, then the next) of a `products`-page day per checkout,
    interleaved, each pair on a fresh data folder and instance."""
    from scrape_assets.local_instance import prepare_local_instance

    runs: dict[Path, dict[str, list[dict]]] = {checkout: {"first": [], "next": []} for checkout in checkouts}
    with DemoSite(products=products) as site:
        for _ in range(repeat):
            for checkout in checkouts:
                with tempfile.TemporaryDirectory() as tmp:
                    env = _environment(Path(tmp), site)
                    home = Path(env["DAGSTER_HOME"])
                    prepare_local_instance(home).dispose()
                    runs[checkout]["first"].append(_one_run(env, home, checkout, FIRST_DAY))
                    runs[checkout]["next"].append(_one_run(env, home, checkout, DAY))
    return runs


def _figures(runs: list[dict]) -> dict:
    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    return {
        "statuses": sorted({r["status"] for r in runs}),
        "wall_seconds": round(median("wall"), 2),
        "cpu_seconds_all": round(median("cpu"), 2),
        "cpu_seconds_crawlers": round(median("crawler_cpu"), 2),
        "cpu_seconds_control_plane": round(statistics.median(r["cpu"] - r["crawler_cpu"] for r in runs), 2),
        "event_log_rows_per_run": int(median("rows")),
    }


def _capacity(figures: dict) -> dict:
    """What RUNS_PER_MONTH runs like these need: control-plane cores, event-log rows a day."""
    runs_per_second = RUNS_PER_MONTH / SECONDS_PER_MONTH
    return {
        "capacity_runs_per_second": round(runs_per_second, 3),
        "capacity_control_plane_cores": round(figures["cpu_seconds_control_plane"] * runs_per_second, 2),
        "capacity_event_log_rows_per_day": int(figures["event_log_rows_per_run"] * runs_per_second * 86400),
    }


def _both_days(runs: dict[str, list[dict]]) -> dict:
    """The next day's figures (the steady state, which the capacity figures use) and the first day's."""
    steady = _figures(runs["next"])
    return {**steady, **_capacity(steady), "first_day": _figures(runs["first"])}


def bench_control_plane(products: int, repeat: int) -> dict:
    """Medians of `repeat` first and next days of a `products`-page day, each pair on a fresh data
    folder and instance."""
    return {"figure": "control_plane", "products": products, **_both_days(_runs(products, repeat, [REPO])[REPO])}


def compare_control_plane(products: int, repeat: int, other: Path) -> dict:
    """This checkout's figures and `other`'s, from interleaved runs, and their ratios (this / other)."""
    runs = _runs(products, repeat, [other, REPO])
    before, after = _both_days(runs[other]), _both_days(runs[REPO])
    keys = ("wall_seconds", "cpu_seconds_control_plane", "event_log_rows_per_run")
    ratios = {
        f"{day}_{key}": round(now[key] / then[key], 2)
        for day, now, then in (("next", after, before), ("first", after["first_day"], before["first_day"]))
        for key in keys
        if then[key]
    }
    return {"figure": "control_plane_compared", "other": str(other), "other_figures": before, "this": after, **ratios}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        print(json.dumps(measure(sys.argv[2:])))
    elif "--against" in sys.argv:
        other = Path(sys.argv[sys.argv.index("--against") + 1]).resolve()
        print(json.dumps(compare_control_plane(int(sys.argv[1]), 5, other)))
    else:
        print(json.dumps(bench_control_plane(int(sys.argv[1]) if len(sys.argv) > 1 else 20, 3)))
