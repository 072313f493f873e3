"""The embedded Dagster instance (`make demo`, `make dev`): SQLite storage, created before any run
starts, with run monitoring, so a run whose process died is marked failed.

`LocalRunLauncher` is Dagster's `DefaultRunLauncher` that can also tell run monitoring whether a run's
worker process is alive: the worker's pid is in the run's own event log (the "Started process for
run" or executor engine event), and every process of the embedded deployment runs on this machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance, DagsterRun, DefaultRunLauncher

from scrape_assets.dagster_internals import CheckRunHealthResult, WorkerStatus, set_pool_limit
from scrape_assets.defs.resources.warehouse import WAREHOUSE_POOL
from scrape_assets.defs.run_worker import run_worker_pid

INSTANCE_YAML = """\
# Written by scrape_assets (make demo / make dev) when DAGSTER_HOME had no dagster.yaml; yours to edit.
run_launcher:
  module: scrape_assets.local_instance
  class: LocalRunLauncher
# A run whose worker process died (kill -9, out of memory) is marked FAILURE by the daemon.
run_monitoring:
  enabled: true
  poll_interval_seconds: {poll}
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
telemetry:
  enabled: false
"""


def process_alive(pid: int, started_by: float) -> bool:
    """Whether `pid` is a live (not zombie) process that started no later than `started_by` (a
    timestamp): a pid reused by a newer process is not the one we look for. Linux's /proc; elsewhere
    only whether the pid exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    fields = stat.rsplit(")", 1)[1].split()
    boot = next(
        float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime ")
    )
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return fields[0] != "Z" and started <= started_by + 2  # btime has one-second resolution


class LocalRunLauncher(DefaultRunLauncher):
    """`DefaultRunLauncher` plus a worker health check for run monitoring (same-machine processes)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        found = run_worker_pid(self._instance, run.run_id)
        if found is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "the run worker has not reported its pid yet")
        pid, seen = found
        if process_alive(pid, seen):
            return CheckRunHealthResult(WorkerStatus.RUNNING, run_worker_id=str(pid))
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"the run worker process (pid {pid}) is gone", run_worker_id=str(pid)
        )


def local_home(data: Path) -> Path:
    """DAGSTER_HOME, or `<data>/dagster_home` when it is unset or empty (an empty one would put the
    instance in the current folder); exported so every process started from here uses it."""
    home = Path(os.environ.get("DAGSTER_HOME") or str(data / "dagster_home")).resolve()
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def prepare_local_instance(home: Path, monitoring_poll_seconds: int = 5) -> DagsterInstance:
    """The instance in `home`, its dagster.yaml written if missing and its storage created now, so two
    runs started at once never race to create a fresh SQLite schema."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML.format(poll=monitoring_poll_seconds))
    instance = DagsterInstance.from_config(str(home))
    instance.get_run_records(limit=1)  # creates (or migrates) the run, event and schedule storage
    set_pool_limit(instance, WAREHOUSE_POOL, 1)  # one DuckDB file: one delivery at a time
    return instance
