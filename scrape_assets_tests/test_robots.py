"""robots.txt as RFC 9309 reads it, in the frontier and in the page crawl: a 5xx (or silent) robots.txt
disallows the whole site until it can be read, a 4xx allows it; either way the crawl says which it was."""

from __future__ import annotations

import pytest
from dagster import DagsterEventType

from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
FAST_TRIES = {"max_tries": 2, "backoff_base_seconds": 0.05, "backoff_max_seconds": 0.1}


def _retries(pipeline, result) -> int:
    return len(pipeline.instance.get_records_for_run(result.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY).records)


def test_a_robots_txt_answering_503_at_the_frontier_fetches_nothing_else_and_is_retried_as_an_outage(
    pipeline, start_site
):
    site = start_site(20, "--robots-fail-after", "0")
    pipeline.configure(politeness=FAST_TRIES, run_policy={"crawl_step_retries": 1, "crawl_step_retry_delay_seconds": 0})

    result = pipeline.run_day(site, DAY)

    assert not result.success
    step, cause = failure_cause(result)
    assert step == "demo_shop__url_frontier" and cause.cls_name == "RobotsTxtUnreachable"
    assert f"{site.url}/robots.txt: robots.txt answered HTTP 503 after 2 tries" in cause.message
    assert "RFC 9309 disallows the whole site" in cause.message
    assert _retries(pipeline, result) == 1  # the target's outage: tried again, like a shard of the page crawl
    assert set(site.stats()["by_class"]) == {"robots"}  # not one sitemap or page was requested

    metrics = pipeline.definitions(site).resolve_job_def("pipeline_metrics_job")
    figures = materialization_metadata(
        metrics.execute_in_process(partition_key=DAY, instance=pipeline.instance), "pipeline_metrics"
    )
    assert figures["outage_runs"] == 1 and figures["our_side_runs"] == 0  # the target's side


def test_a_robots_txt_answering_503_when_the_page_crawl_starts_stops_it_before_a_disallowed_page(pipeline, start_site):
    """The frontier read robots.txt (and left the disallowed product out); when the page crawl reads it
    again it answers 503. Scrapy's own middleware would read that as allow-all and fetch the disallowed
    product through a listing's link."""
    site = start_site(20, "--robots-fail-after", "1", "--robots-disallow", "/product/3")
    pipeline.configure(politeness=FAST_TRIES, run_policy={"crawl_step_retries": 0})

    result = pipeline.run_day(site, DAY)

    assert materialization_metadata(result, "url_frontier")["robots_disallowed"] == 1
    step, cause = failure_cause(result)
    assert step == "demo_shop__raw_pages.demo_shop__crawl_shard[1of1]" and cause.cls_name == "RobotsTxtUnreachable"
    assert "robots.txt answered HTTP 503" in cause.message
    by_class = site.stats()["by_class"]
    assert by_class.get("product", 0) == 0 and by_class.get("listing", 0) == 0
    assert not pipeline.table_exists("delivered_demo_shop")


def test_a_robots_txt_answering_404_allows_the_whole_site(pipeline, start_site):
    site = start_site(20, "--robots-fail-after", "0", "--robots-fail-status", "404", "--robots-disallow", "/product/3")

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop") == [(20,)]
    paths = site.stats(with_paths=True)["by_path"]
    assert "/product/3" in paths  # no rules at all: nothing is disallowed
