"""The production instance settings (k8s/dagster.yaml) on this machine's PostgreSQL: runs are queued
by the Dagster daemon with the tag concurrency limits, launched as local processes instead of
Kubernetes Jobs (the only change to the file), and submitted by the `dagster job backfill` CLI.

A 3-day backfill runs its days concurrently and completes; two backfills of the same day launched at
once run one after the other (the `scrape_assets/target_day` limit), so the day is never crawled or
delivered twice at the same time, and the table holds each record once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import duckdb
import psycopg2
import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
JOB = "daily_demo_shop"
PRODUCTS = 30
BIN = Path(sys.executable).parent


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped at teardown. A missing server is a
    failure, never a skip."""
    name = f"scrape_assets_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **PG)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required at {PG['host']}:{PG['port']} and is not answering: {exc}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _instance_yaml() -> str:
    """k8s/dagster.yaml with the run launcher swapped for local processes (no cluster here)."""
    config = yaml.safe_load((REPO / "k8s" / "dagster.yaml").read_text())
    config["run_launcher"] = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    config["run_coordinator"]["config"]["dequeue_interval_seconds"] = 1
    return yaml.safe_dump(config)


class Deployment:
    """A Dagster home on Postgres with the daemon running, and the CLI pointed at it."""

    def __init__(self, root: Path, database: str, site_url: str, monkeypatch: pytest.MonkeyPatch):
        self.home = root / "dagster_home"
        self.home.mkdir()
        (self.home / "dagster.yaml").write_text(_instance_yaml())
        self.data_dir = root / "data"
        targets = root / "targets"
        targets.mkdir()
        shutil.copy(DEFAULT_TARGETS_DIR / "demo_shop.yaml", targets)
        self.env: dict[str, str] = {
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_PG_HOST": str(PG["host"]),
            "DAGSTER_PG_PORT": str(PG["port"]),
            "DAGSTER_PG_USERNAME": str(PG["user"]),
            "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
            "DAGSTER_PG_DB": database,
            "SCRAPE_ASSETS_DATA_DIR": str(self.data_dir),
            "SCRAPE_ASSETS_TARGETS_DIR": str(targets),
            "DEMO_SHOP_URL": site_url,
            "SCRAPE_ASSETS_PROGRESS_INTERVAL": "1",
        }
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("REDIS_URL", raising=False)
        self.instance = DagsterInstance.from_config(str(self.home))
        self.daemon_log = root / "daemon.log"
        self.daemon: subprocess.Popen | None = None

    def start_daemon(self) -> None:
        with self.daemon_log.open("w") as log:
            self.daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                cwd=REPO,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop_daemon(self) -> None:
        if self.daemon is None or self.daemon.poll() is not None:
            return
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.daemon.pid, signal.SIGKILL)
            self.daemon.wait()

    def backfill(self, *days: str) -> subprocess.Popen:
        """`dagster job backfill` for these days, as an operator would type it (runs are queued)."""
        return subprocess.Popen(
            [
                str(BIN / "dagster"),
                "job",
                "backfill",
                "-w",
                "workspace.yaml",
                "-j",
                JOB,
                "--partitions",
                ",".join(days),
                "--noprompt",
            ],
            cwd=REPO,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for_runs(self, day: str, count: int, seconds: float = 420) -> list:
        """Run records of `day` once `count` of them have finished, oldest first."""
        finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.daemon is not None and self.daemon.poll() is None, self._daemon_tail("the daemon exited")
            records = self.instance.get_run_records(RunsFilter(job_name=JOB, tags={"dagster/partition": day}))
            if len(records) >= count and all(r.dagster_run.status in finished for r in records):
                return sorted(records, key=lambda r: r.create_timestamp)
            time.sleep(1)
        raise AssertionError(self._daemon_tail(f"runs of {day} did not finish within {seconds}s"))

    def _daemon_tail(self, message: str) -> str:
        return f"{message}; daemon log:\n" + "\n".join(self.daemon_log.read_text().splitlines()[-40:])

    def day_rows(self, day: str) -> list[tuple]:
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as conn:
            return conn.execute(
                "SELECT sku FROM delivered_demo_shop WHERE partition_date = ? ORDER BY sku", [day]
            ).fetchall()


@pytest.fixture
def deployment(tmp_path, postgres_database, start_site, monkeypatch) -> Iterator[Deployment]:
    site = start_site(PRODUCTS)
    deployed = Deployment(tmp_path, postgres_database, site.url, monkeypatch)
    deployed.start_daemon()
    try:
        yield deployed
    finally:
        deployed.stop_daemon()
        deployed.instance.dispose()


def _failures(instance: DagsterInstance, run_id: str) -> list[str]:
    """What a failed run said: its step failures' errors and its run failure message, for the assertion."""
    said = []
    for record in instance.get_records_for_run(
        run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
    ).records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.step_failure_data is not None and event.step_failure_data.error is not None:
            said.append(f"{event.step_key}: {event.step_failure_data.error.message[:500]}")
        else:
            said.append(str(record.event_log_entry.message)[:500])
    return said


def _window(record) -> tuple[float, float]:
    assert record.start_time and record.end_time, record.dagster_run.run_id
    return record.start_time, record.end_time


def _assert_backfill_submitted(process: subprocess.Popen) -> None:
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output


@pytest.mark.long
def test_a_three_day_backfill_runs_concurrently_on_postgres_and_the_same_day_twice_never_overlaps(deployment):
    days = ["2026-11-17", "2026-11-18", "2026-11-19"]
    _assert_backfill_submitted(deployment.backfill(*days))
    records = [deployment.wait_for_runs(day, 1)[0] for day in days]

    for day, record in zip(days, records, strict=True):
        run = record.dagster_run
        assert run.status == DagsterRunStatus.SUCCESS, (day, run.run_id, _failures(deployment.instance, run.run_id))
        assert run.tags["scrape_assets/target_day"] == f"demo_shop.{day}" and run.tags["target"] == "demo_shop"
        rows = deployment.day_rows(day)
        assert len(rows) == PRODUCTS and len(set(rows)) == PRODUCTS
    windows = sorted(_window(record) for record in records)
    # the days ran at the same time (the per-target limit is 3), not one after the other
    assert any(later[0] < earlier[1] for earlier, later in pairwise(windows)), windows

    # the same day launched twice at once: the queue runs one, then the other
    day = "2026-11-20"
    first, second = deployment.backfill(day), deployment.backfill(day)
    _assert_backfill_submitted(first)
    _assert_backfill_submitted(second)
    # the queue may start either run first; order them by when they started
    ran_first, ran_second = sorted(deployment.wait_for_runs(day, 2), key=lambda record: _window(record)[0])
    assert ran_first.dagster_run.status == ran_second.dagster_run.status == DagsterRunStatus.SUCCESS
    assert _window(ran_first)[1] <= _window(ran_second)[0], (_window(ran_first), _window(ran_second))
    rows = deployment.day_rows(day)
    assert len(rows) == PRODUCTS and len(set(rows)) == PRODUCTS
    # the second run was already submitted while the first one ran: it waited in the queue
    assert ran_second.create_timestamp.timestamp() < _window(ran_first)[1]
