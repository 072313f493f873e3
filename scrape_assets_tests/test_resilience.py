"""Crawler resilience and politeness, proven by fault injection at the demo site, through Dagster."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import pytest

from scrape_assets_tests.results import failure_cause, materialization_metadata

pytestmark = pytest.mark.e2e

DAY = "2026-11-20"
FAST_RETRIES = {"max_tries": 6, "backoff_base_seconds": 0.2, "backoff_max_seconds": 2.0}
NO_STEP_RETRY = {"crawl_step_retries": 0, "crawl_step_retry_delay_seconds": 0}
# a crawl paced to last a couple of seconds, and a breaker tuned to that timescale
PACED = {**FAST_RETRIES, "rate_limit_per_second": 100, "concurrency": 4}
QUICK_BREAKER = {"window_seconds": 1, "min_samples": 5, "open_seconds": 0.5}


def _delivered(pipeline) -> int:
    return pipeline.query("SELECT count(DISTINCT sku) FROM delivered_demo_shop WHERE partition_date = ?", [DAY])[0][0]


def test_429_storm_with_retry_after_delivers_everything_and_respects_the_wait(pipeline, start_site):
    # a stable fifth of the product pages answer their first request 429, whatever the crawl's speed;
    # each 429 doubles AutoThrottle's delay, capped here so that the test stays short
    site = start_site(80, "--throttle-share", "0.2", "--retry-after", "1")
    pipeline.configure(
        politeness={**FAST_RETRIES, "concurrency": 8, "adaptive_max_delay_seconds": 1.0}, run_policy=NO_STEP_RETRY
    )

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert _delivered(pipeline) == 80
    raw = materialization_metadata(result, "demo_shop/raw_pages")
    assert raw["responses_429"] > 0 and raw["retry_after_honoured"] > 0
    assert raw["retries_by_status"]["429"] == raw["responses_429"]
    assert raw["throttle_429_stepdowns"] > 0 and raw["throttle_timeline"]
    # after a 429 on a URL, the next request for that URL came no sooner than Retry-After (1 s)
    by_path = defaultdict(list)
    for seconds, _kind, status, path in site.stats(with_times=True)["times"]:
        by_path[path].append((seconds, status))
    gaps = [
        later[0] - earlier[0] for hits in by_path.values() for earlier, later in pairwise(hits) if earlier[1] == 429
    ]
    assert gaps and min(gaps) >= 0.95


def test_5xx_burst_opens_the_breaker_which_probes_and_closes_and_everything_is_delivered(pipeline, start_site):
    site = start_site(150, "--outage-after", "0.5", "--outage-for", "2")
    pipeline.configure(
        politeness=PACED,
        breaker={**QUICK_BREAKER, "max_open_seconds": 2, "outage_after_seconds": 60},
        run_policy=NO_STEP_RETRY,
    )

    result = pipeline.run_day(site, DAY)

    assert result.success
    assert _delivered(pipeline) == 150
    raw = materialization_metadata(result, "demo_shop/raw_pages")
    assert raw["breaker_opened"] >= 1 and raw["breaker_closed"] >= 1
    states = [state for _, state in raw["breaker_transitions"]]
    assert states[0] == "open" and states[-1] == "closed" and "half_open" in states
    assert raw["failed_requests"] == 0
    assert site.stats()["by_status"]["503"] >= 5


def test_outage_past_the_limit_stops_the_fetch_extracts_what_it_kept_and_the_next_run_resumes(pipeline, start_site):
    site = start_site(150, "--outage-after", "0.4", "--outage-for", "3600")
    pipeline.configure(
        politeness=PACED,
        breaker={**QUICK_BREAKER, "max_open_seconds": 1, "outage_after_seconds": 3},
        run_policy=NO_STEP_RETRY,
    )

    result = pipeline.run_day(site, DAY)

    # fetching stopped on the outage; the pages kept were extracted and validated, delivery waits
    assert not result.success
    raw = materialization_metadata(result, "demo_shop/raw_pages")
    assert raw["crawl_complete"] is False and raw["crawl_stopped_by"] == "target_outage"
    stored = {
        path for _, kind, status, path in site.stats(with_times=True)["times"] if kind == "product" and status == 200
    }
    assert 0 < len(stored) < 150
    assert materialization_metadata(result, "demo_shop/parsed_records")["records"] == len(stored)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["crawl_complete"].passed and not checks["row_count_vs_frontier"].passed
    assert "circuit breaker open for over 3s" in checks["crawl_complete"].metadata["message"].value
    step, _ = failure_cause(result)
    assert step == "demo_shop__validate"  # the blocking row-count check, not the crawl
    assert not pipeline.table_exists("delivered_demo_shop")

    # the target comes back: the next run fetches only what is missing
    port = int(site.url.rsplit(":", 1)[1])
    site.stop()
    healthy = start_site(150, port=port)
    result = pipeline.run_day(healthy, DAY)
    assert result.success
    fetched = healthy.stats(with_paths=True)["by_path"]
    products = {path for path in fetched if path.startswith("/product/")}
    assert products.isdisjoint(stored) and len(products) == 150 - len(stored)
    assert _delivered(pipeline) == 150
