"""A local Dagster deployment for tests that launch runs the way an operator does: a DAGSTER_HOME with
the instance `make dev` writes (SQLite, run monitoring), the `dagster` CLI, and optionally the daemon."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from scrape_assets.local_instance import prepare_local_instance
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.target_yaml import update_target_yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


class LocalDeployment:
    """DAGSTER_HOME, data and targets under `root`; every process started here is stopped by `close`."""

    def __init__(self, root: Path, site_url: str):
        self.root = root
        self.home = root / "dagster_home"
        self.data_dir = root / "data"
        targets = root / "targets"
        targets.mkdir(parents=True)
        shutil.copy(DEFAULT_TARGETS_DIR / "demo_shop.yaml", targets)
        self.target_yaml = targets / "demo_shop.yaml"
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "SCRAPE_ASSETS_DATA_DIR": str(self.data_dir),
            "SCRAPE_ASSETS_TARGETS_DIR": str(targets),
            "DEMO_SHOP_URL": site_url,
            "SCRAPE_ASSETS_PROGRESS_INTERVAL": "1",
        }
        self.env.pop("REDIS_URL", None)
        self.instance: DagsterInstance = prepare_local_instance(self.home, monitoring_poll_seconds=1)
        self.processes: list[subprocess.Popen] = []

    def compute_logs(self) -> str:
        """Everything the steps of this deployment's runs (and the crawlers they started) wrote to
        stdout and stderr so far, as the instance captures it."""
        files = sorted((self.home / "storage").glob("*/compute_logs/*.*"))
        return "".join(path.read_text(errors="replace") for path in files if path.suffix in (".out", ".err"))

    def configure(self, **sections: dict) -> None:
        """Change sections of the demo target's YAML, before the runs that should see it."""
        update_target_yaml(self.target_yaml, sections)

    def start(self, *args: str, log: str, program: str = "dagster") -> subprocess.Popen:
        """A `dagster ...` command (or `program ...`) in its own session, its output in `root/<log>`."""
        with (self.root / log).open("w") as out:
            process = subprocess.Popen(
                [str(BIN / program), *args],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def job_execute(self, day: str, log: str = "job_execute.log") -> subprocess.Popen:
        return self.start(
            "job",
            "execute",
            "-m",
            "scrape_assets.definitions",
            "-j",
            "daily_demo_shop",
            "--tags",
            json.dumps({"dagster/partition": day}),
            log=log,
        )

    def asset_materialize(
        self, day: str, log: str = "asset_materialize.log", select: str = 'key:"demo_shop/*"'
    ) -> subprocess.Popen:
        return self.start(
            "asset",
            "materialize",
            "-m",
            "scrape_assets.definitions",
            "--select",
            select,
            "--partition",
            day,
            log=log,
        )

    def backfill(self, day: str, log: str = "backfill.log") -> subprocess.Popen:
        """`dagster job backfill` of one day: the daemon launches its run from the queue."""
        return self.start(
            "job",
            "backfill",
            "-w",
            "workspace.yaml",
            "-j",
            "daily_demo_shop",
            "--partitions",
            day,
            "--noprompt",
            log=log,
        )

    def start_daemon(self) -> subprocess.Popen:
        return self.start("run", "-w", "workspace.yaml", log="daemon.log", program="dagster-daemon")

    def output(self, log: str) -> str:
        return (self.root / log).read_text()

    def runs(self, day: str) -> list:
        """Run records of `day`, oldest first."""
        records = self.instance.get_run_records(RunsFilter(tags={"dagster/partition": day}))
        return sorted(records, key=lambda r: r.create_timestamp)

    def wait_for(self, condition, what: str, seconds: float = 300.0):
        """Poll `condition()` until it returns something truthy; fail naming `what` after `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {seconds}s")

    def wait_finished(self, process: subprocess.Popen, seconds: float = 300.0) -> int:
        """The command's exit code, once it has ended."""
        self.wait_for(lambda: process.poll() is not None, "the command ended", seconds)
        return process.returncode

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.instance.dispose()
