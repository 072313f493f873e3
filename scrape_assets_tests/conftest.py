"""Fixtures that start real things on loopback and stop exactly what they started."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import redis
from dagster import DagsterInstance, Definitions, ExecuteInProcessResult, instance_for_test

from scrape_assets.demo_site.process import DemoSite
from scrape_assets.target_config.loader import DEFAULT_TARGETS_DIR
from scrape_assets_tests.processes import SESSION_VARIABLE, leftovers, stop
from scrape_assets_tests.reconstructable_jobs import forget_loaded_code
from scrape_assets_tests.target_yaml import update_target_yaml

DEMO_TARGET = "demo_shop"


REDIS_SERVER = "redis://127.0.0.1:6379"
CLAIMS_DATABASE = 0  # where test processes record which database each one holds


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def _claimed_redis_url() -> str:
    """A Redis database of this test process's own, since the fixture flushes it: the highest of
    15..1 that no live test process holds. A claim is this pid under `scrape_assets_tests:claim:<db>`
    in database 0; a claim whose process is gone is taken over. So workers of one pytest-xdist run,
    and two suites run side by side, never flush each other's data."""
    client = redis.Redis.from_url(f"{REDIS_SERVER}/{CLAIMS_DATABASE}")
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is required at {REDIS_SERVER} and is not answering: {exc}")
    with client:
        for database in range(15, CLAIMS_DATABASE, -1):
            key = f"scrape_assets_tests:claim:{database}"
            with client.pipeline() as transaction:
                try:
                    transaction.watch(key)
                    holder = transaction.get(key)
                    if holder is not None and int(holder) != os.getpid() and _alive(int(holder)):
                        continue
                    transaction.multi()
                    transaction.set(key, os.getpid())
                    transaction.execute()
                except redis.WatchError:
                    continue
            atexit.register(_release_claim, key)
            return f"{REDIS_SERVER}/{database}"
    pytest.fail(f"every Redis database 1-15 at {REDIS_SERVER} is held by a live test process")


def _release_claim(key: str) -> None:
    with redis.Redis.from_url(f"{REDIS_SERVER}/{CLAIMS_DATABASE}") as client:
        if client.get(key) == str(os.getpid()).encode():
            client.delete(key)


def pytest_configure(config: pytest.Config) -> None:
    """Mark every process this session starts (see processes.py)."""
    os.environ[SESSION_VARIABLE] = uuid.uuid4().hex  # a session of its own, even inside another one
    # crawlers see an allow-listed environment: the session's mark (to find leftovers) and DAGSTER_HOME
    # (to tell deployments' crawlers apart) are passed on as an operator passes variables of their own
    os.environ["SCRAPE_ASSETS_CRAWLER_PASS_ENV"] = f"{SESSION_VARIABLE},DAGSTER_HOME"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first (in their order), then the rest: pytest-xdist hands out tests in this
    order, and a long test started last would keep one worker busy while the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing outlives its test: a process of this session still alive at the end fails the run
    (after being killed, so that it does not outlive the run either). Under pytest-xdist every worker
    checks what its own tests started; the controller starts nothing but the workers."""
    if getattr(session.config, "workerinput", None) is None and session.config.getoption("numprocesses", None):
        return
    left = leftovers(os.environ[SESSION_VARIABLE], float(os.environ.get("SCRAPE_ASSETS_TEST_LEFTOVER_GRACE", "30")))
    if not left:
        return
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    listed = "\n".join(f"  pid {pid}: {command}" for pid, command in left)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"FAILED: {len(left)} process(es) started by the tests outlived them (now killed):\n{listed}", red=True
        )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def fresh_code_location() -> Iterator[None]:
    """What a run process holds of the code location lives as long as this test process: runs fork
    their steps from Python's forkserver (defs/executor.py), which keeps the environment it started
    with, and Dagster keeps the last job a reconstructable job resolved to (`lru_cache`), which steps
    executed in the run's process use. A later test (another data folder, another site) would get an
    earlier test's. Both are dropped after every test (`_stop` is the standard library's own hook)."""
    yield
    from multiprocessing import forkserver

    forkserver._forkserver._stop()  # type: ignore[attr-defined]
    forget_loaded_code()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The machine's Redis on loopback: a database this test process holds (`_claimed_redis_url`),
    flushed before and after. Missing Redis is a test failure, never a skip: CI must see it."""
    url = _claimed_redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def start_proxy() -> Iterator:
    """Start loopback forward proxies (`forward_proxy.py`); all are stopped at teardown."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[str, subprocess.Popen]:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrape_assets_tests.forward_proxy", *args], stdout=subprocess.PIPE, text=True
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), f"proxy did not start: {line!r}"
        return line.split("listening on ", 1)[1].strip(), process

    yield start
    for process in started:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def start_site() -> Iterator:
    """Start demo sites with given knobs; every site started is stopped at teardown."""
    started: list[DemoSite] = []

    def start(products: int = 200, *args: str, port: int = 0) -> DemoSite:
        site = DemoSite(products=products, extra_args=args, port=port).start()
        started.append(site)
        return site

    yield start
    for site in started:
        site.stop()


class Pipeline:
    """The code location as a user runs it, pointed at a temporary data folder and instance."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, instance: DagsterInstance):
        self.data_dir = root / "data"
        self.targets_dir = root / "targets"
        self.targets_dir.mkdir()
        shutil.copy(DEFAULT_TARGETS_DIR / f"{DEMO_TARGET}.yaml", self.targets_dir)
        self.instance = instance
        self._monkeypatch = monkeypatch
        monkeypatch.setenv("SCRAPE_ASSETS_DATA_DIR", str(self.data_dir))
        monkeypatch.setenv("SCRAPE_ASSETS_TARGETS_DIR", str(self.targets_dir))
        monkeypatch.setenv("SCRAPE_ASSETS_PROGRESS_INTERVAL", "1")
        monkeypatch.delenv("REDIS_URL", raising=False)

    def configure(self, **sections: dict) -> None:
        """Change sections of the demo target's YAML (e.g. `politeness={"max_tries": 6}`)."""
        update_target_yaml(self.targets_dir / f"{DEMO_TARGET}.yaml", sections)

    def definitions(self, site: DemoSite | None = None) -> Definitions:
        """Definitions built the way `scrape_assets.definitions` builds them, for this site."""
        if site is not None:
            self._monkeypatch.setenv("DEMO_SHOP_URL", site.url)
        from scrape_assets.definitions import build_definitions

        return build_definitions()

    def run_day(
        self,
        site: DemoSite,
        day: str,
        target: str = DEMO_TARGET,
        selection: list | None = None,
        tags: dict[str, str] | None = None,
    ) -> ExecuteInProcessResult:
        """Run the `daily_<target>` job for one day, as the schedule would (optionally a subset of it)."""
        job = self.definitions(site).resolve_job_def(f"daily_{target}")
        return job.execute_in_process(
            partition_key=day, instance=self.instance, raise_on_error=False, asset_selection=selection, tags=tags
        )

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def table_exists(self, table: str) -> bool:
        path = self.data_dir / "warehouse.duckdb"
        return path.exists() and bool(
            self.query("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table])[0][0]
        )


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    with instance_for_test() as instance:
        yield Pipeline(tmp_path, monkeypatch, instance)


@pytest.fixture
def s3_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 API server on a free loopback port (real HTTP; crawler subprocesses reach it too),
    with fake credentials in the environment. Yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    from scrape_assets_tests.loopback import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto keeps its buckets in process-wide state: every test starts from an empty S3
    urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"), timeout=60
    ).close()
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def snowflake_server() -> Iterator[dict]:
    """fakesnow's Snowflake server on loopback (the real connector speaks HTTP to it), one per session:
    `fakesnow.server()` imports its submodule `fakesnow.server`, which then shadows the function. Yields
    the connection arguments."""
    import fakesnow

    with fakesnow.server() as arguments:
        yield arguments
