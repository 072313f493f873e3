"""Runs that survive their own infrastructure, launched the way operators launch them (the `dagster`
CLI on the instance `make dev` writes): a day that is not a partition, the same day launched twice at
once, and the run's process killed mid-crawl."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterRunStatus

from scrape_assets_tests.deployment import FINISHED, LocalDeployment

pytestmark = pytest.mark.e2e
DAY = "2026-11-20"
EARLIER_DAY = "2026-11-19"


@pytest.fixture
def deployment(tmp_path):
    made: list[LocalDeployment] = []

    def make(site_url: str) -> LocalDeployment:
        made.append(LocalDeployment(tmp_path, site_url))
        return made[-1]

    yield make
    for deployment in made:
        deployment.close()


def _step_failures(deployment: LocalDeployment, run_id: str) -> list:
    records = deployment.instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_FAILURE).records
    events = [r.event_log_entry.dagster_event for r in records]
    return [event.step_failure_data for event in events if event is not None]


def _retries(deployment: LocalDeployment, run_id: str) -> int:
    return len(deployment.instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY).records)


def _crawlers_of(deployment: LocalDeployment) -> list[int]:
    """Pids of crawler processes started for this deployment (their environment names its DAGSTER_HOME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if b"scrape_assets.crawler" in command and f"DAGSTER_HOME={deployment.home}".encode() in environ:
            found.append(int(entry.name))
    return found


def test_a_day_that_is_not_a_partition_is_refused_naming_the_key_and_the_range(deployment, start_site):
    site = start_site(10)
    local = deployment(site.url)
    last = r"\d{4}-\d{2}-\d{2} \(the last complete day\)"

    # not a date, and a day before schedule.start_date: no run is ever created, by either command
    for key, command in (
        ("2026-13-45", "job_execute"),
        ("2025-06-01", "job_execute"),
        ("2025-06-01", "asset_materialize"),
    ):
        log = f"{command}-{key}.log"
        assert local.wait_finished(getattr(local, command)(key, log=log)) != 0
        assert local.runs(key) == [], local.output(log)[-2000:]
        if command == "job_execute":
            assert re.search(
                f"partition key '{key}' is not a day: days are YYYY-MM-DD from 2026-01-01 to {last}", local.output(log)
            ), local.output(log)[-2000:]
        else:  # Dagster's own check of the selection
            assert key in local.output(log)
    # a day not complete yet: its run stops at its first step, before any request, and is not retried
    future = "2099-01-01"
    assert local.wait_finished(local.job_execute(future, log="future.log")) != 0
    [record] = local.runs(future)
    assert record.dagster_run.status == DagsterRunStatus.FAILURE
    [failure] = _step_failures(local, record.dagster_run.run_id)
    assert re.search(
        f"'{future}' is not a day of target 'demo_shop': its days run from 2026-01-01 to "
        r"\d{4}-\d{2}-\d{2}",
        failure.user_failure_data.description,
    )
    assert _retries(local, record.dagster_run.run_id) == 0
    assert site.stats()["total"] == 0


# held product requests wait for the test's release: no timeout, no retry meanwhile
HELD_REQUESTS_WAIT = {"timeout_seconds": 600}


@pytest.mark.long
@pytest.mark.parametrize(
    "first, second",
    [("job_execute", "asset_materialize"), ("asset_materialize", "job_execute"), ("job_execute", "backfill")],
)
def test_the_same_day_launched_twice_at_once_is_crawled_once(deployment, start_site, first, second):
    products = 120
    # the site holds product requests after the fifth until released: the first run is surely still
    # crawling when the second is launched and when it fails, however fast or slow this machine is
    site = start_site(products, "--hold-after-pages", "5")
    local = deployment(site.url)
    local.configure(politeness=HELD_REQUESTS_WAIT)
    if second == "backfill":
        local.start_daemon()  # a backfill's runs are launched by the daemon, from the queue

    getattr(local, first)(DAY, log="first.log")
    local.wait_for(lambda: site.stats()["held"] > 0, "the first run's crawl is held mid-way")
    getattr(local, second)(DAY, log="second.log")
    local.wait_for(
        lambda: len(runs := local.runs(DAY)) == 2 and runs[1].dagster_run.status in FINISHED,
        "the second run finishes",
        seconds=420,
    )
    site.release()
    finished = local.wait_for(
        lambda: len(runs := local.runs(DAY)) == 2 and all(r.dagster_run.status in FINISHED for r in runs) and runs,
        "both runs finish",
        seconds=420,
    )

    older, newer = finished
    assert older.dagster_run.status == DagsterRunStatus.SUCCESS, local.output("first.log")[-3000:]
    assert newer.dagster_run.status == DagsterRunStatus.FAILURE
    [failure] = _step_failures(local, newer.dagster_run.run_id)
    assert failure.error.cls_name == "DayAlreadyCrawling" or failure.error.cause.cls_name == "DayAlreadyCrawling"
    assert f"demo_shop/{DAY} is already being crawled by run {older.dagster_run.run_id}" in (
        failure.user_failure_data.description
    )
    assert _retries(local, newer.dagster_run.run_id) == 0
    paths = site.stats(with_paths=True)["by_path"]
    product_fetches = [count for path, count in paths.items() if path.startswith("/product/")]
    assert len(product_fetches) == products and max(product_fetches) == 1


@pytest.mark.long
@pytest.mark.parametrize("steps_in", ["processes of their own", "the run's process"])
def test_a_run_killed_mid_crawl_leaves_no_crawler_is_marked_failed_and_the_next_run_resumes(
    deployment, start_site, steps_in
):
    products = 300
    site = start_site(products, "--hold-after-pages", "40")  # the crawl is held mid-way until released
    local = deployment(site.url)
    local.configure(politeness=HELD_REQUESTS_WAIT)
    if steps_in == "the run's process":  # a frontier of the day before, in one shard: defs/executor.py
        earlier = local.asset_materialize(EARLIER_DAY, log="earlier.log", select='key:"demo_shop/url_frontier"')
        assert local.wait_finished(earlier) == 0, local.output("earlier.log")[-3000:]
    local.start_daemon()  # run monitoring
    run = local.job_execute(DAY, log="killed.log")
    local.wait_for(lambda: site.stats()["held"] > 0, "the crawl is held mid-way")
    assert _crawlers_of(local), "a crawler runs"

    os.kill(run.pid, signal.SIGKILL)  # the run's process only: its step worker and crawler are orphaned

    # the crawler is asked to stop (Scrapy's graceful SIGTERM): only then are its requests in flight
    # answered, so that it stores them and exits before fetching anything else
    local.wait_for(lambda: "Received SIGTERM" in local.compute_logs(), "the crawler is told to stop", seconds=180)
    site.release()
    local.wait_for(lambda: not _crawlers_of(local), "every crawler process has exited", seconds=180)
    local.wait_for(
        lambda: local.runs(DAY)[0].dagster_run.status == DagsterRunStatus.FAILURE,
        "run monitoring marks the run failed",
        seconds=180,
    )
    fetched_before = site.stats()["by_class"]["product"]
    assert fetched_before < products
    killed = local.runs(DAY)[0].dagster_run.run_id
    assert any(e.message.startswith(f"Steps run in {steps_in}:") for e in local.instance.all_logs(killed))

    assert local.wait_finished(local.job_execute(DAY, log="resumed.log")) == 0, local.output("resumed.log")[-3000:]
    assert local.runs(DAY)[-1].dagster_run.status == DagsterRunStatus.SUCCESS
    paths = site.stats(with_paths=True)["by_path"]
    product_fetches = [count for path, count in paths.items() if path.startswith("/product/")]
    assert len(product_fetches) == products and max(product_fetches) == 1


def _held_day(deployment, start_site, products: int, log: str):
    """A deployment whose `dagster job execute` of DAY is crawling, held mid-way by the demo site until
    the test releases it: (site, deployment, the command's process)."""
    site = start_site(products, "--hold-after-pages", "30")
    local = deployment(site.url)
    local.configure(politeness=HELD_REQUESTS_WAIT)
    run = local.job_execute(DAY, log=log)
    local.wait_for(lambda: site.stats()["held"] > 0, "the day's crawl is held mid-way")
    return site, local, run


BELOW_THE_CRAWL = " or ".join(
    f'key:"demo_shop/{name}"'
    for name in ("parsed_records", "validated_records", "quarantined_records", "delivered_demo_shop")
)


@pytest.mark.long
def test_a_downstream_run_during_a_recrawl_is_refused_and_the_recrawl_still_delivers_its_own_day(
    deployment, start_site
):
    """While a day is re-crawled, `dagster asset materialize` of the stages below the crawl validates the
    crawl's open generation and is refused (right). Its failed evaluations are the newest of the day by id,
    but they judged other data: the re-crawl's delivery judges the evaluations of its own records."""
    products = 80
    site, local, recrawl = _held_day(deployment, start_site, products, log="recrawl.log")
    local.wait_for(
        lambda: (
            sum(
                path.read_text().count("/product/")
                for path in (local.data_dir / "pages" / "demo_shop" / DAY).glob("*.idx.jsonl")
            )
            >= 20
        ),
        "the re-crawl has stored pages",
    )

    downstream = local.asset_materialize(DAY, log="downstream.log", select=BELOW_THE_CRAWL)
    assert local.wait_finished(downstream) != 0
    refused = local.runs(DAY)[-1].dagster_run.run_id
    materialized = local.instance.get_records_for_run(refused, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    keys = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in materialized}
    assert "demo_shop/validated_records" in keys and "demo_shop/delivered_demo_shop" not in keys
    assert _step_failures(local, refused)  # its blocking checks failed on the partial data

    site.release()
    assert local.wait_finished(recrawl, seconds=420) == 0, local.output("recrawl.log")[-3000:]
    assert local.runs(DAY)[0].dagster_run.status == DagsterRunStatus.SUCCESS
    with duckdb.connect(str(local.data_dir / "warehouse.duckdb"), read_only=True) as warehouse:
        assert warehouse.execute("SELECT count(DISTINCT sku) FROM delivered_demo_shop").fetchall() == [(products,)]


@pytest.mark.long
def test_without_the_daemon_a_run_whose_process_was_killed_does_not_hold_its_day(deployment, start_site):
    """No run monitoring: the killed run stays STARTED. The next run of the day asks the run launcher
    about its worker, finds it gone, marks it failed, and crawls the day (resuming what it stored)."""
    products = 120
    site, local, run = _held_day(deployment, start_site, products, log="killed.log")
    os.kill(run.pid, signal.SIGKILL)
    local.wait_for(lambda: "Received SIGTERM" in local.compute_logs(), "the crawler is told to stop", seconds=180)
    site.release()
    local.wait_for(lambda: not _crawlers_of(local), "every crawler process has exited", seconds=180)
    assert local.runs(DAY)[0].dagster_run.status == DagsterRunStatus.STARTED  # nobody watched it die

    assert local.wait_finished(local.job_execute(DAY, log="next.log")) == 0, local.output("next.log")[-3000:]

    killed, following = local.runs(DAY)
    assert killed.dagster_run.status == DagsterRunStatus.FAILURE
    assert following.dagster_run.status == DagsterRunStatus.SUCCESS
    failure = local.instance.get_records_for_run(killed.dagster_run.run_id, of_type=DagsterEventType.RUN_FAILURE)
    [message] = [r.event_log_entry.dagster_event.message for r in failure.records]
    assert f"(pid {run.pid}) is gone" in message and "marked failed by a newer run of the same day" in message
    paths = site.stats(with_paths=True)["by_path"]
    assert sorted(count for path, count in paths.items() if path.startswith("/product/")) == [1] * products


def _environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)


def test_a_crawler_sees_only_the_environment_it_needs(deployment, start_site, start_proxy):
    """The step's process holds the warehouse password and the webhook URL; the crawler, which parses
    untrusted HTML, gets an allow-list: the process basics, the proxy secret its target names, Pipes."""
    site = start_site(40, "--hold-after-pages", "5")
    local = deployment(site.url)
    proxy, _ = start_proxy("--require-auth", "crawler:proxy-pass-1")
    local.env.update(
        {
            "SNOWFLAKE_PASSWORD": "warehouse-secret-1",
            "SCRAPE_ASSETS_ALERT_WEBHOOK_URL": "http://hooks.example/secret-token-1",
            "DAGSTER_PG_PASSWORD": "instance-secret-1",
            "TEST_PROXY_PASSWORD": "proxy-pass-1",
        }
    )
    local.configure(
        politeness=HELD_REQUESTS_WAIT,
        proxies={"urls": [proxy.replace("http://", "http://crawler:${TEST_PROXY_PASSWORD}@")]},
    )
    run = local.job_execute(DAY)
    local.wait_for(lambda: site.stats()["held"] > 0, "the page crawl is held mid-way")
    crawler = local.wait_for(lambda: _crawlers_of(local), "the page crawler runs")[0]
    seen = _environ(crawler)
    site.release()
    assert local.wait_finished(run, seconds=420) == 0, local.output("job_execute.log")[-3000:]

    values = "\n".join(seen.values())
    for secret in ("warehouse-secret-1", "secret-token-1", "instance-secret-1"):
        assert secret not in values
    assert {"SNOWFLAKE_PASSWORD", "SCRAPE_ASSETS_ALERT_WEBHOOK_URL", "DAGSTER_PG_PASSWORD"}.isdisjoint(seen)
    assert seen["TEST_PROXY_PASSWORD"] == "proxy-pass-1"  # named by the target's proxies.urls: it needs it
    assert "PATH" in seen and "DAGSTER_PIPES_CONTEXT" in seen and "DEMO_SHOP_URL" not in seen
