"""The Dagster UI as a user drives it: `make dev`'s command, Debian's Chromium, Playwright.

Opens the demo target's asset graph, launches one partition from the job's "Materialize all" dialog,
waits for the run to succeed on the Runs page, and reads the delivered table's check on its page.
Screenshots go to `test-artifacts/ui/`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from playwright.sync_api import Page, sync_playwright

from scrape_assets_tests.loopback import free_port
from scrape_assets_tests.processes import dev_command

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
# Chromium flags for a closed network and no first-run chrome: no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]
DAY = "2026-11-20"
ASSETS = (
    "url_frontier",
    "raw_pages",
    "parsed_records",
    "validated_records",
    "quarantined_records",
    "delivered_demo_shop",
)


def _wait_for_ui(url: str, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "make dev's command exited before the UI came up"
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the Dagster UI did not answer at {url} within {seconds}s")


def _mark_community_modal_seen(url: str) -> None:
    """A fresh instance opens a "Join the Dagster community" modal at some point after the app loads,
    over whatever the test is doing. The UI's own `setNuxSeen` mutation records it as seen first."""
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": "mutation { setNuxSeen }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.load(response) == {"data": {"setNuxSeen": True}}


def _blocked_day(data: Path) -> str:
    """A day whose valid share fails (`make demo` against a site missing a required field on 30% of its
    pages), then a later delivery-only `dagster asset materialize` of it, which the guard refuses.
    Returns that run's id."""
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(data)}
    env.pop("DAGSTER_HOME", None)
    env.pop("SCRAPE_ASSETS_TARGETS_DIR", None)
    demo = [sys.executable, "-m", "scrape_assets.demo", "--day", DAY, "--products", "60", "--site-port", "0"]
    demo += ["--site-args", "--drop-field title:0.3"]
    ran = subprocess.run(demo, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert ran.returncode == 1 and '"valid_share": false' in ran.stdout, ran.stdout[-3000:]
    env["DAGSTER_HOME"] = str(data / "dagster_home")
    select = 'key:"demo_shop/delivered_demo_shop"'
    refused = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m", "scrape_assets.definitions"]
        + ["--select", select, "--partition", DAY],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert refused.returncode != 0 and "DeliveryBlocked" in refused.stdout + refused.stderr
    with DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        [latest] = instance.get_run_records(limit=1)
        return latest.dagster_run.run_id


@pytest.fixture
def dagster_ui(tmp_path, request):
    """`python -m scrape_assets.dev` on free loopback ports; stopped (only what it started) at teardown.
    A test marked `blocked_day` gets a data folder that already holds a blocked day (`_blocked_day`)."""
    blocked_run = _blocked_day(tmp_path / "data") if request.node.get_closest_marker("blocked_day") else None
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`.ci/run` does it with apt)")
    ui_port, site_port = free_port(), free_port()
    env = {**os.environ, "SCRAPE_ASSETS_DATA_DIR": str(tmp_path / "data")}
    env.pop("DAGSTER_HOME", None)
    dev = subprocess.Popen(
        dev_command(ui_port, site_port, products=40),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{ui_port}"
    try:
        _wait_for_ui(url, dev)
        yield url, tmp_path / "data", blocked_run
    finally:
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            dev.wait()


@contextmanager
def _browser_page(url: str) -> Iterator[Page]:
    """A page of Debian's Chromium on the UI at `url`, its community modal marked seen, screenshots'
    folder made."""
    _mark_community_modal_seen(url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.long
def test_graph_launch_a_partition_and_see_the_delivered_check_in_the_ui(dagster_ui):
    url, data, _ = dagster_ui
    with _browser_page(url) as page:
        # 1. the asset graph: the target's group expanded shows its assets and their lineage
        page.goto(f"{url}/asset-groups?expanded=global%40global%3Ademo_shop")
        nodes = page.locator("svg foreignObject")
        # the graph fills in as it lays out: wait until every node of the target shows (a condition, not a pause)
        for name in ("url_frontier", "raw_pages", "parsed_records", "validated_records", "delivered_de", "quarantin"):
            nodes.filter(has_text=name).first.wait_for()
        assert page.locator("svg path").count() >= 5  # the edges between them
        page.screenshot(path=str(ARTIFACTS / "asset_graph.png"))

        # 2. launch one partition of the daily job from its "Materialize all" dialog
        page.goto(f"{url}/locations/scrape_assets/jobs/daily_demo_shop")
        page.get_by_role("button", name="Materialize all").click()
        dialog = page.get_by_role("dialog")
        partitions = dialog.locator("input[type=text]").first
        partitions.click()
        partitions.fill(DAY)
        partitions.press("Enter")
        page.screenshot(path=str(ARTIFACTS / "launch_dialog.png"))
        dialog.get_by_role("button", name="Launch 1 run").click()
        page.get_by_text("Launched run").wait_for()

        # 3. the Runs page shows the run succeed
        page.goto(f"{url}/runs")
        deadline = time.monotonic() + 420
        while not page.get_by_text("Success", exact=True).count():
            assert not page.get_by_text("Failure", exact=True).count(), "the run failed"
            assert time.monotonic() < deadline, "the run did not succeed within 420 s"
            page.wait_for_timeout(2000)
            page.reload()
        assert page.get_by_text(f"partition: {DAY}").count() == 1
        page.screenshot(path=str(ARTIFACTS / "runs.png"))

        # 4. the delivered table's page shows its check passed for that partition
        page.goto(f"{url}/assets/demo_shop/delivered_demo_shop?view=checks")
        page.get_by_text("rows_match_validated").first.wait_for()
        page.get_by_text("Passed", exact=True).wait_for()
        body = page.locator("body").inner_text()
        assert DAY in body and "valid_records" in body
        page.screenshot(path=str(ARTIFACTS / "delivered_checks.png"))

    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM delivered_demo_shop WHERE partition_date = ?", [DAY]).fetchone() == (
            40,
        )


@pytest.mark.long
@pytest.mark.blocked_day
def test_a_blocked_day_shows_its_one_line_reason_and_the_next_step(dagster_ui):
    url, _, refused_run = dagster_ui
    with _browser_page(url) as page:
        # the failed check on validated_records says what it found against what threshold, in one line
        page.goto(f"{url}/assets/demo_shop/validated_records?view=checks")
        page.get_by_text("valid_share").first.click()
        page.get_by_text(re.compile(r"\d+\.\d% valid, minimum 95%: \d+ quarantined; top reason title")).first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "blocked_day_checks.png"))

        # the refused delivery's run page says which check blocked the day and the two ways on
        page.goto(f"{url}/runs/{refused_run}")
        page.get_by_text(
            re.compile(f"delivery of {DAY} refused: demo_shop/validated_records:valid_share")
        ).first.wait_for()
        page.get_by_text(re.compile("re-run with run tag")).first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "blocked_day_run.png"))
